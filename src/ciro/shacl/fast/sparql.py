"""SHACL-SPARQL for the fast engine: sh:sparql constraints and SPARQL-based constraint components, checked
against the spec's syntax rules and run on pyoxigraph with the spec's pre-binding.

Pre-binding (SHACL 5.3.1) is pyoxigraph's `Store.query(..., substitutions=...)` (SEP-0007), one query per focus
node (per value node for ASK validators). Three adaptations, each keeping the spec's meaning:
* pyoxigraph substitutes only variables of the SELECT projection, so the pre-bound variables a query uses are
  added to its projection (and to its GROUP BY); an ASK query becomes `SELECT <pre-bound> WHERE ... LIMIT 1`.
* pyoxigraph 0.5 does not substitute inside BIND expressions (`BIND($this AS ?x)` leaves ?x unbound), so a
  pre-bound variable there is read through a custom function that returns its value; and its BOUND($this) is
  false in a group where no pattern binds $this, so BOUND of a pre-bound variable is written `(true)` (which
  it is, by the spec's definition).
* $PATH is replaced by the shape's path in SPARQL syntax, as the spec defines it.

Before any query runs, every query of the shapes graph is checked: MINUS, VALUES, SERVICE (federated query),
`AS ?v` for a pre-bound ?v and sub-selects that drop a pre-bound variable are refused (ShapesError). So the
validator never sends a request anywhere: pyoxigraph would run SERVICE for real.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from rdflib import RDF, BNode, Literal, URIRef
from rdflib.namespace import OWL

from .errors import ShapesError, UnsupportedShape, describe
from .paths import sparql_path

__all__ = ["components", "sparql_constraints", "PreparedQuery", "SparqlStore", "query_predicates"]

SH = "http://www.w3.org/ns/shacl#"
_S = {k: URIRef(SH + k) for k in ("sparql", "select", "ask", "prefixes", "declare", "prefix", "namespace", "message",
                                  "deactivated", "parameter", "path", "optional", "validator", "nodeValidator",
                                  "propertyValidator", "ConstraintComponent")}
SHAPES_GRAPH = "urn:x-ciro:shapes-graph"  # the named graph holding the shapes graph, for $shapesGraph
_FUNCTION = "urn:x-ciro:prebound:"  # custom functions standing for pre-bound variables inside BIND

_TOKEN = re.compile(r'''
    (?P<ws>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^'\\]|\\.|'(?!''))*\'\'\'
               |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][A-Za-z0-9_\u00B7\u00C0-\uFFFF]+)
  | (?P<word>(?:[A-Za-z_][\w\-.]*)?:[\w\-.:%]*|[A-Za-z_][\w\-]*)
  | (?P<number>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)
  | (?P<punct>.)
''', re.X | re.S)
_AGGREGATES = {"COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT"}


def _true(value) -> bool:
    from .shapes import is_true

    return is_true(value)


def _tokens(text: str) -> list[tuple[str, str]]:
    return [(m.lastgroup, m.group()) for m in _TOKEN.finditer(text)]


@dataclass(frozen=True)
class Parameter:
    path: URIRef
    name: str  # the variable it pre-binds: the local name of its path
    optional: bool


@dataclass
class Component:
    """A SPARQL-based constraint component declared in the shapes graph."""

    node: object
    parameters: list[Parameter]
    validators: dict  # "node" / "property" -> (validator node, "ask" | "select")
    messages: tuple


@dataclass
class PreparedQuery:
    """A query ready to run once per focus node: its text (prologue included) and the pre-bound variables it
    uses, with their fixed values (parameters, $currentShape, $shapesGraph)."""

    text: str
    ask: bool
    varying: tuple[str, ...]  # pre-bound per run: "this", and "value" for ASK validators
    fixed: dict = field(default_factory=dict)  # variable -> rdflib term
    reads: frozenset | None = None  # predicates it can read (None: any)
    objects: dict = field(default_factory=dict)  # predicate -> the only objects it can read with it (IRIs), for
    # predicates of `reads` read only in triple patterns with a constant IRI object (query_reads)
    shapes_graph: bool = False  # whether it reads $shapesGraph
    batch: bool = False  # one run for every focus node gives the same solutions (see _batchable)


def _instances(sg, cls: URIRef) -> set:
    return sg.instances(cls)


def components(sg) -> list[Component]:
    g = sg.graph
    out = []
    for node in sorted(_instances(sg, _S["ConstraintComponent"]), key=str):
        params = []
        for p in g.objects(node, _S["parameter"]):
            path = g.value(p, _S["path"])
            if not isinstance(path, URIRef):
                raise ShapesError(f"constraint component {describe(g, node)}: a parameter needs an IRI as sh:path")
            name = re.split(r"[#/:]", str(path))[-1]
            params.append(Parameter(path, name, _true(g.value(p, _S["optional"]))))
        if not params:
            continue
        validators = {}
        for key, kinds in (("validator", ("node", "property")), ("nodeValidator", ("node",)),
                           ("propertyValidator", ("property",))):
            for v in g.objects(node, _S[key]):
                kind = "ask" if (v, _S["ask"], None) in g else "select" if (v, _S["select"], None) in g else None
                if kind is None:
                    continue
                for k in kinds:
                    if key != "validator" or k not in validators:
                        validators[k] = (v, kind)
        out.append(Component(node, sorted(params, key=lambda p: p.name), validators,
                             tuple(g.objects(node, _S["message"]))))
    return out


def sparql_constraints(sg, shape) -> list:
    """The SPARQL-based constraints of `shape`: its sh:sparql values and the custom components it uses."""
    from .shapes import Constraint

    g, node, out = sg.graph, shape.node, []
    for constraint in sorted(g.objects(node, _S["sparql"]), key=str):
        if _true(g.value(constraint, _S["deactivated"])):
            continue
        selects = list(g.objects(constraint, _S["select"]))
        if len(selects) != 1:
            raise ShapesError(f"{shape.name}: its sh:sparql {describe(g, constraint)} needs exactly one sh:select")
        where = f"{shape.name}, sh:sparql {describe(g, constraint)}"
        query = prepare(sg, shape, constraint, str(selects[0]), ("this",), where, {})
        out.append(Constraint(SH + "SPARQLConstraintComponent", "sparql", query, constraint,
                              tuple(g.objects(constraint, _S["message"]))))
    for component in sg.components:
        if any((node, p.path, None) not in g for p in component.parameters if not p.optional):
            continue
        if _true(g.value(component.node, _S["deactivated"])):
            continue
        validator = component.validators.get("property" if shape.path is not None else "node")
        if validator is None:
            continue  # SHACL 6.2.3: no validator for this kind of shape, so no constraint
        v_node, kind = validator
        where = f"{shape.name}, constraint component {describe(g, component.node)}"
        for values in _parameter_sets(g, node, component.parameters, shape.name):
            text = str(g.value(v_node, _S[kind]))
            query = prepare(sg, shape, v_node, text, ("this", "value") if kind == "ask" else ("this",), where,
                            values)
            messages = tuple(g.objects(v_node, _S["message"])) or component.messages
            out.append(Constraint(str(component.node), "ask" if kind == "ask" else "select", query, None, messages))
    return out


def _parameter_sets(g, node, params, name) -> list[dict]:
    sets: list[dict] = [{}]
    for p in params:
        values = sorted(g.objects(node, p.path), key=str)
        if not values:
            continue
        sets = [dict(s, **{p.name: v}) for s in sets for v in values]
    return sets


def _prologue(sg, holder) -> str:
    """PREFIX declarations from sh:prefixes: the sh:declare of each value, and of what it owl:imports."""
    g, lines, seen = sg.graph, [], set()
    todo = list(g.objects(holder, _S["prefixes"]))
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        todo.extend(g.objects(node, OWL.imports))
        for decl in g.objects(node, _S["declare"]):
            prefix, namespace = g.value(decl, _S["prefix"]), g.value(decl, _S["namespace"])
            if prefix is None or namespace is None:
                raise ShapesError(f"{describe(g, node)}: an sh:declare needs sh:prefix and sh:namespace")
            lines.append(f"PREFIX {prefix}: <{namespace}>")
    return "\n".join(sorted(set(lines)))


def prepare(sg, shape, holder, text: str, varying: tuple, where: str, params: dict) -> PreparedQuery:
    """Check a query against SHACL's rules and rewrite it for pyoxigraph's pre-binding (see the module doc)."""
    tokens = _tokens(text)
    if shape.path is not None:
        path = sparql_path(shape.path)
        tokens = [("iri", path) if kind == "var" and tok[1:] == "PATH" else (kind, tok) for kind, tok in tokens]
    elif any(kind == "var" and tok[1:] == "PATH" for kind, tok in tokens):
        raise ShapesError(f"{where}: $PATH is only for property shapes")
    prologue = _prologue(sg, holder)
    fixed = {name: value for name, value in params.items()}
    fixed["currentShape"] = shape.node
    fixed["shapesGraph"] = URIRef(SHAPES_GRAPH)
    prebound = set(varying) | set(fixed)
    body = "".join(tok for _kind, tok in tokens)
    tree, (reads, objects) = _analyse(prologue + "\n" + body, where)
    _check(tree, prebound, set(varying) | set(params), where)
    used = {tok[1:] for kind, tok in tokens if kind == "var"} & prebound
    tokens = _rewrite(tokens, used, where, _in_scope(_get(tree, "where")))
    fixed = {k: v for k, v in fixed.items() if k in used}
    text = prologue + "\n" + "".join(tok for _kind, tok in tokens)
    _dry_run(text, where, tuple(sorted(used)))  # pyoxigraph must accept the rewritten query: on an empty store
    ask = tree.name == "AskQuery"
    return PreparedQuery(text, ask, tuple(v for v in varying if v in used), fixed, reads, objects,
                         "shapesGraph" in used, varying == ("this",) and _batchable(tree))


def _get(node, key: str):
    """A CompValue's field, or None (CompValue.get returns the key itself when it is missing)."""
    return dict.get(node, key) if isinstance(node, dict) else None


