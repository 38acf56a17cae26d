"""The ASGI application of `ciro serve` (Starlette): the SPARQL 1.1 Protocol endpoint, term pages, VoID and
the release files, behind one small middleware that every response passes through (CORS, nosniff, the
access log, and closing a connection whose request body was not read).

Routes:
  /sparql                 SPARQL 1.1 Protocol: GET ?query=, POST form (query=) or application/sparql-query;
                          results as SPARQL JSON, XML, CSV or TSV (graphs as Turtle, N-Triples, RDF/XML,
                          JSON-LD) by Accept or ?format=; without a query: a service description (or a form)
  /CIRO_0000123, /vocab/X term pages by Accept: HTML, Turtle, JSON-LD, RDF/XML, N-Triples (or a suffix:
                          .html .ttl .jsonld .rdf .nt); also at /terms/CIRO_0000123, where the static site
                          has them (the w3id.org rules lead there, w3id/ciro/.htaccess)
  /.well-known/void       VoID description of the dataset
  /ontology/<file>        every release file (also at /<file>, where the ontology IRIs point)
  /releases/<v>/<file>    every file of each kept release, at its version IRI's path (/releases/: a list)
"""

from __future__ import annotations

import codecs
import collections
import datetime
import functools
import os
import re
import sys
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from .answer import GRAPH_TYPES, Answer, Job, negotiate, serialize_graph
from .pages import (
    BASE,
    release_note,
    render_index_page,
    render_query_form,
    render_term_page,
    term_exists,
    term_triples,
)
from .pool import PoolBusy, QueryStopped, WorkerPool
from .void import void_triples

__all__ = ["App", "AppConfig", "make_app", "escape_for_log", "EXPOSED_HEADERS"]

_TERM_TYPES = {"html": "text/html", **GRAPH_TYPES}
_SUFFIXES = {".html": "html", ".ttl": "turtle", ".nt": "ntriples", ".rdf": "rdfxml", ".jsonld": "jsonld"}
_FILE_TYPES = {".owl": "application/rdf+xml", ".ttl": "text/turtle", ".jsonld": "application/ld+json",
               ".xml": "application/xml", ".json": "application/json", ".md": "text/markdown",
               ".html": "text/html", ".txt": "text/plain", ".obo": "text/obo",
               ".tsv": "text/tab-separated-values"}
_TERM_PATH = re.compile(r"/(?:terms/)?(CIRO_\d+)(\.[a-z]+)?|/(vocab/[A-Za-z][A-Za-z0-9_]*)(\.[a-z]+)?")
_HOST = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?")
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
EXPOSED_HEADERS = "X-CIRO-Truncated, X-CIRO-Query-Time, X-CIRO-Cache, Content-Location, Content-Length"
_COMMON = [(b"access-control-allow-origin", b"*"), (b"access-control-expose-headers", EXPOSED_HEADERS.encode()),
           (b"x-content-type-options", b"nosniff")]
_LOG_UNSAFE = re.compile(r'[\x00-\x1f\x7f-\x9f"\\]|[^\x00-\x7e]')
_CHUNK = 256 * 1024


@dataclass(frozen=True)
class AppConfig:
    ontology: Path
    max_body: int = 1_000_000
    max_pinned: int = 256 * 2**20  # response bytes the server may hold for clients still reading
    cache_bytes: int = 64 * 2**20  # answers kept for repeated queries (0: none)
    quiet: bool = False
    releases: Path | None = None  # the kept releases (releases/<version>/), served at /releases/<version>/


class AnswerCache:
    """Answers to repeated queries, least recently used first out, within a byte budget.

    The release never changes while it is served, so the same query (with the same dataset, Accept and
    format) always has the same answer, and a repeated query need not reach a worker. Not kept: answers of
    queries that call the non-deterministic functions (RAND, NOW, UUID, STRUUID, BNODE), answers over a
    1/16 of the budget, and failures of the bounds (503)."""

    _VOLATILE = ("rand", "now", "uuid", "bnode")

    def __init__(self, budget: int):
        self.budget = budget
        self.size = 0
        self.entries: collections.OrderedDict = collections.OrderedDict()
        self.hits = self.misses = 0

    def key(self, job: Job) -> tuple | None:
        if self.budget <= 0:
            return None
        lowered = job.query.lower()
        if any(word in lowered for word in self._VOLATILE):
            return None
        return job

    def get(self, key) -> Answer | None:
        answer = self.entries.get(key)
        if answer is None:
            self.misses += 1
            return None
        self.entries.move_to_end(key)
        self.hits += 1
        return answer

    def put(self, key, answer: Answer) -> None:
        cost = len(answer.body) + len(key.query) + 200
        if cost > self.budget // 16 or key in self.entries:
            return
        self.entries[key] = answer
        self.size += cost
        while self.size > self.budget:
            old_key, old = self.entries.popitem(last=False)
            self.size -= len(old.body) + len(old_key.query) + 200


