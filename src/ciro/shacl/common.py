"""SHACL validation of the emitted RDF: shapes LinkML generates from the schema, plus CIRO's own rules.

pyshacl is the reference engine. Each result keeps pyshacl's focus node, path and constraint component
as they are (so a test can compare them with pyshacl's own report), plus a message a curator can read.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from rdflib import Graph, Namespace, URIRef

from ..curate.schemaindex import cached_text, schema_digest
from ..layout import Layout

__all__ = ["ShaclResult", "shapes_graph", "shapes_sources", "generate_shacl", "run_shacl", "RULES_FILE"]

SH = Namespace("http://www.w3.org/ns/shacl#")
RULES_FILE = "ciro-rules.shacl.ttl"  # in schema/: the rules a LinkML schema cannot state


@dataclass(frozen=True, order=True)
class ShaclResult:
    """One result of pyshacl's report."""

    generic: bool  # False when the shape states its own sh:message (CIRO's rules do): those sort first
    focus: str  # IRI of the focus node
    path: str  # IRI of the result path ("" when the shape is about the node itself)
    component: str  # IRI of the constraint component
    severity: str  # "error" for sh:Violation, else "warning"
    value: str  # the offending value, compressed to a CURIE where possible ("" when none)
    message: str

    def as_dict(self) -> dict:
        return asdict(self)


def generate_shacl(schema_path: Path) -> str:
    """The SHACL shapes LinkML's generator writes for the schema (Turtle)."""
    from linkml.generators.shaclgen import ShaclGenerator

    return ShaclGenerator(str(schema_path)).serialize()


_SHAPES: dict[str, Graph] = {}


def shapes_graph(layout: Layout) -> Graph:
    """Generated shapes plus the project's own rules (compiled once per schema content; do not modify)."""
    key = schema_digest(layout.schema)
    if key not in _SHAPES:
        generated, rules = shapes_sources(layout)
        graph = Graph()
        graph.parse(data=generated, format="turtle")
        if rules is not None:
            graph.parse(rules, format="turtle")
        _SHAPES[key] = graph
    return _SHAPES[key]


def shapes_sources(layout: Layout) -> tuple[str, Path | None]:
    """What the shapes graph is read from: the generated shapes' Turtle, and the rules file (None without one)."""
    key = schema_digest(layout.schema)
    rules = layout.schema.parent / RULES_FILE
    return (cached_text("shacl", f"{key}.ttl", lambda: generate_shacl(layout.schema)),
            rules if rules.is_file() else None)


def _local(iri) -> str:
    text = str(iri)
    return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _message(shapes: Graph, component: str, shape, value: str, slot: str, default: str) -> tuple[bool, str]:
    """The shape's own sh:message if it has one, else a plain sentence for the component."""
    if shape is not None and shapes.value(shape, SH.message) is not None:
        return True, default
    name = _local(component).removesuffix("ConstraintComponent")
    if name == "Class":
        expected = _local(shapes.value(shape, SH["class"]) or "record of the right class")
        return False, f"'{value}' is not {'an' if expected[:1] in 'AEIOU' else 'a'} {expected}"
    messages = {
        "MinCount": f"missing required field '{slot}'",
        "MaxCount": f"{slot} takes a single value",
        "Closed": f"unknown field '{slot}'",
        "In": f"'{value}' is not a permissible value",
        "Datatype": f"'{value}' is not of type {_local(shapes.value(shape, SH.datatype) or 'required')}",
        "Pattern": f"'{value}' does not match the pattern {shapes.value(shape, SH.pattern)}",
        "NodeKind": f"'{value}' is not {_local(shapes.value(shape, SH.nodeKind) or 'of the right kind')}",
    }
    return False, messages.get(name, default)


def run_shacl(graph: Graph, layout: Layout, prefixes: dict[str, str], slots: dict[str, str]) -> list[ShaclResult]:
    """Validate `graph` with pyshacl against `shapes_graph(layout)`; every result, sorted.

    `prefixes` (prefix -> namespace) shorten values in messages; `slots` (predicate IRI -> slot name) names
    the field in them.
    """
    import pyshacl

    shapes = shapes_graph(layout)
    _conforms, report, _text = pyshacl.validate(
        graph, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True
    )
    namespaces = sorted(((ns, p) for p, ns in prefixes.items()), key=lambda x: -len(x[0]))
    results = []
    for node in report.objects(None, SH.result):  # (not the sh:detail results nested in them)
        path = report.value(node, SH.resultPath)
        component = str(report.value(node, SH.sourceConstraintComponent))
        value = report.value(node, SH.value)
        shape = report.value(node, SH.sourceConstraint) or report.value(node, SH.sourceShape)
        if shape is not None and shapes.value(shape, SH.message) is None:
            shape = report.value(node, SH.sourceShape)
        path_iri = str(path) if isinstance(path, URIRef) else ""
        value_text = _compress(str(value), namespaces) if value is not None else ""
        default = str(report.value(node, SH.resultMessage) or "SHACL violation")
        own, message = _message(shapes, component, shape, value_text, slots.get(path_iri, _local(path_iri)), default)
        severity = "error" if report.value(node, SH.resultSeverity) == SH.Violation else "warning"
        results.append(ShaclResult(not own, str(report.value(node, SH.focusNode)), path_iri, component, severity,
                                   value_text, message))
    return sorted(set(results))


def _compress(iri: str, namespaces: list[tuple[str, str]]) -> str:
    for ns, prefix in namespaces:
        if iri.startswith(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri
