"""ODK's class-level products: ciro-simple.owl, ciro.obo, ciro.json (OBO Graphs), read by the tools an ODK user
runs on them: the OWL API and ELK, fastobo, pronto, the obographs model and JSON Schema, OAK's `runoak`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import yaml
from rdflib import OWL, RDF, RDFS, BNode, Graph, URIRef

from ciro.release.classview import class_view
from ciro.release.owlcheck import run_owlcheck

from .conftest import REPO

CIRO = "https://w3id.org/ciro/CIRO_"
OWN = ("https://w3id.org/ciro/CIRO_", "https://w3id.org/ciro/vocab/")
SCHEMA = REPO / "tests" / "data" / "obographs" / "obographs-schema.json"
THING = str(OWL.Thing)


def _record(curie: str) -> dict:
    for path in sorted((REPO / "instances").rglob("*.yaml")):
        if path.read_text(encoding="utf-8").startswith(f"id: {curie}\n"):
            return yaml.safe_load(path.read_text(encoding="utf-8"))
    raise AssertionError(f"no record {curie}")


JAK = "CIRO:0000261"  # JAK1/2 loss-of-function mutations: a curated mechanism with curated broader mechanisms


def test_simple_has_only_own_named_and_existential_subclass_axioms(fresh_release):
    graph = Graph().parse(fresh_release / "ciro-simple.owl", format="xml")
    assert (URIRef("https://w3id.org/ciro/ciro-simple.owl"), RDF.type, OWL.Ontology) in graph
    assert not list(graph.subjects(RDF.type, OWL.NamedIndividual))
    assert not list(graph.objects(None, OWL.imports))
    assert not list(graph.subject_objects(OWL.equivalentClass))
    classes = set(graph.subjects(RDF.type, OWL.Class))
    assert classes and all(str(c).startswith(OWN) for c in classes)
    for s, o in graph.subject_objects(RDFS.subClassOf):
        assert str(s).startswith(OWN)
        if isinstance(o, BNode):  # C ⊑ ∃R.D with R and D CIRO's
            assert str(graph.value(o, OWL.onProperty)).startswith(OWN)
            assert str(graph.value(o, OWL.someValuesFrom)).startswith(OWN)
            assert set(graph.predicates(o)) == {RDF.type, OWL.onProperty, OWL.someValuesFrom}
        else:
            assert str(o).startswith(OWN)
    # classified: the curated parents are there, and what the defined classes imply (JAK1/2 is tumour-intrinsic
    # through its broader mechanism, which a source states to be tumour-cell-internal)
    # (reduced, as ROBOT reduces: a broader mechanism implied by another one is not repeated)
    jak = URIRef(CIRO + JAK.split(":")[1])
    ancestors = set(graph.transitive_objects(jak, RDFS.subClassOf)) - {jak}
    for broader in _record(JAK)["broader_mechanisms"]:
        assert URIRef(CIRO + broader.split(":")[1]) in ancestors
    labels = {str(graph.value(a, RDFS.label)) for a in ancestors if isinstance(a, URIRef)}
    assert {"tumor-intrinsic mechanism", "genetic alteration mechanism", "resistance mechanism"} <= labels
    direct = set(graph.objects(jak, RDFS.subClassOf))
    assert not any(a in direct for p in direct for a in set(graph.transitive_objects(p, RDFS.subClassOf)) - {p})


def test_simple_loads_in_owl_api_in_owl2_el_and_elk_classifies_it(fresh_release):
    report = run_owlcheck([fresh_release / "ciro-simple.owl"], catalog=fresh_release / "catalog-v001.xml",
                          reason=[[fresh_release / "ciro-simple.owl"]], reasoners=["elk"])
    (file,) = report.files
    assert file.loaded and file.problems(el=True) == []
    assert file.individuals == 0 and file.classes > 100
    (group,) = report.reasoning
    (elk,) = group.results
    assert elk.ok and elk.classified


def test_classified_view_agrees_with_elk_on_every_class(fresh_release):
    """The products' classification (classview, in Python) is what ELK infers from ciro-full.owl, class by class."""
    view = class_view(Graph().parse(fresh_release / "ciro-full.owl", format="xml"))
    assert view.inferred, "the defined classes get members by reasoning"
    classes = [str(c) for c in view.classes]
    report = run_owlcheck(reason=[[fresh_release / "ciro-full.owl"]], reasoners=["elk"], classes=classes,
                          catalog=fresh_release / "catalog-v001.xml")
    (elk,) = report.reasoning[0].results
    differ = {}
    for inference in elk.inferences:
        mine = {str(a) for a in view.ancestors(URIRef(inference.iri))}
        theirs = set(inference.superclasses) - {THING}
        if mine != theirs:
            differ[inference.iri] = (sorted(mine - theirs), sorted(theirs - mine))
    assert len(elk.inferences) == len(classes) > 250
    assert differ == {}


