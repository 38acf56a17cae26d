"""Property: whatever a curator (or a bad merge) does to valid records, validation ends with a report.

Hypothesis mutates the valid project at random (drops and renames fields, changes types, injects Unicode,
swaps and duplicates ids, points references elsewhere, replaces whole files with junk) and the validator,
run with CIRO_DEBUG=1 so any crashing check raises, must return a report: clean, or with problems that
each name a file. Examples are bounded so the test runs in well under a minute; nothing is timed.
"""

from __future__ import annotations

import copy
import os
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ciro.layout import Layout
from ciro.validate import validate

from .conftest import REPO

# 120 fixed examples by default (about 20 s); CIRO_FUZZ_EXAMPLES=5000 for a long random hunt.
EXAMPLES = int(os.environ.get("CIRO_FUZZ_EXAMPLES", "120"))

VALID = REPO / "tests" / "data" / "valid" / "instances"
BASE: dict[str, object] = {
    str(p.relative_to(VALID)): yaml.safe_load(p.read_text(encoding="utf-8"))
    for p in sorted(VALID.rglob("*.yaml"))
}
IDS = sorted({str(r["id"]) for data in BASE.values() for r in (data if isinstance(data, list) else [data])})
REFERENCES = IDS + ["CIRO:0000999", "CIRO:12", "HGNC:99999", "HGNC:abc", "NCBITaxon:239935", "PD-L1", "",
                    "https://identifiers.org/hgnc:17635", "CIRO:０００0100"]
FIELDS = sorted({k for data in BASE.values() for r in (data if isinstance(data, list) else [data]) for k in r}
                | {"about_relation", "about_object", "involves", "xrefs", "categories"})

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=30),
                    st.sampled_from(REFERENCES))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=10), inner, max_size=3), max_leaves=8)


def _records(data) -> list[dict]:
    """The mappings of one file: its records and their evidence items."""
    tops = [r for r in (data if isinstance(data, list) else [data]) if isinstance(r, dict)]
    inner = [e for r in tops if isinstance(r.get("has_evidence"), list) for e in r["has_evidence"]]
    return tops + [e for e in inner if isinstance(e, dict)]


@st.composite
def mutated_projects(draw) -> dict[str, object]:
    files = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 4))):
        name = draw(st.sampled_from(sorted(files)))
        op = draw(st.sampled_from(["drop", "rename", "retype", "unicode", "reference", "add", "duplicate_id",
                                   "copy_file", "junk_file", "list_file", "move_file"]))
        records = _records(files[name])
        record = draw(st.sampled_from(records)) if records else None
        key = draw(st.sampled_from(sorted(map(str, record)))) if record else None
        if op == "drop" and key:
            del record[key]
        elif op == "rename" and key:
            record[draw(st.sampled_from(FIELDS) | st.text(min_size=1, max_size=12))] = record.pop(key)
        elif op == "retype" and key:
            record[key] = draw(values)
        elif op == "unicode" and key:
            record[key] = str(record[key]) + draw(st.text(min_size=1, max_size=12))
        elif op == "reference" and record is not None:
            field = draw(st.sampled_from(FIELDS))
            pick = st.sampled_from(REFERENCES)
            record[field] = draw(pick | st.lists(pick, min_size=1, max_size=3))
        elif op == "add" and record is not None:
            record[draw(st.sampled_from(FIELDS))] = draw(values)
        elif op == "duplicate_id" and record is not None:
            record["id"] = draw(st.sampled_from(IDS))
        elif op == "copy_file":
            files[name.replace(".yaml", "-copy.yaml")] = copy.deepcopy(files[name])
        elif op == "junk_file":
            files[name] = draw(st.binary(max_size=300) | st.text(max_size=300))
        elif op == "list_file":
            files[name] = [files[name], draw(values)]
        elif op == "move_file":
            kind = draw(st.sampled_from(["mechanisms", "targets", "external_terms", "elsewhere", "sources"]))
            files[f"{kind}/{Path(name).name}"] = files.pop(name)
    return files


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Layout:
    root = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(REPO / "schema", root / "schema")
    return Layout(root)


def _write(layout: Layout, files: dict[str, object]) -> None:
    if layout.instances.exists():
        shutil.rmtree(layout.instances)
    shutil.copytree(VALID / "sources", layout.sources)
    for name, data in files.items():
        path = layout.instances / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        elif isinstance(data, str):
            path.write_text(data, encoding="utf-8", errors="surrogatepass")
        else:
            path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


@settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES == 120, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(files=mutated_projects())
def test_validation_always_ends_with_a_report(root, monkeypatch, files):
    monkeypatch.setenv("CIRO_DEBUG", "1")  # a crashing check raises instead of becoming an 'internal' problem
    _write(root, files)
    report, _kb = validate(None, root)
    assert report.ok == (not report.errors)
    for problem in report.problems:
        assert problem.file and problem.line >= 0 and problem.message, problem
        assert problem.stage != "internal"
        assert "\n" not in problem.format()
