"""Shared fixtures: the repository, and one fresh build of its release per test session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ciro.layout import Layout

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def layout() -> Layout:
    return Layout(REPO)


@pytest.fixture(scope="session")
def fresh_release(tmp_path_factory, layout) -> Path:
    """The release built from the repository's current schema and instances, in a temporary folder."""
    from ciro.release import build_release

    out = tmp_path_factory.mktemp("release") / "ontology"
    build_release(layout, out, progress=lambda _line: None)
    return out


def copy_project(tmp_path: Path) -> Layout:
    """A writable copy of the project inputs (schema, instances) for tests that break or rebuild them."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "schema", root / "schema")
    shutil.copytree(REPO / "instances", root / "instances")
    return Layout(root)


def pytest_terminal_summary(terminalreporter):
    """The W3C SHACL suite's pass counts per engine, when its tests ran (tests/test_w3c_shacl.py)."""
    import sys

    module = sys.modules.get("tests.test_w3c_shacl")
    if module is None or not any(module.TALLY.values()):
        return
    total = len(module.ENTRIES)
    counts = ", ".join(f"{engine} {sum(runs)}/{total}" + (f" ({total - len(runs)} not run)" if len(runs) < total
                                                          else "") for engine, runs in module.TALLY.items() if runs)
    terminalreporter.write_line(f"W3C SHACL test suite (Core + SPARQL), entries passed: {counts}")
