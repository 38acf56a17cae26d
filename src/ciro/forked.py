"""A share of a long job computed in a forked helper process, its result handed back pickled through a temporary
file (validation at scale: parsing in curate/loader.py, SHACL shapes in shacl/fast/engine.py). The helper is
forked, so it sees the parent's data as it is, with nothing sent. Any failure (no fork, no temporary file, a helper
that died or left a broken file) gives None, and the caller does that share itself: the helper only saves time.
"""

from __future__ import annotations

import os
import pickle
import signal
import tempfile
from collections.abc import Callable

__all__ = ["Helper", "start_helper"]


class Helper:
    """A running helper; `result()` waits for it and gives what its job returned, or None."""

    def __init__(self, pid: int, path: str):
        self.pid, self.path = pid, path

    def result(self):
        try:
            _pid, status = os.waitpid(self.pid, 0)
            if status != 0:
                return None
            with open(self.path, "rb") as handle:
                return pickle.load(handle)
        except Exception:  # noqa: BLE001 - whatever the helper left: the caller does its share again
            return None
        finally:
            try:
                os.unlink(self.path)
            except OSError:
                pass

    def cancel(self) -> None:
        """Stop a helper whose result is not wanted any more, and clean up after it."""
        try:
            os.kill(self.pid, signal.SIGKILL)
        except OSError:
            pass
        self.result()


def start_helper(job: Callable[[], object], prefix: str) -> Helper | None:
    """Fork a process that runs `job()` and pickles its result; None where that cannot be started."""
    try:
        fd, path = tempfile.mkstemp(prefix=prefix, suffix=".pickle")
    except OSError:
        return None
    try:
        pid = os.fork()
    except OSError:
        os.close(fd)
        os.unlink(path)
        return None
    if pid == 0:  # the helper: run, write, and leave without running anything of the parent's exit
        code = 1
        try:
            value = job()
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
            code = 0
        finally:
            os._exit(code)
    os.close(fd)
    return Helper(pid, path)
