"""Validate instance files in layers and collect every problem, each located at file:line.

Order: YAML (loader) -> LinkML schema (its generated JSON Schema) -> identifiers, references, uniqueness,
cycles (checks a schema cannot state) -> quotes against the kept sources -> SHACL on the emitted RDF.
A problem already reported for a record and field is not reported again by a later layer.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from .errors import Problem
from .layout import Layout
from .loader import LoadedKB, load_paths
from .quotes import find_quote, read_source_text
from .schemaindex import SchemaIndex, SlotInfo, json_schema, schema_index

__all__ = ["Report", "validate", "validate_loaded"]

CIRO_ID = re.compile(r"^CIRO:\d{7}$")


@dataclass
class Report:
    """The outcome of one validation run."""

    problems: list[Problem] = field(default_factory=list)
    files: int = 0
    records: int = 0
    quotes_checked: int = 0
    quotes_total: int = 0

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
        }


class _Collector:
    """Adds problems at the location of (record, field), once per (record, field, message)."""

    def __init__(self, kb: LoadedKB):
        self.kb = kb
        self.problems: list[Problem] = list(kb.problems)
        self._seen: set[tuple[str, str]] = set()
        self._messages: set[tuple[str, str, str]] = set()

    def add(self, record: str, slot: str, message: str, stage: str, severity: str = "error") -> None:
        if (record, slot, message) in self._messages:
            return
        self._messages.add((record, slot, message))
        if severity == "error":
            self._seen.add((record, slot))
        where = self.kb.where(record, slot)
        self.problems.append(Problem(where.file, where.line, record, slot, message, stage, severity))

    def seen(self, record: str, slot: str) -> bool:
        return (record, slot) in self._seen or (record, "") in self._seen


def _all_records(kb: LoadedKB, index: SchemaIndex):
    """(class name, record) for every record, nested evidence included."""
    for slot, record in kb.records():
        class_name = index.tree_slots[slot]
        yield class_name, record, None
        evidence = record.get("has_evidence")
        for item in evidence if isinstance(evidence, list) else []:
            if isinstance(item, dict):
                yield "Evidence", item, record


# --- layer 2: the LinkML schema, through the JSON Schema it generates ---------------------------------

def _schema_layer(kb: LoadedKB, index: SchemaIndex, out: _Collector, schema_path: Path) -> None:
    import jsonschema

    schema = json_schema(schema_path)
    validators: dict[str, jsonschema.protocols.Validator] = {}
    for slot, record in kb.records():
        class_name = index.tree_slots[slot]
        if class_name not in validators:
            sub = {"$defs": schema["$defs"], "$ref": f"#/$defs/{class_name}"}
            validators[class_name] = jsonschema.Draft202012Validator(sub)
        for error in sorted(validators[class_name].iter_errors(record), key=lambda e: list(map(str, e.path))):
            target, slot_name = _locate(record, list(error.path), error)
            out.add(target, slot_name, _friendly(error, index, class_name, list(error.path)), "schema")


def _locate(record: dict, path: list, error) -> tuple[str, str]:
    """Which record (top-level or nested evidence) and field a JSON Schema error is about."""
    rid = str(record.get("id"))
    if error.validator == "additionalProperties" or error.validator == "required":
        # The error sits on the object; the field is the offending or missing property.
        extra = _offending_property(error)
        if path[:1] == ["has_evidence"] and len(path) >= 2:
            item = record["has_evidence"][path[1]]
            return str(item.get("id", rid)) if isinstance(item, dict) else rid, extra
        return rid, extra
    if path[:1] == ["has_evidence"] and len(path) >= 3:
        item = record["has_evidence"][path[1]]
        if isinstance(item, dict):
            return str(item.get("id", rid)), str(path[2])
    return rid, str(path[0]) if path else ""


def _offending_property(error) -> str:
    if error.validator == "required":
        match = re.match(r"'([^']+)' is a required property", error.message)
        return match.group(1) if match else ""
    match = re.search(r"\('([^']+)'", error.message)
    return match.group(1) if match else ""


def _friendly(error, index: SchemaIndex, class_name: str, path: list) -> str:
    if error.validator == "required":
        return f"missing required field '{_offending_property(error)}'"
    if error.validator == "additionalProperties":
        owner = "Evidence" if path[:1] == ["has_evidence"] else class_name
        name = _offending_property(error)
        known = list(index.slots.get(owner, {})) + ["id"]
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"unknown field '{name}' for a {owner}{hint}"
    if error.validator == "enum":
        allowed = ", ".join(str(v) for v in error.validator_value)
        close = difflib.get_close_matches(str(error.instance), [str(v) for v in error.validator_value], n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"'{error.instance}' is not a permissible value{hint}; expected one of: {allowed}"
    if error.validator == "type":
        expected = error.validator_value
        expected = " or ".join(t for t in expected if t != "null") if isinstance(expected, list) else expected
        return f"expected {expected}, found {type(error.instance).__name__} {error.instance!r}"
    if error.validator == "pattern":
        return f"'{error.instance}' does not match the pattern {error.validator_value}"
    if error.validator in ("anyOf", "oneOf") and error.context:
        return _friendly(error.context[0], index, class_name, path)
    return error.message


# --- layer 3: identifiers, references, uniqueness, cycles ---------------------------------------------

@cache
def _prefix_patterns(prefixes: tuple[str, ...]) -> dict[str, re.Pattern | None]:
    """Each schema prefix's local-id pattern, from the Bioregistry (None when it has none)."""
    import bioregistry

    patterns: dict[str, re.Pattern | None] = {}
    for prefix in prefixes:
        norm = bioregistry.normalize_prefix(prefix)
        pattern = bioregistry.get_pattern(norm) if norm else None
        patterns[prefix] = re.compile(pattern) if pattern else None
    return patterns


