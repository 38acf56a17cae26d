"""Inject one known error of each kind into a generated KB, each into a different record, and say where.

Each injector edits the in-memory records of the generator (or adds a broken file) and returns what it
did as an `Injected` entry: the record and field a validator must name, the layer expected to name it, and
the SHACL result(s) the error must cause when SHACL can see it (focus IRI, path IRI, component).
"""

from __future__ import annotations

from collections.abc import Callable

from .generate import ERROR_KINDS, VOCAB_IRI, Injected, _iri

__all__ = ["inject_errors"]

_RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
_EXACT_MATCH = "http://www.w3.org/2004/02/skos/core#exactMatch"


class _Picker:
    """Chooses victims at random (from the builder's seeded generator): each error in a record of its own (an
    evidence item's record is its parent's), as one broken field can hide another from a validator."""

    def __init__(self, builder):
        self.b, self.rng, self.used = builder, builder.rng, set()
        self.avoid_publications: set[str] = set()

    def record(self, kind: str, test: Callable[[dict], bool] = lambda r: True) -> dict:
        candidates = [r for r in self.b.records[kind] if self.free(r) and test(r)]
        if not candidates:
            raise ValueError(f"no {kind} record left to inject an error into; use a larger n")
        chosen = self.rng.choice(candidates)
        self.used.add(chosen["id"])
        return chosen

    def free(self, record: dict) -> bool:
        """Whether no error went into the record or its evidence items yet."""
        return record["id"] not in self.used and not any(e["id"] in self.used for e in record.get("has_evidence") or [])

    def evidence(self, test: Callable[[dict, dict], bool] = lambda e, r: True) -> tuple[dict, dict]:
        candidates = [(e, r) for kind in ("mechanisms", "targets", "therapies", "countermeasures", "phenotypes")
                      for r in self.b.records[kind] if r["id"] not in self.used for e in r.get("has_evidence") or []
                      if e["id"] not in self.used and e["publication"] not in self.avoid_publications and test(e, r)]
        if not candidates:
            raise ValueError("no evidence item left to inject an error into; use a larger n")
        item, parent = self.rng.choice(candidates)
        self.used.update((item["id"], parent["id"]))  # one error per record: the checks of a record interact
        return item, parent


def _entry(b, kind: str, record: dict, field: str, stage: str, note: str, shacl=()) -> Injected:
    return Injected(kind, b.path(record), [record["id"]], field, stage, note, [list(s) for s in shacl])


def _evidence_entry(b, kind, item, parent, field, stage, note, shacl=()) -> Injected:
    return Injected(kind, b.path(parent), [item["id"]], field, stage, note, [list(s) for s in shacl])


def _missing_id(b) -> str:
    return f"CIRO:{9_000_000 + b.rng.randrange(999_999):07d}"


def inject_errors(b, kinds: tuple[str, ...]) -> list[Injected]:
    """Inject one error of each kind in `kinds` (in ERROR_KINDS order) into the builder's records."""
    unknown = set(kinds) - set(ERROR_KINDS)
    if unknown:
        raise ValueError(f"unknown error kind(s): {', '.join(sorted(unknown))}; known: {', '.join(ERROR_KINDS)}")
    pick = _Picker(b)
    out: list[Injected] = []
    # First, so that quote errors are not injected into evidence citing the publication without a text.
    if "missing_source_text" in kinds:
        pub = pick.record("publications")
        name = f"missing-{pub['id'].split(':')[1]}.txt"
        pub["source_text"] = name
        b.no_source.add(name)
        pick.avoid_publications.add(pub["id"])
        out.append(_entry(b, "missing_source_text", pub, "source_text", "quote", f"kept text {name} not written"))
    # Then the cycle, which needs two free mechanisms, one broader than the other (few in a small KB).
    order = ["broader_cycle"] + [k for k in ERROR_KINDS if k not in ("broader_cycle", "missing_source_text")]
    for kind in order:
        if kind in kinds:
            out.append(_INJECTORS[kind](b, pick))
    return out


