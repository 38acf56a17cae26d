"""One SPARQL Protocol request answered inside a query worker: check, run, negotiate, serialise, within
the row and byte bounds. Pure: (store, job, limits) -> Answer; the worker process around it is `pool`."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from ..query.sparql import QueryRefused
from ..query.store import (
    PREFIXES,
    RELEASE_GRAPH,
    QueryError,
    QueryResult,
    results_csv,
    results_json,
    results_tsv,
    results_xml,
    run_query,
)

__all__ = ["Job", "Answer", "Limits", "answer", "negotiate", "serialize_graph", "RESULT_TYPES", "GRAPH_TYPES"]

RESULT_TYPES = {  # name -> media type, in the server's order of preference
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPH_TYPES = {
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "rdfxml": "application/rdf+xml",
    "jsonld": "application/ld+json",
}
_ALIASES = {"application/json": "application/sparql-results+json", "application/xml": "application/sparql-results+xml",
            "text/xml": "application/sparql-results+xml", "application/x-turtle": "text/turtle"}


@dataclass(frozen=True)
class Job:
    """A query as the protocol layer received it."""

    query: str
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    accept: str | None = None
    format: str = ""


@dataclass(frozen=True)
class Limits:
    max_results: int = 10000
    max_bytes: int = 16 * 2**20


@dataclass(frozen=True)
class Answer:
    """status 200 with a media type and a body, or an error status with a plain-text message as body."""

    status: int
    media: str
    body: bytes
    truncated: str = ""


def negotiate(accept: str | None, offers: dict[str, str]) -> str | None:
    """The name of the offer that `accept` (an HTTP Accept header) prefers; ties go to the first offer.

    No header, or an empty one, accepts the first offer; None means nothing offered is acceptable (406).
    """
    if not accept or not accept.strip():
        return next(iter(offers))
    if len(accept) > 1000:
        accept = accept[:1000]
    return _negotiate(accept, tuple(offers.items()))


@functools.lru_cache(maxsize=512)  # clients send the same few Accept headers over and over
def _negotiate(accept: str, offers: tuple[tuple[str, str], ...]) -> str | None:
    ranges = []
    for part in accept.split(",")[:50]:
        fields = [f.strip() for f in part.split(";")]
        media = _ALIASES.get(fields[0].lower(), fields[0].lower())
        q = 1.0
        for param in fields[1:]:
            if param.lower().startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        ranges.append((media, q))
    best, best_q = None, 0.0
    for name, media in offers:
        kind = media.split("/")[0]
        quality = None
        for wanted, q in ranges:  # the most specific range that matches decides
            if wanted == media:
                quality = q
                break
        if quality is None:
            quality = next((q for wanted, q in ranges if wanted == f"{kind}/*"), None)
        if quality is None:
            quality = next((q for wanted, q in ranges if wanted == "*/*"), 0.0)
        if quality > best_q:
            best, best_q = name, quality
    return best


def serialize_graph(triples, name: str, extra_prefixes: dict[str, str] | None = None, note: str = "") -> bytes:
    """Triples in one of GRAPH_TYPES; `note` (a truncation) goes in as a comment where the syntax has one."""
    import pyoxigraph as ox

    fmt = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES, "rdfxml": ox.RdfFormat.RDF_XML,
           "jsonld": ox.RdfFormat.JSON_LD}[name]
    prefixes = {**PREFIXES, **(extra_prefixes or {})}
    body = ox.serialize(triples, format=fmt, prefixes=None if name == "ntriples" else prefixes)
    if note and name in ("turtle", "ntriples"):
        body = f"# X-CIRO-Truncated: {note}\n".encode() + body
    elif note and name == "rdfxml" and body.startswith(b"<?xml"):
        end = body.index(b"?>") + 2
        body = body[:end] + f"\n<!-- X-CIRO-Truncated: {note} -->".encode() + body[end:]
    return body


def _graphs(iris: tuple[str, ...], what: str) -> list | None:
    import pyoxigraph as ox

    graphs = []
    for iri in iris:
        if iri == RELEASE_GRAPH:
            graphs.append(ox.DefaultGraph())
            continue
        try:
            graphs.append(ox.NamedNode(iri))
        except ValueError:
            raise QueryRefused(f"{what} must be an absolute IRI; got {iri[:200]!r}") from None
    return graphs or None


def _render(result: QueryResult, name: str) -> bytes:
    if result.kind == "graph":
        return serialize_graph(result.triples, name, note=result.warning)
    render = {"json": results_json, "xml": results_xml, "csv": results_csv, "tsv": results_tsv}[name]
    return render(result).encode("utf-8")


def _shrink(result: QueryResult, count: int, max_bytes: int) -> QueryResult:
    unit = "triples" if result.kind == "graph" else "rows"
    warning = f"result truncated at {count} {unit}: the answer would exceed {max_bytes} bytes"
    if result.kind == "graph":
        return QueryResult("graph", triples=result.triples[:count], warning=warning)
    return QueryResult("select", result.variables, result.rows[:count], warning=warning)


def answer(store, job: Job, limits: Limits) -> Answer:
    """Run one job: 200 with the negotiated serialisation, or 400/403/406 with a plain message."""
    try:
        default = _graphs(job.default_graphs, "default-graph-uri")
        named = _graphs(job.named_graphs, "named-graph-uri")
        result = run_query(store, job.query, default_graph=default, named_graphs=named, max_rows=limits.max_results,
                           max_bytes=limits.max_bytes, turtle=False)
    except QueryRefused as exc:
        return Answer(exc.status, "text/plain", str(exc).encode("utf-8"))
    except QueryError as exc:
        return Answer(400, "text/plain", str(exc).encode("utf-8"))
    offers = GRAPH_TYPES if result.kind == "graph" else RESULT_TYPES
    name = job.format if job.format in offers else negotiate(job.accept, offers)
    if name is None:
        return Answer(406, "text/plain", ("none of the accepted media types can carry this result; offered: "
                                          + ", ".join(offers.values())).encode())
    body = _render(result, name)
    if len(body) > limits.max_bytes and result.kind != "ask":
        # Values escape to more bytes than they hold (JSON \u escapes, XML entities): cut further until it fits.
        items = len(result.triples if result.kind == "graph" else result.rows)
        count = items
        while len(body) > limits.max_bytes and count > 0:
            count = min(count - 1, int(count * limits.max_bytes / len(body) * 0.9))
            result = _shrink(result, max(count, 0), limits.max_bytes)
            body = _render(result, name)
    return Answer(200, offers[name], body, result.warning)
