"""`ciro serve`: the release over HTTP — a read-only SPARQL 1.1 Protocol endpoint, dereferenceable terms,
a VoID description and the release files. Standard library only (http.server).

Routes:
  /sparql                 SPARQL 1.1 Protocol: GET ?query=, POST form (query=) or application/sparql-query;
                          results as SPARQL JSON, XML, CSV or TSV (graphs as Turtle, N-Triples, RDF/XML,
                          JSON-LD) by Accept or ?format=; without a query: a service description (or a form)
  /CIRO_0000123, /vocab/X term pages by Accept: HTML, Turtle, JSON-LD, RDF/XML, N-Triples (or a suffix:
                          .html .ttl .jsonld .rdf .nt)
  /.well-known/void       VoID description of the dataset
  /ontology/<file>        every release file (also at /<file>, where the ontology IRIs point)

Read-only: the store is queried, never updated; an update request gets 403, and update syntax sent as a
query gets 403 too. Bounds: pyoxigraph cannot interrupt a running query, so each query runs in a worker
*process* (a small pool, each holding its own copy of the release); a query still running at the time
limit is answered 503 and its worker is killed and replaced, so a runaway query never keeps a CPU. An
answer holds at most --max-results rows (or triples): results are read one by one and cut there, and the
cut is flagged in the X-CIRO-Truncated header.
"""

from __future__ import annotations

import multiprocessing
import queue
import re
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ..query.store import (
    PREFIXES,
    RELEASE_GRAPH,
    QueryError,
    load_store,
    query_form,
    results_csv,
    results_json,
    results_tsv,
    results_xml,
    run_query,
)
from .pages import BASE, render_index_page, render_query_form, render_term_page, term_exists, term_triples
from .void import void_triples

__all__ = ["ServeConfig", "QueryPool", "QueryTimeout", "make_server", "serve_forever", "negotiate"]

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
_TERM_TYPES = {"html": "text/html", **GRAPH_TYPES}
_SUFFIXES = {".html": "html", ".ttl": "turtle", ".nt": "ntriples", ".rdf": "rdfxml", ".jsonld": "jsonld"}
_FILE_TYPES = {".owl": "application/rdf+xml", ".ttl": "text/turtle", ".jsonld": "application/ld+json",
               ".xml": "application/xml", ".json": "application/json"}
_TERM_PATH = re.compile(r"/((?:CIRO_\d+)|(?:vocab/[A-Za-z][A-Za-z0-9_]*))(\.[a-z]+)?")
_UPDATES = {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
_HOST = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?")


@dataclass(frozen=True)
class ServeConfig:
    """What `ciro serve` serves and within which bounds."""

    ontology: Path
    host: str = "127.0.0.1"
    port: int = 8000
    time_limit: float = 10.0
    max_results: int = 10000
    workers: int = 2
    max_body: int = 1_000_000
    quiet: bool = False


class QueryTimeout(QueryError):
    """The query ran past the time limit (its worker was stopped)."""


class PoolBusy(QueryError):
    """Every worker stayed busy for the whole time limit."""


# --- the worker processes ---------------------------------------------------------------------------------

def negotiate(accept: str | None, offers: dict[str, str]) -> str | None:
    """The name of the offer that `accept` (an HTTP Accept header) prefers; ties go to the first offer.

    No header, or an empty one, accepts the first offer; None means nothing offered is acceptable (406).
    """
    if not accept or not accept.strip():
        return next(iter(offers))
    ranges = []
    for part in accept.split(","):
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
    for name, media in offers.items():
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


def _serialize_graph(triples, name: str, extra_prefixes: dict[str, str] | None = None) -> bytes:
    import pyoxigraph as ox

    fmt = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES, "rdfxml": ox.RdfFormat.RDF_XML,
           "jsonld": ox.RdfFormat.JSON_LD}[name]
    prefixes = {**PREFIXES, **(extra_prefixes or {})}
    return ox.serialize(triples, format=fmt, prefixes=None if name == "ntriples" else prefixes)