def _analyse(text: str, where: str):
    """The query's syntax tree and the predicates it can read: one parse by rdflib (slow, so remembered by text:
    shapes that share a validator share its query)."""
    try:
        return _analysed(text)
    except ShapesError as exc:
        raise ShapesError(f"{where}: {exc}") from None


@functools.lru_cache(maxsize=4096)
def _analysed(text: str):
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        parsed = parseQuery(text)
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ShapesError(f"the SPARQL query does not parse ({first})") from None
    query = parsed[1]
    if query.name not in ("SelectQuery", "AskQuery"):
        raise ShapesError("only SELECT and ASK queries can be SHACL constraints")
    try:
        reads = query_reads(translateQuery(parsed).algebra)
    except Exception:  # rdflib cannot translate it (pyoxigraph's dry run decides whether it is valid)
        reads = None, {}
    return query, reads


@functools.lru_cache(maxsize=4096)
def _dry_run(text: str, where: str, used: tuple[str, ...]) -> None:
    import pyoxigraph as ox

    blank = ox.NamedNode("urn:x-ciro:dry-run")
    try:
        ox.Store().query(text, substitutions={ox.Variable(v): blank for v in used},
                         custom_functions={ox.NamedNode(_FUNCTION + v): (lambda: blank) for v in used})
    except SyntaxError as exc:
        first = str(exc).splitlines()[0]
        if "Prefix not found" in first:
            first = first.split(": expected", 1)[0] + ": a prefix that no sh:prefixes declares"
        raise ShapesError(f"{where}: the SPARQL query does not parse ({first})") from None