def _check_curie(value, index: SchemaIndex, external: bool) -> str | None:
    """Why `value` is not a well-formed CURIE with a known prefix, or None when it is."""
    if not isinstance(value, str) or ":" not in value or value.startswith(("http://", "https://")):
        return f"'{value}' is not a CURIE (expected PREFIX:LOCAL_ID)"
    prefix, local = value.split(":", 1)
    if prefix == "CIRO":
        return None if CIRO_ID.match(value) else f"'{value}' is not a CIRO identifier (CIRO: and 7 digits)"
    if prefix not in index.prefixes:
        close = difflib.get_close_matches(prefix, list(index.prefixes), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"unknown prefix '{prefix}' in '{value}'{hint}"
    if not external:
        return None
    pattern = _prefix_patterns(tuple(sorted(index.prefixes))).get(prefix)
    if pattern is not None and not pattern.match(local):
        return f"'{value}' does not match the {prefix} identifier pattern {pattern.pattern}"
    return None


def _reference_layer(kb: LoadedKB, index: SchemaIndex, out: _Collector) -> None:
    ids: dict[str, str] = {}  # id -> class
    labels: dict[tuple[str, str], str] = {}  # (class, normalised label) -> id
    for class_name, record, parent in _all_records(kb, index):
        rid = record.get("id")
        if not isinstance(rid, str):
            continue
        external = class_name == "ExternalTerm"
        problem = _check_curie(rid, index, external)
        if problem:
            out.add(rid, "id", problem, "identifier")
        elif not external and not rid.startswith("CIRO:"):
            out.add(rid, "id", f"CIRO records use CIRO identifiers, found '{rid}'", "identifier")
        if rid in ids:
            first = kb.where(rid, "")
            out.add(rid, "id", f"duplicate id (also used at {first.file}:{first.line})", "reference")
        ids.setdefault(rid, class_name)
        label = record.get("label")
        if isinstance(label, str) and class_name not in ("Evidence", "ExternalTerm"):
            key = (class_name, " ".join(label.casefold().split()))
            if key in labels and labels[key] != rid:
                out.add(rid, "label", f"duplicate label '{label}' (also {labels[key]})", "reference")
            labels.setdefault(key, rid)

    for class_name, record, parent in _all_records(kb, index):
        rid = str(record.get("id"))
        for slot_name, info in index.slots.get(class_name, {}).items():
            if out.seen(rid, slot_name) or slot_name not in record:
                continue
            values = record[slot_name]
            values = values if isinstance(values, list) else [values]
            if info.reference or info.range == "uriorcurie" and slot_name != "id":
                for value in values:
                    _check_reference(rid, slot_name, info, value, ids, index, out, class_name)
        if class_name == "Target":
            _check_kind(rid, record, "xrefs", index.kind_prefixes.get(str(record.get("target_kind")), ()),
                        f"a {record.get('target_kind')} target", out)
        elif class_name in index.class_xref_prefixes:
            _check_kind(rid, record, "xrefs", index.class_xref_prefixes[class_name], f"a {class_name}", out)
        if class_name == "Evidence":
            _check_kind(rid, record, "evidence_type", index.slots["Evidence"]["evidence_type"].allowed_prefixes,
                        "an evidence type", out)
            _check_claim(rid, record, parent, index, out)
    _check_cycles(kb, out)


def _check_reference(rid, slot_name, info: SlotInfo, value, ids, index, out, class_name) -> None:
    if info.range == "uriorcurie":
        problem = _check_curie(value, index, external=False)
        if problem:
            out.add(rid, slot_name, problem, "identifier")
        elif slot_name == "about_object" and value not in ids:
            out.add(rid, slot_name, f"'{value}' does not refer to any record", "reference")
        return
    problem = _check_curie(value, index, external=info.range == "ExternalTerm")
    if problem:
        out.add(rid, slot_name, problem, "identifier")
        return
    if value not in ids:
        what = "external term (add it, with its checked label, under instances/external_terms/)" \
            if info.range == "ExternalTerm" else f"{info.range}"
        out.add(rid, slot_name, f"'{value}' refers to no {what}", "reference")
    elif not index.is_a(ids[value], info.range):
        out.add(rid, slot_name, f"'{value}' is a {ids[value]}, but {slot_name} needs a {info.range}", "reference")


def _check_kind(rid, record, slot_name, allowed: tuple[str, ...], what: str, out: _Collector) -> None:
    if not allowed or out.seen(rid, slot_name):
        return
    values = record.get(slot_name) or []
    for value in values if isinstance(values, list) else [values]:
        prefix = str(value).split(":", 1)[0]
        if prefix not in allowed:
            out.add(rid, slot_name, f"'{value}' is the wrong kind of identifier for {what} "
                    f"(expected one of: {', '.join(allowed)})", "identifier")


def _check_claim(rid, evidence: dict, parent: dict | None, index: SchemaIndex, out: _Collector) -> None:
    """An evidence item's link must be a link its record actually states."""
    relation, obj = evidence.get("about_relation"), evidence.get("about_object")
    if relation is None and obj is None:
        return
    if relation is None or obj is None:
        missing = "about_object" if obj is None else "about_relation"
        out.add(rid, missing, f"about_relation and about_object go together; '{missing}' is missing", "reference")
        return
    if parent is None or out.seen(rid, "about_relation") or out.seen(rid, "about_object"):
        return
    values = parent.get(relation)
    values = values if isinstance(values, list) else [values] if values is not None else []
    if obj not in values:
        out.add(rid, "about_object", f"{parent.get('id')} has no {relation} link to '{obj}' for this evidence "
                "to support", "reference")


def _check_cycles(kb: LoadedKB, out: _Collector) -> None:
    broader = {
        str(r.get("id")): [b for b in (r.get("broader_mechanisms") or []) if isinstance(b, str)]
        for r in kb.data.get("mechanisms", [])
        if isinstance(r.get("broader_mechanisms") or [], list)
    }
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in broader.get(node, []):
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt]
                out.add(node, "broader_mechanisms", "broader-mechanism cycle: " + " -> ".join(cycle), "reference")
            elif state.get(nxt) is None and nxt in broader:
                visit(nxt, path + [nxt])
        state[node] = 2

    for node in sorted(broader):
        if state.get(node) is None:
            visit(node, [node])


