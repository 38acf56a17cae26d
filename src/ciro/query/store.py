"""`ciro query`: SPARQL over the release on an embedded pyoxigraph store, or on a remote SPARQL endpoint.

pyoxigraph answers multi-hop queries in milliseconds where rdflib's engine grows quadratically. A remote
endpoint (`ciro serve`, Virtuoso ...) is reached with the SPARQL 1.1 Protocol over HTTP (stdlib urllib);
its answers are turned into the same `QueryResult`, so every output format and comparison works on both.
"""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from ..curate.errors import CiroError

__all__ = [
    "QueryError",
    "QueryResult",
    "load_store",
    "run_query",
    "run_remote",
    "query_form",
    "format_result",
    "results_xml",
    "results_tsv",
    "results_csv",
    "canonical_term",
    "canonical_rows",
    "FORMATS",
    "PREFIXES",
    "RELEASE_GRAPH",
]

FORMATS = ("table", "csv", "tsv", "json", "xml", "turtle")
# The graph name under which a triple store holds the release (ciro.ttl + its import module); `ciro serve`
# answers a request for it from its default graph.
RELEASE_GRAPH = "https://w3id.org/ciro/ciro.owl"
PREFIXES = {
    "CIRO": "https://w3id.org/ciro/CIRO_",
    "cirovocab": "https://w3id.org/ciro/vocab/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "IAO": "http://purl.obolibrary.org/obo/IAO_",
    "oboInOwl": "http://www.geneontology.org/formats/oboInOwl#",
}
_XSD = "http://www.w3.org/2001/XMLSchema#"
_NUMERIC = {_XSD + t for t in (
    "integer", "int", "long", "short", "byte", "decimal", "nonNegativeInteger", "positiveInteger",
    "nonPositiveInteger", "negativeInteger", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte")}
_FLOATING = {_XSD + "double", _XSD + "float"}
_PROLOGUE = re.compile(r"\s+|#[^\n]*|(?i:BASE)\s*<[^>]*>|(?i:PREFIX)\s+[^\s:]*:\s*<[^>]*>")
_FORM = re.compile(r"(?i)(SELECT|ASK|CONSTRUCT|DESCRIBE|INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b")
_MAX_MESSAGE = 300


class QueryError(CiroError):
    """The query is not valid SPARQL, or could not be run (here or on the remote endpoint)."""


@dataclass(frozen=True)
class QueryResult:
    """Rows of a SELECT (variables + rows of pyoxigraph terms, None where unbound), a boolean, or a graph."""

    kind: str  # "select" | "ask" | "graph"
    variables: tuple[str, ...] = ()
    rows: tuple[tuple[object, ...], ...] = ()
    boolean: bool | None = None
    turtle: str = ""
    triples: tuple[object, ...] = ()
    warning: str = ""


def load_store(ontology_dir: Path):
    """An in-memory store holding the release (ciro.ttl) and its import module (for external labels)."""
    import pyoxigraph as ox

    store = ox.Store()
    main = ontology_dir / "ciro.ttl"
    if not main.is_file():
        raise QueryError(f"{main} not found: run `ciro build` first")
    store.bulk_load(path=str(main), format=ox.RdfFormat.TURTLE)
    external = ontology_dir / "imports" / "ciro-external.owl"
    if external.is_file():
        store.bulk_load(path=str(external), format=ox.RdfFormat.RDF_XML)
    return store


def query_form(text: str) -> str | None:
    """The query form after the prologue (SELECT, ASK, CONSTRUCT, DESCRIBE, or an update keyword), upper case."""
    pos = 0
    while True:
        match = _PROLOGUE.match(text, pos)
        if not match or match.end() == pos:
            break
        pos = match.end()
    match = _FORM.match(text, pos)
    return match.group(1).upper() if match else None


def _syntax_message(exc: BaseException, text: str) -> str:
    message = str(exc.args[0]) if exc.args else str(exc)
    if "Prefix not found" in message:
        message = message.split(": expected", 1)[0] + ": a prefix is used without a PREFIX declaration"
    if len(message) > _MAX_MESSAGE:
        message = message[:_MAX_MESSAGE].rstrip() + " ..."
    where = re.match(r"error at (\d+):(\d+)", message)
    if where:
        lines = text.splitlines()
        number = int(where.group(1))
        if 0 < number <= len(lines):
            message += f"\n  line {number}: {lines[number - 1].strip()}"
    return f"SPARQL syntax {message}"


def _graph_result(triples: list) -> QueryResult:
    import pyoxigraph as ox

    data = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)
    return QueryResult("graph", turtle=data.decode("utf-8"), triples=tuple(triples))


def run_query(store, text: str, *, default_graph=None, named_graphs=None, max_rows: int | None = None) -> QueryResult:
    """Run SPARQL `text` on a pyoxigraph store; with `max_rows`, stop after that many rows (or triples)."""
    import pyoxigraph as ox

    try:
        result = store.query(text, default_graph=default_graph, named_graphs=named_graphs)
    except SyntaxError as exc:
        raise QueryError(_syntax_message(exc, text)) from None
    except (OSError, ValueError, RuntimeError, TypeError) as exc:
        raise QueryError(f"query failed: {exc}") from None
    warning = ""
    try:
        if isinstance(result, ox.QueryBoolean):
            return QueryResult("ask", boolean=bool(result))
        items = []
        for item in result:
            if max_rows is not None and len(items) >= max_rows:
                warning = f"result truncated at {max_rows} {'rows' if hasattr(result, 'variables') else 'triples'}"
                break
            items.append(item)
    except (OSError, ValueError, RuntimeError, TypeError) as exc:
        raise QueryError(f"query failed: {exc}") from None
    if isinstance(result, ox.QuerySolutions):
        variables = tuple(v.value for v in result.variables)
        rows = tuple(tuple(solution[v] for v in variables) for solution in items)
        return QueryResult("select", variables, rows, warning=warning)
    graph = _graph_result(items)
    return QueryResult("graph", turtle=graph.turtle, triples=graph.triples, warning=warning)


# --- a remote endpoint (SPARQL 1.1 Protocol) ---------------------------------------------------------------

def _term_from_json(binding: dict):
    import pyoxigraph as ox

    kind = binding.get("type")
    value = binding.get("value", "")
    if kind == "uri":
        return ox.NamedNode(value)
    if kind == "bnode":
        return ox.BlankNode(value) if re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", value) else ox.BlankNode()
    if binding.get("xml:lang"):
        return ox.Literal(value, language=binding["xml:lang"])
    if binding.get("datatype"):
        return ox.Literal(value, datatype=ox.NamedNode(binding["datatype"]))
    return ox.Literal(value)


def _select_from_json(data: dict, form: str) -> QueryResult:
    if "boolean" in data:
        return QueryResult("ask", boolean=bool(data["boolean"]))
    variables = tuple(data.get("head", {}).get("vars", []))
    bindings = data.get("results", {}).get("bindings", [])
    if form == "ASK" and variables == ("__ASK_RETVAL",):
        # Virtuoso answers ASK as a one-column table: no row (false) or one row holding 1 (true).
        truth = any(b.get("__ASK_RETVAL", {}).get("value") not in (None, "0", "false") for b in bindings)
        return QueryResult("ask", boolean=truth)
    rows = tuple(tuple(_term_from_json(b[v]) if v in b else None for v in variables) for b in bindings)
    return QueryResult("select", variables, rows)


def run_remote(endpoint: str, text: str, *, graph: str | None = None, timeout: float = 60.0) -> QueryResult:
    """Run SPARQL `text` on a remote endpoint (SPARQL 1.1 Protocol, POST form); `graph` = default-graph-uri."""
    import pyoxigraph as ox

    form = query_form(text)
    if form not in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
        raise QueryError("not a SPARQL query (expected SELECT, ASK, CONSTRUCT or DESCRIBE after the prologue); "
                         "updates are not sent")
    graph_form = form in ("CONSTRUCT", "DESCRIBE")
    fields = [("query", text)] + ([("default-graph-uri", graph)] if graph else [])
    request = urllib.request.Request(
        endpoint, data=urllib.parse.urlencode(fields).encode("utf-8"), method="POST",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "text/turtle, application/n-triples;q=0.9" if graph_form
            else "application/sparql-results+json",
            "User-Agent": "ciro-query",
        })
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
            headers = response.headers
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace").strip()
        if len(detail) > 2 * _MAX_MESSAGE:
            detail = detail[: 2 * _MAX_MESSAGE] + " ..."
        raise QueryError(f"{endpoint} answered {exc.code} {exc.reason}: {detail}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise QueryError(f"cannot reach {endpoint}: {reason}") from None
    warning = ""
    if headers.get("X-CIRO-Truncated"):
        warning = f"the endpoint truncated the result: {headers.get('X-CIRO-Truncated')}"
    elif headers.get("X-SPARQL-MaxRows"):
        warning = f"the endpoint may have truncated the result at {headers.get('X-SPARQL-MaxRows')} rows"
    content_type = (headers.get_content_type() or "").lower()
    if graph_form:
        fmt = ox.RdfFormat.N_TRIPLES if content_type == "application/n-triples" else ox.RdfFormat.TURTLE
        try:
            triples = [q.triple for q in ox.parse(body, format=fmt)]
        except SyntaxError as exc:
            raise QueryError(f"{endpoint} sent unreadable RDF ({content_type}): {exc}") from None
        result = _graph_result(triples)
        return QueryResult("graph", turtle=result.turtle, triples=result.triples, warning=warning)
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise QueryError(f"{endpoint} sent no SPARQL JSON results ({content_type}): {exc}") from None
    result = _select_from_json(data, form)
    return QueryResult(result.kind, result.variables, result.rows, result.boolean, warning=warning)


# --- output formats ---------------------------------------------------------------------------------------

def _plain(term) -> str:
    if term is None:
        return ""
    return str(getattr(term, "value", term))


def _json_term(term) -> dict:
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype and term.datatype.value != _XSD + "string":
        out["datatype"] = term.datatype.value
    return out


def _xml_term(term) -> str:
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    value = escape(_xml_safe(term.value))
    if term.language:
        return f"<literal xml:lang={quoteattr(term.language)}>{value}</literal>"
    if term.datatype and term.datatype.value != _XSD + "string":
        return f"<literal datatype={quoteattr(term.datatype.value)}>{value}</literal>"
    return f"<literal>{value}</literal>"


def _xml_safe(text: str) -> str:
    """XML 1.0 cannot carry most control characters, even escaped; they become U+FFFD."""
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "\ufffd", text)


