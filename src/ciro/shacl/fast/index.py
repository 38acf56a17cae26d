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

__all__ = ["TripleIndex", "ntriples_from_records", "curie_expander", "term_from_rdflib", "term_kind", "term_text",
           "nt_term", "nt_line", "gc_paused", "TYPE", "SUBCLASS"]

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
        return cls._from_nodes(_record_nodes(data, schema_path))

    @classmethod
    def from_kb_records(cls, kinds, records, first: dict, kept_of, schema_path: Path) -> TripleIndex:
        """from_records of the records validate._rdf_data makes when no value is malformed, straight from the
        records as read (see _kb_record_nodes; a test compares the two on KBs with errors of every kind)."""
        return cls._from_nodes(_kb_record_nodes(kinds, records, first, kept_of, schema_path))

    @classmethod
    def _from_nodes(cls, nodes) -> TripleIndex:
        index = cls()
        spo = index.spo
        with gc_paused():
            for subject, po in nodes:
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


_IRI, _ENUM, _INLINED, _TYPED, _TEXT = range(5)  # how a slot's values become objects (_node_builder)


def _node_builder(schema_path: Path, kept_of=None):
    """(node, tree slots): node(class name, fields, out, kind=None, children=None) appends to `out` the
    (subject, {predicate: [objects]}) of a record (its inlined records' first) and returns its subject, by the
    rules `rdf.RdfMapper` compiles from the schema (IRIs, datatypes, enum meanings).

    Mirrors RdfMapper.add_record, with the CURIE expansion memoised per prefix; a repeated object of one slot is
    kept once. `fields` is the record's mapping as the RDF holds it; or, with `kind` (a loader.Record's), its
    mapping as read, of which only the fields in `kept_of(kind)` count (the slots of its class), has_evidence
    apart (its records are `children`, loader.Records), and "id" whatever `kept_of` says: what
    validate._rdf_data would have made of it, without that copy.
    """
    from ...curate.rdf import RdfMapper

    mapper = RdfMapper.from_schema(schema_path)
    iri, seen = _expander(mapper.expand)
    seen_get = seen.get

    def code(s) -> int:
        if s.kind == "iri":
            return _IRI
        if s.kind == "enum":
            return _ENUM
        if s.kind == "inlined":
            return _INLINED
        return _TYPED if s.datatype is not None else _TEXT

    plans = {name: (str(rule.class_iri), {s.name: (str(s.predicate), code(s), s.datatype,
                                                   {k: str(v) for k, v in s.enum_values}, s.inlined_class)
                                          for s in rule.slots})
             for name, rule in mapper.classes.items()}

    def objects(slot: tuple, value, out: list) -> list:
        _predicate, kind, datatype, enum, inlined = slot
        items = value if isinstance(value, list) else (value,)
        if kind == _IRI:
            objs = [iri(str(item)) for item in items]
        elif kind == _ENUM:
            objs = [enum.get(str(item)) or (str(item),) for item in items]
        elif kind == _INLINED:
            objs = [node(inlined, item, out) for item in items if isinstance(item, dict) and "id" in item]
        elif kind == _TYPED:
            objs = [Literal(item, datatype=datatype) for item in items]
        else:
            objs = [(str(item),) for item in items]
        return objs if len(objs) <= 1 else list(dict.fromkeys(objs))

    kept_plans: dict = {}

    def kept_plan(class_name: str, kind: str) -> tuple:
        """The class's plan for a record as read of this kind: only its kept fields' slots (has_evidence
        apart), and the id's slot when the id is not among them (validate._rdf_data adds it last)."""
        key = (class_name, kind)
        found = kept_plans.get(key)
        if found is None:
            class_iri, slots = plans[class_name]
            kept = kept_of(kind)
            found = kept_plans[key] = (class_iri, {n: s for n, s in slots.items() if n in kept and n != "has_evidence"},
                                       slots.get("id") if "id" not in kept else None, slots.get("has_evidence"))
        return found

    def node(class_name: str, fields: dict, out: list, kind: str | None = None, children=None) -> str:
        if kind is None:
            class_iri, slots = plans[class_name]
        else:
            class_iri, slots, id_slot, evidence_slot = kept_plan(class_name, kind)
        rid = fields["id"]
        subject = seen_get(rid) if type(rid) is str else None
        if subject is None:
            subject = iri(str(rid))
        po: dict[str, list] = {TYPE: [class_iri]}
        slots_get = slots.get
        for name, value in fields.items():  # the fields present, not every slot of the class
            slot = slots_get(name)
            if slot is None or value is None:
                continue
            code = slot[1]
            if type(value) is str and code == _IRI:  # (the common cases: one link, one text, one enum value)
                found = seen_get(value)
                po[slot[0]] = [found if found is not None else iri(value)]
            elif type(value) is str and code == _TEXT:
                po[slot[0]] = [(value,)]
            elif type(value) is str and code == _ENUM:
                po[slot[0]] = [slot[3].get(value) or (value,)]
            else:
                objs = objects(slot, value, out)
                if objs:
                    po[slot[0]] = objs
        if kind is not None:
            if id_slot is not None:
                po[id_slot[0]] = objects(id_slot, rid, out)
            if children and evidence_slot is not None:
                objs = [node(evidence_slot[4], child.data, out, child.kind) for child in children]
                po[evidence_slot[0]] = objs if len(objs) == 1 else list(dict.fromkeys(objs))
        out.append((subject, po))
        return subject

    return node, mapper.tree_slots


def _record_nodes(data: dict[str, list[dict]], schema_path: Path) -> Iterator[tuple[str, dict[str, list]]]:
    """(subject, {predicate: [objects]}) for every record and inlined record (see _node_builder); records that
    the mapper cannot map (not a mapping, or without an id) are skipped."""
    node, tree_slots = _node_builder(schema_path)
    out: list[tuple[str, dict[str, list]]] = []
    with _quiet_rdflib():
        for slot, records in data.items():
            class_name = tree_slots[slot]
            for record in records:
                if isinstance(record, dict) and "id" in record:
                    node(class_name, record, out)
                    yield from out
                    out.clear()


def _kb_record_nodes(kinds, records, first: dict, kept_of, schema_path: Path) -> Iterator[tuple[str, dict]]:
    """What _record_nodes gives for validate._rdf_data's records when no value is malformed, straight from the
    records as read (loader.Record: kind, data, parent, id), without that copy: each id's `first` record (a
    duplicate, or a record without a usable id, is left out, with its evidence), its fields in `kept_of(kind)`
    (the slot names of its kind's class), its evidence items under has_evidence; `kinds` in kb.data's order."""
    node, tree_slots = _node_builder(schema_path, kept_of)
    tops: dict[str, list] = {kind: [] for kind in kinds}
    children: dict[int, list] = {}
    usable = {id(record) for record in first.values()}  # (cheaper than each record's id property)
    for record in records:
        if id(record) not in usable:
            continue
        if record.parent is None:
            tops[record.kind].append(record)
            children[id(record)] = []
        else:
            found = children.get(id(record.parent))
            if found is not None:
                found.append(record)
    out: list[tuple[str, dict[str, list]]] = []
    with _quiet_rdflib():
        for kind, kept_records in tops.items():
            class_name = tree_slots[kind]
            for record in kept_records:
                node(class_name, record.data, out, kind, children[id(record)])
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


def curie_expander(schema_path: Path):
    """CURIE -> IRI text, as `rdf.RdfMapper.iri` expands it (memoised per prefix: no rdflib term made)."""
    from ...curate.rdf import RdfMapper

    return _expander(RdfMapper.from_schema(schema_path).expand)[0]


def _expander(expand):
    """`expand` (LinkML's expand_curie), memoised: for a CURIE with one colon it is expand('P:') + local; and
    the memo (CURIE -> IRI)."""
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

    return iri, seen


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


