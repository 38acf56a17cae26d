"""Schema v2 (issue 17): direction, certainty, context, order and the new links, through validate and the release."""

from __future__ import annotations

import pytest
from rdflib import OWL, RDF, RDFS, Graph, URIRef

from ciro.validate import validate
from tests.conftest import copy_project

VOCAB = "https://w3id.org/ciro/vocab/"
CIRO = "https://w3id.org/ciro/CIRO_"
OBO = "http://purl.obolibrary.org/obo/"


@pytest.fixture(scope="module")
def main_graph(fresh_release) -> Graph:
    return Graph().parse(fresh_release / "ciro.owl", format="xml")


@pytest.fixture(scope="module")
def data(fresh_release) -> Graph:
    return Graph().parse(fresh_release / "ciro-data.ttl", format="turtle")


def _axiom(graph: Graph, evidence: str) -> URIRef:
    (axiom,) = [a for a in graph.subjects(RDFS.seeAlso, URIRef(CIRO + evidence)) if (a, RDF.type, OWL.Axiom) in graph]
    return axiom


def test_new_links_are_object_properties_under_the_right_parents(main_graph):
    g = main_graph
    for slot, parent in (("associated_with", OBO + "RO_0002610"), ("reverses", OBO + "RO_0002410"),
                         ("involves_loss_of_function_of", VOCAB + "involves_loss_of")):
        assert (URIRef(VOCAB + slot), RDF.type, OWL.ObjectProperty) in g, slot
        assert (URIRef(VOCAB + slot), RDFS.subPropertyOf, URIRef(parent)) in g, slot
    for slot in ("certainty", "study_context", "administration_order", "approved_by", "rests_on"):
        assert (URIRef(VOCAB + slot), RDF.type, OWL.AnnotationProperty) in g, slot


def test_hedge_timing_and_order_are_on_the_axioms_they_qualify(main_graph):
    g = main_graph
    # NANOG axis leads to stemness: the authors' hypothesis (SEPIO:0000432) on that very axiom.
    leads = _axiom(g, "0000339")
    assert g.value(g.value(leads, OWL.annotatedTarget), OWL.onProperty) == URIRef(VOCAB + "leads_to")
    assert g.value(leads, URIRef(VOCAB + "certainty")) == URIRef(OBO + "SEPIO_0000432")
    # innate anti-PD-1 resistance signature undermines anti-PD-1 therapy: primary (CIRO:0000016).
    assert g.value(_axiom(g, "0000291"), URIRef(VOCAB + "timing")) == URIRef(CIRO + "0000016")
    # An inference names the evidence it rests on, from the other publication.
    assert g.value(_axiom(g, "0000393"), URIRef(VOCAB + "rests_on")) == URIRef(CIRO + "0000391")
    # Fcγ-receptor blockade is given before the antibodies; nivolumab is FDA-approved; PFS is a benefit.
    assert g.value(URIRef(CIRO + "0000385"), URIRef(VOCAB + "administration_order")) == URIRef(CIRO + "0000074")
    approved = {s for s in g.subjects(URIRef(VOCAB + "approved_by"), URIRef(CIRO + "0000079"))}
    assert {str(s) for s in approved} == {CIRO + n for n in ("0000190", "0000193", "0000196")}
    assert (URIRef(CIRO + "0000417"), URIRef(VOCAB + "clinical_benefits"), URIRef(CIRO + "0000077")) in g


def test_the_data_graph_states_a_link_under_the_links_it_is_a_kind_of(data):
    jak, jak1 = URIRef(CIRO + "0000261"), URIRef(CIRO + "0000115")
    for slot in ("involves_loss_of_function_of", "involves_loss_of", "involves"):
        assert (jak, URIRef(VOCAB + slot), jak1) in data, slot
    root = URIRef(CIRO + "0000230")
    phenotypes = set(data.objects(root, URIRef(VOCAB + "associated_with")))
    assert phenotypes == {URIRef(CIRO + n) for n in ("0000179", "0000181", "0000183", "0000185")}
    assert (root, URIRef(VOCAB + "leads_to"), None) not in data  # associated, not caused


def _errors(layout) -> list[str]:
    report, _kb = validate(None, layout)
    return [p.format() for p in report.errors]


def test_an_order_needs_the_therapy_it_is_relative_to(tmp_path):
    layout = copy_project(tmp_path)
    path = (layout.instances / "countermeasures"
            / "fcgamma-receptor-blockade-before-anti-pd-1-monoclonal-antibodies.yaml")
    text = path.read_text(encoding="utf-8")
    text = text.replace("combined_with:\n- CIRO:0000207\n", "")
    text = "\n".join(line for line in text.split("\n- id: CIRO:0000389")[0].splitlines()) + "\n"
    path.write_text(text, encoding="utf-8")
    assert any("CIRO:0000385: combined_with: administration_order needs combined_with" in e for e in _errors(layout))


def test_a_countermeasure_aimed_only_at_phenotypes_is_valid(tmp_path):
    layout = copy_project(tmp_path)
    path = layout.instances / "countermeasures" / "restraining-the-nanog-mediated-multi-malignant-signaling-axis.yaml"
    text = path.read_text(encoding="utf-8")
    kept = [block for block in text.split("\n- id: ") if "about_relation: counteracts" not in block
            and "about_relation: acts_on" not in block]
    text = "\n- id: ".join(kept).replace("counteracts:\n- CIRO:0000333\n", "").replace("acts_on:\n- CIRO:0000132\n", "")
    path.write_text(text, encoding="utf-8")
    assert _errors(layout) == []
    # ... and one aimed at nothing is not.
    text = "\n- id: ".join(b for b in text.split("\n- id: ") if "about_relation: reverses" not in b)
    text = text.split("reverses:\n")[0] + "creation_date:" + text.split("creation_date:", 1)[1]
    path.write_text(text, encoding="utf-8")
    assert any("a countermeasure must counteract at least one mechanism, reverse a phenotype or act on a target" in e
               for e in _errors(layout))


def test_evidence_context_fields_are_checked(tmp_path):
    layout = copy_project(tmp_path)
    path = layout.instances / "therapies" / "tumor-immunotherapy.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("study_context: clinical", "study_context: clinicial\n  species:\n  - HGNC:6190"),
                    encoding="utf-8")
    errors = _errors(layout)
    assert any("study_context: 'clinicial' is not a permissible value (did you mean 'clinical'?)" in e for e in errors)
    assert any("species: 'HGNC:6190' is the wrong kind of identifier for species (expected NCBITaxon)" in e
               for e in errors), errors
