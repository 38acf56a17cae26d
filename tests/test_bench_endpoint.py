"""`ciro bench endpoint` runs end to end (tiny and short: the figures themselves are for docs/performance.md,
never asserted)."""

from __future__ import annotations

import http.server
import json
import shutil
import threading
import urllib.parse

import pytest
from click.testing import CliRunner

from ciro.bench import endpoint
from ciro.cli import main


def test_endpoint_benchmark_measures_both_servers(fresh_release, tmp_path, layout):
    out = tmp_path / "endpoint.json"
    done = CliRunner().invoke(main, ["bench", "endpoint", "--root", str(layout.root), "--ontology",
                                     str(fresh_release), "--clients", "2", "--duration", "0.5", "--rounds", "1",
                                     "--client", "python", "--json", str(out)], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    results = json.loads(out.read_text())
    assert results["load"] == "python" and results["files"][0] == "ciro.ttl"
    for workload in ("questions", "questions-unique", "lookup", "lookup-unique"):
        entry = results["summary"][workload]
        for server in ("ciro", "oxigraph"):
            assert entry[server]["requests"] > 0 and entry[server]["failed"] == 0, (workload, server, entry)
        assert entry["ratio"] > 0
    assert "`oxigraph serve-read-only`" in done.output and "lookup-unique" in done.output


class _Recorder(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as both servers do
    paths: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server's name
        self.paths.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def recorder():
    _Recorder.paths = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.paths
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("load", ["python", "wrk"])
def test_unique_lookups_never_repeat_across_clients_and_runs(recorder, tmp_path, load):
    """The lookup-unique workload must reach the engine every time: a request that repeated an earlier one
    (of another client or thread, or of an earlier round) would be an answer-cache hit."""
    if load == "wrk" and not shutil.which("wrk"):
        pytest.skip("wrk is not installed (scripts/test.sh installs it)")
    base, paths = recorder
    path = "/sparql?" + urllib.parse.urlencode({"query": endpoint.LOOKUP})
    for _ in range(2):  # two runs, as two rounds of the benchmark
        if load == "wrk":
            figures = endpoint._wrk(base, [path], 4, 0.5, tmp_path, unique=True)
        else:
            figures = endpoint._python_load(base, [path], 3, 0.5, unique=True)
        assert figures["requests"] > 0 and figures["failed"] == 0
    assert len(paths) > 20
    assert len(set(paths)) == len(paths), f"{len(paths) - len(set(paths))} of {len(paths)} requests repeated"
    assert all(p.startswith(path + "%0A%23") for p in paths)