def _walk(node):
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(node, CompValue):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list | tuple) or type(node).__name__ == "ParseResults":
        for value in node:
            yield from _walk(value)


def _vars(node) -> set[str]:
    from rdflib.term import Variable

    found = set()

    def visit(n):
        if isinstance(n, Variable):
            found.add(str(n))
        elif isinstance(n, dict):
            for v in n.values():
                visit(v)
        elif isinstance(n, list | tuple) or type(n).__name__ == "ParseResults":
            for v in n:
                visit(v)

    visit(node)
    return found


def _in_scope(where) -> set[str]:
    """Variables a group pattern binds (SPARQL 18.2.1): those of its triples, BINDs and nested groups, not those
    only in FILTERs; a sub-select contributes what it projects."""
    found: set[str] = set()

    def visit(n):
        from rdflib.plugins.sparql.parserutils import CompValue

        if isinstance(n, CompValue):
            if n.name == "Filter":
                return
            if n.name == "SubSelect":
                found.update(_projected(n))
                return
            if n.name == "TriplesBlock":
                found.update(_vars(_get(n, "triples")))
                return
            if n.name == "Bind":
                found.add(str(_get(n, "var")))
            for v in n.values():
                visit(v)
        elif isinstance(n, list | tuple) or type(n).__name__ == "ParseResults":
            for v in n:
                visit(v)

    visit(where)
    return found


