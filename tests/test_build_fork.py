"""`ciro build` writes part of the release in forked child processes (release/fork.py) and copies the RDF/XML
of the subjects ciro-base.owl and ciro-full.owl share with ciro.owl (rdfxml.Rendered): the same bytes as
writing everything in one process, and a failure in a child still fails the build with one line and leaves
no temporary folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ciro.curate.errors import BuildError
from ciro.release import build_release
from ciro.release.fork import Child

from .conftest import copy_project


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_rdfxml_copied_from_ciro_owl_is_what_writing_gives(layout, tmp_path):
    from ciro.curate.loader import load_paths
    from ciro.release.owl import build_graphs
    from ciro.release.rdfxml import _chunks, serialize_rdfxml, write_rdfxml

    kb = load_paths([layout.instances], base=layout.root)
    graphs = build_graphs(kb.data, layout.schema, with_data=False)
    owl = write_rdfxml(graphs.main, tmp_path / "ciro.owl", record=True)
    assert (tmp_path / "ciro.owl").read_bytes() == serialize_rdfxml(graphs.main)
    for name, graph in (("ciro-base.owl", graphs.base), ("ciro-full.owl", graphs.full)):
        write_rdfxml(graph, tmp_path / name, reuse=owl)
        assert (tmp_path / name).read_bytes() == serialize_rdfxml(graph), name
        copied = sum(1 for _s, chunk in _chunks(graph, True, owl, None) if type(chunk) is tuple)
        assert copied > len(graphs.main.by_subject()) // 2, name  # most subjects came from ciro.owl
    # A graph of other subjects (the import module) shares nothing: written in full, same bytes
    write_rdfxml(graphs.external, tmp_path / "external.owl", reuse=owl)
    assert (tmp_path / "external.owl").read_bytes() == serialize_rdfxml(graphs.external)


def test_build_in_one_process_is_byte_identical(fresh_release, layout, tmp_path, monkeypatch):
    monkeypatch.setenv("CIRO_BUILD_FORK", "0")
    out = tmp_path / "inline"
    build_release(layout, out, progress=lambda _line: None)
    assert _tree(out) == _tree(fresh_release)


@pytest.mark.parametrize("failing", ["ciro-base.owl", "ciro.jsonld", "ciro-data.ttl", "ciro-simple.owl"])
def test_a_failing_writer_fails_the_build_with_one_line(tmp_path, monkeypatch, failing):
    """ciro-base.owl is written by the parent, ciro.jsonld and ciro-simple.owl by the products child,
    ciro-data.ttl by the data child."""
    import ciro.release.build as build
    import ciro.release.products as products

    layout = copy_project(tmp_path)
    out = tmp_path / "ontology"
    build_release(layout, out, progress=lambda _line: None)
    before = _tree(out)

    def broken(writer):
        def write(graph, path, *args, **kwargs):
            if Path(path).name == failing:
                raise OSError(f"no space left writing {Path(path).name}")
            return writer(graph, path, *args, **kwargs)
        return write

    monkeypatch.setattr(build, "write_rdfxml", broken(build.write_rdfxml))
    monkeypatch.setattr(build, "write_turtle", broken(build.write_turtle))
    monkeypatch.setattr(build, "write_jsonld", broken(build.write_jsonld))
    monkeypatch.setattr(products, "write_rdfxml", broken(products.write_rdfxml))
    with pytest.raises(BuildError) as caught:
        build_release(layout, out, progress=lambda _line: None)
    message = str(caught.value)
    assert message == f"build failed, {out} left unchanged: no space left writing {failing}"
    assert _tree(out) == before
    assert not list(tmp_path.glob(".ontology.*"))  # the temporary folder is gone


def test_child_reports_its_error_and_inline_runs_the_job(tmp_path):
    def fails() -> None:
        raise ValueError("bad value")

    child = Child(fails, forked=True)
    assert child.pid is not None and child.pid != os.getpid()
    with pytest.raises(RuntimeError, match="^bad value$"):
        child.wait()

    marker = tmp_path / "written"
    child = Child(lambda: marker.write_text("x"), forked=True)
    child.wait()
    assert marker.read_text() == "x"

    ran = []
    Child(lambda: ran.append(1), forked=False).wait()  # inline: run at once, nothing to wait for
    assert ran == [1]
    with pytest.raises(ValueError):
        Child(fails, forked=False)


def test_a_qc_error_stops_the_writers_and_leaves_the_release_untouched(tmp_path, monkeypatch):
    """QC runs while the ontology child already writes: an error stops it and removes the temporary folder."""
    import ciro.release.build as build
    from ciro.release.qc import Finding, QCReport

    layout = copy_project(tmp_path)
    out = tmp_path / "ontology"
    build_release(layout, out, progress=lambda _line: None)
    before = _tree(out)
    monkeypatch.setattr(build, "release_qc", lambda *_args: QCReport((Finding("ERROR", "test-rule", "CIRO:1"),)))
    with pytest.raises(BuildError, match="^QC found 1 error"):
        build_release(layout, out, progress=lambda _line: None)
    assert _tree(out) == before
    assert not list(tmp_path.glob(".ontology.*"))
