"""Where CIRO keeps what it can make again (~/.cache/ciro, XDG_CACHE_HOME honoured), and how it reads back the
pickled caches: with an unpickler that builds only the classes a cache holds, so that a foreign or tampered file
under the cache folder cannot run code (parsecache.py, shacl/check.py)."""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path

__all__ = ["cache_root", "project_key", "restricted_load"]


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/ciro`` (``~/.cache/ciro``): every cache of CIRO's lives below it."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ciro"


def project_key(root: Path) -> str:
    """A project's folder name in a per-project cache (its absolute path, hashed)."""
    return hashlib.sha256(str(root.absolute()).encode()).hexdigest()[:20]


def restricted_load(handle, allowed: set[tuple[str, str]], what: str):
    """pickle.load(handle), building only the (module, name) classes in `allowed`; UnpicklingError otherwise."""

    class Unpickler(pickle.Unpickler):
        def find_class(self, module: str, name: str):
            if (module, name) not in allowed:
                raise pickle.UnpicklingError(f"{module}.{name} is not allowed in {what}")
            return super().find_class(module, name)

    return Unpickler(handle).load()
