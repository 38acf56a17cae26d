"""Running compiled shapes over a triple index, the way pyshacl does; and the engine's public entry points."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, URIRef

from .index import SUBCLASS, TYPE, TripleIndex, gc_paused, nt_line, nt_term, term_kind, term_text
from .shapes import SH, PropertyPlan, ShapePlan, UnsupportedShape, compile_shapes, shape_message

__all__ = ["Violation", "run_plan", "validate_fast", "validate_records", "shacl_results", "violations_from_pyshacl"]

_STRING, _LANG_STRING, _LITERAL, _DATATYPE = XSD.string, RDF.langString, RDFS.Literal, RDFS.Datatype


@dataclass(frozen=True, order=True)
class Violation:
    """One SHACL result. Equality and order use what identifies it in pyshacl's report: focus node, result
    path ('' when the shape is about the node itself), constraint component, the offending value ('' for
    count, sh:or and SPARQL results) and the shape that reported it (two shapes that both require a field
    give two results). The rest is what a message is made of: the severity, the sh:message of the shape or
    constraint ('' when there is none), pyshacl's sourceShape and sourceConstraint (nodes of the shapes
    graph), and the sh:value pyshacl reports (the focus node for sh:or and SPARQL results)."""

    focus: str
    path: str
    component: str
    value: str
    source: str  # the sourceShape, as a string (a blank node's id is the shapes graph's own)
    severity: str = field(default=str(SH.Violation), compare=False)
    message: str = field(default="", compare=False)
    shape: object = field(default=None, compare=False)
    constraint: object = field(default=None, compare=False)
    reported: str | None = field(default=None, compare=False)


def _closure(index: TripleIndex, classes: Iterable[str]) -> set[str]:
    """The classes and their subclasses in the data graph (rdfs:subClassOf*), as SHACL's instance rule reads."""
    sub: dict[str, list[str]] = {}
    for s, po in index.spo.items():
        for parent in po.get(SUBCLASS, ()):
            if type(parent) is str and type(s) is str:
                sub.setdefault(parent, []).append(s)
    found, todo = set(), list(classes)
    while todo:
        c = todo.pop()
        if c not in found:
            found.add(c)
            todo.extend(sub.get(c, ()))
    return found


