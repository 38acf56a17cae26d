"""`ciro bench shacl` compares what it says it compares: the engines' results on its large synthetic shapes
graph are the same and not empty, every kind of constraint it writes reports something, and the report says
so. (The timings themselves are the benchmark's, not a test's: docs/performance.md.)"""

from __future__ import annotations

import json

from ciro.bench.shacl import _compare, _run_fast, _run_pyshacl, large_case, report_markdown


def test_large_case_same_results_in_both_engines(tmp_path):
    data, shapes, info = large_case(tmp_path, shapes_count=12, nodes=400, seed=3)
    assert info["shapes"] == 13 and info["sparql_constraints"] == 6
    fast, fast_times = _run_fast(data, shapes)
    reference, _times = _run_pyshacl(data, shapes)
    assert sorted(fast) == sorted(reference)
    components = {row[2].rsplit("#", 1)[-1] for row in fast}
    assert "SPARQLConstraintComponent" in components and len(components) >= 4
    assert set(fast_times) == {"read", "validate"}
    for name, rows in (("fast", fast), ("pyshacl", reference)):
        (tmp_path / f"large-{name}.json").write_text(json.dumps(sorted(list(r) for r in rows)))
    compared = _compare(tmp_path, "large", ["fast", "pyshacl"])
    assert compared == {"fast_equals_pyshacl": True}
    (tmp_path / "large-pyshacl.json").write_text(json.dumps(sorted(list(r) for r in reference)[1:]))
    assert _compare(tmp_path, "large", ["fast", "pyshacl"]) == {"fast_equals_pyshacl": False}


def test_report_names_a_difference():
    run = {"wall": 2.0, "cpu": 2.0, "validate": 1.0, "maxrss_mb": 10, "results": 3}
    results = {"large": {"info": {"triples": 10, "shapes": 3, "sparql_constraints": 1},
                         "engines": {"fast": dict(run, runs=3),
                                     "pyshacl": dict(run, wall=40.0, cpu=40.0, validate=30.0)},
                         "fast_equals_pyshacl": False, "speedup_pyshacl": 20.0, "speedup_pyshacl_validate": 30.0}}
    text = report_markdown(results)
    assert "| **no** | 20× / 30× |" in text and "fast (median of 3)" in text
