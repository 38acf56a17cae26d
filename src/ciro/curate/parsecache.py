"""A cache of what the loader made of each file, keyed on the file's bytes, so an unchanged file is not parsed again.

Reading YAML with the line of every field is most of a cold `ciro validate` at scale (PyYAML builds a node tree,
then the data, in Python). A file's records and problems depend only on its bytes, the path shown for it and the
loader's code, so that is the key; every check that looks across files still runs on every run. One file per
project under ~/.cache/ciro/parsed/ (XDG_CACHE_HOME is honoured), written to a temporary file and moved into
place. It is read with an unpickler that builds only the loader's own classes and dates, and a cache that cannot
be read (corrupt, truncated, another format) is ignored: the files are then parsed as if there were none.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
import time
from pathlib import Path

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


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a parse cache")
        return super().find_class(module, name)


class ParseCache:
    """{(shown path, kind): (digest of the bytes, entry)}; `get` and `put` record what this run used."""

    def __init__(self, path: Path):
        self.path = path
        self.version = code_digest()
        self.old: dict = {}
        self.used: dict = {}
        self.changed = False
        try:
            with path.open("rb") as handle:
                version, entries = _Unpickler(handle).load()
            if version == self.version and isinstance(entries, dict):
                self.old = entries
        except Exception:  # noqa: BLE001 - a missing or unreadable cache only costs speed
            self.old = {}

    @classmethod
    def for_project(cls, root: Path) -> ParseCache:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        name = hashlib.sha256(str(root.absolute()).encode()).hexdigest()[:20]
        return cls(Path(base) / "ciro" / "parsed" / f"{name}.pickle")

    @staticmethod
    def digest(raw: bytes) -> bytes:
        return hashlib.blake2b(raw, digest_size=20).digest()

    def get(self, key: tuple[str, str], digest: bytes):
        found = self.old.get(key)
        if found is not None and isinstance(found, tuple) and len(found) == 2 and found[0] == digest:
            self.used[key] = found
            return found[1]
        return None

    def put(self, key: tuple[str, str], digest: bytes, entry) -> None:
        self.used[key] = (digest, entry)
        self.changed = True

    def save(self) -> None:
        """Write the entries this run used (a deleted or renamed file's entry goes), when any changed."""
        if not self.changed and self.used.keys() == self.old.keys():
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as handle:
                    pickle.dump((self.version, self.used), handle, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, self.path)
            except BaseException:
                os.unlink(tmp)
                raise
            _prune(self.path.parent)
        except OSError:
            pass  # a read-only cache folder only costs speed


KEEP = 16  # projects whose cache is kept; test runs make a project folder per test, so the folder is bounded


def _prune(folder: Path) -> None:
    """Remove all but the KEEP most recently written caches, and temporary files a killed run left (an hour old)."""
    def age(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except OSError:
            return 0.0

    files = sorted(folder.glob("*.pickle"), key=age, reverse=True)
    stale = [p for p in folder.glob("*.tmp") if age(p) < time.time() - 3600]
    for path in files[KEEP:] + stale:
        path.unlink(missing_ok=True)
