"""The query workers of `ciro serve`, on the server's side: an asyncio pool that hands each query to a worker
process (`worker`) and bounds it in time, shares workers fairly between clients, and replaces any worker
that is killed or dies.

- time: a query still running at the time limit gets its worker killed (SIGKILL) and the client a 503;
- memory: a worker that passes its memory limit dies; the client gets a 503 saying so;
- fairness: `workers` processes always run; when queries wait while a slow one (past 0.25 s) holds a
  worker, another worker is forked, up to `max_workers` (a runaway query holds one process, not the
  endpoint; fast queries just queue, which costs less than more processes than cores); a free worker
  goes to the waiting client that has the fewest queries running, so one client's flood cannot starve
  the others;
- a worker that stays idle beyond the minimum is retired after a few seconds.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..query.store import QueryError
from .answer import Answer, Job
from .worker import EXIT_MEMORY, FRAME, job_head, parse_answer_head

__all__ = ["PoolConfig", "WorkerPool", "PoolBusy", "QueryStopped"]

_IDLE_RETIRE = 5.0  # seconds an extra worker may stay idle
_SLOW = 0.25  # a query running this long counts as slow: while one is, waiting queries get an extra worker


class PoolBusy(QueryError):
    """No worker became free within the time limit."""


class QueryStopped(QueryError):
    """The query's worker was stopped (time limit) or died (memory limit, crash)."""


@dataclass(frozen=True)
class PoolConfig:
    ontology: Path
    workers: int = 2
    max_workers: int = 4
    time_limit: float = 10.0
    memory_limit: int | None = 1024 * 2**20
    max_results: int = 10000
    max_bytes: int = 16 * 2**20


class _Died(Exception):
    pass


class _WorkerProtocol(asyncio.Protocol):
    """Reads answer frames from one worker; hands each to the waiting future."""

    def __init__(self):
        self.buffer = bytearray()
        self.waiter: asyncio.Future | None = None
        self.transport = None
        self.lost = False

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) < FRAME.size:
            return
        head_size, body_size = FRAME.unpack_from(self.buffer)
        end = FRAME.size + head_size + body_size
        if len(self.buffer) < end:
            return
        try:
            head = parse_answer_head(self.buffer[FRAME.size:FRAME.size + head_size])
        except ValueError:  # not what a worker writes: treat the worker as broken
            self.buffer.clear()
            if self.transport is not None:
                self.transport.close()
            return
        body = bytes(self.buffer[FRAME.size + head_size:end])
        del self.buffer[:end]
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result((head, body))

    def connection_lost(self, exc) -> None:
        self.lost = True
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(_Died())


@dataclass(eq=False)
class _Worker:
    pid: int
    protocol: _WorkerProtocol
    pidfd: int | None
    idle_since: float = field(default_factory=time.monotonic)

    def kill(self) -> None:
        try:
            if self.pidfd is not None:
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            else:
                os.kill(self.pid, signal.SIGKILL)
        except (ProcessLookupError, OSError):
            pass
        self.close()

    def close(self) -> None:
        if self.protocol.transport is not None:
            self.protocol.transport.close()
        if self.pidfd is not None:
            os.close(self.pidfd)
            self.pidfd = None


