"""`ciro bench release`: the real `ciro build` and `ciro validate` at N evidence items, against a reference.

For each N: generate a KB (`generate`), then run, each as its own process as a user would:

* `ciro build --no-docs` (validation included, every release file): wall time, CPU time and peak memory of the
  whole run, and per step (the step lines the build prints), memory being the RSS of the process tree (and,
  for the whole run, its PSS: the build forks writer processes, whose pages shared with the parent summed RSS
  counts twice);
* the **reference**: pyoxigraph loads the produced ciro.ttl and writes it as Turtle, RDF/XML and N-Triples;
* `ciro validate` of the same KB.

Wall time counts the other processes of a shared machine too; CPU time (user + system of the process and its
children) is steadier, so both are reported, and the ratios to the reference come from the same run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["run_release_benchmark", "release_markdown", "measure", "Measured"]

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_STEP = re.compile(r"^\[(\d+)/(\d+)\] (.*?)(?: \((\d+\.\d+) s\))?$")

# The reference: what pyoxigraph takes to read the release's Turtle and write the three RDF formats.
REFERENCE = """
import sys, time, pyoxigraph as ox
src, out = sys.argv[1], sys.argv[2]
t = time.perf_counter(); store = ox.Store(); store.bulk_load(path=src, format=ox.RdfFormat.TURTLE)
print("load", time.perf_counter() - t, flush=True)
for name, fmt in (("ttl", ox.RdfFormat.TURTLE), ("rdf", ox.RdfFormat.RDF_XML), ("nt", ox.RdfFormat.N_TRIPLES)):
    t = time.perf_counter(); store.dump(output=f"{out}.{name}", format=fmt, from_graph=ox.DefaultGraph())
    print(name, time.perf_counter() - t, flush=True)
print("triples", len(store), flush=True)
"""


def _tree(root: int) -> list[int]:
    """The process `root` and its descendants (from /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    stat = handle.read()
            except OSError:
                continue
            ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
            parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, ()))
    return found


