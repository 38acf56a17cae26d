"""Turn knowledge-base records into RDF triples, with every IRI and datatype taken from the schema.

This does what LinkML's rdflib dumper does for CIRO's records (a test checks the two graphs are
isomorphic), but from a table compiled once from the SchemaView, so it is fast enough for large KBs and
emits no blank node for the KnowledgeBase container.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

from rdflib import RDF, XSD, Graph, Literal, URIRef

__all__ = ["SlotRule", "ClassRule", "RdfMapper", "kb_to_graph", "plain_literal"]


def plain_literal(text: str) -> Literal:
    """Literal(text) for a str with no datatype and no language, made without rdflib's constructor: what it does
    for such a value comes down to these four fields (tests/test_rdf.py compares the two on awkward strings), and
    it costs ~2.5 us of Python per literal, a large share of building a 100,000-item release's graphs."""
    if type(text) is not str:
        return Literal(text)
    literal = str.__new__(Literal, text)
    literal._language = literal._datatype = literal._ill_typed = None
    literal._value = text
    return literal

# LinkML built-in types that become typed literals; plain strings stay plain (as LinkML emits them).
_DATATYPES = {
    "integer": XSD.integer,
    "float": XSD.float,
    "double": XSD.double,
    "boolean": XSD.boolean,
    "date": XSD.date,
    "datetime": XSD.dateTime,
    "decimal": XSD.decimal,
}


@dataclass(frozen=True)
class SlotRule:
    """How one slot of one class becomes triples."""

    name: str
    predicate: URIRef
    kind: str  # "literal" | "iri" | "enum" | "inlined"
    datatype: URIRef | None = None
    enum_values: tuple[tuple[str, URIRef], ...] = ()
    inlined_class: str | None = None

    @cached_property
    def meanings(self) -> dict[str, URIRef]:  # enum value -> its meaning's IRI, made once (not once per value mapped)
        return dict(self.enum_values)


@dataclass(frozen=True)
class ClassRule:
    """How records of one class become triples."""

    name: str
    class_iri: URIRef
    slots: tuple[SlotRule, ...]


class RdfMapper:
    """Compiled mapping from schema to RDF; build once per schema with `from_schema`."""

    def __init__(self, classes: dict[str, ClassRule], expand, tree_slots: dict[str, str]):
        self.classes = classes
        self.expand = expand
        self.tree_slots = tree_slots  # KnowledgeBase slot -> record class
        self._iris: dict[str, URIRef] = {}  # CURIE -> its IRI while kb_to_graph runs (see _node)

    @classmethod
    def from_schema(cls, schema_path: Path) -> RdfMapper:
        from .schemaindex import schema_digest

        # keyed on the schema's content as well as its path, so that a long-lived process sees an edited schema
        return _compiled(str(schema_path), schema_digest(Path(schema_path)))

    def iri(self, curie: str) -> URIRef:
        return URIRef(self.expand(curie))

    def _node(self, curie: str) -> URIRef:
        """iri(), made once per CURIE while a graph is built: an id is named again by every reference to it, and
        rdflib's URIRef constructor is Python code; kb_to_graph empties the table when it is done."""
        found = self._iris.get(curie)
        if found is None:
            found = self._iris[curie] = URIRef(self.expand(curie))
        return found

    def add_record(self, graph: Graph, class_name: str, record: dict) -> None:
        """Add the triples of one record (and of its inlined records) to `graph`."""
        rule = self.classes[class_name]
        subject = self._node(str(record["id"]))
        graph.add((subject, RDF.type, rule.class_iri))
        for slot in rule.slots:
            value = record.get(slot.name)
            if value is None:
                continue
            for item in value if isinstance(value, list) else [value]:
                obj = self._object(graph, slot, item)
                if obj is not None:
                    graph.add((subject, slot.predicate, obj))

    def _object(self, graph: Graph, slot: SlotRule, item):
        if slot.kind == "inlined":
            self.add_record(graph, slot.inlined_class, item)
            return self._node(str(item["id"]))
        if slot.kind == "iri":
            return self._node(str(item))
        if slot.kind == "enum":
            meaning = slot.meanings.get(str(item))
            return meaning if meaning is not None else Literal(str(item))
        if slot.datatype is not None:
            return Literal(item, datatype=slot.datatype)
        return plain_literal(str(item))


