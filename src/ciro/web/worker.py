"""The query worker processes of `ciro serve`, on their side: a zygote that loads the release once and forks
one sandboxed worker per request of the pool (`pool`), and the worker's loop.

Why fork from a zygote: pyoxigraph cannot interrupt a query, so a query past its time limit (or its memory
limit) is stopped by killing its process. A fork of a process that already holds the loaded store is ready
in milliseconds and shares the store's memory copy-on-write, so killing and replacing a worker is cheap,
whatever the size of the release. The zygote itself never runs a query.

The sandbox of a worker, set right after the fork:
- memory: RLIMIT_AS = the zygote's size + `memory_limit`; past it an allocation fails and the worker dies
  (Rust aborts, Python raises MemoryError), and the pool replaces it;
- no new file descriptors (RLIMIT_NOFILE at the four it holds): a worker can open no socket, so even a
  SERVICE that the text checks let through could not reach any host;
- no core dumps.

Messages (main <-> zygote, SOCK_SEQPACKET): JSON; a new worker's socket travels as SCM_RIGHTS. Frames
(main <-> worker, a stream socket): 8-byte header (head length, body length), a head, a body. The head is
a job's head is a tuple in `marshal` form (both ends are this code on one interpreter; several times cheaper
than JSON on the per-query path), an answer's head three NUL-separated fields (`answer_head`).
"""

from __future__ import annotations

import json
import marshal
import os
import resource
import select
import signal
import socket
import struct
import sys
from pathlib import Path

__all__ = ["FRAME", "EXIT_MEMORY", "FrameReader", "job_head", "answer_head", "parse_answer_head", "send_frame",
           "zygote_main"]

FRAME = struct.Struct("!II")
EXIT_MEMORY = 3  # a worker that hit its memory limit in Python code exits with this status


def send_frame(sock: socket.socket, head: bytes, body: bytes = b"") -> None:
    if len(body) < 256 * 1024:  # one write, so the server wakes once per answer
        sock.sendall(FRAME.pack(len(head), len(body)) + head + body)
    else:
        sock.sendall(FRAME.pack(len(head), len(body)) + head)
        sock.sendall(body)


def job_head(query: str, default_graphs: tuple, named_graphs: tuple, accept: str | None, format: str) -> bytes:
    """The head of a job frame (server -> worker): marshal, which the worker may trust (the server wrote it)."""
    return marshal.dumps((query, tuple(default_graphs), tuple(named_graphs), accept, format))


def answer_head(status: int, media: str, truncated: str) -> bytes:
    """The head of an answer frame (worker -> server). Not marshal: the server must not unmarshal what a worker
    that ran untrusted queries sends; three NUL-separated fields it parses with split and int."""
    return f"{status}\0{media}\0{truncated}".encode("utf-8", "replace")


def parse_answer_head(data: bytes) -> tuple[int, str, str]:
    """(status, media, truncated); ValueError if the head is not what `answer_head` writes."""
    status, media, truncated = bytes(data).decode("utf-8", "replace").split("\0", 2)
    return int(status), media, truncated


class FrameReader:
    """Frames from a stream socket, read in large chunks: one recv per frame in the usual case, not two."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buffer = bytearray()

    def next(self) -> tuple[bytes, bytes] | None:
        while True:
            if len(self.buffer) >= FRAME.size:
                head_size, body_size = FRAME.unpack_from(self.buffer)
                end = FRAME.size + head_size + body_size
                if len(self.buffer) >= end:
                    head = bytes(self.buffer[FRAME.size:FRAME.size + head_size])
                    body = bytes(self.buffer[FRAME.size + head_size:end])
                    del self.buffer[:end]
                    return head, body
            chunk = self.sock.recv(max(65536, FRAME.size + len(self.buffer)))
            if not chunk:
                return None
            self.buffer += chunk


def _vm_size() -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _die_with_parent() -> None:
    """Linux: get SIGKILL when the parent dies (so no worker outlives the server, however it stops)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _sandbox(job: socket.socket, memory_limit: int | None) -> socket.socket:
    """Keep only stdin/out/err and the job socket (as fd 3); forbid new descriptors; cap memory."""
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(job.fileno(), 3)
    keep = {0, 1, 2, 3}
    for fd in os.listdir("/proc/self/fd") if os.path.isdir("/proc/self/fd") else range(4, 256):
        fd = int(fd)
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass
    sock = socket.socket(fileno=3)
    size = _vm_size()  # before RLIMIT_NOFILE: reading /proc/self/status needs a descriptor
    try:
        if memory_limit and size:
            resource.setrlimit(resource.RLIMIT_AS, (size + memory_limit, size + memory_limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_NOFILE, (4, 4))
    except (ValueError, OSError):
        pass  # a platform without these limits keeps the time limit and the text checks
    return sock


def _worker_loop(sock: socket.socket, store, limits) -> None:
    from .answer import Job, answer

    frames = FrameReader(sock)
    while True:
        frame = frames.next()
        if frame is None:
            return
        head, _ = frame
        try:
            result = answer(store, Job(*marshal.loads(head)), limits)
            reply = (answer_head(result.status, result.media, result.truncated), result.body)
        except MemoryError:
            os._exit(EXIT_MEMORY)
        except BaseException as exc:  # noqa: BLE001 - pyoxigraph panics are BaseException; the client gets 500
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                return
            reply = (answer_head(500, "text/plain", ""), f"query failed: {type(exc).__name__}: {exc}"[:2000].encode())
        send_frame(sock, reply[0], reply[1])


def _describe(status: int) -> list:
    if os.WIFSIGNALED(status):
        return ["signal", os.WTERMSIG(status)]
    return ["exit", os.WEXITSTATUS(status)]


def zygote_main(control_fd: int, config: dict) -> int:
    """Load the release, say "ready", then fork a worker for every "fork" until the control socket closes."""
    from ..query.store import QueryError, load_store
    from .answer import Limits

    _die_with_parent()
    control = socket.socket(fileno=control_fd)
    try:
        store = load_store(Path(config["ontology"]))
    except QueryError as exc:
        control.send(json.dumps(["failed", str(exc)]).encode())
        return 1
    limits = Limits(config["max_results"], config["max_bytes"])
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the server, which closes us
    control.send(json.dumps(["ready", len(store)]).encode())
    children: set[int] = set()
    while True:
        try:
            ready, _, _ = select.select([control, wake_read], [], [])
        except InterruptedError:
            continue
        if wake_read in ready:
            os.read(wake_read, 4096)
            while children:
                try:
                    pid, status = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    break
                if pid == 0:
                    break
                children.discard(pid)
                control.send(json.dumps(["exited", pid, *_describe(status)]).encode())
        if control in ready:
            message = control.recv(4096)
            if not message:
                for pid in children:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                return 0
            if json.loads(message) != "fork":
                continue
            parent_end, child_end = socket.socketpair()
            pid = os.fork()
            if pid == 0:  # the worker
                try:
                    signal.set_wakeup_fd(-1)
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                    control.close()
                    parent_end.close()
                    _die_with_parent()
                    sock = _sandbox(child_end, config["memory_limit"])
                    _worker_loop(sock, store, limits)
                finally:
                    os._exit(0)
            children.add(pid)
            child_end.close()
            socket.send_fds(control, [json.dumps(["worker", pid]).encode()], [parent_end.fileno()])
            parent_end.close()


if __name__ == "__main__":
    sys.exit(zygote_main(int(sys.argv[1]), json.loads(sys.argv[2])))
