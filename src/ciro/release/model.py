"""What the schema says each thing becomes in OWL, compiled once from the SchemaView.

The OWL writers (`tbox`, `terms`, `evidence`) read this plan, not the SchemaView, so the rules live in one
place (docs/design.md, "What becomes what in OWL"):

* record classes are OWL classes, placed under the upper classes their `broad_mappings` name (BFO, COB,
  IAO); curated records are subclasses of their record class;
* a slot whose range is a record class or a CIRO enum is an object property, used in existential
  restrictions on the record's class (`links`); `broader_*` slots are `rdfs:subClassOf` instead (`taxonomy`);
* every literal, external-term and evidence slot is an annotation property (`annotations`);
* each enum is a value class, its CIRO values pairwise disjoint subclasses of it (a value partition); values
  whose meaning is an external IRI (IAO's obsolescence reasons) are only used, never declared;
* enum values with a `defined_class` annotation get a defined class: *tumor-intrinsic mechanism* ≡
  resistance mechanism ⊓ ∃ has origin . tumor-cell-intrinsic; a value's `upper_class` (BFO, COB) is a
  superclass of every record with that value (a target of kind 'cell type' ⊑ material entity).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rdflib import URIRef

__all__ = ["OwlModel", "ClassInfo", "PropertyInfo", "EnumInfo", "ValueInfo", "DefinedClass", "owl_model", "words",
           "text"]

# Record classes that are not knowledge: the container and the external-term registry.
NOT_IN_RELEASE = frozenset({"KnowledgeBase", "ExternalTerm", "NamedThing"})
# Records that become OWL classes; the others (publications, evidence items) are named individuals.
TERM_CLASSES = ("ResistanceMechanism", "Target", "Therapy", "Countermeasure", "Phenotype")
# Slots whose values become rdfs:subClassOf of the record's class: the mechanism and therapy taxonomies.
TAXONOMY_SLOTS = frozenset({"broader_mechanisms", "broader_therapies"})
# Slots that exist only in the data graph: the link to inlined evidence items (in OWL, evidence annotates axioms).
DATA_ONLY_SLOTS = frozenset({"id", "has_evidence"})


def words(name: str) -> str:
    """A schema name as words: 'ResistanceMechanism' -> 'resistance mechanism', 'acts_on' -> 'acts on'."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).replace("_", " ").lower()


def text(value) -> str:
    """A description on one line."""
    return " ".join(str(value).split())


@dataclass(frozen=True)
class ClassInfo:
    name: str
    iri: URIRef
    label: str
    definition: str
    parents: tuple[URIRef, ...]  # record-class parent and upper classes (broad_mappings)
    exact: tuple[URIRef, ...]  # exact_mappings, as skos:exactMatch
    logical_xref_prefixes: tuple[str, ...]  # xrefs with these prefixes become rdfs:subClassOf


@dataclass(frozen=True)
class PropertyInfo:
    name: str
    iri: URIRef
    label: str | None  # None for properties of other vocabularies (rdfs:label, IAO:0000115 ...)
    definition: str | None
    kind: str  # "object" | "annotation"
    parents: tuple[URIRef, ...] = ()  # super-properties: the schema's is_a and its RO mappings
    enum: str | None = None  # for object properties whose values are enum values
    external_values: bool = False  # an annotation whose values are IRIs (xrefs, ECO types, enum values)


@dataclass(frozen=True)
class DefinedClass:
    iri: URIRef
    label: str
    definition: str
    record_class: str
    slot: str


@dataclass(frozen=True)
class ValueInfo:
    name: str
    iri: URIRef
    label: str
    definition: str
    external: bool  # the meaning is another ontology's IRI: used, not declared
    defined: DefinedClass | None
    upper: URIRef | None  # a record with this value is a subclass of this upper class (BFO, COB)


@dataclass(frozen=True)
class EnumInfo:
    name: str
    iri: URIRef
    label: str
    definition: str
    values: tuple[ValueInfo, ...]

    def value(self, name: str) -> ValueInfo:
        return next(v for v in self.values if v.name == name)