def test_obo_parses_with_fastobo_and_pronto(fresh_release):
    import fastobo
    import pronto

    doc = fastobo.load(str(fresh_release / "ciro.obo"))
    ids = {str(frame.id) for frame in doc}
    assert JAK in ids and "cirovocab:involves_mutation_of" in ids and "CL:0000084" in ids
    header = {type(c).__name__ for c in doc.header}
    assert {"FormatVersionClause", "OntologyClause", "DataVersionClause", "IdspaceClause"} <= header

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnicodeWarning)  # pronto guesses the encoding of a file without a BOM
        ontology = pronto.Ontology(str(fresh_release / "ciro.obo"))
    jak = ontology[JAK]
    assert jak.name == "JAK1/2 loss-of-function mutations"
    assert jak.definition and "DOI:10.7150/jca.26481" in {str(x.id) for x in jak.definition.xrefs}
    supers = {t.id for t in jak.superclasses(with_self=False)}
    assert set(_record(JAK)["broader_mechanisms"]) <= supers
    assert "cirovocab:ResistanceMechanism" in supers
    relations = {(r.id, t.id) for r, terms in jak.relationships.items() for t in terms}
    assert ("cirovocab:involves_mutation_of", "CIRO:0000115") in relations  # JAK1
    # defined classes keep their definition: tumor-intrinsic mechanism
    defined = [t for t in ontology.terms() if t.name == "tumor-intrinsic mechanism"]
    assert len(defined) == 1 and jak in set(defined[0].subclasses())
    # external terms have their names and the parents of the import module
    assert ontology["CL:0000084"].name == "T cell"


def test_obo_has_no_individuals_or_anonymous_ids(fresh_release):
    text = (fresh_release / "ciro.obo").read_text(encoding="utf-8")
    assert "[Instance]" not in text and "_:" not in text
    assert "https://w3id.org/ciro/CIRO_" not in text.split("\n[", 1)[1]  # every CIRO id is a CURIE


def test_obographs_json_validates_against_the_schema_and_the_model(fresh_release):
    import jsonschema
    import obographs

    data = json.loads((fresh_release / "ciro.json").read_text(encoding="utf-8"))
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft3Validator(schema)  # the schema is generated in draft 3 ("type": "any")
    assert list(validator.iter_errors(data)) == []
    broken = json.loads(json.dumps(data))
    broken["graphs"][0]["nodes"][0]["lbl"] = ["not", "a", "string"]
    assert list(validator.iter_errors(broken))

    document = obographs.GraphDocument.model_validate(data)
    (graph,) = document.graphs
    assert graph.id == "https://w3id.org/ciro/ciro.json"
    assert graph.meta.version.startswith("https://w3id.org/ciro/releases/")
    nodes = {n.id: n for n in graph.nodes}
    jak = CIRO + JAK.split(":")[1]
    assert nodes[jak].lbl == "JAK1/2 loss-of-function mutations" and nodes[jak].type == "CLASS"
    is_a: dict[str, set[str]] = {}
    for edge in graph.edges:
        if edge.pred == "is_a":
            is_a.setdefault(edge.sub, set()).add(edge.obj)
    ancestors, todo = set(), [jak]
    while todo:
        for parent in is_a.get(todo.pop(), ()):
            if parent not in ancestors:
                ancestors.add(parent)
                todo.append(parent)
    assert {CIRO + b.split(":")[1] for b in _record(JAK)["broader_mechanisms"]} <= ancestors
    defined = {d.definedClassId for d in graph.logicalDefinitionAxioms}
    assert len(defined) >= 10 and all(d.genusIds and d.restrictions for d in graph.logicalDefinitionAxioms)