def results_xml(result: QueryResult) -> str:
    """SPARQL 1.1 Query Results XML."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<sparql xmlns="http://www.w3.org/2005/sparql-results#">',
           "<head>"]
    out += [f"<variable name={quoteattr(v)}/>" for v in result.variables]
    out.append("</head>")
    if result.kind == "ask":
        out.append(f"<boolean>{'true' if result.boolean else 'false'}</boolean>")
    else:
        out.append("<results>")
        for row in result.rows:
            cells = "".join(f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>"
                            for v, t in zip(result.variables, row, strict=True) if t is not None)
            out.append(f"<result>{cells}</result>")
        out.append("</results>")
    out.append("</sparql>")
    return "\n".join(out) + "\n"


def results_json(result: QueryResult) -> str:
    """SPARQL 1.1 Query Results JSON."""
    if result.kind == "ask":
        return json.dumps({"head": {}, "boolean": result.boolean})
    bindings = [
        {v: _json_term(t) for v, t in zip(result.variables, row, strict=True) if t is not None}
        for row in result.rows
    ]
    return json.dumps({"head": {"vars": list(result.variables)}, "results": {"bindings": bindings}}, indent=1,
                      ensure_ascii=False)


def results_csv(result: QueryResult, lineterminator: str = "\r\n") -> str:
    """SPARQL 1.1 Query Results CSV: plain values (IRIs, lexical forms), CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=lineterminator)
    if result.kind == "ask":
        writer.writerow(["boolean"])
        writer.writerow(["true" if result.boolean else "false"])
        return buffer.getvalue()
    writer.writerow(result.variables)
    for row in result.rows:
        writer.writerow([_plain(t) for t in row])
    return buffer.getvalue()