class WorkerPool:
    """Start with `start()` (blocking: loads the release in the zygote), then `await open()` in the event loop."""

    def __init__(self, config: PoolConfig):
        self.config = config
        self.triples = 0
        self._zygote: subprocess.Popen | None = None
        self._control: socket.socket | None = None
        self._idle: list[_Worker] = []
        self._workers: set[_Worker] = set()
        self._pending = 0
        self._waiters: dict[str, collections.deque] = {}
        self._running: collections.Counter = collections.Counter()
        self._busy: dict[_Worker, float] = {}  # worker -> when its query started
        self._exits: dict[int, list] = {}
        self._exit_waiters: dict[int, asyncio.Future] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self.stats = collections.Counter()

    # -- the zygote
    def start(self, timeout: float = 600.0) -> None:
        """Spawn the zygote and wait until it holds the release (raises QueryError if it cannot load it)."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        settings = {"ontology": str(self.config.ontology), "memory_limit": self.config.memory_limit,
                    "max_results": self.config.max_results, "max_bytes": self.config.max_bytes}
        self._zygote = subprocess.Popen(
            [sys.executable, "-m", "ciro.web.worker", str(theirs.fileno()), json.dumps(settings)],
            pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL)
        theirs.close()
        ours.settimeout(timeout)
        try:
            message = ours.recv(65536)
        except TimeoutError:
            self._stop_zygote()
            raise QueryError("the query workers did not start in time") from None
        if not message:
            self._stop_zygote()
            raise QueryError("the query worker process stopped while loading the release")
        reply = json.loads(message)
        if reply[0] != "ready":
            self._stop_zygote()
            raise QueryError(reply[1])
        self.triples = reply[1]
        ours.setblocking(False)
        self._control = ours

    def _stop_zygote(self) -> None:
        if self._zygote is not None and self._zygote.poll() is None:
            self._zygote.kill()
            self._zygote.wait(10)

    async def open(self) -> None:
        """Attach to the running loop and fork the first workers (waits until they are there)."""
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self._control.fileno(), self._on_control)
        for _ in range(self.config.workers):
            self._fork()
        deadline = time.monotonic() + 60
        while len(self._workers) < self.config.workers and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        if len(self._workers) < self.config.workers:
            raise QueryError("the query workers did not start")
        self._loop.call_later(1.0, self._retire_idle)
        self._loop.call_later(_SLOW / 2, self._tick)

    def _fork(self) -> None:
        self._pending += 1
        try:
            self._control.send(b'"fork"')
        except OSError:
            self._pending -= 1

    def _on_control(self) -> None:
        while True:
            try:
                data, fds, _, _ = socket.recv_fds(self._control, 65536, 4)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                data, fds = b"", []
            if not data:  # the zygote is gone: no more workers can be made
                self._loop.remove_reader(self._control.fileno())
                if not self._closed:
                    print("ciro serve: the query worker zygote stopped", file=sys.stderr)
                return
            message = json.loads(data)
            if message[0] == "worker" and fds:
                self._loop.create_task(self._adopt(message[1], fds[0]))
            elif message[0] == "exited":
                self._exits[message[1]] = message[2:]
                waiter = self._exit_waiters.pop(message[1], None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(message[2:])
                if len(self._exits) > 1000:
                    self._exits.clear()

    async def _adopt(self, pid: int, fd: int) -> None:
        self._pending -= 1
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM, fileno=fd)
        try:
            pidfd = os.pidfd_open(pid) if hasattr(os, "pidfd_open") else None
        except OSError:
            pidfd = None
        _, protocol = await self._loop.create_unix_connection(_WorkerProtocol, sock=sock)
        worker = _Worker(pid, protocol, pidfd)
        if self._closed:
            worker.close()
            return
        self._workers.add(worker)
        self._hand_out(worker)

    # -- handing workers out
    def _hand_out(self, worker: _Worker) -> None:
        while self._waiters:
            # The waiting client with the fewest queries running goes first; among equals, the oldest wait.
            client = min(self._waiters, key=lambda c: (self._running[c], self._waiters[c][0][0]))
            queue = self._waiters[client]
            _, future = queue.popleft()
            if not queue:
                del self._waiters[client]
            if not future.done():
                future.set_result(worker)
                return
        worker.idle_since = time.monotonic()
        self._idle.append(worker)

    def _retire_idle(self) -> None:
        if self._closed:
            return
        now = time.monotonic()
        while len(self._workers) > self.config.workers and self._idle and now - self._idle[0].idle_since > \
                _IDLE_RETIRE:
            worker = self._idle.pop(0)
            self._workers.discard(worker)
            worker.close()  # the worker reads EOF and exits
        self._loop.call_later(1.0, self._retire_idle)

    def _grow_if_slow(self) -> None:
        """Queries are waiting: fork one more worker if a slow query holds one (up to max_workers)."""
        if self._closed or not self._waiters or len(self._workers) + self._pending >= self.config.max_workers:
            return
        now = time.monotonic()
        if any(now - started > _SLOW for started in self._busy.values()):
            self._fork()

    def _tick(self) -> None:
        """Every _SLOW/2 s: the time limits (of queries running and of clients waiting for a worker) and the
        growth check. One periodic sweep instead of a timer per query: a timer cost more per query than the
        sweep costs in all, and a limit may be passed by at most the sweep's period."""
        if self._closed:
            return
        now = time.monotonic()
        limit = self.config.time_limit
        for worker, started in list(self._busy.items()):
            if now - started > limit and worker.protocol.waiter is not None:
                self._expire(worker, worker.protocol.waiter)
        for client, queue in list(self._waiters.items()):
            while queue and now - queue[0][0] > limit:
                _, future = queue.popleft()
                if not future.done():
                    future.set_exception(PoolBusy(f"all query workers stayed busy for {limit:g} s; try again "
                                                  "later"))
            if not queue:
                del self._waiters[client]
        self._grow_if_slow()
        self._loop.call_later(_SLOW / 2, self._tick)

    async def _acquire(self, client: str) -> _Worker:
        if self._idle and not self._waiters:
            return self._idle.pop()
        self._grow_if_slow()
        future = self._loop.create_future()
        # (when it started waiting, future): oldest first within a client; _tick ends waits past the limit
        self._waiters.setdefault(client, collections.deque()).append((time.monotonic(), future))
        try:
            return await future
        except asyncio.CancelledError:  # the client went away while waiting
            if future.done() and not future.cancelled() and future.exception() is None:
                self._hand_out(future.result())  # handed over just as the wait ended: give it back
            raise

    def _lost(self, worker: _Worker) -> None:
        self._workers.discard(worker)
        if worker in self._idle:
            self._idle.remove(worker)
        if not self._closed and len(self._workers) + self._pending < self.config.workers:
            self._fork()

    # -- running a job
    async def run(self, job: Job, client: str = "") -> Answer:
        """Run a job on a worker: its Answer, or QueryStopped / PoolBusy."""
        worker = await self._acquire(client)
        self._running[client] += 1
        try:
            return await self._run_on(worker, job)
        finally:
            self._running[client] -= 1
            if self._running[client] <= 0:
                del self._running[client]

    async def _run_on(self, worker: _Worker, job: Job) -> Answer:
        protocol = worker.protocol
        if protocol.lost:
            self._lost(worker)
            raise QueryStopped("the query worker stopped unexpectedly; try again")
        future = self._loop.create_future()
        protocol.waiter = future
        head = job_head(job.query, job.default_graphs, job.named_graphs, job.accept, job.format)
        protocol.transport.write(FRAME.pack(len(head), 0) + head)
        self._busy[worker] = time.monotonic()  # _tick stops it past the time limit
        try:
            (status, media, truncated), body = await future
        except _Died:
            self._lost(worker)
            raise QueryStopped(await self._why_died(worker)) from None
        except QueryStopped:
            self._lost(worker)
            raise
        finally:
            self._busy.pop(worker, None)
        self._hand_out(worker)
        return Answer(status, media, body, truncated)

    def _expire(self, worker: _Worker, future: asyncio.Future) -> None:
        if future.done():
            return
        self.stats["killed: time limit"] += 1
        future.set_exception(QueryStopped(
            f"query stopped: it ran longer than the time limit of {self.config.time_limit:g} s"))
        worker.protocol.waiter = None
        worker.kill()

    async def _why_died(self, worker: _Worker) -> str:
        status = self._exits.pop(worker.pid, None)
        if status is None:
            waiter = self._loop.create_future()
            self._exit_waiters[worker.pid] = waiter
            try:
                status = await asyncio.wait_for(waiter, 2.0)
            except TimeoutError:
                status = None
            self._exits.pop(worker.pid, None)
        worker.close()
        limit = self.config.memory_limit
        if status in (["signal", signal.SIGABRT], ["exit", EXIT_MEMORY]) or (
                status == ["signal", signal.SIGKILL] and limit):
            self.stats["died: memory limit"] += 1
            return (f"query stopped: it needed more memory than the limit of {limit // 2**20} MB per query"
                    if limit else "query stopped: the worker ran out of memory")
        self.stats["died: crash"] += 1
        return "query stopped: the query engine failed on this query (its worker was replaced); try a simpler query"

    async def close(self) -> None:
        self._closed = True
        for worker in list(self._workers):
            worker.kill()
        self._workers.clear()
        self._idle.clear()
        if self._loop is not None and self._control is not None:
            try:
                self._loop.remove_reader(self._control.fileno())
            except (ValueError, OSError):
                pass
        self.shutdown()

    def shutdown(self) -> None:
        """Close the zygote (it kills any worker left); safe to call more than once, outside the loop too."""
        if self._control is not None:
            self._control.close()
            self._control = None
        if self._zygote is not None:
            try:
                self._zygote.wait(5)
            except subprocess.TimeoutExpired:
                self._zygote.kill()
                self._zygote.wait(5)