def _runoak(*args: str) -> str:
    runoak = Path(sys.executable).with_name("runoak")
    result = subprocess.run([str(runoak), *args], capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def _rows(tsv: str) -> dict[str, str]:
    return dict(line.split("\t", 1) for line in tsv.splitlines()[1:] if "\t" in line)


def test_oak_answers_info_labels_and_ancestors_on_the_obo_release(fresh_release):
    obo = str(fresh_release / "ciro.obo")
    assert _runoak("-i", obo, "info", JAK).strip() == f"{JAK} ! JAK1/2 loss-of-function mutations"
    labels = _rows(_runoak("-i", obo, "labels", JAK, "CIRO:0000115", "CL:0000084"))
    assert labels == {JAK: "JAK1/2 loss-of-function mutations", "CIRO:0000115": "JAK1", "CL:0000084": "T cell"}
    ancestors = _rows(_runoak("-i", obo, "ancestors", "-p", "i", JAK))
    for broader in _record(JAK)["broader_mechanisms"]:
        assert broader in ancestors
    assert ancestors["cirovocab:ResistanceMechanism"] == "resistance mechanism"
    assert ancestors["BFO:0000015"] == "process"
    assert ancestors.get("HGNC:6190") is None  # is-a only: the gene is reached by involves_mutation_of, not is_a


def test_oak_reads_the_obographs_release(fresh_release):
    prefixes = ["--prefix", "CIRO=https://w3id.org/ciro/CIRO_", "--prefix", "cirovocab=https://w3id.org/ciro/vocab/"]
    ancestors = _rows(_runoak(*prefixes, "-i", f"obograph:{fresh_release / 'ciro.json'}", "ancestors", "-p", "i",
                              "CIRO:0000115"))
    assert ancestors["CIRO:0000115"] == "JAK1"
    assert ancestors["cirovocab:Target"] == "target"
    assert ancestors["BFO:0000040"] == "material entity"
    assert "JAK1" in {v for k, v in ancestors.items() if k != "CIRO:0000115"}  # its HGNC / NCBI Gene classes


@pytest.mark.parametrize("name", ["ciro-simple.owl", "ciro.obo", "ciro.json"])
def test_products_are_in_the_catalog_or_manifest(fresh_release, name):
    manifest = json.loads((fresh_release / "release-manifest.json").read_text())
    assert name in {f["file"] for f in manifest["files"]}


def test_json_at_writes_what_json_dumps_with_indent_writes():
    """ciro.json's node texts (obo._json_at, written by hand for speed) are json.dumps(indent=1, sort_keys=True,
    ensure_ascii=False) re-indented, on random nested values of every JSON type and awkward strings."""
    import random

    from ciro.release.obo import _json_at

    rnd = random.Random(0)
    leaves = ["a", 'é"\\\n\t', "", "\u2028\x00", True, False, None, 3, -1.5, 10**20]

    def value(depth: int = 0):
        r = rnd.random()
        if depth > 3 or r < 0.3:
            return rnd.choice(leaves)
        if r < 0.65:
            return {rnd.choice(["b", "a", "é", "", "Z"]): value(depth + 1) for _ in range(rnd.randint(0, 4))}
        return [value(depth + 1) for _ in range(rnd.randint(0, 4))]

    for _ in range(3000):
        v, depth = value(), rnd.randint(0, 5)
        expected = json.dumps(v, indent=1, sort_keys=True, ensure_ascii=False).replace("\n", "\n" + " " * depth)
        assert _json_at(v, depth) == expected, (v, depth)
