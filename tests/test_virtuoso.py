"""A real triple store: Virtuoso Open Source started on loopback from a private folder, the release
bulk-loaded into a named graph, every competency question answered through `ciro query --endpoint` exactly
as on the embedded store, then the server stopped.

Needs Virtuoso (Debian package virtuoso-opensource-7-bin); installed here with apt-get when running as root,
skipped (with the reason) only where it cannot be installed.
"""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from ciro.cli import main
from ciro.query import RELEASE_GRAPH, canonical_rows, canonical_term, load_store, run_query, run_remote
from ciro.query.triplestore import TripleStoreError, Virtuoso, VirtuosoUnavailable, install_virtuoso, process_alive
from ciro.query.triplestore import main as triplestore_main

from .test_queries import EXPECTED, NAMES, QUERIES


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory, fresh_release):
    """A private Virtuoso holding the release in RELEASE_GRAPH, driven as scripts/virtuoso.sh drives it."""
    try:
        install_virtuoso()
    except VirtuosoUnavailable as exc:
        pytest.skip(f"Virtuoso cannot be installed here: {exc}")
    folder = tmp_path_factory.mktemp("virtuoso")
    assert triplestore_main(["start", str(folder), "--http-port", "0"]) == 0
    server = Virtuoso.attach(folder)
    try:
        assert triplestore_main(["load", str(folder), "--ontology", str(fresh_release)]) == 0
        yield server
    finally:
        pid = server.pid
        assert triplestore_main(["stop", str(folder)]) == 0
        assert not process_alive(pid), "Virtuoso still running after stop"


@pytest.fixture(scope="module")
def store(fresh_release):
    return load_store(fresh_release)


def test_runs_on_loopback_from_its_own_folder(virtuoso):
    assert virtuoso.sparql_url.startswith("http://127.0.0.1:")
    ini = (virtuoso.folder / "virtuoso.ini").read_text()
    assert f"ServerPort           = 127.0.0.1:{virtuoso.http_port}" in ini
    assert "ResultSetMaxRows           = 1000000" in ini
    assert (virtuoso.folder / "db" / "virtuoso.db").is_file()


def test_the_whole_release_is_loaded_into_the_named_graph(virtuoso, store):
    # Both files, duplicates merged (the embedded store holds the same union).
    assert virtuoso.count(RELEASE_GRAPH) == len(store)


@pytest.mark.parametrize("name", NAMES)
def test_every_question_through_ciro_query_endpoint(virtuoso, store, name):
    path = QUERIES / name
    ours = run_query(store, path.read_text(encoding="utf-8"))
    out = CliRunner().invoke(main, ["query", "--endpoint", virtuoso.sparql_url, "--graph", RELEASE_GRAPH,
                                    "--format", "json", str(path)], catch_exceptions=False)
    assert out.exit_code == 0, out.output
    assert "warning" not in out.output
    if ours.kind == "graph":
        triples = [q.triple for q in ox.parse(out.output.encode(), format=ox.RdfFormat.TURTLE)]
        key = lambda t: tuple(canonical_term(x) for x in (t.subject, t.predicate, t.object))  # noqa: E731
        assert {key(t) for t in triples} == {key(t) for t in ours.triples}
        assert len(triples) == len(EXPECTED[name])
        return
    data = json.loads(out.output)
    if ours.kind == "ask":
        assert data["boolean"] is ours.boolean is EXPECTED[name]
        return
    theirs = run_remote(virtuoso.sparql_url, path.read_text(encoding="utf-8"), graph=RELEASE_GRAPH)
    assert data["head"]["vars"] == list(ours.variables) == list(theirs.variables)
    assert len(data["results"]["bindings"]) == len(ours.rows) == len(EXPECTED[name])
    assert canonical_rows(theirs) == canonical_rows(ours)


def test_long_answers_are_not_truncated(virtuoso, store):
    # Virtuoso's default ResultSetMaxRows (10 000) would silently cut this answer.
    query = "SELECT ?copy ?s ?p WHERE { VALUES ?copy { 1 2 3 } ?s ?p ?o }"  # every triple, three times
    expected = len(run_query(store, query).rows)
    assert expected > 10000
    result = run_remote(virtuoso.sparql_url, query, graph=RELEASE_GRAPH)
    assert len(result.rows) == expected and not result.warning
    assert canonical_rows(result) == canonical_rows(run_query(store, query))


def test_updates_over_http_are_refused(virtuoso):
    from ciro.query import QueryError

    with pytest.raises(QueryError):
        run_remote(virtuoso.sparql_url, "INSERT DATA { GRAPH <urn:x> { <urn:a> <urn:b> <urn:c> } }")
    import urllib.error
    import urllib.parse
    import urllib.request

    data = urllib.parse.urlencode({"query": "INSERT DATA { GRAPH <urn:x> { <urn:a> <urn:b> <urn:c> } }"}).encode()
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(urllib.request.Request(virtuoso.sparql_url, data=data), timeout=30)
    assert virtuoso.count("urn:x") == 0


def test_syntax_errors_come_back_as_clear_messages(virtuoso):
    out = CliRunner().invoke(main, ["query", "--endpoint", virtuoso.sparql_url, "SELECT ?x WHERE { ?x"])
    assert out.exit_code == 1
    assert "answered 400" in out.output and "syntax error" in out.output and "Traceback" not in out.output


def test_stop_refuses_a_process_that_is_not_ours(tmp_path):
    import os

    (tmp_path / "state.json").write_text(json.dumps({"pid": os.getpid(), "sql_port": 1, "http_port": 2,
                                                     "password": "x"}))
    with pytest.raises(TripleStoreError, match="not the Virtuoso"):
        Virtuoso.attach(tmp_path).stop()
