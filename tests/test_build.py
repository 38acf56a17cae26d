"""`ciro build`: every artifact parses, builds are byte-identical, the committed release is current,
and a failed validation leaves the previous release untouched."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from rdflib import OWL, RDF, Graph, URIRef

from ciro.release import RELEASE_FILES, build_release

from .conftest import REPO, copy_project


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_every_release_file_is_written(fresh_release):
    for name in RELEASE_FILES:
        assert (fresh_release / name).is_file(), name


@pytest.mark.parametrize("name,fmt", [
    ("ciro.owl", "xml"), ("ciro-base.owl", "xml"), ("ciro-full.owl", "xml"),
    ("imports/ciro-external.owl", "xml"), ("ciro.ttl", "turtle"), ("ciro.jsonld", "json-ld"),
    ("ciro.shacl.ttl", "turtle"),
])
def test_rdf_artifacts_parse(fresh_release, name, fmt):
    graph = Graph().parse(fresh_release / name, format=fmt)
    assert len(graph) > 10


def _canonical(path: Path, fmt) -> set:
    """The file's triples with blank nodes relabelled by RDFC-1.0 (the W3C canonicalisation), so that two files
    hold the same graph exactly when the sets are equal. (rdflib's isomorphic() took 7 minutes here, once
    thousands of axiom annotations made as many blank nodes.)"""
    import pyoxigraph as ox

    dataset = ox.Dataset(ox.parse(path=str(path), format=fmt))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return set(dataset)


def test_serialisations_hold_the_same_graph(fresh_release):
    import pyoxigraph as ox

    owl = _canonical(fresh_release / "ciro.owl", ox.RdfFormat.RDF_XML)
    ttl = _canonical(fresh_release / "ciro.ttl", ox.RdfFormat.TURTLE)
    jsonld = _canonical(fresh_release / "ciro.jsonld", ox.RdfFormat.JSON_LD)
    assert len(owl) > 1000
    assert owl == ttl
    assert ttl == jsonld


def test_ontology_header(fresh_release):
    graph = Graph().parse(fresh_release / "ciro.owl", format="xml")
    iri = URIRef("https://w3id.org/ciro/ciro.owl")
    assert (iri, RDF.type, OWL.Ontology) in graph
    assert graph.value(iri, OWL.versionIRI) is not None
    assert (iri, OWL.imports, URIRef("https://w3id.org/ciro/imports/ciro-external.owl")) in graph


def test_json_schema_is_valid_and_accepts_a_record(fresh_release):
    schema = json.loads((fresh_release / "ciro.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    record = yaml.safe_load(next((REPO / "instances" / "mechanisms").glob("*.yaml")).read_text())
    record = json.loads(json.dumps(record, default=str))  # as JSON holds it: YAML's 2026-11-29 date is a string
    validator = jsonschema.Draft202012Validator({"$defs": schema["$defs"], "$ref": "#/$defs/ResistanceMechanism"})
    assert list(validator.iter_errors(record)) == []
    record["origin"] = "nowhere"
    assert list(validator.iter_errors(record))


def test_second_build_is_byte_identical(fresh_release, layout, tmp_path):
    again = tmp_path / "again"
    build_release(layout, again, progress=lambda _line: None)
    assert _tree(again) == _tree(fresh_release)


def test_committed_release_is_current(fresh_release):
    committed = _tree(REPO / "ontology")
    fresh = _tree(fresh_release)
    stale = sorted(name for name in set(committed) | set(fresh) if committed.get(name) != fresh.get(name))
    assert not stale, f"ontology/ is stale, run `ciro build`: {stale}"


def test_failed_validation_leaves_release_untouched(tmp_path):
    layout = copy_project(tmp_path)
    out = tmp_path / "ontology"
    build_release(layout, out, progress=lambda _line: None)
    before = _tree(out)
    broken = next((layout.instances / "mechanisms").glob("*.yaml"))
    broken.write_text(broken.read_text().replace("origin:", "origin: nowhere\nold_origin:", 1))
    result = subprocess.run(
        [sys.executable, "-m", "ciro.cli", "build", "--root", str(layout.root), "--out", str(out)],
        capture_output=True, text=True,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "ontology/ left unchanged" in result.stderr
    assert _tree(out) == before
    assert not list(tmp_path.glob(".ontology.*"))  # no half-written temporary folder left behind


def test_build_prints_a_timed_line_per_step(tmp_path):
    layout = copy_project(tmp_path)
    lines: list[str] = []
    build_release(layout, tmp_path / "out", progress=lines.append)
    steps = [line for line in lines if line.startswith("[")]
    assert len(steps) == 7
    assert all(line.rstrip().endswith(" s)") for line in steps)


def test_direct_writers_give_rdflib_bytes(layout):
    """jsonld.py, turtle.py and rdfxml.py write from the release's triple table; the bytes are those of rdflib's
    JSON-LD serializer (sorted as the release always sorted it), of rdflib's Turtle serializer, and of the RDF/XML
    writer run on an rdflib graph."""
    from ciro.curate.loader import load_paths
    from ciro.release.build import _sorted_jsonld, to_rdflib
    from ciro.release.jsonld import serialize_jsonld
    from ciro.release.owl import build_graphs
    from ciro.release.rdfxml import serialize_rdfxml
    from ciro.release.turtle import serialize_turtle

    kb = load_paths([layout.instances], base=layout.root)
    graphs = build_graphs(kb.data, layout.schema)
    for triples in (graphs.main, graphs.external, graphs.data):
        graph = to_rdflib(triples)
        assert len(graph) == len(triples) > 100
        assert serialize_turtle(triples) == graph.serialize(format="turtle", encoding="utf-8")
        reference = _sorted_jsonld(json.loads(graph.serialize(format="json-ld", sort_keys=True, indent=1)))
        assert serialize_jsonld(triples) == json.dumps(reference, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
        assert serialize_rdfxml(triples) == serialize_rdfxml(graph)
