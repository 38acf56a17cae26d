"""Validate instance files in layers and collect every problem, each located at file:line.

Layers, in order: YAML (the loader) -> LinkML schema (the JSON Schema LinkML generates) -> identifiers and
references (Bioregistry patterns, the kind of identifier a slot takes, unique ids and labels, where each
reference points, cycles) -> conversion to RDF -> SHACL (shapes generated from the schema, plus
schema/ciro-rules.shacl.ttl) -> quotes against the kept sources. A (record, field) that one layer reported
is not reported again by a later one, and a value found malformed is left out of the RDF, so one mistake
gives one line. A check that crashes is reported as an 'internal' problem, never a traceback.
"""

from __future__ import annotations

import datetime
import difflib
import gc
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .curate.errors import STAGES, Problem
from .curate.loader import LoadedKB, Record, describe, load_paths
from .curate.quotes import explain_miss, find_parts, read_source_text, split_quote
from .curate.schemaindex import SchemaIndex, SlotInfo, json_schema, schema_index
from .layout import Layout
from .progress import track
from .shacl.common import ShaclResult

__all__ = ["Report", "validate", "validate_loaded"]

CIRO_ID = re.compile(r"CIRO:[0-9]{7}")
# Stages of one layer may report several problems on one (record, field); a later layer may not.
_LAYER = {stage: n for n, stage in enumerate(STAGES)} | {"reference": STAGES.index("identifier")}


@dataclass
class Report:
    """The outcome of one validation run."""

    problems: list[Problem] = field(default_factory=list)
    files: int = 0
    records: int = 0
    quotes_checked: int = 0
    quotes_total: int = 0
    checked: dict[str, int] = field(default_factory=dict, repr=False)  # file -> quotes found there
    shacl_results: list[ShaclResult] = field(default_factory=list)  # pyshacl's report, before de-duplication
    graph: object = None  # the RDF graph pyshacl validated (an rdflib Graph); None with the fast engine
    shacl_engine: str = "fast"  # the engine that ran the SHACL layer
    shacl_notes: list[str] = field(default_factory=list)  # shapes the fast engine handed to pyshacl, and why

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity != "error"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "files": self.files,
            "records": self.records,
            "quotes_checked": self.quotes_checked,
            "quotes_total": self.quotes_total,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "problems": [p.as_dict() for p in self.problems],
            "shacl_results": [r.as_dict() for r in self.shacl_results],
            "shacl_engine": self.shacl_engine,
            "shacl_notes": self.shacl_notes,
        }


class _Collector:
    """Problems located at (record, field); a later layer never repeats a (record, field) already reported."""

    def __init__(self, kb: LoadedKB):
        self.kb = kb
        self.problems: list[Problem] = list(kb.problems)
        self._stages: dict[tuple[str, str], set[str]] = {}  # (record, field) -> stages with an error there
        self._messages: set[tuple[str, str, str]] = set()
        self.reads: dict[str, set[str]] = {}  # file -> facts about other records a rare check looked up

    def read(self, file: str, key: str) -> None:
        """Note that a check of a record in `file` looked up `key` (curate/incremental.py: what to re-run)."""
        self.reads.setdefault(file, set()).add(key)

    def add(self, record: Record | str, slot: str, message: str, stage: str, severity: str = "error",
            item: int | None = None) -> None:
        """Report at the field's key, or with `item` (a list field's item, from 0) at that item's line."""
        name = record.name if isinstance(record, Record) else record
        if severity == "error":
            if min((_LAYER[s] for s in self._stages.get((name, slot), ())), default=99) < _LAYER[stage]:
                return
            self.cover(name, slot, stage)
        if (name, slot, message) in self._messages:
            return
        self._messages.add((name, slot, message))
        where = record.where(slot, item) if isinstance(record, Record) else self.kb.where(name, slot)
        self.problems.append(Problem(where.file, where.line, name, slot, message, stage, severity))

    def cover(self, name: str, slot: str, stage: str) -> None:
        """Count (record, field) as reported by `stage`: its problem is reported elsewhere (where its cause is)."""
        self._stages.setdefault((name, slot), set()).add(stage)

    def failed(self, name: str, slot: str, stages: tuple[str, ...] = STAGES) -> bool:
        """Whether any of `stages` reported an error at (record, field)."""
        found = self._stages.get((name, slot))
        return found is not None and not found.isdisjoint(stages)


def _values(value) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


def _hint(word: str, choices, cutoff: float = 0.6) -> str:
    """' (did you mean X?)' for the choice closest to `word`, or that starts with it; else ''."""
    lowered = {str(c).casefold(): str(c) for c in choices}
    close = difflib.get_close_matches(word.casefold(), list(lowered), n=1, cutoff=cutoff)
    starting = [c for c in lowered if word and c.startswith(word.casefold())]
    close = close or (starting if len(starting) == 1 else [])
    return f" (did you mean '{lowered[close[0]]}'?)" if close else ""


def _short(value) -> str:
    """A value as a message shows it: at most 80 characters."""
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _a(word: str) -> str:
    return f"an {word}" if word[:1].lower() in "aeiou" else f"a {word}"


# --- layer 2: the LinkML schema, through the JSON Schema it generates ---------------------------------

_MEANT = re.compile(r"^unknown field .* \(did you mean '([^']+)'\?\)$")
_JSON_TYPES = {"string": "text", "array": "a list", "object": "a mapping", "integer": "a whole number",
               "number": "a number", "boolean": "true or false"}