def _dangling_reference(b, pick) -> Injected:
    mech = pick.record("mechanisms")
    missing = _missing_id(b)
    mech["involves"].append(missing)
    return _entry(b, "dangling_reference", mech, "involves", "reference", f"involves {missing}, which no record has",
                  [(_iri(mech["id"]), VOCAB_IRI + "involves", "ClassConstraintComponent")])


def _wrong_class(b, pick) -> Injected:
    mech = pick.record("mechanisms")
    target = b.rng.choice(b.records["targets"])["id"]
    mech.setdefault("undermines", []).append(target)
    return _entry(b, "wrong_class", mech, "undermines", "reference", f"undermines the target {target}",
                  [(_iri(mech["id"]), VOCAB_IRI + "undermines", "ClassConstraintComponent")])


def _bad_enum(b, pick) -> Injected:
    mech = pick.record("mechanisms")
    mech["origin"] = mech.get("origin", "tumor_intrinsic").replace("tumor", "tumour")
    return _entry(b, "bad_enum", mech, "origin", "schema", f"origin {mech['origin']!r} (British spelling)",
                  [(_iri(mech["id"]), VOCAB_IRI + "origin", "InConstraintComponent")])


def _missing_required(b, pick) -> Injected:
    target = pick.record("targets")
    del target["target_kind"]
    return _entry(b, "missing_required", target, "target_kind", "schema", "target_kind removed",
                  [(_iri(target["id"]), VOCAB_IRI + "target_kind", "MinCountConstraintComponent")])


def _bad_curie_pattern(b, pick) -> Injected:
    target = pick.record("targets")
    target.setdefault("xrefs", []).append("HGNC:12ab")
    return _entry(b, "bad_curie_pattern", target, "xrefs", "identifier", "xref HGNC:12ab (HGNC ids are digits)",
                  [(_iri(target["id"]), _EXACT_MATCH, "ClassConstraintComponent")])


def _unknown_prefix(b, pick) -> Injected:
    target = pick.record("targets")
    target.setdefault("xrefs", []).append("HGCN:1234")
    return _entry(b, "unknown_prefix", target, "xrefs", "identifier", "xref with the unknown prefix HGCN",
                  [(_iri(target["id"]), _EXACT_MATCH, "ClassConstraintComponent")])


def _bad_ciro_id(b, pick) -> Injected:
    mech = pick.record("mechanisms", lambda r: "broader_mechanisms" in r)
    mech["broader_mechanisms"].append("CIRO:123")
    return _entry(b, "bad_ciro_id", mech, "broader_mechanisms", "identifier", "CIRO:123 (CIRO ids have 7 digits)",
                  [(_iri(mech["id"]), VOCAB_IRI + "broader_mechanisms", "ClassConstraintComponent")])


def _wrong_xref_kind(b, pick) -> Injected:
    target = pick.record("targets", lambda r: r["target_kind"] == "gene_or_protein")
    term = b.term("CL")
    target.setdefault("xrefs", []).append(term)
    return _entry(b, "wrong_xref_kind", target, "xrefs", "identifier",
                  f"a gene target grounded in the cell type {term}")


def _wrong_evidence_type(b, pick) -> Injected:
    item, parent = pick.evidence()
    item["evidence_type"] = b.term("CL")
    return _evidence_entry(b, "wrong_evidence_type", item, parent, "evidence_type", "identifier",
                           f"evidence type {item['evidence_type']} is not an ECO term")


def _duplicate_id(b, pick) -> Injected:
    first = pick.record("targets")
    copy = {"id": first["id"], "label": f"duplicate of {first['label']}", "definition": "Reuses another id.",
            "target_kind": first["target_kind"]}
    b.records["targets"].append(copy)
    b.paths[id(copy)] = b.path(first).removesuffix(".yaml") + "-duplicate-id.yaml"
    entry = _entry(b, "duplicate_id", copy, "id", "reference", f"a second target with id {first['id']}",
                   [(_iri(first["id"]), _RDFS_LABEL, "MaxCountConstraintComponent")])
    entry.note += f" (the first is in {b.path(first)})"
    return entry


