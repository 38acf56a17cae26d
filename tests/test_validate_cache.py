"""The validate cache (curate/parsecache.py): after files are changed, added and deleted, a run that reuses the
cache reports exactly what a cold run reports (same lines, same exit status); a corrupt cache is ignored."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ciro.bench.generate import generate
from ciro.cli import main
from ciro.curate.parsecache import ParseCache


def _validate(root: Path, *flags: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", "--root", str(root), *flags], catch_exceptions=False)
    return result.exit_code, result.output


def _same_as_cold(root: Path) -> tuple[int, str]:
    warm = _validate(root)
    cold = _validate(root, "--no-cache")
    assert warm == cold
    return warm


@pytest.fixture()
def project(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("CI", "true")
    root = tmp_path / "kb"
    generate(400, root, seed=3, inject=True)  # one error of every kind, so every layer has something to say
    return root


def test_changed_added_deleted_files_give_the_cold_answer(project):
    code, first = _same_as_cold(project)
    assert code == 1 and "error(s)" in first
    assert ParseCache.for_project(project).path.is_file()
    assert _same_as_cold(project) == (code, first)  # nothing changed: everything from the cache

    instances = project / "instances"
    mechanism = sorted((instances / "mechanisms").glob("*.yaml"))[0]
    text = mechanism.read_text(encoding="utf-8")
    mechanism.write_text(text.replace("label:", "lable:", 1), encoding="utf-8")  # a changed file
    code, changed = _same_as_cold(project)
    assert changed != first and "lable" in changed

    target = sorted((instances / "targets").glob("*.yaml"))[0]
    target_id = next(line.split(":", 1)[1].strip() for line in target.read_text().splitlines()
                     if line.startswith("id:"))
    target.unlink()  # a deleted file: what pointed at it now dangles
    code, deleted = _same_as_cold(project)
    assert deleted != changed and target_id.strip("'\"") in deleted

    (instances / "targets" / "new.yaml").write_text("id: CIRO:9999999\nlabel: [broken\n")  # an added file
    (instances / "therapies" / "copy.yaml").write_text(
        (sorted((instances / "therapies").glob("*.yaml"))[0]).read_text(encoding="utf-8"))  # a duplicate id
    code, added = _same_as_cold(project)
    assert code == 1 and "new.yaml" in added and "duplicate id" in added

    mechanism.write_text(text, encoding="utf-8")  # changed back: the first file's answer again
    (instances / "targets" / "new.yaml").unlink()
    (instances / "therapies" / "copy.yaml").unlink()
    target.write_text("")  # and the deleted file back, empty this time
    code, back = _same_as_cold(project)
    assert "lable" not in back and "file is empty" in back


def test_a_valid_project_exits_0_warm_and_cold(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    generate(400, tmp_path / "kb", seed=2)
    assert _same_as_cold(tmp_path / "kb")[0] == 0
    assert _same_as_cold(tmp_path / "kb")[0] == 0


@pytest.mark.parametrize("junk", ["truncated", b"not a pickle", b"\x80\x05garbage", "foreign"])
def test_a_corrupt_cache_is_ignored(project, junk):
    cold = _validate(project, "--no-cache")
    assert _validate(project) == cold
    cache = ParseCache.for_project(project).path
    if junk == "truncated":
        junk = cache.read_bytes()[: cache.stat().st_size // 2]
    elif junk == "foreign":  # a well-formed pickle naming a class the cache never holds
        import pickle

        junk = pickle.dumps((ParseCache(cache).version, {("x", "y"): (b"", [Path("/")])}))
    cache.write_bytes(junk)
    assert _validate(project) == cold
    assert _validate(project) == cold  # and the cache written again is good


def test_the_cache_folder_keeps_the_latest_projects(tmp_path, monkeypatch):
    import os

    from ciro.curate import parsecache

    caches = []
    for n in range(4):
        cache = ParseCache(tmp_path / f"{n}.pickle")
        cache.put(("a.yaml", "targets"), b"d", ([], [], []))
        cache.save()
        os.utime(cache.path, (1000 + n, 1000 + n))  # written in this order
        caches.append(cache.path)
    monkeypatch.setattr(parsecache, "KEEP", 2)
    (tmp_path / "left.tmp").write_bytes(b"")
    os.utime(tmp_path / "left.tmp", (1000, 1000))
    unchanged = ParseCache(caches[3])
    assert unchanged.get(("a.yaml", "targets"), b"d") == ([], [], [])
    unchanged.save()  # the same entries as before: not written, nothing pruned
    assert all(p.exists() for p in caches)
    cache = ParseCache(tmp_path / "4.pickle")
    cache.put(("a.yaml", "targets"), b"d", ([], [], []))
    cache.save()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["3.pickle", "4.pickle"]
    assert ParseCache(tmp_path / "4.pickle").get(("a.yaml", "targets"), b"d") == ([], [], [])
