"""Put a freshly written folder in place of the old one, so readers never see a half-written release."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

__all__ = ["replace_dir", "write_text_atomic"]


def replace_dir(tmp: Path, out_dir: Path) -> None:
    """Move `tmp` to `out_dir`; the old folder is removed only after the new one is in place."""
    tmp.chmod(0o755)  # mkdtemp makes it private; a release folder is for everyone to read
    old = None
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.old")
        if old.exists():
            shutil.rmtree(old)
        os.replace(out_dir, old)
    os.replace(tmp, out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_text_atomic(path: Path, text: str) -> None:
    """Write a text file through a temporary file in its folder, so readers see the old or the new one."""
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
