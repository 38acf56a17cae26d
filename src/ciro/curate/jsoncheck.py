"""A yes/no check of a record against the generated JSON Schema, compiled once into plain Python tests.

jsonschema walks its schema for every record (12 s for 170,000 records at 100k); almost every record is valid,
and for a valid one only the answer matters. `compile_check` turns the keywords LinkML's JSON Schema uses
(type, enum, pattern, items, properties, required, additionalProperties, anyOf, $ref; format and the texts are
annotations) into nested closures with jsonschema's meaning. A record they accept has no jsonschema error; one
they reject goes to jsonschema, which says what is wrong. A schema with any other keyword gets no check (None),
so a new keyword can only cost speed, never a missed error.

The check takes a record as YAML reads it: a date (YAML reads 2026-11-29 as one) counts as its ISO text, as in the
JSON the schema layer hands to jsonschema (validate._as_json), without copying the record to make that JSON.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable

__all__ = ["compile_check"]

Check = Callable[[object], bool]
_ANNOTATIONS = {"description", "title", "examples", "format", "$comment", "default"}  # no effect on validity


class _Unsupported(Exception):
    pass


def _is_integer(value) -> bool:  # jsonschema's: a float with no fraction is an integer too; a bool is not
    return (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, float) and value.is_integer())


def _as_text(value):
    """A value as the JSON of the record has it: a date as its ISO text (validate._as_json)."""
    return value.isoformat() if isinstance(value, datetime.date) else value


_TYPES: dict[str, Check] = {
    "string": lambda v: isinstance(v, str),
    "integer": _is_integer,
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}
# The Python types of which every value has the JSON type: the common case, answered by one set lookup.
_EXACT = {"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,), "null": (type(None),),
          "array": (list,), "object": (dict,)}


def compile_check(defs: dict, name: str) -> Check | None:
    """A function telling whether a value is valid against `#/$defs/<name>`, or None if the schema uses more."""
    compiled: dict[str, Check] = {}

    def ref(target: str) -> Check:
        if not target.startswith("#/$defs/") or target[8:] not in defs:
            raise _Unsupported(target)
        key = target[8:]
        if key not in compiled:
            compiled[key] = lambda v: compiled[key + "#"](v)  # placeholder: references may be recursive
            compiled[key + "#"] = build(defs[key])
            compiled[key] = compiled[key + "#"]
        return compiled[key]

    def build(schema) -> Check:
        if schema is True or schema == {}:
            return lambda v: True
        if not isinstance(schema, dict):
            raise _Unsupported(repr(schema))
        unknown = set(schema) - _ANNOTATIONS - {"type", "enum", "pattern", "items", "properties", "required",
                                                "additionalProperties", "anyOf", "$ref"}
        if unknown:
            raise _Unsupported(", ".join(sorted(unknown)))
        checks: list[Check] = []
        if "$ref" in schema:
            checks.append(ref(schema["$ref"]))
        if "type" in schema:
            names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            tests = tuple(_TYPES[t] for t in names)  # a KeyError (unknown type) makes the schema unsupported
            exact = frozenset(t for n in names for t in _EXACT[n])
            checks.append(lambda v: type(v) in exact or any(t(_as_text(v)) for t in tests))
        if "enum" in schema:
            values = schema["enum"]
            if not all(isinstance(x, str) for x in values):
                raise _Unsupported("enum")
            allowed = frozenset(values)
            checks.append(lambda v: type(v) is str and v in allowed or isinstance(_as_text(v), str)
                          and _as_text(v) in allowed)
        if "pattern" in schema:
            search = re.compile(schema["pattern"]).search

            def matches(v) -> bool:
                if type(v) is not str:
                    v = _as_text(v)
                    if not isinstance(v, str):
                        return True
                return search(v) is not None
            checks.append(matches)
        if "items" in schema:
            item = build(schema["items"])

            def items(v) -> bool:
                if isinstance(v, list):
                    for x in v:
                        if not item(x):
                            return False
                return True
            checks.append(items)
        if "anyOf" in schema:
            options = tuple(build(s) for s in schema["anyOf"])
            checks.append(lambda v: any(o(v) for o in options))
        checks.extend(_object_checks(schema, build))
        return _all(checks)

    try:
        return ref(f"#/$defs/{name}")
    except (_Unsupported, KeyError, re.error, TypeError):
        return None


def _all(checks: list[Check]) -> Check:
    """A check passing when each of `checks` passes (one or two: no generator per value)."""
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda v: first(v) and second(v)
    return lambda v: all(c(v) for c in checks)


def _object_checks(schema: dict, build) -> list[Check]:
    """properties, required and additionalProperties: they say nothing about a value that is not a mapping."""
    checks: list[Check] = []
    properties = {k: build(s) for k, s in schema.get("properties", {}).items()}
    extra = schema.get("additionalProperties", True)
    if extra not in (True, False):
        raise _Unsupported("additionalProperties")
    required = tuple(schema.get("required", ()))
    if properties:
        def props(v) -> bool:
            if not isinstance(v, dict):
                return True
            for key, value in v.items():
                test = properties.get(key) if isinstance(key, str) else None
                if test is None:
                    if extra is False:
                        return False
                elif not test(value):
                    return False
            return True
        checks.append(props)
    elif extra is False:
        checks.append(lambda v: not isinstance(v, dict) or not v)
    if required:
        checks.append(lambda v: not isinstance(v, dict) or all(k in v for k in required))
    return checks
