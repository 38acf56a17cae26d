"""`ciro serve` as a bioinformatician's client sees it, held against the reference server: SPARQLWrapper (the
Python client most SPARQL users script with) asks every competency question of `ciro serve` and of
`oxigraph serve-read-only` (PyPI `oxigraph`: the same engine behind its own Rust HTTP server) loaded with the
same release files, in each result format and by each protocol method, and the two answers must be equal.
What only `ciro serve` refuses (SERVICE, updates) is checked to reach SPARQLWrapper as the error class it
raises for a bad request, with CIRO's message."""

from __future__ import annotations

import contextlib
import csv
import io
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from ciro.query.store import store_files

from .conftest import stop_process
from .test_queries import EXPECTED, NAMES, QUERIES
from .test_serve import running_server

SPARQLWrapper = pytest.importorskip("SPARQLWrapper")
from SPARQLWrapper import CSV, JSON, POST, TURTLE, XML, SPARQLWrapper2  # noqa: E402
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed  # noqa: E402

OXIGRAPH = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))


@contextlib.contextmanager
def oxigraph_server(ontology: Path, scratch: Path):
    """`oxigraph serve-read-only` on a free loopback port holding the files `ciro serve` loads; its /query URL."""
    from ciro.bench.endpoint import _free_port, _wait_ready

    location = scratch / "oxigraph-store"
    for path, fmt in store_files(ontology):
        media = {"turtle": "text/turtle", "rdfxml": "application/rdf+xml"}[fmt]
        subprocess.run([OXIGRAPH, "load", "--location", str(location), "--file", str(path), "--format", media],
                       check=True, capture_output=True, timeout=600)
    port = _free_port()
    process = subprocess.Popen([OXIGRAPH, "serve-read-only", "--location", str(location), "--bind",
                                f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_ready(f"http://127.0.0.1:{port}/query", process, timeout=120)
        yield f"http://127.0.0.1:{port}/query"
    finally:
        stop_process(process)


@pytest.fixture(scope="module")
def endpoints(fresh_release, tmp_path_factory):
    if not Path(OXIGRAPH).is_file():
        pytest.skip("the `oxigraph` command (PyPI oxigraph, a test dependency) is not installed")
    with running_server(fresh_release) as ciro, oxigraph_server(fresh_release, tmp_path_factory.mktemp("oxi")) as oxi:
        yield {"ciro": f"{ciro}/sparql", "oxigraph": oxi}


def _client(url: str, query: str, fmt, method: str | None = None) -> SPARQLWrapper.SPARQLWrapper:
    client = SPARQLWrapper.SPARQLWrapper(url)
    client.setQuery(query)
    client.setReturnFormat(fmt)
    if method:
        client.setMethod(method)
    return client


def _json_rows(result: dict) -> tuple[tuple, Counter]:
    """(variables, rows as a multiset) of a SPARQL JSON result, order-free; blank node labels are dropped."""
    def term(binding: dict) -> tuple:
        kind = binding["type"]
        kind = "literal" if kind == "typed-literal" else kind  # SPARQL 1.0's name for the same thing
        value = "_:" if kind == "bnode" else binding["value"]
        datatype = binding.get("datatype")
        if datatype == "http://www.w3.org/2001/XMLSchema#string":
            datatype = None  # RDF 1.1: a simple literal is an xsd:string; servers may spell it or not
        return kind, value, binding.get("xml:lang"), datatype

    variables = tuple(sorted(result["head"].get("vars", [])))
    rows = Counter(tuple(sorted((name, term(b)) for name, b in row.items()))
                   for row in result.get("results", {}).get("bindings", []))
    return variables, rows


def _form(name: str) -> str:
    from ciro.query import query_form

    return query_form((QUERIES / name).read_text(encoding="utf-8"))


SELECTS = [n for n in NAMES if _form(n) == "SELECT"]
GRAPHS = [n for n in NAMES if _form(n) in ("CONSTRUCT", "DESCRIBE")]
ASKS = [n for n in NAMES if _form(n) == "ASK"]


@pytest.mark.parametrize("method", [None, POST])
@pytest.mark.parametrize("name", SELECTS)
def test_select_answers_equal_oxigraph_servers(endpoints, name, method):
    text = (QUERIES / name).read_text(encoding="utf-8")
    answers = {server: _json_rows(_client(url, text, JSON, method).queryAndConvert())
               for server, url in endpoints.items()}
    assert answers["ciro"] == answers["oxigraph"]
    assert sum(answers["ciro"][1].values()) == len(EXPECTED[name])


@pytest.mark.parametrize("name", SELECTS[:3])
def test_select_as_xml_and_csv_equal_oxigraph_servers(endpoints, name):
    text = (QUERIES / name).read_text(encoding="utf-8")
    # SPARQLWrapper2 reads the results into its Bindings objects (typed values): compare those.
    values = {}
    for server, url in endpoints.items():
        client = SPARQLWrapper2(url)
        client.setQuery(text)
        values[server] = Counter(tuple(sorted((v, b[v].value) for v in b)) for b in client.query().bindings)
    assert values["ciro"] == values["oxigraph"] and sum(values["ciro"].values()) == len(EXPECTED[name])
    xml = {}
    for server, url in endpoints.items():  # SPARQL Results XML, as an xml.dom document
        document = _client(url, text, XML).queryAndConvert()
        xml[server] = Counter(
            tuple(sorted((b.getAttribute("name"), b.firstChild.tagName, b.firstChild.firstChild.data
                          if b.firstChild.firstChild else "") for b in result.getElementsByTagName("binding")))
            for result in document.getElementsByTagName("result"))
    assert xml["ciro"] == xml["oxigraph"] and sum(xml["ciro"].values()) == len(EXPECTED[name])
    tables = {}
    for server, url in endpoints.items():
        body = _client(url, text, CSV).queryAndConvert()
        reader = csv.reader(io.StringIO(body.decode("utf-8") if isinstance(body, bytes) else body))
        header = next(reader)
        order = sorted(range(len(header)), key=header.__getitem__)
        tables[server] = ([header[i] for i in order], Counter(tuple(row[i] for i in order) for row in reader))
    assert tables["ciro"] == tables["oxigraph"]


@pytest.mark.parametrize("name", ASKS)
def test_ask_answers_equal_oxigraph_servers(endpoints, name):
    text = (QUERIES / name).read_text(encoding="utf-8")
    for fmt in (JSON, XML):
        answers = {server: _client(url, text, fmt).queryAndConvert() for server, url in endpoints.items()}
        if fmt == JSON:
            answers = {server: a["boolean"] for server, a in answers.items()}
        else:  # an xml.dom document
            answers = {server: a.getElementsByTagName("boolean")[0].firstChild.data for server, a in
                       answers.items()}
        assert answers["ciro"] == answers["oxigraph"]


@pytest.mark.parametrize("name", GRAPHS)
def test_graph_answers_are_isomorphic_to_oxigraph_servers(endpoints, name):
    text = (QUERIES / name).read_text(encoding="utf-8")
    graphs = {}
    for server, url in endpoints.items():
        body = _client(url, text, TURTLE).queryAndConvert()
        graphs[server] = Graph().parse(data=body, format="turtle")
    assert len(graphs["ciro"]) == len(EXPECTED[name])
    assert isomorphic(graphs["ciro"], graphs["oxigraph"])


def test_a_malformed_query_is_a_bad_request_on_both(endpoints):
    for url in endpoints.values():
        with pytest.raises(QueryBadFormed):
            _client(url, "SELECT ?x WHERE { ?x ", JSON).query()


def test_service_reaches_the_client_as_a_bad_request_with_ciros_reason(endpoints):
    # Only ciro serve is asked: oxigraph's server would send the SERVICE request (that is the point).
    query = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    with pytest.raises(QueryBadFormed) as caught:
        _client(endpoints["ciro"], query, JSON).query()
    assert "SERVICE" in str(caught.value)