@dataclass(frozen=True)
class OwlModel:
    version: str
    description: str
    prefixes: dict[str, str]
    classes: dict[str, ClassInfo]  # record classes in the release (incl. the abstract CuratedEntity)
    properties: dict[str, PropertyInfo]  # every slot the release uses, by slot name
    slots_of: dict[str, tuple[str, ...]]  # record class -> its slots (induced), in schema order
    slot_range: dict[str, str]  # slot -> its range (class, enum or type name)
    multivalued: frozenset[str]  # slots that take several values
    enums: dict[str, EnumInfo]
    claim_phrases: dict[str, str]  # ClaimRelationEnum value -> how a claim reads ("is a kind of")
    kb_slots: dict[str, str]  # KnowledgeBase slot (instances/<dir>) -> record class

    def expand(self, curie: str) -> URIRef:
        prefix, _, local = str(curie).partition(":")
        namespace = self.prefixes.get(prefix)
        if namespace is None:
            return URIRef(str(curie))
        return URIRef(namespace + local)

    @property
    def defined_classes(self) -> list[DefinedClass]:
        return [v.defined for e in self.enums.values() for v in e.values if v.defined is not None]


def _annotation(element, key: str) -> str | None:
    from jsonasobj2 import as_dict

    annotations = element.annotations
    if not annotations:
        return None
    items = annotations if isinstance(annotations, dict) else as_dict(annotations)
    ann = items.get(key)
    if ann is None:
        return None
    return str(ann.get("value") if isinstance(ann, dict) else getattr(ann, "value", ann))


