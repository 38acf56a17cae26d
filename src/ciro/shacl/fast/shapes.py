"""The shapes side of the fast SHACL engine: a shapes graph checked (SHACL's syntax rules) and compiled once
into Shape objects, each with its targets, its path and the constraints to run."""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, Namespace, URIRef

from .errors import ShapesError, UnsupportedShape, describe
from .index import term_from_rdflib
from .paths import compile_path
from .values import regex

__all__ = ["SH", "Shape", "Constraint", "ShapesGraph", "compile_shapes"]

SH = Namespace("http://www.w3.org/ns/shacl#")
_NODE_KINDS = {  # sh:nodeKind -> the kinds it accepts
    SH.IRI: frozenset({"iri"}), SH.Literal: frozenset({"literal"}), SH.BlankNode: frozenset({"blank"}),
    SH.BlankNodeOrIRI: frozenset({"blank", "iri"}), SH.BlankNodeOrLiteral: frozenset({"blank", "literal"}),
    SH.IRIOrLiteral: frozenset({"iri", "literal"}),
}
# Parameters that take one value per shape (shacl-shacl's sh:maxCount 1), and the kind of value each takes.
_SINGLE = {
    SH.minCount: "integer", SH.maxCount: "integer", SH.minLength: "integer", SH.maxLength: "integer",
    SH.qualifiedMinCount: "integer", SH.qualifiedMaxCount: "integer",
    SH.datatype: "iri", SH.nodeKind: "iri", SH.severity: "iri",
    SH.closed: "boolean", SH.deactivated: "boolean", SH.uniqueLang: "boolean",
    SH.qualifiedValueShapesDisjoint: "boolean",
    SH.minInclusive: "literal", SH.maxInclusive: "literal", SH.minExclusive: "literal", SH.maxExclusive: "literal",
    SH.pattern: "literal", SH.flags: "literal", SH["in"]: "list", SH.languageIn: "list",
    SH.ignoredProperties: "list", SH.path: "any", SH.qualifiedValueShape: "any",
}
_IRI_VALUED = (SH["class"], SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals)
_SHAPE_VALUED = (SH.node, SH["not"], SH.property, SH.qualifiedValueShape)
_LIST_OF_SHAPES = (SH["and"], SH["or"], SH.xone)
_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
# Core parameters: a node with any of them is a shape (SHACL 2.1).
_CORE = set(_SINGLE) - {SH.path, SH.severity, SH.deactivated, SH.flags} | set(_IRI_VALUED) | \
    set(_SHAPE_VALUED) | set(_LIST_OF_SHAPES) | {SH.hasValue, SH.sparql}
# SHACL Advanced Features and extensions this engine does not run: such a shape goes to pyshacl.
_NOT_RUN = {SH.target: "custom targets (sh:target, SHACL-AF)", SH.rule: "rules (sh:rule, SHACL-AF)",
            SH.expression: "node expressions (sh:expression, SHACL-AF)", SH.js: "JavaScript constraints (sh:js)"}


@dataclass(eq=False)
class Constraint:
    """One constraint of a shape: its component, the compiled parameter(s), and for SPARQL-based ones the
    constraint node (sh:sourceConstraint) and query."""

    component: str  # IRI of the constraint component
    kind: str  # which check runs it (see engine._Run.check)
    arg: object = None
    node: object = None  # the sh:sparql constraint node (reported as sh:sourceConstraint)
    messages: tuple = ()  # sh:message of the constraint or validator (SPARQL-based constraints)


@dataclass(eq=False)
class Shape:
    node: object  # the shape's node in the shapes graph (an rdflib term)
    name: str  # how messages name it
    path: tuple | None = None  # compiled sh:path: a property shape; None: a node shape
    path_node: object = None
    severity: str = str(SH.Violation)
    messages: tuple = ()  # its sh:message values (rdflib Literals)
    deactivated: bool = False
    target_classes: list = field(default_factory=list)
    target_nodes: list = field(default_factory=list)
    subjects_of: list = field(default_factory=list)
    objects_of: list = field(default_factory=list)
    constraints: list = field(default_factory=list)
    unsupported: str | None = None  # why this engine hands the shape to pyshacl

    @property
    def message(self) -> str:
        return str(self.messages[0]) if self.messages else ""

    @property
    def has_targets(self) -> bool:
        return bool(self.target_classes or self.target_nodes or self.subjects_of or self.objects_of)

    def refs(self) -> list[Shape]:
        """The shapes this shape's constraints refer to (sh:node, sh:property, sh:and ...)."""
        out = []
        for c in self.constraints:
            if isinstance(c.arg, Shape):
                out.append(c.arg)
            elif c.kind in ("and", "or", "xone"):
                out.extend(c.arg)
            elif c.kind == "qualified":
                out.append(c.arg[0])
                out.extend(c.arg[3])
        return out