def _answer(store, job: dict, max_results: int) -> tuple:
    """Run one job in a worker: ("ok", media type, body, warning) or ("error", status, message)."""
    import pyoxigraph as ox

    default = None
    if job["default_graphs"]:
        default = [ox.DefaultGraph() if g == RELEASE_GRAPH else ox.NamedNode(g) for g in job["default_graphs"]]
    named = [ox.NamedNode(g) for g in job["named_graphs"]] or None
    try:
        result = run_query(store, job["query"], default_graph=default, named_graphs=named, max_rows=max_results)
    except QueryError as exc:
        return ("error", 400, str(exc))
    offers = GRAPH_TYPES if result.kind == "graph" else RESULT_TYPES
    name = job["format"] if job["format"] in offers else negotiate(job["accept"], offers)
    if name is None:
        return ("error", 406, "none of the accepted media types can carry this result; offered: "
                + ", ".join(offers.values()))
    if result.kind == "graph":
        body = _serialize_graph(result.triples, name)
    else:
        text = {"json": results_json, "xml": results_xml, "csv": results_csv, "tsv": results_tsv}[name](result)
        body = text.encode("utf-8")
    return ("ok", offers[name], body, result.warning)


def _worker_main(conn, ontology: str, max_results: int) -> None:
    """A worker process: load the release, then answer jobs from the pipe until it closes."""
    try:
        store = load_store(Path(ontology))
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which stops
        conn.send(("failed", str(exc)))
        return
    conn.send(("ready",))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            answer = _answer(store, job, max_results)
        except BaseException as exc:  # noqa: BLE001 - pyoxigraph panics are BaseException; the client gets 500
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                return
            answer = ("error", 500, f"query failed: {type(exc).__name__}: {exc}")
        conn.send(answer)


@dataclass
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: object


class QueryPool:
    """Worker processes that run queries; a query past the time limit gets its worker killed and replaced."""

    def __init__(self, ontology: Path, size: int, max_results: int):
        self._ctx = multiprocessing.get_context("spawn")
        self._ontology = str(ontology)
        self._max_results = max_results
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._closed = False
        self._lock = threading.Lock()
        self._workers: set[int] = set()
        started = [self._start() for _ in range(max(1, size))]
        for worker in started:
            self._ready(worker)
            self._idle.put(worker)

    def _start(self) -> _Worker:
        parent, child = self._ctx.Pipe()
        process = self._ctx.Process(target=_worker_main, args=(child, self._ontology, self._max_results),
                                    name="ciro-query-worker", daemon=True)
        process.start()
        child.close()
        worker = _Worker(process, parent)
        with self._lock:
            self._workers.add(id(worker))
        return worker

    def _ready(self, worker: _Worker, wait: float = 120.0) -> None:
        if not worker.conn.poll(wait):
            self._kill(worker)
            raise QueryError("a query worker did not start")
        message = worker.conn.recv()
        if message[0] != "ready":
            self._kill(worker)
            raise QueryError(f"a query worker could not load the release: {message[1]}")

    def _kill(self, worker: _Worker) -> None:
        with self._lock:
            self._workers.discard(id(worker))
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(5)
        worker.conn.close()

    def _replace(self) -> None:
        def start():
            try:
                worker = self._start()
                self._ready(worker)
            except QueryError as exc:
                print(f"ciro serve: {exc}", file=sys.stderr)
                return
            if self._closed:
                self._kill(worker)
            else:
                self._idle.put(worker)

        threading.Thread(target=start, name="ciro-worker-replacement", daemon=True).start()

    def run(self, job: dict, time_limit: float) -> tuple:
        """Run a job on an idle worker within `time_limit` seconds (waiting for a free worker first)."""
        try:
            worker = self._idle.get(timeout=time_limit)
        except queue.Empty:
            raise PoolBusy(f"all query workers stayed busy for {time_limit:g} s; try again later") from None
        try:
            worker.conn.send(job)
            if worker.conn.poll(time_limit):
                answer = worker.conn.recv()
                self._idle.put(worker)
                return answer
        except (EOFError, OSError):
            self._kill(worker)
            self._replace()
            raise QueryError("the query worker stopped unexpectedly") from None
        self._kill(worker)
        self._replace()
        raise QueryTimeout(f"query stopped: it ran longer than the time limit of {time_limit:g} s")

    def close(self) -> None:
        """Stop every worker."""
        self._closed = True
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                break
            try:
                worker.conn.send(None)
            except OSError:
                pass
            worker.process.join(2)
            self._kill(worker)


# --- the HTTP side ----------------------------------------------------------------------------------------

class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, config: ServeConfig, store, pool: QueryPool, files: dict[str, Path]):
        self.config = config
        self.store = store
        self.pool = pool
        self.files = files
        self.triple_count = len(store)
        super().__init__((config.host, config.port), _Handler)


