"""Evidence items as named individuals: a label and a definition written from the claim each one backs.

The schema gives evidence items neither (a curator writes the quote, not a name), but they have IRIs of
their own: the axiom annotations point at them (`rdfs:seeAlso`), the data graph describes them, term pages
show them. The label names the claim and the source: "evidence: <record> <relation> <object> (<publication>)",
with ", passage N" when one publication backs the same claim twice.
"""

from __future__ import annotations

from collections import Counter

from rdflib import Graph

from ..curate.rdf import plain_literal
from .model import OwlModel
from .vocab import DEFINITION, OWL, RDF, RDFS

__all__ = ["add_evidence_individuals", "evidence_labels"]


def evidence_labels(model: OwlModel, data: dict[str, list[dict]]) -> dict[str, tuple[str, str]]:
    """Evidence id -> (label, definition), for every evidence item of `data`."""
    labels = {str(r["id"]): str(r["label"]) for items in data.values() for r in items if "label" in r}
    source_kinds = {v.name: v.label for v in model.enums["SourceKindEnum"].values}
    passages: Counter[str] = Counter()
    out: dict[str, tuple[str, str]] = {}
    for kb_slot, items in data.items():
        class_name = model.kb_slots.get(kb_slot)
        if class_name not in model.classes:
            continue
        kind = model.classes[class_name].label
        for record in sorted(items, key=lambda r: str(r["id"])):
            subject = labels[str(record["id"])]
            for item in sorted(record.get("has_evidence") or [], key=lambda e: str(e["id"])):
                relation = item.get("about_relation")
                if relation:
                    obj = str(item.get("about_object"))
                    claim = f"{subject} {model.claim_phrases.get(relation, relation)} {labels.get(obj, obj)}"
                else:
                    claim = f"{subject} is a {kind}"
                publication = labels.get(str(item.get("publication")), str(item.get("publication")))
                label = f"evidence: {claim} ({publication})"
                passages[label] += 1
                passage = passages[label]
                if passage > 1:
                    label = f"evidence: {claim} ({publication}, passage {passage})"
                direction = "refutes" if item.get("evidence_direction") == "refutes" else "supports"
                source = source_kinds.get(str(item.get("source_kind")), str(item.get("source_kind")))
                inferred = " (a curator's inference from the passage)" if item.get("assertion_method") == "inferred" \
                    else ""
                # The definition numbers a second passage too: no two terms share a definition (ROBOT's
                # duplicate_definition).
                lead = "A passage" if passage == 1 else f"Passage {passage}"
                out[str(item["id"])] = (label, f"{lead} of {publication} ({source}) that {direction} the claim "
                                               f"that {claim}{inferred}.")
    return out


def add_evidence_individuals(graph: Graph, model: OwlModel, data: dict[str, list[dict]]) -> None:
    evidence_class = model.classes["Evidence"].iri
    for eid, (label, definition) in evidence_labels(model, data).items():
        iri = model.expand(eid)
        graph.add((iri, RDF.type, OWL.NamedIndividual))
        graph.add((iri, RDF.type, evidence_class))
        graph.add((iri, RDFS.label, plain_literal(label)))
        graph.add((iri, DEFINITION, plain_literal(definition)))