class ShapesGraph:
    """A shapes graph compiled: every shape, the shapes with targets (`roots`), and the SPARQL-based
    constraint components it declares."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self._shapes: dict = {}
        self._instances: dict = {}
        self._parents: dict = {}  # property shape node -> shape nodes that list it under sh:property
        for s, o in graph.subject_objects(SH.property):
            self._parents.setdefault(o, []).append(s)
        from .sparql import components

        self.components = components(self)
        self.roots = [self.shape(n) for n in sorted(self._shape_nodes(), key=_order)]
        self.roots = [s for s in self.roots if (s.has_targets or (s.node, SH.target, None) in graph)
                      and not s.deactivated]
        self._propagate_unsupported()

    # -- which nodes are shapes ------------------------------------------------------------------------------
    def instances(self, cls: URIRef) -> set:
        """SHACL instances of `cls` in the shapes graph (rdf:type/rdfs:subClassOf*)."""
        found = self._instances.get(cls)
        if found is None:
            found = self._instances[cls] = self._find_instances(cls)
        return found

    def _find_instances(self, cls: URIRef) -> set:
        classes, todo = set(), [cls]
        while todo:
            c = todo.pop()
            if c not in classes:
                classes.add(c)
                todo.extend(self.graph.subjects(RDFS.subClassOf, c))
        return {s for c in classes for s in self.graph.subjects(RDF.type, c)}

    def _shape_nodes(self) -> set:
        g = self.graph
        nodes = self.instances(SH.NodeShape) | self.instances(SH.PropertyShape)
        for p in _TARGETS:
            nodes |= set(g.subjects(p, None))
        for p in _CORE:
            nodes |= set(g.subjects(p, None))
        for component in self.components:
            for p in component.parameters:
                nodes |= set(g.subjects(p.path, None))
        return {n for n in nodes if isinstance(n, URIRef | BNode)}

    # -- one shape --------------------------------------------------------------------------------------------
    def shape(self, node) -> Shape:
        found = self._shapes.get(node)
        if found is not None:
            return found
        g = self.graph
        shape = Shape(node, describe(g, node))
        self._shapes[node] = shape  # before its constraints: shapes may refer to each other
        self._check_syntax(node, shape.name)
        paths = list(g.objects(node, SH.path))
        if paths:
            if node in self.instances(SH.NodeShape):
                raise ShapesError(f"{shape.name}: a node shape (sh:NodeShape) cannot have sh:path")
            shape.path_node = paths[0]
            shape.path = compile_path(g, paths[0], node)
        elif node in self.instances(SH.PropertyShape):
            raise ShapesError(f"{shape.name}: a property shape (sh:PropertyShape) needs sh:path")
        shape.severity = str(g.value(node, SH.severity) or SH.Violation)
        shape.messages = tuple(g.objects(node, SH.message))
        shape.deactivated = is_true(g.value(node, SH.deactivated))
        shape.target_classes = [str(c) for c in g.objects(node, SH.targetClass)]
        if isinstance(node, URIRef) and node in self.instances(RDFS.Class):
            shape.target_classes.append(str(node))  # an implicit class target (SHACL 2.1.3.3)
        shape.target_classes = sorted(set(shape.target_classes))
        shape.target_nodes = list(dict.fromkeys(term_from_rdflib(n) for n in g.objects(node, SH.targetNode)))
        shape.subjects_of = sorted({str(p) for p in g.objects(node, SH.targetSubjectsOf)})
        shape.objects_of = sorted({str(p) for p in g.objects(node, SH.targetObjectsOf)})
        for key, reason in _NOT_RUN.items():
            if (node, key, None) in g:
                shape.unsupported = f"it uses {reason}"
        if shape.deactivated:
            return shape
        try:
            self._constraints(shape)
        except UnsupportedShape as exc:
            shape.unsupported = str(exc)
        return shape

    def _check_syntax(self, node, name: str) -> None:
        g = self.graph
        for key, kind in _SINGLE.items():
            values = list(g.objects(node, key))
            if len(values) > 1:
                shown = ", ".join(sorted(_show(g, v) for v in values))
                raise ShapesError(f"{name}: sh:{key[len(SH):]} has {len(values)} values ({shown}); it takes one")
            if values and not _kind_ok(g, values[0], kind):
                raise ShapesError(f"{name}: sh:{key[len(SH):]} must be {_KIND_TEXT[kind]}, not {_show(g, values[0])}")
        for key in _IRI_VALUED + _TARGETS[:1] + _TARGETS[2:]:
            for value in g.objects(node, key):
                if not isinstance(value, URIRef):
                    raise ShapesError(f"{name}: sh:{key[len(SH):]} must be an IRI, not {_show(g, value)}")
        for key in _LIST_OF_SHAPES:
            for value in g.objects(node, key):
                if not _kind_ok(g, value, "list"):
                    raise ShapesError(f"{name}: sh:{key[len(SH):]} must be an RDF list of shapes")
        kind = g.value(node, SH.nodeKind)
        if kind is not None and kind not in _NODE_KINDS:
            raise ShapesError(f"{name}: sh:nodeKind {_show(g, kind)} is not one of SHACL's six node kinds")
        for p in (SH.targetNode,):
            for value in g.objects(node, p):
                if isinstance(value, BNode):
                    raise ShapesError(f"{name}: sh:targetNode must be an IRI or a literal, not a blank node")

    def _constraints(self, shape: Shape) -> None:
        g, node, out = self.graph, shape.node, shape.constraints

        def one(key):
            return g.value(node, key)

        def add(component: str, kind: str, arg=None) -> None:
            out.append(Constraint(str(SH[component + "ConstraintComponent"]), kind, arg))

        for cls in sorted(g.objects(node, SH["class"]), key=str):
            add("Class", "class", str(cls))
        if one(SH.datatype) is not None:
            add("Datatype", "datatype", URIRef(one(SH.datatype)))
        if one(SH.nodeKind) is not None:
            add("NodeKind", "nodeKind", _NODE_KINDS[one(SH.nodeKind)])
        if shape.path is not None:
            if one(SH.minCount) is not None:
                add("MinCount", "minCount", int(one(SH.minCount)))
            if one(SH.maxCount) is not None:
                add("MaxCount", "maxCount", int(one(SH.maxCount)))
        else:
            for key in (SH.minCount, SH.maxCount, SH.uniqueLang, SH.qualifiedValueShape, SH.lessThan,
                        SH.lessThanOrEquals):
                if (node, key, None) in g:  # SHACL 2.3: these are for property shapes only
                    raise ShapesError(f"{shape.name}: sh:{key[len(SH):]} is for property shapes (with sh:path); "
                                      "this is a node shape")
        for key, name in ((SH.minExclusive, "MinExclusive"), (SH.minInclusive, "MinInclusive"),
                          (SH.maxExclusive, "MaxExclusive"), (SH.maxInclusive, "MaxInclusive")):
            if one(key) is not None:
                add(name, name[0].lower() + name[1:], term_from_rdflib(one(key)))
        for key, name in ((SH.minLength, "MinLength"), (SH.maxLength, "MaxLength")):
            if one(key) is not None:
                add(name, name[0].lower() + name[1:], int(one(key)))
        if one(SH.pattern) is not None:
            value = one(SH.pattern)
            # as pyshacl compiles it: the literal's value when it has one longer than a character
            text = str(value.value) if isinstance(value, Literal) and value.value is not None and \
                len(str(value.value)) > 1 else str(value)
            try:
                add("Pattern", "pattern", regex(text, str(one(SH.flags) or "")))
            except Exception as exc:  # re.error, or an unknown flag
                raise ShapesError(f"{shape.name}: sh:pattern {text!r} is not a valid regular expression "
                                  f"({exc})") from None
        if one(SH.languageIn) is not None:
            ranges = [str(v) for v in _items(g, one(SH.languageIn))]
            add("LanguageIn", "languageIn", ranges)
        if is_true(one(SH.uniqueLang)):
            add("UniqueLang", "uniqueLang")
        for key, name in ((SH.equals, "Equals"), (SH.disjoint, "Disjoint"), (SH.lessThan, "LessThan"),
                          (SH.lessThanOrEquals, "LessThanOrEquals")):
            for other in sorted(g.objects(node, key), key=str):
                add(name, name[0].lower() + name[1:], str(other))
        for other in g.objects(node, SH["not"]):
            add("Not", "not", self.shape(other))
        for key, name in ((SH["and"], "And"), (SH["or"], "Or"), (SH.xone, "Xone")):
            for members in g.objects(node, key):
                add(name, name.lower(), [self.shape(m) for m in _items(g, members)])
        for other in sorted(g.objects(node, SH.node), key=_order):
            add("Node", "node", self.shape(other))
        for other in sorted(g.objects(node, SH.property), key=_order):
            prop = self.shape(other)
            if prop.path is None:
                raise ShapesError(f"{shape.name}: the value of sh:property {prop.name} needs sh:path")
            out.append(Constraint("", "property", prop))
        if one(SH.qualifiedValueShape) is not None:
            self._qualified(shape, one)
        if is_true(one(SH.closed)):
            allowed = {str(p) for prop in g.objects(node, SH.property) for p in g.objects(prop, SH.path)
                       if isinstance(p, URIRef)}
            if one(SH.ignoredProperties) is not None:
                allowed |= {str(p) for p in _items(g, one(SH.ignoredProperties))}
            add("Closed", "closed", allowed)
        for value in g.objects(node, SH.hasValue):
            add("HasValue", "hasValue", term_from_rdflib(value))
        if one(SH["in"]) is not None:
            add("In", "in", {term_from_rdflib(m) for m in _items(g, one(SH["in"]))})
        from .sparql import sparql_constraints

        out.extend(sparql_constraints(self, shape))

    def _qualified(self, shape: Shape, one) -> None:
        g, node = self.graph, shape.node
        if shape.path is None:
            raise ShapesError(f"{shape.name}: sh:qualifiedValueShape is for property shapes")
        low, high = one(SH.qualifiedMinCount), one(SH.qualifiedMaxCount)
        if low is None and high is None:
            return  # SHACL 4.7.3: without a count the parameter set is incomplete, so there is no constraint
        qualified = self.shape(one(SH.qualifiedValueShape))
        siblings = []
        if is_true(one(SH.qualifiedValueShapesDisjoint)):
            for parent in self._parents.get(node, ()):
                for prop in g.objects(parent, SH.property):
                    for other in g.objects(prop, SH.qualifiedValueShape):
                        if prop != node and other != qualified.node:
                            siblings.append(self.shape(other))
        arg = (qualified, None if low is None else int(low), None if high is None else int(high), siblings)
        shape.constraints.append(Constraint("", "qualified", arg))

    def _propagate_unsupported(self) -> None:
        """A shape that refers to one the engine hands to pyshacl goes to pyshacl as a whole."""
        for root in self.roots:
            if root.unsupported is None:
                reason = _first_unsupported(root, set())
                if reason is not None:
                    root.unsupported = reason


def _first_unsupported(shape: Shape, seen: set) -> str | None:
    if id(shape) in seen:
        return None
    seen.add(id(shape))
    for ref in shape.refs():
        if ref.unsupported is not None:
            return f"{ref.name}, which it refers to: {ref.unsupported}"
        reason = _first_unsupported(ref, seen)
        if reason is not None:
            return reason
    return None


def is_true(value) -> bool:
    """Whether a parameter's value is the literal true ("1"^^xsd:boolean is another term: SHACL reads only
    true; rdflib's == would compare the values)."""
    return isinstance(value, Literal) and value.datatype == XSD.boolean and str(value) == "true"