@cache
def _compiled(schema_path: str, content_digest: str) -> RdfMapper:
    """The mapper, from its table kept on disk as JSON (SchemaView and its import take most of a second)."""
    import json

    from .schemaindex import _linkml_version, cached_text

    table = json.loads(cached_text("rdfmap", f"{content_digest}-linkml{_linkml_version()}.json",
                                   lambda: json.dumps(_table(schema_path))))
    namespaces = table["namespaces"]

    def expand(curie: str) -> str:  # SchemaView.expand_curie, on the schema's namespaces
        if ":" in curie:
            parts = curie.split(":")
            if len(parts) == 2 and parts[0] in namespaces:
                return namespaces[parts[0]] + parts[1]
        return curie

    classes = {
        name: ClassRule(name, URIRef(iri), tuple(
            SlotRule(slot, URIRef(predicate), kind, URIRef(datatype) if datatype else None,
                     tuple((value, URIRef(meaning)) for value, meaning in enum_values), inlined)
            for slot, predicate, kind, datatype, enum_values, inlined in rules))
        for name, (iri, rules) in table["classes"].items()
    }
    return RdfMapper(classes, expand, table["tree_slots"])


def _table(schema_path: str) -> dict:
    """The mapping as plain JSON: each class's IRI and slot rules, the tree slots, the schema's namespaces."""
    from linkml_runtime.utils.schemaview import SchemaView  # heavy import, only when the schema changed

    view = SchemaView(schema_path)
    expand = view.expand_curie
    classes: dict[str, list] = {}
    for class_name, cdef in view.all_classes().items():
        if cdef.abstract or cdef.tree_root:
            continue
        rules = []
        for slot in view.class_induced_slots(class_name):
            if slot.identifier:
                continue
            predicate = str(view.get_uri(slot, expand=True))
            rng = slot.range or view.schema.default_range
            if rng in view.all_enums():
                enum = view.get_enum(rng)
                values = [[str(name), str(expand(pv.meaning))] for name, pv in enum.permissible_values.items()
                          if pv.meaning]
                rules.append([str(slot.name), predicate, "enum", None, values, None])
            elif rng in view.all_classes():
                target = view.get_class(rng)
                inlined = slot.inlined or slot.inlined_as_list
                has_id = any(s.identifier for s in view.class_induced_slots(rng))
                if inlined and has_id and not target.tree_root:
                    rules.append([str(slot.name), predicate, "inlined", None, [], str(rng)])
                else:
                    rules.append([str(slot.name), predicate, "iri", None, [], None])
            elif rng in ("uriorcurie", "uri"):
                rules.append([str(slot.name), predicate, "iri", None, [], None])
            else:
                base = view.induced_type(rng).base if rng in view.all_types() else "str"
                datatype = _DATATYPES.get(rng) or _DATATYPES.get(str(base).lower())
                rules.append([str(slot.name), predicate, "literal", str(datatype) if datatype else None, [], None])
        rules.sort(key=lambda r: r[0])
        classes[str(class_name)] = [str(view.get_uri(cdef, expand=True)), rules]
    root = next(c for c in view.all_classes().values() if c.tree_root)
    tree_slots = {str(s.name): str(s.range) for s in view.class_induced_slots(root.name)}
    namespaces = {str(k): str(v) for k, v in view.namespaces().items()}
    return {"classes": classes, "tree_slots": tree_slots, "namespaces": namespaces}


def kb_to_graph(data: dict[str, list[dict]], schema_path: Path, graph: Graph | None = None) -> Graph:
    """All records of a KB dict (KnowledgeBase slot -> records) as one RDF graph."""
    mapper = RdfMapper.from_schema(schema_path)
    graph = graph if graph is not None else Graph()
    try:
        for slot, records in data.items():
            for record in records:
                mapper.add_record(graph, mapper.tree_slots[slot], record)
    finally:
        mapper._iris.clear()  # the mapper is cached per schema: keep no KB's IRIs alive after the graph is built
    return graph