def _duplicate_label(b, pick) -> Injected:
    first = pick.record("mechanisms")
    second = pick.record("mechanisms")
    second["label"] = "  ".join(first["label"].upper().split())
    b.paths[id(second)] = b.path(second).removesuffix(".yaml") + "-duplicate-label.yaml"
    entry = _entry(b, "duplicate_label", second, "label", "reference", f"label of {first['id']}, other case/spacing")
    entry.records.append(first["id"])  # the one read second is reported
    return entry


def _unknown_field(b, pick) -> Injected:
    target = pick.record("targets")
    target["defintion"] = target.pop("definition")
    return _entry(b, "unknown_field", target, "defintion", "schema", "'definition' misspelt 'defintion'")


def _wrong_type(b, pick) -> Injected:
    mech = pick.record("mechanisms", lambda r: "categories" in r)
    mech["categories"] = mech["categories"][0]
    return _entry(b, "wrong_type", mech, "categories", "schema", "categories as a scalar, not a list")


def _bad_pattern(b, pick) -> Injected:
    pub = pick.record("publications")
    pub["doi"] = "10.55/not-a-doi"
    return _entry(b, "bad_pattern", pub, "doi", "schema", "doi 10.55/not-a-doi (registrant code too short)",
                  [(_iri(pub["id"]), VOCAB_IRI + "doi", "PatternConstraintComponent")])


def _ill_typed_literal(b, pick) -> Injected:
    pub = pick.record("publications")
    pub["year"] = f"{pub['year']}a"
    return _entry(b, "ill_typed_literal", pub, "year", "schema", f"year {pub['year']!r}: an ill-typed xsd:integer",
                  [(_iri(pub["id"]), VOCAB_IRI + "year", "DatatypeConstraintComponent")])


def _quote_not_in_source(b, pick) -> Injected:
    item, parent = pick.evidence()
    item["quote"] = f"no kept source holds this sentence {item['id']}"
    return _evidence_entry(b, "quote_not_in_source", item, parent, "quote", "quote", "a quote in no kept text")


def _quote_wrong_publication(b, pick) -> Injected:
    item, parent = pick.evidence()
    pubs = [p["id"] for p in b.records["publications"] if p["id"] not in pick.avoid_publications]
    other = b.rng.choice([p for p in pubs if p != item["publication"]])
    item["quote"] = b.sentences[item["publication"]][0].rstrip(".")  # holds a tag unique to its publication
    note = f"quote from {item['publication']}, cited as {other}"
    item["publication"] = other
    return _evidence_entry(b, "quote_wrong_publication", item, parent, "quote", "quote", note)


def _empty_quote(b, pick) -> Injected:
    item, parent = pick.evidence()
    item["quote"] = " ... "
    return _evidence_entry(b, "empty_quote", item, parent, "quote", "quote", "quote holds only an ellipsis",
                           [(_iri(item["id"]), VOCAB_IRI + "quote", "PatternConstraintComponent")])


def _claim_not_a_link(b, pick) -> Injected:
    item, parent = pick.evidence(lambda e, r: e.get("about_relation") == "involves")
    linked = {v for slot, values in parent.items() if slot.startswith("involves") for v in values}  # sub-slots too
    other = next(t["id"] for t in b.records["targets"] if t["id"] not in linked)
    item["about_object"] = other
    return _evidence_entry(b, "claim_not_a_link", item, parent, "about_object", "reference",
                           f"supports involves {other}, a link {parent['id']} does not state")


def _claim_half(b, pick) -> Injected:
    item, parent = pick.evidence(lambda e, r: "about_object" in e)
    del item["about_object"]
    return _evidence_entry(b, "claim_half", item, parent, "about_relation", "reference",
                           "about_relation without about_object")