def _sample(pids: list[int]) -> tuple[int, float]:
    """(RSS in bytes, CPU seconds) summed over `pids`."""
    rss, cpu = 0, 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        cpu += (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime
        rss += int(fields[21]) * _PAGE
    return rss, cpu


def _pss(pids: list[int]) -> int:
    """The proportional set size (bytes) summed over `pids`, from /proc/<pid>/smaps_rollup: each page shared by
    k processes counts 1/k in each, so a forked child's pages still shared with its parent count once (summed
    RSS counts them in both); 0 where the kernel does not offer smaps_rollup."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
                for line in handle:
                    if line.startswith(b"Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            continue
    return total


PSS_INTERVAL = 0.5  # seconds between PSS samples (the build's peaks last seconds: docs/performance.md)


class Measured(dict):
    """wall_s, cpu_s, peak_mb (summed RSS of the process tree), peak_pss_mb (summed PSS, see _pss), returncode,
    lines [(seconds since start, line)], samples [(t, rss, cpu)]."""


def measure(command: list[str], cwd: Path | None = None, env: dict | None = None, interval: float = 0.05,
            timeout: float = 7200) -> Measured:
    """Run `command`; its wall and CPU time (its own and its children's, from wait4), the peak RSS of its process
    tree (sampled every `interval` s) and every line it printed, stamped with the time it arrived."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            bufsize=1)
    lines: list[tuple[float, str]] = []

    def read() -> None:
        for line in proc.stdout:
            lines.append((time.perf_counter() - start, line.rstrip("\n")))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    samples: list[tuple[float, int, float]] = []
    pids = [proc.pid]
    tick = 0
    peak_pss, last_pss, pss_rss = 0, 0.0, 0
    while True:
        done, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if done:
            break
        if tick % 10 == 0:  # new children are rare: rescan /proc every tenth sample
            pids = _tree(proc.pid)
        tick += 1
        rss, cpu = _sample(pids)
        now = time.perf_counter()
        samples.append((now - start, rss, cpu))
        # PSS costs the kernel a walk of each process's page tables (~45 ms for a 2 GB process, holding its memory
        # map's lock), so that sampling it every 100 ms slowed the measured 100k build by ~10%. It is taken only when
        # it could be a new peak (PSS <= RSS), and then when the summed RSS grew by 2% since the last PSS sample or
        # PSS_INTERVAL has passed.
        if rss > peak_pss and (rss > pss_rss * 1.02 or now - last_pss >= PSS_INTERVAL):
            peak_pss, last_pss, pss_rss = max(peak_pss, _pss(pids)), now, rss
        if time.perf_counter() - start > timeout:
            proc.kill()
        time.sleep(interval)
    wall = time.perf_counter() - start
    reader.join(timeout=10)
    proc.returncode = os.waitstatus_to_exitcode(status)
    peak = max([r for _t, r, _c in samples] + [usage.ru_maxrss * 1024])
    return Measured(wall_s=wall, cpu_s=usage.ru_utime + usage.ru_stime, peak_mb=peak / 2**20,
                    peak_pss_mb=peak_pss / 2**20,
                    returncode=proc.returncode, lines=lines, samples=samples)


def _steps(run: Measured) -> list[dict]:
    """Per step of the build (its `[k/n] ...` lines): wall time, CPU time and peak RSS between this step's line
    and the one before (or the start)."""
    steps, before = [], 0.0
    for at, line in run["lines"]:
        match = _STEP.match(line)
        if not match:
            continue
        window = [(t, r, c) for t, r, c in run["samples"] if before <= t <= at]
        if not window:  # a step shorter than the sampling interval: the sample just before it
            window = [s for s in run["samples"] if s[0] <= at][-1:]
        cpu_before = max([c for t, _r, c in run["samples"] if t <= before] or [0.0])
        cpu_at = max([c for _t, _r, c in window] or [cpu_before])
        steps.append({"step": int(match.group(1)), "text": _short_step(match.group(3)), "wall_s": at - before,
                      "cpu_s": max(0.0, cpu_at - cpu_before),
                      "peak_mb": max([r for _t, r, _c in window] or [0]) / 2**20})
        before = at
    return steps


def _short_step(text: str) -> str:
    return re.sub(r"\s*\(.*$|: .*$|;.*$", "", text)[:100]


def _ciro(*args: str) -> list[str]:
    return [sys.executable, "-m", "ciro.cli", *args]


def run_size(n: int, work: Path, seed: int, log: Callable[[str], None]) -> dict:
    from .generate import generate

    project = work / f"kb-{n}"
    log(f"N={n}: generate")
    start = time.perf_counter()
    manifest = generate(n, project, seed=seed)
    out: dict = {"generate_s": time.perf_counter() - start,
                 "evidence_items": sum(manifest["evidence_items"].values())}
    # plain step lines, no bars; a cache folder of this run's own, so the build and the first validate start cold
    env = dict(os.environ, CI="true", XDG_CACHE_HOME=str(work / f"cache-{n}"))
    release = work / f"release-{n}"
    log(f"N={n}: ciro build")
    build = measure(_ciro("build", "--no-docs", "--root", str(project), "--out", str(release)), env=env)
    out["build"] = {k: build[k] for k in ("wall_s", "cpu_s", "peak_mb", "peak_pss_mb", "returncode")} | {
        "steps": _steps(build)}
    if build["returncode"]:
        out["build"]["error"] = "\n".join(line for _t, line in build["lines"][-20:])
        log(f"N={n}: build failed:\n{out['build']['error']}")
        return out
    out["files_mb"] = {p.name: p.stat().st_size / 2**20 for p in sorted(release.glob("*")) if p.is_file()}
    log(f"N={n}: reference (pyoxigraph)")
    ref = measure([sys.executable, "-c", REFERENCE, str(release / "ciro.ttl"), str(work / f"ref-{n}")], env=env)
    parts = dict(line.split() for _t, line in ref["lines"] if len(line.split()) == 2)
    out["reference"] = {k: ref[k] for k in ("wall_s", "cpu_s", "peak_mb", "returncode")} | {
        "seconds": {k: float(v) for k, v in parts.items() if k != "triples"}, "triples": int(parts.get("triples", 0))}
    for name in ("ttl", "rdf", "nt"):
        (work / f"ref-{n}.{name}").unlink(missing_ok=True)
    log(f"N={n}: ciro validate --no-cache (x{VALIDATE_RUNS})")
    out["validate"] = _median_of([measure(_ciro("validate", "--no-cache", "--root", str(project)), env=env)
                                  for _ in range(VALIDATE_RUNS)])
    # What a curator waits for after editing one file: the build left the cache of every file, one is changed
    # (again before each run, so that each is a one-file change).
    log(f"N={n}: ciro validate after a one-file change (x{VALIDATE_RUNS})")
    runs = []
    for _ in range(VALIDATE_RUNS):
        changed = _change_one_file(project)
        runs.append(measure(_ciro("validate", "--root", str(project)), env=env))
    out["validate_one_change"] = _median_of(runs) | {"file": str(changed.relative_to(project))}
    shutil.rmtree(release, ignore_errors=True)
    shutil.rmtree(work / f"cache-{n}", ignore_errors=True)
    return out


VALIDATE_RUNS = 3  # each `ciro validate` is timed this many times: the report gives the medians (noisy machine)


def _median_of(runs: list) -> dict:
    """The median of each figure of several runs of one command, with every run's wall time kept."""
    middle = len(runs) // 2
    out = {k: sorted(r[k] for r in runs)[middle] for k in ("wall_s", "cpu_s", "peak_mb")}
    return out | {"returncode": max(r["returncode"] for r in runs), "runs_wall_s": [r["wall_s"] for r in runs]}


def _change_one_file(project: Path) -> Path:
    """Edit the label of the middle mechanism file (it stays valid and unique); the file edited."""
    files = sorted((project / "instances" / "mechanisms").glob("*.yaml"))
    path = files[len(files) // 2]
    text = path.read_text(encoding="utf-8")
    edited = re.sub(r"^(label: [^'\"\n].*)$", r"\1 (edited)", text, count=1, flags=re.M)
    path.write_text(edited if edited != text else text + "# edited\n", encoding="utf-8")
    return path


def run_release_benchmark(sizes=(1000, 10_000, 100_000), work: Path | None = None, seed: int = 0,
                          log: Callable[[str], None] = print) -> dict:
    from .run import _machine

    keep = work is not None
    work = Path(work) if work else Path(tempfile.mkdtemp(prefix="ciro-bench-release-"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict = {"machine": _machine() | {"load_average_start": os.getloadavg()}, "seed": seed, "sizes": {}}
    try:
        from ..progress import track

        for n in track(list(sizes), "sizes", unit="size"):
            results["sizes"][str(n)] = run_size(n, work, seed, log)
            shutil.rmtree(work / f"kb-{n}", ignore_errors=True)
    finally:
        results["machine"]["load_average_end"] = os.getloadavg()
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    return results


# --- the report ------------------------------------------------------------------------------------------------

def _s(value) -> str:
    return "—" if value is None else f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def _mb(value) -> str:
    return "—" if value is None else f"{value:,.0f} MB"


# Issue 15's goals: (size, what, measured from a size's results, limit, unit). MB = 2^20 bytes, so 2 GB is 2,048 MB.
GOALS = (
    (10_000, "whole build ≤ 12× the pyoxigraph reference (wall)",
     lambda s: s["build"]["wall_s"] / s["reference"]["wall_s"], 12, "×"),
    (10_000, "whole build ≤ 600 MB (summed PSS)", lambda s: s["build"]["peak_pss_mb"], 600, " MB"),
    (100_000, "whole build ≤ 90 s (wall)", lambda s: s["build"]["wall_s"], 90, " s"),
    (100_000, "whole build ≤ 2 GB (summed PSS)", lambda s: s["build"]["peak_pss_mb"], 2048, " MB"),
    (100_000, "`ciro validate` ≤ 15 s (wall, cold)", lambda s: s["validate"]["wall_s"], 15, " s"),
    (100_000, "`ciro validate` after a one-file change ≤ 2 s (wall)",
     lambda s: s["validate_one_change"]["wall_s"], 2, " s"),
)


def goals_markdown(results: dict) -> str:
    """The goals of the issue against this run: a row per goal whose size was measured."""
    lines = ["| goal | measured | met? |\n|---|---|---|\n"]
    for n, what, measured, limit, unit in GOALS:
        size = results["sizes"].get(str(n))
        if size is None:
            continue
        try:
            value = measured(size)
        except (KeyError, TypeError, ZeroDivisionError):
            lines.append(f"| N = {n:,}: {what} | not measured | **no** |\n")
            continue
        shown = f"{value:,.1f}{unit}" if unit != " MB" else f"{value:,.0f}{unit}"
        lines.append(f"| N = {n:,}: {what} | {shown} | {'**yes**' if value <= limit else '**no**'} |\n")
    return "".join(lines)


def release_markdown(results: dict) -> str:
    sizes = results["sizes"]
    names = list(sizes)
    head = "| | " + " | ".join(f"N = {int(n):,}" for n in names) + " |\n|---|" + "---|" * len(names) + "\n"

    def row(label: str, cell) -> str:
        cells = []
        for n in names:
            try:
                cells.append(cell(sizes[n]))
            except (KeyError, TypeError, ZeroDivisionError):
                cells.append("—")
        return f"| {label} | " + " | ".join(cells) + " |\n"

    lines = ["| | " + " | ".join(f"N = {int(n):,}" for n in names) + " |\n|---|" + "---|" * len(names) + "\n"]
    lines.append(row("triples in ciro.ttl", lambda s: f"{s['reference']['triples']:,}"))
    lines.append(row("**`ciro build`**: wall / CPU", lambda s: f"**{_s(s['build']['wall_s'])}** / "
                     f"{_s(s['build']['cpu_s'])}"))
    lines.append(row("`ciro build`: peak memory of the process tree, summed PSS / summed RSS",
                     lambda s: f"**{_mb(s['build']['peak_pss_mb'])}** / {_mb(s['build']['peak_mb'])}"))
    lines.append(row("reference (pyoxigraph: load ciro.ttl, write TTL, RDF/XML, NT): wall / CPU",
                     lambda s: f"{_s(s['reference']['wall_s'])} / {_s(s['reference']['cpu_s'])}"))
    lines.append(row("reference: peak RSS", lambda s: _mb(s["reference"]["peak_mb"])))
    lines.append(row("**build ÷ reference**: wall / CPU",
                     lambda s: f"**{s['build']['wall_s'] / s['reference']['wall_s']:.1f}×** / "
                               f"{s['build']['cpu_s'] / s['reference']['cpu_s']:.1f}×"))
    lines.append(row("**`ciro validate`**, cold (`--no-cache`), median of 3: wall / CPU / peak RSS",
                     lambda s: f"**{_s(s['validate']['wall_s'])}** / {_s(s['validate']['cpu_s'])} / "
                               f"{_mb(s['validate']['peak_mb'])}"))
    lines.append(row("**`ciro validate`** after a one-file change (cache from the build), median of 3: "
                     "wall / CPU / peak RSS",
                     lambda s: f"**{_s(s['validate_one_change']['wall_s'])}** / "
                               f"{_s(s['validate_one_change']['cpu_s'])} / {_mb(s['validate_one_change']['peak_mb'])}"))
    steps: dict[int, dict] = {}
    labels: dict[int, str] = {}
    for n in names:
        for step in sizes[n].get("build", {}).get("steps", []):
            steps.setdefault(step["step"], {})[n] = step
            labels.setdefault(step["step"], re.sub(r"(?<![\w-])\d[\d,]*", "N", step["text"]))
    lines.append("\n`ciro build`, step by step: wall / CPU / peak summed RSS\n\n" + head)
    for k, by_size in sorted(steps.items()):
        cells = [f"{_s(by_size[n]['wall_s'])} / {_s(by_size[n]['cpu_s'])} / {_mb(by_size[n]['peak_mb'])}"
                 if n in by_size else "—" for n in names]
        lines.append(f"| {k}. {labels[k]} | " + " | ".join(cells) + " |\n")
    lines.append("\n" + goals_markdown(results))
    machine = results["machine"]
    lines.append(f"\nMachine: {machine['cpus']} CPUs, {machine['memory_gb']} GB, Python {machine['python']}, "
                 f"{machine['platform']}; load average {machine['load_average_start'][0]:.1f} at the start, "
                 f"{machine['load_average_end'][0]:.1f} at the end.\n")
    return "".join(lines)

