"""Put a freshly written folder in place of the old one, so readers never see a half-written release."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

__all__ = ["replace_dir"]


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