def _projected(select) -> set[str]:
    projection = _get(select, "projection")
    if not projection:
        return _in_scope(_get(select, "where"))
    out = set()
    for item in projection:
        var = _get(item, "var") if hasattr(item, "get") else None
        evar = _get(item, "evar") if hasattr(item, "get") else None
        out.add(str(var if var is not None else evar))
    return out


def _check(tree, prebound: set[str], required: set[str], where: str) -> None:
    """SHACL 5.3.1's syntax rules for queries with pre-bound variables."""
    for node in _walk(tree):
        if node.name == "ServiceGraphPattern":
            raise ShapesError(f"{where}: SERVICE (a federated query) is not allowed in SHACL constraints; "
                              "the query was not run")
        if node.name == "MinusGraphPattern":
            raise ShapesError(f"{where}: MINUS is not allowed in SHACL constraints (SHACL 5.3.1)")
        if node.name in ("InlineData", "ValuesClause") and (_get(node, "var") or _get(node, "value") or
                                                           node.name == "InlineData"):
            raise ShapesError(f"{where}: VALUES is not allowed in SHACL constraints (SHACL 5.3.1)")
        if node.name == "Bind" and str(_get(node, "var")) in prebound:
            raise ShapesError(f"{where}: BIND (... AS ?{_get(node, 'var')}) assigns a pre-bound variable "
                              "(SHACL 5.3.1)")
        if node.name == "SubSelect":
            missing = sorted(required - _projected(node))
            if missing:
                raise ShapesError(f"{where}: a sub-select must return the pre-bound variable(s) "
                                  f"{', '.join('$' + m for m in missing)} (SHACL 5.3.1)")
    values = _get(tree, "valuesClause")
    if values is not None and (_get(values, "var") or _get(values, "value")):
        raise ShapesError(f"{where}: VALUES is not allowed in SHACL constraints (SHACL 5.3.1)")
    for item in _get(tree, "projection") or []:
        if _get(item, "evar") is not None and str(_get(item, "evar")) in prebound:
            raise ShapesError(f"{where}: (... AS ?{_get(item, 'evar')}) assigns a pre-bound variable (SHACL 5.3.1)")


def _batchable(tree) -> bool:
    """Whether running the query once, unbound, and keeping the solutions whose ?this is the focus node gives
    what pre-binding $this gives: true when a triple pattern of the top-level group binds $this (so every
    solution binds it and a join on it is a substitution), every other $this is in a triple pattern or in a
    FILTER of that top-level group (which sees the binding), and nothing counts or cuts solutions (no
    sub-select, aggregate, GROUP BY, LIMIT or OFFSET). Then one query serves all focus nodes, instead of one
    query each; CIRO's cycle rule is such a query."""
    if tree.name != "SelectQuery" or any(_get(tree, k) for k in ("groupby", "having", "limitoffset")):
        return False
    where = _get(tree, "where")
    parts = list(_get(where, "part") or []) if where is not None else []
    if not any(p.name == "TriplesBlock" and "this" in _vars(_get(p, "triples")) for p in parts):
        return False
    for item in _get(tree, "projection") or []:
        expr = _get(item, "expr")
        if expr is not None and ("this" in _vars(expr) or any(n.name.startswith("Aggregate") for n in _walk(expr))):
            return False
    top_filters = {id(p) for p in parts if p.name == "Filter"}

    def ok(node) -> bool:
        from rdflib.plugins.sparql.parserutils import CompValue

        if isinstance(node, CompValue):
            if node.name == "SubSelect":
                return False
            if node.name == "TriplesBlock" or id(node) in top_filters:
                return True
            if node.name in ("Filter", "Bind") and "this" in _vars(node):
                return False
            return all(ok(v) for v in node.values())
        if isinstance(node, list | tuple) or type(node).__name__ == "ParseResults":
            return all(ok(v) for v in node)
        return True

    return ok(where)