def _schema_layer(kb: LoadedKB, index: SchemaIndex, out: _Collector, schema_path: Path) -> None:
    import jsonschema

    from .curate.jsoncheck import compile_check

    defs = json_schema(schema_path)["$defs"]
    evidence = {(r.parent.name, r.index): r for r in kb.records if r.parent is not None}
    validators: dict[str, jsonschema.protocols.Validator] = {}
    checks: dict = {}  # class -> a compiled yes/no check (curate/jsoncheck.py): jsonschema only for the rejected
    for record in track(kb.records, "schema layer", unit="record"):
        if record.parent is not None:
            continue  # checked with its parent, where the schema says what it may be
        class_name = index.class_of(record.kind)
        passed = kb.prechecked.get(id(record))  # checked where its file was parsed (_schema_precheck)
        if passed is True:
            continue
        if class_name not in checks:
            checks[class_name] = compile_check(defs, class_name)
        if passed is None and checks[class_name] is not None and checks[class_name](record.data):
            continue
        instance = _as_json(record.data)
        if class_name not in validators:
            validators[class_name] = jsonschema.Draft202012Validator({"$defs": defs, "$ref": f"#/$defs/{class_name}"})
        errors = validators[class_name].iter_errors(instance)
        found: dict[tuple[str, str, object], tuple[Record, str]] = {}  # one problem per field (or list item)
        for error in sorted(errors, key=lambda e: (list(map(str, e.absolute_path)), e.validator != "type")):
            path = list(error.absolute_path)
            target = record
            if path[:1] == ["has_evidence"] and len(path) >= 2 and (record.name, path[1]) in evidence:
                target, path = evidence[record.name, path[1]], path[2:]
            for slot, message in _explain(error, path, index, index.class_of(target.kind)):
                found.setdefault((target.name, slot, path[1] if len(path) > 1 else None), (target, message))
        # A misspelt field is one mistake: 'lable' is unknown *because* 'label' is missing; say it once.
        meant = {(key[0], m) for key, (_t, message) in found.items() for m in _MEANT.findall(message)}
        for (name, slot, item), (target, message) in found.items():
            if message.startswith("missing required field") and (name, slot) in meant:
                out.cover(name, slot, "schema")
            else:
                out.add(target, slot, message, "schema", item=item if isinstance(item, int) else None)
    required = _slots_where(index, lambda _slot, info: info.required)
    for record in kb.records:  # required text that is there but blank
        data = record.data
        for slot, _info in required[index.class_of(record.kind)]:
            value = data.get(slot)
            if isinstance(value, str) and not value.strip():
                out.add(record, slot, f"{slot} is empty", "schema")


def _schema_precheck(layout: Layout):
    """The schema layer's yes/no check of a record (curate/jsoncheck.py), for the loader to run where each file is
    parsed (in the parse helper for its share of the files): per record True (valid), False (jsonschema is to
    say why) or None (an evidence item, checked with its record, or a class with no compiled check). None when
    the schema cannot be read: the layers report that."""
    from .curate.jsoncheck import compile_check

    try:
        index, defs = schema_index(layout.schema), json_schema(layout.schema)["$defs"]
    except Exception:  # noqa: BLE001
        return None
    checks: dict = {}

    def precheck(records: list[Record]) -> tuple:
        found = []
        for record in records:
            if record.parent is not None:
                found.append(None)
                continue
            class_name = index.class_of(record.kind)
            if class_name not in checks:
                checks[class_name] = compile_check(defs, class_name)
            check = checks[class_name]
            found.append(None if check is None else bool(check(record.data)))
        return tuple(found)

    return precheck


def _as_json(value):
    """The record as JSON Schema sees it: YAML reads 2026-11-29 as a date, JSON has only the text."""
    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    return value.isoformat() if isinstance(value, datetime.date) else value


def _explain(error, path: list, index: SchemaIndex, owner: str) -> list[tuple[str, str]]:
    """(field, message) for one JSON Schema error, in a curator's words."""
    if error.validator == "additionalProperties":
        known = error.schema.get("properties", {})
        return [(str(k), f"unknown field '{k}' for {_a(owner)}{_hint(str(k), index.slots.get(owner, {}))}")
                for k in error.instance if k not in known]
    if error.validator == "required":
        return [(p, f"missing required field '{p}'") for p in error.validator_value if p not in error.instance]
    slot = str(path[0]) if path else ""
    item = f" (item {path[1] + 1})" if len(path) > 1 and isinstance(path[1], int) else ""
    if error.validator in ("anyOf", "oneOf") and error.context:
        useful = [e for e in error.context if not (e.validator == "type" and e.validator_value == "null")]
        inner = _explain(useful[0] if useful else error.context[0], path, index, owner)
        return [(slot, inner[0][1] if inner else error.message.splitlines()[0][:200])]
    value = error.instance
    if error.validator == "enum":
        allowed = [str(v) for v in error.validator_value]
        hint = _hint(str(value), allowed)
        tail = hint if hint else f"; expected one of: {', '.join(allowed)}"
        return [(slot, f"'{_short(value)}' is not a permissible value{item}{tail}")]
    if error.validator == "type":
        if value is None:
            return [(slot, f"an item of {slot} is empty{item}" if item else f"{slot} is empty")]
        expected = _values(error.validator_value)
        words = " or ".join(_JSON_TYPES.get(t, t) for t in expected if t != "null")
        if "array" in expected and not isinstance(value, list):
            words += " (one '- value' line per item)"
        return [(slot, f"expected {words}{item}, found {describe(value)}")]
    if error.validator == "pattern":
        return [(slot, f"'{_short(value)}' does not match the pattern {error.validator_value}{item}")]
    return [(slot, error.message.splitlines()[0][:200])]


# --- layer 3: identifiers, references, uniqueness, cycles ---------------------------------------------

_PATTERNS: dict[str, re.Pattern | None] = {}


def _pattern(prefix: str) -> re.Pattern | None:
    """The prefix's local-id pattern, from the Bioregistry (None when it has none). ASCII digits only."""
    if prefix not in _PATTERNS:
        pattern = _bioregistry_pattern(prefix)
        _PATTERNS[prefix] = re.compile(pattern, re.ASCII) if pattern else None
    return _PATTERNS[prefix]


def _bioregistry_pattern(prefix: str) -> str | None:
    import bioregistry

    norm = bioregistry.normalize_prefix(prefix)
    return bioregistry.get_pattern(norm) if norm else None


def _load_patterns(prefixes) -> None:
    """The patterns of the schema's prefixes, cached on disk by prefix list and Bioregistry version: importing
    bioregistry alone takes about half a second of every run."""
    import hashlib
    import json
    from importlib.metadata import version

    from .curate.schemaindex import cached_text

    names = sorted(prefixes)
    key = hashlib.sha256(" ".join(names).encode()).hexdigest()[:20] + f"-bioregistry{version('bioregistry')}.json"
    table = json.loads(cached_text("patterns", key, lambda: json.dumps({p: _bioregistry_pattern(p) for p in names})))
    for prefix, pattern in table.items():
        _PATTERNS.setdefault(prefix, re.compile(pattern, re.ASCII) if pattern else None)


