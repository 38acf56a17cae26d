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
from rdflib import OWL, RDF, RDFS, SKOS, Graph, Literal, Namespace, URIRef

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
DOWNSTREAM_FILE = DOWNSTREAM / "resistance-in-practice.owl"
EX = Namespace("http://example.org/ciro-downstream/")
TERM_KINDS = ("mechanisms", "targets", "therapies", "countermeasures", "phenotypes")

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


def _broader_closure(mechanisms: list[dict]) -> dict[str, set[str]]:
    """Mechanism IRI -> itself and every broader mechanism, directly or not."""
    parents = {_iri(m["id"]): {_iri(b) for b in m.get("broader_mechanisms") or []} for m in mechanisms}
    closure = {}
    for start in parents:
        seen, todo = {start}, [start]
        while todo:
            for parent in parents.get(todo.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        closure[start] = seen
    return closure


@pytest.fixture(scope="module")
def expected_defined_members(schema, mechanisms) -> dict[str, set[str]]:
    """Defined class IRI -> the mechanisms a reasoner must classify under it, read off origin and categories.

    A mechanism is a kind of its broader mechanisms, so it has their origin and categories too."""
    expected: dict[str, set[str]] = {}
    closure = _broader_closure(mechanisms)
    by_iri = {_iri(m["id"]): m for m in mechanisms}
    for enum, slot in (("OriginEnum", "origin"), ("MechanismCategoryEnum", "categories")):
        for value, pv in schema["enums"][enum]["permissible_values"].items():
            cls = _iri(pv["annotations"]["defined_class"])
            expected[cls] = set()
            for iri, ancestors in closure.items():
                for ancestor in ancestors:
                    values = by_iri[ancestor].get(slot) or []
                    if value in (values if isinstance(values, list) else [values]):
                        expected[cls].add(iri)
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
    # No parse error, no unparsed triple, no malformed axiom, no OWL 2 DL violation, nothing undeclared, and
    # nothing outside OWL 2 EL (ELK, ODK's default reasoner, handles all of it).
    assert report.problems(el=True) == []


@needs_java
def test_owl_api_sees_the_expected_ontologies(owlapi, fresh_release, main_graph, external_graph):
    main, base, full, external = (owlapi.for_file(fresh_release / f) for f in OWL_FILES)
    assert main.ontology_iri == str(ONTOLOGY_IRI)
    assert main.version_iri.startswith("https://w3id.org/ciro/releases/") and main.version_iri.endswith("/ciro.owl")
    assert main.imports == main.loaded_imports == (str(IMPORT_IRI),) and main.missing_imports == ()
    assert base.imports == full.imports == ()
    # Curated records are classes; the individuals are the publications and the evidence items.
    terms = [r for kind in TERM_KINDS for r in _records(kind)]
    evidence = [e for r in terms for e in r.get("has_evidence") or []]
    publications = _records("publications")
    assert main.individuals == base.individuals == len(publications) + len(evidence)
    assert main.classes >= len(terms)
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
    (report,) = run_owlcheck([DOWNSTREAM_FILE], catalog=catalog).files
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
            label = ("obsolete " if record.get("deprecated") else "") + record["label"]
            assert main_graph.value(iri, RDFS.label) == Literal(label), iri
            assert " ".join(str(main_graph.value(iri, DEFINITION)).split()) == " ".join(record["definition"].split())
            xrefs = {str(o) for o in main_graph.objects(iri, SKOS_EXACT)}
            assert len(xrefs) == len(record.get("xrefs") or []), iri


def test_relations_specialise_ro_and_carry_no_domain_or_range(main_graph, schema):
    """A global domain or range would re-type every downstream class that uses CIRO's relations."""
    g = main_graph
    for name, slot in schema["slots"].items():
        mappings = (slot.get("broad_mappings") or []) + (slot.get("exact_mappings") or [])
        if (VOCAB[name], RDF.type, OWL.ObjectProperty) in g:
            for curie in mappings:
                assert (VOCAB[name], RDFS.subPropertyOf, OBO[curie.replace(":", "_")]) in g, name
    own = [p for p in g.subjects(RDF.type, OWL.ObjectProperty) if str(p).startswith(str(VOCAB))]
    assert len(own) >= 10
    for prop in own:
        assert g.value(prop, RDFS.domain) is None and g.value(prop, RDFS.range) is None, prop
        assert (prop, RDF.type, OWL.FunctionalProperty) not in g and (prop, RDF.type, OWL.TransitiveProperty) not in g
    assert not list(g.subjects(RDF.type, OWL.DatatypeProperty))  # literal slots are annotations


def test_each_link_is_a_restriction_carrying_its_evidence(main_graph):
    """PTEN loss ⊑ ∃ involves loss of . PTEN, with one annotated axiom per evidence item for that link."""
    g = main_graph
    checked = 0
    for kind in TERM_KINDS:
        for record in _records(kind):
            term = URIRef(_iri(record["id"]))
            if record.get("deprecated"):  # an obsolete class keeps no logical axioms, so no annotated ones
                assert not [a for a in g.subjects(OWL.annotatedSource, term) if g.value(a, OWL.annotatedProperty)
                            == RDFS.subClassOf]
                continue
            for item in record.get("has_evidence") or []:
                relation, obj = item.get("about_relation"), item.get("about_object")
                axioms = [a for a in g.subjects(RDFS.seeAlso, URIRef(_iri(item["id"])))
                          if (a, RDF.type, OWL.Axiom) in g]
                assert len(axioms) == 1, item["id"]
                axiom = axioms[0]
                assert g.value(axiom, OWL.annotatedSource) == term
                assert g.value(axiom, OWL.annotatedProperty) == RDFS.subClassOf
                target = g.value(axiom, OWL.annotatedTarget)
                assert (term, RDFS.subClassOf, target) in g  # the annotated axiom is asserted
                if relation is None:
                    assert str(target).startswith(str(VOCAB))  # the record class itself
                elif relation.startswith("broader_"):
                    assert target == URIRef(_iri(obj))
                else:
                    assert g.value(target, OWL.onProperty) == VOCAB[relation]
                    assert g.value(target, OWL.someValuesFrom) == URIRef(_iri(obj))
                assert g.value(axiom, VOCAB.quote) == Literal(item["quote"])
                assert g.value(axiom, VOCAB.publication) == URIRef(_iri(item["publication"]))
                assert g.value(axiom, VOCAB.evidence_type) == OBO[item["evidence_type"].replace(":", "_")]
                assert g.value(axiom, VOCAB.assertion_method) is not None
                if item.get("curator_note"):
                    assert g.value(axiom, VOCAB.curator_note) == Literal(item["curator_note"])
                checked += 1
    assert checked > 150


def test_targets_are_subclasses_of_their_class_ontology_xrefs(main_graph):
    g = main_graph
    jak1 = URIRef(_iri("CIRO:0000115"))
    assert (jak1, RDFS.subClassOf, URIRef("http://identifiers.org/hgnc/6190")) in g
    assert (jak1, RDFS.subClassOf, URIRef("http://identifiers.org/ncbigene/3716")) in g
    assert (URIRef(_iri("CIRO:0000156")), RDFS.subClassOf, OBO.CL_0000084) in g
    for kind in TERM_KINDS:
        for record in _records(kind):
            term = URIRef(_iri(record["id"]))
            for xref in record.get("xrefs") or []:
                if xref.startswith("MESH:"):  # a thesaurus entry, not a class: exactMatch only
                    assert not [o for o in g.objects(term, RDFS.subClassOf) if "mesh" in str(o)], term


def test_definitions_cite_their_sources(main_graph):
    g = main_graph
    pten = URIRef(_iri("CIRO:0000257"))
    assert set(g.objects(pten, OBO.IAO_0000119)) == {Literal("DOI:10.7150/jca.26481")}
    axioms = [a for a in g.subjects(OWL.annotatedSource, pten) if g.value(a, OWL.annotatedProperty) == DEFINITION]
    assert len(axioms) == 1
    assert set(g.objects(axioms[0], URIRef("http://www.geneontology.org/formats/oboInOwl#hasDbXref"))) == {
        Literal("DOI:10.7150/jca.26481")}


def test_mechanisms_without_a_stated_origin_are_in_no_origin_class(main_graph, mechanisms):
    g = main_graph
    root = URIRef(_iri("CIRO:0000230"))
    assert not [o for o in g.objects(root, RDFS.subClassOf) if (o, OWL.onProperty, VOCAB.origin) in g]
    assert {_iri(m["id"]) for m in mechanisms if not m.get("origin")} >= {_iri("CIRO:0000230"), _iri("CIRO:0000267")}


def test_import_module_holds_each_external_term_with_its_kind_label_and_parent(external_graph, schema):
    """A term of an extracted source has the kind, label and parents of its import table (imports/*.tsv); any
    other term is MIREOT: its kind, registry label and registry parent (skos:broader for MeSH)."""
    from ciro.imports.table import read_tables

    g = external_graph
    assert (IMPORT_IRI, RDF.type, OWL.Ontology) in g
    prefixes = schema["prefixes"]
    terms = [t for path in sorted((REPO / "instances" / "external_terms").glob("*.yaml"))
             for t in yaml.safe_load(path.read_text(encoding="utf-8"))]
    extracted = {t.id: t for table in read_tables(REPO / "imports") for t in table.terms}

    def expand(curie: str) -> URIRef:
        prefix, local = curie.split(":", 1)
        return URIRef(prefixes[prefix] + local if prefix in prefixes else f"http://purl.obolibrary.org/obo/{prefix}_{local}")

    for term in terms:
        iri = expand(term["id"])
        if term["id"] in extracted:
            row = extracted[term["id"]]
            assert row.label == term["label"], f"{term['id']}: registry label differs from the source's"
            kind = OWL[row.kind]
            parent = {OWL.Class: RDFS.subClassOf, OWL.NamedIndividual: RDF.type}.get(kind, RDFS.subPropertyOf)
            expected_parents = {expand(p) for p in row.parents}
            assert "parent" not in term, f"{term['id']}: a hand-picked parent for a term of an extracted source"
        else:
            annotation_properties = {"IAO:0000115", "IAO:0000119", "IAO:0000231", "IAO:0000232", "IAO:0100001"}
            if term["id"].startswith("RO:"):
                kind, parent = OWL.ObjectProperty, RDFS.subPropertyOf
            elif term["id"] in annotation_properties:
                kind, parent = OWL.AnnotationProperty, RDFS.subPropertyOf
            elif term.get("parent") == "IAO:0000225":  # IAO's obsolescence reasons are individuals of this class
                kind, parent = OWL.NamedIndividual, RDF.type
            elif term["id"].startswith("MESH:"):  # a thesaurus: its tree links are skos:broader, not subClassOf
                kind, parent = OWL.Class, SKOS.broader
                assert not list(g.objects(iri, RDFS.subClassOf)), term["id"]
            else:
                kind, parent = OWL.Class, RDFS.subClassOf
            expected_parents = {expand(term["parent"])} if term.get("parent") else set()
        types = set(g.objects(iri, RDF.type))
        assert kind in types, term
        assert list(g.objects(iri, RDFS.label)) == [Literal(term["label"])], term["id"]
        if parent == RDF.type:
            assert types - {kind, OWL.NamedIndividual} == expected_parents, term["id"]
        else:
            assert types == {kind}, term["id"]
            assert set(g.objects(iri, parent)) == expected_parents, term["id"]


def test_annotation_properties_are_declared_before_their_first_use(fresh_release):
    """OWL API 3.4.3 reports an IRI-valued annotation as unparsed if its property is declared later: every element
    holding an IRI-valued annotation comes after the declaration (the ontology header's licence and sources sit in
    a second description of the ontology, after the annotation properties)."""
    text = (fresh_release / "ciro.owl").read_text(encoding="utf-8")
    g = Graph().parse(data=text, format="xml")
    for prop in g.subjects(RDF.type, OWL.AnnotationProperty):
        declared = text.index(f'rdf:about="{prop}"')
        for s, o in g.subject_objects(prop):
            if isinstance(s, URIRef) and s != prop and isinstance(o, URIRef):
                assert declared < text.rindex(f'rdf:about="{s}"'), (prop, s)


@pytest.mark.parametrize("name", OWL_FILES)
def test_rdfxml_has_typed_node_elements_and_the_ontology_first(fresh_release, name):
    """As the OWL API writes RDF/XML: <owl:Ontology rdf:about=...> is the first element (where AutoIRIMapper-like
    tools look for the ontology IRI, with the root's xml:base), entities are typed elements (<owl:Class ...>)."""
    owl, rdf = "{http://www.w3.org/2002/07/owl#}", "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
    root = ET.parse(fresh_release / name).getroot()
    graph = Graph().parse(fresh_release / name, format="xml")
    (ontology,) = graph.subjects(RDF.type, OWL.Ontology)
    first = root[0]
    assert first.tag == f"{owl}Ontology" and first.get(f"{rdf}about") == str(ontology)
    assert root.get("{http://www.w3.org/XML/1998/namespace}base") == str(ontology)
    tags = {element.tag for element in root}
    assert {f"{owl}Class", f"{owl}AnnotationProperty"} <= tags
    if name != "imports/ciro-external.owl":
        assert {f"{owl}ObjectProperty", f"{owl}NamedIndividual", f"{owl}Axiom", f"{owl}Restriction"} <= tags
    for element in root.iter(f"{owl}Class"):  # the element's type is not repeated inside it
        assert not any(child.tag == f"{rdf}type" and child.get(f"{rdf}resource") == f"{owl[1:-1]}Class"
                       for child in element)


@needs_java
def test_typed_and_untyped_rdfxml_are_the_same_ontology_for_the_owl_api(fresh_release, tmp_path):
    """The typed form (the release) and one rdf:Description per subject (the older form) of every OWL file, read
    by the OWL API through the same catalog: the same ontology, axiom for axiom as far as its counts tell, and
    both free of problems. (Both forms also hold the same triples: tests/test_build.py compares them.)"""
    forms = {}
    for typed in (True, False):
        folder = tmp_path / ("typed" if typed else "untyped")
        (folder / "imports").mkdir(parents=True)
        shutil.copy(fresh_release / "catalog-v001.xml", folder / "catalog-v001.xml")
        for name in OWL_FILES:
            graph = Graph().parse(fresh_release / name, format="xml")
            (folder / name).write_bytes(serialize_rdfxml(graph, typed=typed))
        forms[typed] = run_owlcheck([folder / f for f in OWL_FILES], catalog=folder / "catalog-v001.xml")
    fields = ("loaded", "ontology_iri", "version_iri", "axioms", "logical_axioms", "classes", "object_properties",
              "data_properties", "individuals", "imports", "loaded_imports")
    for name in OWL_FILES:
        typed = forms[True].for_file(tmp_path / "typed" / name)
        untyped = forms[False].for_file(tmp_path / "untyped" / name)
        assert typed.problems(el=True) == [] and untyped.problems(el=True) == []
        assert {f: getattr(typed, f) for f in fields} == {f: getattr(untyped, f) for f in fields}, name
        # The one difference measured: with the header after the annotation properties, the OWL API counts the
        # built-in owl:versionInfo of the header among the annotation properties in the signature (no axiom).
        assert untyped.annotation_properties - typed.annotation_properties in (0, 1), name


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
        "duplicate_definition": {"CIRO:1", "CIRO:2", "CIRO:3", "CIRO:4"},  # "defined"
        "lowercase_definition": {"CIRO:1", "CIRO:2", "CIRO:3", "CIRO:4"},
        "missing_obsolete_label": {"CIRO:5"},  # deprecated, labelled "obsolete" without the term's name
    }
    assert not report.ok
    assert report.counts() == {ERROR: 23, WARN: 1, INFO: 7}
    tsv = report.to_tsv().splitlines()
    assert tsv[1].startswith("ERROR\t") and tsv[-1].startswith("INFO\t")
    assert run_qc(g, namespaces).to_tsv() == report.to_tsv()  # deterministic


