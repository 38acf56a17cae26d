"""The OWL release as OWL tools see it: the OWL API (Protégé's parser), HermiT through owlready2, the QC
report, and a downstream ontology that imports CIRO by its IRI.

Expected values come from the curated YAML files and the schema, read here directly, not from the code
that builds the release.
"""

from __future__ import annotations

import shutil
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

import pytest
import yaml
from rdflib import OWL, RDF, RDFS, Graph, Literal, Namespace, URIRef

from ciro.release import QC_REPORT, read_catalog, write_catalog
from ciro.release.owlcheck import OwlCheckReport, run_owlcheck
from ciro.release.qc import ERROR, INFO, WARN, Namespaces, run_qc
from ciro.release.rdfxml import serialize_rdfxml

from .conftest import REPO

CIRO = Namespace("https://w3id.org/ciro/CIRO_")
VOCAB = Namespace("https://w3id.org/ciro/vocab/")
OBO = Namespace("http://purl.obolibrary.org/obo/")
DCTERMS = Namespace("http://purl.org/dc/terms/")
SKOS_EXACT = URIRef("http://www.w3.org/2004/02/skos/core#exactMatch")
DEFINITION = OBO["IAO_0000115"]
ONTOLOGY_IRI = URIRef("https://w3id.org/ciro/ciro.owl")
IMPORT_IRI = URIRef("https://w3id.org/ciro/imports/ciro-external.owl")
OWL_FILES = ("ciro.owl", "ciro-base.owl", "ciro-full.owl", "imports/ciro-external.owl")
DOWNSTREAM = Path(__file__).parent / "data" / "downstream"
DOWNSTREAM_CLASS = "http://example.org/ciro-downstream/IFNGSignallingResistanceMechanism"

needs_java = pytest.mark.skipif(
    shutil.which("java") is None or shutil.which("javac") is None, reason="needs a JDK (java and javac)"
)


# ---------------------------------------------------------------- what the data says


def _records(kind: str) -> list[dict]:
    return [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted((REPO / "instances" / kind).glob("*.yaml"))]


