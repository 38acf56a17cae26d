"""The validate caches (curate/parsecache.py, curate/incremental.py): after files are changed, added and deleted,
a run that reuses them reports exactly what a cold run reports (same lines, same exit status, the same JSON report);
a corrupt cache is ignored."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from ciro.bench.generate import generate
from ciro.cli import main
from ciro.curate import incremental
from ciro.curate.parsecache import ParseCache


def _validate(root: Path, *flags: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", "--root", str(root), *flags], catch_exceptions=False)
    return result.exit_code, result.output


def _same_as_cold(root: Path) -> tuple[int, str]:
    warm = _validate(root)
    cold = _validate(root, "--no-cache")
    assert warm == cold
    return warm


def _forget_results(root: Path) -> None:
    """Drop the kept results, so that the next run is a full one (and uses the parse cache)."""
    incremental._state_path(root).unlink(missing_ok=True)


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
    _forget_results(project)
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
    _forget_results(project)
    assert _validate(project) == cold  # and the shards written again are good
    assert len(ParseCache(shards[0].parent).old) == entries > 100  # every file's entry is back


def test_one_changed_file_rewrites_one_shard(project):
    _validate(project)
    folder = ParseCache.for_project(project).folder
    before = {p.name: p.stat().st_mtime_ns for p in folder.glob("*.pickle")}
    path = sorted((project / "instances" / "targets").glob("*.yaml"))[0]
    path.write_text(path.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    _forget_results(project)
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


# --- the incremental run (curate/incremental.py) ------------------------------------------------------------

def _warm_is_cold(root: Path, *, incremental_run: bool = True, json: bool = False) -> tuple[int, str]:
    """A warm run reports what a cold one does; `incremental_run`: it checked only some files again."""
    warm = _validate(root)
    took = dict(incremental.LAST)
    cold = _validate(root, "--no-cache")
    assert warm == cold
    assert bool(took) == incremental_run, took
    if json:
        assert _validate(root, "--format", "json") == _validate(root, "--format", "json", "--no-cache")
    return warm


def _id(path: Path) -> str:
    return re.search(r"^id: *['\"]?([^\s'\"]+)", path.read_text(encoding="utf-8"), re.M).group(1)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_an_incremental_run_gives_the_cold_answer(project):
    instances = project / "instances"
    mechanisms = sorted((instances / "mechanisms").glob("*.yaml"))
    kept = {p: p.read_text(encoding="utf-8") for p in mechanisms}
    first = _same_as_cold(project)  # fills the caches
    time.sleep(1.1)  # files older than a second: their stat stands for their content
    assert _warm_is_cold(project, json=True) == first and incremental.LAST["again"] == []
    assert incremental.LAST["trusted"] == len(list(instances.rglob("*.yaml"))) - len(list(
        (instances / "sources").rglob("*.yaml")))

    one, two = mechanisms[5], mechanisms[6]
    stat = one.stat()  # the same size and time: only the inode's change time tells
    _edit(one, "\nlabel: ", "\nlabel:\t")
    os.utime(one, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    _warm_is_cold(project)
    assert incremental.LAST["again"] == [str(one.relative_to(project))]

    label = re.search(r"^label: (.*)$", kept[two], re.M).group(1)  # a duplicate label across two files
    one.write_text(re.sub(r"^label:.*$", lambda _m: "label: " + label, kept[one], count=1, flags=re.M))
    assert "duplicate label" in _warm_is_cold(project, json=True)[1]
    one.write_text(kept[one])
    assert _warm_is_cold(project) == first

    # A reference held by another file, broken and fixed by a change of the file it points at.
    target = next(p for p in sorted((instances / "targets").glob("*.yaml"))
                  if any(_id(p) in text for text in kept.values()))
    text = target.read_text(encoding="utf-8")
    _edit(target, "id: " + _id(target), "id: CIRO:0999999")
    broken = _warm_is_cold(project)[1]
    assert f"'{_id_of_text(text)}'" in broken
    target.write_text(text, encoding="utf-8")
    assert _warm_is_cold(project) == first
    target.unlink()
    assert f"'{_id_of_text(text)}'" in _warm_is_cold(project)[1]  # deleted: what pointed at it dangles
    target.write_text(text, encoding="utf-8")
    assert _warm_is_cold(project) == first

    # A duplicate id across two files, the copy first in reading order.
    therapy = sorted((instances / "therapies").glob("*.yaml"))[3]
    copy = instances / "therapies" / "000-copy.yaml"
    copy.write_text(therapy.read_text(encoding="utf-8"), encoding="utf-8")
    assert "duplicate id" in _warm_is_cold(project, json=True)[1]
    copy.unlink()
    assert _warm_is_cold(project) == first

    # The source text a quote cites: cut, deleted, restored.
    publication = next(p for p in sorted((instances / "publications").glob("*.yaml"))
                       if "source_text:" in p.read_text(encoding="utf-8"))
    name = re.search(r"^source_text: *['\"]?([^\s'\"]+)", publication.read_text(encoding="utf-8"), re.M).group(1)
    source = instances / "sources" / name
    body = source.read_bytes()
    source.write_bytes(body[: len(body) // 3])
    assert "not found in the text" in _warm_is_cold(project)[1]
    source.unlink()
    assert "not found in instances/sources/" in _warm_is_cold(project)[1]
    source.write_bytes(body)
    assert _warm_is_cold(project) == first

    # Links to a mechanism made obsolete; a broader cycle across two files; a broader mechanism's origin.
    linked = next(p for p in mechanisms if any(_id(p) in t for q, t in kept.items() if q != p))
    _edit(linked, "\nlabel: ", "\ndeprecated: true\nlabel: ")
    assert "is obsolete" in _warm_is_cold(project)[1]
    linked.write_text(kept[linked])
    for path, other in ((one, two), (two, one)):
        text = path.read_text(encoding="utf-8")
        link = f"broader_mechanisms:\n- {_id(other)}\n"
        path.write_text(text.replace("broader_mechanisms:\n", link, 1) if "broader_mechanisms:" in text
                        else text.replace("\nhas_evidence:", "\n" + link + "has_evidence:", 1), encoding="utf-8")
    assert "broader-mechanism cycle" in _warm_is_cold(project, json=True)[1]
    one.write_text(kept[one])
    two.write_text(kept[two])
    parent = next(p for p in mechanisms if "origin: tumor_" in kept[p] and any(f"- {_id(p)}" in t for q, t in
                                                                           kept.items() if "origin: tumor_" in t))
    swap = {"origin: tumor_intrinsic": "origin: tumor_extrinsic", "origin: tumor_extrinsic": "origin: tumor_intrinsic"}
    parent.write_text(re.sub("|".join(swap), lambda m: swap[m.group(0)], kept[parent], count=1))
    assert "origin differs" in _warm_is_cold(project, json=True)[1]
    parent.write_text(kept[parent])
    assert _warm_is_cold(project) == first

    # The id ledger loses an id; a broken file is added; a file is emptied.
    ledger = instances / "id-ledger.tsv"
    entries = ledger.read_text(encoding="utf-8")
    ledger.write_text(entries.replace(entries.splitlines()[5] + "\n", ""), encoding="utf-8")
    assert "never minted" in _warm_is_cold(project)[1]
    ledger.write_text(entries, encoding="utf-8")
    (instances / "targets" / "new.yaml").write_text("id: CIRO:9999999\nlabel: [broken\n")
    two.write_text("")
    changed = _warm_is_cold(project)[1]
    assert "new.yaml" in changed and "file is empty" in changed
    (instances / "targets" / "new.yaml").unlink()
    two.write_text(kept[two])
    assert _warm_is_cold(project) == first

    # The shapes or the schema change: every file is checked again (a full run), with the same answer.
    rules = project / "schema" / "ciro-rules.shacl.ttl"
    shapes = rules.read_text(encoding="utf-8")
    rules.write_text(shapes + "\n# a comment\n", encoding="utf-8")
    assert _warm_is_cold(project, incremental_run=False) == first
    rules.write_text(shapes, encoding="utf-8")
    assert _warm_is_cold(project, incremental_run=False) == first
    assert _warm_is_cold(project) == first


def _id_of_text(text: str) -> str:
    return re.search(r"^id: *['\"]?([^\s'\"]+)", text, re.M).group(1)


@pytest.mark.parametrize("junk", ["truncated", "flipped", b"", b"not marshal", "other version"])
def test_a_corrupt_result_cache_is_ignored(project, junk):
    cold = _validate(project, "--no-cache")
    assert _validate(project) == cold
    path = incremental._state_path(project)
    raw = path.read_bytes()
    if junk == "truncated":
        path.write_bytes(raw[: len(raw) // 2])
    elif junk == "flipped":
        path.write_bytes(raw[:1000] + bytes([raw[1000] ^ 1]) + raw[1001:])
    elif junk == "other version":
        import marshal
        import zlib

        state = marshal.loads(raw[4:]) | {"version": "something else"}
        payload = marshal.dumps(state)
        path.write_bytes(zlib.crc32(payload).to_bytes(4, "big") + payload)
    else:
        path.write_bytes(junk)
    assert _validate(project) == cold and not incremental.LAST  # a full run, which keeps good results again
    assert _validate(project) == cold and incremental.LAST


@pytest.mark.parametrize("damage", ["truncated", "flipped", "deleted", "swapped"])
def test_a_damaged_part_of_the_result_state_is_ignored(project, damage):
    """The kept state is a head and parts read on demand: a part that does not match the head makes a full run."""
    cold = _validate(project, "--no-cache")
    assert _validate(project) == cold
    folder = incremental._state_path(project).parent
    mechanism = sorted((project / "instances" / "mechanisms").glob("*.yaml"))[1]
    shown = str(mechanism.relative_to(project))
    # the parts the next run reads for this file: its table (read always) and its facts (read for a change)
    for name in (f"f{incremental._file_shard(shown):02d}", f"x{incremental._file_shard(shown):02d}"):
        part = folder / f"{name}.marshal"
        raw = part.read_bytes()
        if damage == "truncated":
            part.write_bytes(raw[: len(raw) // 2])
        elif damage == "flipped":
            part.write_bytes(raw[:-10] + bytes([raw[-10] ^ 1]) + raw[-9:])
        elif damage == "deleted":
            part.unlink()
        else:  # a well-formed part, but not the one the head names (another run's)
            other = folder / f"{name[0]}{(int(name[1:]) + 1) % 64:02d}.marshal"
            part.write_bytes(other.read_bytes())
    mechanism.write_text(mechanism.read_text(encoding="utf-8").replace("label:", "lable:", 1), encoding="utf-8")
    cold = _validate(project, "--no-cache")
    assert _validate(project) == cold and not incremental.LAST  # a full run, which keeps good results again
    assert _validate(project) == cold and incremental.LAST


def test_a_small_change_rewrites_few_parts_of_the_result_state(project):
    _validate(project)
    folder = incremental._state_path(project).parent
    before = {p.name: p.read_bytes() for p in folder.glob("*.marshal")}
    assert len(before) > 100
    mechanism = sorted((project / "instances" / "mechanisms").glob("*.yaml"))[1]
    mechanism.write_text(mechanism.read_text(encoding="utf-8").replace("label: ", "label: x", 1), encoding="utf-8")
    warm = _validate(project)
    assert incremental.LAST["changed"] == 1  # an incremental run
    assert warm == _validate(project, "--no-cache")
    after = {p.name: p.read_bytes() for p in folder.glob("*.marshal")}
    rewritten = {n for n in after if before.get(n) != after[n]}
    assert "head.marshal" in rewritten and len(rewritten) < len(before) // 4
