"""`ciro serve`: the release over HTTP, on uvicorn (httptools parser, uvloop where installed) with the
Starlette application of `app` and the query workers of `pool`.

What makes it fit to face untrusted clients, beyond what uvicorn does by itself:
- a deadline for the request head (slowloris: a client that sends one header line and then nothing is cut
  off after --header-timeout seconds, however slowly it trickles bytes), one for the request body, and
  one for a client that stops reading its answer (--send-timeout);
- a cap on connections (the ones past it get a 503 and are closed at once), on the request line and on
  the header block (414, 431);
- TCP_NODELAY on every connection (no 40 ms Nagle/delayed-ACK stall on keep-alive), a listen backlog of
  1024;
- queries run in sandboxed worker processes with time, memory, row and byte limits (`pool`, `worker`),
  after the text checks of `query.sparql` (no SERVICE, bounded nesting).
"""

from __future__ import annotations

import logging
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ..query.store import load_store
from .app import AppConfig, make_app
from .pool import PoolConfig, WorkerPool

__all__ = ["ServeConfig", "HardenedProtocol", "prepare", "serve_forever"]

_STATUS = {408: b"408 Request Timeout", 414: b"414 URI Too Long", 431: b"431 Request Header Fields Too Large",
           503: b"503 Service Unavailable"}


@dataclass(frozen=True)
class ServeConfig:
    """What `ciro serve` serves and within which bounds."""

    ontology: Path
    host: str = "127.0.0.1"
    port: int = 8000
    time_limit: float = 10.0
    max_results: int = 10000
    max_bytes: int = 16 * 2**20
    memory_limit: int | None = 1024 * 2**20
    workers: int = 2
    max_workers: int | None = None  # default: twice `workers`
    max_body: int = 1_000_000
    max_connections: int = 256
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    send_timeout: float = 30.0
    keep_alive: float = 5.0
    backlog: int = 1024
    max_url: int = 64 * 1024
    max_header_bytes: int = 64 * 1024
    cache_bytes: int = 64 * 2**20
    quiet: bool = False
    releases: Path | None = None  # kept releases, served at /releases/<version>/


class _Coalescing:
    """The transport as one response sees it: the status line and headers wait for the first body write and
    go out with it, one write and one TCP segment per small answer instead of two (half the wake-ups of the
    client). Anything else is the real transport's."""

    __slots__ = ("_transport", "_held", "_loop")

    def __init__(self, transport, loop):
        self._transport = transport
        self._held = None
        self._loop = loop

    def write(self, data: bytes) -> None:
        if self._held is None and data.startswith(b"HTTP/"):
            self._held = data
            self._loop.call_soon(self._flush)  # in case no body follows at once
            return
        if self._held is not None:
            data, self._held = self._held + data, None
        self._transport.write(data)

    def _flush(self) -> None:
        if self._held is not None:
            held, self._held = self._held, None
            if not self._transport.is_closing():
                self._transport.write(held)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def __getattr__(self, name):
        return getattr(self._transport, name)


class HardenedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with deadlines, size caps, a connection cap and TCP_NODELAY."""

    limits: ServeConfig = ServeConfig(Path("."))

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._timer = None
        self._send_timer = None
        self._url_size = 0
        self._header_bytes = 0
        sock = transport.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except (OSError, AttributeError):
                pass
        if len(self.connections) > self.limits.max_connections:
            self._reject(503, "too many connections; try again later")
            return
        self._arm(self.limits.header_timeout)

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expired(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete:
            self._reject(408, "request not received in time")
        else:  # a body that stopped coming: the handler waiting for it sees a disconnect
            self.transport.close()

    def _reject(self, status: int, message: str) -> None:
        if self.transport.is_closing():
            return
        body = message.encode("ascii") + b"\n"
        self.transport.write(b"HTTP/1.1 " + _STATUS[status] + b"\r\ncontent-type: text/plain; charset=utf-8\r\n"
                             b"connection: close\r\ncontent-length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        self.transport.close()

    def data_received(self, data: bytes) -> None:
        if self._timer is None and (self.cycle is None or self.cycle.response_complete):
            self._arm(self.limits.header_timeout)  # bytes of a new request: the head has a deadline
        super().data_received(data)

    def on_message_begin(self) -> None:
        self._url_size = 0
        self._header_bytes = 0
        super().on_message_begin()

    def on_url(self, url: bytes) -> None:
        self._url_size += len(url)
        if self._url_size > self.limits.max_url:
            self._reject(414, f"request line longer than {self.limits.max_url} bytes; POST long queries")
        if not self.transport.is_closing():
            super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(name) + len(value) + 4
        if self._header_bytes > self.limits.max_header_bytes:
            self._reject(431, "request headers too large")
        if not self.transport.is_closing():
            super().on_header(name, value)

    def on_headers_complete(self) -> None:
        if self.transport.is_closing():  # already answered (414, 431, 503): never handed to the application
            return
        self._arm(self.limits.body_timeout)
        super().on_headers_complete()
        if self.cycle is not None:
            self.cycle.transport = _Coalescing(self.transport, self.loop)

    def on_body(self, body: bytes) -> None:
        if self.cycle is not None and not self.transport.is_closing():
            super().on_body(body)

    def on_message_complete(self) -> None:
        self._disarm()
        if self.cycle is not None and not self.transport.is_closing():
            super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        if not self.transport.is_closing():
            super().send_400_response(msg)

    def pause_writing(self) -> None:
        super().pause_writing()
        if self._send_timer is None:
            self._send_timer = self.loop.call_later(self.limits.send_timeout, self.transport.abort)

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._send_timer is not None:
            self._send_timer.cancel()
            self._send_timer = None

    def connection_lost(self, exc) -> None:
        self._disarm()
        if self._send_timer is not None:
            self._send_timer.cancel()
            self._send_timer = None
        super().connection_lost(exc)


# uvicorn's own messages (a request it could not parse, ...) with a timestamp, like the access log.
_LOG_CONFIG = {
    "version": 1, "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s.%(msecs)03dZ %(levelname)s %(message)s",
                             "datefmt": "%Y-%m-%dT%H:%M:%S", "()": "ciro.web.serve._UTCFormatter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}},
    "loggers": {"uvicorn": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
                "uvicorn.error": {"level": "WARNING"}},
}


class _UTCFormatter(logging.Formatter):
    converter = time.gmtime


@dataclass
class Prepared:
    """What `prepare` made: the app, the pool, and the bound listening socket."""

    app: object
    pool: WorkerPool
    sock: socket.socket
    triples: int


def prepare(config: ServeConfig) -> Prepared:
    """Load the release, start the query workers' zygote and bind the socket (nothing served yet)."""
    if config.time_limit <= 0 or config.max_results <= 0 or config.workers <= 0 or config.max_bytes <= 0:
        raise ValueError("--time-limit, --max-results, --max-bytes and --workers must be positive")
    store = load_store(config.ontology)
    pool = WorkerPool(PoolConfig(
        config.ontology, workers=config.workers, max_workers=max(config.workers, config.max_workers or
                                                                  2 * config.workers),
        time_limit=config.time_limit, memory_limit=config.memory_limit, max_results=config.max_results,
        max_bytes=config.max_bytes))
    pool.start()
    try:
        family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((config.host, config.port))
        sock.listen(config.backlog)
        sock.set_inheritable(True)
    except OSError:
        pool.shutdown()
        raise
    app = make_app(AppConfig(config.ontology, max_body=config.max_body, cache_bytes=config.cache_bytes,
                             quiet=config.quiet, releases=config.releases), store, pool)
    return Prepared(app, pool, sock, len(store))


def serve_forever(config: ServeConfig, announce: Callable[[str], None] = print) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM), then stop the workers."""
    import uvicorn

    prepared = prepare(config)
    protocol = type("ConfiguredProtocol", (HardenedProtocol,), {"limits": config})
    try:
        import uvloop  # noqa: F401 - optional: a faster event loop where installed
        loop = "uvloop"
    except ImportError:
        loop = "asyncio"
    server = uvicorn.Server(uvicorn.Config(
        prepared.app, loop=loop, http=protocol, lifespan="on", access_log=False, log_level="warning",
        log_config=_LOG_CONFIG,
        timeout_keep_alive=int(max(1, config.keep_alive)), limit_concurrency=config.max_connections * 2,
        backlog=config.backlog, server_header=False, date_header=True, timeout_graceful_shutdown=5,
        proxy_headers=False))
    host, port = prepared.sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    announce(f"CIRO SPARQL endpoint at http://{shown}:{port}/sparql (release {config.ontology}, "
             f"{prepared.triples} triples; time limit {config.time_limit:g} s, at most {config.max_results} "
             f"results and {config.max_bytes // 2**20} MB per answer, {config.workers} worker(s))")
    sys.stdout.flush()
    try:
        server.run(sockets=[prepared.sock])
    finally:
        prepared.pool.shutdown()
        prepared.sock.close()
