"""The records' part of the ontology: each curated record a class, each of its links an axiom with its evidence.

* A mechanism, target, therapy, countermeasure or phenotype is an OWL class under its record class; the
  broader-mechanism and broader-therapy links are `rdfs:subClassOf`; every other link is an existential
  restriction (*PTEN loss* ⊑ ∃ involves loss of . *PTEN*); enum values are restrictions on value classes
  (∃ has origin . tumor-cell-intrinsic); a target (therapy, phenotype) is a subclass of each xref whose
  prefix the schema lists as a class ontology (CIRO:JAK1 ⊑ HGNC:6190), so a downstream class written with an
  external term classifies CIRO's terms, and of the upper class of its kind (a target gene ⊑ material entity).
* Each evidence item annotates the axiom it supports, OBO-style (`owl:Axiom` with the ECO type, the
  publication, the quote, how it was asserted, the curator's note); evidence about the record itself
  annotates the record's subclass axiom under its record class. The evidence item stays a named individual
  with a label (`evidence`), so the annotation can point at it and Protégé shows its name.
* Publications are named individuals of IAO's *publication*.
* An obsolete record keeps its IRI as a deprecated class with no logical axioms (OBO's rule), labelled
  'obsolete ...', with its replacement and reason.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from rdflib import BNode, Graph, Literal, URIRef

from ..curate.rdf import plain_literal
from .model import TAXONOMY_SLOTS, TERM_CLASSES, OwlModel
from .vocab import DEFINITION, DEFINITION_SOURCE, OBOINOWL, OWL, RDF, RDFS, SKOS, XSD, publication_xref

__all__ = ["add_terms"]

# Literal slots with a datatype in OWL (everything else is a plain string). Dates stay plain strings, as OBO
# writes creation dates: xsd:date is not in OWL 2's datatype map, so the OWL API reports it undeclared.
_DATATYPES = {"integer": XSD.integer, "boolean": XSD.boolean}
# Evidence slots that are not written on the axiom: the axiom itself says which link it is.
_NOT_ON_AXIOM = {"id", "about_relation", "about_object"}


def _local(iri: URIRef) -> str:
    return str(iri).rsplit("/", 1)[-1].replace(":", "_").replace("#", "_")


class _Writer:
    def __init__(self, graph: Graph, model: OwlModel, data: dict[str, list[dict]]):
        self.graph = graph
        self.model = model
        self.publications = {str(p["id"]): p for p in data.get("publications", [])}
        self.iris: dict = {}

    def iri(self, curie) -> URIRef:
        # One URIRef per CURIE: the triple table then finds it by `is`, without rdflib's Python __eq__.
        iri = self.iris.get(curie)
        if iri is None:
            iri = self.iris[curie] = self.model.expand(str(curie))
        return iri

    def value(self, slot: str, item):
        """The OWL value of one slot value: an IRI for references and enum values, else a literal."""
        rng = self.model.slot_range.get(slot, "string")
        prop = self.model.properties[slot]
        if rng in self.model.enums:
            return self.model.enums[rng].value(str(item)).iri
        if prop.external_values:
            return self.iri(item)
        datatype = _DATATYPES.get(rng)
        if isinstance(item, datetime.date):
            return plain_literal(item.isoformat())
        if datatype is not None:
            return Literal(str(item).lower() if isinstance(item, bool) else str(item), datatype=datatype)
        return plain_literal(str(item))

    def annotate(self, subject, record: dict, skip: set[str]) -> None:
        """Every annotation slot of `record` as an annotation of `subject` (a term, an individual or an axiom)."""
        for slot, value in record.items():
            prop = self.model.properties.get(slot)
            if prop is None or prop.kind != "annotation" or slot in skip or value is None:
                continue
            for item in value if isinstance(value, list) else [value]:
                self.graph.add((subject, prop.iri, self.value(slot, item)))

    def axiom(self, source: URIRef, target, evidence: list[dict]) -> None:
        """`source ⊑ target`, annotated once per evidence item (each owl:Axiom carries one item's fields)."""
        graph = self.graph
        graph.add((source, RDFS.subClassOf, target))
        for item in evidence:
            node = BNode(f"axiom_{_local(self.iri(item['id']))}")
            graph.add((node, RDF.type, OWL.Axiom))
            graph.add((node, OWL.annotatedSource, source))
            graph.add((node, OWL.annotatedProperty, RDFS.subClassOf))
            graph.add((node, OWL.annotatedTarget, target))
            graph.add((node, RDFS.seeAlso, self.iri(item["id"])))
            self.annotate(node, item, _NOT_ON_AXIOM)
            xref = publication_xref(self.publications.get(str(item.get("publication")), {}))
            if xref:
                graph.add((node, OBOINOWL.hasDbXref, plain_literal(xref)))

    def term(self, class_name: str, record: dict) -> None:
        model, graph = self.model, self.graph
        cls = model.classes[class_name]
        term = self.iri(record["id"])
        graph.add((term, RDF.type, OWL.Class))
        deprecated = bool(record.get("deprecated"))
        label = str(record["label"])
        graph.add((term, RDFS.label, plain_literal(f"obsolete {label}" if deprecated else label)))
        self.annotate(term, record, {"label", "xrefs"})
        for xref in record.get("xrefs") or []:
            graph.add((term, SKOS.exactMatch, self.iri(xref)))
        if deprecated:
            return  # an obsolete class has no logical axioms

        evidence: dict[tuple, list[dict]] = defaultdict(list)
        for item in sorted(record.get("has_evidence") or [], key=lambda e: str(e["id"])):
            evidence[item.get("about_relation"), str(item.get("about_object"))].append(item)
        own = evidence[None, "None"]
        self.axiom(term, cls.iri, own)
        sources = sorted({x for x in (publication_xref(self.publications.get(str(e["publication"]), {}))
                                      for e in own) if x})
        for source in sources:
            graph.add((term, DEFINITION_SOURCE, plain_literal(source)))
        if record.get("definition") and sources:
            # The OBO pattern for a definition's references: an annotated definition assertion.
            node = BNode(f"definition_{_local(term)}")
            graph.add((node, RDF.type, OWL.Axiom))
            graph.add((node, OWL.annotatedSource, term))
            graph.add((node, OWL.annotatedProperty, DEFINITION))
            graph.add((node, OWL.annotatedTarget, plain_literal(str(record["definition"]))))
            for source in sources:
                graph.add((node, OBOINOWL.hasDbXref, plain_literal(source)))

        for slot in model.slots_of[class_name]:
            values = record.get(slot)
            if values is None:
                continue
            for value in values if isinstance(values, list) else [values]:
                if slot in TAXONOMY_SLOTS:
                    self.axiom(term, self.iri(value), evidence[slot, str(value)])
                    continue
                prop = model.properties.get(slot)
                if prop is None or prop.kind != "object":
                    continue
                filler = model.enums[prop.enum].value(str(value)).iri if prop.enum else self.iri(value)
                restriction = BNode(f"some_{_local(term)}_{slot}_{_local(filler)}")
                graph.add((restriction, RDF.type, OWL.Restriction))
                graph.add((restriction, OWL.onProperty, prop.iri))
                graph.add((restriction, OWL.someValuesFrom, filler))
                self.axiom(term, restriction, evidence[slot, str(value)])
        for xref in record.get("xrefs") or []:
            if str(xref).split(":", 1)[0] in cls.logical_xref_prefixes:
                graph.add((term, RDFS.subClassOf, self.iri(xref)))
        for slot in model.slots_of[class_name]:  # the upper class of the record's kind (BFO, COB)
            rng = model.slot_range.get(slot)
            if rng in model.enums and record.get(slot) is not None:
                for value in record[slot] if isinstance(record[slot], list) else [record[slot]]:
                    upper = model.enums[rng].value(str(value)).upper
                    if upper is not None:
                        graph.add((term, RDFS.subClassOf, upper))

    def publication(self, record: dict) -> None:
        iri = self.iri(record["id"])
        self.graph.add((iri, RDF.type, OWL.NamedIndividual))
        self.graph.add((iri, RDF.type, self.model.classes["Publication"].iri))
        self.annotate(iri, record, set())


def add_terms(graph: Graph, model: OwlModel, data: dict[str, list[dict]]) -> None:
    """Every curated record and publication of `data` (KnowledgeBase slot -> records), into `graph`."""
    writer = _Writer(graph, model, data)
    for kb_slot, records in data.items():
        class_name = model.kb_slots.get(kb_slot)
        for record in records:
            if class_name in TERM_CLASSES:
                writer.term(class_name, record)
            elif class_name == "Publication":
                writer.publication(record)
