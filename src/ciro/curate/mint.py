"""`ciro mint`: the next free CIRO identifier, recorded in the id ledger so it is never reused."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

__all__ = ["used_ids", "mint"]

_CIRO = re.compile(r"CIRO:(\d{7})")


def used_ids(ledger: Path, schema: Path, instances: Path) -> set[int]:
    """Every CIRO number ever minted (ledger) or in use (schema, instance files)."""
    numbers: set[int] = set()
    files = [ledger, schema] + sorted(instances.rglob("*.yaml"))
    for path in files:
        if path.is_file():
            numbers.update(int(n) for n in _CIRO.findall(path.read_text(encoding="utf-8")))
    return numbers


def mint(ledger: Path, schema: Path, instances: Path, label: str, kind: str, count: int = 1) -> list[str]:
    """Mint `count` new ids above every id ever used, and append them to the ledger atomically."""
    start = max(used_ids(ledger, schema, instances) | {99}) + 1
    ids = [f"CIRO:{n:07d}" for n in range(start, start + count)]
    old = ledger.read_text(encoding="utf-8") if ledger.is_file() else "id\tlabel\tkind\n"
    if not old.endswith("\n"):
        old += "\n"
    lines = "".join(f"{i}\t{label}\t{kind}\n" for i in ids)
    fd, tmp = tempfile.mkstemp(dir=ledger.parent, prefix=".id-ledger.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(old + lines)
    os.replace(tmp, ledger)
    return ids
