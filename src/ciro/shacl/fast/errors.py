"""The two ways a shapes graph can stop the fast engine: it is ill-formed (both engines refuse it), or it uses
something this engine does not run (that shape is handed to pyshacl)."""

from __future__ import annotations

from rdflib import RDF, BNode, Graph, URIRef

__all__ = ["ShapesError", "UnsupportedShape", "describe"]

_SH = "http://www.w3.org/ns/shacl#"


class ShapesError(ValueError):
    """The shapes graph is ill-formed (SHACL 2.x syntax rules, or a SPARQL query the spec forbids): no engine
    may validate with it. The message names the shape and the parameter."""


class UnsupportedShape(ValueError):
    """A shape uses a feature the fast engine does not implement; it is validated by pyshacl instead."""


def describe(shapes: Graph, node) -> str:
    """A shape (or other node of the shapes graph) as a reader can find it: its CURIE or IRI; for a blank
    node, what points at it and its sh:path."""
    if isinstance(node, URIRef):
        return _name(shapes, node)
    if not isinstance(node, BNode):
        return repr(str(node))
    path = shapes.value(node, URIRef(_SH + "path"))
    parts = []
    for key in ("property", "node", "not", "qualifiedValueShape", "sparql"):
        parent = shapes.value(None, URIRef(_SH + key), node)
        if parent is not None:
            parts.append(f"sh:{key} of {describe(shapes, parent) if parent != node else '?'}")
            break
    else:
        holder = next(iter(shapes.subjects(RDF.first, node)), None)
        if holder is not None:
            parts.append("a member of a list")
    if isinstance(path, URIRef):
        parts.insert(0, f"sh:path {_name(shapes, path)}")
    return "[" + "; ".join(parts) + "]" if parts else f"_:{node}"


def _name(shapes: Graph, iri: URIRef) -> str:
    try:
        prefix, namespace, local = shapes.namespace_manager.compute_qname(iri, generate=False)
        return f"{prefix}:{local}" if prefix else f"<{iri}>"
    except (KeyError, ValueError):
        return f"<{iri}>"
