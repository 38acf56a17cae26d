"""What the validator needs to know about the schema, compiled once from the LinkML SchemaView.

Generating the JSON Schema costs about a second, so it is cached on disk, keyed by the schema's hash and
the LinkML version.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

__all__ = ["SlotInfo", "SchemaIndex", "schema_index", "json_schema"]


@dataclass(frozen=True)
class SlotInfo:
    """One slot as used by one class."""

    name: str
    range: str
    multivalued: bool
    reference: bool  # range is a class referenced by id (not inlined)
    inlined: bool
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

    def is_a(self, class_name: str, ancestor: str) -> bool:
        return ancestor in self.ancestors.get(class_name, frozenset())


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


@cache
def schema_index(schema_path: Path) -> SchemaIndex:
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
    return SchemaIndex(
        slots, ancestors, prefixes, tree_slots, kind_prefixes, class_xref_prefixes, enum_values, predicates
    )


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ciro"


@cache
def json_schema(schema_path: Path) -> dict:
    """The JSON Schema LinkML generates for the schema (cached on disk by content hash)."""
    import linkml_runtime

    text = schema_path.read_bytes()
    key = hashlib.sha256(text + linkml_runtime.__name__.encode() + _linkml_version().encode()).hexdigest()[:20]
    cached = _cache_dir() / f"jsonschema-{key}.json"
    if cached.is_file():
        return json.loads(cached.read_text(encoding="utf-8"))
    result = generate_json_schema(schema_path)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cached.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(result)
        os.replace(tmp, cached)
    except OSError:
        pass  # a read-only home only costs speed
    return json.loads(result)


def generate_json_schema(schema_path: Path) -> str:
    from linkml.generators.jsonschemagen import JsonSchemaGenerator

    return JsonSchemaGenerator(str(schema_path)).serialize()


def _linkml_version() -> str:
    from importlib.metadata import version

    return version("linkml")
