"""A cache of what the loader made of each file, keyed on the file's bytes, so an unchanged file is not parsed again.

Reading YAML with the line of every field is most of a cold `ciro validate` at scale (PyYAML builds a node tree,
then the data, in Python). A file's records and problems depend only on its bytes, the path shown for it and the
loader's code, so that is the key; every check that looks across files still runs on every run. A folder per
project under ~/.cache/ciro/parsed/ (XDG_CACHE_HOME is honoured), its shards written to a temporary file and
moved into place. It is read with an unpickler that builds only the loader's own classes and dates, and a shard that
cannot be read (corrupt, truncated, another format) is ignored: its files are then parsed as if it were not there.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import sys
import tempfile
import time
import zlib
from pathlib import Path

from ..cachedir import cache_root, project_key, restricted_load

__all__ = ["ParseCache", "code_digest"]

FORMAT = 1
# What may appear in a cached entry; anything else in the file means it is not ours: ignore it.
_ALLOWED = {("ciro.curate.loader", "Record"), ("ciro.curate.errors", "Problem"), ("datetime", "date"),
            ("datetime", "datetime"), ("datetime", "timezone"), ("datetime", "timedelta")}


def code_digest() -> str:
    """What the cached entries depend on besides the files: the loader's code, PyYAML, Python and the format."""
    import yaml

    from . import errors, loader

    hasher = hashlib.sha256(f"{FORMAT} {yaml.__version__} {sys.version}".encode())
    for module in (loader, errors):
        hasher.update(Path(module.__file__).read_bytes())
    return hasher.hexdigest()[:20]


class ParseCache:
    """{(shown path, kind): (digest of the bytes, entry)}, kept in SHARDS files by key, so that a changed file
    rewrites one shard (a 100k project's cache is ~70 MB); `get` and `put` record what this run used."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.version = code_digest()
        self.old: dict = {}
        self.used: dict = {}
        self.dirty: set[int] = set()
        for path in sorted(folder.glob("*.pickle")):
            try:
                with path.open("rb") as handle:
                    version, entries = restricted_load(handle, _ALLOWED, "a parse cache")
                if version == self.version and isinstance(entries, dict):
                    self.old.update(entries)
            except Exception:  # noqa: BLE001 - an unreadable shard only costs speed: its files are parsed again
                continue

    @classmethod
    def for_project(cls, root: Path) -> ParseCache:
        return cls(cache_root() / "parsed" / project_key(root))

    @staticmethod
    def digest(raw: bytes) -> bytes:
        return hashlib.blake2b(raw, digest_size=20).digest()

    @staticmethod
    def shard(key: tuple[str, str]) -> int:
        return zlib.crc32(key[0].encode("utf-8", "surrogateescape")) % SHARDS

    def get(self, key: tuple[str, str], digest: bytes):
        found = self.old.get(key)
        if found is not None and isinstance(found, tuple) and len(found) == 2 and found[0] == digest:
            self.used[key] = found
            return found[1]
        return None

    def put(self, key: tuple[str, str], digest: bytes, entry) -> None:
        self.used[key] = (digest, entry)
        self.dirty.add(self.shard(key))

    def save(self) -> None:
        """Write each shard whose entries changed: new or changed files, or a deleted or renamed file's entry."""
        shards: dict[int, dict] = {}
        for key, value in self.used.items():
            shards.setdefault(self.shard(key), {})[key] = value
        self.dirty.update(self.shard(key) for key in self.old.keys() - self.used.keys())
        if not self.dirty:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            for n in sorted(self.dirty):
                path = self.folder / f"{n:02x}.pickle"
                if n not in shards:
                    path.unlink(missing_ok=True)
                    continue
                fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
                try:
                    with os.fdopen(fd, "wb") as handle:
                        pickle.dump((self.version, shards[n]), handle, protocol=pickle.HIGHEST_PROTOCOL)
                    os.replace(tmp, path)
                except BaseException:
                    os.unlink(tmp)
                    raise
            _prune(self.folder.parent)
        except OSError:
            pass  # a read-only cache folder only costs speed


SHARDS = 64
KEEP = 16  # projects whose cache is kept; test runs make a project per test, so the folder stays bounded


def _prune(parent: Path) -> None:
    """Remove all but the KEEP most recently written project caches, and temporary files a killed run left."""
    def age(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except OSError:
            return 0.0

    folders = sorted((p for p in parent.iterdir() if p.is_dir()), key=age, reverse=True)
    for folder in folders[KEEP:]:
        shutil.rmtree(folder, ignore_errors=True)
    for folder in folders[:KEEP]:
        for path in folder.glob("*.tmp"):
            if age(path) < time.time() - 3600:
                path.unlink(missing_ok=True)