def results_tsv(result: QueryResult) -> str:
    """SPARQL 1.1 Query Results TSV: ?var header, terms in N-Triples syntax (tabs and newlines escaped)."""
    if result.kind == "ask":
        return "?boolean\n" + ("true" if result.boolean else "false") + "\n"
    lines = ["\t".join("?" + v for v in result.variables)]
    for row in result.rows:
        lines.append("\t".join("" if t is None else str(t).replace("\t", "\\t") for t in row))
    return "\n".join(lines) + "\n"


def format_result(result: QueryResult, fmt: str) -> str:
    """Render a result as table, csv, tsv, json (SPARQL 1.1 results JSON), xml, or Turtle for graphs."""
    if fmt not in FORMATS:
        raise QueryError(f"unknown format '{fmt}' (expected one of {', '.join(FORMATS)})")
    if result.kind == "graph":
        return result.turtle
    if fmt == "json":
        return results_json(result)
    if fmt == "xml":
        return results_xml(result)
    if result.kind == "ask":
        return str(result.boolean).lower()
    if fmt in ("csv", "tsv"):
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        writer.writerow(result.variables)
        for row in result.rows:
            writer.writerow([_plain(t) for t in row])
        return buffer.getvalue().rstrip("\n")
    if fmt == "turtle":
        raise QueryError("--format turtle is for CONSTRUCT and DESCRIBE; use table, csv, tsv, json or xml")
    cells = [list(result.variables)] + [[_plain(t) for t in row] for row in result.rows]
    widths = [min(60, max(len(r[i]) for r in cells)) for i in range(len(result.variables))]

    def line(row):
        return " | ".join((c if len(c) <= 60 else c[:57] + "...").ljust(w) for c, w in zip(row, widths, strict=True))

    out = [line(cells[0]), "-+-".join("-" * w for w in widths)] + [line(r) for r in cells[1:]]
    out.append(f"({len(result.rows)} row{'s' if len(result.rows) != 1 else ''})")
    return "\n".join(out)


