"""The bad-input corpus: every case in tests/data/invalid/ gives exactly the lines in its expected.txt.

Each case is a tiny project tree (instances/...). It runs in a project folder that holds a copy of the
repository's schema/; the few inputs that cannot or should not be committed (a 50 MB file, symbolic
links, a folder or a FIFO named like a YAML file) are made by GENERATED at run time.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ciro.layout import Layout
from ciro.validate import validate

from .conftest import REPO

CASES = REPO / "tests" / "data" / "invalid"


def _huge_file(instances: Path) -> None:
    path = instances / "targets" / "huge.yaml"
    path.parent.mkdir(parents=True)
    line = "- id: CIRO:0000102\n"
    with path.open("w") as handle:
        handle.write(line * (50 * 2**20 // len(line) + 1))


def _symlink_loop(instances: Path) -> None:
    (instances / "targets").mkdir(parents=True)
    (instances / "targets" / "a.yaml").symlink_to("b.yaml")
    (instances / "targets" / "b.yaml").symlink_to("a.yaml")


def _broken_symlink(instances: Path) -> None:
    (instances / "targets").mkdir(parents=True)
    (instances / "targets" / "pd-l1.yaml").symlink_to("../../elsewhere/pd-l1.yaml")


def _directory_named_yaml(instances: Path) -> None:
    (instances / "targets" / "pd-l1.yaml").mkdir(parents=True)
    (instances / "targets" / "pd-l1.yaml" / "notes.txt").write_text("not a record\n")


def _fifo_named_yaml(instances: Path) -> None:
    (instances / "targets").mkdir(parents=True)
    os.mkfifo(instances / "targets" / "pd-l1.yaml")  # opening it for reading must not wait for a writer


GENERATED = {
    "huge_file": _huge_file,
    "symlink_loop": _symlink_loop,
    "broken_symlink": _broken_symlink,
    "directory_named_yaml": _directory_named_yaml,
    "fifo_named_yaml": _fifo_named_yaml,
}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Layout:
    """One project folder with the schema; each case puts its own instances/ there."""
    root = tmp_path_factory.mktemp("corpus")
    shutil.copytree(REPO / "schema", root / "schema")
    return Layout(root)


def install(case: Path, layout: Layout) -> None:
    if layout.instances.exists():
        shutil.rmtree(layout.instances)
    if (case / "instances").is_dir():
        shutil.copytree(case / "instances", layout.instances, symlinks=True)
    else:
        layout.instances.mkdir()
    if case.name in GENERATED:
        GENERATED[case.name](layout.instances)


def test_the_corpus_is_large_and_complete():
    cases = sorted(p.name for p in CASES.iterdir() if p.is_dir())
    assert len(cases) >= 40
    assert all((CASES / name / "expected.txt").is_file() for name in cases)
    assert set(GENERATED) <= set(cases)


@pytest.mark.parametrize("name", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_invalid_case(name, project, monkeypatch):
    monkeypatch.setenv("CIRO_DEBUG", "1")  # a crashing check fails the test with its traceback
    case = CASES / name
    install(case, project)
    report, _kb = validate(None, project)
    expected = (case / "expected.txt").read_text(encoding="utf-8").splitlines()
    assert [p.format() for p in report.problems] == expected
    assert expected, "an invalid case must report something"
    assert report.ok == all(line.endswith("[warning]") for line in expected)
    assert not [p for p in report.problems if p.stage == "internal"]


def test_the_valid_project_passes_clean(project):
    install(REPO / "tests" / "data" / "valid", project)
    report, _kb = validate(None, project)
    assert report.problems == []
    assert report.ok
    assert report.quotes_checked == report.quotes_total > 0
    assert report.records > report.files > 0