@cache
def owl_model(schema_path: str, content_digest: str = "") -> OwlModel:
    """The OWL plan of the schema at `schema_path` (cached per path and content: `model_for` passes a digest of
    the schema's folder, so an edited schema, e.g. a version bump before `ciro release`, is read again)."""
    from linkml_runtime.utils.schemaview import SchemaView

    view = SchemaView(schema_path)
    prefixes = {p: str(d.prefix_reference) for p, d in view.schema.prefixes.items()}
    expand = view.expand_curie
    all_classes = view.all_classes()
    names = [n for n in all_classes if n not in NOT_IN_RELEASE]

    classes: dict[str, ClassInfo] = {}
    for name in names:
        cdef = all_classes[name]
        parents = []
        if cdef.is_a and cdef.is_a in names:
            parents.append(URIRef(view.get_uri(all_classes[cdef.is_a], expand=True)))
        parents += [URIRef(expand(m)) for m in cdef.broad_mappings or []]
        logical = _annotation(cdef, "logical_xref_prefixes")
        classes[name] = ClassInfo(
            name=name, iri=URIRef(view.get_uri(cdef, expand=True)), label=cdef.title or words(name),
            definition=text(cdef.description), parents=tuple(parents),
            exact=tuple(URIRef(expand(m)) for m in cdef.exact_mappings or []),
            logical_xref_prefixes=tuple(logical.split()) if logical else ())

    enums: dict[str, EnumInfo] = {}
    slot_of_enum: dict[str, str] = {}
    for slot in view.all_slots().values():
        if slot.range in view.all_enums():
            slot_of_enum.setdefault(slot.range, slot.name)
    class_labels = {c.label for c in classes.values()}
    slot_labels = {view.get_slot(n).title or words(n) for n in view.all_slots()}
    for ename, edef in view.all_enums().items():
        values = []
        base = words(ename.removesuffix("Enum"))
        for pname, pv in edef.permissible_values.items():
            if not pv.meaning:
                continue
            iri = URIRef(expand(pv.meaning))
            label = pv.title or words(pname)
            if label in slot_labels or label in class_labels:  # 'acts on' the slot vs 'acts on' the claim relation
                label = f"{label} ({base})"
            defined = None
            curie = _annotation(pv, "defined_class")
            if curie:
                slot_name = slot_of_enum[ename]
                owner = next(n for n in names if slot_name in view.class_slots(n) and not all_classes[n].abstract)
                phrase = _annotation(view.get_slot(slot_name), "defined_class_phrase") or f"with {words(slot_name)}"
                defined = DefinedClass(
                    iri=URIRef(expand(curie)), label=_annotation(pv, "defined_class_label"),
                    definition=f"A {classes[owner].label} {phrase} {pv.title or words(pname)}.",
                    record_class=owner, slot=slot_name)
            upper = _annotation(pv, "upper_class")
            values.append(ValueInfo(name=pname, iri=iri, label=label, definition=text(pv.description or label),
                                    external=not str(iri).startswith(prefixes["CIRO"]), defined=defined,
                                    upper=URIRef(expand(upper)) if upper else None))
        enums[ename] = EnumInfo(name=ename, iri=URIRef(prefixes["cirovocab"] + ename), label=f"{base} value",
                                definition=text(edef.description), values=tuple(values))

    slots_of: dict[str, tuple[str, ...]] = {}
    slot_range: dict[str, str] = {}
    multivalued: set[str] = set()
    properties: dict[str, PropertyInfo] = {}
    vocab = prefixes["cirovocab"]
    for cname in names:
        induced = view.class_induced_slots(cname)
        slots_of[cname] = tuple(s.name for s in induced)
        for slot in induced:
            rng = slot.range or view.schema.default_range
            slot_range[slot.name] = rng
            if slot.multivalued:
                multivalued.add(slot.name)
            if slot.name in properties or slot.name in DATA_ONLY_SLOTS or slot.name in TAXONOMY_SLOTS:
                continue
            iri = URIRef(view.get_uri(slot, expand=True))
            own = str(iri).startswith(vocab)
            label = None
            if own:
                label = slot.title or words(slot.name)
                if label in class_labels:  # the slot 'publication' beside the class 'publication'
                    label = "has " + label
            definition = text(slot.description) if own else None
            # Links between records are restrictions; so are enum slots with defined classes (origin, categories:
            # a mechanism is all of its categories). Other enum slots are annotations: several timings mean
            # "primary or acquired", and a therapy's kind is about the record's granularity.
            is_link = cname in TERM_CLASSES and slot.name not in ("replaced_by", "consider") and (
                rng in TERM_CLASSES or (rng in enums and any(v.defined for v in enums[rng].values)))
            if is_link:
                parents = [URIRef(view.get_uri(view.get_slot(slot.is_a), expand=True))] if slot.is_a else []
                parents += [URIRef(expand(m)) for m in (slot.broad_mappings or []) + (slot.exact_mappings or [])]
                properties[slot.name] = PropertyInfo(
                    name=slot.name, iri=iri, label=label, definition=definition, kind="object",
                    parents=tuple(parents), enum=rng if rng in enums else None)
            else:
                valued = rng in all_classes or rng in enums or rng in ("uriorcurie", "uri")
                properties[slot.name] = PropertyInfo(name=slot.name, iri=iri, label=label, definition=definition,
                                                     kind="annotation", external_values=valued)

    claim_phrases = {"broader_mechanisms": "is a kind of", "broader_therapies": "is a kind of", "agents": "uses",
                     "combined_with": "is combined with", "therapy_targets": "acts on"}
    if "ClaimRelationEnum" in enums:
        claim_phrases = {v.name: claim_phrases.get(v.name, words(v.name)) for v in enums["ClaimRelationEnum"].values}
    root = next(c for c in all_classes.values() if c.tree_root)
    kb_slots = {s.name: s.range for s in view.class_induced_slots(root.name)}
    return OwlModel(version=str(view.schema.version), description=text(view.schema.description), prefixes=prefixes,
                    classes=classes, properties=properties, slots_of=slots_of, slot_range=slot_range,
                    multivalued=frozenset(multivalued), enums=enums,
                    claim_phrases=claim_phrases, kb_slots=kb_slots)


def model_for(schema_path: Path) -> OwlModel:
    from ..curate.schemaindex import schema_digest

    return owl_model(str(schema_path), schema_digest(Path(schema_path)))
