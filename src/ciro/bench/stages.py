"""The benchmark's stages, one per process so that each peak memory (ru_maxrss) is the stage's own.

`python -m ciro.bench.stages STAGE PROJECT WORK [OPTIONS-JSON]` runs one stage on the project folder PROJECT
(a generated KB), keeping intermediate files in WORK, and prints one JSON line: the stage's timings in
seconds (`seconds`), its peak resident memory (`maxrss_mb`) and what it found (counts, digests of results
so that two engines can be compared).
"""

from __future__ import annotations

import functools
import hashlib
import json
import resource
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

__all__ = ["STAGES", "main"]

VALIDATE_LAYERS = ("schema_index", "_schema_layer", "_rules_layer", "_rdf_layer", "_shacl_layer", "_quote_layer")


class _Clock:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def __call__(self, name: str):
        clock = self

        class _Span:
            def __enter__(self):
                self.start = time.perf_counter()

            def __exit__(self, *exc):
                clock.seconds[name] = clock.seconds.get(name, 0.0) + time.perf_counter() - self.start

        return _Span()


def _digest(items) -> str:
    return hashlib.sha256("\n".join(map(str, items)).encode()).hexdigest()[:16]


def _load(layout, clock: _Clock):
    from ..curate.loader import load_paths

    with clock("load"):
        return load_paths([layout.instances], base=layout.root)


# --- build: YAML -> RDF -------------------------------------------------------------------------------------

def build_fast(layout, work: Path, options: dict) -> dict:
    """YAML (C loader) -> N-Triples by the schema-compiled mapping -> Turtle by pyoxigraph."""
    import pyoxigraph as ox

    from ..shacl.fast import ntriples_from_records

    clock = _Clock()
    kb = _load(layout, clock)
    nt, ttl = work / "kb.nt", work / "kb.ttl"
    with clock("map"), nt.open("wb") as handle:
        for chunk in ntriples_from_records(kb.data, layout.schema):
            handle.write(chunk)
    with clock("turtle"):
        store = ox.Store()
        store.bulk_load(path=str(nt), format=ox.RdfFormat.N_TRIPLES)
        store.dump(output=str(ttl), format=ox.RdfFormat.TURTLE, from_graph=ox.DefaultGraph(),
                   prefixes={"CIRO": "https://w3id.org/ciro/CIRO_", "cirovocab": "https://w3id.org/ciro/vocab/"})
    return {"seconds": clock.seconds, "triples": len(store), "nt_mb": nt.stat().st_size / 2**20}


def build_rdflib(layout, work: Path, options: dict) -> dict:
    """YAML (C loader) -> rdflib graph by rdf.kb_to_graph -> N-Triples by rdflib."""
    from ..curate.rdf import kb_to_graph

    clock = _Clock()
    kb = _load(layout, clock)
    with clock("map"):
        graph = kb_to_graph(kb.data, layout.schema)
    if options.get("serialize", True):
        with clock("serialize"):
            graph.serialize(destination=str(work / "kb-rdflib.nt"), format="nt", encoding="utf-8")
    return {"seconds": clock.seconds, "triples": len(graph)}


def linkml_convert(layout, work: Path, options: dict) -> dict:
    """The baseline: linkml-convert YAML -> Turtle, on the KB written as one KnowledgeBase YAML (not timed)."""
    import yaml

    kb = _load(layout, _Clock())
    source = work / "kb.yaml"
    with source.open("w", encoding="utf-8") as handle:
        yaml.dump(kb.data, handle, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False,
                  allow_unicode=True)
    del kb
    tool = Path(sys.executable).with_name("linkml-convert")
    start = time.perf_counter()
    done = subprocess.run([str(tool), "-s", str(layout.schema), "-C", "KnowledgeBase", "-t", "ttl",
                           "-o", str(work / "kb-linkml.ttl"), str(source)], capture_output=True, text=True,
                          timeout=options.get("timeout", 3600))
    seconds = time.perf_counter() - start
    if done.returncode:
        raise RuntimeError(f"linkml-convert failed: {done.stderr.strip()[-500:]}")
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"seconds": {"convert": seconds}, "child_maxrss_mb": child}


# --- validation ---------------------------------------------------------------------------------------------

def validate(layout, work: Path, options: dict) -> dict:
    """`ciro validate` on the project, each layer timed; engine "pyshacl" (the reference) or "fast"."""
    from .. import validate as validator

    engine = options.get("engine", "pyshacl")
    clock = _Clock()
    for name in VALIDATE_LAYERS:
        if hasattr(validator, name):
            setattr(validator, name, _timed(getattr(validator, name), clock, name.strip("_")))
    kb = _load(layout, clock)
    with clock("total"):
        report = validator.validate_loaded(kb, layout, engine=engine)
    shacl = getattr(report, "shacl_results", None) or []
    return {"seconds": clock.seconds, "problems": len(report.problems), "errors": len(report.errors),
            "problems_digest": _digest(p.format() for p in report.problems),
            "shacl_results": len(shacl), "shacl_digest": _digest(shacl)}


def _timed(fn, clock: _Clock, name: str):
    @functools.wraps(fn)
    def inner(*args, **kwargs):
        with clock(name):
            return fn(*args, **kwargs)
    return inner


# --- competency questions -------------------------------------------------------------------------------------