@pytest.fixture(scope="module")
def schema() -> dict:
    return yaml.safe_load((REPO / "schema" / "ciro.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def mechanisms() -> list[dict]:
    return _records("mechanisms")


def _iri(curie: str) -> str:
    return str(CIRO[curie.removeprefix("CIRO:")])


@pytest.fixture(scope="module")
def expected_defined_members(schema, mechanisms) -> dict[str, set[str]]:
    """Defined class IRI -> the mechanisms the reasoner must put in it, read off origin and categories."""
    expected: dict[str, set[str]] = {}
    for enum, slot in (("OriginEnum", "origin"), ("MechanismCategoryEnum", "categories")):
        for value, pv in schema["enums"][enum]["permissible_values"].items():
            cls = _iri(pv["annotations"]["defined_class"])
            expected[cls] = set()
            for m in mechanisms:
                values = m.get(slot) or []
                if value in (values if isinstance(values, list) else [values]):
                    expected[cls].add(_iri(m["id"]))
    return expected


# ---------------------------------------------------------------- OWL API (Protégé's parser)


@pytest.fixture(scope="module")
def owlapi(fresh_release) -> OwlCheckReport:
    """Every OWL file of the release in one OWL API run, imports resolved by the shipped catalog."""
    return run_owlcheck([fresh_release / f for f in OWL_FILES], catalog=fresh_release / "catalog-v001.xml")


@needs_java
@pytest.mark.parametrize("name", OWL_FILES)
def test_owl_api_reads_every_file_without_a_problem(owlapi, fresh_release, name):
    report = owlapi.for_file(fresh_release / name)
    assert report.loaded and report.format == "RDF/XML Syntax"
    # No parse error, no unparsed triple, no malformed axiom, no OWL 2 DL violation, nothing undeclared.
    assert report.problems() == []


@needs_java
def test_owl_api_sees_the_expected_ontologies(owlapi, fresh_release, main_graph, external_graph):
    main, base, full, external = (owlapi.for_file(fresh_release / f) for f in OWL_FILES)
    assert main.ontology_iri == str(ONTOLOGY_IRI)
    assert main.version_iri.startswith("https://w3id.org/ciro/releases/") and main.version_iri.endswith("/ciro.owl")
    assert main.imports == main.loaded_imports == (str(IMPORT_IRI),) and main.missing_imports == ()
    assert base.imports == full.imports == ()
    # Individuals: every curated record, every evidence item, every enum value.
    kinds = ("mechanisms", "targets", "therapies", "countermeasures", "phenotypes", "publications")
    records = [r for kind in kinds for r in _records(kind)]
    evidence = [e for r in records for e in r.get("has_evidence") or []]
    enum_values = sum(len(e["permissible_values"]) for e in yaml.safe_load(
        (REPO / "schema" / "ciro.yaml").read_text(encoding="utf-8"))["enums"].values())
    assert main.individuals == base.individuals == full.individuals == len(records) + len(evidence) + enum_values
    # base = ciro.owl without the import; full = ciro.owl with the import module merged in.
    assert base.axioms == main.axioms
    # Classes declared in both (Publication's parent IAO:0000311, declared by ciro.owl for ciro-base.owl) count once.
    shared = set(main_graph.subjects(RDF.type, OWL.Class)) & set(external_graph.subjects(RDF.type, OWL.Class))
    assert full.classes == main.classes + external.classes - len(shared)
    assert full.logical_axioms == main.logical_axioms + external.logical_axioms
    print(f"\nOWL API {owlapi.owlapi_version}: ciro.owl {main.axioms} axioms ({main.logical_axioms} logical), "
          f"{main.classes} classes, {main.object_properties} object properties, {main.individuals} individuals; "
          f"ciro-full.owl {full.axioms} axioms; import module {external.axioms} axioms, {external.classes} classes")


@needs_java
def test_downstream_ontology_loads_through_the_catalog_in_the_owl_api(fresh_release, tmp_path):
    catalog = _downstream_catalog(fresh_release, tmp_path)
    (report,) = run_owlcheck([DOWNSTREAM / "ifng-resistance.owl"], catalog=catalog).files
    assert report.problems() == []
    assert report.imports == (str(ONTOLOGY_IRI),)
    assert report.loaded_imports == (str(ONTOLOGY_IRI), str(IMPORT_IRI))


def _downstream_catalog(release: Path, tmp_path: Path) -> Path:
    """The downstream catalog, pointed at the fresh release instead of the committed ontology/."""
    committed = read_catalog(DOWNSTREAM / "catalog-v001.xml")
    shipped = read_catalog(release / "catalog-v001.xml")
    catalog = tmp_path / "catalog-v001.xml"
    write_catalog(catalog, {iri: str(shipped[iri]) for iri in committed})
    return catalog


def test_committed_downstream_catalog_points_at_the_release():
    committed = read_catalog(DOWNSTREAM / "catalog-v001.xml")
    shipped = read_catalog(REPO / "ontology" / "catalog-v001.xml")
    assert set(committed) == {str(ONTOLOGY_IRI), str(IMPORT_IRI)}
    for iri, path in committed.items():
        assert path == shipped[iri] and path.is_file(), iri


# ---------------------------------------------------------------- the graph itself (rdflib)


@pytest.fixture(scope="module")
def main_graph(fresh_release) -> Graph:
    return Graph().parse(fresh_release / "ciro.owl", format="xml")


@pytest.fixture(scope="module")
def external_graph(fresh_release) -> Graph:
    return Graph().parse(fresh_release / "imports" / "ciro-external.owl", format="xml")


def test_ontology_header(main_graph, schema):
    g, iri = main_graph, ONTOLOGY_IRI
    version = schema["version"]
    assert (iri, RDF.type, OWL.Ontology) in g
    assert g.value(iri, OWL.versionIRI) == URIRef(f"https://w3id.org/ciro/releases/{version}/ciro.owl")
    assert g.value(iri, OWL.versionInfo) == Literal(version)
    assert g.value(iri, DCTERMS.license) == URIRef("https://creativecommons.org/licenses/by/4.0/")
    for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.creator):
        assert len(list(g.objects(iri, prop))) == 1, prop
    assert (iri, OWL.imports, IMPORT_IRI) in g
    # One dcterms:source per publication: its DOI.
    dois = {URIRef("https://doi.org/" + p["doi"]) for p in _records("publications")}
    assert set(g.objects(iri, DCTERMS.source)) == dois


def _own_entities(g: Graph) -> set[URIRef]:
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, OWL.NamedIndividual)
    return {s for k in kinds for s in g.subjects(RDF.type, k)
            if isinstance(s, URIRef) and str(s).startswith(("https://w3id.org/ciro/CIRO_", str(VOCAB)))}


def test_every_ciro_term_has_one_label_and_one_definition(main_graph):
    entities = _own_entities(main_graph)
    assert len(entities) > 400
    for entity in entities:
        assert len(list(main_graph.objects(entity, RDFS.label))) == 1, entity
        assert len(list(main_graph.objects(entity, DEFINITION))) == 1, entity