def _release_files(ontology: Path) -> dict[str, Path]:
    """Every file of the release folder by its relative path (the only files ever served)."""
    return {str(p.relative_to(ontology)): p for p in sorted(ontology.rglob("*"))
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(ontology).parts)}


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "ciro-serve"
    protocol_version = "HTTP/1.1"

    # -- plumbing
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's signature
        if not self.server.config.quiet:
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")

    def _send(self, status: int, body: bytes | str, media: str, headers: dict[str, str] | None = None) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        textual = media.startswith("text/") or media.endswith(("+json", "+xml", "/json", "/xml", "n-triples"))
        self.send_header("Content-Type", f"{media}; charset=utf-8" if textual else media)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Access-Control-Allow-Origin", "*")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        self._send(status, message.rstrip("\n") + "\n", "text/plain", headers)

    def _base_url(self) -> str:
        host = self.headers.get("Host", "")
        if not _HOST.fullmatch(host):
            address, port = self.server.server_address[:2]
            host = f"{address}:{port}"
        return f"http://{host}"

    def do_HEAD(self) -> None:  # noqa: N802 - http.server naming
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802
        path, _, raw_query = self.path.partition("?")
        path = urllib.parse.unquote(path)
        params = urllib.parse.parse_qs(raw_query, keep_blank_values=True)
        if path == "/sparql":
            self._sparql(params)
        elif path in ("/", "/index.html"):
            self._index()
        elif path == "/.well-known/void":
            self._void()
        elif path.removeprefix("/ontology/").removeprefix("/") in self.server.files:
            self._file(path.removeprefix("/ontology/").removeprefix("/"))
        elif _TERM_PATH.fullmatch(path):
            self._term(path)
        else:
            self._error(404, f"not found: {path}")

    def do_POST(self) -> None:  # noqa: N802
        path, _, raw_query = self.path.partition("?")
        if path != "/sparql":
            self._error(405, "POST is accepted at /sparql only", {"Allow": "GET, HEAD"})
            return
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self._error(411, "a POST request needs a Content-Length")
            return
        if int(length) > self.server.config.max_body:
            self._error(413, f"request body larger than {self.server.config.max_body} bytes")
            self.close_connection = True
            return
        body = self.rfile.read(int(length))
        params = urllib.parse.parse_qs(raw_query, keep_blank_values=True)
        media = (self.headers.get_content_type() or "").lower()
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            self._error(400, "the request body is not UTF-8")
            return
        if media == "application/sparql-update":
            self._refuse_update()
            return
        if media == "application/x-www-form-urlencoded":
            params = urllib.parse.parse_qs(text, keep_blank_values=True)
        elif media == "application/sparql-query":
            if "query" in params:
                self._error(400, "give the query either in the body or as a parameter, not both")
                return
            params["query"] = [text]
        else:
            self._error(415, "POST a query as application/x-www-form-urlencoded (query=...) or as "
                             "application/sparql-query")
            return
        self._sparql(params)

    def _method_not_allowed(self) -> None:
        self._error(405, "this server is read-only", {"Allow": "GET, HEAD, POST"})

    do_PUT = do_DELETE = do_PATCH = _method_not_allowed  # noqa: N815

    # -- routes
    def _refuse_update(self) -> None:
        self._error(403, "this endpoint is read-only: SPARQL Update is not accepted")

    def _sparql(self, params: dict[str, list[str]]) -> None:
        if "update" in params:
            self._refuse_update()
            return
        queries = params.get("query", [])
        if not queries:
            self._service_description()
            return
        if len(queries) > 1:
            self._error(400, "give exactly one query parameter")
            return
        text = queries[0]
        if query_form(text) in _UPDATES:
            self._refuse_update()
            return
        config = self.server.config
        job = {"query": text, "default_graphs": params.get("default-graph-uri", []),
               "named_graphs": params.get("named-graph-uri", []), "accept": self.headers.get("Accept"),
               "format": (params.get("format") or [""])[0]}
        started = time.monotonic()
        try:
            answer = self.server.pool.run(job, config.time_limit)
        except (QueryTimeout, PoolBusy) as exc:
            self._error(503, str(exc))
            return
        except QueryError as exc:
            self._error(500, str(exc))
            return
        if answer[0] == "error":
            self._error(answer[1], answer[2])
            return
        _, media, body, warning = answer
        headers = {"Vary": "Accept", "X-CIRO-Query-Time": f"{time.monotonic() - started:.3f}"}
        if warning:
            headers["X-CIRO-Truncated"] = warning
        self._send(200, body, media, headers)

    def _service_description(self) -> None:
        base = self._base_url()
        name = negotiate(self.headers.get("Accept"), {"turtle": "text/turtle", "html": "text/html"})
        if name == "html":
            self._send(200, render_query_form(f"{base}/sparql"), "text/html")
            return
        formats = " ,\n    ".join(f"<http://www.w3.org/ns/formats/{f}>" for f in (
            "SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV", "Turtle",
            "N-Triples", "RDF_XML", "JSON-LD"))
        text = (
            "@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .\n"
            "@prefix void: <http://rdfs.org/ns/void#> .\n\n"
            f"<{base}/sparql> a sd:Service ;\n"
            f"  sd:endpoint <{base}/sparql> ;\n"
            "  sd:supportedLanguage sd:SPARQL11Query ;\n"
            f"  sd:resultFormat {formats} ;\n"
            f"  sd:defaultDataset <{base}/sparql#dataset> .\n\n"
            f"<{base}/sparql#dataset> a sd:Dataset ;\n"
            f"  sd:defaultGraph <{base}/sparql#default-graph> .\n\n"
            f"<{base}/sparql#default-graph> a sd:Graph ;\n"
            f"  void:triples {self.server.triple_count} ;\n"
            f"  void:inDataset <{base}/.well-known/void#ciro> .\n")
        self._send(200, text, "text/turtle", {"Vary": "Accept"})

    def _index(self) -> None:
        links = {"SPARQL endpoint": "/sparql", "VoID description": "/.well-known/void"}
        links.update({f"Download {name}": f"/ontology/{name}" for name in self.server.files})
        self._send(200, render_index_page(self.server.store, links), "text/html")

    def _void(self) -> None:
        name = negotiate(self.headers.get("Accept"), GRAPH_TYPES)
        if name is None:
            self._error(406, "the VoID description is offered as " + ", ".join(GRAPH_TYPES.values()))
            return
        triples = void_triples(self.server.store, self._base_url(), sorted(self.server.files))
        body = _serialize_graph(triples, name, {"void": "http://rdfs.org/ns/void#"})
        self._send(200, body, GRAPH_TYPES[name], {"Vary": "Accept"})

    def _file(self, name: str) -> None:
        path = self.server.files[name]
        media = _FILE_TYPES.get(path.suffix, "application/octet-stream")
        self._send(200, path.read_bytes(), media)

    def _term(self, path: str) -> None:
        match = _TERM_PATH.fullmatch(path)
        local, suffix = match.group(1), match.group(2)
        iri = BASE + local
        if suffix and suffix not in _SUFFIXES:
            self._error(404, f"not found: {path} (term suffixes: {', '.join(_SUFFIXES)})")
            return
        if not term_exists(self.server.store, iri):
            self._error(404, f"no term {iri} in this release")
            return
        name = _SUFFIXES[suffix] if suffix else negotiate(self.headers.get("Accept"), _TERM_TYPES)
        if name is None:
            self._error(406, "a term is offered as " + ", ".join(_TERM_TYPES.values()))
            return
        by_suffix = {v: k for k, v in _SUFFIXES.items()}
        headers = {"Vary": "Accept", "Content-Location": f"/{local}{by_suffix[name]}"}
        if name == "html":
            alternates = {_TERM_TYPES[n]: f"/{local}{by_suffix[n]}" for n in GRAPH_TYPES}
            body = render_term_page(self.server.store, iri, alternates=alternates)
        else:
            body = _serialize_graph(term_triples(self.server.store, iri), name)
        self._send(200, body, _TERM_TYPES[name], headers)


def make_server(config: ServeConfig) -> _Server:
    """Load the release, start the query workers and bind the socket (not yet serving)."""
    if not (config.ontology / "ciro.ttl").is_file():
        raise QueryError(f"{config.ontology / 'ciro.ttl'} not found: run `ciro build` first")
    if config.time_limit <= 0 or config.max_results <= 0 or config.workers <= 0:
        raise ValueError("--time-limit, --max-results and --workers must be positive")
    store = load_store(config.ontology)
    pool = QueryPool(config.ontology, config.workers, config.max_results)
    try:
        return _Server(config, store, pool, _release_files(config.ontology))
    except OSError:
        pool.close()
        raise


def serve_forever(config: ServeConfig, announce: Callable[[str], None] = print) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM), then stop the workers."""
    import signal

    server = make_server(config)

    def stop(_signum, _frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    host, port = server.server_address[:2]
    shown = f"[{host}]" if ":" in host else host
    announce(f"CIRO SPARQL endpoint at http://{shown}:{port}/sparql (release {config.ontology}, "
             f"{server.triple_count} triples; time limit {config.time_limit:g} s, at most {config.max_results} "
             f"results, {config.workers} worker(s))")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.server_close()
        server.pool.close()
