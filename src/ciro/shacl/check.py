"""The one entry point of SHACL validation: pick the engine, check the shapes graph first, run, and say what ran.

Both engines start the same way: the shapes graph is checked and compiled by the fast engine's compiler, so an
ill-formed shapes graph (two values of sh:minCount, a SPARQL query with SERVICE, MINUS ...) is refused with one
line naming the shape and the parameter, and no query of the shapes graph ever runs before that check.

Compiling the project's shapes takes ~0.2 s (their SPARQL queries are analysed with rdflib's algebra), about a tenth
of `ciro validate` after a small change at 100,000 items; so the compiled shapes, with the graph they were compiled
from, are kept on disk (~/.cache/ciro/shapes/, XDG_CACHE_HOME honoured), keyed by the shapes' sources, the code that
reads and compiles them and the versions of Python and rdflib, and read back by an unpickler that builds only the
classes compiled shapes hold. A file that cannot be read (corrupt, truncated, foreign) is ignored: compiled again.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph

from ..cachedir import cache_root, restricted_load
from ..curate.schemaindex import schema_digest
from ..layout import Layout
from .common import ShaclResult, _compress, _local, _message, run_shacl, shapes_graph, shapes_sources
from .fast import (
    SH,
    ShapesError,
    ShapesGraph,
    TripleIndex,
    Violation,
    compile_shapes,
    run_shapes,
    violations_from_pyshacl,
)

__all__ = ["ENGINES", "ShaclRun", "ShapesError", "check_records", "validate_graph", "engine_label"]

ENGINES = ("fast", "pyshacl")


def engine_label(engine: str) -> str:
    """How the output names an engine."""
    if engine == "fast":
        return "CIRO's fast engine"
    import importlib.metadata

    return f"pyshacl {importlib.metadata.version('pyshacl')}"


@dataclass
class ShaclRun:
    """The outcome of one SHACL validation."""

    engine: str
    results: list = field(default_factory=list)  # ShaclResult (check_records) or Violation (validate_graph)
    notes: list[str] = field(default_factory=list)  # shapes the fast engine handed to pyshacl, and why
    graph: Graph | None = None  # the rdflib graph pyshacl validated (check_records with engine="pyshacl")


def _check_engine(engine: str) -> None:
    if engine not in ENGINES:
        raise ValueError(f"unknown SHACL engine {engine!r} (expected one of {', '.join(ENGINES)})")


def validate_graph(data: Graph, shapes: Graph, engine: str = "fast") -> ShaclRun:
    """Every result for `data` against `shapes` (Violation objects, sorted); ShapesError when the shapes graph
    is ill-formed."""
    _check_engine(engine)
    compiled = compile_shapes(shapes)
    if engine == "pyshacl":
        return ShaclRun(engine, sorted(violations_from_pyshacl(data, shapes)))
    run = run_shapes(compiled, TripleIndex.from_graph(data), data)
    return ShaclRun(engine, run.violations, run.notes)


def check_records(data: dict[str, list[dict]] | None, layout: Layout, prefixes: dict[str, str], slots: dict[str, str],
                  engine: str = "fast", split: bool = True, index_of=None) -> ShaclRun:
    """The SHACL layer of `ciro validate`: the records (KnowledgeBase slot -> records) against the project's
    shapes (`shapes_graph(layout)`), as ShaclResult objects. The fast engine works on the records directly
    (no rdflib graph); "pyshacl" builds the rdflib graph and runs the reference engine. Both give the same
    results (tests compare them). `prefixes` shorten values in messages; `slots` (predicate IRI -> slot name)
    name the field. `split`: the fast engine may fork a helper for some of the shapes (False where another
    process has the second core already). `index_of()`: the fast engine's TripleIndex of the records, made
    another way (TripleIndex.from_kb_records, `data` then None), after the shapes graph is checked."""
    _check_engine(engine)
    # first: an ill-formed shapes graph stops both engines before any work
    shapes, compiled = project_shapes(layout) if engine == "fast" else (shapes_graph(layout), None)
    if engine == "pyshacl":
        compile_shapes(shapes)
        from ..curate.rdf import kb_to_graph

        graph = kb_to_graph(data, layout.schema)
        return ShaclRun(engine, run_shacl(graph, layout, prefixes, slots), [], graph)
    index = index_of() if index_of is not None else TripleIndex.from_records(data, layout.schema)
    run = run_shapes(compiled, index, split=split)  # _as_results: a set
    return ShaclRun(engine, _as_results(run.violations, shapes, prefixes, slots), run.notes)


# --- the project's compiled shapes, kept on disk ------------------------------------------------------------------

FORMAT = 1
_ALLOWED = {("rdflib.term", "URIRef"), ("rdflib.term", "BNode"), ("rdflib.term", "Literal"), ("re", "_compile"),
            ("ciro.shacl.fast.shapes", "Shape"), ("ciro.shacl.fast.shapes", "Constraint"),
            ("ciro.shacl.fast.sparql", "PreparedQuery"), ("ciro.shacl.fast.sparql", "Component"),
            ("ciro.shacl.fast.sparql", "Parameter")}
_COMPILED: dict[str, tuple[Graph, ShapesGraph]] = {}  # by schema digest: once per process


def project_shapes(layout: Layout) -> tuple[Graph, ShapesGraph]:
    """The project's shapes graph (`shapes_graph(layout)`'s triples) and the shapes compiled from it; ShapesError
    when it is ill-formed (never kept)."""
    schema_key = schema_digest(layout.schema)
    if schema_key in _COMPILED:
        return _COMPILED[schema_key]
    generated, rules = shapes_sources(layout)
    key = _compiled_key(generated, rules)
    path = _cache_folder() / f"{key}.pickle"
    found = _read_compiled(path)
    if found is None:
        graph = shapes_graph(layout)
        found = graph, compile_shapes(graph)
        _write_compiled(path, *found)
    _COMPILED[schema_key] = found
    return found


def _cache_folder() -> Path:
    return cache_root() / "shapes"


def _compiled_key(generated: str, rules: Path | None) -> str:
    import rdflib

    hasher = hashlib.sha256(f"{FORMAT} {sys.version} rdflib {rdflib.__version__}".encode())
    hasher.update(generated.encode("utf-8") + b"\0")
    hasher.update(str(rules).encode() + b"\0" + rules.read_bytes() + b"\0" if rules is not None else b"-\0")
    package = Path(__file__).parent  # the code that reads and compiles shapes: all of ciro/shacl/
    for source in sorted(package.rglob("*.py")):
        hasher.update(str(source.relative_to(package)).encode() + b"\0" + source.read_bytes() + b"\0")
    return hasher.hexdigest()[:32]


def _read_compiled(path: Path) -> tuple[Graph, ShapesGraph] | None:
    try:
        raw = path.read_bytes()
        digest, payload = raw[:32], raw[32:]
        if hashlib.blake2b(payload, digest_size=32).digest() != digest:
            return None
        triples, namespaces, state = restricted_load(io.BytesIO(payload), _ALLOWED, "compiled shapes")
        graph = Graph()
        for prefix, namespace in namespaces:
            graph.bind(prefix, namespace, override=True, replace=True)
        for triple in triples:
            graph.add(triple)
        compiled = ShapesGraph.__new__(ShapesGraph)
        compiled.__dict__.update(state, graph=graph)
        return graph, compiled
    except Exception:  # noqa: BLE001 - missing, damaged or not ours: compiled again
        return None


def _write_compiled(path: Path, graph: Graph, compiled: ShapesGraph) -> None:
    state = {k: v for k, v in vars(compiled).items() if k != "graph"}
    try:
        payload = pickle.dumps((list(graph), list(graph.namespaces()), state), protocol=pickle.HIGHEST_PROTOCOL)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(hashlib.blake2b(payload, digest_size=32).digest() + payload)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        pass  # a read-only cache folder (or shapes that do not pickle) only costs speed


def _as_results(violations: list[Violation], shapes: Graph, prefixes: dict[str, str],
                slots: dict[str, str]) -> list[ShaclResult]:
    """Violations as `common.run_shacl` words pyshacl's results."""
    namespaces = sorted(((ns, p) for p, ns in prefixes.items()), key=lambda x: -len(x[0]))
    results = []
    for v in violations:
        shape = v.constraint if v.constraint is not None and shapes.value(v.constraint, SH.message) is not None \
            else v.shape
        value = _compress(v.reported, namespaces) if v.reported is not None else ""
        own, message = _message(shapes, v.component, shape, value, slots.get(v.path, _local(v.path)),
                                v.message or "SHACL violation")
        severity = "error" if v.severity == str(SH.Violation) else "warning"
        results.append(ShaclResult(not own, v.focus, v.path, v.component, severity, value, message))
    return sorted(set(results))
