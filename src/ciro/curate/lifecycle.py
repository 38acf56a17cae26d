"""A term's life: minted once in the id ledger, obsoleted (never deleted), never reused.

`ciro mint` writes every id it hands out to instances/id-ledger.tsv. Checked against the records, the ledger
tells two mistakes apart from a deliberate change: an id that was never minted (typed by hand, or copied from
another project), and a term that vanished from instances/ (deleted instead of obsoleted, so its IRI would
silently drop out of the next release). Evidence items are not terms: one may be withdrawn, and its id stays
retired in the ledger. A project without a ledger (a test fixture) has nothing to check against.
"""

from __future__ import annotations

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
    entries: dict[str, LedgerEntry] = {}
    problems: list[tuple[int, str]] = []
    try:
        raw = path.read_bytes()
        if raw in _READ:  # one run reads it twice (curate/incremental.py, then the lifecycle layer)
            return dict(_READ[raw][0]), list(_READ[raw][1])
        lines = raw.decode("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        return {}, [(1, f"cannot read the id ledger: {exc}")]
    _READ.clear()
    _READ[raw] = entries, problems
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
