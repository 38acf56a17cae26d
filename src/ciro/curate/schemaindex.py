"""What the validator needs to know about the schema, compiled once from the LinkML SchemaView.

Compiled results are cached by the content of the schema folder (not its path), so copies of the schema
share them and an edited schema is never served stale. Generating the JSON Schema costs about a second, so
it is also cached on disk, keyed by that content and the LinkML version.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SlotInfo", "SchemaIndex", "schema_index", "json_schema", "generate_json_schema", "schema_digest",
           "cached_text"]


@dataclass(frozen=True)
class SlotInfo:
    """One slot as used by one class."""

    name: str
    range: str
    multivalued: bool
    reference: bool  # range is a class referenced by id (not inlined)
    inlined: bool
    required: bool
    allowed_prefixes: tuple[str, ...]


@dataclass(frozen=True)
class SchemaIndex:
    """Classes, their slots, class ancestry, prefixes and the per-kind identifier rules of the schema."""

    slots: dict[str, dict[str, SlotInfo]]  # class -> slot -> info
    ancestors: dict[str, frozenset[str]]  # class -> itself and every is_a ancestor
    prefixes: dict[str, str]  # prefix -> namespace IRI
    tree_slots: dict[str, str]  # KnowledgeBase slot -> record class
    kind_prefixes: dict[str, tuple[str, ...]]  # target_kind value -> allowed xref prefixes
    class_xref_prefixes: dict[str, tuple[str, ...]]  # class -> allowed xref prefixes
    enum_values: dict[str, tuple[str, ...]]  # enum name -> permissible values
    slot_predicates: dict[str, str]  # predicate IRI -> slot name
    sub_slots: dict[str, frozenset[str]]  # slot -> itself and every slot that is_a it (involves_loss_of...)

    def is_a(self, class_name: str, ancestor: str) -> bool:
        return ancestor in self.ancestors.get(class_name, frozenset())

    def class_of(self, kind: str) -> str:
        """The class of a loaded record's kind (a KnowledgeBase slot, or "evidence")."""
        return "Evidence" if kind == "evidence" else self.tree_slots[kind]


def _prefix_list(annotations) -> tuple[str, ...]:
    # SchemaView hands back a JsonObj or a dict, depending on how the schema was loaded.
    from jsonasobj2 import as_dict

    if not annotations:
        return ()
    items = annotations.items() if isinstance(annotations, dict) else as_dict(annotations).items()
    for key, ann in items:
        if key in ("allowed_prefixes", "xref_prefixes"):
            value = ann.get("value") if isinstance(ann, dict) else getattr(ann, "value", ann)
            return tuple(str(value).split())
    return ()


def schema_digest(schema_path: Path) -> str:
    """A digest of every schema file in the schema's folder (the schema and any module it imports)."""
    hasher = hashlib.sha256()
    for path in sorted(schema_path.parent.glob("*")):
        if path.is_file():
            hasher.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return hasher.hexdigest()[:20]


_INDEXES: dict[str, SchemaIndex] = {}


def schema_index(schema_path: Path) -> SchemaIndex:
    """The compiled index of the schema at `schema_path` (kept on disk as JSON: SchemaView takes half a second)."""
    key = schema_digest(schema_path)
    if key not in _INDEXES:
        text = cached_text("schemaindex", f"{key}-linkml{_linkml_version()}.json",
                           lambda: json.dumps(_as_plain(_compile(schema_path))))
        _INDEXES[key] = _from_plain(json.loads(text))
    return _INDEXES[key]


def _as_plain(index: SchemaIndex) -> dict:
    return {
        "slots": {c: {s: [str(i.name), str(i.range), i.multivalued, i.reference, i.inlined, i.required,
                          [str(p) for p in i.allowed_prefixes]] for s, i in t.items()} for c, t in index.slots.items()},
        "ancestors": {c: sorted(map(str, a)) for c, a in index.ancestors.items()},
        "prefixes": {str(k): str(v) for k, v in index.prefixes.items()},
        "tree_slots": {str(k): str(v) for k, v in index.tree_slots.items()},
        "kind_prefixes": {str(k): [str(p) for p in v] for k, v in index.kind_prefixes.items()},
        "class_xref_prefixes": {str(k): [str(p) for p in v] for k, v in index.class_xref_prefixes.items()},
        "enum_values": {str(k): [str(p) for p in v] for k, v in index.enum_values.items()},
        "slot_predicates": {str(k): str(v) for k, v in index.slot_predicates.items()},
        "sub_slots": {str(k): sorted(map(str, v)) for k, v in index.sub_slots.items()},
    }


