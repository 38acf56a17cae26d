"""The one entry point of SHACL validation: pick the engine, check the shapes graph first, run, and say what ran.

Both engines start the same way: the shapes graph is checked and compiled by the fast engine's compiler, so an
ill-formed shapes graph (two values of sh:minCount, a SPARQL query with SERVICE, MINUS ...) is refused with one
line naming the shape and the parameter, and no query of the shapes graph ever runs before that check.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Graph

from ..layout import Layout
from .common import ShaclResult, _compress, _local, _message, run_shacl, shapes_graph
from .fast import SH, ShapesError, TripleIndex, Violation, compile_shapes, run_shapes, violations_from_pyshacl

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


def check_records(data: dict[str, list[dict]], layout: Layout, prefixes: dict[str, str], slots: dict[str, str],
                  engine: str = "fast", split: bool = True) -> ShaclRun:
    """The SHACL layer of `ciro validate`: the records (KnowledgeBase slot -> records) against the project's
    shapes (`shapes_graph(layout)`), as ShaclResult objects. The fast engine works on the records directly
    (no rdflib graph); "pyshacl" builds the rdflib graph and runs the reference engine. Both give the same
    results (tests compare them). `prefixes` shorten values in messages; `slots` (predicate IRI -> slot name)
    name the field. `split`: the fast engine may fork a helper for some of the shapes (False where another
    process has the second core already)."""
    _check_engine(engine)
    shapes = shapes_graph(layout)
    compiled = compile_shapes(shapes)  # first: an ill-formed shapes graph stops both engines before any work
    if engine == "pyshacl":
        from ..curate.rdf import kb_to_graph

        graph = kb_to_graph(data, layout.schema)
        return ShaclRun(engine, run_shacl(graph, layout, prefixes, slots), [], graph)
    run = run_shapes(compiled, TripleIndex.from_records(data, layout.schema), split=split)  # _as_results: a set
    return ShaclRun(engine, _as_results(run.violations, shapes, prefixes, slots), run.notes)


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
