"""`ciro serve` facing untrusted clients, probe by probe (issue 14): SERVICE never leaves the machine,
slow clients are cut off, connections are capped, refused bodies are never parsed as requests, CORS
preflight, nosniff, the access log, and the bounds of one query (time, memory, rows, bytes, fair share).

Every probe talks to a server on a free loopback port, with a bounded number of requests and a bounded
wait; none measures speed (that is `ciro bench endpoint`)."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

from .test_serve import SLOW, fetch, get_query, running_server

CLIENT_TIMEOUT = 1.0
MAX_CONNECTIONS = 30


@pytest.fixture(scope="module")
def hard(fresh_release):
    """A server with tight bounds: 1 MB answers, 256 MB per query, 30 connections, 1 s to send a request head."""
    with running_server(fresh_release, "--max-bytes", "1", "--memory-limit", "256", "--workers", "2",
                        "--max-workers", "4", "--max-connections", str(MAX_CONNECTIONS), "--client-timeout",
                        str(CLIENT_TIMEOUT), "--time-limit", "4") as url:
        yield url


def _address(base: str) -> tuple[str, int]:
    parsed = urllib.parse.urlsplit(base)
    return parsed.hostname, parsed.port


def _raw(base: str, data: bytes, wait: float = 5.0) -> bytes:
    """Send raw bytes, read until the server closes the connection (or `wait` seconds pass)."""
    with socket.create_connection(_address(base), timeout=wait) as sock:
        sock.sendall(data)
        chunks = []
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except (TimeoutError, ConnectionResetError):
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


@contextlib.contextmanager
def listener():
    """A loopback TCP listener that counts the connections it gets (the host a SERVICE would call)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    hits: list[bytes] = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                conn.settimeout(1)
                try:
                    hits.append(conn.recv(1000))
                except OSError:
                    hits.append(b"")

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/sparql", hits
    finally:
        time.sleep(0.3)  # a request sent just before the end still counts
        stop.set()
        thread.join(2)
        server.close()


# --- SERVICE ------------------------------------------------------------------------------------------------

SERVICE_FORMS = [
    "SELECT * WHERE {{ SERVICE <{e}> {{ ?s ?p ?o }} }}",
    "select * where {{ sErViCe <{e}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ SERVICE SILENT <{e}> {{ ?s ?p ?o }} }}",
    "PREFIX remote: <{e}>\nSELECT * WHERE {{ OPTIONAL {{ SERVICE remote: {{ ?s ?p ?o }} }} }}",
    "# a comment\nASK {{ {{ SELECT * WHERE {{ SERVICE <{e}> {{ ?s ?p ?o }} }} }} }}",
    "SELECT * WHERE {{ BIND(<{e}> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
    "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ ?s ?p \"a string\" . SERVICE <{e}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ \\u0053ERVICE <{e}> {{ ?s ?p ?o }} }}",
]


def test_service_is_refused_and_no_request_leaves(hard):
    with listener() as (endpoint, hits):
        for form in SERVICE_FORMS:
            query = form.format(e=endpoint)
            status, media, _, body = get_query(hard, query)
            assert (status, media) == (400, "text/plain"), query
            assert body.startswith(b"SERVICE is not allowed"), body
            form_body = urllib.parse.urlencode({"query": query}).encode()
            assert fetch(f"{hard}/sparql", data=form_body, content_type="application/x-www-form-urlencoded")[0] == 400
            assert fetch(f"{hard}/sparql", data=query.encode(), content_type="application/sparql-query")[0] == 400
    assert hits == []


def test_the_word_service_elsewhere_is_no_service(hard):
    """Strings, IRIs, comments, variables and prefixed names that spell SERVICE do not make a SERVICE."""
    with listener() as (endpoint, hits):
        queries = [
            f'SELECT ?service WHERE {{ ?service ?p "SERVICE <{endpoint}> {{ }}" }} LIMIT 1',
            f"SELECT * WHERE {{ ?s <{endpoint}/SERVICE> ?o }} # SERVICE <{endpoint}> {{ }}",
            "PREFIX service: <https://example.org/service/>\nSELECT * WHERE { ?s service:SERVICE ?o }",
            f"SELECT * WHERE {{ ?s ?p '''SERVICE\n<{endpoint}>''' }}",
        ]
        for query in queries:
            status, _, _, body = get_query(hard, query, "application/sparql-results+json")
            assert status == 200, (query, body)
    assert hits == []