_NOT_IN_CURIE = re.compile(r'[\s<>"{}|\\^`]')  # \s is str.isspace(): both use Py_UNICODE_ISSPACE


def _check_curie(value, index: SchemaIndex, external: bool) -> str | None:
    """Why `value` is not a well-formed CURIE with a known prefix, or None when it is."""
    if not isinstance(value, str):
        return f"expected an identifier (PREFIX:ID), found {describe(value)}"
    shown, (prefix, colon, local) = _short(value), value.partition(":")
    if value.startswith(("http://", "https://")):
        return f"'{shown}' is an IRI; write it as a CURIE (PREFIX:ID)"
    if not colon or not prefix or not local or _NOT_IN_CURIE.search(value):
        return f"'{shown}' is not a CURIE (PREFIX:ID, such as CIRO:0000123)"
    if prefix == "CIRO":
        return None if CIRO_ID.fullmatch(value) else f"'{shown}' is not a CIRO identifier (CIRO: and 7 digits)"
    if prefix not in index.prefixes:
        return f"unknown prefix '{_short(prefix)}' in '{shown}'{_hint(prefix, index.prefixes, 0.5)}"
    pattern = _pattern(prefix) if external else None
    if pattern is not None and not pattern.fullmatch(local):
        return f"'{shown}' does not match the {prefix} identifier pattern {pattern.pattern}"
    return None


@dataclass
class _Ids:
    """What the identifier layer learnt: the first record of each id, and ids not to resolve again."""

    first: dict[str, Record] = field(default_factory=dict)
    malformed: set[str] = field(default_factory=set)


@dataclass
class _Whole:
    """What the whole KB holds, when only some of its files are checked again (curate/incremental.py): the ids
    the identifier layer would have counted as first, malformed or unread, and every mechanism's broader links."""

    first: set[str]
    malformed: set[str]
    unread: set[str]
    broader: dict[str, list[str]]


def _rules_layer(kb: LoadedKB, index: SchemaIndex, out: _Collector, whole: _Whole | None = None) -> _Ids:
    _load_patterns(index.prefixes)
    ids = _Ids()
    labels: dict[str, Record] = {}  # one label, one CIRO record, whatever its class (external terms may share)
    for record in kb.records:
        class_name, rid = index.class_of(record.kind), record.id
        if rid is None:
            continue  # an evidence item without an id: the schema layer said so
        external = class_name == "ExternalTerm"
        problem = _check_curie(rid, index, external)
        if problem is None and external == rid.startswith("CIRO:"):
            problem = (f"an external term cannot have a CIRO id ('{rid}')" if external
                       else f"{_a(class_name)} needs a CIRO identifier (CIRO:NNNNNNN), found '{rid}'")
        if problem:
            ids.malformed.add(rid)
            out.add(record, "id", problem, "identifier")
        elif rid in ids.first:
            other = ids.first[rid]
            at = other.where("id")
            out.add(record, "id", f"duplicate id: also the id of {_a(index.class_of(other.kind))} at "
                    f"{at.file}:{at.line}", "reference")
        else:
            ids.first[rid] = record
        label = record.data.get("label")
        if isinstance(label, str) and label.strip() and class_name not in ("Evidence", "ExternalTerm"):
            other = labels.setdefault(" ".join(label.casefold().split()), record)
            if other is not record and other.id != rid:
                at = other.where("label")
                out.add(record, "label", f"duplicate label '{label}': also the label of {other.name} at "
                        f"{at.file}:{at.line}", "reference")
    by_label = {" ".join(str(r.data.get("label")).casefold().split()): rid for rid, r in ids.first.items()}
    stated: dict = {}  # (record, relation) -> its links, shared by that record's evidence items
    linking = _slots_where(index, lambda slot, info: slot != "id" and (info.reference or info.range == "uriorcurie"))
    # (slot, prefixes it allows here, value) found fine once: fine wherever it is met again (a fine outcome depends
    # on nothing else), so each of the KB's 100,000s of links to the same few 1,000 ids is checked once
    fine: set = set()
    stages = out._stages
    for record in kb.records:
        class_name, data = index.class_of(record.kind), record.data
        for slot, info in linking[class_name]:
            if slot in data and not (stages and out.failed(record.name, slot)):  # (a field not there has no values)
                values = data[slot]
                allowed = _allowed_prefixes(record, index, info)
                for n, value in enumerate(values if type(values) is list else _values(values)):
                    key = (id(info), allowed, value) if type(value) is str else None
                    if key is not None and key in fine:
                        continue
                    if _check_reference(kb, index, out, ids, by_label, record, info, value,
                                        n if isinstance(values, list) else None, allowed) and key is not None:
                        fine.add(key)
        if class_name == "Evidence" and record.parent is not None:
            _check_claim(record, index, out, ids, kb.unread_ids, stated)
    _check_cycles(ids, index, out, whole)
    return ids


_SLOTS_WHERE: dict[tuple[int, object], tuple[SchemaIndex, dict]] = {}  # holding the index: its id stays its own


def _slots_where(index: SchemaIndex, keep) -> dict[str, list[tuple[str, SlotInfo]]]:
    """class -> its (slot, info) pairs that `keep` keeps, in the schema's order: the per-record loops of the layers
    look only at those (at scale, most of a record's slots are not links)."""
    key = (id(index), keep.__code__)
    if key not in _SLOTS_WHERE:
        _SLOTS_WHERE[key] = index, {c: [(s, i) for s, i in slots.items() if keep(s, i)]
                                    for c, slots in index.slots.items()}
    return _SLOTS_WHERE[key][1]


def mechanism_links(ids: _Ids, index: SchemaIndex) -> dict[str, list[str]]:
    """Each mechanism's broader mechanisms, as written (the identifiers only)."""
    return {rid: [b for b in _values(r.data.get("broader_mechanisms")) if isinstance(b, str)]
            for rid, r in ids.first.items() if index.class_of(r.kind) == "ResistanceMechanism"}


