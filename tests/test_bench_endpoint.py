"""`ciro bench endpoint` runs end to end (tiny and short: the figures themselves are for docs/performance.md,
never asserted)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from ciro.cli import main


def test_endpoint_benchmark_measures_both_servers(fresh_release, tmp_path, layout):
    out = tmp_path / "endpoint.json"
    done = CliRunner().invoke(main, ["bench", "endpoint", "--root", str(layout.root), "--ontology",
                                     str(fresh_release), "--clients", "2", "--duration", "0.5", "--rounds", "1",
                                     "--client", "python", "--json", str(out)], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    results = json.loads(out.read_text())
    assert results["load"] == "python" and results["files"][0] == "ciro.ttl"
    for workload in ("questions", "lookup", "lookup-unique"):
        entry = results["summary"][workload]
        for server in ("ciro", "oxigraph"):
            assert entry[server]["requests"] > 0 and entry[server]["failed"] == 0, (workload, server, entry)
        assert entry["ratio"] > 0
    assert "`oxigraph serve-read-only`" in done.output and "lookup-unique" in done.output