_KIND_TEXT = {"integer": "an xsd:integer", "iri": "an IRI", "boolean": "true or false", "literal": "a literal",
              "list": "an RDF list", "any": "an IRI or a blank node"}


def _kind_ok(g: Graph, value, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, Literal) and value.datatype == XSD.integer and isinstance(value.value, int)
    if kind == "iri":
        return isinstance(value, URIRef)
    if kind == "boolean":
        return isinstance(value, Literal) and value.datatype == XSD.boolean and isinstance(value.value, bool)
    if kind == "literal":
        return isinstance(value, Literal)
    if kind == "list":
        return value == RDF.nil or _items(g, value, strict=False) is not None
    return isinstance(value, URIRef | BNode)


def _items(g: Graph, node, strict: bool = True) -> list | None:
    """The members of an RDF list; None (or ShapesError when strict) when it is not a well-formed list."""
    items, seen = [], set()
    while node != RDF.nil:
        first, rest = list(g.objects(node, RDF.first)), list(g.objects(node, RDF.rest))
        if node in seen or len(first) != 1 or len(rest) != 1:
            if strict:
                raise ShapesError(f"{describe(g, node)} is not a well-formed RDF list")
            return None
        seen.add(node)
        items.append(first[0])
        node = rest[0]
    return items


def _show(g: Graph, value) -> str:
    """A value as Turtle writes it (1, true, "text", ex:Thing)."""
    if isinstance(value, Literal):
        if value.datatype in (XSD.integer, XSD.boolean, XSD.decimal) and not value.ill_typed:
            return str(value)
        return value.n3(g.namespace_manager)
    return describe(g, value)


def _order(node) -> tuple:
    return (isinstance(node, BNode), str(node))


def compile_shapes(shapes: Graph) -> ShapesGraph:
    """The compiled shapes graph; ShapesError when it is ill-formed."""
    return ShapesGraph(shapes)