# --- comparing answers across engines ---------------------------------------------------------------------

def canonical_term(term) -> tuple | None:
    """A comparable form of an RDF term from pyoxigraph or rdflib, with engine differences normalised.

    Plain and xsd:string literals are the same (RDF 1.1); numbers compare by value whatever their
    numeric datatype (COUNT gives xsd:integer here and xsd:int elsewhere); language tags are
    case-insensitive; blank nodes compare equal to each other (their labels are local to one answer).
    """
    if term is None:
        return None
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        return ("uri", term.value)
    if isinstance(term, ox.BlankNode):
        return ("bnode",)
    if isinstance(term, ox.Literal):
        value, language = term.value, term.language
        datatype = term.datatype.value if term.datatype else None
    else:
        from rdflib import BNode, URIRef
        from rdflib import Literal as RdflibLiteral

        if isinstance(term, URIRef):
            return ("uri", str(term))
        if isinstance(term, BNode):
            return ("bnode",)
        if not isinstance(term, RdflibLiteral):
            raise TypeError(f"not an RDF term: {term!r}")
        value, language = str(term), term.language
        datatype = str(term.datatype) if term.datatype else None
    if language:
        return ("literal", value, "@" + language.lower())
    if datatype in _NUMERIC or datatype in _FLOATING:
        try:
            number = Decimal(value)
        except InvalidOperation:
            return ("literal", value, datatype)
        return ("number", float(number) if datatype in _FLOATING else number.normalize())
    if datatype == _XSD + "boolean":
        return ("boolean", value.strip() in ("true", "1"))
    if datatype in (None, _XSD + "string"):
        return ("literal", value)
    return ("literal", value, datatype)


def canonical_rows(result: QueryResult) -> Counter:
    """The rows of a SELECT as a multiset of {variable: canonical term} (order-free), for comparisons."""
    return Counter(
        tuple(sorted((v, canonical_term(t)) for v, t in zip(result.variables, row, strict=True) if t is not None))
        for row in result.rows
    )