def _rewrite(tokens: list, used: set[str], where: str, scope: set[str]) -> list:
    """Add the pre-bound variables to the projection (and GROUP BY), turn ASK into SELECT, and read pre-bound
    variables inside BIND through custom functions (see the module doc)."""
    if not used:
        return tokens
    out = list(tokens)
    significant = [i for i, (kind, _tok) in enumerate(out) if kind not in ("ws", "comment")]

    def word(i: int) -> str:
        kind, tok = out[i]
        return tok.upper() if kind == "word" else tok

    # BIND ( ... ) anywhere: pre-bound variables in the expression become function calls
    depth_of_bind, depth = [], 0
    for i in significant:
        kind, tok = out[i]
        if kind == "word" and tok.upper() == "BIND":
            depth_of_bind.append(depth)
        elif tok == "(":
            depth += 1
        elif tok == ")":
            depth -= 1
            if depth_of_bind and depth == depth_of_bind[-1]:
                depth_of_bind.pop()
        elif kind == "var" and depth_of_bind and tok[1:] in used:
            out[i] = ("iri", f"<{_FUNCTION}{tok[1:]}>()")
    # BOUND(?v) of a pre-bound variable is true (pyoxigraph answers false where no pattern binds ?v)
    for n in range(len(significant) - 3):
        a, b, c, d = (significant[n + k] for k in range(4))
        if word(a) == "BOUND" and out[b][1] == "(" and out[c][0] == "var" and out[c][1][1:] in used and \
                out[d][1] == ")":
            out[a], out[b], out[c], out[d] = ("word", "(true)"), ("ws", ""), ("ws", ""), ("ws", "")
    names = " ".join("?" + v for v in sorted(used))
    first = next((i for i in significant if word(i) in ("SELECT", "ASK")), None)
    if first is None:
        raise ShapesError(f"{where}: no SELECT or ASK in the query")
    if word(first) == "ASK":
        nxt = next((i for i in significant if i > first), None)
        out[first] = ("word", f"SELECT {names}" + ("" if nxt is not None and word(nxt) == "WHERE" else " WHERE"))
        if not any(word(i) == "LIMIT" for i in significant):
            out.append(("word", " LIMIT 1"))
        return out
    after = [i for i in significant if i > first]
    at = after[0]
    if word(at) in ("DISTINCT", "REDUCED"):
        at = after[1]
    end = next(i for i in after if word(i) in ("WHERE", "{", "FROM"))
    projection = {out[i][1][1:] for i in after if i < end and out[i][0] == "var"}
    top_words = _top_level_words(out, significant, first)
    if out[at][1] == "*":
        if used <= scope:  # SELECT * projects them already
            return out
        raise UnsupportedShape("its SELECT * query uses pre-bound variables that no pattern binds, which "
                               "pyoxigraph can only pre-bind when they are projected")
    missing = sorted(used - projection)
    if missing:
        out[at] = ("word", " ".join("?" + v for v in missing) + " " + out[at][1])
    aggregated = any(word(i) in _AGGREGATES for i in after if i < end)
    if "GROUP" in top_words:
        g = top_words["GROUP"]
        by = next(i for i in significant if i > g)
        out[by] = ("word", out[by][1] + " " + names)
    elif aggregated:
        raise UnsupportedShape("its query aggregates without GROUP BY over pre-bound variables")
    return out


def _top_level_words(out, significant, first) -> dict[str, int]:
    """Positions of the solution-modifier keywords of the outer query (outside every brace)."""
    depth, found = 0, {}
    for i in significant:
        if i <= first:
            continue
        kind, tok = out[i]
        if tok == "{":
            depth += 1
        elif tok == "}":
            depth -= 1
        elif depth == 0 and kind == "word" and tok.upper() in ("GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET"):
            found.setdefault(tok.upper(), i)
    return found


def query_predicates(algebra) -> frozenset | None:
    """The predicates a query (its rdflib algebra) can read, or None when it can read any (a variable or
    negated path)."""
    return query_reads(algebra)[0]


