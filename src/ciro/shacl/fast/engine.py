"""Running a compiled shapes graph over a triple index, as the SHACL spec defines it; shapes the engine does not
run are handed to pyshacl, one shape at a time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection

from .errors import ShapesError
from .index import SUBCLASS, TYPE, TripleIndex, gc_paused, term_text
from .paths import path_iri, path_values
from .shapes import SH, Shape, ShapesGraph, compile_shapes
from .values import datatype_ok, lang_matches, language, less, lexical, pattern_ok

__all__ = ["Violation", "FastRun", "run_shapes", "validate_fast", "violations_from_pyshacl", "to_rdflib",
           "VALUE_COMPARED"]

# Components whose results are compared by value too (their sh:value is a value node of the data). Counts,
# sh:hasValue, sh:uniqueLang and qualified counts report no value; SPARQL-based results report what the query
# returns (the same in both engines, but not a value node), and are compared without it.
VALUE_COMPARED = {str(SH[c + "ConstraintComponent"]) for c in (
    "Class", "Datatype", "NodeKind", "In", "Pattern", "Closed", "MinExclusive", "MinInclusive", "MaxExclusive",
    "MaxInclusive", "MinLength", "MaxLength", "LanguageIn", "Equals", "Disjoint", "LessThan", "LessThanOrEquals",
    "Not", "And", "Or", "Xone", "Node")}


@dataclass(frozen=True, order=True)
class Violation:
    """One SHACL result. Equality and order use what identifies it in pyshacl's report: focus node, result
    path (its IRI; '' when the shape is about the node itself or the path is not a predicate), constraint
    component, the offending value (for VALUE_COMPARED components, else '') and the shape that reported it
    (two shapes that both require a field give two results). The rest is what a message and the validation
    report are made of."""

    focus: str
    path: str
    component: str
    value: str
    source: str  # the sourceShape, as a string (a blank node's id is the shapes graph's own)
    severity: str = field(default=str(SH.Violation), compare=False)
    message: str = field(default="", compare=False)
    shape: object = field(default=None, compare=False)
    constraint: object = field(default=None, compare=False)
    reported: str | None = field(default=None, compare=False)  # the text of sh:value, when there is one
    focus_term: object = field(default=None, compare=False)
    value_term: object = field(default=None, compare=False)
    path_node: object = field(default=None, compare=False)  # sh:resultPath: a compiled path, or an rdflib node
    messages: tuple = field(default=(), compare=False)  # every sh:resultMessage (rdflib Literals)


BATCH_RATIO = 20  # solutions a focus node that a batched query may have (see _Run.set_budgets)
_NONE = ()  # no value nodes
_CALL, _NODE_KIND, _IN, _CLASS = range(4)  # how validate runs a check of an inlined property shape (_Run._inline)
_MANY = float("inf")
# Checks that only look at each value node in turn, so do nothing without any (see _Run._plan).
_PER_VALUE = {"class", "datatype", "nodeKind", "minExclusive", "minInclusive", "maxExclusive", "maxInclusive",
              "minLength", "maxLength", "pattern", "languageIn", "uniqueLang", "disjoint", "lessThan",
              "lessThanOrEquals", "not", "and", "or", "xone", "node", "property", "closed", "in", "ask"}


class _Stop(Exception):
    """Raised by the sink of a conformance check at the first result: the node does not conform."""


def _stop(*_args, **_kwargs):
    raise _Stop


@dataclass
class FastRun:
    """What one validation found: the violations, and which shapes pyshacl checked and why."""

    violations: list[Violation]
    delegated: list[tuple[str, str]] = field(default_factory=list)  # (shape, reason)

    @property
    def notes(self) -> list[str]:
        return [f"shape {name} was checked by pyshacl: {reason}" for name, reason in self.delegated]


class _Run:
    def __init__(self, sg: ShapesGraph, index: TripleIndex):
        self.sg, self.index, self.spo = sg, index, index.spo
        self.found: list[Violation] = []  # a multiset: each constraint reports its own
        self._closures: dict[str, set[str]] = {}
        self._sub: dict[str, list[str]] | None = None
        self._conforms: dict = {}
        self._active: set = set()
        self.store = None
        self.batching = True  # one query for all focus nodes where that is the same (sparql._batchable)
        self.budgets: dict = {}  # id(query) -> the most solutions its batch may have (set_budgets)
        self.unbatched: set = set()  # id(query) of batchable queries whose batch was over budget
        self.by_type: dict = {}
        for s, po in self.spo.items():
            for t in po.get(TYPE, ()):
                self.by_type.setdefault(t, []).append(s)
        self.checks = {name[3:]: getattr(self, name) for name in dir(self) if name.startswith("_c_")}
        self._plans: dict = {}  # shape -> how validate runs its constraints (_plan)
        self._planning: set = set()

    # -- classes ------------------------------------------------------------------------------------------
    def closure(self, cls: str) -> set[str]:
        """The class and its subclasses in the data graph (rdfs:subClassOf*), blank-node classes included."""
        found = self._closures.get(cls)
        if found is None:
            if self._sub is None:
                self._sub = {}
                for s, po in self.spo.items():
                    for parent in po.get(SUBCLASS, ()):
                        self._sub.setdefault(parent, []).append(s)
            found, todo = set(), [cls]
            while todo:
                c = todo.pop()
                if c not in found:
                    found.add(c)
                    todo.extend(self._sub.get(c, ()))
            self._closures[cls] = found
        return found

    def is_instance(self, node, cls: str) -> bool:
        if type(node) is tuple or isinstance(node, Literal):
            return False
        return not self.closure(cls).isdisjoint(self.index.types(node))

    # -- targets ------------------------------------------------------------------------------------------
    def set_budgets(self, work: list) -> None:
        """A batch of a shape's query pays when its solutions are few for the shape's focus nodes: a pre-bound
        query costs ~25 times what one solution of the batch does (pyoxigraph 0.5; measured at 100k items:
        ~90 us a query, ~4 us a solution), so a batch with more than 20 solutions a focus node is given up for
        one query per focus node (the same solutions: a test compares the two)."""
        for shape, nodes in work:
            for c in shape.constraints:
                if c.kind in ("sparql", "select") and c.arg.batch:
                    self.budgets[id(c.arg)] = BATCH_RATIO * len(nodes) + BATCH_RATIO

    def focus(self, shape: Shape) -> list:
        nodes = dict.fromkeys(shape.target_nodes)
        for cls in sorted({c for target in shape.target_classes for c in self.closure(target)}, key=str):
            nodes.update(dict.fromkeys(self.by_type.get(cls, ())))
        if shape.subjects_of or shape.objects_of:
            for s, po in self.spo.items():
                if any(p in po for p in shape.subjects_of):
                    nodes[s] = None
                for p in shape.objects_of:
                    nodes.update(dict.fromkeys(po.get(p, ())))
        return list(nodes)

    def focus_all(self, shapes: list[Shape]) -> list[list]:
        """[self.focus(shape) for shape in shapes], with one pass over the data for all the shapes that target
        subjects or objects of predicates (each such pass looked at every triple's subject)."""
        found, scans = [], []
        for shape in shapes:
            nodes = dict.fromkeys(shape.target_nodes)
            for cls in sorted({c for target in shape.target_classes for c in self.closure(target)}, key=str):
                nodes.update(dict.fromkeys(self.by_type.get(cls, ())))
            found.append(nodes)
            if shape.subjects_of or shape.objects_of:
                scans.append((nodes, shape.subjects_of, shape.objects_of))
        wanted = {p for _nodes, subjects, objects in scans for p in (*subjects, *objects)}
        if wanted:
            for s, po in self.spo.items():
                if wanted.isdisjoint(po):  # (most subjects: checked in C)
                    continue
                for nodes, subjects, objects in scans:
                    if any(p in po for p in subjects):
                        nodes[s] = None
                    for p in objects:
                        nodes.update(dict.fromkeys(po.get(p, ())))
        return [list(nodes) for nodes in found]

    # -- validating ---------------------------------------------------------------------------------------
    def report(self, shape: Shape, focus, component: str, value=None, path: str | None = None, path_node=None,
               constraint=None, messages: tuple | None = None) -> None:
        """Record one result of `shape` (the sink of a validation that reports)."""
        if path is None and shape.path is not None:
            path, path_node = path_iri(shape.path), shape.path
        text = None if value is None else term_text(value)
        messages = shape.messages if messages is None else messages
        self.found.append(Violation(
            term_text(focus), path or "", component, text if component in VALUE_COMPARED and text else "",
            str(shape.node), shape.severity, str(messages[0]) if messages else "", shape.node, constraint, text,
            focus, value, path_node, tuple(messages)))

    def conforms(self, node, shape: Shape) -> bool:
        """Whether `node` conforms to `shape`: validating it as a focus node gives no result at all."""
        if shape.deactivated:
            return True
        key = (id(shape), node)
        known = self._conforms.get(key)
        if known is not None:
            return known
        if key in self._active:
            return True  # a recursive shape: the spec leaves it undefined; the node is taken to conform
        self._active.add(key)
        try:
            self.validate(shape, node, _stop)
            result = True
        except _Stop:
            result = False
        finally:
            self._active.discard(key)
        self._conforms[key] = result
        return result

    def validate(self, shape: Shape, focus, sink) -> None:
        if shape.deactivated:
            return
        plan = self._plans.get(shape)
        if plan is None:
            plan = self._plan(shape)
        path = shape.path
        if path is None:
            values = [focus]
        elif path[0] == "pred":  # (the index's own list: no check changes its values)
            po = self.spo.get(focus)
            values = po.get(path[1], _NONE) if po else _NONE
        else:
            values = path_values(self.index, focus, path)
        n = len(values)
        spo = self.spo
        for check, c, low, high in plan:
            if check is None:  # a property shape with a predicate path, validated here (see _plan)
                sub, predicate, sub_plan = c
                for v in values:
                    po = spo.get(v)
                    sub_values = po.get(predicate, _NONE) if po else _NONE
                    m = len(sub_values)
                    for code, sub_check, sc, sub_low, sub_high, arg in sub_plan:
                        if not sub_low <= m <= sub_high:
                            continue
                        if code == _CALL:
                            sub_check(sub, sc, v, sub_values, sink)
                        elif code == _NODE_KIND:  # _c_nodeKind, _c_in and _c_class, without a call
                            for w in sub_values:
                                cls = type(w)
                                if ("iri" if cls is str else "blank" if cls is BNode else "literal") not in arg:
                                    sink(sub, v, sc.component, w)
                        elif code == _IN:
                            for w in sub_values:
                                if w not in arg:
                                    sink(sub, v, sc.component, w)
                        else:
                            for w in sub_values:
                                if type(w) is tuple or isinstance(w, Literal):
                                    sink(sub, v, sc.component, w)
                                    continue
                                wpo = spo.get(w)
                                if arg.isdisjoint(wpo.get(TYPE, _NONE) if wpo else _NONE):
                                    sink(sub, v, sc.component, w)
            elif low <= n <= high:
                check(shape, c, focus, values, sink)

    def _inline(self, step: tuple) -> tuple:
        """A step of an inlined property shape's plan as (code, check, constraint, low, high, argument): the
        commonest checks run in validate's loop (_NODE_KIND, _IN, _CLASS with the class's closure, fixed for the
        run), the others by their call (_CALL)."""
        check, c, low, high = step
        if c.kind == "nodeKind":
            return _NODE_KIND, check, c, low, high, c.arg
        if c.kind == "in":
            return _IN, check, c, low, high, c.arg
        if c.kind == "class":
            return _CLASS, check, c, low, high, self.closure(c.arg)
        return _CALL, check, c, low, high, None

    def _plan(self, shape: Shape) -> tuple:
        """How `validate` runs a shape's constraints: (check, constraint, low, high), the check called only when
        the number of value nodes is within [low, high], where it can report something (a check that loops over
        the values does nothing without any; sh:minCount n only below n ...). A property constraint whose shape
        has a predicate path and no property shapes of its own is (None, (shape, predicate, its plan), 0, 0):
        run inline, without a call of `validate` per value node (there are millions at scale)."""
        steps = []
        self._planning.add(shape)  # a shape among its own property shapes is validated by calls, not inlined
        for c in shape.constraints:
            low, high = (1, _MANY) if c.kind in _PER_VALUE else (0, _MANY)
            if c.kind == "minCount":
                high = c.arg - 1
            elif c.kind == "maxCount":
                low = c.arg + 1
            sub = c.arg if c.kind == "property" else None
            if sub is not None and not sub.deactivated and sub.path is not None and sub.path[0] == "pred" \
                    and sub not in self._planning:
                sub_plan = self._plans.get(sub)
                if sub_plan is None:
                    sub_plan = self._plan(sub)
                if all(step[0] is not None for step in sub_plan):
                    steps.append((None, (sub, sub.path[1], tuple(self._inline(step) for step in sub_plan)), 0, 0))
                    continue
            steps.append((self.checks[c.kind], c, low, high))
        self._planning.discard(shape)
        plan = self._plans[shape] = tuple(steps)
        return plan

    # -- Core constraint components (SHACL 4) -------------------------------------------------------------
    def _c_class(self, shape, c, focus, values, sink):
        for v in values:
            if not self.is_instance(v, c.arg):
                sink(shape, focus, c.component, v)

    def _c_datatype(self, shape, c, focus, values, sink):
        for v in values:
            if not datatype_ok(v, c.arg):
                sink(shape, focus, c.component, v)

    def _c_nodeKind(self, shape, c, focus, values, sink):
        for v in values:
            cls = type(v)
            if ("iri" if cls is str else "blank" if cls is BNode else "literal") not in c.arg:
                sink(shape, focus, c.component, v)

    def _c_minCount(self, shape, c, focus, values, sink):
        if len(values) < c.arg:
            sink(shape, focus, c.component)

    def _c_maxCount(self, shape, c, focus, values, sink):
        if len(values) > c.arg:
            sink(shape, focus, c.component)

    def _c_minExclusive(self, shape, c, focus, values, sink):
        for v in values:
            if not less(c.arg, v, False):
                sink(shape, focus, c.component, v)

    def _c_minInclusive(self, shape, c, focus, values, sink):
        for v in values:
            if not less(c.arg, v, True):
                sink(shape, focus, c.component, v)

    def _c_maxExclusive(self, shape, c, focus, values, sink):
        for v in values:
            if not less(v, c.arg, False):
                sink(shape, focus, c.component, v)

    def _c_maxInclusive(self, shape, c, focus, values, sink):
        for v in values:
            if not less(v, c.arg, True):
                sink(shape, focus, c.component, v)

    def _c_minLength(self, shape, c, focus, values, sink):
        for v in values:
            if type(v) is BNode or len(lexical(v)) < c.arg:
                sink(shape, focus, c.component, v)

    def _c_maxLength(self, shape, c, focus, values, sink):
        for v in values:
            if type(v) is BNode or len(lexical(v)) > c.arg:
                sink(shape, focus, c.component, v)

    def _c_pattern(self, shape, c, focus, values, sink):
        for v in values:
            if not pattern_ok(c.arg, v):
                sink(shape, focus, c.component, v)

    def _c_languageIn(self, shape, c, focus, values, sink):
        for v in values:
            tag = language(v)
            if tag is None or not lang_matches(tag, c.arg):
                sink(shape, focus, c.component, v)

    def _c_uniqueLang(self, shape, c, focus, values, sink):
        seen: dict[str, int] = {}
        for v in values:
            tag = language(v)
            if tag is not None:
                seen[tag.lower()] = seen.get(tag.lower(), 0) + 1
        for _tag, count in sorted(seen.items()):
            if count > 1:  # one result per language used more than once
                sink(shape, focus, c.component)

    def _others(self, focus, predicate: str) -> list:
        po = self.spo.get(focus)
        return list(po.get(predicate, ())) if po else []

    def _c_equals(self, shape, c, focus, values, sink):
        others = self._others(focus, c.arg)
        for v in values:
            if v not in others:
                sink(shape, focus, c.component, v)
        for o in others:
            if o not in values:
                sink(shape, focus, c.component, o)

    def _c_disjoint(self, shape, c, focus, values, sink):
        others = self._others(focus, c.arg)
        for v in values:
            if v in others:
                sink(shape, focus, c.component, v)

    def _c_lessThan(self, shape, c, focus, values, sink):
        others = self._others(focus, c.arg)
        for v in values:  # one result per pair (value, other) that is not in order
            for o in others:
                if not less(v, o, False):
                    sink(shape, focus, c.component, v)

    def _c_lessThanOrEquals(self, shape, c, focus, values, sink):
        others = self._others(focus, c.arg)
        for v in values:
            for o in others:
                if not less(v, o, True):
                    sink(shape, focus, c.component, v)

    def _c_not(self, shape, c, focus, values, sink):
        for v in values:
            if self.conforms(v, c.arg):
                sink(shape, focus, c.component, v)

    def _c_and(self, shape, c, focus, values, sink):
        for v in values:
            if not all(self.conforms(v, s) for s in c.arg):
                sink(shape, focus, c.component, v)

    def _c_or(self, shape, c, focus, values, sink):
        for v in values:
            if not any(self.conforms(v, s) for s in c.arg):
                sink(shape, focus, c.component, v)

    def _c_xone(self, shape, c, focus, values, sink):
        for v in values:
            if sum(1 for s in c.arg if self.conforms(v, s)) != 1:
                sink(shape, focus, c.component, v)

    def _c_node(self, shape, c, focus, values, sink):
        for v in values:
            if not self.conforms(v, c.arg):
                sink(shape, focus, c.component, v)

    def _c_property(self, shape, c, focus, values, sink):
        for v in values:
            self.validate(c.arg, v, sink)

    def _c_qualified(self, shape, c, focus, values, sink):
        qualified, low, high, siblings = c.arg
        count = sum(1 for v in values if self.conforms(v, qualified) and
                    not any(self.conforms(v, s) for s in siblings))
        if low is not None and count < low:
            sink(shape, focus, str(SH.QualifiedMinCountConstraintComponent))
        if high is not None and count > high:
            sink(shape, focus, str(SH.QualifiedMaxCountConstraintComponent))

    def _c_closed(self, shape, c, focus, values, sink):
        for v in values:
            po = self.spo.get(v)
            if not po or c.arg.issuperset(po):  # (every predicate allowed: the usual case, checked in C)
                continue
            for p, objs in po.items():
                if p not in c.arg:
                    for o in objs:
                        sink(shape, focus, c.component, o, path=p, path_node=("pred", p))

    def _c_hasValue(self, shape, c, focus, values, sink):
        if c.arg not in values:
            sink(shape, focus, c.component)

    def _c_in(self, shape, c, focus, values, sink):
        for v in values:
            if v not in c.arg:
                sink(shape, focus, c.component, v)

    # -- SHACL-SPARQL (SHACL 5 and 6) ---------------------------------------------------------------------
    def _c_sparql(self, shape, c, focus, values, sink):
        self._select(shape, c, focus, sink)

    def _c_select(self, shape, c, focus, values, sink):
        self._select(shape, c, focus, sink)

    def _select(self, shape, c, focus, sink):
        from .sparql import bound_message, is_true

        query = c.arg
        found = None
        if query.batch and self.batching and id(query) not in self.unbatched:
            found = self.store.batch(query, self.budgets.get(id(query)))
            if found is None:  # more solutions than a query per focus node is worth
                self.unbatched.add(id(query))
        if found is not None:
            rows = self.store.batch_rows(found, focus)
        else:
            rows = self.store.run(query, {"this": focus} if "this" in query.varying else {})
        for row in rows:
            if is_true(row.get("failure")):
                raise ShapesError(f"{shape.name}: a SPARQL constraint reported a failure for {term_text(focus)}")
            path = row.get("path")
            value = row.get("value")
            if value is None and shape.path is None:
                value = focus
            row = dict(query.fixed, **row)
            message = row.get("message")
            messages = (Literal(lexical(message)),) if message is not None else \
                tuple(Literal(bound_message(str(m), row), lang=m.language) for m in c.messages or shape.messages)
            extra = {"path": path, "path_node": ("pred", path)} if isinstance(path, str) else {}
            sink(shape, focus, c.component, value, constraint=c.node, messages=messages, **extra)

    def _c_ask(self, shape, c, focus, values, sink):
        from .sparql import bound_message

        query = c.arg
        for v in values:
            bindings = {k: t for k, t in (("this", focus), ("value", v)) if k in query.varying}
            if not self.store.run(query, bindings):
                row = dict(query.fixed, this=focus, value=v)
                messages = tuple(Literal(bound_message(str(m), row), lang=m.language)
                                 for m in c.messages or shape.messages)
                sink(shape, focus, c.component, v, messages=messages)


def _sparql_queries(shapes: Iterable[Shape]) -> list:
    """Every prepared SPARQL query reachable from `shapes`."""
    out, seen, todo = [], set(), list(shapes)
    while todo:
        shape = todo.pop()
        if id(shape) in seen:
            continue
        seen.add(id(shape))
        out.extend(c.arg for c in shape.constraints if c.kind in ("sparql", "select", "ask"))
        todo.extend(shape.refs())
    return out


def run_shapes(sg: ShapesGraph, index: TripleIndex, data: Graph | None = None, batching: bool = True,
               split: bool = False) -> FastRun:
    """Validate `index` against a compiled shapes graph; shapes the engine does not run go to pyshacl (on
    `data`, the same triples as an rdflib graph, built from the index when not given). `batching` False runs
    every SPARQL query once per focus node (a test compares the two). `split`: on a large graph, a forked
    second process shares the shapes without SPARQL (see _split); the results are the same."""
    from .sparql import SparqlStore

    with gc_paused():
        run = _Run(sg, index)
        run.batching = batching
        fast = [s for s in sg.roots if s.unsupported is None]
        delegated = [(s, s.unsupported) for s in sg.roots if s.unsupported is not None]
        work = list(zip(fast, run.focus_all(fast), strict=True))
        needs_store = [bool(_sparql_queries([shape])) for shape in fast]
        sparql_work = [w for w, store in zip(work, needs_store, strict=True) if store]
        core_work = [w for w, store in zip(work, needs_store, strict=True) if not store]
        # forked before the store is built: the helper validates shapes at once, and never holds the store
        shared = _split(run, core_work) if split else None
        if sparql_work:
            run.store = SparqlStore(index, _sparql_queries([shape for shape, _nodes in sparql_work]), sg.graph)
            if run.store.altered:
                example = run.store.altered[0].n3()
                reason = (f"its SPARQL constraints read literals that pyoxigraph stores in another form (such as "
                          f"{example}), so they could answer otherwise than on the data")
                delegated += [(shape, reason) for shape, _nodes in sparql_work]
                sparql_work = []
            run.set_budgets(sparql_work)
        for shape, nodes in sparql_work:
            for focus in nodes:
                run.validate(shape, focus, run.report)
        if shared is None:
            for shape, nodes in core_work:
                for focus in nodes:
                    run.validate(shape, focus, run.report)
            found = run.found
        else:
            found = _shared_found(run, *shared)
    if delegated:
        found += _pyshacl_shapes(sg, index, data, [s for s, _r in delegated])
    return FastRun(sorted(found), [(s.name, r) for s, r in delegated])


SPLIT_MIN = 50_000  # focus nodes (x constraints) below which a second process does not pay for itself
CHUNK = 5_000  # focus nodes of one shape that a process takes at a time (see _split)
_MAX_ITEMS = 1_000  # pieces of work: their numbers (4 bytes each) fit in a pipe's smallest buffer


def _cost(shape: Shape) -> int:
    """Roughly what validating one focus node against `shape` costs: its constraints, those of its property
    shapes included (each shape counted once)."""
    seen, todo, cost = set(), [shape], 0
    while todo:
        s = todo.pop()
        if id(s) not in seen:
            seen.add(id(s))
            cost += 1 + len(s.constraints)
            todo.extend(c.arg for c in s.constraints if c.kind == "property")
    return cost


def _split(run: _Run, work: list):
    """Fork a helper that shares `work` (shapes without SPARQL) with this process: the work is cut in pieces
    (up to CHUNK focus nodes of one shape), costliest first, and each process takes the next piece when it has
    done one, so they end about together however the machine shares its cores (a focus node's results do not
    depend on which process validates it). The pieces' numbers wait in a pipe: each read takes one.
    (pieces, pipe's read end, helper), or None (not worth it, or no fork)."""
    import os
    import struct

    from ...forked import start_helper

    if sum(len(nodes) * max(len(shape.constraints), 1) for shape, nodes in work) < SPLIT_MIN or \
            (os.cpu_count() or 1) < 2 or not hasattr(os, "fork") or os.environ.get("CIRO_DEBUG") or \
            os.environ.get("CIRO_SHACL_PROCESSES") == "1":
        return None
    total = sum(len(nodes) for _shape, nodes in work)
    chunk = max(CHUNK, -(-total // _MAX_ITEMS) + 1)
    pieces = [(shape, nodes[i:i + chunk]) for shape, nodes in work for i in range(0, len(nodes), chunk)]
    pieces.sort(key=lambda piece: -len(piece[1]) * _cost(piece[0]))  # (a stable sort: ties in work's order)
    numbers = b"".join(struct.pack("=I", n) for n in range(len(pieces)))
    read, write = os.pipe()
    try:
        os.set_blocking(write, False)  # (a full pipe: no split, rather than a wait for a reader)
        written = os.write(write, numbers)
    except OSError:
        written = 0
    finally:
        os.close(write)
    if written != len(numbers):
        os.close(read)
        return None
    parent = os.getpid()

    def validate_theirs() -> tuple:
        done = []
        for n in _taken(read):
            if os.getppid() != parent:  # the parent is gone (a stopped SHACL-ahead helper): nobody will read
                raise SystemExit(1)
            done.append(n)
            shape, nodes = pieces[n]
            for focus in nodes:
                run.validate(shape, focus, run.report)
        return done, run.found

    helper = start_helper(validate_theirs, "ciro-shacl-")
    if helper is None:
        os.close(read)
        return None
    return pieces, read, helper


def _taken(read: int):
    """The numbers of the pieces this process takes from the pipe, one at a time, until there are none."""
    import os
    import struct

    while True:
        got = os.read(read, 4)
        if len(got) < 4:
            return
        yield struct.unpack("=I", got)[0]


def _shared_found(run: _Run, pieces: list, read: int, helper) -> list:
    """This process's pieces of a split, then the helper's results with its own; when the helper failed, the
    pieces it did not give back are validated here."""
    import os

    mine = set()
    try:
        for n in _taken(read):
            mine.add(n)
            shape, nodes = pieces[n]
            for focus in nodes:
                run.validate(shape, focus, run.report)
    finally:
        os.close(read)
    theirs = helper.result()
    if theirs is not None and mine.isdisjoint(theirs[0]) and len(mine) + len(theirs[0]) == len(pieces):
        return run.found + theirs[1]
    for n, (shape, nodes) in enumerate(pieces):
        if n not in mine:
            for focus in nodes:
                run.validate(shape, focus, run.report)
    return run.found


def _pyshacl_shapes(sg: ShapesGraph, index: TripleIndex, data: Graph | None, shapes: list[Shape]) -> list:
    """pyshacl's results for these shapes only (blank-node shapes are named for the run, then mapped back)."""
    if data is None:
        data = Graph()
        for s, p, o in index.triples():
            data.add((to_rdflib(s), URIRef(p), to_rdflib(o)))
    named, back = {}, {}
    for n, shape in enumerate(shapes):
        if isinstance(shape.node, BNode):
            named[shape.node] = URIRef(f"urn:x-ciro:shape:{n}")
            back[str(named[shape.node])] = shape.node
    graph = sg.graph
    if named:
        graph = Graph()
        for s, p, o in sg.graph:
            graph.add((named.get(s, s), p, named.get(o, o)))
    use = [named.get(s.node, s.node) for s in shapes]
    out = []
    for v in violations_from_pyshacl(data, graph, use_shapes=use):
        if v.source in back:
            node = back[v.source]
            v = Violation(v.focus, v.path, v.component, v.value, str(node), v.severity, v.message, node, v.constraint,
                          v.reported, v.focus_term, v.value_term, v.path_node, v.messages)
        out.append(v)
    return out


def to_rdflib(term):
    """An index term as an rdflib term."""
    cls = type(term)
    if cls is str:
        return URIRef(term)
    if cls is tuple:
        return Literal(term[0])
    return term


def validate_fast(data: Graph | TripleIndex, shapes: Graph | ShapesGraph) -> list[Violation]:
    """Every result the SHACL spec (and pyshacl) reports for `data` against `shapes`, sorted."""
    sg = shapes if isinstance(shapes, ShapesGraph) else compile_shapes(shapes)
    index = data if isinstance(data, TripleIndex) else TripleIndex.from_graph(data)
    return run_shapes(sg, index, data if isinstance(data, Graph) else None).violations


def violations_from_pyshacl(data: Graph, shapes: Graph, use_shapes: list | None = None) -> list[Violation]:
    """The reference: pyshacl's results on the same graphs, in the same form."""
    import pyshacl

    _conforms, results, _text_report = pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=True,
                                                        allow_warnings=True, use_shapes=use_shapes)
    found = []
    for node in results.objects(None, SH.result):  # (not the sh:detail results nested in them)
        path = results.value(node, SH.resultPath)
        value = results.value(node, SH.value)
        component = str(results.value(node, SH.sourceConstraintComponent))
        shape, constraint = results.value(node, SH.sourceShape), results.value(node, SH.sourceConstraint)
        messages = tuple(results.objects(node, SH.resultMessage))
        own = tuple(shapes.objects(constraint or shape, SH.message))
        focus = results.value(node, SH.focusNode)
        found.append(Violation(
            term_text(focus),
            str(path) if isinstance(path, URIRef) else "",
            component,
            str(value) if value is not None and component in VALUE_COMPARED else "",
            str(shape),
            str(results.value(node, SH.resultSeverity)),
            str(own[0]) if own else "",
            shape,
            constraint,
            str(value) if value is not None else None,
            focus, value, path, messages,
        ))
    return sorted(found)


def report_graph(violations: list[Violation], shapes: Graph) -> Graph:
    """The SHACL validation report (sh:ValidationReport) of these results."""
    report = Graph()
    root = BNode()
    report.add((root, RDF.type, SH.ValidationReport))
    report.add((root, SH.conforms, Literal(not violations)))
    for v in violations:
        r = BNode()
        report.add((root, SH.result, r))
        report.add((r, RDF.type, SH.ValidationResult))
        report.add((r, SH.focusNode, to_rdflib(v.focus_term) if v.focus_term is not None else URIRef(v.focus)))
        report.add((r, SH.resultSeverity, URIRef(v.severity)))
        report.add((r, SH.sourceConstraintComponent, URIRef(v.component)))
        if v.shape is not None:
            report.add((r, SH.sourceShape, v.shape))
        if v.constraint is not None:
            report.add((r, SH.sourceConstraint, v.constraint))
        if v.value_term is not None:
            report.add((r, SH.value, to_rdflib(v.value_term)))
        if isinstance(v.path_node, tuple):
            report.add((r, SH.resultPath, _path_rdf(v.path_node, report)))
        elif v.path_node is not None:
            report.add((r, SH.resultPath, _copy_path(v.path_node, shapes, report)))
        for m in v.messages:
            report.add((r, SH.resultMessage, m))
    return report


def _path_rdf(path: tuple, report: Graph):
    """A compiled path written out as SHACL's path nodes (fresh blank nodes)."""
    kind, arg = path
    if kind == "pred":
        return URIRef(arg)
    if kind in ("seq", "alt"):
        items = [_path_rdf(p, report) for p in arg]
        head = BNode()
        Collection(report, head, items)
        if kind == "seq":
            return head
        node = BNode()
        report.add((node, SH.alternativePath, head))
        return node
    key = {"inv": SH.inversePath, "zom": SH.zeroOrMorePath, "oom": SH.oneOrMorePath, "zoo": SH.zeroOrOnePath}[kind]
    node = BNode()
    report.add((node, key, _path_rdf(arg, report)))
    return node


def _copy_path(node, shapes: Graph, report: Graph):
    """A fresh copy of a path's blank-node structure, so that no two results share one."""
    if not isinstance(node, BNode):
        return node
    copy = BNode()
    for p, o in shapes.predicate_objects(node):
        report.add((copy, p, _copy_path(o, shapes, report)))
    return copy


__all__ += ["report_graph"]