def _allowed_prefixes(record: Record, index: SchemaIndex, info: SlotInfo) -> tuple[str, ...]:
    class_name = index.class_of(record.kind)
    if info.name == "xrefs" and class_name == "Target":
        return index.kind_prefixes.get(str(record.data.get("target_kind")), ())
    if info.name == "xrefs":
        return index.class_xref_prefixes.get(class_name, ())
    return info.allowed_prefixes


def _check_reference(kb, index, out, ids: _Ids, by_label, record: Record, info: SlotInfo, value,
                     item: int | None, allowed: tuple[str, ...]) -> bool:
    """One referenced value (item `item` of a list field, or the field's only value when None), where the slot
    allows identifiers with the prefixes `allowed` (all when empty); True when it is fine, whatever record holds it
    (then nothing was reported or noted)."""
    if isinstance(value, str) and (value in ids.malformed or value in kb.unread_ids):
        out.cover(record.name, info.name, "identifier")  # reported where that id is declared
        return False
    external = info.range == "ExternalTerm" or (info.range == "uriorcurie" and info.name != "about_object")
    problem = _check_curie(value, index, external)
    if problem:
        label_of = by_label.get(" ".join(str(value).casefold().split()))
        out.read(record.file, "l:" + " ".join(str(value).casefold().split()))
        if label_of:
            problem = f"'{_short(value)}' is a label, not an identifier (did you mean {label_of}?)"
        out.add(record, info.name, problem, "identifier", item=item)
        return False
    if allowed and value.split(":", 1)[0] not in allowed:
        what = f"a {record.data.get('target_kind')} target" if info.name == "xrefs" and record.kind == "targets" \
            else (_a(index.class_of(record.kind)) if info.name == "xrefs" else info.name)
        out.add(record, info.name, f"'{value}' is the wrong kind of identifier for {what} "
                f"(expected {' or '.join(allowed)})", "identifier", item=item)
        return False
    if info.range == "uriorcurie" and info.name != "about_object":
        return True  # an external term's parent: a well-formed identifier is all that is asked
    target = ids.first.get(value)
    if target is None:
        if _claimed_elsewhere(record, info):
            return False  # an evidence item's about_object: _check_claim says what is wrong with it, in one line
        if info.range == "ExternalTerm":
            message = f"'{value}' is not in instances/external_terms/ (add it there, with its checked label)"
        else:
            message = f"no {'record' if info.range == 'uriorcurie' else info.range} has the id '{value}'"
        out.add(record, info.name, message, "reference", item=item)
        return False
    target_class = index.class_of(target.kind)
    if info.reference and not index.is_a(target_class, info.range):
        out.add(record, info.name, f"'{value}' is {_a(target_class)}, but {info.name} takes {_a(info.range)}",
                "reference", item=item)
        return False
    return True


def _claimed_elsewhere(record: Record, info: SlotInfo) -> bool:
    """Whether an unresolved `about_object` is left to _check_claim: an evidence item's claim with a relation."""
    return info.name == "about_object" and record.parent is not None and \
        record.data.get("about_relation") is not None


def _check_claim(evidence: Record, index: SchemaIndex, out: _Collector, ids: _Ids, unread: set[str],
                 stated_links: dict) -> None:
    """An evidence item's link (about_relation, about_object) must be a link its record states.

    The check compares what is written, so it gives the same answer whatever else is wrong: whether
    about_object names a record that exists or not, and whether the record's own links resolve or not (a
    dangling one is reported at its list item). An about_object that is not stated and names no record is one
    line, saying both."""
    relation, obj = evidence.data.get("about_relation"), evidence.data.get("about_object")
    if relation is None and obj is None:
        return
    if relation is None or obj is None:
        missing, given = ("about_object", "about_relation") if obj is None else ("about_relation", "about_object")
        out.add(evidence, given, f"{given} needs {missing} as well", "reference")
        return
    if out.failed(evidence.name, "about_object"):
        return  # malformed (schema or identifier layer): said already
    exists = obj in ids.first or obj in ids.malformed or obj in unread  # the last two: reported where declared

    def unresolved() -> None:  # a dangling about_object, when no claim line below says so
        if not exists:
            out.add(evidence, "about_object", f"no record has the id '{obj}'", "reference")

    if out.failed(evidence.name, "about_relation"):
        unresolved()
        return
    parent = evidence.parent
    parent_class = index.class_of(parent.kind)
    if relation not in index.slots[parent_class]:
        out.add(evidence, "about_relation", f"{_a(parent_class)} has no '{_short(relation)}' links", "reference")
        unresolved()
        return
    slots = index.sub_slots.get(relation, {relation})
    if any(out.failed(parent.name, slot, ("yaml", "schema")) for slot in slots):
        unresolved()  # the record's links are not a list of identifiers (yaml, schema): nothing to compare with
        return
    key = (id(parent), relation)
    if key not in stated_links:  # as written, each once
        stated_links[key] = dict.fromkeys(v for slot in parent.data if slot in slots
                                          for v in _values(parent.data[slot]) if isinstance(v, str))
    stated = stated_links[key]
    if obj not in stated:
        links = f"its {relation} links: {', '.join(stated)}" if stated else f"it has no {relation} links"
        missing = "; no record has that id either" if not exists else ""
        out.add(evidence, "about_object", f"{parent.name} states no {relation} link to '{_short(obj)}' for this "
                f"evidence to support ({links}){missing}", "reference")
    else:
        unresolved()


def _check_cycles(ids: _Ids, index: SchemaIndex, out: _Collector, whole: _Whole | None = None) -> None:
    """Report each broader-mechanism cycle once, at the mechanism whose link closes it."""
    for closing, members in cycle_reports(whole.broader if whole is not None else mechanism_links(ids, index)):
        if closing in ids.first:  # else in a file whose result is kept (curate/incremental.py)
            out.add(ids.first[closing], "broader_mechanisms",
                    "broader-mechanism cycle: " + " -> ".join([closing, *members]), "reference")
        for member in members:  # one cycle, one line
            out.cover(member, "broader_mechanisms", "reference")


