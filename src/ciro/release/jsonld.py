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
import tempfile
from json.encoder import encode_basestring, encode_basestring_ascii
from pathlib import Path

from rdflib import BNode, Literal, URIRef

from .triples import Triples
from .vocab import RDF, XSD

__all__ = ["serialize_jsonld", "write_jsonld", "jsonld_chunks"]

_NATIVE = frozenset({XSD.boolean, XSD.integer, XSD.double, XSD.string})
_key = encode_basestring_ascii  # the sort key of a string: its JSON text, as json.dumps writes it (ASCII-escaped)
_text = encode_basestring  # a string as the file holds it (ensure_ascii=False)
_FIRST, _REST, _NIL, _TYPE, _LIST = RDF.first, RDF.rest, RDF.nil, RDF.type, RDF.List
# Membership in one-term sets, not `==`: rdflib's term __eq__ is Python code, and these tests run per triple.
_FIRSTS, _RESTS, _NILS, _TYPES, _LISTS = (frozenset({t}) for t in (_FIRST, _REST, _NIL, _TYPE, _LIST))


def _bnode(node: BNode) -> str:
    return f"_:{node}"


def _array(items: list[str], depth: int) -> str:
    """A JSON array of already written items, laid out as json.dumps(indent=1) lays it out at `depth`."""
    if not items:
        return "[]"
    inner = "\n" + " " * (depth + 1)
    return "[" + inner + ("," + inner).join(items) + "\n" + " " * depth + "]"


def _object(pairs: list[tuple[str, str]], depth: int) -> str:
    """A JSON object of (key text, value text) pairs, in that order, at `depth`."""
    inner = "\n" + " " * (depth + 1)
    return "{" + inner + ("," + inner).join(f"{k}: {v}" for k, v in pairs) + "\n" + " " * depth + "}"


_PADS = ["\n" + " " * depth for depth in range(64)]


def _one(key: str, value: str, depth: int) -> str:
    """_object([(key, value)], depth), the most common node value ({"@id": ...}, {"@value": ...}), in one step."""
    if depth + 1 >= len(_PADS):
        return _object([(key, value)], depth)
    return "{" + _PADS[depth + 1] + key + ": " + value + _PADS[depth] + "}"


class _Writer:
    """Node objects as text, each with its sort key (its json.dumps(sort_keys=True) text)."""

    def __init__(self, spo: dict, spill):
        self.spo = spo
        # node id -> (sort key, offset, size) of its text in `spill`, a temporary file: the nodes are written in
        # the order of their ids, and held in memory until then they were the size of the file (GBs at 100k)
        self.nodes: dict[str, tuple[str, int, int]] = {}
        self.spill = spill
        self.spilled = 0

    def collection(self, head) -> list | None:
        """The items of the rdf:List at `head`, or None when it is not a well-formed list (rdflib's rule)."""
        if type(head) is not BNode and head not in _NILS:
            return None
        if head not in _NILS and not self.spo.get(head, {}).get(_FIRST):
            return None
        items, seen = [], {head}
        while head:
            if head in _NILS:
                return items
            if isinstance(head, URIRef):
                return None
            first = rest = None
            for p, objects in self.spo.get(head, {}).items():
                for o in objects:
                    if first is None and p in _FIRSTS:
                        first = o
                    elif rest is None and p in _RESTS:
                        rest = o
                    elif p not in _TYPES or o not in _LISTS:
                        return None
            items.append(first)
            head = rest
            if head in seen:
                return None
            seen.add(head)
        return items

    def value(self, o, depth: int) -> tuple[str, str]:
        """(sort key, text at `depth`) of one object."""
        kind = type(o)
        if kind is not Literal:
            items = self.collection(o)
            if items is not None:  # a list keeps its order
                values = [self.value(item, depth + 2) for item in items]
                return ('{"@list": [' + ", ".join(k for k, _ in values) + "]}",
                        _object([('"@list"', _array([t for _, t in values], depth + 1))], depth))
            if kind is BNode or isinstance(o, BNode):
                self.node(o)
                ident = _bnode(o)
            else:
                ident = str(o)
            return '{"@id": ' + _key(ident) + "}", _one('"@id"', _text(ident), depth)
        text = str(o)
        if o.datatype:
            if o.datatype in _NATIVE:  # rdflib passes use_native_types as a tuple, always true: JSON values
                value = o.toPython()
                key = text_value = _key(value) if isinstance(value, str) else json.dumps(value)
                if isinstance(value, str):
                    text_value = _text(value)
            else:
                key, text_value = _key(text), _text(text)
            return ('{"@type": ' + _key(str(o.datatype)) + ', "@value": ' + key + "}",
                    _object([('"@type"', _text(str(o.datatype))), ('"@value"', text_value)], depth))
        if o.language:
            return ('{"@language": ' + _key(o.language) + ', "@value": ' + _key(text) + "}",
                    _object([('"@language"', _text(o.language)), ('"@value"', _text(text))], depth))
        return '{"@value": ' + _key(text) + "}", _one('"@value"', _text(text), depth)

    def node(self, s) -> None:
        ident = str(s) if isinstance(s, URIRef) else _bnode(s)
        if ident in self.nodes:
            return
        self.nodes[ident] = ("", 0, 0)  # claimed before its values are written (a value may lead back here)
        fields: dict[str, list[tuple[str, str]]] = {}
        for p, objects in self.spo[s].items():
            if p in _TYPES:
                fields["@type"] = [(_key(str(o)), _text(str(o))) if isinstance(o, URIRef) else self.value(o, 3)
                                   for o in objects]
            else:
                fields[str(p)] = [self.value(o, 3) for o in objects]
        pairs = [('"@id"', _text(ident))]
        for name in sorted(fields):
            values = sorted(fields[name])
            pairs.append((_text(name), _array([t for _, t in values], 2)))
        # The sort key of a node would be its whole compact JSON, '{"@id": "<id>", ...}'; ids are unique, so the
        # JSON text of the id alone (with its closing quote) orders the nodes the same way, in far less memory.
        data = _object(pairs, 1).encode("utf-8")
        self.spill.write(data)
        self.nodes[ident] = (_key(ident), self.spilled, len(data))
        self.spilled += len(data)


def jsonld_chunks(graph: Triples, spill_dir=None):
    """The JSON-LD text of `graph` (expanded form, every array sorted) in pieces, ending in a newline; the node
    texts wait in a temporary file in `spill_dir` (the system's default when None) until they are sorted."""
    spo = graph.by_subject()
    referenced = {o for po in spo.values() for objects in po.values() for o in objects if type(o) is BNode}
    with tempfile.TemporaryFile(dir=spill_dir) as spill:
        writer = _Writer(spo, spill)
        for s in spo:
            if isinstance(s, URIRef) or (isinstance(s, BNode) and s not in referenced):
                writer.node(s)
        nodes = sorted(writer.nodes.values())
        writer.nodes.clear()
        if not nodes:
            yield "[]\n"
            return
        yield "[\n "
        for n, (_key_text, offset, size) in enumerate(nodes):
            spill.seek(offset)
            text = spill.read(size).decode("utf-8")
            yield text if n == 0 else ",\n " + text
        yield "\n]\n"


def serialize_jsonld(graph: Triples) -> str:
    return "".join(jsonld_chunks(graph))


def write_jsonld(graph: Triples, path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.writelines(jsonld_chunks(graph, Path(path).parent))
