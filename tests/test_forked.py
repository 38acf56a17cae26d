"""The forked helpers of a cold `ciro validate` (parsing, SHACL shapes): the helper's result comes back, a failed
helper leaves nothing behind, and a run split over two processes says exactly what a one-process run says."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from ciro.bench.generate import generate
from ciro.cli import main
from ciro.curate import loader
from ciro.forked import start_helper
from ciro.shacl.fast import engine

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the helpers need fork")


def _leftovers(prefix: str) -> list[str]:
    return [n for n in os.listdir(tempfile.gettempdir()) if n.startswith(prefix)]


def test_the_helpers_result_comes_back():
    data = {"records": list(range(1000))}  # the parent's data, seen by the forked helper without being sent
    helper = start_helper(lambda: sum(data["records"]), "ciro-test-ok-")
    assert helper is not None and helper.result() == sum(range(1000))
    assert _leftovers("ciro-test-ok-") == []


def test_a_failed_helper_gives_none_and_leaves_no_file():
    def fail():
        raise ValueError("broken")

    helper = start_helper(fail, "ciro-test-fail-")
    assert helper is not None and helper.result() is None
    assert _leftovers("ciro-test-fail-") == []


def _validate(root: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", "--root", str(root), "--no-cache"], catch_exceptions=False)
    return result.exit_code, result.output


def test_a_split_run_says_what_a_one_process_run_says(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("CI", "true")
    root = tmp_path / "kb"
    generate(400, root, seed=5, inject=True)  # one error of every kind: every layer has something to say
    monkeypatch.setenv("CIRO_PARSE_PROCESSES", "1")
    monkeypatch.setenv("CIRO_SHACL_PROCESSES", "1")
    alone = _validate(root)
    monkeypatch.delenv("CIRO_PARSE_PROCESSES")
    monkeypatch.delenv("CIRO_SHACL_PROCESSES")
    monkeypatch.setattr(loader, "PARALLEL_MIN", 2)  # a small KB split as a large one would be
    monkeypatch.setattr(engine, "SPLIT_MIN", 1)
    started = []
    real = loader._start_helper
    monkeypatch.setattr(loader, "_start_helper",
                        lambda todo, *rest: started.append(len(todo)) or real(todo, *rest))
    splits = []
    real_split = engine._split
    monkeypatch.setattr(engine, "_split", lambda run, work: splits.append(real_split(run, work)) or splits[-1])
    if (os.cpu_count() or 1) < 2:
        pytest.skip("the split needs two cores")
    assert _validate(root) == alone
    assert started and started[0] > 0  # the parse helper really ran
    assert any(split is not None for split in splits)  # and so did the SHACL helper
    assert alone[0] != 0 and "error" in alone[1]


def _ahead_runs(monkeypatch) -> dict:
    """Force the SHACL-ahead helper (ciro/validate.py) on a small KB; count where the RDF layer ran."""
    from ciro import validate

    monkeypatch.setattr(validate, "AHEAD_MIN", 1)
    seen = {"started": 0, "here": 0}
    real_start, real_rdf = validate._start_ahead, validate._rdf_layer

    def start(*args):
        helper = real_start(*args)
        seen["started"] += helper is not None
        return helper

    def rdf_here(*args):
        seen["here"] += 1
        return real_rdf(*args)

    monkeypatch.setattr(validate, "_start_ahead", start)
    monkeypatch.setattr(validate, "_rdf_layer", rdf_here)
    return seen



def _one_process(monkeypatch, root, variable: str):
    """The report of a run with that helper kept off (`variable`=1), the variable unset again afterwards."""
    monkeypatch.setenv(variable, "1")
    report = _validate(root)
    monkeypatch.delenv(variable)
    return report

@pytest.mark.parametrize("inject", [False, True])
def test_shacl_ahead_says_what_a_one_process_run_says(tmp_path, monkeypatch, inject):
    """Without errors the helper's SHACL results are used; with a malformed value or a duplicate id the RDF data
    differ from the records as read, and the layers run again here: either way the output is the same."""
    if (os.cpu_count() or 1) < 2:
        pytest.skip("the helper needs two cores")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("CI", "true")
    root = tmp_path / "kb"
    generate(400, root, seed=7, inject=inject)
    alone = _one_process(monkeypatch, root, "CIRO_SHACL_PROCESSES")
    seen = _ahead_runs(monkeypatch)
    assert _validate(root) == alone
    assert seen["started"] == 1
    assert seen["here"] == (1 if inject else 0)  # the helper's results were used where they could be
    assert (alone[0] != 0) == inject


def test_a_failed_shacl_ahead_helper_is_made_good(tmp_path, monkeypatch):
    from ciro import forked

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("CI", "true")
    root = tmp_path / "kb"
    generate(400, root, seed=3)
    alone = _one_process(monkeypatch, root, "CIRO_SHACL_PROCESSES")
    seen = _ahead_runs(monkeypatch)
    real = forked.Helper.result
    monkeypatch.setattr(forked.Helper, "result", lambda self: real(self) and None)  # as if the helper died
    assert _validate(root) == alone
    assert seen["here"] == 1


def test_the_parse_helper_fills_and_reads_the_parse_cache(tmp_path, monkeypatch):
    """With a parse cache, the helper parses its share of the files too: what it parsed goes into the parent's
    cache, what the cache holds is taken from the parent's copy; the report is the one-process one, cold or warm."""
    from ciro.curate.parsecache import ParseCache

    if (os.cpu_count() or 1) < 2:
        pytest.skip("the split needs two cores")
    monkeypatch.setenv("CI", "true")
    root = tmp_path / "kb"
    generate(400, root, seed=5, inject=True)
    alone = _one_process(monkeypatch, root, "CIRO_PARSE_PROCESSES")
    monkeypatch.setattr(loader, "PARALLEL_MIN", 2)
    steps = []
    real = loader._from_helper
    monkeypatch.setattr(loader, "_from_helper", lambda step, cache: steps.append(step[0]) or real(step, cache))

    def run(xdg: str) -> tuple[int, str]:
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / xdg))
        result = CliRunner().invoke(main, ["validate", "--root", str(root)], catch_exceptions=False)
        return result.exit_code, result.output

    assert run("split") == alone  # cold: the helper parsed its files, the parent cached them
    assert "entry" in steps and "hit" not in steps
    monkeypatch.setenv("CIRO_PARSE_PROCESSES", "1")
    assert run("alone") == alone
    monkeypatch.delenv("CIRO_PARSE_PROCESSES")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "alone"))
    one = ParseCache.for_project(root)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "split"))
    split = ParseCache.for_project(root)
    assert split.old.keys() == one.old.keys() and len(split.old) > 100
    assert {k: v[0] for k, v in split.old.items()} == {k: v[0] for k, v in one.old.items()}
    steps.clear()
    shutil.rmtree(tmp_path / "split" / "ciro" / "results")  # no kept results: the next run is a full one
    assert run("split") == alone  # warm parse cache, no kept results: a full run, the helper's files are hits
    assert steps and set(steps) == {"hit"}