def cycle_reports(broader: dict[str, list[str]]) -> list[tuple[str, list[str]]]:
    """Each cycle as (the mechanism whose link closes it, the cycle's members from where it starts)."""
    found = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for start in sorted(broader):
        if start in state:
            continue
        state[start] = 1
        path, stack = [start], [iter(broader[start])]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                found.append((path[-1], path[path.index(nxt):]))
            elif nxt not in state and nxt in broader:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(broader[nxt]))
    return found


# --- layer 4: RDF, and layer 5: SHACL ----------------------------------------------------------------------

_MALFORMED = ("yaml", "schema", "identifier")  # stages whose errors mean a value cannot become RDF as it is


def _rdf_data(kb: LoadedKB, index: SchemaIndex, out: _Collector, ids: _Ids) -> dict[str, list[dict]]:
    """The records as the RDF should hold them: each id once, without the values found malformed.

    Well-formed values that point nowhere, or at the wrong class, stay in: SHACL sees them too.
    """

    def clean(record: Record) -> dict:
        slots = index.slots[index.class_of(record.kind)]
        if none_failed:
            kept = {k: v for k, v in record.data.items() if k in slots and k != "has_evidence" and v is not None}
        else:
            kept = {k: v for k, v in record.data.items() if k in slots and k != "has_evidence" and v is not None
                    and not out.failed(record.name, k, _MALFORMED)}
        return kept | {"id": record.id}

    none_failed = isinstance(out, _NothingFailed)

    data: dict[str, list[dict]] = {kind: [] for kind in kb.data}
    items: dict[int, dict] = {}
    for record in kb.records:
        if ids.first.get(record.id) is not record:  # no usable id, or a duplicate: reported already
            if record.parent is not None:
                out.cover(record.parent.name, "has_evidence", "rdf")  # it has evidence, if broken
            continue
        if record.parent is None:
            items[id(record)] = clean(record)
            data[record.kind].append(items[id(record)])
        elif id(record.parent) in items:
            items[id(record.parent)].setdefault("has_evidence", []).append(clean(record))
    return data


def _rdf_layer(kb: LoadedKB, index: SchemaIndex, out: _Collector, ids: _Ids, schema_path: Path):
    data = _rdf_data(kb, index, out, ids)
    return data, _rdf_names(ids, schema_path)


def _rdf_names(ids: _Ids, schema_path: Path) -> dict[str, str]:
    """IRI -> the record id it stands for (SHACL results name IRIs), each IRI as RdfMapper.iri makes it."""
    from .shacl.fast.index import curie_expander

    iri = curie_expander(schema_path)
    return {iri(rid): rid for rid in ids.first}


def _shacl_layer(data, names: dict[str, str], index: SchemaIndex, out: _Collector, layout: Layout, report: Report,
                 engine: str):
    from .shacl import ShapesError, check_records

    try:  # the engine is chosen in ciro.shacl; both give the same results (tests compare them)
        run = check_records(data, layout, index.prefixes, index.slot_predicates, engine)
    except ShapesError as exc:  # an ill-formed rule: one line naming the shape and the parameter
        _shacl_merge(("shapes", str(exc)), names, index, out, report)
        return
    _shacl_merge(("run", run.results, run.notes, run.graph), names, index, out, report)


def _shacl_merge(found: tuple, names: dict[str, str], index: SchemaIndex, out: _Collector, report: Report):
    """Report what the SHACL layer found: ("shapes", why the shapes graph is refused) or ("run", results, notes,
    graph)."""
    from .shacl import RULES_FILE

    if found[0] == "shapes":  # an ill-formed rule: one line naming the shape and the parameter
        out.problems.append(Problem(f"schema/{RULES_FILE}", 0, "", "", f"shapes graph: {found[1]}", "shacl"))
        return
    report.shacl_results, report.shacl_notes, report.graph = found[1:]
    done: set[tuple[str, str]] = set()  # one problem per (record, field): a rule's own message wins
    for result in report.shacl_results:
        name = names.get(result.focus, result.focus)
        slot = index.slot_predicates.get(result.path, result.path)
        if (name, slot) not in done:
            done.add((name, slot))
            out.add(name, slot, result.message, "shacl", result.severity)



# --- SHACL ahead: the RDF and SHACL layers in a forked helper, beside the layers before them ---------------------
# SHACL is the longest layer at scale, and it needs only the RDF data: the records without their malformed values
# and duplicate ids. In a KB where nothing is malformed (most runs at scale) those are the records as read, so a
# helper forked right after loading converts and validates them while this process runs the schema, identifier
# and lifecycle layers. When those layers find that the RDF data differ from what the helper used (a malformed
# value, a duplicate id), the helper is stopped and the two layers run here as before: the result is the same.
AHEAD_MIN = 5000  # records below which the helper does not pay for itself


class _NothingFailed:
    """The collector as the RDF layer would see it if no layer reported anything."""

    @staticmethod
    def failed(*_args) -> bool:
        return False

    @staticmethod
    def cover(*_args) -> None:
        pass


def _first_ids(kb: LoadedKB) -> dict[str, Record]:
    """Each usable id's first record: what the identifier layer finds when no id is malformed."""
    first: dict[str, Record] = {}
    for record in kb.records:
        rid = record.id
        if rid is not None and rid not in first:
            first[rid] = record
    return first


def _start_ahead(kb: LoadedKB, index: SchemaIndex, layout: Layout, shacl: bool, engine: str):
    """The forked helper running the RDF and SHACL layers on the records as read, or None."""
    if not shacl or engine != "fast" or len(kb.records) < AHEAD_MIN or (os.cpu_count() or 1) < 2 \
            or not hasattr(os, "fork") or os.environ.get("CIRO_DEBUG") or os.environ.get("CIRO_SHACL_PROCESSES") == "1":
        return None
    from .forked import start_helper
    from .shacl import ShapesError, check_records

    def job() -> tuple:
        from .shacl.fast import TripleIndex

        def index_of():  # _rdf_data(kb, index, _NothingFailed(), _Ids(first=_first_ids(kb))), without the copy
            return TripleIndex.from_kb_records(kb.data, kb.records, _first_ids(kb),
                                               lambda kind: index.slots[index.class_of(kind)], layout.schema)

        try:  # split as in this process: a third process, that has a core of its own once the layers here are done
            run = check_records(None, layout, index.prefixes, index.slot_predicates, engine, index_of=index_of)
        except ShapesError as exc:
            return "shapes", str(exc)
        return "run", run.results, run.notes, run.graph

    return start_helper(job, "ciro-shacl-ahead-")


