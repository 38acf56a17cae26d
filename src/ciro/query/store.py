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

from .sparql import QueryError, check_form, check_query, query_form, syntax_error

__all__ = [
    "QueryError",
    "QueryResult",
    "STORE_FILES",
    "store_files",
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
_MAX_MESSAGE = 300
# The release files the store is made of, in load order: (path in the release folder, RDF format, required).
# `ciro query`, `ciro serve` (and its query workers) and the endpoint benchmark's oxigraph server all load
# exactly these, through `store_files`.
# What a SPARQL store of the release holds: the ontology, the data graph (the records as the schema maps them, so
# that questions stay one-hop: ?m cirovocab:involves ?t), and the import module (labels of external terms).
STORE_FILES = (("ciro.ttl", "turtle", True), ("ciro-data.ttl", "turtle", True),
               ("imports/ciro-external.owl", "rdfxml", False))
DEFAULT_MAX_WIDTH = 60


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


def store_files(ontology_dir: Path) -> list[tuple[Path, str]]:
    """The files of STORE_FILES present in a release folder, as (path, format); a required one missing is an error."""
    files = []
    for name, fmt, required in STORE_FILES:
        path = Path(ontology_dir) / name
        if path.is_file():
            files.append((path, fmt))
        elif required:
            raise QueryError(f"{path} not found: run `ciro build` first")
    return files


def load_store(ontology_dir: Path):
    """An in-memory store holding the release files of STORE_FILES, in the default graph."""
    import pyoxigraph as ox

    formats = {"turtle": ox.RdfFormat.TURTLE, "rdfxml": ox.RdfFormat.RDF_XML}
    store = ox.Store()
    for path, fmt in store_files(ontology_dir):
        try:
            store.bulk_load(path=str(path), format=formats[fmt])
        except SyntaxError as exc:
            detail = " ".join(str(exc).split())[:_MAX_MESSAGE]
            raise QueryError(f"{path}: not readable as {'Turtle' if fmt == 'turtle' else 'RDF/XML'} ({detail}); "
                             "rebuild the release with `ciro build`") from None
        except OSError as exc:
            raise QueryError(f"cannot read {path}: {exc.strerror or exc}") from None
    return store


def _graph_result(triples: list) -> QueryResult:
    import pyoxigraph as ox

    data = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)
    return QueryResult("graph", turtle=data.decode("utf-8"), triples=tuple(triples))


def run_query(store, text: str, *, default_graph=None, named_graphs=None, max_rows: int | None = None,
              max_bytes: int | None = None, turtle: bool = True) -> QueryResult:
    """Run SPARQL `text` on a pyoxigraph store.

    The text is checked first (`sparql.check_query`): a query naming a SERVICE, nested too deep for the
    engine, or an update is refused before pyoxigraph sees it (pyoxigraph would send the SERVICE request).
    With `max_rows`, reading stops after that many rows (or triples); with `max_bytes`, before the values
    read add up to more than that; either cut is said in `warning`. `turtle=False` skips the Turtle text of
    a graph result (for callers that serialise the triples themselves).
    """
    import pyoxigraph as ox

    check_query(text)
    try:
        result = store.query(text, default_graph=default_graph, named_graphs=named_graphs)
    except SyntaxError as exc:
        raise syntax_error(exc, text) from None
    except (OSError, ValueError, RuntimeError, TypeError) as exc:
        raise QueryError(f"query failed: {exc}") from None
    if isinstance(result, ox.QueryBoolean):
        return QueryResult("ask", boolean=bool(result))
    solutions = isinstance(result, ox.QuerySolutions)
    variables = tuple(v.value for v in result.variables) if solutions else ()
    unit = "rows" if solutions else "triples"
    items: list = []
    size, warning = 0, ""
    try:
        for item in result:
            if max_rows is not None and len(items) >= max_rows:
                warning = f"result truncated at {max_rows} {unit} (the server's limit)"
                break
            row = tuple(item) if solutions else item
            if max_bytes is not None:
                terms = row if solutions else (item.subject, item.predicate, item.object)
                size += sum(len(getattr(t, "value", "")) + 40 for t in terms if t is not None)
                if size > max_bytes:
                    warning = f"result truncated at {len(items)} {unit}: the answer would exceed {max_bytes} bytes"
                    break
            items.append(row)
    except (OSError, ValueError, RuntimeError, TypeError) as exc:
        raise QueryError(f"query failed: {exc}") from None
    if solutions:
        return QueryResult("select", variables, tuple(items), warning=warning)
    if not turtle:
        return QueryResult("graph", triples=tuple(items), warning=warning)
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

    form = check_form(text)  # no query form, or an update: said here, with line and column, and not sent
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
    if result.warning:  # said in the body too, not only in a header a client may not show
        out.insert(2, f"<!-- X-CIRO-Truncated: {escape(result.warning).replace('--', '- -')} -->")
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


def results_json(result: QueryResult, indent: int | None = None) -> str:
    """SPARQL 1.1 Query Results JSON (compact unless `indent`: the compact form uses the C encoder)."""
    if result.kind == "ask":
        return json.dumps({"head": {}, "boolean": result.boolean})
    bindings = [
        {v: _json_term(t) for v, t in zip(result.variables, row, strict=True) if t is not None}
        for row in result.rows
    ]
    data = {"head": {"vars": list(result.variables)}, "results": {"bindings": bindings}}
    if result.warning:  # said in the body too, not only in a header a client may not show
        data["x-ciro-truncated"] = result.warning
    return json.dumps(data, indent=indent, ensure_ascii=False)


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


def format_result(result: QueryResult, fmt: str, *, max_width: int | None = DEFAULT_MAX_WIDTH) -> str:
    """Render a result as table, csv, tsv, json (SPARQL 1.1 results JSON), xml, or Turtle for graphs.

    A table cuts cells longer than `max_width` characters (None: never) and says so under the table: a cut
    cell ends in "…[+N]", N the characters left out, which no curated text looks like.
    """
    if fmt not in FORMATS:
        raise QueryError(f"unknown format '{fmt}' (expected one of {', '.join(FORMATS)})")
    if result.kind == "graph":
        return result.turtle
    if fmt == "json":
        return results_json(result, indent=1)
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
    return _table(result, max_width)


def _table(result: QueryResult, max_width: int | None) -> str:
    cut = 0

    def shorten(cell: str) -> str:
        nonlocal cut
        cell = cell.replace("\n", " ").replace("\t", " ")
        if max_width is None or len(cell) <= max_width:
            return cell
        cut += 1
        for keep in range(max_width, 0, -1):  # the marker counts in the width
            marker = f"…[+{len(cell) - keep}]"
            if keep + len(marker) <= max_width or keep == 1:
                return cell[:keep] + marker
        return cell  # pragma: no cover - the loop always returns

    header = list(result.variables)
    body = [[shorten(_plain(t)) for t in row] for row in result.rows]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]

    def line(row):
        return " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()

    out = [line(header), "-+-".join("-" * w for w in widths)] + [line(r) for r in body]
    count = f"({len(result.rows)} row{'s' if len(result.rows) != 1 else ''}"
    if cut:
        count += (f"; {cut} cell{'s' if cut != 1 else ''} shortened to {max_width} characters, marked …[+N] with "
                  "the number of characters left out: --max-width N or --no-truncate shows more")
    out.append(count + ")")
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