def escape_for_log(text: str, limit: int = 2000) -> str:
    """Text safe for a terminal or log file: control characters, quotes, backslashes and non-ASCII as \\xNN."""
    if len(text) > limit:
        text = text[:limit] + "..."
    return _LOG_UNSAFE.sub(lambda m: "".join(f"\\x{b:02x}" for b in m.group().encode("utf-8")), text)


def _plain(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(message.rstrip("\n") + "\n", status, headers, media_type="text/plain")


def _content_type(media: str) -> str:
    textual = media.startswith("text/") or media.endswith(("+json", "+xml", "/json", "/xml", "n-triples"))
    return f"{media}; charset=utf-8" if textual else media


# --- the application and its middleware ------------------------------------------------------------------

class App:
    """The ASGI application. /sparql is answered here directly (the hot path: no routing layers); every other
    path goes to Starlette. Both get the same treatment: CORS headers (and the preflight answered here),
    nosniff, an access-log line, and a connection whose request body was not read to its end is closed after
    the response, never reused."""

    def __init__(self, endpoint: _Endpoint, pages, quiet: bool = False, log=None):
        self.endpoint = endpoint
        self.pages = pages
        self.quiet = quiet
        self.log = log or sys.stderr

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.pages(scope, receive, send)  # lifespan
            return
        started = time.monotonic()
        expects_body = False
        for name, value in scope["headers"]:
            if (name == b"content-length" and value.strip() not in (b"0", b"")) or name == b"transfer-encoding":
                expects_body = True
        state = {"status": 0, "bytes": 0, "body_done": not expects_body}

        async def receive_tracked():
            message = await receive()
            if message["type"] == "http.request" and not message.get("more_body", False):
                state["body_done"] = True
            return message

        async def send_hardened(message):
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                headers = list(message.get("headers", [])) + _COMMON
                if not state["body_done"]:
                    headers.append((b"connection", b"close"))
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body":
                state["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            method = scope["method"]
            if method == "OPTIONS":
                await self._preflight(scope, send_hardened)
            elif scope["path"] == "/sparql":
                if method in ("GET", "HEAD", "POST"):
                    await self.endpoint.sparql(scope, receive_tracked if expects_body else receive, send_hardened)
                else:
                    await _send(send_hardened, *_plain_parts(405, "this server is read-only"),
                                [(b"allow", b"GET, HEAD, POST, OPTIONS")])
            else:
                await self.pages(scope, receive_tracked if expects_body else receive, send_hardened)
        finally:
            if not self.quiet:
                self._log(scope, state, time.monotonic() - started)

    async def _preflight(self, scope, send) -> None:
        requested = b""
        for name, value in scope["headers"]:
            if name == b"access-control-request-headers":
                requested = value
        names = [n.strip() for n in requested.decode("latin-1").split(",") if _TOKEN.fullmatch(n.strip())]
        headers = [(b"access-control-allow-methods", b"GET, HEAD, POST, OPTIONS"),
                   (b"access-control-max-age", b"86400"), (b"allow", b"GET, HEAD, POST, OPTIONS"),
                   (b"content-length", b"0"), (b"vary", b"Access-Control-Request-Headers")]
        if names:
            headers.append((b"access-control-allow-headers", ", ".join(names[:30]).encode("latin-1")))
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    def _log(self, scope, state, elapsed: float) -> None:
        client = scope.get("client") or ("-", 0)
        target = scope.get("raw_path", b"").decode("latin-1")
        if scope.get("query_string"):
            target += "?" + scope["query_string"].decode("latin-1")
        stamp = datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        line = (f'{stamp} {client[0]} "{escape_for_log(scope["method"], 20)} {escape_for_log(target)}" '
                f'{state["status"]} {state["bytes"]} {elapsed * 1000:.1f}ms\n')
        try:
            self.log.write(line)
            self.log.flush()
        except (OSError, ValueError):
            pass


def _unquote(part: bytes) -> str:
    """urllib's unquote_plus for ASCII bytes, in C: each %HH becomes \\xHH, which codecs.escape_decode turns
    into its byte (every backslash is doubled first, so no other escape exists). A % without two hex digits
    raises ValueError."""
    return codecs.escape_decode(part.replace(b"\\", b"\\\\").replace(b"%", b"\\x").replace(b"+", b" "))[0] \
        .decode("utf-8", "replace")


@functools.lru_cache(maxsize=4096)  # a repeated GET skips even the fast decoding
def _query_params(query_string: bytes) -> dict[str, list[str]]:
    """What urllib.parse.parse_qs(query_string.decode("latin-1"), keep_blank_values=True) gives; urllib's
    percent-decoding is pure Python and cost a fifth of the server's time per unique query, so the common
    case (ASCII, well-formed escapes) is decoded in C and anything else goes to urllib."""
    if query_string.isascii():
        params: dict[str, list[str]] = {}
        try:
            for part in query_string.split(b"&"):
                if part:
                    name, _, value = part.partition(b"=")
                    params.setdefault(_unquote(name), []).append(_unquote(value))
            return params
        except ValueError:  # a malformed escape: urllib's rule (keep it as it is) applies
            pass
    return urllib.parse.parse_qs(query_string.decode("latin-1"), keep_blank_values=True)


def _plain_parts(status: int, message: str) -> tuple[int, bytes, bytes]:
    return status, b"text/plain; charset=utf-8", (message.rstrip("\n") + "\n").encode("utf-8")


async def _send(send, status: int, content_type: bytes, body: bytes, headers: list | None = None) -> None:
    start = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": start + (headers or [])})
    await send({"type": "http.response.body", "body": body})


# --- the routes -------------------------------------------------------------------------------------------

class _Endpoint:
    """Route handlers over one release: the store (for pages) in this process, queries in the worker pool."""

    def __init__(self, config: AppConfig, store, pool: WorkerPool):
        self.config = config
        self.store = store
        self.pool = pool
        self.root = config.ontology.resolve()
        self.files = _release_files(self.root)
        self.releases, self.history = _kept(config.releases)
        self.triples = len(store)
        self.pinned = 0
        self.cache = AnswerCache(config.cache_bytes)
        self.term_page = functools.lru_cache(maxsize=512)(self._term_page)
        self.void_body = functools.lru_cache(maxsize=16)(self._void_body)

    # -- /sparql (raw ASGI: the hot path)
    async def sparql(self, scope, receive, send) -> None:
        if scope["method"] == "POST":
            params, problem = await self._post_params(scope, receive)
            if problem is not None:
                await _send(send, *problem)
                return
        else:
            params = _query_params(scope["query_string"])
        if "update" in params:
            await _send(send, *_plain_parts(403, "this endpoint is read-only: SPARQL Update is not accepted"))
            return
        queries = params.get("query", [])
        if not queries:
            response = self._service_description(Request(scope))
            await response(scope, receive, send)
            return
        if len(queries) > 1:
            await _send(send, *_plain_parts(400, "give exactly one query parameter"))
            return
        accept = None
        for name, value in scope["headers"]:
            if name == b"accept":
                accept = value.decode("latin-1")
        job = Job(queries[0], tuple(params.get("default-graph-uri", ())), tuple(params.get("named-graph-uri", ())),
                  accept, (params.get("format") or [""])[0])
        started = time.monotonic()
        key = self.cache.key(job)
        answer = self.cache.get(key) if key is not None else None
        cached = answer is not None
        if answer is None:
            client = scope["client"][0] if scope.get("client") else ""
            try:
                answer = await self.pool.run(job, client)
            except (QueryStopped, PoolBusy) as exc:
                await _send(send, *_plain_parts(503, str(exc)))
                return
            if key is not None and answer.status < 500:
                self.cache.put(key, answer)
        if answer.status != 200:
            await _send(send, *_plain_parts(answer.status, answer.body.decode("utf-8", "replace")))
            return
        headers = [(b"vary", b"Accept"), (b"x-ciro-query-time", f"{time.monotonic() - started:.3f}".encode()),
                   (b"x-ciro-cache", b"hit" if cached else b"miss")]
        if answer.truncated:
            headers.append((b"x-ciro-truncated", answer.truncated.encode("latin-1", "replace")))
        content_type = _content_type(answer.media).encode()
        if scope["method"] == "HEAD":
            await send({"type": "http.response.start", "status": 200, "headers": [
                (b"content-type", content_type), (b"content-length", str(len(answer.body)).encode()), *headers]})
            await send({"type": "http.response.body", "body": b""})
        elif len(answer.body) <= _CHUNK:
            await _send(send, 200, content_type, answer.body, headers)
        else:
            await self._large(send, answer.body, content_type, headers)

    async def _large(self, send, body: bytes, content_type: bytes, headers: list) -> None:
        """A large answer goes out in chunks (uvicorn waits for the client between them), and counts against
        the bytes the server may hold for clients still reading."""
        if self.pinned + len(body) > self.config.max_pinned:
            await _send(send, *_plain_parts(503, "the server is holding too many large answers for clients still "
                                                 "reading them; try again later"))
            return
        self.pinned += len(body)
        try:
            await send({"type": "http.response.start", "status": 200, "headers": [
                (b"content-type", content_type), (b"content-length", str(len(body)).encode()), *headers]})
            view = memoryview(body)
            for start in range(0, len(body), _CHUNK):
                await send({"type": "http.response.body", "body": bytes(view[start:start + _CHUNK]),
                            "more_body": start + _CHUNK < len(body)})
        finally:
            self.pinned -= len(body)

    async def _post_params(self, scope, receive) -> tuple[dict, tuple | None]:
        headers = dict(scope["headers"])
        length = headers.get(b"content-length", b"").decode("latin-1").strip() or None
        limit = self.config.max_body
        # The rest of the body is never read: App closes the connection after this answer.
        too_large = (413, b"text/plain; charset=utf-8", f"request body larger than {limit} bytes\n".encode())
        if length is not None and (not length.isdigit() or int(length) > limit):
            return {}, too_large
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return {}, _plain_parts(400, "the client went away before sending the whole request")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return {}, too_large
            chunks.append(chunk)
            more = message.get("more_body", False)
        try:
            text = b"".join(chunks).decode("utf-8")
        except UnicodeDecodeError:
            return {}, _plain_parts(400, "the request body is not UTF-8")
        media = headers.get(b"content-type", b"").decode("latin-1").split(";")[0].strip().lower()
        params = urllib.parse.parse_qs(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        if media == "application/sparql-update":
            return {}, _plain_parts(403, "this endpoint is read-only: SPARQL Update is not accepted")
        if media == "application/x-www-form-urlencoded":
            return urllib.parse.parse_qs(text, keep_blank_values=True), None
        if media == "application/sparql-query":
            if "query" in params:
                return {}, _plain_parts(400, "give the query either in the body or as a parameter, not both")
            params["query"] = [text]
            return params, None
        return {}, _plain_parts(415, "POST a query as application/x-www-form-urlencoded (query=...) or as "
                                     "application/sparql-query")

    def _service_description(self, request: Request) -> Response:
        base = _base_url(request)
        name = negotiate(request.headers.get("accept"), {"turtle": "text/turtle", "html": "text/html"})
        if name == "html":
            return Response(render_query_form(f"{base}/sparql"), 200, media_type="text/html")
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
            f"  void:triples {self.triples} ;\n"
            f"  void:inDataset <{base}/.well-known/void#ciro> .\n")
        return Response(text, 200, {"Vary": "Accept"}, media_type=_content_type("text/turtle"))

    # -- pages, VoID, files
    async def index(self, request: Request) -> Response:
        links = {"SPARQL endpoint": "/sparql", "VoID description": "/.well-known/void"}
        links.update({f"Download {name}": f"/ontology/{name}" for name in self.files})
        links.update({f"Release {version} (ciro.owl)": f"/releases/{version}/ciro.owl" for version in self.releases})
        return Response(await run_in_threadpool(render_index_page, self.store, links), media_type="text/html")

    def _void_body(self, base: str, name: str) -> bytes:
        triples = void_triples(self.store, base, sorted(self.files))
        return serialize_graph(triples, name, {"void": "http://rdfs.org/ns/void#"})

    async def void(self, request: Request) -> Response:
        name = negotiate(request.headers.get("accept"), GRAPH_TYPES)
        if name is None:
            return _plain(406, "the VoID description is offered as " + ", ".join(GRAPH_TYPES.values()))
        body = await run_in_threadpool(self.void_body, _base_url(request), name)
        return Response(body, 200, {"Vary": "Accept"}, media_type=_content_type(GRAPH_TYPES[name]))

    def _term_page(self, iri: str, name: str) -> bytes | None:
        if not term_exists(self.store, iri):
            return None
        if name == "html":
            local = iri[len(BASE):]
            by_suffix = {v: k for k, v in _SUFFIXES.items()}
            alternates = {_TERM_TYPES[n]: f"/{local}{by_suffix[n]}" for n in GRAPH_TYPES}
            return render_term_page(self.store, iri, alternates=alternates,
                                    extra=release_note(self.store, iri, self.history)).encode("utf-8")
        return serialize_graph(term_triples(self.store, iri), name)

    async def other(self, request: Request) -> Response:
        """Release files, then term IRIs; anything else is 404 (which never repeats the path it was given)."""
        path = request.scope["path"]
        if request.method not in ("GET", "HEAD"):
            return _plain(405, "this server is read-only", {"Allow": "GET, HEAD"})
        if path == "/releases/":
            return Response(_releases_page(self.releases), media_type="text/html")
        if path.startswith("/releases/"):
            version, _, name = path.removeprefix("/releases/").partition("/")
            if name in self.releases.get(version, ({}, None))[0]:
                return self._file(name, version)
            kept = ", ".join(self.releases) or "none"
            return _plain(404, f"not found: the kept releases are {kept}, each at /releases/<version>/<file>")
        name = path.removeprefix("/ontology/").removeprefix("/")
        if name in self.files:
            return self._file(name)
        match = _TERM_PATH.fullmatch(path)
        if not match:
            return _plain(404, "not found: this server has /sparql, /.well-known/void, the release files under "
                               "/ontology/ and a page for every CIRO term (see /)")
        local, suffix = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
        if suffix and suffix not in _SUFFIXES:
            return _plain(404, f"not found: a term is offered with the suffixes {', '.join(_SUFFIXES)}")
        name = _SUFFIXES[suffix] if suffix else negotiate(request.headers.get("accept"), _TERM_TYPES)
        if name is None:
            return _plain(406, "a term is offered as " + ", ".join(_TERM_TYPES.values()))
        body = await run_in_threadpool(self.term_page, BASE + local, name)
        if body is None:
            return _plain(404, f"no term {BASE + local} in this release")
        by_suffix = {v: k for k, v in _SUFFIXES.items()}
        headers = {"Vary": "Accept", "Content-Location": f"/{local}{by_suffix[name]}"}
        return Response(body, 200, headers, media_type=_content_type(_TERM_TYPES[name]))

    def _file(self, name: str, version: str | None = None) -> Response:
        files, root = (self.files, self.root) if version is None else self.releases[version]
        path = files[name]
        real = Path(os.path.realpath(path))
        if not real.is_relative_to(root) or not real.is_file():  # a link changed since start-up
            return _plain(404, "not found")
        return FileResponse(real, media_type=_content_type(_FILE_TYPES.get(path.suffix, "application/octet-stream")))


def _releases_page(releases: dict) -> str:
    """/releases/: each kept release, newest first, with its files."""
    from html import escape

    items = "".join(
        f"<li><strong>{escape(version)}</strong>: " + " · ".join(
            f'<a href="/releases/{escape(version)}/{escape(name)}">{escape(name)}</a>' for name in files) + "</li>"
        for version, (files, _root) in releases.items())
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Releases — CIRO</title></head>'
            f'<body><h1>CIRO releases</h1><ul>{items or "<li>none kept</li>"}</ul></body></html>\n')


def _base_url(request: Request) -> str:
    host = request.headers.get("host", "")
    if not _HOST.fullmatch(host):
        server = request.scope.get("server") or ("127.0.0.1", 0)
        host = f"{server[0]}:{server[1]}"
    return f"http://{host}"


def _release_files(root: Path) -> dict[str, Path]:
    """Every file of the release folder by its relative path (the only files ever served); hidden files and
    links that lead outside the folder are left out."""
    files = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        if not Path(os.path.realpath(path)).is_relative_to(root):
            continue
        files[relative.as_posix()] = path
    return files


def _kept(releases: Path | None) -> tuple[dict, dict]:
    """The kept releases as {version: ({file: path}, folder)}, newest first, and the term history they give."""
    from ..versions import kept_releases, term_history

    if releases is None:
        return {}, {}
    kept = {str(r.version): r.path.resolve() for r in reversed(kept_releases(releases))}
    return {v: (_release_files(p), p) for v, p in kept.items()}, term_history(releases)


def make_app(config: AppConfig, store, pool: WorkerPool, log=None) -> App:
    """The ASGI application; its lifespan attaches the worker pool to the event loop and closes it."""
    import contextlib

    endpoint = _Endpoint(config, store, pool)

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        await pool.open()
        try:
            yield
        finally:
            await pool.close()

    routes = [
        Route("/", endpoint.index, methods=["GET", "HEAD"]),
        Route("/index.html", endpoint.index, methods=["GET", "HEAD"]),
        Route("/.well-known/void", endpoint.void, methods=["GET", "HEAD"]),
        Route("/{path:path}", endpoint.other, methods=["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"]),
    ]
    return App(endpoint, Starlette(routes=routes, lifespan=lifespan), quiet=config.quiet, log=log)
