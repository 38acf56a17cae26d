"""`ciro serve` over real HTTP (urllib against a subprocess on a free loopback port): the SPARQL 1.1
Protocol endpoint, its bounds, dereferenceable terms, VoID, downloads, and HTML escaping."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from ciro.query import canonical_rows, canonical_term, load_store, run_query, run_remote

from .conftest import copy_project, stop_process
from .test_queries import EXPECTED, NAMES, QUERIES

TIME_LIMIT = 2.0
MAX_RESULTS = 500
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # ~6e10 solutions: never finishes
RESULTS_NS = {"s": "http://www.w3.org/2005/sparql-results#"}


@contextlib.contextmanager
def running_server(ontology: Path, *extra: str):
    """`ciro serve` on a free loopback port; yields its base URL; stops it (and its workers) afterwards."""
    process = subprocess.Popen(
        [sys.executable, "-m", "ciro.cli", "serve", "--ontology", str(ontology), "--port", "0", "--quiet",
         "--time-limit", str(TIME_LIMIT), "--max-results", str(MAX_RESULTS), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        if "/sparql" not in line:
            process.kill()
            raise RuntimeError(f"ciro serve did not start: {line}{process.stderr.read()}")
        url = line.split(" at ", 1)[1].split()[0]
        assert url.startswith("http://127.0.0.1:")
        yield url.removesuffix("/sparql")
    finally:
        stop_process(process)


@pytest.fixture(scope="module")
def base(fresh_release):
    with running_server(fresh_release) as url:
        yield url


@pytest.fixture(scope="module")
def store(fresh_release):
    return load_store(fresh_release)


def fetch(url: str, *, accept: str | None = None, data: bytes | None = None, content_type: str | None = None,
          method: str | None = None, timeout: float = 30):
    """(status, content type, headers, body bytes) of one request; HTTP errors are answers, not exceptions."""
    headers = {}
    if accept:
        headers["Accept"] = accept
    if content_type:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers.get_content_type(), response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get_content_type(), exc.headers, exc.read()


def get_query(base: str, query: str, accept: str | None = None, **params: str):
    return fetch(f"{base}/sparql?" + urllib.parse.urlencode({"query": query, **params}), accept=accept)


def test_started_on_loopback(base):
    assert base.startswith("http://127.0.0.1:")


# --- the SPARQL endpoint ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_every_question_through_the_endpoint(base, store, name):
    text = (QUERIES / name).read_text(encoding="utf-8")
    ours, theirs = run_query(store, text), run_remote(f"{base}/sparql", text)
    assert theirs.kind == ours.kind and not theirs.warning
    if ours.kind == "select":
        assert theirs.variables == ours.variables
        assert canonical_rows(theirs) == canonical_rows(ours)
        assert len(theirs.rows) == len(EXPECTED[name])
    elif ours.kind == "ask":
        assert theirs.boolean is ours.boolean is EXPECTED[name]
    else:
        key = lambda t: tuple(canonical_term(x) for x in (t.subject, t.predicate, t.object))  # noqa: E731
        assert {key(t) for t in theirs.triples} == {key(t) for t in ours.triples}
        assert len(theirs.triples) == len(EXPECTED[name])


NANOG = (QUERIES / "what-nanog-drives.rq").read_text(encoding="utf-8")


def test_get_with_results_formats_by_accept(base):
    status, media, headers, body = get_query(base, NANOG, "application/sparql-results+json")
    assert (status, media) == (200, "application/sparql-results+json")
    assert len(json.loads(body)["results"]["bindings"]) == 4
    assert "Accept" in headers.get("Vary", "")
    status, media, _, body = get_query(base, NANOG, "application/sparql-results+xml")
    assert (status, media) == (200, "application/sparql-results+xml")
    assert len(ET.fromstring(body).findall("s:results/s:result", RESULTS_NS)) == 4
    status, media, _, body = get_query(base, NANOG, "text/csv")
    assert (status, media) == (200, "text/csv")
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert rows[0] == ["mechanismLabel", "phenotype", "phenotypeLabel"] and len(rows) == 5
    assert body.endswith(b"\r\n")
    status, media, _, body = get_query(base, NANOG, "text/tab-separated-values")
    assert (status, media) == (200, "text/tab-separated-values")
    lines = body.decode().splitlines()
    assert lines[0] == "?mechanismLabel\t?phenotype\t?phenotypeLabel"
    assert "\t<https://w3id.org/ciro/CIRO_0000183>\t" in "\n".join(lines)
    # No Accept header: JSON; a browser's Accept (*/* at low q): JSON; ?format= wins over Accept.
    assert get_query(base, NANOG)[1] == "application/sparql-results+json"
    assert get_query(base, NANOG, "text/html,application/xhtml+xml,*/*;q=0.8")[1] == "application/sparql-results+json"
    assert get_query(base, NANOG, "application/sparql-results+json", format="csv")[1] == "text/csv"
    assert get_query(base, NANOG, "image/png")[0] == 406


def test_post_form_and_post_query_body(base):
    form = urllib.parse.urlencode({"query": NANOG}).encode()
    status, media, _, body = fetch(f"{base}/sparql", data=form, content_type="application/x-www-form-urlencoded",
                                   accept="application/sparql-results+json")
    assert (status, media) == (200, "application/sparql-results+json") and len(json.loads(body)["results"][
        "bindings"]) == 4
    status, media, _, body = fetch(f"{base}/sparql", data=NANOG.encode(), content_type="application/sparql-query",
                                   accept="text/csv")
    assert (status, media) == (200, "text/csv") and len(body.decode().splitlines()) == 5
    status, _, _, body = fetch(f"{base}/sparql", data=b"query=ASK%20%7B%7D", content_type="text/plain")
    assert status == 415


def test_ask_and_construct_answers(base):
    status, media, _, body = get_query(base, "ASK { ?s ?p ?o }", "application/sparql-results+json")
    assert (status, media) == (200, "application/sparql-results+json") and json.loads(body)["boolean"] is True
    status, _, _, body = get_query(base, "ASK { ?s ?p ?o }", "application/sparql-results+xml")
    assert ET.fromstring(body).find("s:boolean", RESULTS_NS).text == "true"
    import pyoxigraph as ox

    construct = (QUERIES / "mechanism-target-countermeasure.rq").read_text(encoding="utf-8")
    expected = len(EXPECTED["mechanism-target-countermeasure.rq"])
    for accept, fmt in (("text/turtle", ox.RdfFormat.TURTLE), ("application/n-triples", ox.RdfFormat.N_TRIPLES),
                        ("application/rdf+xml", ox.RdfFormat.RDF_XML), ("application/ld+json", ox.RdfFormat.JSON_LD)):
        status, media, _, body = get_query(base, construct, accept)
        assert (status, media) == (200, accept)
        assert len(list(ox.parse(body, format=fmt))) == expected


def test_malformed_query_is_400_in_plain_words(base):
    status, media, _, body = get_query(base, "SELECT ?x WHERE {\n  ?x <a:b> \"unterminated .\n}")
    assert (status, media) == (400, "text/plain")
    text = body.decode()
    assert text.startswith("SPARQL syntax error at line 2, column 12: string not closed")
    assert '  2 |   ?x <a:b> "unterminated .' in text
    # What issue 18 saw: an undeclared prefix answered "expected OPTIONAL"; a bad form "expected CONSTRUCT".
    text = get_query(base, "SELECT ?l WHERE { ?x rdfs:label ?l }")[3].decode()
    assert "line 1, column 22: undeclared prefix rdfs:" in text and "OPTIONAL" not in text
    text = get_query(base, "SELEC ?x WHERE { ?x ?p ?o }")[3].decode()
    assert "expected a query form: SELECT, CONSTRUCT, ASK or DESCRIBE" in text
    text = get_query(base, "SELECT ?x WHERE { ?x ?p ?o } GROUP BY")[3].decode()
    assert "the query ends after BY" in text and "..=" not in text and "\\u{" not in text


def test_updates_are_refused(base):
    update = "INSERT DATA { <urn:a> <urn:b> <urn:c> }"
    status, _, _, body = fetch(f"{base}/sparql", data=urllib.parse.urlencode({"update": update}).encode(),
                               content_type="application/x-www-form-urlencoded")
    assert status == 403 and b"read-only" in body
    status, _, _, _ = fetch(f"{base}/sparql", data=update.encode(), content_type="application/sparql-update")
    assert status == 403
    status, _, _, body = get_query(base, update)
    assert status == 403 and b"SPARQL Update (INSERT), not a query" in body and b"line 1, column 1" in body
    assert get_query(base, "PREFIX x: <urn:x#>\nDELETE WHERE { ?s ?p ?o }")[0] == 403
    assert fetch(f"{base}/sparql", method="PUT", data=b"")[0] == 405
    # The data is unchanged.
    status, _, _, body = get_query(base, "ASK { <urn:a> ?p ?o }", "application/sparql-results+json")
    assert json.loads(body)["boolean"] is False


def test_time_limit_is_honoured_and_the_endpoint_recovers(base):
    started = time.monotonic()
    status, _, _, body = get_query(base, SLOW, "application/sparql-results+json")
    elapsed = time.monotonic() - started
    assert status == 503 and b"time limit" in body
    assert TIME_LIMIT <= elapsed < TIME_LIMIT + 5
    # The stopped worker is replaced: the endpoint keeps answering.
    for _ in range(3):
        assert get_query(base, "ASK { ?s ?p ?o }")[0] == 200


def test_result_cap_cuts_and_flags_long_answers(base, store):
    total = len(store)
    status, _, headers, body = get_query(base, "SELECT * WHERE { ?s ?p ?o }", "application/sparql-results+json")
    assert total > MAX_RESULTS
    assert status == 200 and len(json.loads(body)["results"]["bindings"]) == MAX_RESULTS
    assert str(MAX_RESULTS) in headers["X-CIRO-Truncated"]
    status, _, headers, body = get_query(base, "SELECT * WHERE { ?s ?p ?o } LIMIT 10")
    assert "X-CIRO-Truncated" not in headers and len(json.loads(body)["results"]["bindings"]) == 10
    truncated = run_remote(f"{base}/sparql", "SELECT * WHERE { ?s ?p ?o }")
    assert truncated.warning and len(truncated.rows) == MAX_RESULTS


def test_default_graph_uri_names_the_release(base):
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    count = lambda *params: json.loads(get_query(base, query, None, **dict(params))[3])[  # noqa: E731
        "results"]["bindings"][0]["n"]["value"]
    assert count() == count(("default-graph-uri", "https://w3id.org/ciro/ciro.owl")) != "0"
    assert count(("default-graph-uri", "urn:x-no-such-graph")) == "0"


def test_service_description_and_form(base):
    status, media, _, body = fetch(f"{base}/sparql", accept="text/turtle")
    assert (status, media) == (200, "text/turtle")
    assert b"sd:SPARQL11Query" in body and f"<{base}/sparql>".encode() in body
    status, media, _, body = fetch(f"{base}/sparql", accept="text/html")
    assert (status, media) == (200, "text/html") and b"<form" in body


# --- terms, VoID, downloads -------------------------------------------------------------------------------

JAK = "/CIRO_0000261"


def test_term_page_html(base):
    status, media, headers, body = fetch(base + JAK, accept="text/html")
    assert (status, media) == (200, "text/html")
    page = body.decode()
    assert "<h1>JAK1/2 loss-of-function mutations</h1>" in page
    assert "Loss-of-function mutations of the kinases JAK1 and JAK2" in page  # definition
    assert '<a href="/vocab/ResistanceMechanism">' in page  # type
    assert '<a href="/CIRO_0000230">immunotherapy resistance</a>' in page  # broader mechanism
    assert '<a href="/CIRO_0000115">JAK1</a>' in page  # linked target
    assert "<blockquote>Genetic mutations such as PTEN loss, JAK1/2 loss-of-function mutations" in page  # evidence
    assert '<a href="https://pubmed.ncbi.nlm.nih.gov/31205532/">' in page
    assert '<a href="https://doi.org/10.7150/jca.26481">' in page
    assert headers["Content-Location"] == JAK + ".html"
    # Every linked CIRO term resolves on this server.
    for href in sorted({h.split('"')[0] for h in page.split('href="/CIRO_')[1:]})[:10]:
        assert fetch(f"{base}/CIRO_{href}", accept="text/html")[0] == 200


def test_term_in_rdf_formats(base):
    import pyoxigraph as ox

    subject = ox.NamedNode("https://w3id.org/ciro" + JAK)
    for accept, fmt in (("text/turtle", ox.RdfFormat.TURTLE), ("application/ld+json", ox.RdfFormat.JSON_LD),
                        ("application/rdf+xml", ox.RdfFormat.RDF_XML),
                        ("application/n-triples", ox.RdfFormat.N_TRIPLES)):
        status, media, _, body = fetch(base + JAK, accept=accept)
        assert (status, media) == (200, accept)
        triples = [q.triple for q in ox.parse(body, format=fmt)]
        labels = [t.object.value for t in triples if t.subject == subject and t.predicate.value.endswith("#label")]
        assert labels == ["JAK1/2 loss-of-function mutations"]
        quotes = [t for t in triples if t.predicate.value == "https://w3id.org/ciro/vocab/quote"]
        assert len(quotes) == 7  # its evidence items come along (two for loss of function of JAK1 and JAK2)
    assert fetch(base + JAK + ".ttl")[1] == "text/turtle"
    assert fetch(base + JAK + ".jsonld")[1] == "application/ld+json"
    assert fetch(base + "/vocab/ResistanceMechanism", accept="text/html")[0] == 200


def test_terms_also_at_the_static_sites_paths(base):
    """/terms/CIRO_n(.ext), where the site has its term pages and the w3id.org rules redirect to."""
    for suffix in (".ttl", ".rdf", ".jsonld", ".nt", ".html"):
        assert fetch(base + "/terms" + JAK + suffix)[3] == fetch(base + JAK + suffix)[3], suffix
    assert fetch(base + "/terms" + JAK, accept="text/turtle")[:2] == (200, "text/turtle")
    assert fetch(base + "/terms/vocab/ResistanceMechanism")[0] == 404  # vocabulary IRIs keep /vocab/


def test_unknown_terms_and_paths_are_404(base):
    assert fetch(base + "/CIRO_9999999")[0] == 404
    assert fetch(base + "/CIRO_0000261.exe")[0] == 404
    assert fetch(base + "/vocab/NoSuchClass")[0] == 404
    assert fetch(base + "/nothing/here")[0] == 404
    assert fetch(base + "/ontology/../../etc/passwd")[0] == 404
    assert fetch(base + JAK, method="POST", data=b"x", content_type="text/plain")[0] == 405


def test_void_description(base, store):
    import pyoxigraph as ox

    status, media, _, body = fetch(base + "/.well-known/void", accept="text/turtle")
    assert (status, media) == (200, "text/turtle")
    triples = [q.triple for q in ox.parse(body, format=ox.RdfFormat.TURTLE)]
    void = "http://rdfs.org/ns/void#"
    by_predicate = {}
    for t in triples:
        by_predicate.setdefault(t.predicate.value, []).append(t.object)
    assert by_predicate[void + "sparqlEndpoint"] == [ox.NamedNode(f"{base}/sparql")]
    assert int(by_predicate[void + "triples"][0].value) == len(store)
    dumps = {o.value for o in by_predicate[void + "dataDump"]}
    assert f"{base}/ontology/ciro.owl" in dumps and f"{base}/ontology/ciro.ttl" in dumps
    for dump in dumps:
        assert fetch(dump)[0] == 200
    assert ox.NamedNode("https://w3id.org/ciro/vocab/ResistanceMechanism") in by_predicate[void + "class"]
    assert fetch(base + "/.well-known/void", accept="application/ld+json")[1] == "application/ld+json"


def test_release_downloads(base, fresh_release):
    for name, media in (("ciro.owl", "application/rdf+xml"), ("ciro.ttl", "text/turtle"),
                        ("ciro.jsonld", "application/ld+json"), ("imports/ciro-external.owl", "application/rdf+xml"),
                        ("catalog-v001.xml", "application/xml"), ("release-manifest.json", "application/json"),
                        ("ciro-simple.owl", "application/rdf+xml"), ("ciro.obo", "text/obo"),
                        ("ciro.json", "application/json"), ("ciro.sssom.tsv", "text/tab-separated-values")):
        status, got, _, body = fetch(f"{base}/ontology/{name}")
        assert (status, got) == (200, media), name
        assert body == (fresh_release / name).read_bytes()
    # The ontology IRIs (https://w3id.org/ciro/ciro.owl ...) map to the same files.
    assert fetch(f"{base}/ciro.owl")[3] == (fresh_release / "ciro.owl").read_bytes()
    assert fetch(f"{base}/imports/ciro-external.owl")[0] == 200
    status, media, _, body = fetch(f"{base}/")
    assert (status, media) == (200, "text/html") and b"/ontology/ciro.owl" in body and b"/CIRO_0000261" in body


def test_head_requests(base):
    status, media, headers, body = fetch(base + JAK, method="HEAD", accept="text/turtle")
    assert (status, media, body) == (200, "text/turtle", b"") and int(headers["Content-Length"]) > 0


# --- hostile text is escaped ------------------------------------------------------------------------------

HOSTILE_LABEL = "<script>alert(1)</script>"
HOSTILE_DEFINITION = "\"><img src=x onerror=alert(2)> & 'quoted'"


def test_hostile_labels_are_escaped(tmp_path):
    from ciro.release import build_release

    layout = copy_project(tmp_path)
    record = layout.instances / "targets" / "cblb.yaml"
    data = yaml.safe_load(record.read_text(encoding="utf-8"))
    assert data["id"] == "CIRO:0000119" and data["label"] == "CBLB"
    data["label"] = HOSTILE_LABEL
    data["definition"] = HOSTILE_DEFINITION + " " + data["definition"]
    data["synonyms"] = [*data.get("synonyms", []), "</td></table><script>alert(3)</script>"]
    record.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "ontology"
    build_release(layout, out, progress=lambda _line: None)
    with running_server(out) as url:
        status, media, _, body = fetch(url + "/CIRO_0000119", accept="text/html")
        assert (status, media) == (200, "text/html")
        page = body.decode()
        assert HOSTILE_LABEL not in page and "<img" not in page and "alert(3)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "&quot;&gt;&lt;img src=x onerror=alert(2)&gt; &amp; &#x27;quoted&#x27;" in page
        # Pages that link to the hostile term escape its label too.
        linking = fetch(url + "/CIRO_0000267", accept="text/html")[3].decode()  # Cbl-b deficiency
        assert '<a href="/CIRO_0000119">&lt;script&gt;alert(1)&lt;/script&gt;</a>' in linking
        assert HOSTILE_LABEL not in linking
        index = fetch(url + "/")[3].decode()
        assert HOSTILE_LABEL not in index and "&lt;script&gt;" in index


def test_ciro_query_endpoint_against_ciro_serve(base):
    from click.testing import CliRunner

    from ciro.cli import main

    out = CliRunner().invoke(main, ["query", "--endpoint", f"{base}/sparql", "--format", "csv",
                                    str(QUERIES / "what-nanog-drives.rq")], catch_exceptions=False)
    assert out.exit_code == 0 and len(out.output.splitlines()) == 5
    out = CliRunner().invoke(main, ["query", "--endpoint", f"{base}/sparql", "SELECT ?x WHERE { ?x"])
    assert out.exit_code == 1 and "answered 400" in out.output and "SPARQL syntax error at line 1" in out.output


def test_term_page_is_a_pure_function_of_the_store(store):
    """What a static site calls: its own href for links; only http(s) IRIs and local paths become links."""
    import pyoxigraph as ox

    from ciro.web.pages import render_term_page

    jak = "https://w3id.org/ciro/CIRO_0000115"
    scratch = ox.Store()
    scratch.extend(store.quads_for_pattern(None, None, None, None))
    scratch.add(ox.Quad(ox.NamedNode(jak), ox.NamedNode("http://www.w3.org/2004/02/skos/core#exactMatch"),
                        ox.NamedNode("javascript:alert(1)")))
    page = render_term_page(scratch, jak, href=lambda iri: iri.rsplit("/", 1)[-1] + ".html"
                            if iri.startswith("https://w3id.org/ciro/") else iri)
    assert page == render_term_page(scratch, jak, href=lambda iri: iri.rsplit("/", 1)[-1] + ".html"
                                    if iri.startswith("https://w3id.org/ciro/") else iri)
    assert '<a href="CIRO_0000261.html">JAK1/2 loss-of-function mutations</a>' in page  # referenced by
    assert '<a href="http://identifiers.org/hgnc/6190">' in page
    assert 'href="javascript:' not in page and "javascript:alert(1)" in page