class _LazyNames(Mapping):
    """_rdf_names(ids, schema_path), made on its first use: the names are only looked up for SHACL results, and
    a clean KB at scale has none (171,595 IRIs made for nothing, ~0.3 s of this process)."""

    def __init__(self, ids: _Ids, schema_path: Path):
        self._ids, self._schema, self._names = _Ids(first=dict.fromkeys(ids.first)), schema_path, None

    def _made(self) -> dict[str, str]:
        if self._names is None:
            self._names = _rdf_names(self._ids, self._schema)
        return self._names

    def __getitem__(self, iri: str) -> str:
        return self._made()[iri]

    def __iter__(self):
        return iter(self._made())

    def __len__(self) -> int:
        return len(self._made())


def _rdf_as_ahead(kb: LoadedKB, index: SchemaIndex, out: _Collector, ids: _Ids) -> bool:
    """Whether _rdf_data(kb, index, out, ids) gives the data the helper used; the collector is left as _rdf_data
    leaves it."""
    same, seen = True, set()
    for record in kb.records:
        rid = record.id
        kept = ids.first.get(rid) is record
        if kept != (rid is not None and rid not in seen):
            same = False
        seen.add(rid)
        if not kept and record.parent is not None:
            out.cover(record.parent.name, "has_evidence", "rdf")
    malformed = {name for (name, _slot), stages in out._stages.items() if not stages.isdisjoint(_MALFORMED)}
    if malformed:
        for record in kb.records:
            if record.name in malformed:
                slots = index.slots[index.class_of(record.kind)]
                if any(k in slots and k != "has_evidence" and v is not None and out.failed(record.name, k, _MALFORMED)
                       for k, v in record.data.items()):
                    return False
    return same


# --- term lifecycle: the id ledger, obsolete records -----------------------------------------------------

_OBSOLETE_ONLY = ("replaced_by", "consider", "obsolescence_reason")  # fields only an obsolete record has


def _lifecycle_layer(kb: LoadedKB, index: SchemaIndex, out: _Collector, ids: _Ids, layout: Layout,
                     whole: _Whole | None = None) -> None:
    """Ids come from the ledger; terms are obsoleted, never deleted; nothing links to an obsolete term."""
    from .curate.lifecycle import SCHEMA_IDS_BELOW, TERM_KINDS, read_ledger

    deprecated = {rid: r for rid, r in ids.first.items() if r.data.get("deprecated") is True}
    links = _slots_where(index, lambda _slot, info: info.reference and not info.inlined)
    stages = out._stages
    for record in ids.first.values():
        class_name, data = index.class_of(record.kind), record.data
        obsolete = data.get("deprecated") is True
        if not obsolete:
            if not data.keys().isdisjoint(_OBSOLETE_ONLY):
                for slot in _OBSOLETE_ONLY:
                    if data.get(slot) is not None:
                        out.add(record, slot, f"{slot} is only for an obsolete record (add deprecated: true)",
                                "reference")
            if not deprecated:
                continue  # a current record linking to no obsolete one: nothing below to say
        for slot, _info in links[class_name]:
            if slot not in data or (stages and out.failed(record.name, slot)):  # (a field not there has no values)
                continue
            values = data[slot]
            for value in values if type(values) is list else _values(values):
                if obsolete and slot not in ("replaced_by", "consider"):
                    out.add(record, slot, "an obsolete record keeps no links: move them to its replacement",
                            "reference")
                    break
                if not obsolete and isinstance(value, str) and value in deprecated:
                    successor = deprecated[value].data.get("replaced_by")
                    hint = f"; link to its replacement {successor}" if successor else ""
                    out.add(record, slot, f"{value} is obsolete{hint}", "reference")
    ledger = layout.id_ledger
    if not ledger.is_file():
        return
    entries, problems = read_ledger(ledger)
    shown = str(ledger.relative_to(layout.root)) if ledger.is_relative_to(layout.root) else str(ledger)
    for line, message in problems:
        out.problems.append(Problem(shown, line, "", "", message, "reference"))
    if problems:
        return  # a ledger that cannot be read says nothing reliable about ids
    for rid, record in ids.first.items():
        number = int(rid[5:]) if rid.startswith("CIRO:") and rid[5:].isdigit() else None
        if number is not None and number >= SCHEMA_IDS_BELOW and rid not in entries:
            out.add(record, "id", f"{rid} was never minted: take a new id from `ciro mint` (instances/id-ledger.tsv "
                    "lists every id minted)", "reference")
    if whole is None and (kb.context_files or not kb.records):
        return  # a vanished term is a problem of the whole KB: reported when all of instances/ is validated
    first, unread, malformed = (ids.first, kb.unread_ids, ids.malformed) if whole is None else \
        (whole.first, whole.unread, whole.malformed)
    for rid, entry in sorted(entries.items()):
        if entry.kind in TERM_KINDS and rid not in first and rid not in unread and rid not in malformed:
            out.problems.append(Problem(
                shown, entry.line, rid, "", f"{rid} ('{entry.label}', a {entry.kind}) is in no file under instances/: "
                "a term is never deleted; keep its record with deprecated: true (and replaced_by or consider)",
                "reference"))


