"""A plain in-memory triple set with the few look-ups the release needs.

The release writers and QC used to work on rdflib graphs; at 100,000 evidence items adding to, copying and
querying rdflib's store took most of `ciro build` (docs/performance.md). This holds the same rdflib terms
(URIRef, BNode, Literal) in a dict of dicts of sets, subject first, with a predicate index built on demand.
It offers the part of rdflib's Graph API that `tbox`, `terms`, `evidence`, `owl` and `qc` use, so that they
run on either.

Terms are interned as they are added (one object per IRI, literal or blank node; the graphs a release makes
from one another share the table): set and dict look-ups then stop at `is`, and rdflib's `__eq__`, which is
Python code, is not called millions of times by the writers, QC and the class view. Equal copies made by the
writers of the records are also dropped (less memory at 100,000 items).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

__all__ = ["Triples"]


class Triples:
    """A set of (subject, predicate, object) of rdflib terms, with bound namespaces. Per (subject, predicate) the
    objects are a 1-tuple or, from the second on, a set."""

    def __init__(self, triples: Iterable[tuple] = (), terms: dict | None = None):
        self._terms: dict = _seeded() if terms is None else terms  # term -> its one object (see the docstring)
        self._spo: dict = {}  # subject -> predicate -> set of objects
        self._pos: dict | None = None  # predicate -> object -> set of subjects (see _index)
        self._len = 0
        self._namespaces: dict[str, str] = {}
        for triple in triples:
            self.add(triple)

    # --- building ------------------------------------------------------------------------------------------
    def add(self, triple: tuple) -> None:
        s, p, o = triple
        terms = self._terms
        s, p, o = terms.setdefault(s, s), terms.setdefault(p, p), terms.setdefault(o, o)
        po = self._spo.get(s)
        if po is None:
            po = self._spo[s] = {}
        objects = po.get(p)
        if objects is None:
            po[p] = (o,)  # most (subject, predicate) have one object: a 1-tuple is 48 bytes, a set 216
        elif o in objects:
            return
        elif type(objects) is tuple:
            po[p] = {*objects, o}
        else:
            objects.add(o)
        self._len += 1
        if self._pos is not None and p in self._pos:
            self._pos[p].setdefault(o, set()).add(s)

    def update(self, other: Triples) -> None:
        if other._terms is not self._terms:
            for triple in other:
                self.add(triple)
            return
        for s, po in other._spo.items():
            mine = self._spo.setdefault(s, {})
            for p, objects in po.items():
                mine[p], added = _merged(mine.get(p), objects)
                self._len += added
        self._pos = None

    def copy(self) -> Triples:
        new = Triples(terms=self._terms)
        new.update(self)
        new._namespaces = dict(self._namespaces)
        return new

    def union(self, *others: Triples) -> Triples:
        """This graph with `others` added, sharing this graph's per-subject tables (only subjects that `others`
        also describe are copied): a release variant costs a dict, not a copy of every triple. The result, and
        this graph after it, must not be added to. `others` share this graph's term table."""
        assert all(other._terms is self._terms for other in others)
        new = Triples(terms=self._terms)
        new._namespaces = dict(self._namespaces)
        spo, copied, count = dict(self._spo), set(), self._len
        for other in others:
            for s, po in other._spo.items():
                if s not in copied:
                    spo[s] = {p: set(objects) if type(objects) is set else objects
                              for p, objects in spo.get(s, {}).items()}
                    copied.add(s)
                mine = spo[s]
                for p, objects in po.items():
                    mine[p], added = _merged(mine.get(p), objects)
                    count += added
        new._spo, new._len = spo, count
        return new

    def new(self) -> Triples:
        """An empty graph sharing this one's term table (so that it can be merged into this one cheaply)."""
        return Triples(terms=self._terms)

    def bind(self, prefix: str, namespace, override: bool = True, replace: bool = True) -> None:
        self._namespaces = {p: ns for p, ns in self._namespaces.items() if ns != str(namespace)}
        self._namespaces[prefix] = str(namespace)

    def namespaces(self) -> Iterator[tuple[str, str]]:
        yield from self._namespaces.items()

    # --- reading -------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[tuple]:
        for s, po in self._spo.items():
            for p, objects in po.items():
                for o in objects:
                    yield s, p, o

    def __contains__(self, triple: tuple) -> bool:
        s, p, o = triple
        if s is None:
            return any(True for _ in self.subjects(p, o))
        po = self._spo.get(s)
        if not po:
            return False
        if p is None:
            return any(o is None or o in objects for objects in po.values())
        objects = po.get(p)
        return bool(objects) and (o is None or o in objects)

    def _index(self, predicate) -> dict:
        """object -> subjects of `predicate`, made the first time (subject, `predicate`, object) is looked up by
        object: an index of every predicate held as much memory as the table itself at 100,000 items, for the
        few predicates QC and the products look up that way."""
        if self._pos is None:
            self._pos = {}
        index = self._pos.get(predicate)
        if index is None:
            index = self._pos[predicate] = {}
            for s, po in self._spo.items():
                for o in po.get(predicate, ()):
                    index.setdefault(o, set()).add(s)
        return index

    def subjects(self, predicate=None, obj=None, unique: bool = True) -> Iterator:
        if predicate is None and obj is None:
            yield from self._spo
        elif predicate is None:
            yield from (s for s, po in self._spo.items() if any(obj in objects for objects in po.values()))
        elif obj is None:
            yield from (s for s, po in self._spo.items() if po.get(predicate))
        else:
            yield from self._index(predicate).get(obj, ())

    def objects(self, subject=None, predicate=None, unique: bool = True) -> Iterator:
        if subject is not None:
            po = self._spo.get(subject, {})
            if predicate is not None:
                yield from po.get(predicate, ())
            else:
                yield from {o for objects in po.values() for o in objects}
            return
        if predicate is not None:
            yield from {o for po in self._spo.values() for o in po.get(predicate, ())}
            return
        yield from {o for _s, _p, o in self}

    def predicates(self, subject=None, obj=None, unique: bool = True) -> Iterator:
        if subject is not None:
            yield from (p for p, objects in self._spo.get(subject, {}).items() if obj is None or obj in objects)
            return
        yield from {p for po in self._spo.values() for p, objects in po.items() if obj is None or obj in objects}

    def predicate_objects(self, subject) -> Iterator[tuple]:
        for p, objects in self._spo.get(subject, {}).items():
            for o in objects:
                yield p, o

    def subject_objects(self, predicate) -> Iterator[tuple]:
        for s, po in self._spo.items():
            for o in po.get(predicate, ()):
                yield s, o

    def value(self, subject, predicate, default=None):
        """One object of (subject, predicate), or `default`: the smallest, so that the answer is stable."""
        objects = self._spo.get(subject, {}).get(predicate)
        if not objects:
            return default
        return next(iter(objects)) if len(objects) == 1 else min(objects, key=lambda o: (type(o).__name__, str(o)))

    def by_subject(self) -> dict:
        """subject -> predicate -> objects, a tuple of one or a set (read-only: the writers walk it)."""
        return self._spo

    def items(self, head) -> Iterator:
        """The members of the RDF list at `head`, in order (rdflib's Graph.items, which Collection uses)."""
        from rdflib import RDF

        seen = set()
        while head is not None and head != RDF.nil and head not in seen:
            seen.add(head)  # a cyclic list ends instead of looping
            first = self.value(head, RDF.first)
            if first is not None:
                yield first
            head = self.value(head, RDF.rest)


