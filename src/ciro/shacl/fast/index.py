"""The data side of the fast SHACL engine: RDF terms in plain Python, a triple index, records -> triples.

Terms: an IRI is a `str`, a plain literal a 1-tuple `(text,)`, any other literal an rdflib `Literal` (kept
whole: a datatype check needs rdflib's lexical rules), a blank node an rdflib `BNode`. The records of a KB
become triples by the rules `rdf.RdfMapper` compiles from the schema (every IRI and datatype decided by the
schema), without an rdflib graph: into a TripleIndex, or as N-Triples (the fast build path).
"""

from __future__ import annotations

import gc
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rdflib import RDF, RDFS, BNode, Graph, Literal

__all__ = ["TripleIndex", "ntriples_from_records", "term_from_rdflib", "term_kind", "term_text", "nt_term", "nt_line",
           "gc_paused", "TYPE", "SUBCLASS"]

TYPE, SUBCLASS = str(RDF.type), str(RDFS.subClassOf)
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_NT_IRI = str.maketrans({c: f"\\u{ord(c):04X}" for c in '<>"{}|^`\\ \t\n\r'})
_NT_TEXT = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


def term_kind(term) -> str:
    cls = type(term)
    return "iri" if cls is str else "blank" if cls is BNode else "literal"


def term_text(term) -> str:
    """The string pyshacl reports for a term: an IRI, a literal's (rdflib-normalised) lexical form, a bnode id."""
    return term[0] if type(term) is tuple else str(term)


def term_from_rdflib(term):
    if isinstance(term, Literal):
        return (str(term),) if term.datatype is None and term.language is None else term
    if isinstance(term, BNode):
        return term
    return str(term)


class TripleIndex:
    """A set of triples as subject -> predicate -> list of objects (a repeated triple is stored once)."""

    def __init__(self) -> None:
        self.spo: dict = {}
        self._ops: dict | None = None

    def ops(self) -> dict:
        """object -> predicate -> subjects (built on first use: inverse paths and sh:targetObjectsOf)."""
        if self._ops is None:
            ops: dict = {}
            for s, po in self.spo.items():
                for p, objs in po.items():
                    for o in objs:
                        ops.setdefault(o, {}).setdefault(p, []).append(s)
            self._ops = ops
        return self._ops

    def add(self, s, p: str, o) -> None:
        po = self.spo.get(s)
        if po is None:
            self.spo[s] = {p: [o]}
        elif p not in po:
            po[p] = [o]
        elif o not in po[p]:
            po[p].append(o)

    def __len__(self) -> int:
        return sum(len(objs) for po in self.spo.values() for objs in po.values())

    def triples(self, predicates: set[str] | None = None) -> Iterator[tuple]:
        for s, po in self.spo.items():
            for p, objs in po.items():
                if predicates is None or p in predicates:
                    for o in objs:
                        yield s, p, o

    @classmethod
    def from_graph(cls, graph: Graph) -> TripleIndex:
        index = cls()
        for s, p, o in graph:
            index.add(term_from_rdflib(s), str(p), term_from_rdflib(o))
        return index

    @classmethod
    def from_file(cls, path: Path) -> TripleIndex:
        """The triples of an RDF file (N-Triples, Turtle ...: by its suffix), read with pyoxigraph's parser
        (no rdflib graph); literals become the index's terms as from_graph makes them."""
        import pyoxigraph as ox

        formats = {".nt": ox.RdfFormat.N_TRIPLES, ".ttl": ox.RdfFormat.TURTLE, ".owl": ox.RdfFormat.RDF_XML,
                   ".rdf": ox.RdfFormat.RDF_XML, ".nq": ox.RdfFormat.N_QUADS}
        index = cls()
        literals: dict = {}

        def term(t):
            if isinstance(t, ox.NamedNode):
                return t.value
            if isinstance(t, ox.BlankNode):
                return BNode(t.value)
            key = (t.value, t.language, t.datatype.value)
            found = literals.get(key)
            if found is None:
                if t.language:
                    found = Literal(t.value, lang=t.language)
                elif t.datatype.value == _XSD_STRING:
                    found = (t.value,)
                else:
                    found = Literal(t.value, datatype=t.datatype.value)
                literals[key] = found
            return found

        spo = index.spo
        with gc_paused(), _quiet_rdflib():
            for quad in ox.parse(path=str(path), format=formats.get(Path(path).suffix, ox.RdfFormat.TURTLE)):
                s = term(quad.subject)
                po = spo.get(s)
                if po is None:
                    po = spo[s] = {}
                objs = po.get(quad.predicate.value)
                if objs is None:
                    po[quad.predicate.value] = [term(quad.object)]
                else:
                    objs.append(term(quad.object))
            for po in spo.values():  # a triple repeated in the file is kept once (appending was cheaper)
                for p, objs in po.items():
                    if len(objs) > 1:
                        po[p] = list(dict.fromkeys(objs))
        return index

    @classmethod
    def from_records(cls, data: dict[str, list[dict]], schema_path: Path) -> TripleIndex:
        """The triples `rdf.kb_to_graph(data, schema_path)` makes (a test checks the graphs are isomorphic)."""
        index = cls()
        spo = index.spo
        with gc_paused():
            for subject, po in _record_nodes(data, schema_path):
                known = spo.get(subject)
                if known is None:
                    spo[subject] = po
                    continue
                for p, objs in po.items():  # the same id in two records (an error the checks report)
                    for o in objs:
                        index.add(subject, p, o)
        return index

    def to_ntriples(self, predicates: set[str] | None = None) -> bytes:
        return "".join(nt_line(s, p, o) for s, p, o in self.triples(predicates)).encode("utf-8")

    def types(self, node) -> list:
        po = self.spo.get(node)
        return po.get(TYPE, []) if po else []