def release(layout, work: Path, options: dict) -> dict:
    """The release graphs (owl.build_graphs) for the competency questions: WORK/release/ciro.ttl and
    imports/ciro-external.owl (for pyoxigraph and `ciro serve`), WORK/release.nt (for rdflib)."""
    import pyoxigraph as ox

    from ..release.owl import build_graphs
    from ..shacl.fast.index import nt_line, term_from_rdflib

    clock = _Clock()
    kb = _load(layout, clock)
    with clock("owl_graphs"):
        graphs = build_graphs(kb.data, layout.schema)
    out = work / "release"
    (out / "imports").mkdir(parents=True, exist_ok=True)
    with clock("write"):
        for name, graph in (("main", graphs.main), ("external", graphs.external)):
            lines = "".join(nt_line(term_from_rdflib(s), str(p), term_from_rdflib(o)) for s, p, o in graph)
            (work / f"{name}.nt").write_text(lines, encoding="utf-8")
        store = ox.Store()
        store.bulk_load(path=str(work / "main.nt"), format=ox.RdfFormat.N_TRIPLES, lenient=True)
        store.dump(output=str(out / "ciro.ttl"), format=ox.RdfFormat.TURTLE, from_graph=ox.DefaultGraph())
        external = ox.Store()
        external.bulk_load(path=str(work / "external.nt"), format=ox.RdfFormat.N_TRIPLES, lenient=True)
        external.dump(output=str(out / "imports" / "ciro-external.owl"), format=ox.RdfFormat.RDF_XML,
                      from_graph=ox.DefaultGraph())
        with (work / "release.nt").open("w", encoding="utf-8") as handle:
            for name in ("main", "external"):
                handle.write((work / f"{name}.nt").read_text(encoding="utf-8"))
    return {"seconds": clock.seconds, "triples": len(graphs.main) + len(graphs.external)}


def _queries(options: dict) -> list[tuple[str, str]]:
    return [(Path(p).stem, Path(p).read_text(encoding="utf-8")) for p in options["queries"]]


class _Timeout(Exception):
    pass


def cq(layout, work: Path, options: dict) -> dict:
    """Each competency question's median latency (and row count) on pyoxigraph or on rdflib."""
    engine, repeats, limit = options["engine"], options.get("repeats", 5), options.get("timeout", 60)
    clock = _Clock()
    if engine == "oxigraph":
        from ..query.store import load_store, run_query

        with clock("load"):
            store = load_store(work / "release")

        def run(text):
            result = run_query(store, text)
            return len(result.rows) if result.kind == "select" else len(result.triples) or int(bool(result.boolean))
    else:
        from rdflib import Graph

        with clock("load"):
            graph = Graph()
            graph.parse(str(work / "release.nt"), format="nt")

        def run(text):
            result = graph.query(text)
            return int(bool(result.askAnswer)) if result.type == "ASK" else len(list(result))

    def alarm(_signum, _frame):
        raise _Timeout

    signal.signal(signal.SIGALRM, alarm)
    latencies, rows = {}, {}
    for name, text in _queries(options):
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            signal.alarm(limit)
            try:
                rows[name] = run(text)
            except _Timeout:
                times = [None]
                break
            finally:
                signal.alarm(0)
            times.append(time.perf_counter() - start)
        latencies[name] = None if times == [None] else sorted(times)[len(times) // 2]
    return {"seconds": clock.seconds, "latency": latencies, "rows": rows}


def serve_qps(layout, work: Path, options: dict) -> dict:
    """Queries per second that `ciro serve` answers for `clients` concurrent clients asking the competency
    questions in turn for `duration` seconds."""
    clients, duration = options.get("clients", 8), options.get("duration", 15.0)
    queries = [text for _name, text in _queries(options)]
    announced = work / "serve.out"
    with announced.open("w") as out:  # the request log (stderr) is discarded: an unread pipe would fill and block
        server = subprocess.Popen([sys.executable, "-m", "ciro.cli", "serve", "--ontology", str(work / "release"),
                                   "--port", "0", "--workers", str(options.get("workers", 2)), "--quiet"],
                                  stdout=out, stderr=subprocess.DEVNULL, text=True)
    try:
        deadline = time.perf_counter() + 900
        while "/sparql" not in (line := announced.read_text()) and server.poll() is None:
            if time.perf_counter() > deadline:
                raise RuntimeError("ciro serve did not start in 900 s")
            time.sleep(0.2)
        if "/sparql" not in line:
            raise RuntimeError(f"ciro serve did not start: {line[-500:]}")
        url = line.split(" at ", 1)[1].split()[0]
        counts = {"answered": 0, "failed_requests": 0}
        lock = threading.Lock()
        stop = time.perf_counter() + duration

        def client(k: int) -> None:
            i = k
            while time.perf_counter() < stop:
                data = urllib.parse.urlencode({"query": queries[i % len(queries)]}).encode()
                request = urllib.request.Request(url, data=data, headers={
                    "Accept": "application/sparql-results+json, text/turtle;q=0.9"})
                try:
                    with urllib.request.urlopen(request, timeout=120) as answer:
                        answer.read()
                    outcome = "answered"
                except Exception:
                    outcome = "failed_requests"
                with lock:
                    counts[outcome] += 1
                i += clients

        threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    return {"seconds": {"elapsed": elapsed}, "qps": counts["answered"] / elapsed, **counts}


STAGES = {"build-fast": build_fast, "build-rdflib": build_rdflib, "linkml-convert": linkml_convert,
          "validate": validate, "release": release, "cq": cq, "serve": serve_qps}


def main(argv: list[str]) -> None:
    from ..layout import Layout

    stage, project, work = argv[1], Path(argv[2]), Path(argv[3])
    options = json.loads(argv[4]) if len(argv) > 4 else {}
    work.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    result = STAGES[stage](Layout(project.resolve()), work, options)
    result["wall"] = time.perf_counter() - start
    result["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv)