# --- layer 4: quotes ------------------------------------------------------------------------------------

def _quote_layer(kb: LoadedKB, index: SchemaIndex, out: _Collector, sources: Path, report: Report) -> None:
    publications = {str(p.get("id")): p for p in kb.data.get("publications", [])}
    texts = {}
    for pid, pub in publications.items():
        name = pub.get("source_text")
        if not isinstance(name, str):
            continue
        path = sources / name
        if not path.is_file():
            out.add(pid, "source_text", f"kept source text '{name}' not found in {sources}", "quote")
            continue
        try:
            texts[pid] = read_source_text(path.resolve())
        except (OSError, UnicodeDecodeError) as exc:
            out.add(pid, "source_text", f"cannot read kept source text '{name}': {exc}", "quote")
    for class_name, record, _parent in _all_records(kb, index):
        if class_name != "Evidence":
            continue
        report.quotes_total += 1
        rid = str(record.get("id"))
        quote, pid = record.get("quote"), record.get("publication")
        if out.seen(rid, "quote") or out.seen(rid, "publication"):
            continue
        if not isinstance(quote, str) or not quote.strip() or not "".join(quote.split(".")).strip():
            out.add(rid, "quote", "quote is empty", "quote")
            continue
        if pid not in texts:
            continue  # the missing publication or source text is already reported
        if find_quote(quote, texts[pid].normalised):
            report.quotes_checked += 1
            continue
        elsewhere = [other for other, text in sorted(texts.items()) if other != pid and find_quote(quote, text.normalised)]
        short = quote if len(quote) <= 80 else quote[:77] + "..."
        if elsewhere:
            out.add(rid, "quote", f"quote \"{short}\" is not in {pid} but is in {elsewhere[0]}: "
                    "fix the publication", "quote")
        else:
            out.add(rid, "quote", f"quote \"{short}\" not found in the text of {pid} "
                    f"({publications[pid].get('source_text')})", "quote")


