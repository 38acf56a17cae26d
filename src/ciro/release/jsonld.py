"""JSON-LD of a release graph, written directly: the bytes rdflib's JSON-LD serializer gave, sorted, in far less time.

The release used rdflib's serializer (expanded form, no context) and then sorted every unordered array
(rdflib emits them in hash order), so that the file is reproducible. At 100,000 evidence items the
serializer and the sort took minutes. This writes the same document from a subject table: the same node
objects (every IRI subject, every blank node no triple points at, and every blank node reached from them;
well-formed rdf:Lists as "@list"), each array sorted by the same key (its items' `json.dumps(sort_keys=True)`),
the same `json.dumps(indent=1, sort_keys=True, ensure_ascii=False)` layout. tests/test_build.py compares it
with rdflib's output.
"""

from __future__ import annotations

import json

from rdflib import BNode, Literal, URIRef

from .triples import Triples
from .vocab import RDF, XSD

__all__ = ["serialize_jsonld"]

_NATIVE = frozenset({XSD.boolean, XSD.integer, XSD.double, XSD.string})
_key = json.dumps  # the sort key of one item: its JSON text (ASCII-escaped, default separators)


def _bnode(node: BNode) -> str:
    return f"_:{node}"


class _Writer:
    def __init__(self, spo: dict):
        self.spo = spo
        self.nodes: dict[str, tuple[str, dict]] = {}  # node id -> (sort key, node)

    def collection(self, head) -> list | None:
        """The items of the rdf:List at `head`, or None when it is not a well-formed list (rdflib's rule)."""
        if head != RDF.nil and not self.spo.get(head, {}).get(RDF.first):
            return None
        items, seen = [], {head}
        while head:
            if head == RDF.nil:
                return items
            if isinstance(head, URIRef):
                return None
            first = rest = None
            for p, objects in self.spo.get(head, {}).items():
                for o in objects:
                    if first is None and p == RDF.first:
                        first = o
                    elif rest is None and p == RDF.rest:
                        rest = o
                    elif p != RDF.type or o != RDF.List:
                        return None
            items.append(first)
            head = rest
            if head in seen:
                return None
            seen.add(head)
        return items

    def value(self, o) -> tuple[str, object]:
        """(sort key, JSON value) of one object."""
        items = self.collection(o) if not isinstance(o, Literal) else None
        if items is not None:
            values = [self.value(item) for item in items]  # a list keeps its order
            return '{"@list": [' + ", ".join(k for k, _ in values) + "]}", {"@list": [v for _, v in values]}
        if isinstance(o, BNode):
            self.node(o)
            ident = _bnode(o)
            return '{"@id": ' + _key(ident) + "}", {"@id": ident}
        if isinstance(o, URIRef):
            return '{"@id": ' + _key(str(o)) + "}", {"@id": str(o)}
        text = str(o)
        if o.datatype:
            # rdflib passes use_native_types as a tuple, always true: these four come out as JSON values
            value = o.toPython() if o.datatype in _NATIVE else text
            return ('{"@type": ' + _key(str(o.datatype)) + ', "@value": ' + _key(value) + "}",
                    {"@type": str(o.datatype), "@value": value})
        if o.language:
            return ('{"@language": ' + _key(o.language) + ', "@value": ' + _key(text) + "}",
                    {"@language": o.language, "@value": text})
        return '{"@value": ' + _key(text) + "}", {"@value": text}

    def node(self, s) -> None:
        ident = str(s) if isinstance(s, URIRef) else _bnode(s)
        if ident in self.nodes:
            return
        self.nodes[ident] = ("", {})  # claimed before its values are written (a value may lead back here)
        fields: dict[str, list] = {}
        for p, objects in self.spo[s].items():
            if p == RDF.type:
                types = [(_key(str(o)), str(o)) if isinstance(o, URIRef) else self.value(o) for o in objects]
                fields["@type"] = types
            else:
                fields[str(p)] = [self.value(o) for o in objects]
        node = {"@id": ident}
        parts = ['"@id": ' + _key(ident)]
        for name in sorted(fields):
            values = sorted(fields[name], key=lambda kv: kv[0])
            node[name] = [v for _, v in values]
            parts.append(_key(name) + ": [" + ", ".join(k for k, _ in values) + "]")
        self.nodes[ident] = ("{" + ", ".join(parts) + "}", node)


def serialize_jsonld(graph: Triples) -> str:
    """The JSON-LD text of `graph` (expanded form, every array sorted), ending in a newline."""
    spo = graph.by_subject()
    referenced = {o for po in spo.values() for objects in po.values() for o in objects if isinstance(o, BNode)}
    writer = _Writer(spo)
    for s in spo:
        if isinstance(s, URIRef) or (isinstance(s, BNode) and s not in referenced):
            writer.node(s)
    nodes = [node for _, node in sorted(writer.nodes.values(), key=lambda kv: kv[0])]
    return json.dumps(nodes, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