def test_ciro_query_refuses_service_too(fresh_release):
    with listener() as (endpoint, hits):
        done = subprocess.run([sys.executable, "-m", "ciro.cli", "query", "--ontology", str(fresh_release),
                               f"SELECT * WHERE {{ SERVICE <{endpoint}> {{ ?s ?p ?o }} }}"],
                              capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("error: SERVICE is not allowed")
    assert hits == []


def test_a_worker_cannot_open_a_socket_even_past_the_checks(fresh_release):
    """Defence in depth: the sandbox itself stops a SERVICE that got past the text checks."""
    script = f"""
import socket, sys, pyoxigraph
from pathlib import Path
from ciro.query.store import load_store
from ciro.web.worker import _sandbox
store = load_store(Path({str(fresh_release)!r}))
a, b = socket.socketpair()
import resource
before = int([l.split()[1] for l in open("/proc/self/status") if l.startswith("VmSize")][0]) * 1024
kept = _sandbox(b, 256 * 2**20)  # the job socket, as the worker holds it
limit = resource.getrlimit(resource.RLIMIT_AS)[0]
print("memory capped" if 0 < limit - before <= 257 * 2**20 else "memory not capped")
try:
    socket.socket()
    print("socket opened")
except OSError as exc:
    print("socket refused", exc.errno)
try:
    list(store.query("SELECT * WHERE {{ SERVICE <" + sys.argv[1] + "> {{ ?s ?p ?o }} }}"))
    print("service ran")
except OSError as exc:
    print("service failed")
"""
    with listener() as (endpoint, hits):
        done = subprocess.run([sys.executable, "-c", script, endpoint], capture_output=True, text=True, timeout=120)
    assert done.stdout.split("\n")[:3] == ["memory capped", "socket refused 24", "service failed"], \
        done.stdout + done.stderr
    assert hits == []


# --- slow, idle and too many clients ------------------------------------------------------------------------

def test_slowloris_connections_are_cut_off(hard):
    """30 clients that send one header line and then nothing, and one that trickles a byte at a time: all
    are closed after the head deadline, and the endpoint keeps answering."""
    sockets = []
    for _ in range(20):
        sock = socket.create_connection(_address(hard), timeout=10)
        sock.sendall(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n")
        sockets.append(sock)
    trickle = socket.create_connection(_address(hard), timeout=0.2)
    closed_trickle = False
    deadline = time.monotonic() + 8 * CLIENT_TIMEOUT
    for byte in b"GET /sparql HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200:
        if time.monotonic() > deadline:
            break
        try:
            trickle.sendall(bytes([byte]))
            answer = trickle.recv(4096)
        except TimeoutError:
            continue  # nothing yet: the server is still waiting for the head
        except OSError:
            closed_trickle = True
            break
        closed_trickle = answer == b"" or answer.startswith(b"HTTP/1.1 408")
        break
    for sock in sockets:
        answer = sock.recv(4096)  # blocks until the server answers 408 and closes (socket timeout: 10 s)
        assert answer.startswith(b"HTTP/1.1 408") or answer == b""
        assert sock.recv(4096) == b""
        sock.close()
    trickle.close()
    assert closed_trickle, "a client trickling its head byte by byte was never cut off"
    assert get_query(hard, "ASK { ?s ?p ?o }")[0] == 200


def test_idle_keep_alive_connection_is_closed(hard):
    with socket.create_connection(_address(hard), timeout=15) as sock:
        sock.sendall(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\nAccept: text/csv\r\n\r\n")
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"true"):
            chunk = sock.recv(4096)
            assert chunk
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 200")
        assert sock.recv(4096) == b""  # closed by the server once idle (keep-alive timeout)


def test_connections_past_the_cap_get_503(hard):
    sockets, refused = [], 0
    try:
        for _ in range(MAX_CONNECTIONS + 10):
            sock = socket.create_connection(_address(hard), timeout=5)
            sockets.append(sock)
        for sock in sockets[MAX_CONNECTIONS:]:
            sock.settimeout(5)
            answer = sock.recv(4096)
            refused += answer.startswith(b"HTTP/1.1 503")
    finally:
        for sock in sockets:
            sock.close()
    assert refused >= 9  # the ones past the cap (one may race with a connection closing)
    time.sleep(0.5)
    assert get_query(hard, "ASK { ?s ?p ?o }")[0] == 200


def test_long_request_lines_and_headers_are_refused(hard):
    answer = _raw(hard, b"GET /sparql?query=" + b"a" * 70000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 414")
    answer = _raw(hard, b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Big: " + b"b" * 70000 + b"\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 431")


# --- bodies: read or the connection closed ------------------------------------------------------------------

def test_a_refused_body_is_never_parsed_as_a_second_request(hard):
    smuggled = b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n\r\n"
    for method in (b"PUT", b"DELETE", b"PATCH"):
        for path in (b"/sparql", b"/ontology/ciro.ttl", b"/CIRO_0000261"):
            request = (method + b" " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                       b"Content-Length: " + str(len(smuggled)).encode() + b"\r\n\r\n" + smuggled)
            answer = _raw(hard, request)
            assert answer.startswith(b"HTTP/1.1 405"), (method, path, answer[:100])
            assert answer.count(b"HTTP/1.1 ") == 1, answer  # one answer: the body was not a request
            assert b"connection: close" in answer.lower()
    # A body too large: 413 and the connection closed, nothing of the body parsed.
    answer = _raw(hard, b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                        b"Content-Length: 5000000\r\n\r\n" + smuggled)
    assert answer.startswith(b"HTTP/1.1 413") and answer.count(b"HTTP/1.1 ") == 1
    # Content-Length and Transfer-Encoding together (the classic smuggling pair): refused.
    answer = _raw(hard, b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                        b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled)
    assert answer.startswith(b"HTTP/1.1 400") and answer.count(b"HTTP/1.1 ") == 1


def test_a_body_that_stops_coming_is_cut_off(hard):
    with socket.create_connection(_address(hard), timeout=20) as sock:
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                     b"Content-Length: 100\r\n\r\nASK")
        data = b""
        while True:
            chunk = sock.recv(4096)  # the body deadline (3 x the client timeout) closes the connection
            if not chunk:
                break
            data += chunk
        assert b"HTTP/1.1 200" not in data


# --- browsers: CORS, nosniff --------------------------------------------------------------------------------

def test_cors_preflight_as_yasgui_sends_it(hard):
    answer = _raw(hard, b"OPTIONS /sparql HTTP/1.1\r\nHost: x\r\nOrigin: https://yasgui.example\r\n"
                        b"Access-Control-Request-Method: POST\r\n"
                        b"Access-Control-Request-Headers: content-type, accept\r\nConnection: close\r\n\r\n")
    head = answer.split(b"\r\n\r\n")[0].decode().lower()
    assert head.startswith("http/1.1 204")
    assert "access-control-allow-origin: *" in head
    assert re.search(r"access-control-allow-methods: [^\r\n]*post", head)
    assert "access-control-allow-headers: content-type, accept" in head
    # The answer itself lets a page's script read the truncation and timing headers.
    status, _, headers, _ = get_query(hard, "SELECT * WHERE { ?s ?p ?o }")
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "*"
    exposed = {h.strip().lower() for h in headers["Access-Control-Expose-Headers"].split(",")}
    assert {"x-ciro-truncated", "x-ciro-query-time"} <= exposed


def test_nosniff_on_every_kind_of_answer(hard):
    for url in (f"{hard}/sparql?query=ASK%7B%7D", f"{hard}/sparql?query=nonsense", f"{hard}/nothing",
                f"{hard}/ontology/ciro.ttl", f"{hard}/CIRO_0000261", f"{hard}/.well-known/void", f"{hard}/"):
        status, _, headers, _ = fetch(url)
        assert headers["X-Content-Type-Options"] == "nosniff", (url, status)


def test_404_does_not_echo_the_path(hard):
    status, _, _, body = fetch(f"{hard}/%3Cscript%3Ealert(1)%3C/script%3E-unique-marker")
    assert status == 404
    assert b"unique-marker" not in body and b"<script>" not in body


def test_bad_default_graph_uri_is_400(hard):
    for bad in ("not an iri", "<urn:x>", "http://a b/"):
        status, media, _, body = get_query(hard, "ASK { ?s ?p ?o }", **{"default-graph-uri": bad})
        assert (status, media) == (400, "text/plain"), bad
        assert b"default-graph-uri must be an absolute IRI" in body
    assert get_query(hard, "ASK { ?s ?p ?o }", **{"named-graph-uri": "x y"})[0] == 400


# --- bounds of one query ------------------------------------------------------------------------------------

def doubling(steps: int) -> str:
    """A 1.5 KB query whose one row holds a 16 x 2^steps byte string (CONCAT doubling, as issue 14 found)."""
    return (f"SELECT (STRLEN(?a{steps}) AS ?n) ?a{steps} WHERE {{ BIND(\"0123456789abcdef\" AS ?a0) "
            + " ".join(f"BIND(CONCAT(?a{i}, ?a{i}) AS ?a{i + 1})" for i in range(steps)) + " }")


DOUBLING = doubling(20)  # 16 MiB


def test_memory_limit_stops_a_growing_query_and_the_worker_is_replaced(hard):
    status, media, _, body = get_query(hard, "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f")
    assert (status, media) == (503, "text/plain"), body
    assert b"more memory than the limit of 256 MB" in body
    for _ in range(3):
        assert get_query(hard, "ASK { ?s ?p ?o }")[0] == 200


def test_byte_bound_cuts_a_huge_row_and_says_so_in_the_body(hard):
    status, _, headers, body = get_query(hard, DOUBLING, "application/sparql-results+json")  # a 16 MiB value
    assert status == 200
    assert len(body) <= 2**20
    assert "1048576 bytes" in headers["X-CIRO-Truncated"]
    data = json.loads(body)
    assert data["results"]["bindings"] == [] and "1048576 bytes" in data["x-ciro-truncated"]


def test_row_bound_is_said_in_header_and_body(hard, fresh_release):
    status, _, headers, body = get_query(hard, "SELECT * WHERE { ?s ?p ?o }", "application/sparql-results+json")
    assert status == 200 and "500 rows" in headers["X-CIRO-Truncated"]
    data = json.loads(body)
    assert len(data["results"]["bindings"]) == 500 and "500 rows" in data["x-ciro-truncated"]
    status, _, headers, body = get_query(hard, "SELECT * WHERE { ?s ?p ?o }", "application/sparql-results+xml")
    assert b"<!-- X-CIRO-Truncated: result truncated at 500 rows" in body
    status, _, headers, body = get_query(hard, "CONSTRUCT WHERE { ?s ?p ?o }", "text/turtle")
    assert body.startswith(b"# X-CIRO-Truncated: result truncated at 500 triples")
    status, _, headers, body = get_query(hard, "SELECT * WHERE { ?s ?p ?o } LIMIT 3")
    assert "X-CIRO-Truncated" not in headers and "x-ciro-truncated" not in json.loads(body)


def test_a_runaway_query_does_not_stall_the_others(hard):
    """Two runaway queries hold both regular workers; a cheap query from another client still gets its
    answer while they run (a worker is added), and the runaways are stopped at the time limit."""
    results: dict[str, tuple] = {}

    def slow(name):
        results[name] = get_query(hard, SLOW, timeout=30)[:1]

    threads = [threading.Thread(target=slow, args=(f"slow{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    status = get_query(hard, "ASK { ?s ?p ?o }", timeout=30)[0]
    running_when_answered = [t.is_alive() for t in threads]
    for thread in threads:
        thread.join(30)
    assert status == 200
    assert all(running_when_answered), "the cheap query waited for the runaways"
    assert results == {"slow0": (503,), "slow1": (503,)}


def test_deep_nesting_is_refused_and_the_server_lives(hard):
    deep = "SELECT * WHERE { ?s ?p " + "[ ?p " * 2500 + "?o" + " ]" * 2500 + " }"
    status, _, _, body = fetch(f"{hard}/sparql", data=deep.encode(), content_type="application/sparql-query")
    assert status == 400 and b"nested more than 64 deep" in body
    chain = "SELECT * WHERE { " + " UNION ".join(["{ ?s ?p ?o }"] * 8000) + " }"
    status, _, _, body = fetch(f"{hard}/sparql", data=chain.encode(), content_type="application/sparql-query")
    assert status == 400 and b"more than 2000 operators" in body
    assert get_query(hard, "ASK { ?s ?p ?o }")[0] == 200


# --- the access log, symlinks -------------------------------------------------------------------------------

def test_access_log_has_timestamps_and_no_raw_control_characters(fresh_release):
    process = subprocess.Popen([sys.executable, "-m", "ciro.cli", "serve", "--ontology", str(fresh_release),
                                "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = process.stdout.readline().decode()
        base = line.split(" at ", 1)[1].split()[0].removesuffix("/sparql")
        get_query(base, 'ASK { ?s ?p "\x1b[31mred" }')
        fetch(f"{base}/%1b%5b2J-cleared")
    finally:
        process.terminate()
        _, err = process.communicate(timeout=30)
    lines = [ln for ln in err.decode().splitlines() if '"GET ' in ln]
    assert len(lines) == 2, err
    for entry in lines:
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z 127\.0\.0\.1 \"GET /", entry), entry
    assert "\x1b" not in err.decode()
    assert "%1b%5b2J-cleared" in lines[1] and lines[1].split()[-3] == "404"


def test_escape_for_log():
    from ciro.web.app import escape_for_log

    assert escape_for_log('a\x1b[31m"b\\\n\x7fé') == "a\\x1b[31m\\x22b\\x5c\\x0a\\x7f\\xc3\\xa9"


def test_symlinks_out_of_the_release_are_not_served(fresh_release, tmp_path):
    release = tmp_path / "ontology"
    shutil.copytree(fresh_release, release)
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the web")
    (release / "leak.txt").symlink_to(secret)
    (release / "imports" / "up.ttl").symlink_to(Path("..") / ".." / "secret.txt")
    (release / "same.ttl").symlink_to("ciro.ttl")  # inside the release: fine
    with running_server(release) as base:
        for path in ("/ontology/leak.txt", "/leak.txt", "/ontology/imports/up.ttl"):
            status, _, _, body = fetch(base + path)
            assert status == 404 and b"not for the web" not in body, path
        status, _, _, body = fetch(base + "/ontology/same.ttl")
        assert status == 200 and body == (release / "ciro.ttl").read_bytes()
        index = fetch(base + "/")[3]
        assert b"leak.txt" not in index


# --- the protocol object itself -----------------------------------------------------------------------------

def test_every_connection_gets_tcp_nodelay():
    import uvicorn
    from uvicorn.server import ServerState

    from ciro.web.serve import HardenedProtocol

    async def app(scope, receive, send):  # pragma: no cover - never called
        pass

    config = uvicorn.Config(app, http=HardenedProtocol)
    config.load()
    listening = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(listening.getsockname())
    accepted, _ = listening.accept()

    class Transport:
        def get_extra_info(self, name, default=None):
            return {"socket": accepted, "peername": ("127.0.0.1", 1), "sockname": ("127.0.0.1", 2)}.get(name, default)

        def is_closing(self):
            return False

        def write(self, data):
            pass

        def close(self):
            pass

    import asyncio

    loop = asyncio.new_event_loop()
    try:
        protocol = HardenedProtocol(config=config, server_state=ServerState(), app_state={}, _loop=loop)
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
        protocol.connection_made(Transport())
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        protocol._disarm()
    finally:
        loop.close()
        for sock in (client, accepted, listening):
            sock.close()


def test_repeated_queries_come_from_the_answer_cache(hard):
    query = "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 5 # cache probe"
    first = get_query(hard, query, "application/sparql-results+json")
    second = get_query(hard, query, "application/sparql-results+json")
    assert (first[2]["X-CIRO-Cache"], second[2]["X-CIRO-Cache"]) == ("miss", "hit")
    assert first[3] == second[3]
    assert get_query(hard, query, "text/csv")[2]["X-CIRO-Cache"] == "miss"  # another serialisation
    volatile = "SELECT (RAND() AS ?r) WHERE {}"
    answers = [get_query(hard, volatile, "application/sparql-results+json") for _ in range(2)]
    assert [a[2]["X-CIRO-Cache"] for a in answers] == ["miss", "miss"]
    assert answers[0][3] != answers[1][3]  # RAND() is asked again, not replayed
    slow = [get_query(hard, SLOW)[2].get("X-CIRO-Cache") for _ in range(1)]
    assert slow == [None]  # a 503 is never kept