def query_reads(algebra) -> tuple[frozenset | None, dict]:
    """(the predicates a query (its rdflib algebra) can read, or None when it can read any (a variable or negated
    path); predicate -> the objects it can read with that predicate, for the predicates it reads only in triple
    patterns whose object is an IRI: `$this a ex:C` reads no rdf:type triple of another class, so a store for
    the query needs none)."""
    from rdflib.paths import NegatedPath
    from rdflib.paths import Path as RdfPath
    from rdflib.term import Variable

    found: set[str] = set()
    objects: dict[str, set | None] = {}  # predicate -> constant IRI objects, None once read with any other
    everything = False

    def path_iris(path, into: set) -> None:
        nonlocal everything
        if isinstance(path, NegatedPath):
            everything = True
        elif isinstance(path, URIRef):
            into.add(str(path))
        elif isinstance(path, RdfPath):  # sequence, alternative (args), inverse (arg), repetition (path)
            parts = list(getattr(path, "args", None) or []) + [getattr(path, "arg", None), getattr(path, "path", None)]
            for part in parts:
                if part is not None:
                    path_iris(part, into)
        else:
            everything = True  # a kind of path this function does not know: assume it reads anything

    def visit(node) -> None:
        nonlocal everything
        if isinstance(node, dict):
            if getattr(node, "name", None) == "Graph":
                everything = True  # GRAPH: named graphs (the shapes graph) are loaded whole anyway
            for triple in dict.get(node, "triples") or []:  # (CompValue.get returns the key when missing)
                predicate, obj = triple[1], triple[2]
                if isinstance(predicate, Variable):
                    everything = True
                    continue
                iris: set[str] = set()
                path_iris(predicate, iris)
                found.update(iris)
                # an IRI object with a plain predicate reads only that object; anything else (a path, or a
                # variable, blank node or literal object: a literal as stored may be another form) any object
                constant = isinstance(predicate, URIRef) and isinstance(obj, URIRef)
                for p in iris:
                    if not constant:
                        objects[p] = None
                    elif objects.setdefault(p, set()) is not None:
                        objects[p].add(str(obj))
            for value in node.values():
                visit(value)
        elif isinstance(node, list | tuple):
            for value in node:
                visit(value)

    visit(algebra)
    if everything:
        return None, {}
    return frozenset(found), {p: frozenset(o) for p, o in objects.items() if o is not None and p in found}


# --- running ------------------------------------------------------------------------------------------------

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def to_ox(term):
    """An index term (or rdflib term) as a pyoxigraph term."""
    import pyoxigraph as ox

    cls = type(term)
    if cls is str or isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if cls is tuple:
        return ox.Literal(term[0])
    if isinstance(term, BNode):
        return ox.BlankNode(_bnode_id(term))
    if term.language:
        return ox.Literal(str(term), language=term.language)
    if term.datatype:
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
    return ox.Literal(str(term))


def _bnode_id(term) -> str:
    text = str(term)
    return text if re.fullmatch(r"[A-Za-z0-9_]+", text) else "x" + text.encode().hex()


def from_ox(term, blanks: dict):
    """A pyoxigraph term in the index's form."""
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return blanks.get(term.value) or BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype.value == "http://www.w3.org/2001/XMLSchema#string":
        return (term.value,)
    return Literal(term.value, datatype=term.datatype.value)


def _objects_read(queries: list[PreparedQuery]) -> dict:
    """predicate -> the only objects any of the queries can read with it (IRIs, as the index holds them), for
    the predicates every query reads only with constant IRI objects (PreparedQuery.objects)."""
    out: dict = {}
    for p in set().union(*(q.reads for q in queries)):
        if all(p in q.objects for q in queries if p in q.reads):
            out[p] = frozenset().union(*(q.objects[p] for q in queries if p in q.reads))
    return out


