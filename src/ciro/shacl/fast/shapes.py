"""The shapes side of the fast SHACL engine: a shapes graph compiled once into plans (what to check where)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rdflib import RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection

from .index import term_from_rdflib

__all__ = ["SH", "UnsupportedShape", "PropertyPlan", "ShapePlan", "compile_shapes", "shape_message"]

SH = Namespace("http://www.w3.org/ns/shacl#")
OWL_CLASS = URIRef("http://www.w3.org/2002/07/owl#Class")
_STRING, _LITERAL = XSD.string, RDFS.Literal
_NODE_KINDS = {  # sh:nodeKind -> the kinds it accepts
    SH.IRI: {"iri"}, SH.Literal: {"literal"}, SH.BlankNode: {"blank"}, SH.BlankNodeOrIRI: {"blank", "iri"},
    SH.BlankNodeOrLiteral: {"blank", "literal"}, SH.IRIOrLiteral: {"iri", "literal"},
}
_DESCRIPTIVE = {SH.path, SH.description, SH.order, SH.name, SH.message, SH.group, SH.severity, SH.defaultValue,
                SH.deactivated, SH.flags, RDF.type, RDFS.comment, RDFS.label}
_NODE_KEYS = {SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.property, SH.closed,
              SH.ignoredProperties, SH["or"], SH.sparql, SH.message, SH.description, SH.name, SH.severity,
              SH.deactivated, RDF.type, RDFS.comment, RDFS.label}


class UnsupportedShape(ValueError):
    """The shapes graph uses a constraint this engine does not implement."""


@dataclass
class PropertyPlan:
    shape: object
    path: str
    severity: str
    message: str
    min_count: int | None = None
    max_count: int | None = None
    node_kinds: set[str] | None = None
    classes: list[str] = field(default_factory=list)
    members: set | None = None
    datatype: URIRef | None = None
    plain_ok: bool = False  # whether a plain literal has the datatype (xsd:string, rdfs:Literal)
    patterns: list[re.Pattern] = field(default_factory=list)


@dataclass
class ShapePlan:
    """What to check for one node shape."""

    shape: object
    severity: str
    message: str
    target_classes: list[str] = field(default_factory=list)
    target_nodes: list = field(default_factory=list)
    subjects_of: list[str] = field(default_factory=list)
    objects_of: list[str] = field(default_factory=list)
    properties: list[PropertyPlan] = field(default_factory=list)
    closed: set[str] | None = None  # the allowed predicates, when the shape is closed
    alternatives: list[list[tuple[str, int]]] = field(default_factory=list)  # sh:or of [path, minCount] members
    sparql: list[tuple[tuple[str, str], str, object]] = field(default_factory=list)  # ((prologue, select),
    # message, constraint node)


def _severity(shapes: Graph, node) -> str:
    return str(shapes.value(node, SH.severity) or SH.Violation)


def shape_message(shapes: Graph, node) -> str:
    return str(shapes.value(node, SH.message) or "") if node is not None else ""


def _rdf_list(shapes: Graph, node) -> list:
    return list(Collection(shapes, node))


def compile_shapes(shapes: Graph) -> list[ShapePlan]:
    """The plan for every active node shape with a target; raises UnsupportedShape for what it cannot run."""
    nodes = set(shapes.subjects(SH.targetClass, None)) | set(shapes.subjects(SH.targetNode, None)) | \
        set(shapes.subjects(SH.targetSubjectsOf, None)) | set(shapes.subjects(SH.targetObjectsOf, None))
    nodes |= {s for s in shapes.subjects(RDF.type, SH.NodeShape)
              if (s, RDF.type, RDFS.Class) in shapes or (s, RDF.type, OWL_CLASS) in shapes}
    plans = []
    for node in sorted(nodes, key=str):
        if shapes.value(node, SH.deactivated) == Literal(True):
            continue
        if shapes.value(node, SH.path) is not None:
            raise UnsupportedShape(f"{node}: property shapes with their own targets are not supported")
        for key in set(shapes.predicates(node, None)) - _NODE_KEYS:
            raise UnsupportedShape(f"node shape {node}: unsupported {key}")
        plan = ShapePlan(node, _severity(shapes, node), shape_message(shapes, node))
        plan.target_classes = sorted(str(c) for c in shapes.objects(node, SH.targetClass))
        if (node, RDF.type, RDFS.Class) in shapes or (node, RDF.type, OWL_CLASS) in shapes:
            plan.target_classes.append(str(node))  # an implicit class target
        plan.target_nodes = [term_from_rdflib(n) for n in shapes.objects(node, SH.targetNode)]
        plan.subjects_of = [str(p) for p in shapes.objects(node, SH.targetSubjectsOf)]
        plan.objects_of = [str(p) for p in shapes.objects(node, SH.targetObjectsOf)]
        declared = []
        for prop in sorted(shapes.objects(node, SH.property), key=str):
            path = shapes.value(prop, SH.path)
            if not isinstance(path, URIRef):
                raise UnsupportedShape(f"property shape {prop}: only predicate paths are supported")
            declared.append(str(path))
            if shapes.value(prop, SH.deactivated) != Literal(True):
                plan.properties.append(_property(shapes, prop, str(path)))
        if shapes.value(node, SH.closed) == Literal(True):
            ignored = shapes.value(node, SH.ignoredProperties)
            plan.closed = set(declared) | ({str(p) for p in _rdf_list(shapes, ignored)} if ignored else set())
        for alternatives in shapes.objects(node, SH["or"]):
            branches = []
            for member in _rdf_list(shapes, alternatives):
                path, minimum = shapes.value(member, SH.path), shapes.value(member, SH.minCount)
                if not isinstance(path, URIRef) or minimum is None or \
                        set(shapes.predicates(member, None)) - {SH.path, SH.minCount}:
                    raise UnsupportedShape(f"sh:or in {node}: only [sh:path P; sh:minCount n] members are supported")
                branches.append((str(path), int(minimum)))
            plan.alternatives.append(branches)
        for constraint in shapes.objects(node, SH.sparql):
            plan.sparql.append((_sparql(shapes, node, constraint), shape_message(shapes, constraint), constraint))
        plans.append(plan)
    return plans


def _property(shapes: Graph, prop, path: str) -> PropertyPlan:
    plan = PropertyPlan(prop, path, _severity(shapes, prop), shape_message(shapes, prop))
    flags = str(shapes.value(prop, SH.flags) or "").lower()
    re_flags = (re.I if "i" in flags else 0) | (re.M if "m" in flags else 0)
    for key, value in shapes.predicate_objects(prop):
        if key in _DESCRIPTIVE:
            continue
        if key == SH.minCount:
            plan.min_count = int(value)
        elif key == SH.maxCount:
            plan.max_count = int(value)
        elif key == SH.nodeKind:
            if value not in _NODE_KINDS:
                raise UnsupportedShape(f"sh:nodeKind {value}")
            plan.node_kinds = _NODE_KINDS[value]
        elif key == SH["class"]:
            plan.classes.append(str(value))
        elif key == SH["in"]:
            plan.members = {term_from_rdflib(m) for m in _rdf_list(shapes, value)}
        elif key == SH.datatype:
            plan.datatype = URIRef(value)
            plan.plain_ok = plan.datatype in (_STRING, _LITERAL)
        elif key == SH.pattern:
            # as pyshacl compiles it: the literal's value when it has one longer than a character
            text = str(value.value) if isinstance(value, Literal) and value.value is not None and \
                len(value.value) > 1 else str(value)
            plan.patterns.append(re.compile(text, re_flags))
        else:
            raise UnsupportedShape(f"property shape on {path}: unsupported {key}")
    return plan


def _sparql(shapes: Graph, node, constraint) -> tuple[str, str]:
    select = str(shapes.value(constraint, SH.select) or "")
    if not select or re.search(r"\$(PATH|shapesGraph|currentShape)\b", select) or re.match(r"\s*(PREFIX|BASE)\b",
                                                                                            select, re.I):
        raise UnsupportedShape(f"sh:sparql in {node}: only a SELECT on $this without PREFIX is supported")
    prefixes = []
    for holder in shapes.objects(constraint, SH.prefixes):
        for decl in shapes.objects(holder, SH.declare):
            prefixes.append(f"PREFIX {shapes.value(decl, SH.prefix)}: <{shapes.value(decl, SH.namespace)}>")
    return "\n".join(prefixes), select