def test_qc_obo_rules_each_find_their_problem():
    """ROBOT report's rules on definitions, synonyms, obsolete labels and the hierarchy, at ROBOT's levels."""
    own = Namespace("https://w3id.org/ciro/CIRO_")
    oio = Namespace("http://www.geneontology.org/formats/oboInOwl#")
    g = Graph()
    a, b, c, d, e = (own[str(n)] for n in range(1, 6))
    for x, label, definition in ((a, "alpha", "Same text."), (b, "beta", "same  text."), (c, "gamma", "Own."),
                                 (d, "obsolete delta", "Old."), (e, "epsilon", "Top. ")):
        g.add((x, RDF.type, OWL.Class))
        g.add((x, RDFS.label, Literal(label)))
        g.add((x, DEFINITION, Literal(definition)))
    for x in (a, b, c, d):
        g.add((x, RDFS.subClassOf, e))
    g.add((c, oio.hasExactSynonym, Literal("Alpha")))  # another term's label
    g.add((a, oio.hasExactSynonym, Literal("alpha")))  # its own label (ROBOT's case)
    g.add((b, oio.hasExactSynonym, Literal("the b")))
    g.add((c, oio.hasExactSynonym, Literal("the  B")))  # shared exact synonym
    g.add((c, OWL.equivalentClass, a))
    g.add((c, OWL.equivalentClass, b))
    namespaces = Namespaces(own=(str(own),), known=(str(oio), str(OBO)), prefixes={"CIRO": str(own)})
    found = {(f.level, f.rule, f.subject) for f in run_qc(g, namespaces).findings
             if f.rule not in ("undeclared_property", "missing_label")}
    assert found == {
        (ERROR, "duplicate_definition", "CIRO:1"), (ERROR, "duplicate_definition", "CIRO:2"),
        (ERROR, "misused_obsolete_label", "CIRO:4"),  # "obsolete ..." but not deprecated
        (ERROR, "multiple_equivalent_classes", "CIRO:3"),
        (WARN, "duplicate_label_synonym", "CIRO:1"), (WARN, "duplicate_label_synonym", "CIRO:3"),
        (WARN, "duplicate_exact_synonym", "CIRO:2"), (WARN, "duplicate_exact_synonym", "CIRO:3"),
        (WARN, "duplicate_exact_synonym", "CIRO:1"),  # "alpha" is a's and c's
        (WARN, "annotation_whitespace", "CIRO:5"),
        (INFO, "lowercase_definition", "CIRO:2"),
        (INFO, "missing_superclass", "CIRO:5"),
    }


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
    after one HermiT run (owlready2's HermiT on its OWL API 3; tests/test_reasoning.py repeats the downstream
    checks on OWL API 5 with HermiT and ELK, and with the Relation Ontology merged in).

    One run serves every check: the downstream ontology only adds classes defined from CIRO's terms (a
    conservative extension), so CIRO is consistent and its classes satisfiable if the union's are."""
    import owlready2

    catalog = _downstream_catalog(fresh_release, tmp_path_factory.mktemp("downstream"))
    world = owlready2.World()
    onto = load_with_catalog(world, DOWNSTREAM_FILE, catalog)
    seconds = _hermit(world)  # raises OwlReadyInconsistentOntologyError if the ontology is inconsistent
    print(f"\nHermiT (owlready2) classified ciro.owl + import module + downstream classes in {seconds:.2f} s")
    return world, onto


def _descendants(world, iri: str) -> set[str]:
    cls = world[iri]
    assert cls is not None, iri
    return {c.iri for c in cls.descendants() if c is not cls}


@needs_java
def test_owlready2_lists_mechanisms_with_their_labels(fresh_release, mechanisms):
    import owlready2

    world = owlready2.World()
    load_with_catalog(world, fresh_release / "ciro.owl", fresh_release / "catalog-v001.xml", str(ONTOLOGY_IRI))
    mechanism = world[str(VOCAB.ResistanceMechanism)]
    live = [m for m in mechanisms if not m.get("deprecated")]  # an obsolete class is under no class
    records = {_iri(m["id"]) for m in mechanisms}
    listed = {c.iri: str(c.label.first()) for c in mechanism.subclasses() if c.iri in records}
    assert listed == {_iri(m["id"]): m["label"] for m in live}


@needs_java
def test_hermit_finds_the_ontology_consistent_and_every_class_satisfiable(reasoned):
    world, _onto = reasoned  # the fixture's HermiT run raised nothing: consistent
    assert list(world.inconsistent_classes()) == []
    assert len(list(world.classes())) > 100  # CIRO's classes and the import module's were all classified


@needs_java
def test_hermit_fills_the_defined_classes_as_the_data_says(reasoned, expected_defined_members, mechanisms):
    world, _onto = reasoned
    records = {_iri(m["id"]) for m in mechanisms}
    for cls_iri, expected in expected_defined_members.items():
        assert _descendants(world, cls_iri) & records == expected, world[cls_iri].label.first()
    intrinsic = expected_defined_members[_iri("CIRO:0000057")]
    assert _iri("CIRO:0000282") in intrinsic  # a tumour cell-internal factor of the figure
    assert _iri("CIRO:0000230") not in intrinsic and _iri("CIRO:0000267") not in intrinsic  # no origin stated


@needs_java
@pytest.mark.parametrize("mistake", ["mechanism with two origins", "mechanism also a countermeasure"])
def test_hermit_catches_a_modelling_mistake(fresh_release, tmp_path, mistake):
    """Disjoint origin classes and disjoint record classes make a wrongly modelled term unsatisfiable."""
    import owlready2
    from rdflib import BNode

    graph = Graph().parse(fresh_release / "ciro-full.owl", format="xml")
    mechanism = URIRef(_iri("CIRO:0000282"))  # abnormal IFN-γ signal pathway: tumour-intrinsic
    if mistake == "mechanism with two origins":
        extrinsic = BNode("extrinsic")
        graph.add((extrinsic, RDF.type, OWL.Restriction))
        graph.add((extrinsic, OWL.onProperty, VOCAB.origin))
        graph.add((extrinsic, OWL.someValuesFrom, CIRO["0000002"]))
        graph.add((mechanism, RDFS.subClassOf, extrinsic))
    else:
        graph.add((mechanism, RDFS.subClassOf, VOCAB.Countermeasure))
    broken = tmp_path / "broken.owl"
    broken.write_bytes(serialize_rdfxml(graph))
    world = owlready2.World()
    with open(broken, "rb") as handle:
        world.get_ontology("https://w3id.org/ciro/ciro-full.owl").load(fileobj=handle)
    _hermit(world)
    unsatisfiable = {c.iri for c in world.inconsistent_classes()}
    assert str(mechanism) in unsatisfiable
    # and the mechanisms below it (JAK1/2 loss-of-function mutations is a kind of it)
    assert _iri("CIRO:0000261") in unsatisfiable


