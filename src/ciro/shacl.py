"""SHACL validation of the emitted RDF: shapes LinkML generates from the schema, plus CIRO's own rules.

pyshacl is the reference engine. Results are returned as (focus record, property, message) so the
validator can place them at the YAML file and line that produced the triple.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rdflib import Graph, Namespace, URIRef

from .layout import Layout
from .rdf import kb_to_graph

__all__ = ["ShaclResult", "shapes_graph", "generate_shacl", "run_shacl", "RULES_FILE"]

SH = Namespace("http://www.w3.org/ns/shacl#")
RULES_FILE = "ciro-rules.shacl.ttl"  # in schema/: the rules a LinkML schema cannot state


@dataclass(frozen=True, order=True)
class ShaclResult:
    focus: str  # CURIE of the focus node
    path: str  # predicate IRI ("" when the shape is about the node itself)
    message: str
    component: str


def generate_shacl(schema_path: Path) -> str:
    """The SHACL shapes LinkML's generator writes for the schema (Turtle)."""
    from linkml.generators.shaclgen import ShaclGenerator

    return ShaclGenerator(str(schema_path)).serialize()


@cache
def _generated_shapes_text(schema_path: Path) -> str:
    # Cached on disk by schema hash: generation costs about a second on every validate otherwise.
    key = hashlib.sha256(schema_path.read_bytes()).hexdigest()[:20]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    cached = Path(base) / "ciro" / f"shacl-{key}.ttl"
    if cached.is_file():
        return cached.read_text(encoding="utf-8")
    text = generate_shacl(schema_path)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cached.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, cached)
    except OSError:
        pass
    return text


def shapes_graph(layout: Layout) -> Graph:
    """Generated shapes plus the project's own rules."""
    graph = Graph()
    graph.parse(data=_generated_shapes_text(layout.schema), format="turtle")
    rules = layout.schema.parent / RULES_FILE
    if rules.is_file():
        graph.parse(rules, format="turtle")
    return graph


def _friendly(component: str, value, path_label: str, default: str) -> str:
    name = component.rsplit("#", 1)[-1]
    if name == "ClassConstraintComponent":
        return f"'{value}' is not a record of the class this field needs"
    if name == "MinCountConstraintComponent":
        return f"missing required field '{path_label}'"
    if name == "MaxCountConstraintComponent":
        return f"'{path_label}' takes a single value"
    if name == "ClosedConstraintComponent":
        return f"unknown field '{path_label}'"
    return default


def run_shacl(data: dict[str, list[dict]], layout: Layout, graph: Graph | None = None) -> list[ShaclResult]:
    """Validate the RDF of `data` with pyshacl; every violation as a ShaclResult."""
    import pyshacl

    from .rdf import RdfMapper

    mapper = RdfMapper.from_schema(layout.schema)
    data_graph = graph if graph is not None else kb_to_graph(data, layout.schema)
    conforms, results_graph, _text = pyshacl.validate(
        data_graph, shacl_graph=shapes_graph(layout), inference="none", advanced=True, allow_warnings=True
    )
    if conforms:
        return []
    namespaces = sorted(((str(ns), p) for p, ns in _prefixes(layout).items()), key=lambda x: -len(x[0]))
    results = []
    for node in results_graph.subjects(SH.resultSeverity, None):
        focus = results_graph.value(node, SH.focusNode)
        path = results_graph.value(node, SH.resultPath)
        component = str(results_graph.value(node, SH.sourceConstraintComponent))
        value = results_graph.value(node, SH.value)
        message = str(results_graph.value(node, SH.resultMessage) or "SHACL violation")
        path_iri = str(path) if isinstance(path, URIRef) else ""
        path_label = mapper_slot_name(path_iri, layout) or path_iri
        results.append(
            ShaclResult(
                _compress(str(focus), namespaces),
                path_iri,
                _friendly(component, _compress(str(value), namespaces) if value is not None else "", path_label,
                          message),
                component.rsplit("#", 1)[-1],
            )
        )
    del mapper
    return sorted(set(results))


def mapper_slot_name(predicate: str, layout: Layout) -> str:
    from .schemaindex import schema_index

    return schema_index(layout.schema).slot_predicates.get(predicate, "")


def _prefixes(layout: Layout) -> dict[str, str]:
    from .schemaindex import schema_index

    return schema_index(layout.schema).prefixes


def _compress(iri: str, namespaces: list[tuple[str, str]]) -> str:
    for ns, prefix in namespaces:
        if iri.startswith(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri
