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
    assert len(list(ParseCache.for_project(project).folder.glob("*.pickle"))) > 10
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
    shards = sorted(ParseCache.for_project(project).folder.glob("*.pickle"))
    entries = len(ParseCache(shards[0].parent).old)
    for shard in shards[::2]:
        if junk == "truncated":
            shard.write_bytes(shard.read_bytes()[: shard.stat().st_size // 2])
        elif junk == "foreign":  # a well-formed pickle naming a class the cache never holds
            import pickle

            shard.write_bytes(pickle.dumps((ParseCache(shard.parent).version, {("x", "y"): (b"", [Path("/")])})))
        else:
            shard.write_bytes(junk)
    assert _validate(project) == cold
    assert _validate(project) == cold  # and the shards written again are good
    assert len(ParseCache(shards[0].parent).old) == entries > 100  # every file's entry is back


def test_one_changed_file_rewrites_one_shard(project):
    _validate(project)
    folder = ParseCache.for_project(project).folder
    before = {p.name: p.stat().st_mtime_ns for p in folder.glob("*.pickle")}
    path = sorted((project / "instances" / "targets").glob("*.yaml"))[0]
    path.write_text(path.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    _validate(project)
    after = {p.name: p.stat().st_mtime_ns for p in folder.glob("*.pickle")}
    assert before.keys() == after.keys() and sum(before[n] != after[n] for n in before) == 1


def test_the_cache_folder_keeps_the_latest_projects(tmp_path, monkeypatch):
    import os

    from ciro.curate import parsecache

    folders = []
    for n in range(4):
        cache = ParseCache(tmp_path / str(n))
        cache.put(("a.yaml", "targets"), b"d", ([], [], []))
        cache.save()
        os.utime(cache.folder, (1000 + n, 1000 + n))  # written in this order
        folders.append(cache.folder)
    monkeypatch.setattr(parsecache, "KEEP", 2)
    (folders[3] / "left.tmp").write_bytes(b"")
    os.utime(folders[3] / "left.tmp", (1000, 1000))
    unchanged = ParseCache(folders[3])
    assert unchanged.get(("a.yaml", "targets"), b"d") == ([], [], [])
    unchanged.save()  # the same entries as before: not written, nothing pruned
    assert all(p.exists() for p in folders)
    cache = ParseCache(tmp_path / "4")
    cache.put(("a.yaml", "targets"), b"d", ([], [], []))
    cache.save()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["3", "4"] and not (folders[3] / "left.tmp").exists()
    assert ParseCache(tmp_path / "4").get(("a.yaml", "targets"), b"d") == ([], [], [])
