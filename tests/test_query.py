"""`ciro query` on the release: expected rows, every output format, and clear errors."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from ciro.query import QueryError, format_result, load_store, run_query

LABELS = """
PREFIX cirovocab: <https://w3id.org/ciro/vocab/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?label WHERE { ?m a cirovocab:ResistanceMechanism ; rdfs:label ?label } ORDER BY ?label
"""

JAK = """
PREFIX cirovocab: <https://w3id.org/ciro/vocab/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT DISTINCT ?mechanism WHERE {
  ?m cirovocab:involves ?t ; rdfs:label ?mechanism .
  ?t skos:exactMatch <http://identifiers.org/hgnc/6190> .
} ORDER BY ?mechanism
"""


@pytest.fixture(scope="module")
def store(fresh_release):
    return load_store(fresh_release)


def test_mechanism_labels_include_the_named_mechanisms(store):
    labels = {row[0].value for row in run_query(store, LABELS).rows}
    for name in ("PTEN loss", "JAK1/2 loss-of-function mutations", "Cbl-b deficiency"):
        assert name in labels


def test_jak1_query_finds_the_jak_mechanism(store):
    rows = [row[0].value for row in run_query(store, JAK).rows]
    assert "JAK1/2 loss-of-function mutations" in rows


def test_formats(store):
    result = run_query(store, LABELS)
    as_csv = list(csv.reader(io.StringIO(format_result(result, "csv"))))
    assert as_csv[0] == ["label"] and len(as_csv) == len(result.rows) + 1
    as_tsv = format_result(result, "tsv").splitlines()
    assert as_tsv[0] == "label" and len(as_tsv) == len(result.rows) + 1
    as_json = json.loads(format_result(result, "json"))
    assert as_json["head"]["vars"] == ["label"]
    assert len(as_json["results"]["bindings"]) == len(result.rows)
    assert as_json["results"]["bindings"][0]["label"]["type"] == "literal"
    table = format_result(result, "table")
    assert table.splitlines()[0].strip() == "label" and f"({len(result.rows)} rows)" in table


def test_construct_gives_turtle(store):
    result = run_query(store, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 3")
    assert result.kind == "graph" and "@prefix" in result.turtle or "<" in result.turtle


def test_syntax_error_names_line_and_column(store):
    with pytest.raises(QueryError) as info:
        run_query(store, "SELECT ?x WHERE {\n  ?x ?y }")
    assert str(info.value).startswith("SPARQL syntax error at line 2, column 9: a triple pattern needs a subject, "
                                      "a predicate and an object; this one ends after '?y'")


def test_cli_query_and_error(fresh_release, tmp_path):
    query_file = tmp_path / "labels.rq"
    query_file.write_text(LABELS)
    ok = subprocess.run([sys.executable, "-m", "ciro.cli", "query", "--ontology", str(fresh_release),
                         "--format", "csv", str(query_file)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "PTEN loss" in ok.stdout.splitlines()
    bad = subprocess.run([sys.executable, "-m", "ciro.cli", "query", "--ontology", str(fresh_release),
                          "SELECT ?x WHERE { ?x"], capture_output=True, text=True)
    assert bad.returncode == 1
    assert "Traceback" not in bad.stderr
    assert bad.stderr.startswith("error: SPARQL syntax error at line 1, column 17: '{' is never closed")