def _from_plain(d: dict) -> SchemaIndex:
    return SchemaIndex(
        {c: {s: SlotInfo(n, r, m, ref, inl, req, tuple(p)) for s, (n, r, m, ref, inl, req, p) in t.items()}
         for c, t in d["slots"].items()},
        {c: frozenset(a) for c, a in d["ancestors"].items()}, d["prefixes"], d["tree_slots"],
        {k: tuple(v) for k, v in d["kind_prefixes"].items()},
        {k: tuple(v) for k, v in d["class_xref_prefixes"].items()},
        {k: tuple(v) for k, v in d["enum_values"].items()}, d["slot_predicates"],
        {k: frozenset(v) for k, v in d["sub_slots"].items()},
    )


def _compile(schema_path: Path) -> SchemaIndex:
    from linkml_runtime.utils.schemaview import SchemaView

    view = SchemaView(str(schema_path))
    slots: dict[str, dict[str, SlotInfo]] = {}
    ancestors: dict[str, frozenset[str]] = {}
    predicates: dict[str, str] = {}
    classes = view.all_classes()
    for name, cdef in classes.items():
        ancestors[name] = frozenset(view.class_ancestors(name))
        if cdef.abstract:
            continue
        table = {}
        for slot in view.class_induced_slots(name):
            rng = slot.range or view.schema.default_range
            is_class = rng in classes
            inlined = bool(slot.inlined or slot.inlined_as_list) and is_class
            table[slot.name] = SlotInfo(
                slot.name,
                rng,
                bool(slot.multivalued),
                is_class and not inlined,
                inlined,
                bool(slot.required or slot.identifier),
                _prefix_list(slot.annotations),
            )
            predicates[view.get_uri(slot, expand=True)] = slot.name
        slots[name] = table
    kind_prefixes = {
        value: _prefix_list(pv.annotations)
        for value, pv in view.get_enum("TargetKindEnum").permissible_values.items()
    }
    class_xref_prefixes = {n: _prefix_list(c.annotations) for n, c in classes.items() if c.annotations}
    enum_values = {n: tuple(e.permissible_values) for n, e in view.all_enums().items()}
    root = next(c for c in classes.values() if c.tree_root)
    tree_slots = {s.name: s.range for s in view.class_induced_slots(root.name)}
    prefixes = {p.prefix_prefix: str(p.prefix_reference) for p in view.schema.prefixes.values()}
    sub_slots = {name: frozenset(view.slot_descendants(name, reflexive=True)) for name in view.all_slots()}
    return SchemaIndex(
        slots, ancestors, prefixes, tree_slots, kind_prefixes, class_xref_prefixes, enum_values, predicates,
        sub_slots,
    )


def cached_text(name: str, key: str, make) -> str:
    """`make()`, cached in memory and on disk as ~/.cache/ciro/<name>-<key>; a read-only home only costs speed."""
    if (name, key) in _TEXTS:
        return _TEXTS[name, key]
    from ..cachedir import cache_root

    cached = cache_root() / f"{name}-{key}"
    if cached.is_file():
        text = cached.read_text(encoding="utf-8")
    else:
        text = make()
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=cached.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, cached)
        except OSError:
            pass
    _TEXTS[name, key] = text
    return text


_TEXTS: dict[tuple[str, str], str] = {}


def json_schema(schema_path: Path) -> dict:
    """The JSON Schema LinkML generates for the schema."""
    key = f"{schema_digest(schema_path)}-linkml{_linkml_version()}.json"
    return json.loads(cached_text("jsonschema", key, lambda: generate_json_schema(schema_path)))


def generate_json_schema(schema_path: Path) -> str:
    from linkml.generators.jsonschemagen import JsonSchemaGenerator

    return JsonSchemaGenerator(str(schema_path)).serialize()


def _linkml_version() -> str:
    from importlib.metadata import version

    return version("linkml")