def _release_layer(kb: LoadedKB, out: _Collector, ids: _Ids, layout: Layout, whole: _Whole | None = None) -> None:
    """Warn when a term of the last release is in no record of the tree: it vanished without being obsoleted
    (an obsolete record stays in instances/ with deprecated: true). A warning, not an error: the ledger check
    makes it an error for minted records; this also covers the schema's ids and a ledger edited along."""
    from .versions import last_release, released_terms

    if whole is None and (kb.context_files or not kb.records):
        return  # as the ledger's vanished terms: a problem of the whole KB
    release = last_release(layout.releases)
    if release is None:
        return
    present = set(ids.first) | set(kb.unread_ids) | set(ids.malformed) if whole is None else \
        whole.first | whole.unread | whole.malformed
    present |= set(re.findall(r"CIRO:\d{7}", layout.schema.read_text(encoding="utf-8")))
    reported = {p.record for p in out.problems if "is in no file under instances/" in p.message}
    shown = release.path / "ciro.ttl"
    shown = str(shown.relative_to(layout.root)) if shown.is_relative_to(layout.root) else str(shown)
    for iri, term in sorted(released_terms(release).items()):
        curie, label, line = "CIRO:" + iri.removeprefix("https://w3id.org/ciro/CIRO_"), term.label, term.line
        if iri.startswith("https://w3id.org/ciro/CIRO_") and curie not in present and curie not in reported:
            out.problems.append(Problem(
                shown, line, curie, "", f"{curie} ('{label}') is in release {release.version} but in no record under "
                "instances/ and not obsoleted: a released term is never deleted; restore its record with "
                "deprecated: true (and replaced_by or consider)", "reference", "warning"))


# --- layer 6: quotes ------------------------------------------------------------------------------------

class _QuoteWork:
    """The quote layer's costly part, done ahead (beside the SHACL helper) or as it goes: each kept text read once
    (or the error reading it), each quote split once, and whether it is in its publication's text."""

    def __init__(self, sources: Path):
        self.sources = sources
        self.texts: dict[str, object] = {}  # source name -> its text, or the exception reading it
        self.parts: dict[int, list[str]] = {}  # id(record) -> split_quote(its quote)
        self.found: dict[tuple[int, int], bool] = {}  # (id(record), id(text)) -> whether its parts are there

    def text(self, name: str):
        if name not in self.texts:
            try:
                self.texts[name] = read_source_text(self.sources / name)
            except Exception as exc:  # noqa: BLE001 - raised again where the layer reads it
                self.texts[name] = exc
        found = self.texts[name]
        if isinstance(found, Exception):
            raise found
        return found

    def split(self, record: Record, quote: str) -> list[str]:
        if id(record) not in self.parts:
            self.parts[id(record)] = split_quote(quote)
        return self.parts[id(record)]

    def find(self, record: Record, parts: list[str], text) -> bool:
        key = (id(record), id(text))
        if key not in self.found:
            self.found[key] = find_parts(parts, text.normalised)
        return self.found[key]


def _quote_names(ids: _Ids):
    """(publication id, record, its source text's name) for each publication naming one."""
    for pid, pub in ids.first.items():
        name = pub.data.get("source_text")
        if pub.kind == "publications" and isinstance(name, str):
            yield pid, pub, name


def _quote_work(kb: LoadedKB, ids: _Ids, sources: Path) -> _QuoteWork:
    """What the quote layer will ask, asked before the layers it waits for have run (their problems decide only
    which of the answers it uses)."""
    work, texts = _QuoteWork(sources), {}
    for pid, _pub, name in _quote_names(ids):
        if not (Path(name).is_absolute() or ".." in Path(name).parts):
            try:
                texts[pid] = work.text(name)
            except Exception:  # noqa: BLE001 - the layer reports it
                pass
    context, split, found = kb.context_files, work.parts, work.found  # work.split and work.find, inlined: 100,000s
    for record in kb.records:
        if record.kind == "evidence" and record.file not in context:
            quote, pid = record.data.get("quote"), record.data.get("publication")
            if type(quote) is str and type(pid) is str:
                split[id(record)] = parts = split_quote(quote)
                text = texts.get(pid)
                if parts and text is not None:
                    found[id(record), id(text)] = find_parts(parts, text.normalised)
    return work


def _quote_layer(kb: LoadedKB, out: _Collector, ids: _Ids, sources: Path, report: Report,
                 work: _QuoteWork | None = None) -> None:
    work = work or _QuoteWork(sources)
    texts = {}
    for pid, pub, name in _quote_names(ids):
        if out.failed(pid, "source_text"):
            continue
        if Path(name).is_absolute() or ".." in Path(name).parts:
            out.add(pub, "source_text", f"'{name}' must be a path inside instances/sources/", "quote")
            continue
        try:
            texts[pid] = work.text(name)
        except FileNotFoundError:
            out.add(pub, "source_text", f"kept source text '{name}' not found in instances/sources/", "quote")
        except UnicodeDecodeError as exc:
            out.add(pub, "source_text", f"kept source text '{name}' is not UTF-8 (byte 0x{exc.object[exc.start]:02x}"
                    f" at offset {exc.start})", "quote")
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            out.add(pub, "source_text", f"cannot read kept source text '{name}': {reason}", "quote")
    for record in track(kb.records, "quotes", unit="record"):
        if record.kind != "evidence" or not kb.selected(record.file):
            continue
        report.quotes_total += 1
        quote, pid = record.data.get("quote"), record.data.get("publication")
        if not isinstance(quote, str) or not isinstance(pid, str) or out.failed(record.name, "quote") \
                or out.failed(record.name, "publication"):
            continue
        parts = work.split(record, quote)
        if not parts:
            out.add(record, "quote", "quote is empty", "quote")
            continue
        if pid not in texts:
            continue  # the publication or its source text is reported already
        if work.find(record, parts, texts[pid]):
            report.quotes_checked += 1
            report.checked[record.file] = report.checked.get(record.file, 0) + 1
            continue
        out.read(record.file, "alltexts")  # a quote not found is looked for in every other text
        short = quote if len(quote) <= 80 else quote[:77] + "..."
        source = ids.first[pid].data.get("source_text")
        elsewhere = [p for p, text in sorted(texts.items()) if p != pid and find_parts(parts, text.normalised)]
        if elsewhere:
            message = f"quote \"{short}\" is not in {pid} ({source}) but is in {elsewhere[0]}: fix the publication"
        else:
            message = f"quote \"{short}\" not found in the text of {pid} ({source}): " + \
                explain_miss(quote, texts[pid].normalised)
        out.add(record, "quote", message, "quote")


# --- running the layers ----------------------------------------------------------------------------------

def _guard(stage: str, out: _Collector, run, *args):
    """Run one layer; a crash becomes an 'internal' problem (set CIRO_DEBUG=1 to get the traceback)."""
    try:
        return run(*args)
    except Exception as exc:
        if os.environ.get("CIRO_DEBUG"):
            raise
        out.problems.append(Problem("", 0, "", "", f"internal error in the {stage} layer ({type(exc).__name__}: "
                                    f"{exc}); please report it", "internal"))
        return None