class _Run:
    def __init__(self, index: TripleIndex):
        self.index, self.spo = index, index.spo
        self.found: set[Violation] = set()
        self._closures: dict[str, set[str]] = {}
        self._has_subclasses = any(SUBCLASS in po for po in self.spo.values())
        self.by_type: dict = {}
        for s, po in self.spo.items():
            for t in po.get(TYPE, ()):
                self.by_type.setdefault(t, []).append(s)

    def closure(self, cls: str) -> set[str]:
        if cls not in self._closures:
            self._closures[cls] = _closure(self.index, [cls]) if self._has_subclasses else {cls}
        return self._closures[cls]

    def focus(self, plan: ShapePlan) -> list:
        """The shape's focus nodes: instances of its target classes, target nodes, subjects or objects of."""
        nodes = dict.fromkeys(plan.target_nodes)
        for cls in sorted({c for target in plan.target_classes for c in self.closure(target)}):
            nodes.update(dict.fromkeys(self.by_type.get(cls, ())))
        if plan.subjects_of or plan.objects_of:
            for s, po in self.spo.items():
                if any(p in po for p in plan.subjects_of):
                    nodes[s] = None
                for p in plan.objects_of:
                    nodes.update(dict.fromkeys(po.get(p, ())))
        return list(nodes)

    def is_instance(self, node, cls: str) -> bool:
        if type(node) is tuple or isinstance(node, Literal):
            return False
        return not self.closure(cls).isdisjoint(self.index.types(node))

    def report(self, focus, path: str, component: str, value, severity: str, message: str, shape) -> None:
        text = None if value is None else term_text(value)
        self.found.add(Violation(term_text(focus), path, str(SH[component]), text or "", str(shape), severity,
                                 message, shape, reported=text))

    def node_shape(self, plan: ShapePlan) -> list:
        focus = self.focus(plan)
        for f in focus:
            po = self.spo.get(f, {})
            for prop in plan.properties:
                self.property(f, po.get(prop.path, ()), prop)
            if plan.closed is not None:
                for p, objs in po.items():
                    if p not in plan.closed:
                        for o in objs:
                            self.report(f, p, "ClosedConstraintComponent", o, plan.severity, plan.message, plan.shape)
            for branches in plan.alternatives:
                if all(len(po.get(p, ())) < n for p, n in branches):
                    self.found.add(Violation(term_text(f), "", str(SH.OrConstraintComponent), "", str(plan.shape),
                                             plan.severity, plan.message, plan.shape, reported=term_text(f)))
        return focus

    def property(self, f, values: list, prop: PropertyPlan) -> None:
        args = (prop.severity, prop.message, prop.shape)
        n = len(values)
        if prop.min_count is not None and n < prop.min_count:
            self.report(f, prop.path, "MinCountConstraintComponent", None, *args)
        if prop.max_count is not None and n > prop.max_count:
            self.report(f, prop.path, "MaxCountConstraintComponent", None, *args)
        for v in values:
            if prop.node_kinds is not None and term_kind(v) not in prop.node_kinds:
                self.report(f, prop.path, "NodeKindConstraintComponent", v, *args)
            for cls in prop.classes:
                if not self.is_instance(v, cls):
                    self.report(f, prop.path, "ClassConstraintComponent", v, *args)
            if prop.members is not None and v not in prop.members:
                self.report(f, prop.path, "InConstraintComponent", v, *args)
            if prop.datatype is not None and \
                    not (prop.plain_ok if type(v) is tuple else _datatype_ok(v, prop.datatype)):
                self.report(f, prop.path, "DatatypeConstraintComponent", v, *args)
            for pattern in prop.patterns:
                if type(v) is BNode or not _pattern_ok(pattern, v):
                    self.report(f, prop.path, "PatternConstraintComponent", v, *args)

    def sparql(self, plans: list[ShapePlan], focus: dict[int, list]) -> None:
        work = [(plan, query, message, node) for plan in plans for query, message, node in plan.sparql
                if focus[id(plan)]]
        if not work:
            return
        import pyoxigraph as ox

        predicates: set[str] | None = set()
        for _plan, (prologue, select), _message, _node in work:
            needed = _query_predicates(prologue + "\n" + select)
            predicates = None if needed is None or predicates is None else predicates | needed
        # Blank nodes get IRIs in the store, so that focus nodes can be named in VALUES.
        blanks: dict = {}

        def name(term):
            if type(term) is BNode:
                return blanks.setdefault(term, f"urn:x-ciro-bnode:{len(blanks)}")
            return term

        lines = "".join(nt_line(name(s), p, name(o)) for s, p, o in self.index.triples(predicates))
        store = ox.Store()
        store.bulk_load(input=lines.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES, lenient=True)
        back = {iri: b for b, iri in blanks.items()}
        for plan, (prologue, select), message, constraint in work:
            nodes = [name(f) for f in focus[id(plan)]]
            if blanks and re.search(r"(?i)\b(isBlank|isIRI|isURI|STR|sameTerm|BNODE)\s*\(", select):
                raise UnsupportedShape(f"sh:sparql in {plan.shape}: tests term kinds, and the data has blank nodes")
            # $this pre-bound, as SHACL has it: the focus nodes as VALUES first in the query's WHERE group.
            start = _where_group(select)
            values = " ".join(nt_term(f) for f in nodes)
            rows = store.query(f"{prologue}\n{select[:start + 1]} VALUES ?this {{ {values} }} {select[start + 1:]}")
            variables = {v.value for v in rows.variables}
            for row in rows:
                this = _from_ox(row["this"], back)
                path = row["path"] if "path" in variables else None
                value = row["value"] if "value" in variables else None
                reported = term_text(_from_ox(value, back)) if value is not None else term_text(this)
                self.found.add(Violation(term_text(this), path.value if path is not None else "",
                                         str(SH.SPARQLConstraintComponent), "", str(plan.shape), plan.severity,
                                         message, plan.shape, constraint, reported))


