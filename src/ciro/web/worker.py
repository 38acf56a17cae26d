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
(main <-> worker, a stream socket): 8-byte header (head length, body length), a JSON head, a body.
"""

from __future__ import annotations

import json
import os
import resource
import select
import signal
import socket
import struct
import sys
from pathlib import Path

__all__ = ["FRAME", "EXIT_MEMORY", "send_frame", "recv_frame", "zygote_main"]

FRAME = struct.Struct("!II")
EXIT_MEMORY = 3  # a worker that hit its memory limit in Python code exits with this status


def send_frame(sock: socket.socket, head: dict | list, body: bytes = b"") -> None:
    data = json.dumps(head).encode("utf-8")
    if len(body) < 256 * 1024:  # one write, so the server wakes once per answer
        sock.sendall(FRAME.pack(len(data), len(body)) + data + body)
    else:
        sock.sendall(FRAME.pack(len(data), len(body)) + data)
        sock.sendall(body)


def _recv_exact(sock: socket.socket, size: int) -> bytes | None:
    buffer = bytearray(size)
    view, got = memoryview(buffer), 0
    while got < size:
        n = sock.recv_into(view[got:])
        if n == 0:
            return None
        got += n
    return bytes(buffer)


def recv_frame(sock: socket.socket) -> tuple[object, bytes] | None:
    header = _recv_exact(sock, FRAME.size)
    if header is None:
        return None
    head_size, body_size = FRAME.unpack(header)
    data = _recv_exact(sock, head_size + body_size)
    if data is None:
        return None
    return json.loads(data[:head_size]), data[head_size:]


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

    while True:
        frame = recv_frame(sock)
        if frame is None:
            return
        head, _ = frame
        try:
            job = Job(head["query"], tuple(head["default_graphs"]), tuple(head["named_graphs"]), head["accept"],
                      head["format"])
            result = answer(store, job, limits)
            reply = ([result.status, result.media, result.truncated], result.body)
        except MemoryError:
            os._exit(EXIT_MEMORY)
        except BaseException as exc:  # noqa: BLE001 - pyoxigraph panics are BaseException; the client gets 500
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                return
            reply = ([500, "text/plain", ""], f"query failed: {type(exc).__name__}: {exc}"[:2000].encode())
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
