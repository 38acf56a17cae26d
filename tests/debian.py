"""Debian packages a test needs: installed with apt-get when missing and running as root, else a skip reason."""

from __future__ import annotations

import os
import shutil
import subprocess

__all__ = ["missing_commands"]

_tried: set[tuple[str, ...]] = set()


def missing_commands(commands: dict[str, str]) -> str | None:
    """`commands` maps a command to the Debian package that provides it. Returns None when every command is
    on PATH (after installing the missing packages, once per session, when root with apt-get), else why not."""
    missing = sorted({pkg for cmd, pkg in commands.items() if shutil.which(cmd) is None})
    if not missing:
        return None
    key = tuple(missing)
    if key not in _tried and os.geteuid() == 0 and shutil.which("apt-get"):
        _tried.add(key)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for args in (["apt-get", "install", "-y", "-qq", *missing],
                     ["sh", "-c", f"apt-get update -qq && apt-get install -y -qq {' '.join(missing)}"]):
            done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=900, check=False)
            if done.returncode == 0:
                break
    still = sorted(cmd for cmd in commands if shutil.which(cmd) is None)
    if not still:
        return None
    how = "not root" if os.geteuid() != 0 else "apt-get install failed"
    return (f"{', '.join(still)} not found and could not be installed ({how}); "
            f"install the Debian packages: apt-get install {' '.join(missing)}")
