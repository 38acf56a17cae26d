"""ciro.sssom.tsv: every cross-reference of the curated records as an SSSOM mapping set.

One row per (record, external term) that a record's mapping slots name (`xrefs` as skos:exactMatch, and
whichever slots the schema maps to skos:closeMatch, broadMatch, narrowMatch or relatedMatch), with the labels
of both sides (the external label as the registry in instances/external_terms/ confirmed it), the mapping
justification (semapv:ManualMappingCuration: a curator wrote it), the record's creator as author where an
ORCID is known, and the record's creation date. The header is SSSOM's YAML block (`#`-prefixed) with the
CURIE map of every prefix used. sssom-py validates the file in the tests.
"""

from __future__ import annotations

import csv
import io

import yaml

from .model import TERM_CLASSES, OwlModel
from .vocab import BASE, CREATOR, LICENSE, version_iri

__all__ = ["MAPPING_PREDICATES", "mapping_set"]

SKOS = "http://www.w3.org/2004/02/skos/core#"
MAPPING_PREDICATES = tuple(SKOS + p for p in ("exactMatch", "closeMatch", "broadMatch", "narrowMatch", "relatedMatch"))
SSSOM_IRI = BASE + "ciro.sssom.tsv"
_COLUMNS = ("subject_id", "subject_label", "predicate_id", "object_id", "object_label", "mapping_justification",
            "author_id", "author_label", "mapping_date", "comment")
_JUSTIFICATION = "semapv:ManualMappingCuration"


def _predicate_slots(model: OwlModel) -> dict[str, str]:
    """Record slots whose values are mappings -> their SKOS predicate as a CURIE ("skos:exactMatch")."""
    slots = {}
    for name, prop in model.properties.items():
        if str(prop.iri) in MAPPING_PREDICATES:
            slots[name] = "skos:" + str(prop.iri)[len(SKOS):]
    return slots


def mapping_set(data: dict[str, list[dict]], model: OwlModel) -> str:
    """The SSSOM/TSV text of every mapping in `data` (KnowledgeBase slot -> records), rows sorted."""
    labels = {str(t["id"]): str(t["label"]) for t in data.get("external_terms", [])}
    slots = _predicate_slots(model)
    rows, prefixes = [], {"CIRO", "skos", "semapv"}
    for kb_slot, records in data.items():
        if model.kb_slots.get(kb_slot) not in TERM_CLASSES:
            continue
        for record in records:
            if record.get("deprecated"):
                continue
            for slot, predicate in slots.items():
                for obj in record.get(slot) or []:
                    obj = str(obj)
                    prefixes.add(obj.split(":", 1)[0])
                    date = record.get("creation_date")
                    rows.append({
                        "subject_id": str(record["id"]), "subject_label": str(record["label"]),
                        "predicate_id": predicate, "object_id": obj, "object_label": labels.get(obj, ""),
                        "mapping_justification": _JUSTIFICATION,
                        "author_id": str(record.get("creator") or ""),
                        # no ORCID known for most records (only checked ones are written): the team as label
                        "author_label": "" if record.get("creator") else CREATOR,
                        "mapping_date": date.isoformat() if hasattr(date, "isoformat") else str(date or ""),
                        "comment": " ".join(str(record.get("grounding_note") or "").split()),
                    })
    for row in rows:
        if row["author_id"]:
            prefixes.add(row["author_id"].split(":", 1)[0])
    known = dict(model.prefixes) | {"semapv": "https://w3id.org/semapv/vocab/", "ORCID": "https://orcid.org/"}
    header = {
        "curie_map": {p: known[p] for p in sorted(prefixes)},
        "mapping_set_id": SSSOM_IRI,
        "mapping_set_version": str(version_iri(SSSOM_IRI, model.version)),
        "mapping_set_title": "CIRO cross-references",
        "mapping_set_description": "Every cross-reference of CIRO's curated records to external terms.",
        "license": str(LICENSE),
        "creator_label": [CREATOR],
        "subject_source": BASE + "ciro.owl",
        "subject_source_version": str(version_iri(BASE + "ciro.owl", model.version)),
    }
    out = io.StringIO()
    for line in yaml.safe_dump(header, sort_keys=False, allow_unicode=True).splitlines():
        out.write(f"#{line}\n")
    writer = csv.DictWriter(out, fieldnames=_COLUMNS, delimiter="\t", lineterminator="\n")
    writer.writeheader()
    for row in sorted(rows, key=lambda r: (r["subject_id"], r["predicate_id"], r["object_id"])):
        writer.writerow(row)
    return out.getvalue()
