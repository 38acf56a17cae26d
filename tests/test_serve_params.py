"""The query-string decoding of `ciro serve`'s hot path (app._query_params) gives exactly what urllib's
parse_qs gives, for any query string: the C fast path for well-formed ASCII, urllib for the rest."""

import urllib.parse

from hypothesis import given, settings
from hypothesis import strategies as st

from ciro.web.app import _query_params

# Bytes that matter to the decoding: separators, escapes (valid, truncated, non-hex, invalid UTF-8),
# backslashes (escape_decode's own escape character), '+' and a non-ASCII byte.
_PIECES = st.sampled_from([b"&", b"=", b"+", b"%", b"%2", b"%20", b"%3D", b"%26", b"%C3", b"%A9", b"%C3%A9", b"%zz",
                           b"%5C", b"\\", b"\\x41", b"x", b"query", b"a", b"0", b"F", b"\xe9", b" ", b"%0A", b"%FF"])


def _urllib(raw: bytes) -> dict:
    return urllib.parse.parse_qs(raw.decode("latin-1"), keep_blank_values=True)


@settings(max_examples=2000, deadline=None)
@given(st.lists(_PIECES, max_size=24).map(b"".join))
def test_query_params_match_urllib(raw):
    _query_params.cache_clear()
    assert _query_params(raw) == _urllib(raw)


def test_a_real_lookup_decodes_as_urllib_does():
    text = "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\nSELECT ?l WHERE { ?s rdfs:label ?l } # é"
    raw = urllib.parse.urlencode({"query": text, "default-graph-uri": "https://w3id.org/ciro/"}).encode()
    assert _query_params(raw) == {"query": [text], "default-graph-uri": ["https://w3id.org/ciro/"]}
