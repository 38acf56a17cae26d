"""Shared fixtures: the repository, and one fresh build of its release per test session."""

from __future__ import annotations

import shutil
import subprocess
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from ciro.layout import Layout

REPO = Path(__file__).resolve().parents[1]
RO = REPO / "tests" / "data" / "ro" / "ro.owl"
_HERMIT_WITH_RO = "tests/test_reuse.py::test_release_with_ro_has_no_unsatisfiable_class_under_hermit"
_background: dict[str, Future] = {}


def pytest_collection_finish(session) -> None:
    """Start HermiT's classification of CIRO + RO (its locality module for CIRO's signature) as soon as the
    tests are known: it takes minutes of one core, and runs in a JVM beside the other tests instead of after
    them. It reads the committed ontology/ciro-base.owl, which tests/test_build.py holds equal to a fresh build."""
    if any(item.nodeid == _HERMIT_WITH_RO for item in session.items) and shutil.which("java"):
        from ciro.release.owlcheck import reason

        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hermit-ro")
        _background["hermit_with_ro"] = pool.submit(
            reason, [REPO / "ontology" / "ciro-base.owl", RO], reasoners=("hermit",), module=True, timeout=3000)
        pool.shutdown(wait=False)


def hermit_with_ro_module():
    """The result of the run pytest_collection_finish started (or, if it was not started, a run now)."""
    from ciro.release.owlcheck import reason

    job = _background.get("hermit_with_ro")
    if job is None:
        return reason([REPO / "ontology" / "ciro-base.owl", RO], reasoners=("hermit",), module=True, timeout=3000)
    return job.result()


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


def stop_process(process: subprocess.Popen, grace: float = 15) -> None:
    """Stop a server the tests started: SIGTERM (it stops its own workers), SIGKILL if it outlives `grace` s."""
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def copy_project(tmp_path: Path) -> Layout:
    """A writable copy of the project inputs (schema, instances, import tables) for tests that break or rebuild them."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "schema", root / "schema")
    shutil.copytree(REPO / "instances", root / "instances")
    shutil.copytree(REPO / "imports", root / "imports")
    return Layout(root)


def git(root: Path, *args: str) -> str:
    import subprocess

    return subprocess.run(["git", "-c", "user.name=CIRO test", "-c", "user.email=test@example.org", *args],
                          cwd=root, check=True, capture_output=True, text=True).stdout


# The change between the two releases of `two_releases`: one mechanism relabelled and redefined, one of its
# links removed together with the evidence item for it.
IFNG_FILE = "instances/mechanisms/abnormal-ifn-gamma-signal-pathway.yaml"
IFNG_EDITS = (
    ("label: abnormal IFN-γ signal pathway\n", "label: abnormal IFN-γ signalling\n"),
    ("definition: Abnormal interferon-γ signalling in the tumour cell,",
     "definition: Abnormal IFN-γ signalling in the tumour cell,"),
    ("- CIRO:0000140\n- CIRO:0000142\n", "- CIRO:0000140\n"),
)


@pytest.fixture(scope="session")
def two_releases(tmp_path_factory):
    """A git checkout of the project inputs with releases 0.1.0 and 0.2.0 cut (`ciro release`), the second
    after IFNG_EDITS and the removal of the evidence item CIRO:0000287; returns (layout, bytes of every file of
    0.1.0 right after it was cut)."""
    import re

    from ciro.release.cut import cut_release

    layout = copy_project(tmp_path_factory.mktemp("cut"))
    git(layout.root, "init", "-q")
    git(layout.root, "add", "-A")
    git(layout.root, "commit", "-qm", "inputs")
    cut_release(layout, "0.1.0", "2026-12-01", progress=lambda _line: None)
    first = {p.relative_to(layout.releases / "0.1.0"): p.read_bytes()
             for p in sorted((layout.releases / "0.1.0").rglob("*")) if p.is_file()}
    path = layout.root / IFNG_FILE
    text = path.read_text(encoding="utf-8")
    for old, new in IFNG_EDITS:
        assert old in text
        text = text.replace(old, new)
    text, removed = re.subn(r"- id: CIRO:0000287\n(?:  .*\n|    .*\n)*", "", text)
    assert removed == 1
    path.write_text(text, encoding="utf-8")
    layout.schema.write_text(layout.schema.read_text(encoding="utf-8").replace("version: 0.1.0", "version: 0.2.0", 1),
                             encoding="utf-8")
    git(layout.root, "commit", "-qam", "relabel, redefine, drop a link")
    cut_release(layout, "0.2.0", "2026-12-02", progress=lambda _line: None)
    return layout, first


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