def test_curated_records_keep_their_label_definition_and_xrefs(main_graph):
    for kind in ("mechanisms", "targets", "therapies", "countermeasures", "phenotypes", "publications"):
        for record in _records(kind):
            iri = URIRef(_iri(record["id"]))
            assert main_graph.value(iri, RDFS.label) == Literal(record["label"]), iri
            assert " ".join(str(main_graph.value(iri, DEFINITION)).split()) == " ".join(record["definition"].split())
            xrefs = {str(o) for o in main_graph.objects(iri, SKOS_EXACT)}
            assert len(xrefs) == len(record.get("xrefs") or []), iri


def test_relations_specialise_ro_and_have_domain_and_range(main_graph, schema):
    g = main_graph
    for name, slot in schema["slots"].items():
        mappings = (slot.get("broad_mappings") or []) + (slot.get("exact_mappings") or [])
        for curie in mappings:
            assert (VOCAB[name], RDFS.subPropertyOf, OBO[curie.replace(":", "_")]) in g, name
    for prop in g.subjects(RDF.type, OWL.ObjectProperty):
        if str(prop).startswith(str(VOCAB)):
            assert g.value(prop, RDFS.domain) is not None, prop
            assert g.value(prop, RDFS.range) is not None, prop


def test_import_module_holds_each_external_term_with_its_kind_label_and_parent(external_graph, schema):
    g = external_graph
    assert (IMPORT_IRI, RDF.type, OWL.Ontology) in g
    prefixes = schema["prefixes"]
    terms = [t for path in sorted((REPO / "instances" / "external_terms").glob("*.yaml"))
             for t in yaml.safe_load(path.read_text(encoding="utf-8"))]

    def expand(curie: str) -> URIRef:
        prefix, local = curie.split(":", 1)
        return URIRef(prefixes[prefix] + local)

    for term in terms:
        iri = expand(term["id"])
        if term["id"].startswith("RO:"):
            kind, parent = OWL.ObjectProperty, RDFS.subPropertyOf
        elif term["id"] == "IAO:0000115":
            kind, parent = OWL.AnnotationProperty, RDFS.subPropertyOf
        else:
            kind, parent = OWL.Class, RDFS.subClassOf
        assert set(g.objects(iri, RDF.type)) == {kind}, term["id"]
        assert list(g.objects(iri, RDFS.label)) == [Literal(term["label"])], term["id"]
        expected_parents = {expand(term["parent"])} if term.get("parent") else set()
        assert set(g.objects(iri, parent)) == expected_parents, term["id"]


def test_annotation_properties_are_declared_before_their_first_use(fresh_release):
    """OWL API 3.4.3 reports an IRI-valued annotation as unparsed if its property is declared later."""
    text = (fresh_release / "ciro.owl").read_text(encoding="utf-8")
    g = Graph().parse(data=text, format="xml")
    for prop in g.subjects(RDF.type, OWL.AnnotationProperty):
        declared = text.index(f'rdf:about="{prop}"')
        for s in g.subjects(prop, None):
            if isinstance(s, URIRef) and s != prop:
                assert declared < text.index(f'rdf:about="{s}"'), (prop, s)


# ---------------------------------------------------------------- QC report


def test_qc_report_is_written_and_has_no_error(fresh_release):
    lines = (fresh_release / QC_REPORT).read_text(encoding="utf-8").splitlines()
    assert lines[0] == "Level\tRule Name\tSubject\tProperty\tValue"
    levels = [line.split("\t")[0] for line in lines[1:]]
    assert ERROR not in levels
    assert set(levels) <= {WARN, INFO}
    # Informational: records of a kind that takes cross-references but has none (grounding_note says why).
    rows = [line.split("\t") for line in lines[1:]]
    without_xrefs = {r[2] for r in rows if r[1] == "missing_xref"}
    kinds = ("targets", "therapies", "phenotypes")
    expected = {r["id"] for kind in kinds for r in _records(kind) if not r.get("xrefs")}
    assert without_xrefs == expected


