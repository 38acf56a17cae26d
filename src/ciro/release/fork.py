"""Run part of `ciro build` in a forked child process, beside the parent, on the machine's second core.

Once the release graphs are built, the files written from them are independent of one another: a child forked
then sees the graphs as they are (copy-on-write, nothing pickled or sent) and writes its share of the files into
the same temporary release folder while the parent writes the rest. The child reports failure as one line on a
pipe, which the parent raises as its own error (so the build still fails with one clear line, and the temporary
folder is removed as before); its exit status is the parent's to collect. Without fork (not POSIX) or with one
usable core, the job runs in the parent, before the parent's own share, with the same result.

Memory: the child's pages are the parent's until either writes to them, and CPython writes to every object it
touches (reference counts), so the child ends up with its own copy of what it reads. docs/performance.md gives
both the summed RSS (which counts shared pages twice) and the proportional set size (PSS) of the build.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable

__all__ = ["Child", "usable_cores"]


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class Child:
    """`job()` in a forked child (or inline, see the module's note); `wait()` raises if it failed."""

    def __init__(self, job: Callable[[], None], forked: bool | None = None):
        if forked is None:
            forked = hasattr(os, "fork") and usable_cores() > 1 and os.environ.get("CIRO_BUILD_FORK", "1") != "0"
        self.pid: int | None = None
        self._read: int | None = None
        self._status: int | None = None  # the exit status, once collected
        if not forked:
            job()
            return
        sys.stdout.flush()
        sys.stderr.flush()
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: do the job, report, and leave without running the parent's cleanup
            status = 0
            try:
                os.close(read)
                job()
            except BaseException as exc:  # noqa: BLE001 - every failure must reach the parent as a message
                status = 1
                try:
                    message = f"{type(exc).__name__}: {exc}" if not str(exc) else str(exc)
                    os.write(write, message.encode("utf-8", "replace"))
                    if os.environ.get("CIRO_DEBUG"):
                        traceback.print_exc()
                except BaseException:  # noqa: BLE001
                    pass
            finally:
                os._exit(status)
        os.close(write)
        self.pid, self._read = pid, read

    def running(self) -> bool:
        """Whether the child is still at work (a finished child is collected; wait() then reports it)."""
        if self.pid is None or self._status is not None:
            return False
        pid, status = os.waitpid(self.pid, os.WNOHANG)
        if pid == 0:
            return True
        self._status = status
        return False

    def wait(self) -> None:
        """Wait for the child; a failed child raises RuntimeError with its message."""
        if self.pid is None:
            return
        chunks = []
        while chunk := os.read(self._read, 65536):
            chunks.append(chunk)
        os.close(self._read)
        status = self._status if self._status is not None else os.waitpid(self.pid, 0)[1]
        self.pid = None
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            message = b"".join(chunks).decode("utf-8", "replace").strip()
            raise RuntimeError(message or f"a writer process ended with status {code}")

    def stop(self) -> None:
        """Kill the child if it is still running (the parent failed first) and collect it."""
        if self.pid is None:
            return
        import signal

        if self._status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except OSError:
                pass
        os.close(self._read)
        self.pid = None
