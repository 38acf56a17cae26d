"""The class-level view of a release that ODK's products are made from: classified, relaxed, reduced.

ODK builds `-simple.owl`, `.obo` and `.json` from the ontology after three ROBOT steps: `reason` (assert the
inferred subclass axioms), `relax` (an equivalence `D ≡ G ⊓ ∃R.F` also gives `D ⊑ G` and `D ⊑ ∃R.F`) and
`reduce` (drop a named superclass that another named superclass already implies). This module does the same
on CIRO's graph, in Python so that `ciro build` needs no Java:

* **reason**: CIRO's only defined classes are conjunctions of named classes and existential restrictions
  (OWL 2 EL); a class C falls under D when every conjunct of D's definition holds of C through C's told
  superclasses and restrictions (a restriction ∃R'.F' of C or of a superclass of C, with R' ⊑* R and
  F' ⊑* F), repeated to a fixed point. That is the EL completion rule for these definitions; a test checks
  the result against ELK on the release.
* **relax** and **reduce** as ROBOT does them (existential restrictions are kept as they are).

`ClassView` holds, per named class, its named superclasses and `(property, filler)` restrictions with a named
filler; the writers (`simple`, `obo`) read it together with the graph's annotations.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from rdflib import Graph, URIRef
from rdflib.collection import Collection

from .vocab import OWL, RDF, RDFS

__all__ = ["ClassView", "LogicalDefinition", "class_view"]

_THING = frozenset({OWL.Thing})


@dataclass(frozen=True)
class LogicalDefinition:
    """D ≡ G1 ⊓ … ⊓ ∃R1.F1 ⊓ …: the OBO `intersection_of` lines of D."""

    genus: tuple[URIRef, ...]
    restrictions: tuple[tuple[URIRef, URIRef], ...]


@dataclass(frozen=True)
class ClassView:
    """Named classes with their classified, reduced superclasses and restrictions (see the module docstring)."""

    classes: tuple[URIRef, ...]  # every named class, sorted
    parents: dict[URIRef, tuple[URIRef, ...]]  # direct named superclasses after reasoning and reduction
    restrictions: dict[URIRef, tuple[tuple[URIRef, URIRef], ...]]  # asserted C ⊑ ∃R.F (F named), plus relaxed
    definitions: dict[URIRef, LogicalDefinition]
    disjoint: dict[URIRef, tuple[URIRef, ...]]  # pairwise disjointness, each pair under both members
    inferred: frozenset[tuple[URIRef, URIRef]]  # (C, D) subsumptions the reasoning step added

    def ancestors(self, cls: URIRef) -> set[URIRef]:
        """Every named superclass of `cls` (not itself) in the view."""
        seen: set[URIRef] = set()
        todo = list(self.parents.get(cls, ()))
        while todo:
            parent = todo.pop()
            if parent not in seen:
                seen.add(parent)
                todo.extend(self.parents.get(parent, ()))
        return seen


def _restriction(graph: Graph, node) -> tuple[URIRef, URIRef] | None:
    prop, filler = graph.value(node, OWL.onProperty), graph.value(node, OWL.someValuesFrom)
    if isinstance(prop, URIRef) and isinstance(filler, URIRef):
        return prop, filler
    return None


def _definition(graph: Graph, node) -> LogicalDefinition | None:
    members = graph.value(node, OWL.intersectionOf)
    if members is None:
        return None
    genus, restrictions = [], []
    for member in Collection(graph, members):
        if isinstance(member, URIRef):
            genus.append(member)
        elif (pair := _restriction(graph, member)) is not None:
            restrictions.append(pair)
        else:
            return None  # not a genus-differentia definition: left to the full OWL products
    return LogicalDefinition(tuple(sorted(genus)), tuple(sorted(restrictions)))


def _closure(edges: dict[URIRef, set[URIRef]], start: URIRef) -> set[URIRef]:
    seen: set[URIRef] = set()
    todo = list(edges.get(start, ()))
    while todo:
        node = todo.pop()
        if node not in seen and node != start:
            seen.add(node)
            todo.extend(edges.get(node, ()))
    return seen


def class_view(graph: Graph) -> ClassView:
    """The classified, relaxed and reduced class hierarchy of an OWL graph (deprecated classes keep no axioms)."""
    deprecated = {s for s in graph.subjects(OWL.deprecated, None) if isinstance(s, URIRef)}
    classes = sorted(c for c in graph.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef))
    told: dict[URIRef, set[URIRef]] = defaultdict(set)
    restrictions: dict[URIRef, set[tuple[URIRef, URIRef]]] = defaultdict(set)
    definitions: dict[URIRef, LogicalDefinition] = {}
    for cls in classes:
        if cls in deprecated:
            continue
        for sup in graph.objects(cls, RDFS.subClassOf):
            if isinstance(sup, URIRef):
                if sup not in _THING:
                    told[cls].add(sup)
            elif (pair := _restriction(graph, sup)) is not None:
                restrictions[cls].add(pair)
        for eq in graph.objects(cls, OWL.equivalentClass):
            if (definition := _definition(graph, eq)) is not None:
                definitions[cls] = definition
                told[cls].update(definition.genus)  # relax
                restrictions[cls].update(definition.restrictions)
    sub_properties: dict[URIRef, set[URIRef]] = defaultdict(set)
    for p, q in graph.subject_objects(RDFS.subPropertyOf):
        if isinstance(p, URIRef) and isinstance(q, URIRef):
            sub_properties[p].add(q)

    # reason: C ⊑ D when C meets every conjunct of D's definition, to a fixed point. Each pass reads the closures
    # of the pass before (cached) and adds what it found at its end: forgetting every closure at each new
    # subsumption made the loop quadratic (most mechanisms fall under a defined class). The fixed point, and so
    # the reduced hierarchy, is the same; a pass may add a subsumption another of its own finds implies.
    up_cache: dict[URIRef, set[URIRef]] = {}
    sub_cache: dict[URIRef, set[URIRef]] = {}

    def up(cls: URIRef) -> set[URIRef]:
        if cls not in up_cache:
            up_cache[cls] = _closure(told, cls)
        return up_cache[cls]

    def sub(p: URIRef) -> set[URIRef]:
        if p not in sub_cache:
            sub_cache[p] = _closure(sub_properties, p) | {p}
        return sub_cache[p]

    fillers: dict[URIRef, set[URIRef]] = defaultdict(set)  # property -> the named fillers it restricts to
    for pairs in restrictions.values():
        for p, f in pairs:
            fillers[p].add(f)

    def implying(want_p: URIRef, want_f: URIRef) -> set[tuple[URIRef, URIRef]]:
        """Every restriction (p, f) of the graph that implies ∃want_p.want_f (p ⊑* want_p, f ⊑* want_f)."""
        return {(p, f) for p in fillers if want_p in sub(p) for f in fillers[p] if f == want_f or want_f in up(f)}

    def holds(supers: set[URIRef], wanted: set[tuple[URIRef, URIRef]]) -> bool:
        """A restriction of one of `supers` is among `wanted` (set look-ups, not a union per class)."""
        return any(not restrictions[s].isdisjoint(wanted) for s in supers if s in restrictions)

    definition_itself = {d: frozenset({d}) for d in definitions}  # set membership: no rdflib __eq__ per class
    inferred: set[tuple[URIRef, URIRef]] = set()
    candidates = [c for c in classes if c not in deprecated]
    while True:
        found = []
        wanted = {d: [implying(p, f) for p, f in definition.restrictions] for d, definition in definitions.items()}
        supers = {cls: up(cls) | {cls} for cls in candidates}
        # the classes under each class (the closures turned round): a definition with a genus is tried only on the
        # classes under every genus class, not on every class (a definition x every class was most of the view)
        below: dict[URIRef, list[URIRef]] = defaultdict(list)
        for cls, above in supers.items():
            for s in above:
                below[s].append(cls)
        for defined, definition in definitions.items():
            genus = sorted(definition.genus, key=lambda g: len(below.get(g, ())))
            tried = below.get(genus[0], ()) if genus else candidates
            for cls in tried:
                if cls in definition_itself[defined] or defined in supers[cls]:
                    continue
                if not all(g in supers[cls] for g in genus):
                    continue
                if all(holds(supers[cls], w) for w in wanted[defined]):
                    if cls in definitions and definitions[cls] == definition:
                        continue  # an equivalent definition: not a strict subsumption
                    found.append((cls, defined))
        if not found:
            break
        for cls, defined in found:
            told[cls].add(defined)
        inferred.update(found)
        up_cache.clear()

    # reduce: drop a named superclass that another named superclass already implies
    parents = {}
    for cls in classes:
        direct = told.get(cls, set())
        implied = set().union(*(up(d) for d in direct)) if direct else set()
        parents[cls] = tuple(sorted(direct - implied))

    disjoint: dict[URIRef, set[URIRef]] = defaultdict(set)
    for node in graph.subjects(RDF.type, OWL.AllDisjointClasses):
        members = [m for m in Collection(graph, graph.value(node, OWL.members)) if isinstance(m, URIRef)]
        for a in members:
            disjoint[a].update(m for m in members if m != a)
    for a, b in graph.subject_objects(OWL.disjointWith):
        if isinstance(a, URIRef) and isinstance(b, URIRef):
            disjoint[a].add(b)
            disjoint[b].add(a)
    return ClassView(
        classes=tuple(classes),
        parents=parents,
        restrictions={c: tuple(sorted(r)) for c, r in restrictions.items()},
        definitions=definitions,
        disjoint={c: tuple(sorted(d)) for c, d in disjoint.items()},
        inferred=frozenset(inferred),
    )
