"""The schema's part of the ontology: record classes, value classes, defined classes and properties.

Object properties carry no domain, range or characteristic: CIRO's are used by other ontologies in class
expressions of their own, and a global domain would re-type every downstream class that uses the property
(docs/design.md). What the schema requires of CIRO's own records is checked by the validator and SHACL.
"""

from __future__ import annotations

from rdflib import BNode, Graph, Literal, URIRef

from .model import OwlModel
from .vocab import DEFINITION, OBOINOWL, OWL, RDF, RDFS, SKOS

__all__ = ["add_tbox", "rdf_list", "add_all_disjoint"]

# rdfs:label, rdfs:comment, owl:deprecated ... are built into OWL 2 and are not declared.
_BUILT_IN = (str(RDFS), str(OWL))


def rdf_list(graph: Graph, name: str, items: list) -> BNode:
    """An rdf:List whose cells have stable blank-node ids (rdflib's Collection makes random ones)."""
    head = BNode(f"{name}_list_0")
    cell = head
    for n, item in enumerate(items):
        graph.add((cell, RDF.first, item))
        nxt = BNode(f"{name}_list_{n + 1}") if n + 1 < len(items) else RDF.nil
        graph.add((cell, RDF.rest, nxt))
        cell = nxt
    return head


def add_all_disjoint(graph: Graph, name: str, members: list[URIRef]) -> None:
    if len(members) < 2:
        return
    node = BNode(name)
    graph.add((node, RDF.type, OWL.AllDisjointClasses))
    graph.add((node, OWL.members, rdf_list(graph, name, members)))


def _term(graph: Graph, iri: URIRef, kind: URIRef, label: str, definition: str | None) -> None:
    graph.add((iri, RDF.type, kind))
    graph.add((iri, RDFS.label, Literal(label)))
    if definition:
        graph.add((iri, DEFINITION, Literal(definition)))


def add_tbox(graph: Graph, model: OwlModel) -> None:
    """Every class and property the schema defines, into `graph`."""
    for info in model.classes.values():
        _term(graph, info.iri, OWL.Class, info.label, info.definition)
        for parent in info.parents:
            graph.add((info.iri, RDFS.subClassOf, parent))
        for match in info.exact:
            graph.add((info.iri, SKOS.exactMatch, match))
    # A resistance mechanism is not a countermeasure: one is a tumour's process, the other a treatment.
    add_all_disjoint(graph, "disjoint_mechanism_countermeasure",
                     [model.classes["ResistanceMechanism"].iri, model.classes["Countermeasure"].iri])

    for enum in model.enums.values():
        own = [v for v in enum.values if not v.external]
        if not own:
            continue
        _term(graph, enum.iri, OWL.Class, enum.label, enum.definition)
        for value in own:
            _term(graph, value.iri, OWL.Class, value.label, value.definition)
            graph.add((value.iri, RDFS.subClassOf, enum.iri))
        # A value partition: each value is one value (a mechanism may still have several categories).
        add_all_disjoint(graph, f"disjoint_{enum.name}", [v.iri for v in own])

    for prop in model.properties.values():
        if str(prop.iri).startswith(_BUILT_IN):
            continue
        graph.add((prop.iri, RDF.type, OWL.ObjectProperty if prop.kind == "object" else OWL.AnnotationProperty))
        if prop.label:
            graph.add((prop.iri, RDFS.label, Literal(prop.label)))
        if prop.definition:
            graph.add((prop.iri, DEFINITION, Literal(prop.definition)))
        for parent in prop.parents:
            graph.add((prop.iri, RDFS.subPropertyOf, parent))
    for prop in (DEFINITION, SKOS.exactMatch, OBOINOWL.hasExactSynonym, OBOINOWL.hasDbXref):
        graph.add((prop, RDF.type, OWL.AnnotationProperty))

    _defined_classes(graph, model)


def _defined_classes(graph: Graph, model: OwlModel) -> None:
    """tumor-intrinsic mechanism ≡ resistance mechanism ⊓ ∃ has origin . tumor-cell-intrinsic, and so on.

    Existential restrictions on value classes (not hasValue on individuals) keep the ontology in OWL 2 EL,
    so ELK classifies it as HermiT does. Defined classes of one single-valued slot are pairwise disjoint:
    that is what makes 'one origin' checkable without a functional property (which EL lacks)."""
    by_slot: dict[str, list[URIRef]] = {}
    for enum in model.enums.values():
        for value in enum.values:
            defined = value.defined
            if defined is None:
                continue
            record = model.classes[defined.record_class].iri
            _term(graph, defined.iri, OWL.Class, defined.label, defined.definition)
            graph.add((defined.iri, RDFS.subClassOf, record))
            name = f"{defined.slot}_{value.name}"
            restriction = BNode(f"restriction_{name}")
            graph.add((restriction, RDF.type, OWL.Restriction))
            graph.add((restriction, OWL.onProperty, model.properties[defined.slot].iri))
            graph.add((restriction, OWL.someValuesFrom, value.iri))
            intersection = BNode(f"definition_{name}")
            graph.add((intersection, RDF.type, OWL.Class))
            graph.add((intersection, OWL.intersectionOf, rdf_list(graph, f"definition_{name}", [record, restriction])))
            graph.add((defined.iri, OWL.equivalentClass, intersection))
            by_slot.setdefault(defined.slot, []).append(defined.iri)
    for slot, members in by_slot.items():
        if slot not in model.multivalued:
            add_all_disjoint(graph, f"disjoint_{slot}_classes", members)
