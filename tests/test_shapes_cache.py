"""The project's compiled shapes, kept on disk (shacl/check.py project_shapes): read back as they were compiled,
compiled again when their sources change, and a file that cannot be read is ignored."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from ciro.shacl import check
from ciro.shacl.common import RULES_FILE
from ciro.validate import validate

from .conftest import copy_project


@pytest.fixture()
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(check, "_COMPILED", {})  # as a new process: only the disk cache is left
    return copy_project(tmp_path / "project")


def _kept(tmp_path) -> list:
    return sorted((tmp_path / "xdg" / "ciro" / "shapes").glob("*.pickle"))


def _plain(value, seen: set):
    """A compiled value as comparable data: shapes by name (and their fields once), sets sorted."""
    from dataclasses import fields, is_dataclass

    if is_dataclass(value):
        if id(value) in seen:
            return getattr(value, "name", type(value).__name__)
        seen.add(id(value))
        return [type(value).__name__, *((f.name, _plain(getattr(value, f.name), seen)) for f in fields(value))]
    if isinstance(value, set | frozenset):
        return sorted(repr(_plain(v, seen)) for v in value)
    if isinstance(value, list | tuple):
        return [_plain(v, seen) for v in value]
    if isinstance(value, dict):
        return sorted((repr(k), repr(_plain(v, seen))) for k, v in value.items())
    return repr(value)


def _shape_summary(compiled) -> list:
    return _plain([compiled.roots, compiled.components], set())


def _errors(layout) -> list[str]:
    return [p.format() for p in validate(None, layout, cache=False)[0].problems]


def test_compiled_shapes_are_read_back_as_compiled(project, tmp_path, monkeypatch):
    graph, compiled = check.project_shapes(project)
    assert len(_kept(tmp_path)) == 1
    monkeypatch.setattr(check, "_COMPILED", {})
    monkeypatch.setattr(check, "compile_shapes", lambda _g: pytest.fail("compiled again"))
    graph2, compiled2 = check.project_shapes(project)
    assert set(graph2) == set(graph)  # the same triples, blank nodes included: the shapes name them
    assert sorted(graph2.namespaces()) == sorted(graph.namespaces())
    assert compiled2.graph is graph2
    assert _shape_summary(compiled2) == _shape_summary(compiled)


def test_a_changed_rules_file_compiles_again(project, tmp_path, monkeypatch):
    before = _errors(project)
    check.project_shapes(project)
    rules = project.schema.parent / RULES_FILE
    # a rule the shapes kept on disk do not have: every mechanism breaks it
    rules.write_text(rules.read_text(encoding="utf-8") + """
cirorules:TestOnly a sh:NodeShape ;
    sh:targetClass cirovocab:ResistanceMechanism ;
    sh:property [ sh:path cirovocab:test_only ; sh:minCount 1 ; sh:message "a mechanism needs test_only (test rule)" ] .
""", encoding="utf-8")
    monkeypatch.setattr(check, "_COMPILED", {})
    after = _errors(project)
    assert len(_kept(tmp_path)) == 2
    assert any("a mechanism needs test_only (test rule)" in line for line in after)
    assert not any("test rule" in line for line in before)


def test_the_key_names_sources_code_and_versions(project):
    generated, rules = check.shapes_sources(project)
    key = check._compiled_key(generated, rules)
    assert check._compiled_key(generated + "\n", rules) != key
    assert check._compiled_key(generated, None) != key
    old = check.FORMAT
    try:
        check.FORMAT = old + 1
        assert check._compiled_key(generated, rules) != key
    finally:
        check.FORMAT = old


@pytest.mark.parametrize("damage", ["truncated", "flipped", "foreign", "empty"])
def test_a_damaged_file_is_ignored(project, tmp_path, monkeypatch, damage):
    expected = _errors(project)  # (fills the cache)
    (path,) = _kept(tmp_path)
    raw = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "flipped":
        path.write_bytes(raw[:100] + bytes([raw[100] ^ 1]) + raw[101:])
    elif damage == "foreign":  # a well-formed file of another kind: a class the unpickler does not build
        import hashlib

        payload = pickle.dumps(([], [], {"roots": [Path("x")]}))
        path.write_bytes(hashlib.blake2b(payload, digest_size=32).digest() + payload)
    else:
        path.write_bytes(b"")
    monkeypatch.setattr(check, "_COMPILED", {})
    assert check._read_compiled(path) is None
    assert _errors(project) == expected
    monkeypatch.setattr(check, "_COMPILED", {})
    assert check._read_compiled(path) is not None  # written again