def _broader_cycle(b, pick) -> Injected:
    mechanisms = {m["id"]: m for m in b.records["mechanisms"]}
    # The narrow one states no origin of its own: through the cycle it would become the broad one's origin too, and
    # every descendant with another origin would be a second error.
    narrow = pick.record("mechanisms", lambda r: "broader_mechanisms" in r and r["broader_mechanisms"][0] != r["id"]
                         and "origin" not in r and pick.free(mechanisms[r["broader_mechanisms"][0]]))
    broad = mechanisms[narrow["broader_mechanisms"][0]]
    pick.used.add(broad["id"])
    broad.setdefault("broader_mechanisms", []).append(narrow["id"])
    path = VOCAB_IRI + "broader_mechanisms"
    entry = _entry(b, "broader_cycle", narrow, "broader_mechanisms", "reference",
                   f"{narrow['id']} -> {broad['id']} -> {narrow['id']}",
                   [(_iri(narrow["id"]), path, "SPARQLConstraintComponent"),
                    (_iri(broad["id"]), path, "SPARQLConstraintComponent")])
    entry.records.append(broad["id"])
    return entry


def _countermeasure_with_nothing(b, pick) -> Injected:
    cm = pick.record("countermeasures")
    cm.pop("counteracts", None)
    cm.pop("reverses", None)
    cm.pop("acts_on", None)
    cm["has_evidence"] = [e for e in cm["has_evidence"] if e.get("about_relation") not in ("counteracts", "acts_on")]
    return _entry(b, "countermeasure_with_nothing", cm, "", "shacl", "neither counteracts nor acts_on",
                  [(_iri(cm["id"]), "", "OrConstraintComponent")])


def _mechanism_without_evidence(b, pick) -> Injected:
    mech = pick.record("mechanisms")
    mech["has_evidence"] = []  # the schema's 'required' is met by an empty list; a SHACL rule is not
    return _entry(b, "mechanism_without_evidence", mech, "has_evidence", "shacl",
                  "has_evidence: [] (two shapes require evidence: two SHACL results)",
                  [(_iri(mech["id"]), VOCAB_IRI + "has_evidence", "MinCountConstraintComponent")])


def _yaml_syntax(b, pick) -> Injected:
    rel = "instances/mechanisms/zz-broken-syntax.yaml"
    b.extra_files[rel] = f"id: {b.ids()}\nlabel: [an unclosed list\norigin: tumor_intrinsic\n"
    return Injected("yaml_syntax", rel, [], "", "yaml", "an unclosed flow sequence")


def _yaml_duplicate_key(b, pick) -> Injected:
    rel = "instances/targets/zz-duplicate-key.yaml"
    b.extra_files[rel] = f"id: {b.ids()}\nlabel: one\nlabel: two\ntarget_kind: gene_or_protein\n"
    return Injected("yaml_duplicate_key", rel, [], "", "yaml", "the key 'label' twice")


_INJECTORS: dict[str, Callable] = {
    "dangling_reference": _dangling_reference, "wrong_class": _wrong_class, "bad_enum": _bad_enum,
    "missing_required": _missing_required, "bad_curie_pattern": _bad_curie_pattern, "unknown_prefix": _unknown_prefix,
    "bad_ciro_id": _bad_ciro_id, "wrong_xref_kind": _wrong_xref_kind, "wrong_evidence_type": _wrong_evidence_type,
    "duplicate_id": _duplicate_id, "duplicate_label": _duplicate_label, "unknown_field": _unknown_field,
    "wrong_type": _wrong_type, "bad_pattern": _bad_pattern, "ill_typed_literal": _ill_typed_literal,
    "quote_not_in_source": _quote_not_in_source, "quote_wrong_publication": _quote_wrong_publication,
    "empty_quote": _empty_quote, "claim_not_a_link": _claim_not_a_link, "claim_half": _claim_half,
    "broader_cycle": _broader_cycle, "countermeasure_with_nothing": _countermeasure_with_nothing,
    "mechanism_without_evidence": _mechanism_without_evidence,
    "yaml_syntax": _yaml_syntax, "yaml_duplicate_key": _yaml_duplicate_key,
}