def validate_loaded(kb: LoadedKB, layout: Layout, shacl: bool = True, engine: str = "fast") -> Report:
    """Run every layer after the YAML one on an already loaded KB.

    `engine` runs the SHACL layer: "fast" (CIRO's fast engine, the default) or "pyshacl" (the reference)."""
    return _run_layers(kb, layout, shacl, engine)[0]


def _run_layers(kb: LoadedKB, layout: Layout, shacl: bool, engine: str, whole: _Whole | None = None, idle=None):
    """validate_loaded, and what curate/incremental.py keeps of the run: (report, collector, ids, iri -> id);
    `whole` when `kb` holds only some files of the KB (the others' results are kept); `idle()` is run while the
    SHACL helper works, if there is one."""
    from .shacl import ENGINES

    if engine not in ENGINES:
        raise ValueError(f"unknown SHACL engine {engine!r} (expected one of {', '.join(ENGINES)})")
    report = Report(files=sum(1 for f in kb.files if kb.selected(f)), shacl_engine=engine if shacl else "")
    report.records = sum(1 for r in kb.records if kb.selected(r.file))
    out = _Collector(kb)
    index, ids, names = None, _Ids(), {}
    if not layout.schema.is_file():
        out.problems.append(Problem(str(layout.schema), 0, "", "", "schema not found", "schema"))
    else:
        index = _guard("schema", out, schema_index, layout.schema)
    if index is not None:
        ahead = _start_ahead(kb, index, layout, shacl, engine)
        _guard("schema", out, _schema_layer, kb, index, out, layout.schema)
        ids = _guard("reference", out, _rules_layer, kb, index, out, whole) or _Ids()
        _guard("reference", out, _lifecycle_layer, kb, index, out, ids, layout, whole)
        _guard("reference", out, _release_layer, kb, out, ids, layout, whole)
        found, quotes = _ahead_result(ahead, kb, index, out, ids, layout, idle)
        if found is not None:
            names = found[1]
            _guard("shacl", out, _shacl_merge, found[0], names, index, out, report)
        else:
            converted = _guard("rdf", out, _rdf_layer, kb, index, out, ids, layout.schema)
            names = converted[1] if converted is not None else {}
            if converted is not None and shacl:
                _guard("shacl", out, _shacl_layer, *converted, index, out, layout, report, engine)
        _guard("quote", out, _quote_layer, kb, out, ids, layout.sources, report, quotes)
    problems = [p for p in out.problems if kb.selected(p.file)]
    report.problems = sorted(problems, key=problem_order)
    return report, out, ids, names


def _ahead_result(ahead, kb: LoadedKB, index: SchemaIndex, out: _Collector, ids: _Ids, layout: Layout, idle=None):
    """((what the SHACL helper found, iri -> id), the quote layer's work done while it ran), or (None, that work)
    when the RDF and SHACL layers are to run here (no helper, data that differ, a helper that failed)."""
    if ahead is None:
        return None, None
    try:  # any surprise here: the layers run here, and meet it themselves
        same = _rdf_as_ahead(kb, index, out, ids)
        names = _LazyNames(ids, layout.schema) if same else None
    except Exception:  # noqa: BLE001
        same = False
    if not same:
        ahead.cancel()
        return None, None
    quotes = _quote_work(kb, ids, layout.sources)
    if idle is not None:
        idle()
    found = ahead.result()
    return ((found, names) if found is not None else None), quotes


def problem_order(p: Problem):
    return p.file, p.line, p.record, p.field, p.message


def validate(paths: list[Path] | None = None, layout: Layout | None = None, shacl: bool = True,
             engine: str = "fast", cache: bool = True, incremental: bool = False) -> tuple[Report, LoadedKB | None]:
    """Validate the files under `paths` (default: the project's instances/).

    When every path lies inside the project's instances/, the rest of instances/ is read too, so that
    references resolve; only problems in the files asked for are reported. With `cache`, what an unchanged file
    gave the loader last time is reused (curate/parsecache.py), and a run over all of instances/ keeps each
    file's results (curate/incremental.py); with `incremental` too, such a run checks again only the files a
    change can reach and returns no LoadedKB (None).
    """
    from .curate.parsecache import ParseCache

    layout = layout or Layout.find()
    targets = [Path(p) for p in paths] if paths else [layout.instances]
    inside = all(_inside(p, layout.instances) for p in targets)
    whole = cache and all(Path(p).absolute() == layout.instances.absolute() for p in targets)
    started = time.time_ns()
    # The cyclic collector is paused: loading and the layers create millions of small acyclic objects, and each
    # full collection walks every live one (the records included); at 100k that was about a sixth of the run.
    paused = gc.isenabled()
    gc.disable()
    try:
        if whole and incremental:
            from .curate.incremental import run_incremental

            report = run_incremental(layout, shacl, engine)
            if report is not None:
                return report, None
        parsed = ParseCache.for_project(layout.root) if cache else None
        kb = load_paths(targets, base=layout.root, context=[layout.instances] if paths and inside else [],
                        cache=parsed, precheck=_schema_precheck(layout) if layout.schema.is_file() else None,
                        save=False)
        early: dict = {}  # the parse cache's save and keep_results' work on the records alone, done while the
        # SHACL helper runs (where this process would wait), else after the layers

        def idle() -> None:
            from .curate.incremental import kept_exports

            if parsed is not None:
                parsed.save()
                early["saved"] = True
            if whole:
                try:
                    early["exports"] = kept_exports(layout, kb, parsed)
                except Exception:  # noqa: BLE001 - keep_results does it again, and meets it there
                    pass

        report, out, ids, names = _run_layers(kb, layout, shacl, engine, idle=idle)
        if parsed is not None and not early.get("saved"):
            parsed.save()
        if whole:
            from .curate.incremental import keep_results

            keep_results(layout, shacl, engine, kb, report, out, names, parsed, started, early.get("exports"))
        return report, kb
    finally:
        if paused:
            gc.enable()


def _inside(path: Path, folder: Path) -> bool:
    return path.absolute().is_relative_to(folder.absolute())