def nt_term(term) -> str:
    cls = type(term)
    if cls is str:
        return f"<{term.translate(_NT_IRI)}>"
    if cls is tuple:
        return f'"{term[0].translate(_NT_TEXT)}"'
    if cls is BNode:
        return f"_:b{re.sub(r'[^A-Za-z0-9]', '_', str(term))}"
    if term.language:
        suffix = f"@{term.language}"
    else:
        suffix = f"^^<{term.datatype.translate(_NT_IRI)}>" if term.datatype else ""
    return f'"{str(term).translate(_NT_TEXT)}"{suffix}'


def nt_line(s, p: str, o) -> str:
    return f"{nt_term(s)} {nt_term(p)} {nt_term(o)} .\n"


def _record_nodes(data: dict[str, list[dict]], schema_path: Path) -> Iterator[tuple[str, dict[str, list]]]:
    """(subject, {predicate: [objects]}) for every record and inlined record, by the rules `rdf.RdfMapper`
    compiles from the schema (IRIs, datatypes, enum meanings).

    Mirrors RdfMapper.add_record, with the CURIE expansion memoised per prefix; records that mapper cannot
    map (not a mapping, or without an id) are skipped. A repeated object of one slot is kept once.
    """
    from ...curate.rdf import RdfMapper

    mapper = RdfMapper.from_schema(schema_path)
    iri = _expander(mapper.expand)
    plans = {name: (str(rule.class_iri), {s.name: (str(s.predicate), s.kind, s.datatype,
                                                   {k: str(v) for k, v in s.enum_values}, s.inlined_class)
                                          for s in rule.slots})
             for name, rule in mapper.classes.items()}
    out: list[tuple[str, dict[str, list]]] = []

    def node(class_name: str, record: dict) -> str:
        class_iri, slots = plans[class_name]
        subject = iri(str(record["id"]))
        po: dict[str, list] = {TYPE: [class_iri]}
        for name, value in record.items():  # the fields present, not every slot of the class
            slot = slots.get(name)
            if slot is None or value is None:
                continue
            predicate, kind, datatype, enum, inlined = slot
            items = value if isinstance(value, list) else (value,)
            if kind == "iri":
                objs = [iri(str(item)) for item in items]
            elif kind == "enum":
                objs = [enum.get(str(item)) or (str(item),) for item in items]
            elif kind == "inlined":
                objs = [node(inlined, item) for item in items if isinstance(item, dict) and "id" in item]
            elif datatype is not None:
                objs = [Literal(item, datatype=datatype) for item in items]
            else:
                objs = [(str(item),) for item in items]
            if objs:
                po[predicate] = objs if len(objs) == 1 else list(dict.fromkeys(objs))
        out.append((subject, po))
        return subject

    with _quiet_rdflib():
        for slot, records in data.items():
            class_name = mapper.tree_slots[slot]
            for record in records:
                if isinstance(record, dict) and "id" in record:
                    node(class_name, record)
                    yield from out
                    out.clear()


@contextmanager
def gc_paused():
    """Pause the cyclic garbage collector while building millions of small acyclic objects: each collection
    walks every live object, so at 100k evidence items it triples the time of an index build."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def _quiet_rdflib():
    """rdflib logs a traceback for every ill-typed literal it builds (year: 2020a); the checks report those."""
    logger = logging.getLogger("rdflib.term")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _expander(expand):
    """`expand` (LinkML's expand_curie), memoised: for a CURIE with one colon it is expand('P:') + local."""
    bases: dict[str, str] = {}
    seen: dict[str, str] = {}  # one string object per IRI, shared by every triple that uses it

    def iri(curie: str) -> str:
        found = seen.get(curie)
        if found is not None:
            return found
        prefix, colon, local = curie.partition(":")
        if colon and ":" not in local:
            base = bases.get(prefix)
            if base is None:
                base = bases[prefix] = expand(prefix + ":")
            value = base + local
        else:
            value = expand(curie)
        seen[curie] = value
        return value

    return iri


def ntriples_from_records(data: dict[str, list[dict]], schema_path: Path) -> Iterator[bytes]:
    """The records as N-Triples, in chunks of ~10,000 lines (the fast build path: no rdflib graph)."""
    lines: list[str] = []
    for subject, po in _record_nodes(data, schema_path):  # (chunks are short-lived: the collector may run)
        s = nt_term(subject)
        for p, objs in po.items():
            p_term = nt_term(p)
            lines.extend(f"{s} {p_term} {nt_term(o)} .\n" for o in objs)
        if len(lines) >= 10_000:
            yield "".join(lines).encode("utf-8")
            lines = []
    if lines:
        yield "".join(lines).encode("utf-8")


