"""curate/jsoncheck.py agrees with jsonschema: on every record of a generated KB with injected errors, and on
each of those records broken in many ways, it accepts exactly what jsonschema finds no error in (the check reads
the record as YAML gives it, dates included; jsonschema its JSON, validate._as_json)."""

from __future__ import annotations

import datetime

import jsonschema
import pytest

from ciro.bench.generate import generate
from ciro.curate.jsoncheck import compile_check
from ciro.curate.loader import load_paths
from ciro.curate.schemaindex import json_schema, schema_index
from ciro.validate import _as_json

from .conftest import REPO

SCHEMA = REPO / "schema" / "ciro.yaml"
ODD = [None, 1, 1.0, 1.5, True, "", "x", "CIRO:0000001", [], [1], ["x"], [None], {}, {"a": 1}, {1: "x"},
       datetime.date(2026, 11, 29), datetime.datetime(2026, 11, 29, 10, 0), [datetime.date(2020, 1, 1)],
       {"a": datetime.date(2020, 1, 1)}]


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    root = tmp_path_factory.mktemp("kb")
    generate(400, root, seed=4, inject=True)
    index = schema_index(SCHEMA)
    return [(index.class_of(r.kind), r.data) for r in load_paths([root / "instances"]).records if r.parent is None]


def _variants(data: dict):
    """The record, then each field dropped, replaced by an odd value, given an odd list item; an unknown field."""
    yield data
    for key, value in data.items():
        yield {k: v for k, v in data.items() if k != key}
        for odd in ODD:
            yield data | {key: odd}
        if isinstance(value, list) and value:
            for odd in ODD[:8]:
                yield data | {key: [*value[:-1], odd]}
            if isinstance(value[0], dict):  # an inlined evidence item, broken the same ways
                for inner in list(_variants(value[0]))[1::7]:
                    yield data | {key: [inner, *value[1:]]}
    yield data | {"lable": "x"}


def test_every_class_has_a_check():
    defs = json_schema(SCHEMA)["$defs"]
    for class_name in set(schema_index(SCHEMA).tree_slots.values()) | {"Evidence"}:
        assert compile_check(defs, class_name) is not None, class_name


def test_same_answer_as_jsonschema(records):
    defs = json_schema(SCHEMA)["$defs"]
    checks, validators = {}, {}
    seen = {"valid": 0, "invalid": 0}
    for class_name, data in records:
        if class_name not in checks:
            checks[class_name] = compile_check(defs, class_name)
            validators[class_name] = jsonschema.Draft202012Validator({"$defs": defs, "$ref": f"#/$defs/{class_name}"})
        for variant in _variants(data):
            valid = not any(True for _ in validators[class_name].iter_errors(_as_json(variant)))
            assert checks[class_name](variant) == valid, (class_name, variant)
            seen["valid" if valid else "invalid"] += 1
    assert seen["valid"] > 1000 and seen["invalid"] > 1000


def test_unknown_keywords_get_no_check():
    assert compile_check({"A": {"type": "string", "minLength": 2}}, "A") is None
    assert compile_check({"A": {"$ref": "#/$defs/B"}}, "A") is None
    assert compile_check({"A": {"type": "object", "properties": {"b": {"$ref": "#/$defs/A"}}}}, "A")({"b": {}})