# --- layer 5: SHACL ----------------------------------------------------------------------------------------

def _shacl_layer(kb: LoadedKB, index: SchemaIndex, out: _Collector, layout: Layout) -> None:
    from .shacl import run_shacl

    for result in run_shacl(kb.data, layout):
        record = result.focus
        slot = index.slot_predicates.get(result.path, result.path)
        out.add(record, slot, result.message, "shacl")


def validate_loaded(kb: LoadedKB, layout: Layout, shacl: bool = True) -> Report:
    """Run every layer after the YAML one on an already loaded KB."""
    index = schema_index(layout.schema)
    report = Report(files=len(kb.files))
    report.records = sum(1 for _ in _all_records(kb, index))
    out = _Collector(kb)
    _schema_layer(kb, index, out, layout.schema)
    _reference_layer(kb, index, out)
    _quote_layer(kb, index, out, layout.sources, report)
    if shacl and not any(p.stage == "yaml" for p in out.problems):
        _shacl_layer(kb, index, out, layout)
    report.problems = sorted(out.problems, key=lambda p: (p.file, p.line, p.record, p.field, p.message))
    return report


def validate(paths: list[Path] | None = None, layout: Layout | None = None, shacl: bool = True) -> tuple[Report, LoadedKB]:
    """Validate the files under `paths` (default: the project's instances/)."""
    layout = layout or Layout.find()
    kb = load_paths(paths or [layout.instances], base=layout.root)
    return validate_loaded(kb, layout, shacl), kb
