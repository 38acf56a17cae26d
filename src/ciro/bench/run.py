"""`ciro bench run`: generate KBs of N evidence items, run every stage in its own process, report medians.

For each N: the build (YAML -> RDF: CIRO's fast path, rdf.py on rdflib, linkml-convert); validation layer by
layer, of the same KB with every kind of error injected, with the pyshacl engine and with the fast one (the
reports must be identical); competency-question latency on pyoxigraph and on rdflib; `ciro serve` queries per
second with concurrent clients; and each stage's peak memory. Then the curated KB's `ciro validate` and
`ciro build` wall times and the import costs behind them. A stage that fails is reported as failed; the others
still run.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["run_benchmark", "report_markdown", "seed_figures", "DEFAULT_SIZES"]

DEFAULT_SIZES = (1000, 10_000, 100_000)
IMPORTS = ("bioregistry", "linkml_runtime.utils.schemaview", "linkml.generators", "pyshacl", "jsonschema", "rdflib",
           "pyoxigraph")


def _repeats(n: int) -> int:
    return 5 if n <= 2000 else 3


def _stage(stage: str, project: Path, work: Path, options: dict | None = None, timeout: float = 7200) -> dict:
    command = [sys.executable, "-m", "ciro.bench.stages", stage, str(project), str(work), json.dumps(options or {})]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    if done.returncode:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1][:300]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _median(runs: list[dict]) -> dict:
    """The median of each timing (and of peak memory) over repeated runs; other fields from the first run."""
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return runs[0]
    out = dict(ok[0])
    out["runs"] = len(ok)
    out["seconds"] = {k: statistics.median(r["seconds"][k] for r in ok if k in r["seconds"]) for k in ok[0]["seconds"]}
    for key in ("wall", "maxrss_mb", "child_maxrss_mb", "qps"):
        if key in out:
            out[key] = statistics.median(r[key] for r in ok)
    if "latency" in out:
        out["latency"] = {q: (statistics.median(v) if None not in (v := [r["latency"][q] for r in ok]) else None)
                          for q in out["latency"]}
    return out


def run_benchmark(sizes=DEFAULT_SIZES, work: Path | None = None, seed: int = 0, repeats: int | None = None,
                  linkml_max: int = 10_000, rdflib_timeout: int = 60, clients: int = 8, duration: float = 15.0,
                  queries: Path | None = None, log: Callable[[str], None] = print) -> dict:
    """Run the benchmark; returns every measurement (see report_markdown)."""
    from ..layout import Layout
    from .generate import generate

    layout = Layout.find()
    query_files = sorted(str(p) for p in (queries or layout.queries).glob("*.rq"))
    keep = work is not None
    work = Path(work) if work else Path(tempfile.mkdtemp(prefix="ciro-bench-"))
    results: dict = {"sizes": {}, "machine": _machine(), "queries": [Path(q).stem for q in query_files]}
    try:
        for n in sizes:
            project, scratch = work / f"kb-{n}", work / f"work-{n}"
            scratch.mkdir(parents=True, exist_ok=True)
            start = time.perf_counter()
            manifest = generate(n, project, seed=seed)
            size: dict = {"generate_s": time.perf_counter() - start, "manifest": manifest}
            # Validation runs on the same KB with one error of every kind injected, so that both engines
            # have results to agree on (the build needs a valid KB: linkml-convert refuses an invalid one).
            broken = work / f"kb-{n}-errors"
            size["injected"] = len(generate(n, broken, seed=seed, inject=True)["injected"])
            results["sizes"][str(n)] = size
            runs = repeats or _repeats(n)
            heavy = 1 if n > 20_000 else runs  # the slow reference paths: once at 100k (pyshacl takes ~5 min)

            measure = _Measure(n, project, scratch, size, runs, log)
            measure("build_fast", "build-fast")
            measure("build_rdflib", "build-rdflib", times=heavy)
            if n <= linkml_max:
                measure("linkml_convert", "linkml-convert", times=min(runs, 3))
            measure("validate_fast", "validate", {"engine": "fast"}, project=broken)
            measure("validate_pyshacl", "validate", {"engine": "pyshacl"}, times=heavy, project=broken)
            measure("release", "release", times=1)
            if query_files and "error" not in size["release"]:
                measure("cq_oxigraph", "cq", {"engine": "oxigraph", "queries": query_files, "repeats": 5}, times=1)
                measure("cq_rdflib", "cq", {"engine": "rdflib", "queries": query_files, "repeats": 3 if n <= 20_000
                                            else 1, "timeout": rdflib_timeout}, times=1)
                if (layout.root / "src" / "ciro" / "serve.py").is_file():
                    measure("serve", "serve", {"queries": query_files, "clients": clients, "duration": duration},
                            times=1)
            shutil.rmtree(scratch, ignore_errors=True)
        log("seed KB: ciro validate, ciro build, import times")
        results["seed"] = seed_figures(layout.root)
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    return results


class _Measure:
    """Runs one stage `times` times on one KB and keeps the medians under a name."""

    def __init__(self, n: int, project: Path, scratch: Path, size: dict, runs: int, log: Callable[[str], None]):
        self.n, self.project, self.scratch, self.size, self.runs, self.log = n, project, scratch, size, runs, log

    def __call__(self, name: str, stage: str, options: dict | None = None, times: int | None = None,
                 project: Path | None = None) -> None:
        times = times or self.runs
        self.log(f"N={self.n}: {name} ({times} run{'s' if times > 1 else ''})")
        project = project or self.project
        self.size[name] = _median([_stage(stage, project, self.scratch, options) for _ in range(times)])
        if "error" in self.size[name]:
            self.log(f"N={self.n}: {name} failed: {self.size[name]['error']}")


def _machine() -> dict:
    import platform

    memory = 0
    if Path("/proc/meminfo").is_file():
        match = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())
        memory = int(match.group(1)) // 2**20 if match else 0
    return {"python": platform.python_version(), "cpus": os.cpu_count(), "memory_gb": memory,
            "platform": platform.platform()}


def seed_figures(root: Path, runs: int = 5) -> dict:
    """Wall time of `ciro validate` and `ciro build` on the curated KB, each in a new process (disk caches as
    they are; and once with an empty cache folder), and the import time of the heavy packages."""
    ciro = [sys.executable, "-m", "ciro.cli"]

    def wall(command: list[str], env: dict | None = None) -> float:
        start = time.perf_counter()
        subprocess.run(command, cwd=root, capture_output=True, env=env)
        return time.perf_counter() - start

    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        empty = dict(os.environ, XDG_CACHE_HOME=str(Path(tmp) / "cache"))
        out["validate_first_s"] = wall([*ciro, "validate"], empty)
        out["validate_s"] = statistics.median(wall([*ciro, "validate"]) for _ in range(runs))
        out["validate_no_shacl_s"] = statistics.median(wall([*ciro, "validate", "--no-shacl"]) for _ in range(runs))
        out["build_s"] = statistics.median(wall([*ciro, "build", "--out", str(Path(tmp) / f"release-{k}"), "--site",
                                                 str(Path(tmp) / f"site-{k}")]) for k in range(3))
        done = subprocess.run([sys.executable, "-X", "importtime", "-m", "ciro.cli", "validate"], cwd=root,
                              capture_output=True, text=True)
        done_build = subprocess.run([sys.executable, "-X", "importtime", "-c", "import ciro.release, ciro.shacl; "
                                     "from linkml.generators.shaclgen import ShaclGenerator"], cwd=root,
                                    capture_output=True, text=True)
    imports = {}
    for text in (done.stderr, done_build.stderr):
        for line in text.splitlines():
            match = re.match(r"import time:\s+\d+ \|\s+(\d+) \|\s*(\S+)$", line)
            if match and match.group(2) in IMPORTS:
                imports[match.group(2)] = max(imports.get(match.group(2), 0), int(match.group(1)) / 1e6)
    out["imports_s"] = imports
    return out


# --- the report -------------------------------------------------------------------------------------------------

def _s(value) -> str:
    if value is None:
        return "—"
    if value < 0.01:
        return f"{value * 1000:.2f} ms"
    if value < 1:
        return f"{value * 1000:.0f} ms"
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def _get(size: dict, name: str, *keys):
    value = size.get(name)
    for key in keys:
        if not isinstance(value, dict) or "error" in value:
            return None
        value = value.get(key)
    return value


def _total(size: dict, name: str, parts: tuple[str, ...]) -> float | None:
    seconds = _get(size, name, "seconds")
    return sum(seconds.get(p, 0.0) for p in parts) if seconds else None


def _ratio(a, b) -> str:
    return f"{b / a:.0f}×" if a and b and b / a >= 10 else f"{b / a:.1f}×" if a and b else "—"


def _mb(size: dict, name: str, key: str = "maxrss_mb") -> str:
    value = _get(size, name, key)
    return f"{value:,.0f} MB" if value else "—"


def report_markdown(results: dict) -> str:
    """The benchmark's tables, in Markdown."""
    sizes = results["sizes"]
    names = list(sizes)
    head = "| | " + " | ".join(f"N = {int(n):,}" for n in names) + " |\n|---|" + "---|" * len(names) + "\n"

    def row(label: str, cell: Callable[[dict], str]) -> str:
        return f"| {label} | " + " | ".join(cell(sizes[n]) for n in names) + " |\n"

    fast_shacl = ("rdf_layer", "shacl_layer")
    lines = ["### Summary (medians)\n\n", head]
    lines.append(row("evidence items / triples", lambda s: f"{sum(s['manifest']['evidence_items'].values()):,} / "
                     f"{_get(s, 'build_fast', 'triples') or 0:,}"))
    lines.append(row("**build** YAML → RDF, CIRO fast path (load + map + Turtle)",
                     lambda s: _s(_total(s, "build_fast", ("load", "map", "turtle")))))
    lines.append(row("build, rdf.py on rdflib (load + kb_to_graph + N-Triples)",
                     lambda s: _s(_total(s, "build_rdflib", ("load", "map", "serialize")))))
    lines.append(row("build, linkml-convert YAML → TTL (baseline)",
                     lambda s: _s(_total(s, "linkml_convert", ("convert",)))))
    lines.append(row("**validate** (KB with the injected errors), fast engine (load + every layer)",
                     lambda s: _s(_total(s, "validate_fast", ("load", "total")))))
    lines.append(row("validate, pyshacl engine (load + every layer)",
                     lambda s: _s(_total(s, "validate_pyshacl", ("load", "total")))))
    lines.append(row("**SHACL**, fast engine (RDF + SHACL layers)",
                     lambda s: _s(_total(s, "validate_fast", fast_shacl))))
    lines.append(row("SHACL, pyshacl (kb_to_graph + pyshacl)",
                     lambda s: _s(_total(s, "validate_pyshacl", fast_shacl))))
    lines.append(row("SHACL speed-up (same run)", lambda s: _ratio(_total(s, "validate_fast", fast_shacl),
                                                                   _total(s, "validate_pyshacl", fast_shacl))))
    lines.append(row("same SHACL results and same report from both engines", _same))
    lines.append(row("**CQ latency**, geometric mean of the CQs: pyoxigraph / rdflib", _cq_means))
    lines.append(row("CQ speed-up, pyoxigraph over rdflib (geometric mean)", _cq_ratio))
    lines.append(row("**endpoint**: `ciro serve`, queries/s with 8 clients", _qps))
    lines.append("\n### Peak memory per stage (each stage in its own process)\n\n" + head)
    for label, name in (("build, fast path", "build_fast"), ("build, rdf.py on rdflib", "build_rdflib"),
                        ("validate, fast engine", "validate_fast"), ("validate, pyshacl engine", "validate_pyshacl"),
                        ("release graphs for the CQs (owl.py, rdflib)", "release"),
                        ("CQs on pyoxigraph", "cq_oxigraph"), ("CQs on rdflib", "cq_rdflib")):
        lines.append(row(label, lambda s, name=name: _mb(s, name)))
    lines.append(row("linkml-convert (its process)", lambda s: _mb(s, "linkml_convert", "child_maxrss_mb")))
    lines.append("\n### Validation, layer by layer (fast engine / pyshacl engine)\n\n" + head)
    for layer in ("load", "schema_index", "schema_layer", "rules_layer", "rdf_layer", "shacl_layer", "quote_layer"):
        lines.append(row(f"`{layer}`", lambda s, layer=layer: f"{_s(_get(s, 'validate_fast', 'seconds', layer))} / "
                         f"{_s(_get(s, 'validate_pyshacl', 'seconds', layer))}"))
    lines.append("\n### Build, step by step (fast path / rdf.py on rdflib)\n\n" + head)
    for step, other in (("load", "load"), ("map", "map"), ("turtle", "serialize")):
        lines.append(row(f"{step} / {other}", lambda s, step=step, other=other:
                         f"{_s(_get(s, 'build_fast', 'seconds', step))} / "
                         f"{_s(_get(s, 'build_rdflib', 'seconds', other))}"))
    lines.append("\n### Competency questions: median latency, pyoxigraph / rdflib\n\n" + head)
    for query in results.get("queries", []):
        lines.append(row(f"`{query}`", lambda s, q=query: f"{_s(_get(s, 'cq_oxigraph', 'latency', q))} / "
                         f"{_s(_get(s, 'cq_rdflib', 'latency', q))}"))
    lines.append(row("load the release", lambda s: f"{_s(_get(s, 'cq_oxigraph', 'seconds', 'load'))} / "
                     f"{_s(_get(s, 'cq_rdflib', 'seconds', 'load'))}"))
    failures = [(n, k, v["error"]) for n, s in sizes.items() for k, v in s.items()
                if isinstance(v, dict) and "error" in v]
    if failures:
        lines.append("\nFailed stages: " + "; ".join(f"N = {n} {k}: {e}" for n, k, e in failures) + "\n")
    seed = results.get("seed")
    if seed:
        lines.append("\n### The curated KB: wall time of a new process\n\n| command | median |\n|---|---|\n")
        lines.append(f"| `ciro validate` | {_s(seed['validate_s'])} |\n")
        lines.append(f"| `ciro validate` with an empty cache folder (first run) | {_s(seed['validate_first_s'])} |\n")
        lines.append(f"| `ciro validate --no-shacl` | {_s(seed['validate_no_shacl_s'])} |\n")
        lines.append(f"| `ciro build` | {_s(seed['build_s'])} |\n")
        lines.append("\nImport time (`python -X importtime`, cumulative): " + ", ".join(
            f"`{k}` {v:.2f} s" for k, v in sorted(seed["imports_s"].items(), key=lambda kv: -kv[1])) + ".\n")
    return "".join(lines)


def _same(size: dict) -> str:
    fast, ref = size.get("validate_fast", {}), size.get("validate_pyshacl", {})
    if "error" in fast or "error" in ref or not fast or not ref:
        return "—"
    same = fast["shacl_digest"] == ref["shacl_digest"] and fast["problems_digest"] == ref["problems_digest"]
    return f"{'yes' if same else '**NO**'}: {ref['shacl_results']} SHACL results, {ref['errors']} errors reported"


def _geomean(values) -> float | None:
    values = [v for v in values if v]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def _cq_means(size: dict) -> str:
    ox, rd = _get(size, "cq_oxigraph", "latency"), _get(size, "cq_rdflib", "latency")
    if not ox or not rd:
        return "—"
    both = [q for q in ox if ox[q] and rd.get(q)]
    timeouts = sum(1 for q in ox if rd.get(q) is None)
    note = f" ({timeouts} timed out on rdflib)" if timeouts else ""
    return f"{_s(_geomean(ox[q] for q in both))} / {_s(_geomean(rd[q] for q in both))}{note}"


def _cq_ratio(size: dict) -> str:
    ox, rd = _get(size, "cq_oxigraph", "latency"), _get(size, "cq_rdflib", "latency")
    if not ox or not rd:
        return "—"
    ratio = _geomean(rd[q] / ox[q] for q in ox if ox[q] and rd.get(q))
    rows_ox, rows_rd = _get(size, "cq_oxigraph", "rows"), _get(size, "cq_rdflib", "rows")
    differ = [q for q in rows_ox if rows_rd.get(q) is not None and rows_rd[q] != rows_ox[q]]
    return (f"{ratio:.0f}×" if ratio else "—") + (f" (row counts differ: {', '.join(differ)})" if differ else "")


def _qps(size: dict) -> str:
    serve = size.get("serve")
    if not serve:
        return "not measured"
    if "error" in serve:
        return "failed"
    failed = serve.get("failed_requests")
    return f"{serve['qps']:.0f}" + (f" ({failed} requests failed)" if failed else "")
