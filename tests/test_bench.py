"""The synthetic-KB generator: deterministic, shaped like the curated KB, valid unless told otherwise, and every
injected error found by the validator where the manifest says. (The benchmark itself is not a test: it is
`ciro bench run`, see docs/performance.md.)"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ciro.bench import ERROR_KINDS, generate
from ciro.cli import main
from ciro.layout import Layout
from ciro.validate import validate


def _digest(root: Path) -> str:
    hasher = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        hasher.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return hasher.hexdigest()


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench") / "kb"
    manifest = generate(500, root, seed=11, inject=True)
    report, _kb = validate(None, Layout(root))
    return root, manifest, report


def test_same_seed_same_bytes(tmp_path):
    generate(400, tmp_path / "a", seed=5, inject=True)
    generate(400, tmp_path / "b", seed=5, inject=True)
    generate(400, tmp_path / "c", seed=6, inject=True)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b") != _digest(tmp_path / "c")


def test_shape_of_a_generated_kb(tmp_path, layout):
    manifest = generate(1000, tmp_path / "kb", seed=1)
    instances = tmp_path / "kb" / "instances"
    assert sum(manifest["evidence_items"].values()) == 1000
    counts = manifest["synthetic_records"]
    # the curated proportions: per 207 evidence items 22 mechanisms, 37 targets ...
    assert 80 <= counts["mechanisms"] <= 90 and 135 <= counts["targets"] <= 150
    for kind in ("mechanisms", "targets", "therapies", "countermeasures", "phenotypes", "publications"):
        curated = len(list((layout.instances / kind).glob("*.yaml")))
        assert len(list((instances / kind).glob("*.yaml"))) == curated + counts[kind]  # one file per entity
    assert len(list((instances / "sources").glob("bench-*.txt"))) == counts["publications"]
    report, _kb = validate(None, Layout(tmp_path / "kb"))
    assert report.errors == [] and report.quotes_checked == report.quotes_total == 1000


def test_every_injected_error_is_reported_where_the_manifest_says(broken):
    root, manifest, report = broken
    assert sorted(e["kind"] for e in manifest["injected"]) == sorted(ERROR_KINDS)
    missing = []
    for entry in manifest["injected"]:
        hits = [p for p in report.errors if p.field == entry["field"] and
                (p.record in entry["records"] if entry["records"] else p.file == entry["file"])]
        if not hits:
            missing.append(entry["kind"])
    assert missing == []
    assert len(report.errors) == len(ERROR_KINDS)  # and nothing else: each error is reported once


def test_only_some_kinds(tmp_path):
    manifest = generate(400, tmp_path / "kb", seed=2, inject=True, kinds=("broader_cycle", "empty_quote"))
    assert sorted(e["kind"] for e in manifest["injected"]) == ["broader_cycle", "empty_quote"]
    with pytest.raises(ValueError, match="unknown error kind"):
        generate(400, tmp_path / "kb", seed=2, inject=True, kinds=("no_such_kind",))


def test_cli_generate(tmp_path):
    result = CliRunner().invoke(main, ["bench", "generate", "400", "--out", str(tmp_path / "kb"), "--seed", "3",
                                       "--inject-errors"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "kb" / "manifest.json").read_text())
    assert len(manifest["injected"]) == len(ERROR_KINDS) and f"{len(ERROR_KINDS)} errors injected" in result.output
    assert CliRunner().invoke(main, ["bench", "generate", "10", "--out", str(tmp_path / "x")]).exit_code != 0


def test_cli_run_help():
    result = CliRunner().invoke(main, ["bench", "run", "--help"])
    assert result.exit_code == 0 and "--sizes" in result.output


@pytest.mark.parametrize("seed", [0, 7])
def test_synthetic_terms_are_distinct(tmp_path, monkeypatch, seed):
    """One id, one label: a parent id is never another term's (or parent's) id. Local ids are drawn from a
    narrow range here, so that a generator drawing parents blindly would collide at once."""
    import importlib

    gen = importlib.import_module("ciro.bench.generate")

    narrow = {prefix: (lambda r, p=prefix: str(r.randint(1, 400)) if p not in ("CL", "GO", "SO") else
                       f"{r.randint(1, 400):07d}") for prefix in gen._LOCAL if prefix in ("HGNC", "CHEBI", "CL", "GO")}
    monkeypatch.setattr(gen, "_LOCAL", {**gen._LOCAL, **narrow})
    generate(1500, tmp_path / "kb", seed=seed)
    import yaml

    labels: dict[str, set[str]] = {}
    for path in sorted((tmp_path / "kb" / "instances" / "external_terms").glob("*.yaml")):
        for term in yaml.safe_load(path.read_text(encoding="utf-8")):
            labels.setdefault(term["id"], set()).add(term["label"])
            if "parent" in term:
                labels.setdefault(term["parent"], set()).add(term["parent_label"])
    assert labels and all(len(names) == 1 for names in labels.values())
    assert sum(1 for c in labels if c.startswith("CHEBI:")) > 10


def test_measure_reports_peak_memory_and_steps():
    """bench release's probe: the peak RSS of the process tree and the build's step lines, each with its time."""
    import sys

    from ciro.bench.release import _steps, measure

    script = ("import time; print('[1/2] small (0.00 s)', flush=True); block = bytearray(300 * 2**20); "
              "block[::4096] = b'x' * len(block[::4096]); time.sleep(0.5); print('[2/2] big (0.50 s)', flush=True)")
    run = measure([sys.executable, "-c", script], interval=0.02)
    assert run["returncode"] == 0 and run["peak_mb"] > 300 and run["wall_s"] >= 0.5
    assert 300 < run["peak_pss_mb"] <= run["peak_mb"]  # one process: its PSS is about its RSS
    steps = _steps(run)
    assert [s["step"] for s in steps] == [1, 2] and steps[1]["peak_mb"] > 300 > steps[0]["peak_mb"]


def test_measure_counts_pages_shared_with_a_forked_child_once_in_pss():
    """A child forked after 300 MB were written shares them: summed RSS counts them twice, PSS once."""
    import sys

    from ciro.bench.release import measure

    script = ("import os, time; block = bytearray(300 * 2**20); block[::4096] = b'x' * len(block[::4096]); "
              "pid = os.fork(); time.sleep(0.6); os._exit(0) if pid == 0 else os.waitpid(pid, 0)")
    run = measure([sys.executable, "-c", script], interval=0.02)
    assert run["returncode"] == 0
    assert run["peak_mb"] > 550 and 290 < run["peak_pss_mb"] < 450


def test_bench_release_quick_size(tmp_path):
    """The quick size of `scripts/bench.py release`: the real build and validate, and the reference, in one table."""
    result = CliRunner().invoke(main, ["bench", "release", "--sizes", "400", "--work", str(tmp_path / "w"),
                                       "--json", str(tmp_path / "r.json")])
    assert result.exit_code == 0, result.output
    size = json.loads((tmp_path / "r.json").read_text())["sizes"]["400"]
    assert size["build"]["returncode"] == 0 and len(size["build"]["steps"]) == 7
    assert size["reference"]["triples"] > 1000 and size["validate"]["returncode"] == 0
    assert size["validate_one_change"]["returncode"] == 0 and size["validate_one_change"]["file"].endswith(".yaml")
    assert "build ÷ reference" in result.output and "after a one-file change" in result.output


def test_release_report_judges_each_goal_from_the_run():
    """The goals table of `bench release` says yes exactly where the measured figure is within the issue's limit."""
    from ciro.bench.release import goals_markdown

    def size(build_s, pss, validate_s, one_change_s, reference_s=10.0):
        return {"build": {"wall_s": build_s, "peak_pss_mb": pss}, "reference": {"wall_s": reference_s},
                "validate": {"wall_s": validate_s}, "validate_one_change": {"wall_s": one_change_s}}

    rows = goals_markdown({"sizes": {"10000": size(119.0, 650, 9, 1), "100000": size(89.9, 2048, 15.2, 1.99)}})
    verdicts = {line.split(" | ")[0].lstrip("| "): line.rsplit(" | ", 1)[1].strip(" |")
                for line in rows.splitlines()[2:]}
    assert verdicts == {
        "N = 10,000: whole build ≤ 12× the pyoxigraph reference (wall)": "**yes**",  # 11.9×
        "N = 10,000: whole build ≤ 600 MB (summed PSS)": "**no**",
        "N = 100,000: whole build ≤ 90 s (wall)": "**yes**",
        "N = 100,000: whole build ≤ 2 GB (summed PSS)": "**yes**",  # 2,048 MB = 2 GB of 2^20-byte MB
        "N = 100,000: `ciro validate` ≤ 15 s (wall, cold)": "**no**",
        "N = 100,000: `ciro validate` after a one-file change ≤ 2 s (wall)": "**yes**",
    }
    assert "N = 100,000" not in goals_markdown({"sizes": {"10000": size(1, 1, 1, 1)}})  # only the sizes measured
