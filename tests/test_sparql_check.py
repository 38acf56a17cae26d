"""The checks made on a query's text before pyoxigraph runs it (`ciro.query.sparql`), the syntax errors in
plain words (issue 18), and `ciro query`'s handling of bad input (issue 14)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pyoxigraph as ox
import pytest

from ciro.query.sparql import (
    MAX_DEPTH,
    MAX_OPERATORS,
    QuerySyntaxError,
    QueryTooDeep,
    ServiceRefused,
    UpdateRefused,
    check_query,
    diagnose,
    syntax_error,
)

E = "<http://127.0.0.1:9/sparql>"
SERVICE = [
    f"SELECT * WHERE {{ SERVICE {E} {{ ?s ?p ?o }} }}",
    f"select * where {{ service {E} {{ ?s ?p ?o }} }}",
    f"SELECT * WHERE {{ SeRvIcE SILENT {E} {{ ?s ?p ?o }} }}",
    f"PREFIX e: {E}\nSELECT * WHERE {{ SERVICE e: {{ ?s ?p ?o }} }}",
    f"SELECT * WHERE {{ ?s ?p \"x\" # comment\n SERVICE {E} {{ }} }}",
    f"SELECT * WHERE {{ ?s ?p 'it''s' . SERVICE {E} {{ }} }}",
    f"SELECT * WHERE {{ ?s ?p \"\\\"\" . SERVICE {E} {{ }} }}",  # an escaped quote does not hide it
    f"SELECT * WHERE {{ {{ {{ OPTIONAL {{ SERVICE {E} {{ }} }} }} }} }}",
    f"SELECT * WHERE {{ \\u0053ERVICE {E} {{ }} }}",  # the spec's codepoint escapes, decoded or not
    f"SELECT * WHERE {{ ?s ?p ?o }} \x01 SERVICE {E} {{ }}",  # past a character the lexer cannot read
]
NOT_SERVICE = [
    f'SELECT * WHERE {{ ?s ?p "SERVICE {E} {{ }}" }}',
    f"SELECT * WHERE {{ ?s ?p '''a\nSERVICE {E}\n''' }}",
    'SELECT * WHERE { ?s ?p """SERVICE""" }',
    "SELECT * WHERE { ?s <http://example.org/SERVICE> ?o }",
    f"SELECT * WHERE {{ ?s ?p ?o }} # SERVICE {E} {{ }}",
    "SELECT ?service $SERVICE WHERE { ?service ?p $SERVICE }",
    "PREFIX service: <http://x/>\nSELECT * WHERE { ?s service:SERVICE ?o }",
    'SELECT * WHERE { ?s ?p "x"@service }',
    "SELECT * WHERE { _:service ?p ?o }",
]


@pytest.mark.parametrize("query", SERVICE)
def test_service_is_found(query):
    with pytest.raises(ServiceRefused, match="SERVICE is not allowed"):
        check_query(query)


@pytest.mark.parametrize("query", NOT_SERVICE)
def test_service_spelled_inside_other_terms_is_not_service(query):
    check_query(query)
    diagnose(query)
    ox.Store().query(query)  # and pyoxigraph agrees it is a plain query (it would have sent a request)


def test_depth_and_operator_chains_are_bounded():
    assert check_query("SELECT * WHERE { " * 3 + "?s ?p ?o" + " }" * 3).depth <= 4
    with pytest.raises(QueryTooDeep, match=f"nested more than {MAX_DEPTH} deep"):
        check_query("SELECT * WHERE " + "{" * 5000 + " ?s ?p ?o " + "}" * 5000)
    with pytest.raises(QueryTooDeep, match=f"more than {MAX_OPERATORS} operators"):
        check_query("SELECT * WHERE { ?s ?p ?o FILTER(" + " && ".join(["true"] * 3000) + ") }")
    # Brackets inside strings count for nothing.
    check_query('SELECT * WHERE { ?s ?p "' + "(" * 500 + '" }')


CRASHERS = {  # the shapes that crashed pyoxigraph 0.5.13 when nested or chained far enough
    "brace": lambda n: "SELECT * WHERE " + "{" * n + " ?s ?p ?o " + "}" * n,
    "paren": lambda n: "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * n + "1" + ")" * n + ") }",
    "bnode": lambda n: "SELECT * WHERE { ?s ?p " + "[ ?p " * n + "?o" + " ]" * n + " }",
    "collection": lambda n: "SELECT * WHERE { ?s ?p " + "(" * n + "?o" + ")" * n + " }",
    "mixed": lambda n: "SELECT * WHERE { ?s ?p " + "( [ ?p " * (n // 2) + "?o" + " ] )" * (n // 2) + " }",
}
CHAINS = {
    "union": lambda n: "SELECT * WHERE { " + " UNION ".join(["{ ?s ?p ?o }"] * n) + " }",
    "and": lambda n: "SELECT * WHERE { ?s ?p ?o FILTER(" + " && ".join(["true"] * n) + ") }",
    "alternative": lambda n: "SELECT * WHERE { ?s " + "|".join(["<urn:p>"] * n) + " ?o }",
}


def _deepest_accepted(make, start: int) -> str:
    """The query of this shape at the largest size the checks accept (its own outer brackets count too)."""
    for n in range(start, start - 5, -1):
        try:
            check_query(make(n))
        except QueryTooDeep:
            continue
        return make(n)
    raise AssertionError("the checks refuse this shape well below the limit")


def test_the_deepest_accepted_query_does_not_crash_the_engine():
    """Every shape at the largest depth (or chain) the checks let through runs in a fresh process without
    crashing, and one step past it is refused."""
    script = ["import pyoxigraph, sys", "store = pyoxigraph.Store()", "for q in sys.stdin.read().split('\\0'):",
              "    r = store.query(q)", "    list(r) if not isinstance(r, pyoxigraph.QueryBoolean) else None",
              "print('ok')"]
    queries = [_deepest_accepted(make, MAX_DEPTH) for make in CRASHERS.values()] + [
        _deepest_accepted(make, MAX_OPERATORS) for make in CHAINS.values()]
    done = subprocess.run([sys.executable, "-c", "\n".join(script)], input="\0".join(queries), capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "ok", (done.returncode, done.stderr[-500:])
    for make in CRASHERS.values():
        with pytest.raises(QueryTooDeep):
            check_query(make(MAX_DEPTH + 2))


# --- syntax errors in plain words ---------------------------------------------------------------------------

def explain(text: str) -> str:
    try:
        check_query(text)
        ox.Store().query(text)
    except SyntaxError as exc:
        return str(syntax_error(exc, text))
    except Exception as exc:  # noqa: BLE001 - the checks' own errors
        return str(exc)
    raise AssertionError(f"no error for {text!r}")


@pytest.mark.parametrize(("query", "message"), [
    ("SELEC ?x WHERE { ?x ?p ?o }",
     "at line 1, column 1: expected a query form: SELECT, CONSTRUCT, ASK or DESCRIBE, found 'SELEC'"),
    ("# hello\nPREFIX x: <urn:x>\n  nonsense { }", "at line 3, column 3: expected a query form"),
    ("SELECT ?x WHERE { ?x rdfs:label ?o }", "at line 1, column 22: undeclared prefix rdfs:; add: PREFIX rdfs: "
                                             "<http://www.w3.org/2000/01/rdf-schema#>"),
    ("SELECT ?x WHERE { ?x ?p ?o } GROUP BY", "the query ends after BY; expected a variable or an expression"),
    ("SELECT ?x WHERE { ?x ?p ?o } ORDER", "the query ends after ORDER; expected BY"),
    ("SELECT ?x WHERE {\n ?x ?p \"open }", "at line 2, column 8: string not closed"),
    ("SELECT * { ?s ?p ?o } }", "'}' closes nothing"),
    ("SELECT ?x WHERE { ?x ?p ?o FILTER(?o > 1 }", "'}' does not match the '(' opened at line 1, column 34"),
    ("SELECT ?x WHERE { ?x ?p ?o FILTER(?o = ) }", "expected an expression after '='"),
    ("SELECT WHERE { ?x ?p ?o }", "SELECT needs the variables to return (or *) before 'WHERE'"),
    ("SELECT ?x WHERE { ?x ?p ?o . . }", "two '.' in a row"),
    ("SELECT ?x WHERE { ?x <a b> ?o }", "at line 1, column 22: not a valid IRI"),
    ("SELECT ?x WHERE {\n  ?x ?y }", "at line 2, column 9: a triple pattern needs a subject, a predicate and an "
                                     "object; this one ends after '?y'"),
    ("ASK { ?s ?p ?o } LIMIT 1 OFFSET", "the query ends after OFFSET; expected a number"),
])
def test_syntax_errors_in_plain_words(query, message):
    text = explain(query)
    assert message in text, text
    assert text.startswith("SPARQL syntax error at line ")
    assert "..=" not in text and "\\u{" not in text and "[_]" not in text  # no raw character ranges
    line = int(text.split("line ", 1)[1].split(",")[0])
    assert f"\n  {line} | " in text  # the line itself is shown, with a caret under the place


def test_an_update_is_named_as_such():
    for text in ("INSERT DATA { <a:b> <a:c> <a:d> }", "PREFIX x: <urn:x>\nDELETE WHERE { ?s ?p ?o }"):
        with pytest.raises(UpdateRefused, match=r"this is a SPARQL Update \((INSERT|DELETE)\), not a query"):
            diagnose(text)
        assert "SPARQL Update" in explain(text)


def test_a_nul_byte_is_refused():
    with pytest.raises(QuerySyntaxError, match="NUL"):
        check_query("ASK {}\x00")


# --- `ciro query` with bad input ----------------------------------------------------------------------------

def _ciro(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ciro.cli", *args], capture_output=True, input=stdin, timeout=300)


def _one_clear_line(done: subprocess.CompletedProcess, expected: str) -> None:
    err = done.stderr.decode()
    assert done.returncode == 1, (done.returncode, err)
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert expected in err, err


def test_cli_bad_inputs_get_one_clear_line(fresh_release, tmp_path):
    binary = tmp_path / "query.rq"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    _one_clear_line(_ciro("query", "--ontology", str(fresh_release), str(binary)), "is not UTF-8 text (byte 0x89")
    nul = tmp_path / "nul.rq"
    nul.write_bytes(b"ASK {}\x00\x00")
    _one_clear_line(_ciro("query", "--ontology", str(fresh_release), str(nul)), "holds NUL bytes")
    _one_clear_line(_ciro("query", "--ontology", str(fresh_release), "-", stdin=b"\xff\xfe A"),
                    "standard input is not UTF-8 text")
    _one_clear_line(_ciro("query", "--ontology", str(fresh_release), str(tmp_path / "missing.rq")),
                    "cannot read")
    deep = "SELECT * WHERE " + "{" * 5000 + " ?s ?p ?o " + "}" * 5000
    _one_clear_line(_ciro("query", "--ontology", str(fresh_release), deep), "nested more than 64 deep")
    deep_bnodes = "SELECT * WHERE { ?s ?p " + "[ ?p " * 5000 + "?o" + " ]" * 5000 + " }"
    _one_clear_line(_ciro("query", "--ontology", str(fresh_release), "-", stdin=deep_bnodes.encode()),
                    "nested more than 64 deep")


def test_cli_a_long_one_line_query_is_a_query_not_a_path(fresh_release):
    values = " ".join(f"<https://w3id.org/ciro/CIRO_{n:07d}>" for n in range(200, 230))
    query = f"SELECT (COUNT(?t) AS ?n) WHERE {{ VALUES ?t {{ {values} }} ?t ?p ?o }}"
    assert len(query.encode()) > 255 and "\n" not in query
    done = _ciro("query", "--ontology", str(fresh_release), "--format", "csv", query)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().splitlines()[0] == "n"


def test_cli_an_unreadable_release_is_one_clear_line(fresh_release, tmp_path):
    release = tmp_path / "ontology"
    shutil.copytree(fresh_release, release)
    (release / "ciro.ttl").write_text("@prefix x: <urn:x#> .\nx:a x:b \"never closed .\n", encoding="utf-8")
    _one_clear_line(_ciro("query", "--ontology", str(release), "ASK {}"), "ciro.ttl: not readable as Turtle")
    _one_clear_line(_ciro("serve", "--ontology", str(release), "--port", "0"), "ciro.ttl: not readable as Turtle")
    (release / "ciro.ttl").write_bytes(b"\x89PNG\x00\x00")
    _one_clear_line(_ciro("query", "--ontology", str(release), "ASK {}"), "ciro.ttl: not readable as Turtle")


def test_cli_port_out_of_range_is_a_usage_error():
    done = _ciro("serve", "--port", "70000")
    err = done.stderr.decode()
    assert done.returncode == 2 and "Traceback" not in err
    assert "Invalid value for '--port': 70000 is not in the range 0<=x<=65535" in err


def test_cli_table_says_when_it_shortened_a_cell(fresh_release):
    query = ("PREFIX cirovocab: <https://w3id.org/ciro/vocab/>\n"
             "SELECT ?quote WHERE { ?e cirovocab:quote ?quote } ORDER BY DESC(STRLEN(?quote)) LIMIT 3")
    full = _ciro("query", "--ontology", str(fresh_release), "--format", "csv", query).stdout.decode()
    quotes = [line.strip('"') for line in full.splitlines()[1:]]
    assert all(len(q) > 40 for q in quotes)
    table = _ciro("query", "--ontology", str(fresh_release), "--max-width", "40", query).stdout.decode()
    rows = table.splitlines()[2:-1]
    for row, quote in zip(rows, quotes, strict=True):
        kept, marker = row.split("…[+")
        assert quote.startswith(kept) and len(row) <= 40
        assert int(marker.rstrip("]")) == len(quote) - len(kept)  # the number of characters left out
    assert "3 cells shortened to 40 characters" in table.splitlines()[-1]
    assert "--no-truncate" in table.splitlines()[-1]
    whole = _ciro("query", "--ontology", str(fresh_release), "--no-truncate", query).stdout.decode()
    assert "…[+" not in whole and "shortened" not in whole
    assert quotes[0] in whole


# What issue 18 met, as `ciro query` prints it: one plain sentence with line, column and what was expected, the
# line itself with a caret, no raw character ranges, exit 1.
@pytest.mark.parametrize(("query", "first_line", "caret_line"), [
    ("SELEC ?x WHERE { ?x ?p ?o }", "error: SPARQL syntax error at line 1, column 1: expected a query form: SELECT, "
     "CONSTRUCT, ASK or DESCRIBE, found 'SELEC'", "  1 | SELEC ?x WHERE { ?x ?p ?o }"),
    ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", "error: line 1, column 1: this is a SPARQL Update (INSERT), not a "
     "query: the release is read-only (expected a query form: SELECT, CONSTRUCT, ASK or DESCRIBE)", None),
    ("PREFIX v: <https://w3id.org/ciro/vocab/>\nSELECT ?m WHERE {\n  ?m a v:ResistanceMechanism\n} GROUP BY",
     "error: SPARQL syntax error at line 4, column 11: the query ends after BY; expected a variable or an "
     "expression", "  4 | } GROUP BY"),
    ("SELECT ?m ?l WHERE {\n  ?m rdfs:label ?l }", "error: SPARQL syntax error at line 2, column 6: undeclared prefix "
     "rdfs:; add: PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>", "  2 |   ?m rdfs:label ?l }"),
])
def test_cli_syntax_errors_in_plain_words(fresh_release, query, first_line, caret_line):
    done = _ciro("query", "--ontology", str(fresh_release), query)
    err = done.stderr.decode()
    assert done.returncode == 1 and done.stdout == b"", err
    lines = err.splitlines()
    assert lines[0] == first_line, err
    if caret_line:
        assert lines[1] == caret_line and lines[2].strip().startswith("| ") and lines[2].rstrip().endswith("^")
        column = int(first_line.split("column ", 1)[1].split(":")[0])
        assert lines[2].index("^") - lines[2].index("|") - 1 == column  # the caret stands under that column
    assert "..=" not in err and "\\u{" not in err and "Traceback" not in err
