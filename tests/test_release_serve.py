"""Every kept release served at its versioned path by `ciro serve` and copied so into the static site; term
pages say in which release a term first appeared and whether it is obsolete."""

from __future__ import annotations

import pyoxigraph

from ciro.versions import TermHistory, term_history
from ciro.web.pages import release_note

from .test_serve import fetch, running_server

CIRO = "https://w3id.org/ciro/CIRO_"


def test_serve_has_every_release_at_its_version_iri_path(two_releases):
    layout, first = two_releases
    with running_server(layout.ontology, "--releases", str(layout.releases)) as base:
        for version in ("0.1.0", "0.2.0"):
            for name in ("ciro.owl", "ciro.ttl", "imports/ciro-external.owl", "catalog-v001.xml"):
                status, media, _, body = fetch(f"{base}/releases/{version}/{name}")
                assert status == 200, (version, name)
                assert body == (layout.releases / version / name).read_bytes()
        assert fetch(f"{base}/releases/0.1.0/ciro.owl")[1] == "application/rdf+xml"
        status, _, _, body = fetch(f"{base}/releases/0.3.0/ciro.owl")
        assert status == 404 and b"the kept releases are 0.2.0, 0.1.0" in body
        assert fetch(f"{base}/releases/0.1.0/%2e%2e/%2e%2e/ontology/ciro.owl")[0] == 404
        assert fetch(f"{base}/releases/0.1.0/.hidden")[0] == 404
        status, _, _, page = fetch(f"{base}/CIRO_0000282.html")
        assert status == 200
        assert b'<p class="release">First released in <a href="/releases/0.1.0/ciro.owl">CIRO 0.1.0</a>.</p>' in page
        index = fetch(f"{base}/")[3].decode()
        assert '/releases/0.2.0/ciro.owl' in index and '/releases/0.1.0/ciro.owl' in index


def test_static_site_keeps_every_release(two_releases, tmp_path):
    from ciro.docs import build_site

    layout, _ = two_releases
    out = tmp_path / "site"
    build_site(layout, layout.ontology, out, progress=lambda _line: None)
    for version in ("0.1.0", "0.2.0"):
        kept = {p.relative_to(layout.releases / version) for p in (layout.releases / version).rglob("*") if p.is_file()}
        copied = {p.relative_to(out / "releases" / version) for p in (out / "releases" / version).rglob("*")}
        assert kept == {p for p in copied if (out / "releases" / version / p).is_file()}
        assert (out / "releases" / version / "ciro.owl").read_bytes() == \
            (layout.releases / version / "ciro.owl").read_bytes()
    index = (out / "releases" / "index.html").read_text(encoding="utf-8")
    newer, older = "<strong>0.2.0</strong></td><td>2026-12-02", "<strong>0.1.0</strong></td><td>2026-12-01"
    assert index.index(newer) < index.index(older)
    page = (out / "terms" / "CIRO_0000257.html").read_text(encoding="utf-8")
    assert ('<p class="release">First released in <a href="../releases/0.1.0/ciro.owl">CIRO 0.1.0</a>. '
            '(<a href="../releases/index.html">All releases</a>.)</p>') in page


def test_term_history_over_two_releases(two_releases):
    layout, _ = two_releases
    history = term_history(layout.releases)
    assert history[CIRO + "0000282"] == TermHistory("0.1.0", None)
    assert history["https://w3id.org/ciro/vocab/ResistanceMechanism"].first == "0.1.0"
    assert CIRO + "0000287" not in history  # an evidence item, not a term


def test_release_note_says_first_release_and_obsolescence():
    store = pyoxigraph.Store()
    store.load(input=f"""
        @prefix owl: <http://www.w3.org/2002/07/owl#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        <{CIRO}0000900> a owl:Class ; rdfs:label "old" ; owl:deprecated true .
        <{CIRO}0000901> a owl:Class ; rdfs:label "new" .
        <{CIRO}0000902> a owl:Class ; rdfs:label "kept" .
        <{CIRO}0000903> a <https://w3id.org/ciro/vocab/Evidence> .
        """, format=pyoxigraph.RdfFormat.TURTLE)
    history = {CIRO + "0000900": TermHistory("0.1.0", "0.2.0"), CIRO + "0000902": TermHistory("0.2.0", None)}
    assert release_note(store, CIRO + "0000900", history) == (
        '<p class="release">First released in <a href="/releases/0.1.0/ciro.owl">CIRO 0.1.0</a>. <strong>Obsolete'
        '</strong> since <a href="/releases/0.2.0/ciro.owl">CIRO 0.2.0</a>: kept for its IRI, not for use.</p>')
    assert release_note(store, CIRO + "0000901", history) == \
        '<p class="release">Not in a release yet: new since the last one.</p>'
    assert "CIRO 0.2.0" in release_note(store, CIRO + "0000902", history)
    assert release_note(store, CIRO + "0000903", history) == ""
    assert release_note(store, "http://purl.obolibrary.org/obo/CL_0000084", history) == ""