def test_the_schema_precheck_comes_back_from_the_parse_helper(tmp_path, monkeypatch):
    """The schema layer's yes/no check runs where each file is parsed; what the helper says of its records is
    what the check says of them in this process (a record it rejects goes to jsonschema all the same)."""
    from ciro import validate
    from ciro.layout import Layout

    if (os.cpu_count() or 1) < 2:
        pytest.skip("the split needs two cores")
    root = tmp_path / "kb"
    generate(400, root, seed=5, inject=True)
    layout = Layout(root)
    monkeypatch.setattr(loader, "PARALLEL_MIN", 2)
    kb = loader.load_paths([layout.instances], base=root, precheck=validate._schema_precheck(layout))
    assert len(kb.prechecked) == len(kb.records)
    check = validate._schema_precheck(layout)
    by_file: dict[str, list] = {}
    for record in kb.records:
        by_file.setdefault(record.file, []).append(record)
    here = {id(r): flag for records in by_file.values() for r, flag in zip(records, check(records), strict=True)}
    assert kb.prechecked == here
    assert False in here.values() and True in here.values()


def test_results_kept_beside_the_shacl_helper_are_those_kept_without_it(tmp_path, monkeypatch):
    """A full run with a cache keeps each file's results (curate/incremental.py); what each file exports is then
    computed while the SHACL helper runs: the kept state is the one a one-process run keeps."""
    import marshal

    from ciro.curate import incremental

    if (os.cpu_count() or 1) < 2:
        pytest.skip("the helper needs two cores")
    monkeypatch.setenv("CI", "true")
    root = tmp_path / "kb"
    generate(400, root, seed=2)

    def kept(xdg: str) -> dict:
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / xdg))
        result = CliRunner().invoke(main, ["validate", "--root", str(root)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        state = marshal.loads(incremental._state_path(root).read_bytes()[4:])
        return {k: v for k, v in state.items() if k not in ("stats", "tstats")}  # (stat trust depends on timing)

    monkeypatch.setenv("CIRO_SHACL_PROCESSES", "1")
    alone = kept("alone")
    monkeypatch.delenv("CIRO_SHACL_PROCESSES")
    seen = _ahead_runs(monkeypatch)
    early = []
    real = incremental.kept_exports
    monkeypatch.setattr(incremental, "kept_exports", lambda *args: early.append(1) or real(*args))
    assert kept("ahead") == alone
    assert seen["started"] == 1 and seen["here"] == 0 and early == [1]


@pytest.fixture(scope="module")
def broken_index(tmp_path_factory):
    """A generated KB with an error of every kind, as the fast engine's index, and the project's shapes."""
    from ciro.layout import Layout
    from ciro.shacl import shapes_graph
    from ciro.shacl.fast import TripleIndex, compile_shapes

    root = tmp_path_factory.mktemp("split")
    generate(600, root, seed=11, inject=True)
    layout = Layout(root)
    kb = loader.load_paths([layout.instances], base=root)
    return TripleIndex.from_records(kb.data, layout.schema), compile_shapes(shapes_graph(layout))


def _results(run) -> list[tuple]:
    return [(v.focus, v.path, v.component, v.value, v.source, v.message, v.reported) for v in run.violations]


@pytest.mark.parametrize("helper_fails", [False, True])
def test_shapes_shared_in_pieces_say_what_one_process_says(broken_index, monkeypatch, tmp_path, helper_fails):
    """The shapes without SPARQL cut in pieces that two processes take in turn (engine._split), the SPARQL ones
    here: the same results, in the same number, as one process; and the same when the helper fails after taking
    pieces (they are validated here)."""
    if (os.cpu_count() or 1) < 2:
        pytest.skip("the split needs two cores")
    import time

    from ciro import forked

    index, sg = broken_index
    monkeypatch.setenv("CIRO_SHACL_PROCESSES", "1")
    alone = engine.run_shapes(sg, index, split=True)
    monkeypatch.delenv("CIRO_SHACL_PROCESSES")
    monkeypatch.setattr(engine, "SPLIT_MIN", 1)
    monkeypatch.setattr(engine, "CHUNK", 7)  # many pieces
    here, real_taken = os.getpid(), engine._taken

    def taken_later(read):  # this process starts late, so that the helper surely takes pieces
        if os.getpid() == here:
            time.sleep(0.3)
        yield from real_taken(read)

    monkeypatch.setattr(engine, "_taken", taken_later)
    real_start = forked.start_helper
    count = tmp_path / "taken"

    def start(job, prefix):
        def counted():
            done, found = job()
            count.write_text(str(len(done)))
            if helper_fails:
                raise RuntimeError("the helper failed after its pieces")
            return done, found

        return real_start(counted, prefix)

    monkeypatch.setattr(forked, "start_helper", start)
    shared = []
    real_split = engine._split
    monkeypatch.setattr(engine, "_split", lambda run, work: shared.append(real_split(run, work)) or shared[-1])
    split = engine.run_shapes(sg, index, split=True)
    assert shared and shared[0] is not None and len(shared[0][0]) > 50
    assert 0 < int(count.read_text()) <= len(shared[0][0])
    assert _results(split) == _results(alone) and split.notes == alone.notes
    assert any(v.component.endswith("SPARQLConstraintComponent") for v in alone.violations)
    assert len({v.source for v in alone.violations}) >= 5


def test_shacl_ahead_names_its_results_as_one_process_does(tmp_path, monkeypatch):
    """A KB whose one error only SHACL finds (timing on an evidence item that is not about an undermines link):
    the helper's results are used, and named by record as a one-process run names them (validate._rdf_names, a
    table made on first use)."""
    if (os.cpu_count() or 1) < 2:
        pytest.skip("the helper needs two cores")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("CI", "true")
    root = tmp_path / "kb"
    generate(400, root, seed=3, inject=False)
    for path in sorted((root / "instances" / "mechanisms").glob("*.yaml")):
        lines = path.read_text().splitlines(keepends=True)
        starts = [n for n, line in enumerate(lines) if line.startswith("- id: ")]
        if starts:
            item = lines[starts[0]:starts[1] if len(starts) > 1 else len(lines)]
            if not any(line.startswith("  about_relation:") for line in item):
                lines[starts[0] + 1:starts[0] + 1] = ["  timing:\n", "  - primary\n"]
                path.write_text("".join(lines))
                break
    alone = _one_process(monkeypatch, root, "CIRO_SHACL_PROCESSES")
    seen = _ahead_runs(monkeypatch)
    assert _validate(root) == alone
    assert seen == {"started": 1, "here": 0}
    assert alone[0] != 0 and "timing on an evidence item belongs to an undermines link" in alone[1]
    assert "1 error(s)" in alone[1]