def _from_ox(term, blanks: dict):
    """A pyoxigraph term in the index's form."""
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        return blanks.get(term.value, term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype.value == str(_STRING):
        return (term.value,)
    return Literal(term.value, datatype=term.datatype.value)


def _where_group(select: str) -> int:
    """Where the '{' opening the WHERE group of a SELECT is: the first one outside strings, IRIs, comments and
    parentheses (so not the '{' of an EXISTS in the projection)."""
    depth, i, n = 0, 0, len(select)
    while i < n:
        c = select[i]
        if c in "'\"":
            quote = select[i:i + 3] if select[i:i + 3] in ("'''", '"""') else c
            end = i + len(quote)
            while True:
                end = select.find(quote, end)
                if end < 0 or select[end - 1] != "\\":
                    break
                end += 1
            i = n if end < 0 else end + len(quote)
            continue
        if c == "<" and depth == 0:
            i = select.find(">", i) + 1 or n
            continue
        if c == "#":
            i = select.find("\n", i) + 1 or n
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "{" and depth == 0:
            return i
        i += 1
    raise UnsupportedShape(f"sh:sparql: no WHERE group in {select!r}")


def _query_predicates(query: str) -> set[str] | None:
    """The predicates a SPARQL query can read, or None when it can read any (a variable or negated path)."""
    from rdflib.paths import NegatedPath
    from rdflib.paths import Path as RdfPath
    from rdflib.plugins.sparql import prepareQuery
    from rdflib.term import Variable

    found: set[str] = set()
    everything = False

    def path_iris(path) -> None:
        nonlocal everything
        if isinstance(path, NegatedPath):
            everything = True
        elif isinstance(path, URIRef):
            found.add(str(path))
        elif isinstance(path, RdfPath):  # sequence, alternative (args), inverse (arg), repetition (path)
            parts = list(getattr(path, "args", None) or []) + [getattr(path, "arg", None), getattr(path, "path", None)]
            for part in parts:
                if part is not None:
                    path_iris(part)
        else:
            everything = True  # a kind of path this function does not know: assume it reads anything

    def visit(node) -> None:
        nonlocal everything
        if isinstance(node, dict):
            for triple in dict.get(node, "triples") or []:  # (CompValue.get returns the key when missing)
                predicate = triple[1]
                if isinstance(predicate, Variable):
                    everything = True
                else:
                    path_iris(predicate)
            for value in node.values():
                visit(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                visit(value)

    visit(prepareQuery(query).algebra)
    return None if everything else found


def _datatype_ok(v, rule: URIRef) -> bool:
    """pyshacl's DatatypeConstraintComponent, for one value."""
    cls = type(v)
    if cls is str or cls is BNode:
        return False
    if cls is tuple:  # a plain literal: datatype None, no language, its value a str
        return rule in (_STRING, _LITERAL)
    if v.datatype == rule:
        return False if v.ill_typed is True else _actual_datatype(v, rule)
    if rule == _LITERAL:
        return True
    if rule == _DATATYPE and v.datatype:
        return True
    if v.datatype is None and v.language is None and rule == _STRING:
        return _actual_datatype(v, rule)
    if rule == _LANG_STRING and v.language:
        return _actual_datatype(v, rule)
    return False


def _actual_datatype(v: Literal, rule: URIRef) -> bool:
    import datetime

    value = v.value
    expected = {XSD.string: (str, bytes), RDF.langString: (str, bytes), XSD.integer: int, XSD.float: float,
                XSD.decimal: Decimal, XSD.boolean: bool, XSD.date: datetime.date, XSD.time: datetime.time,
                XSD.dateTime: datetime.datetime}.get(rule)
    return True if expected is None else isinstance(value, expected)


def _pattern_ok(pattern: re.Pattern, v) -> bool:
    if type(v) is tuple:
        text = v[0]
    elif isinstance(v, Literal):
        text = str(v.value) if v.value is not None and v.datatype in (None, _LANG_STRING, _STRING) else str(v)
    else:
        text = str(v)
    return bool(pattern.match(text) or pattern.search(text))


def run_plan(plans: list[ShapePlan], index: TripleIndex) -> list[Violation]:
    """Run compiled shapes over an index; every violation, sorted."""
    with gc_paused():
        run = _Run(index)
        focus = {id(plan): run.node_shape(plan) for plan in plans}
        run.sparql(plans, focus)
        return sorted(run.found)


def validate_fast(data: Graph | TripleIndex, shapes: Graph) -> list[Violation]:
    """Every result pyshacl reports for `data` against `shapes` (see violations_from_pyshacl), sorted."""
    index = data if isinstance(data, TripleIndex) else TripleIndex.from_graph(data)
    return run_plan(compile_shapes(shapes), index)


def validate_records(data: dict[str, list[dict]], schema_path: Path, shapes: Graph) -> list[Violation]:
    """validate_fast on the RDF of a KB's records (KnowledgeBase slot -> records), without an rdflib graph."""
    plans = compile_shapes(shapes)  # first: an unsupported shape fails before any work is done
    return run_plan(plans, TripleIndex.from_records(data, schema_path))


def shacl_results(data: dict[str, list[dict]], layout, prefixes: dict[str, str], slots: dict[str, str]) -> list:
    """What `shacl.run_shacl(kb_to_graph(data), layout, prefixes, slots)` returns (a test compares them), from
    the records: no rdflib graph, no pyshacl. The validator's `--engine fast`."""
    from ..common import ShaclResult, _compress, _local, shapes_graph
    from ..common import _message as result_message

    shapes = shapes_graph(layout)
    namespaces = sorted(((ns, p) for p, ns in prefixes.items()), key=lambda x: -len(x[0]))
    results = []
    for v in validate_records(data, layout.schema, shapes):
        shape = v.constraint if v.constraint is not None and shapes.value(v.constraint, SH.message) is not None \
            else v.shape
        value = _compress(v.reported, namespaces) if v.reported is not None else ""
        own, message = result_message(shapes, v.component, shape, value, slots.get(v.path, _local(v.path)),
                                      v.message or "SHACL violation")
        severity = "error" if v.severity == str(SH.Violation) else "warning"
        results.append(ShaclResult(not own, v.focus, v.path, v.component, severity, value, message))
    return sorted(set(results))


def violations_from_pyshacl(data: Graph, shapes: Graph) -> list[Violation]:
    """The reference: pyshacl's results on the same graphs, in the same form."""
    import pyshacl

    _conforms, results, _text_report = pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=True,
                                                        allow_warnings=True)
    found = set()
    for node in results.subjects(SH.resultSeverity, None):
        path = results.value(node, SH.resultPath)
        value = results.value(node, SH.value)
        component = results.value(node, SH.sourceConstraintComponent)
        kind_needs_value = str(component).rsplit("#", 1)[-1] in {
            "ClassConstraintComponent", "NodeKindConstraintComponent", "InConstraintComponent",
            "DatatypeConstraintComponent", "PatternConstraintComponent", "ClosedConstraintComponent",
        }
        shape, constraint = results.value(node, SH.sourceShape), results.value(node, SH.sourceConstraint)
        found.add(Violation(
            str(results.value(node, SH.focusNode)),
            str(path) if isinstance(path, URIRef) else "",
            str(component),
            str(value) if value is not None and kind_needs_value else "",
            str(shape),
            str(results.value(node, SH.resultSeverity)),
            shape_message(shapes, constraint or shape),
            shape,
            constraint,
            str(value) if value is not None else None,
        ))
    return sorted(found)