class SparqlStore:
    """The data graph's triples that the queries can read (and the shapes graph, when a query reads
    $shapesGraph), in one pyoxigraph store."""

    def __init__(self, index, queries: list[PreparedQuery], shapes_graph):
        import pyoxigraph as ox

        predicates: set | None = set()
        for q in queries:
            predicates = None if q.reads is None or predicates is None else predicates | q.reads
        objects = _objects_read(queries) if predicates is not None else {}
        self.blanks: dict = {}
        self.store = ox.Store()
        triples = [t for t in index.triples(predicates)  # (an IRI is a str; a literal never one of `objects`)
                   if t[1] not in objects or (type(t[2]) is str and t[2] in objects[t[1]])]
        named: dict = {}  # one NamedNode per IRI (most recur: classes, enum meanings, linked records)

        def term(t):
            if type(t) is not str:
                if isinstance(t, BNode):
                    self.blanks[_bnode_id(t)] = t
                return to_ox(t)
            node = named.get(t)
            if node is None:
                node = named[t] = ox.NamedNode(t)
            return node

        self.store.extend([ox.Quad(term(s), term(p), term(o)) for s, p, o in triples])
        self.altered = self._altered(o for _s, _p, o in triples)
        if any(q.shapes_graph for q in queries):
            graph = ox.NamedNode(SHAPES_GRAPH)
            for s, p, o in shapes_graph:
                for t in (s, o):
                    if isinstance(t, BNode):
                        self.blanks.setdefault(_bnode_id(t), t)
                self.store.add(ox.Quad(to_ox(s), ox.NamedNode(str(p)), to_ox(o), graph))
        self._batches: dict = {}

    def _altered(self, objects) -> list:
        """Typed literals the store keeps in another form than the data's ("5"^^xsd:int becomes
        "5"^^xsd:integer, "01" becomes "1"): a query reading them could answer otherwise than on the data."""
        import pyoxigraph as ox

        typed = {o for o in objects if type(o) is not str and type(o) is not tuple and isinstance(o, Literal)
                 and o.datatype is not None and str(o.datatype) != _XSD_STRING}
        if not typed:
            return []
        probe = ox.Store()
        subject, predicate = ox.NamedNode("urn:x-ciro:s"), ox.NamedNode("urn:x-ciro:p")
        probe.extend(ox.Quad(subject, predicate, to_ox(t)) for t in typed)
        kept = {(q.object.value, q.object.datatype.value) for q in probe}
        return sorted(t for t in typed if (str(t), str(t.datatype)) not in kept)

    def batch(self, query: PreparedQuery, budget: int | None = None) -> dict | None:
        """A batchable query's solutions for every focus node at once: ?this -> its solutions (as `solutions`
        reads them), or None when there are more than `budget` (then one query per focus node costs less)."""
        found = self._batches.get(id(query))
        if found is None:
            rows = self._query(query, {})
            names = [v.value for v in rows.variables]
            groups: dict = {}
            blanks = self.blanks
            for n, row in enumerate(rows):
                if budget is not None and n >= budget:
                    return None
                this = row["this"]
                key = None if this is None else from_ox(this, blanks)
                group = groups.get(key)
                if group is None:
                    groups[key] = [row]
                else:
                    group.append(row)
            found = self._batches[id(query)] = (names, groups)
        return found

    def batch_rows(self, found: tuple, focus) -> list:
        """The solutions of a batch (`batch`) whose ?this is `focus`, as dicts of index terms (converted only
        for the focus nodes asked for: a batch can hold many more)."""
        names, groups = found
        return [{n: from_ox(row[n], self.blanks) for n in names if row[n] is not None}
                for row in groups.get(focus, ())]

    def _query(self, query: PreparedQuery, bindings: dict):
        import pyoxigraph as ox

        values = dict(query.fixed)
        values.update(bindings)
        terms = {k: to_ox(v) for k, v in values.items()}
        subs = {ox.Variable(k): t for k, t in terms.items()}
        functions = {ox.NamedNode(_FUNCTION + k): (lambda t=t: t) for k, t in terms.items()}
        return self.store.query(query.text, substitutions=subs, custom_functions=functions)

    def run(self, query: PreparedQuery, bindings: dict):
        """The solutions of `query` with `bindings` (variable -> index term) pre-bound, as dicts of index
        terms; for an ASK query, whether it has a solution."""
        import pyoxigraph as ox

        rows = self._query(query, bindings)
        if isinstance(rows, ox.QueryBoolean):
            return bool(rows)
        if query.ask:
            return next(iter(rows), None) is not None
        names = [v.value for v in rows.variables]
        return [{n: from_ox(row[n], self.blanks) for n in names if row[n] is not None} for row in rows]


def bound_message(template: str, row: dict) -> str:
    """An sh:message template with {?var} / {$var} replaced by the solution's values."""
    def value(m):
        term = row.get(m.group(1))
        if term is None:
            return m.group(0)
        return term[0] if type(term) is tuple else str(term)

    return re.sub(r"\{[?$]([A-Za-z0-9_]+)\}", value, template)


def is_true(term) -> bool:
    return isinstance(term, Literal) and term.value is True


__all__ += ["to_ox", "from_ox", "bound_message", "is_true", "RDF"]