def test_qc_rules_each_find_their_problem():
    ex = Namespace("http://example.org/qc/")
    own = Namespace("https://w3id.org/ciro/CIRO_")
    g = Graph()
    onto = URIRef("https://w3id.org/ciro/ciro.owl")
    g.add((onto, RDF.type, OWL.Ontology))  # no title, description, license, version IRI
    g.add((DEFINITION, RDF.type, OWL.AnnotationProperty))
    cls = ex.Thing
    g.add((cls, RDF.type, OWL.Class))  # external class without a label
    a, b, c, d = own["1"], own["2"], own["3"], own["4"]
    for x in (a, b, c, d):
        g.add((x, RDF.type, OWL.NamedIndividual))
        g.add((x, DEFINITION, Literal("defined")))
    g.add((a, RDF.type, cls))
    g.add((a, RDFS.label, Literal("same")))
    g.add((b, RDF.type, cls))
    g.add((b, RDFS.label, Literal("Same ")))  # duplicate (case, spacing) and trailing whitespace
    g.add((c, RDFS.label, Literal("one")))
    g.add((c, RDFS.label, Literal("two\tlabels")))  # two labels, one with a tab; and no class
    g.add((d, DEFINITION, Literal("second definition")))  # no label, two definitions
    g.add((a, SKOS_EXACT, ex.match))  # a has an xref, b (same class) has none
    g.add((SKOS_EXACT, RDF.type, OWL.AnnotationProperty))
    g.add((a, ex.undeclared, Literal("x")))
    g.add((a, RDFS.seeAlso, URIRef("HGNC:6190")))  # a CURIE that did not expand
    old = own["5"]
    g.add((old, RDF.type, OWL.NamedIndividual))
    g.add((old, RDF.type, cls))
    g.add((old, RDFS.label, Literal("obsolete")))
    g.add((old, DEFINITION, Literal("gone")))
    g.add((old, OWL.deprecated, Literal(True)))
    g.add((b, RDFS.seeAlso, old))
    known = (str(ex), str(OBO), "http://www.w3.org/2004/02/skos/core#", "https://w3id.org/ciro/ciro.owl")
    namespaces = Namespaces(own=(str(own),), known=known,
                            prefixes={"CIRO": str(own), "ex": str(ex)})
    report = run_qc(g, namespaces)
    by_rule: dict[str, set[str]] = defaultdict(set)
    for f in report.findings:
        by_rule[f.rule].add(f.subject)
    assert dict(by_rule) == {
        "missing_ontology_title": {"<https://w3id.org/ciro/ciro.owl>"},
        "missing_ontology_description": {"<https://w3id.org/ciro/ciro.owl>"},
        "missing_ontology_license": {"<https://w3id.org/ciro/ciro.owl>"},
        "missing_version_iri": {"<https://w3id.org/ciro/ciro.owl>"},
        "missing_label": {"ex:Thing", "CIRO:4"},
        "multiple_labels": {"CIRO:3"},
        "duplicate_label": {"CIRO:1", "CIRO:2"},
        "multiple_definitions": {"CIRO:4"},
        "untyped_individual": {"CIRO:3", "CIRO:4"},
        "undeclared_property": {"ex:undeclared"},
        "unknown_namespace": {"<HGNC:6190>"},
        "deprecated_individual_reference": {"CIRO:2"},
        "label_whitespace": {"CIRO:2"},
        "label_formatting": {"CIRO:3"},
        "missing_xref": {"CIRO:2", "CIRO:5"},
    }
    assert not report.ok
    assert report.counts() == {ERROR: 17, WARN: 2, INFO: 2}
    tsv = report.to_tsv().splitlines()
    assert tsv[1].startswith("ERROR\t") and tsv[-1].startswith("INFO\t")
    assert run_qc(g, namespaces).to_tsv() == report.to_tsv()  # deterministic


# ---------------------------------------------------------------- owlready2 and HermiT


def _imports_of(path: Path) -> list[str]:
    """owl:imports IRIs of an RDF/XML document."""
    owl_imports = f"{{{OWL}}}imports"
    resource = f"{{{RDF}}}resource"
    return [e.get(resource) for e in ET.parse(path).getroot().iter(owl_imports) if e.get(resource)]


def load_with_catalog(world, path: Path, catalog: Path, iri: str | None = None):
    """Load an ontology into an owlready2 World, each owl:imports resolved through an XML catalog.

    owlready2 resolves imports by looking for a file of the same name in `onto_path`, else the network;
    loading every import (recursively) from the catalog's file first makes it find them loaded already.
    """
    entries = read_catalog(catalog)
    for imported in _imports_of(path):
        if imported not in entries:
            raise LookupError(f"{path}: import <{imported}> is not in {catalog}")
        load_with_catalog(world, entries[imported], catalog, imported)
    onto = world.get_ontology(iri or path.resolve().as_uri())
    with open(path, "rb") as handle:
        return onto.load(fileobj=handle)


