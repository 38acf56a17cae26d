"""A term's life: minted once in the id ledger, obsoleted (never deleted), never reused.

`ciro mint` writes every id it hands out to instances/id-ledger.tsv. Checked against the records, the ledger
tells two mistakes apart from a deliberate change: an id that was never minted (typed by hand, or copied from
another project), and a term that vanished from instances/ (deleted instead of obsoleted, so its IRI would
silently drop out of the next release). Evidence items are not terms: one may be withdrawn, and its id stays
retired in the ledger. A project without a ledger (a test fixture) has nothing to check against.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
import tempfile
import zlib
from itertools import repeat
from pathlib import Path
from typing import NamedTuple

__all__ = ["LedgerEntry", "read_ledger", "TERM_KINDS", "SCHEMA_IDS_BELOW"]

# Ledger kinds of the records that are terms of the release (classes or publication individuals).
TERM_KINDS = frozenset({"mechanism", "target", "therapy", "countermeasure", "phenotype", "publication"})
# CIRO:0000001-CIRO:0000099 belong to the schema (enum values, defined classes) and are not in the ledger.
SCHEMA_IDS_BELOW = 100


class LedgerEntry(NamedTuple):  # a named tuple: a ledger has one per id, and a frozen dataclass is slow to make
    id: str
    label: str
    kind: str
    line: int


_new = tuple.__new__  # LedgerEntry(...) without its Python-level __new__: a large ledger has 100,000s of lines
_READ: dict[bytes, tuple] = {}  # the last ledger read, by its bytes


def read_ledger(path: Path) -> tuple[dict[str, LedgerEntry], list[tuple[int, str]]]:
    """The ledger's entries by id, and (line, message) for every line that cannot be read."""
    try:
        raw = path.read_bytes()
        if raw in _READ:  # one run may read it twice (curate/incremental.py, and the lifecycle layer)
            return dict(_READ[raw][0]), list(_READ[raw][1])
        key = _kept_key(raw)
        found = _read_kept(key)
        if found is None:
            found = _read_lines(raw.decode("utf-8").splitlines())
            _keep(key, *found)
    except (OSError, UnicodeDecodeError) as exc:
        return {}, [(1, f"cannot read the id ledger: {exc}")]
    _READ.clear()
    _READ[raw] = found
    return dict(found[0]), list(found[1])


def _read_lines(lines: list[str]) -> tuple[dict, list]:
    entries: dict[str, LedgerEntry] = {}
    problems: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        if number == 1 and line.startswith("id\t"):
            continue
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 3 or not (len(parts[0]) == 12 and parts[0].startswith("CIRO:") and parts[0][5:].isdecimal()):
            problems.append((number, "an id ledger line must be 'CIRO:NNNNNNN<TAB>label<TAB>kind'"))
            continue
        if parts[0] in entries:
            problems.append((number, f"{parts[0]} is in the ledger twice (first on line {entries[parts[0]].line})"))
            continue
        entries[parts[0]] = _new(LedgerEntry, (parts[0], parts[1], parts[2], number))
    return entries, problems


# --- the ledger as read, kept on disk ------------------------------------------------------------------------
# Every `ciro validate` reads the whole ledger (the vanished-terms check needs every entry): at 147,000 lines the
# line loop takes ~0.15-0.2 s, a tenth of a run after a small change; the columns it made, kept as marshal data
# (~/.cache/ciro/ledger/, keyed by the ledger's bytes, this module's code and Python's version), are read back in
# half that. A kept file that cannot be read is ignored (the ledger is read again).
_KEEP = 4  # ledgers kept (each mint makes a new one)


def _kept_key(raw: bytes) -> str:
    hasher = hashlib.blake2b(raw, digest_size=20)
    hasher.update(Path(__file__).read_bytes() + sys.version.encode())
    return hasher.hexdigest()


def _kept_path(key: str) -> Path:
    from ..cachedir import cache_root

    return cache_root() / "ledger" / f"{key}.marshal"


def _read_kept(key: str) -> tuple[dict, list] | None:
    try:
        raw = _kept_path(key).read_bytes()
        if zlib.crc32(raw[4:]).to_bytes(4, "big") != raw[:4]:
            return None
        ids, labels, kinds, lines, problems = marshal.loads(raw[4:])
        if not len(ids) == len(labels) == len(kinds) == len(lines):
            return None
        entries = dict(zip(ids, map(_new, repeat(LedgerEntry), zip(ids, labels, kinds, lines, strict=True)),
                           strict=True))
        return entries, [(int(n), str(m)) for n, m in problems]
    except Exception:  # noqa: BLE001 - missing, damaged or foreign: read the ledger itself
        return None


def _keep(key: str, entries: dict, problems: list) -> None:
    path = _kept_path(key)
    values = entries.values()
    payload = marshal.dumps((list(entries), [e.label for e in values], [e.kind for e in values],
                             [e.line for e in values], problems))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(zlib.crc32(payload).to_bytes(4, "big") + payload)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
        kept = sorted(path.parent.glob("*.marshal"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in kept[_KEEP:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only cache folder only costs speed
