"""`ciro bench endpoint`: `ciro serve` side by side with `oxigraph serve-read-only` (PyPI `oxigraph`, the
same engine as pyoxigraph, in Rust end to end) on the same release, in the same run.

Both servers hold exactly the files `ciro.query.store.store_files` names (what `ciro query` and `ciro serve`
load). Keep-alive clients (8 by default) send one workload for a few seconds to one server, then to the
other, alternating for several rounds; the report gives, per server and workload, the median over rounds
of queries per second, p50 and p99 latency, failed requests, and the median of the per-round ratios
ciro/oxigraph. Workloads:
- questions: the competency questions of queries/*.rq in turn (what users of CIRO ask; after the first
  pass `ciro serve` answers them from its answer cache, oxigraph has none);
- questions-unique: the same made unique as below, so every one runs on the engine;
- lookup: one label lookup, the cheapest useful query, again and again (`ciro serve` answers repeats from
  its answer cache);
- lookup-unique: the same lookup made unique by a comment (run, client and counter), so that no request
  repeats one of this run or of an earlier one: every one goes through the HTTP layer, a query worker and
  the engine (the cost of the protection). (Until 2026-12-02 the comment held only a counter and wrk's
  unseeded random number, which every wrk thread and every run repeated: up to half the "unique" requests
  and most of a later round's were answer-cache hits, and the figures were too high.)

The load comes from wrk (Debian `wrk`) where it is installed: C, cheap enough not to starve either server
of the two cores; otherwise from client processes in Python (heavier: the ratios move toward 1).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path

__all__ = ["run_endpoint_benchmark", "endpoint_markdown", "WORKLOADS"]

ACCEPT = "application/sparql-results+json, text/turtle;q=0.9"
LOOKUP = ("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
          "SELECT ?label WHERE { <https://w3id.org/ciro/CIRO_0000261> rdfs:label ?label }")
WORKLOADS = ("questions", "questions-unique", "lookup", "lookup-unique")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _oxigraph_cli() -> str:
    found = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    if not Path(found).is_file():
        raise RuntimeError("the `oxigraph` command is missing: pip install oxigraph (the version of pyoxigraph)")
    return found


def _wait_ready(url: str, process: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped before answering ({url})")
        try:
            with urllib.request.urlopen(url + "?" + urllib.parse.urlencode({"query": "ASK {}"}), timeout=5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {timeout:.0f} s")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- the load -----------------------------------------------------------------------------------------------

def _wrk(url_base: str, paths: list[str], clients: int, duration: float, scratch: Path, unique: bool) -> dict:
    script = scratch / "requests.lua"
    # With `unique`, "%0A%23<run>-<thread>-<n>" (a newline and a comment) makes every request's query text
    # different: in this run (each wrk thread has its own Lua state and counter, and the same unseeded
    # math.random, so the thread's number must be in it) and from every earlier run (a new run id).
    suffix = f' .. "%0A%23{uuid.uuid4().hex}-" .. tid .. "-" .. n' if unique else ""
    lines = ["local threads = 0", "function setup(thread)", "  threads = threads + 1",
             '  thread:set("tid", threads)', "end", "local paths = {"] + [f"  {json.dumps(p)}," for p in paths] + [
        "}", "local i = 0", "local n = 0", "request = function()", "  i = i % #paths + 1", "  n = n + 1",
        f'  return wrk.format("GET", paths[i]{suffix}, {{["Accept"]={json.dumps(ACCEPT)}}})', "end"]
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    seconds = max(1, round(duration))  # wrk reads whole seconds only ("-d0.5s" is an error)
    done = subprocess.run(["wrk", f"-t{min(2, clients)}", f"-c{clients}", f"-d{seconds}s", "--latency",
                           "--timeout", "30s", "-s", str(script), url_base], capture_output=True, text=True,
                          timeout=duration + 60)
    out = done.stdout

    def ms(label: str) -> float | None:
        found = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not found:
            return None
        return float(found.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[found.group(2)]

    requests = int(re.search(r"(\d+) requests in", out).group(1))
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {"qps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "requests": requests,
            "failed": (int(failed.group(1)) if failed else 0) + (sum(map(int, errors.groups())) if errors else 0),
            "p50_ms": ms("50"), "p99_ms": ms("99")}


def _ready(_: int) -> None:
    return None


def _python_client(args: tuple) -> tuple[list[float], int]:
    import http.client

    host, port, paths, client, stop_at, unique = args
    connection = http.client.HTTPConnection(host, port, timeout=30)
    latencies, failed, i = [], 0, 0
    while time.time() < stop_at:
        started = time.perf_counter()
        try:
            path = paths[i % len(paths)] + (f"%0A%23{client}-{i}" if unique else "")
            connection.request("GET", path, headers={"Accept": ACCEPT})
            answer = connection.getresponse()
            answer.read()
            failed += answer.status >= 300
        except (OSError, http.client.HTTPException):
            failed += 1
            connection.close()
            connection = http.client.HTTPConnection(host, port, timeout=30)
        latencies.append(time.perf_counter() - started)
        i += 1
    return latencies, failed


def _python_load(url_base: str, paths: list[str], clients: int, duration: float, unique: bool) -> dict:
    parsed = urllib.parse.urlsplit(url_base)
    with multiprocessing.get_context("spawn").Pool(clients) as pool:
        pool.map(_ready, range(clients), chunksize=1)  # start the processes before the clock does
        started = time.time()
        stop_at = started + duration
        run = uuid.uuid4().hex  # no request of this run repeats one of an earlier run (the answer cache)
        results = pool.map(_python_client, [(parsed.hostname, parsed.port, paths, f"{run}-{k}", stop_at, unique)
                                             for k in range(clients)], chunksize=1)
        elapsed = max(0.001, time.time() - started)
    latencies = sorted(x for lat, _ in results for x in lat)
    failed = sum(f for _, f in results)
    if not latencies:
        return {"qps": 0.0, "requests": 0, "failed": failed, "p50_ms": None, "p99_ms": None}
    return {"qps": len(latencies) / elapsed, "requests": len(latencies), "failed": failed,
            "p50_ms": latencies[len(latencies) // 2] * 1000, "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000}


# --- the run ------------------------------------------------------------------------------------------------

def run_endpoint_benchmark(ontology: Path, queries: Path, *, clients: int = 8, duration: float = 5.0,
                           rounds: int = 3, workers: int = 2, client: str = "auto", warmup: float = 5.0,
                           log: Callable[[str], None] = print) -> dict:
    """Start both servers on the same release, run every workload `rounds` times on each, alternating."""
    from ..query.store import store_files

    use_wrk = client == "wrk" or (client == "auto" and shutil.which("wrk"))
    if client == "wrk" and not shutil.which("wrk"):
        raise RuntimeError("wrk is not installed (Debian package wrk)")
    oxigraph = _oxigraph_cli()
    texts = {"questions": [p.read_text(encoding="utf-8") for p in sorted(Path(queries).glob("*.rq"))],
             "lookup": [LOOKUP], "lookup-unique": [LOOKUP]}
    texts["questions-unique"] = texts["questions"]
    results: dict = {"clients": clients, "duration_s": duration, "rounds": rounds, "workers": workers,
                     "warmup_s": warmup,
                     "load": "wrk" if use_wrk else "python", "machine": {"cpus": os.cpu_count(),
                                                                          "python": sys.version.split()[0]},
                     "files": [], "runs": {}}
    with tempfile.TemporaryDirectory(prefix="ciro-bench-endpoint-") as tmp:
        scratch = Path(tmp)
        location = scratch / "oxigraph-store"
        for path, fmt in store_files(ontology):
            results["files"].append(str(path.relative_to(ontology)))
            media = {"turtle": "text/turtle", "rdfxml": "application/rdf+xml"}[fmt]
            subprocess.run([oxigraph, "load", "--location", str(location), "--file", str(path), "--format", media],
                           check=True, capture_output=True, timeout=3600)
        ciro_port, oxi_port = _free_port(), _free_port()
        servers = {
            "ciro": subprocess.Popen([sys.executable, "-m", "ciro.cli", "serve", "--ontology", str(ontology),
                                      "--port", str(ciro_port), "--workers", str(workers), "--quiet"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
            "oxigraph": subprocess.Popen([oxigraph, "serve-read-only", "--location", str(location), "--bind",
                                          f"127.0.0.1:{oxi_port}"], stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL),
        }
        endpoints = {"ciro": (f"http://127.0.0.1:{ciro_port}", "/sparql"),
                     "oxigraph": (f"http://127.0.0.1:{oxi_port}", "/query")}
        try:
            for name, (base, path) in endpoints.items():
                _wait_ready(base + path, servers[name])
            import pyoxigraph

            results["versions"] = {"pyoxigraph": pyoxigraph.__version__,
                                   "oxigraph": subprocess.run([oxigraph, "--version"], capture_output=True,
                                                              text=True).stdout.strip()}
            for workload in WORKLOADS:
                unique = workload.endswith("-unique")
                if warmup > 0:  # one unrecorded run each: a server that has just started is not yet in its
                    # steady state (its caches, its workers' first touches of the shared store), which is
                    # what a long-running endpoint's clients see
                    for name, (base, path) in endpoints.items():
                        paths = [f"{path}?{urllib.parse.urlencode({'query': q})}" for q in texts[workload]]
                        figures = (_wrk(base, paths, clients, warmup, scratch, unique) if use_wrk
                                   else _python_load(base, paths, clients, warmup, unique))
                        results.setdefault("warmup", {}).setdefault(workload, {})[name] = figures
                        log(f"{workload:9s} warm-up   {name:8s} {figures['qps']:8.0f} q/s (not counted)")
                for round_ in range(rounds):
                    order = ("ciro", "oxigraph") if round_ % 2 == 0 else ("oxigraph", "ciro")
                    for name in order:
                        base, path = endpoints[name]
                        paths = [f"{path}?{urllib.parse.urlencode({'query': q})}" for q in texts[workload]]
                        figures = (_wrk(base, paths, clients, duration, scratch, unique) if use_wrk
                                   else _python_load(base, paths, clients, duration, unique))
                        results["runs"].setdefault(workload, {}).setdefault(name, []).append(figures)
                        log(f"{workload:9s} round {round_ + 1}/{rounds} {name:8s} {figures['qps']:8.0f} q/s  "
                            f"p50 {_fmt(figures['p50_ms'])} ms  p99 {_fmt(figures['p99_ms'])} ms  "
                            f"failed {figures['failed']}")
        finally:
            for process in servers.values():
                _stop(process)
    results["summary"] = _summary(results["runs"])
    return results


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _summary(runs: dict) -> dict:
    summary = {}
    for workload, by_server in runs.items():
        entry = {}
        for name, figures in by_server.items():
            entry[name] = {key: statistics.median(f[key] for f in figures if f[key] is not None)
                           if any(f[key] is not None for f in figures) else None
                           for key in ("qps", "p50_ms", "p99_ms")}
            entry[name]["failed"] = sum(f["failed"] for f in figures)
            entry[name]["requests"] = sum(f["requests"] for f in figures)
        ratios = [c["qps"] / o["qps"] for c, o in zip(by_server["ciro"], by_server["oxigraph"], strict=False)
                  if o["qps"]]
        entry["ratio"] = statistics.median(ratios) if ratios else None
        summary[workload] = entry
    return summary


def endpoint_markdown(results: dict) -> str:
    """The comparison as a Markdown table."""
    warm = (f" after a {results['warmup_s']:g} s warm-up run of each server per workload (not counted)"
            if results.get("warmup_s") else "")
    lines = [f"{results['clients']} keep-alive clients, {results['duration_s']:g} s per run, {results['rounds']} "
             f"rounds alternating the servers{warm}, load from {results['load']}; medians over the rounds.", "",
             "| workload | server | queries/s | p50 (ms) | p99 (ms) | failed | ciro / oxigraph |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for workload, entry in results["summary"].items():
        for name in ("ciro", "oxigraph"):
            figures = entry[name]
            ratio = f"**{entry['ratio']:.2f}×**" if name == "ciro" and entry["ratio"] is not None else ""
            label = "`ciro serve`" if name == "ciro" else "`oxigraph serve-read-only`"
            lines.append(f"| {workload} | {label} | {figures['qps']:.0f} | {_fmt(figures['p50_ms'])} | "
                         f"{_fmt(figures['p99_ms'])} | {figures['failed']} | {ratio} |")
    return "\n".join(lines) + "\n"
