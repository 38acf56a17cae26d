"""A deterministic RDF/XML writer (flat: one rdf:Description per subject, sorted).

rdflib's RDF/XML writers order subjects and nesting by Python set iteration, which changes with the
hash seed, so two builds of the same input differ. The release must be byte-reproducible; this writer
sorts everything and names blank nodes by their (already deterministic) ids.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.namespace import split_uri

__all__ = ["serialize_rdfxml"]

_XML_NS = "http://www.w3.org/XML/1998/namespace"


def _node_attr(node) -> str:
    if isinstance(node, BNode):
        return f"rdf:nodeID={quoteattr(str(node))}"
    return f"rdf:about={quoteattr(str(node))}"


def serialize_rdfxml(graph: Graph) -> bytes:
    """RDF/XML for `graph`, identical bytes for identical graphs (given stable blank-node ids)."""
    bound = {str(ns): prefix for prefix, ns in graph.namespaces() if prefix}
    used: dict[str, str] = {str(RDF): "rdf"}
    predicates = {}
    for p in sorted({p for _, p, _ in graph}, key=str):
        ns, local = split_uri(p)
        if ns not in used:
            prefix = bound.get(ns)
            if not prefix or prefix in used.values() or prefix == "xml":
                prefix = f"ns{len(used)}"
            used[ns] = prefix
        predicates[p] = f"{used[ns]}:{local}"

    def sort_key(term):
        return (0 if isinstance(term, URIRef) else 1 if isinstance(term, BNode) else 2, str(term),
                str(getattr(term, "language", "") or ""), str(getattr(term, "datatype", "") or ""))

    lines = ['<?xml version="1.0" encoding="utf-8"?>', "<rdf:RDF"]
    for ns, prefix in sorted(used.items(), key=lambda item: item[1]):
        lines.append(f"  xmlns:{prefix}={quoteattr(ns)}")
    lines[-1] += ">"
    for subject in sorted(set(graph.subjects()), key=sort_key):
        lines.append(f"  <rdf:Description {_node_attr(subject)}>")
        for p, o in sorted(graph.predicate_objects(subject), key=lambda po: (str(po[0]), sort_key(po[1]))):
            tag = predicates[p]
            if isinstance(o, URIRef):
                lines.append(f"    <{tag} rdf:resource={quoteattr(str(o))}/>")
            elif isinstance(o, BNode):
                lines.append(f"    <{tag} rdf:nodeID={quoteattr(str(o))}/>")
            else:
                assert isinstance(o, Literal)
                attrs = ""
                if o.language:
                    attrs = f" xml:lang={quoteattr(o.language)}"
                elif o.datatype is not None:
                    attrs = f" rdf:datatype={quoteattr(str(o.datatype))}"
                lines.append(f"    <{tag}{attrs}>{escape(str(o))}</{tag}>")
        lines.append("  </rdf:Description>")
    lines.append("</rdf:RDF>")
    return ("\n".join(lines) + "\n").encode("utf-8")