def _hermit(world) -> float:
    import owlready2

    started = time.perf_counter()
    owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    return time.perf_counter() - started


@pytest.fixture(scope="module")
def reasoned(fresh_release, tmp_path_factory):
    """The downstream ontology with CIRO imported (ciro.owl and its import module, through the catalog),
    after one HermiT run.

    One run serves every check: the downstream ontology only adds a class defined from CIRO's terms (a
    conservative extension), so CIRO is consistent and its classes satisfiable if the union's are, and the
    union entails no new membership in CIRO's own classes.
    """
    import owlready2

    catalog = _downstream_catalog(fresh_release, tmp_path_factory.mktemp("downstream"))
    world = owlready2.World()
    onto = load_with_catalog(world, DOWNSTREAM / "ifng-resistance.owl", catalog)
    seconds = _hermit(world)  # raises OwlReadyInconsistentOntologyError if the ontology is inconsistent
    print(f"\nHermiT (owlready2) classified ciro.owl + import module + downstream class in {seconds:.2f} s")
    return world, onto


@needs_java
def test_owlready2_lists_mechanisms_with_their_labels(fresh_release, mechanisms):
    import owlready2

    world = owlready2.World()
    load_with_catalog(world, fresh_release / "ciro.owl", fresh_release / "catalog-v001.xml", str(ONTOLOGY_IRI))
    mechanism = world[str(VOCAB.ResistanceMechanism)]
    listed = {m.iri: str(m.label.first()) for m in mechanism.instances()}
    assert listed == {_iri(m["id"]): m["label"] for m in mechanisms}


@needs_java
def test_hermit_finds_the_ontology_consistent_and_every_class_satisfiable(reasoned):
    world, _onto = reasoned  # the fixture's HermiT run raised nothing: consistent
    assert list(world.inconsistent_classes()) == []
    assert len(list(world.classes())) > 100  # CIRO's classes and the import module's were all classified


@needs_java
def test_hermit_fills_the_defined_classes_as_the_data_says(reasoned, expected_defined_members):
    world, _onto = reasoned
    for cls_iri, expected in expected_defined_members.items():
        cls = world[cls_iri]
        assert cls is not None, cls_iri
        assert {i.iri for i in cls.instances()} == expected, cls.label.first()
    assert expected_defined_members[_iri("CIRO:0000057")]  # tumour-intrinsic mechanisms exist


@needs_java
@pytest.mark.parametrize("mistake", ["mechanism with two origins", "target also a therapy"])
def test_hermit_catches_a_modelling_mistake(fresh_release, tmp_path, mechanisms, mistake):
    """Functional properties, distinct enum values and disjoint classes let a reasoner reject bad data."""
    import owlready2

    graph = Graph().parse(fresh_release / "ciro-full.owl", format="xml")
    mechanism = URIRef(_iri(mechanisms[0]["id"]))
    if mistake == "mechanism with two origins":
        for origin in (CIRO["0000001"], CIRO["0000002"]):
            graph.add((mechanism, VOCAB.origin, origin))
    else:
        target = next(graph.subjects(RDF.type, VOCAB.Target))
        graph.add((target, RDF.type, VOCAB.Therapy))
    broken = tmp_path / "broken.owl"
    broken.write_bytes(serialize_rdfxml(graph))
    world = owlready2.World()
    with open(broken, "rb") as handle:
        world.get_ontology("https://w3id.org/ciro/ciro-full.owl").load(fileobj=handle)
    with pytest.raises(owlready2.OwlReadyInconsistentOntologyError):
        _hermit(world)


@needs_java
def test_downstream_ontology_reasons_over_ciro(reasoned, mechanisms):
    world, onto = reasoned
    assert [o.base_iri.rstrip("#") for o in onto.imported_ontologies] == [str(ONTOLOGY_IRI)]
    assert list(world.inconsistent_classes()) == []
    targets = {_iri(c) for c in ("CIRO:0000115", "CIRO:0000117", "CIRO:0000140", "CIRO:0000142")}
    involves = [s for s in yaml.safe_load((REPO / "schema" / "ciro.yaml").read_text())["slots"]
                if s == "involves" or s.startswith("involves_")]
    expected = {_iri(m["id"]) for m in mechanisms if m["origin"] == "tumor_intrinsic"
                and targets & {_iri(t) for slot in involves for t in m.get(slot) or []}}
    assert len(expected) >= 2
    assert {i.iri for i in world[DOWNSTREAM_CLASS].instances()} == expected