@needs_java
def test_downstream_ontology_reasons_over_ciro(reasoned, mechanisms):
    """A subclass of a CIRO mechanism, and classes defined from CIRO's `involves` and an external term, are
    classified as the data says."""
    world, onto = reasoned
    assert [o.base_iri.rstrip("#") for o in onto.imported_ontologies] == [str(ONTOLOGY_IRI)]
    assert list(world.inconsistent_classes()) == []
    melanoma = {c.iri for c in world[str(EX.PTENLossInMelanoma)].ancestors()}
    assert {_iri("CIRO:0000257"), str(VOCAB.ResistanceMechanism), _iri("CIRO:0000059")} <= melanoma
    for cls, external in ((EX.TCellResistanceMechanism, "CL:0000084"), (EX.JAK1ResistanceMechanism, "HGNC:6190")):
        expected = expected_downstream_members(mechanisms, external)
        assert expected, cls
        assert _descendants(world, str(cls)) & {_iri(m["id"]) for m in mechanisms} == expected, cls


def expected_downstream_members(mechanisms: list[dict], external: str) -> set[str]:
    """The mechanisms that involve (any involves_* slot) a target that has `external`, or a term under it in the
    import tables (regulatory T cell under T cell), among its xrefs, or a narrower kind of such a mechanism."""
    from ciro.imports.table import read_tables

    parents = {t.id: t.parents for table in read_tables(REPO / "imports") for t in table.terms}

    def under(term: str) -> bool:
        todo, seen = [term], set()
        while todo:
            current = todo.pop()
            if current == external:
                return True
            if current not in seen:
                seen.add(current)
                todo.extend(parents.get(current, ()))
        return False

    targets = {_iri(t["id"]) for t in _records("targets") if any(under(x) for x in t.get("xrefs") or [])}
    slots = [s for s in yaml.safe_load((REPO / "schema" / "ciro.yaml").read_text())["slots"]
             if s == "involves" or s.startswith("involves_")]
    direct = {_iri(m["id"]) for m in mechanisms if targets & {_iri(t) for s in slots for t in m.get(s) or []}}
    return {iri for iri, ancestors in _broader_closure(mechanisms).items() if ancestors & direct}


def test_labels_are_plain_strings_everywhere(fresh_release):
    """One language-tag policy (docs/design.md, Labels): no tag on any CIRO text, in the OWL or the data graph, so
    that a plain-string lookup finds every term."""
    from ciro.query import load_store, run_query

    store = load_store(fresh_release)
    tagged = run_query(store, """SELECT ?s ?p ?o WHERE { ?s ?p ?o . FILTER(isLiteral(?o) && lang(?o) != ""
        && STRSTARTS(STR(?s), "https://w3id.org/ciro/")) } LIMIT 5""")
    assert tagged.rows == ()
    for kind in TERM_KINDS:
        for record in _records(kind):
            found = run_query(store, f'SELECT ?t WHERE {{ ?t <{RDFS.label}> "{record["label"]}" '
                                     'FILTER(STRSTARTS(STR(?t), "https://w3id.org/ciro/")) }')
            assert [str(row[0]).strip("<>") for row in found.rows] == [_iri(record["id"])], record["label"]
