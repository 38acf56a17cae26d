"""SHACL property paths: compiled from the shapes graph once, evaluated over the triple index.

A compiled path is a tuple: ("pred", iri), ("inv", path), ("seq", paths), ("alt", paths), ("zom", path)
(sh:zeroOrMorePath), ("oom", path) (sh:oneOrMorePath) or ("zoo", path) (sh:zeroOrOnePath).
"""

from __future__ import annotations

from rdflib import RDF, BNode, Graph, URIRef

from .errors import ShapesError, describe

__all__ = ["compile_path", "path_values", "sparql_path", "path_iri"]

SH = "http://www.w3.org/ns/shacl#"
_UNARY = {URIRef(SH + "inversePath"): "inv", URIRef(SH + "zeroOrMorePath"): "zom",
          URIRef(SH + "oneOrMorePath"): "oom", URIRef(SH + "zeroOrOnePath"): "zoo"}
_ALTERNATIVE = URIRef(SH + "alternativePath")


def _list(shapes: Graph, node, owner) -> list:
    items, seen = [], set()
    while node != RDF.nil:
        if node in seen or not isinstance(node, BNode | URIRef):
            raise ShapesError(f"{describe(shapes, owner)}: sh:path holds a malformed RDF list")
        seen.add(node)
        first, rest = list(shapes.objects(node, RDF.first)), list(shapes.objects(node, RDF.rest))
        if len(first) != 1 or len(rest) != 1:
            raise ShapesError(f"{describe(shapes, owner)}: sh:path holds a malformed RDF list")
        items.append(first[0])
        node = rest[0]
    return items


def compile_path(shapes: Graph, node, owner, depth: int = 0) -> tuple:
    """The path that `node` (a value of sh:path of `owner`) denotes; ShapesError when it is not a well-formed
    SHACL path."""
    if depth > 64:
        raise ShapesError(f"{describe(shapes, owner)}: sh:path is nested too deeply (a cycle?)")
    if isinstance(node, URIRef):
        return ("pred", str(node))
    if not isinstance(node, BNode):
        raise ShapesError(f"{describe(shapes, owner)}: sh:path must be an IRI or a path node, not {node!r}")
    if (node, RDF.first, None) in shapes:
        members = [compile_path(shapes, m, owner, depth + 1) for m in _list(shapes, node, owner)]
        if len(members) < 2:
            raise ShapesError(f"{describe(shapes, owner)}: a sequence path needs at least two members")
        return ("seq", tuple(members))
    kinds = [(p, o) for p, o in shapes.predicate_objects(node) if p in _UNARY or p == _ALTERNATIVE]
    if len(kinds) != 1 or len(set(shapes.predicates(node, None))) != 1:
        raise ShapesError(f"{describe(shapes, owner)}: a path node must have exactly one of sh:inversePath, "
                          "sh:alternativePath, sh:zeroOrMorePath, sh:oneOrMorePath, sh:zeroOrOnePath")
    key, value = kinds[0]
    if key == _ALTERNATIVE:
        members = [compile_path(shapes, m, owner, depth + 1) for m in _list(shapes, value, owner)]
        if len(members) < 2:
            raise ShapesError(f"{describe(shapes, owner)}: sh:alternativePath needs at least two members")
        return ("alt", tuple(members))
    return (_UNARY[key], compile_path(shapes, value, owner, depth + 1))


def path_iri(path: tuple) -> str:
    """The IRI of a predicate path; '' for any other path (as pyshacl's report is compared)."""
    return path[1] if path[0] == "pred" else ""


def sparql_path(path: tuple) -> str:
    """The path in SPARQL property-path syntax (what $PATH stands for in a SPARQL-based constraint)."""
    kind, arg = path
    if kind == "pred":
        return "<" + arg + ">"
    if kind == "inv":
        return "^(" + sparql_path(arg) + ")"
    if kind == "seq":
        return "(" + "/".join(sparql_path(p) for p in arg) + ")"
    if kind == "alt":
        return "(" + "|".join(sparql_path(p) for p in arg) + ")"
    return "(" + sparql_path(arg) + ")" + {"zom": "*", "oom": "+", "zoo": "?"}[kind]


def path_values(index, focus, path: tuple) -> list:
    """The value nodes of `path` from `focus`: distinct, in the order first reached."""
    kind, arg = path
    if kind == "pred":
        po = index.spo.get(focus)
        return list(po.get(arg, ())) if po else []
    return list(dict.fromkeys(_walk(index, [focus], path)))


def _walk(index, nodes: list, path: tuple) -> list:
    kind, arg = path
    if kind == "pred":
        out = []
        for n in nodes:
            po = index.spo.get(n)
            if po:
                out.extend(po.get(arg, ()))
        return out
    if kind == "inv":
        if arg[0] == "pred":
            ops = index.ops()
            out = []
            for n in nodes:
                ps = ops.get(n)
                if ps:
                    out.extend(ps.get(arg[1], ()))
            return out
        return _inverse(index, nodes, arg)
    if kind == "seq":
        for step in arg:
            nodes = list(dict.fromkeys(_walk(index, nodes, step)))
        return nodes
    if kind == "alt":
        return [v for step in arg for v in _walk(index, nodes, step)]
    if kind == "zoo":
        return list(nodes) + _walk(index, nodes, arg)
    # zero or more / one or more: the closure, breadth first
    seen = dict.fromkeys(nodes) if kind == "zom" else {}
    frontier = list(dict.fromkeys(_walk(index, nodes, arg)))
    while frontier:
        new = [n for n in frontier if n not in seen]
        seen.update(dict.fromkeys(new))
        frontier = list(dict.fromkeys(_walk(index, new, arg))) if new else []
    return list(seen)


def _inverse(index, nodes: list, path: tuple) -> list:
    """Nodes from which `path` reaches one of `nodes` (the inverse of a complex path)."""
    kind, arg = path
    if kind == "inv":
        return _walk(index, nodes, arg)
    if kind == "seq":
        for step in reversed(arg):
            nodes = list(dict.fromkeys(_walk(index, nodes, ("inv", step))))
        return nodes
    if kind == "alt":
        return [v for step in arg for v in _walk(index, nodes, ("inv", step))]
    return _walk(index, nodes, (kind, ("inv", arg)))  # (p*)^-1 = (^p)*, likewise + and ?