def _merged(have, objects) -> tuple:
    """`have` (None, a 1-tuple or a set) with `objects` added, and how many were new; `have` is not changed
    when it is shared (a tuple), and a set only grows."""
    if have is None:
        return (objects if type(objects) is tuple else set(objects)), len(objects)
    before = len(have)
    merged = have if type(have) is set else set(have)
    merged.update(objects)
    if len(merged) == before:
        return have, 0
    return merged, len(merged) - before


def _seeded() -> dict:
    """A term table holding the vocabulary's constants, so that `po.get(RDF.type)` and the like find them by `is`."""
    from . import vocab

    terms: dict = {}
    for namespace in (vocab.RDF, vocab.RDFS, vocab.OWL, vocab.XSD):
        for name in _COMMON.get(str(namespace), ()):
            term = getattr(namespace, name)
            terms[term] = term
    for term in (vocab.DEFINITION, vocab.DEFINITION_SOURCE, vocab.TERM_REPLACED_BY, vocab.OBSOLESCENCE_REASON):
        terms[term] = term
    return terms


_COMMON = {
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": ("type", "first", "rest", "nil", "List"),
    "http://www.w3.org/2000/01/rdf-schema#": ("label", "comment", "subClassOf", "subPropertyOf", "seeAlso",
                                               "Class", "Datatype"),
    "http://www.w3.org/2002/07/owl#": ("Class", "Ontology", "ObjectProperty", "AnnotationProperty",
                                        "DatatypeProperty", "NamedIndividual", "Restriction", "Axiom",
                                        "AllDisjointClasses", "onProperty", "someValuesFrom", "intersectionOf",
                                        "equivalentClass", "disjointWith", "members", "deprecated", "versionIRI",
                                        "versionInfo", "imports", "annotatedSource", "annotatedProperty",
                                        "annotatedTarget", "Thing"),
    "http://www.w3.org/2001/XMLSchema#": ("string", "integer", "boolean", "double"),
}
