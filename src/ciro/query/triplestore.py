"""A real triple store for the release: Virtuoso Open Source, run on loopback from a private folder.

Not the system service: `Virtuoso.start()` writes its own virtuoso.ini (database, ports, limits) into a
folder of ours and runs `virtuoso-t +foreground` as a child process; `load()` bulk-loads ciro.ttl and the
import module into one named graph; `stop()` ends that process (SIGTERM: Virtuoso's quick shutdown).
Virtuoso's SPARQL endpoint cuts answers at ResultSetMaxRows (10 000 by default) without an error, so the
config sets it high. The folder keeps a state file (pid, ports, DBA password) so that a later command,
e.g. `python -m ciro.query.triplestore stop DIR`, finds the server again. See docs/triplestore.md.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from ..curate.errors import CiroError
from .store import RELEASE_GRAPH, STORE_FILES

__all__ = [
    "TripleStoreError",
    "VirtuosoUnavailable",
    "Virtuoso",
    "VirtuosoState",
    "find_virtuoso",
    "install_virtuoso",
    "free_port",
    "process_alive",
    "VIRTUOSO_PACKAGE",
]

# The binaries of Debian's `virtuoso-opensource`: virtuoso-t and isql-vt, with no system service and no
# debconf question (the full package asks for a DBA password and starts a service we do not want).
VIRTUOSO_PACKAGE = "virtuoso-opensource-7-bin"
RELEASE_PARTS = tuple(name for name, _fmt, _required in STORE_FILES)  # the same files as the embedded store
_INI = """\
; Written by ciro.query.triplestore: a private Virtuoso for the CIRO release, on loopback only.
[Database]
DatabaseFile       = {db}/virtuoso.db
ErrorLogFile       = {db}/virtuoso.log
LockFile           = {db}/virtuoso.lck
TransactionFile    = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = {db}/virtuoso-temp.db
TransactionFile    = {db}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0

[Parameters]
ServerPort         = 127.0.0.1:{sql_port}
DisableUnixSocket  = 1
DirsAllowed        = {load}
NumberOfBuffers    = {buffers}
MaxDirtyBuffers    = {dirty}
CheckpointInterval = 0
SchedulerInterval  = 0

[HTTPServer]
ServerPort           = 127.0.0.1:{http_port}
ServerRoot           = {db}
MaxClientConnections = 8
ServerThreads        = 8

[SPARQL]
; Virtuoso silently truncates answers longer than ResultSetMaxRows (default 10000): keep it far above CIRO's size.
ResultSetMaxRows           = {max_rows}
MaxQueryExecutionTime      = {time_limit}
MaxQueryCostEstimationTime = 0
"""


class TripleStoreError(CiroError):
    """The triple store could not be started, loaded, queried or stopped."""


class VirtuosoUnavailable(TripleStoreError):
    """Virtuoso is not installed here and cannot be installed."""


def find_virtuoso() -> tuple[str, str] | None:
    """Paths of virtuoso-t and isql-vt, if both are installed."""
    server, client = shutil.which("virtuoso-t"), shutil.which("isql-vt")
    return (server, client) if server and client else None


def install_virtuoso(log=None) -> tuple[str, str]:
    """Install Virtuoso's binaries with apt-get (root only, non-interactive); returns find_virtuoso()."""
    found = find_virtuoso()
    if found:
        return found
    if not shutil.which("apt-get"):
        raise VirtuosoUnavailable("Virtuoso is not installed and there is no apt-get to install it with")
    if os.geteuid() != 0:
        raise VirtuosoUnavailable(f"Virtuoso is not installed; as root: apt-get install {VIRTUOSO_PACKAGE}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if shutil.which("debconf-set-selections"):
        # Only the full virtuoso-opensource package asks this; answered in advance in case apt pulls it in.
        password = secrets.token_hex(12)
        selections = "".join(f"virtuoso-opensource-7 virtuoso-opensource-7/{q} password {password}\n"
                             for q in ("dba-password", "dba-password-again"))
        subprocess.run(["debconf-set-selections"], input=selections, text=True, env=env, capture_output=True)
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", VIRTUOSO_PACKAGE]
    out = log or subprocess.DEVNULL
    if subprocess.run(install, env=env, stdout=out, stderr=out).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, stdout=out, stderr=out)
        if subprocess.run(install, env=env, stdout=out, stderr=out).returncode != 0:
            raise VirtuosoUnavailable(f"apt-get could not install {VIRTUOSO_PACKAGE}")
    found = find_virtuoso()
    if not found:
        raise VirtuosoUnavailable(f"{VIRTUOSO_PACKAGE} installed, but virtuoso-t or isql-vt is not on PATH")
    return found


def _sql(value: object) -> str:
    """A value for inside a single-quoted SQL string."""
    return str(value).replace("'", "''")


def free_port() -> int:
    """A TCP port that is free on loopback right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie child of ours is reaped and counts as gone)."""
    if pid <= 0:
        return False
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return False
    return fields[0] != "Z"


@dataclass(frozen=True)
class VirtuosoState:
    """What a running private Virtuoso needs to be found again: its process, ports and DBA password."""

    pid: int
    sql_port: int
    http_port: int
    password: str

    @classmethod
    def read(cls, folder: Path) -> VirtuosoState:
        path = folder / "state.json"
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError) as exc:
            raise TripleStoreError(f"no Virtuoso state in {folder}: {exc}") from None

    def write(self, folder: Path) -> None:
        path = folder / "state.json"
        path.touch(mode=0o600)
        path.write_text(json.dumps(asdict(self)), encoding="utf-8")


class Virtuoso:
    """One private Virtuoso server: its folder (database, log, config), ports and process."""

    def __init__(self, folder: Path, sql_port: int = 0, http_port: int = 0, max_rows: int = 1_000_000,
                 time_limit: int = 60, buffers: int = 10000):
        self.folder = Path(folder).resolve()
        self.sql_port = sql_port or free_port()
        self.http_port = http_port or free_port()
        self.max_rows = max_rows
        self.time_limit = time_limit
        self.buffers = buffers
        self.password = "dba"  # a new database's; start() replaces it with a random one
        self.pid: int | None = None
        self._process: subprocess.Popen | None = None

    @classmethod
    def attach(cls, folder: Path) -> Virtuoso:
        """The server that `start()` left running in `folder` (from its state file)."""
        state = VirtuosoState.read(Path(folder))
        server = cls(folder, state.sql_port, state.http_port)
        server.pid, server.password = state.pid, state.password
        return server

    @property
    def sparql_url(self) -> str:
        """The SPARQL endpoint (SPARQL 1.1 Protocol)."""
        return f"http://127.0.0.1:{self.http_port}/sparql"

    @property
    def log_file(self) -> Path:
        return self.folder / "db" / "virtuoso.log"

    def _log_tail(self, lines: int = 15) -> str:
        for path in (self.log_file, self.folder / "server.out"):
            try:
                return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
            except OSError:
                continue
        return "(no log)"

    def write_config(self) -> Path:
        """Write virtuoso.ini (and the database and load folders) under our folder."""
        for sub in ("db", "load"):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)
        ini = self.folder / "virtuoso.ini"
        ini.write_text(_INI.format(db=self.folder / "db", load=self.folder / "load", sql_port=self.sql_port,
                                   http_port=self.http_port, buffers=self.buffers, dirty=self.buffers * 3 // 4,
                                   max_rows=self.max_rows, time_limit=self.time_limit), encoding="utf-8")
        return ini

    def start(self, timeout: float = 120.0) -> None:
        """Start virtuoso-t in the foreground as our child; return once SQL and SPARQL answer."""
        found = find_virtuoso()
        if not found:
            raise VirtuosoUnavailable(f"virtuoso-t is not installed (Debian package {VIRTUOSO_PACKAGE})")
        server, _client = found
        if (self.folder / "state.json").exists():
            state = VirtuosoState.read(self.folder)
            if process_alive(state.pid):
                raise TripleStoreError(f"a Virtuoso (pid {state.pid}) already runs in {self.folder}")
        ini = self.write_config()
        existing = (self.folder / "db" / "virtuoso.db").exists()
        with open(self.folder / "server.out", "ab") as out:
            self._process = subprocess.Popen([server, "+configfile", str(ini), "+foreground"], cwd=self.folder,
                                             stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                             start_new_session=True)
        self.pid = self._process.pid
        if existing and (self.folder / "state.json").exists():
            self.password = VirtuosoState.read(self.folder).password
        deadline = time.monotonic() + timeout
        while not (self._port_open(self.sql_port) and self._sparql_ready()):
            if self._process.poll() is not None:
                raise TripleStoreError(f"virtuoso-t exited with {self._process.returncode}:\n{self._log_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise TripleStoreError(f"Virtuoso did not come up within {timeout:g} s:\n{self._log_tail()}")
            time.sleep(0.25)
        try:
            if self.password == "dba":
                new = secrets.token_hex(16)
                self.isql(f"USER_SET_PASSWORD('dba', '{new}');")
                self.password = new
        except TripleStoreError:
            self.stop()
            raise
        VirtuosoState(self.pid, self.sql_port, self.http_port, self.password).write(self.folder)

    @staticmethod
    def _port_open(port: int) -> bool:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            return sock.connect_ex(("127.0.0.1", port)) == 0

    def _sparql_ready(self) -> bool:
        url = self.sparql_url + "?" + urllib.parse.urlencode({"query": "ASK { }"})
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def isql(self, sql: str, timeout: float = 300.0) -> str:
        """Run SQL statements with isql-vt as dba; raise if Virtuoso reports an error."""
        found = find_virtuoso()
        if not found:
            raise VirtuosoUnavailable("isql-vt is not installed")
        # The password is on the command line (visible to local users): acceptable for a private loopback server.
        done = subprocess.run([found[1], f"127.0.0.1:{self.sql_port}", "dba", self.password, f"exec={sql}"],
                              capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        output = done.stdout + done.stderr
        if done.returncode != 0 or "*** Error" in output:
            errors = [line for line in output.splitlines() if "Error" in line] or output.splitlines()[-3:]
            hint = " (the DBA password is kept in state.json; delete the folder to start afresh)" if (
                "Bad login" in output) else ""
            raise TripleStoreError("isql: " + " / ".join(errors) + hint)
        return done.stdout

    def load(self, ontology: Path, graph: str = RELEASE_GRAPH) -> int:
        """Bulk-load the release (ciro.ttl, ciro-data.ttl, the import module) into `graph`, replacing it; returns
        its triple count."""
        staged = []
        for part in RELEASE_PARTS:
            source = Path(ontology) / part
            if not source.is_file():
                raise TripleStoreError(f"{source} not found: run `ciro build` first")
            target = self.folder / "load" / Path(part).name
            shutil.copyfile(source, target)
            staged.append(target)
        quoted = _sql(graph)
        statements = [f"SPARQL CLEAR GRAPH <{graph}>;", f"DELETE FROM DB.DBA.load_list WHERE ll_graph = '{quoted}';"]
        statements += [f"ld_dir('{_sql(p.parent)}', '{_sql(p.name)}', '{quoted}');" for p in staged]
        statements += ["rdf_loader_run();", "checkpoint;",
                       f"SELECT ll_file, ll_error FROM DB.DBA.load_list WHERE ll_graph = '{quoted}' "
                       "AND ll_error IS NOT NULL;"]
        output = self.isql(" ".join(statements))
        if "0 Rows." not in output:
            raise TripleStoreError(f"Virtuoso could not load a file:\n{output.strip()[-1500:]}")
        return self.count(graph)

    def count(self, graph: str = RELEASE_GRAPH) -> int:
        """How many triples `graph` holds (asked over SPARQL)."""
        query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        url = self.sparql_url + "?" + urllib.parse.urlencode({"query": query})
        request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                data = json.loads(response.read().decode("utf-8"))
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise TripleStoreError(f"cannot count the triples of <{graph}>: {exc}") from None
        return int(data["results"]["bindings"][0]["n"]["value"])

    def stop(self, timeout: float = 30.0) -> None:
        """Stop our server (SIGTERM, then SIGKILL after `timeout`); only the process we started."""
        if self._process is not None:
            if self._process.poll() is None:
                self._process.terminate()
                try:
                    self._process.wait(timeout)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait(10)
        elif self.pid:
            self._stop_pid(self.pid, timeout)
        self._process, self.pid = None, None
        if (self.folder / "state.json").exists():  # keep the ports and password for the next start
            VirtuosoState(0, self.sql_port, self.http_port, self.password).write(self.folder)

    def _stop_pid(self, pid: int, timeout: float) -> None:
        if pid <= 0 or not process_alive(pid):
            return
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        if not any(arg.endswith(b"virtuoso-t") for arg in cmdline) or str(self.folder).encode() not in b" ".join(
                cmdline):
            raise TripleStoreError(f"process {pid} is not the Virtuoso of {self.folder}; not stopping it")
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while process_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if process_alive(pid):
            os.kill(pid, signal.SIGKILL)

    def __enter__(self) -> Virtuoso:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    """`python -m ciro.query.triplestore install|start|load|stop|status`: manage a private Virtuoso."""
    parser = argparse.ArgumentParser(prog="python -m ciro.query.triplestore", description=main.__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("install", help=f"apt-get install {VIRTUOSO_PACKAGE} (root)")
    start = sub.add_parser("start", help="start a private Virtuoso in FOLDER (created if needed)")
    start.add_argument("folder", type=Path)
    start.add_argument("--sql-port", type=int, default=0)
    start.add_argument("--http-port", type=int, default=8890)
    start.add_argument("--max-rows", type=int, default=1_000_000)
    load = sub.add_parser("load", help="bulk-load a release into the Virtuoso of FOLDER")
    load.add_argument("folder", type=Path)
    load.add_argument("--ontology", type=Path, default=Path("ontology"))
    load.add_argument("--graph", default=RELEASE_GRAPH)
    for name in ("stop", "status"):
        sub.add_parser(name).add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "install":
            print(" ".join(install_virtuoso(log=sys.stderr)))
        elif args.command == "start":
            server = Virtuoso(args.folder, args.sql_port, args.http_port, max_rows=args.max_rows)
            server.start()
            server._process = None  # keep running after we exit; `stop` finds it by its state file
            print(f"Virtuoso (pid {server.pid}) SPARQL endpoint: {server.sparql_url}")
        elif args.command == "load":
            server = Virtuoso.attach(args.folder)
            count = server.load(args.ontology, args.graph)
            print(f"loaded {count} triples into <{args.graph}> at {server.sparql_url}")
        elif args.command == "stop":
            Virtuoso.attach(args.folder).stop()
            print("stopped")
        else:
            server = Virtuoso.attach(args.folder)
            if not process_alive(server.pid or 0):
                print(f"not running (folder {server.folder})")
                return 1
            print(f"pid {server.pid}, SPARQL endpoint {server.sparql_url}, graph <{RELEASE_GRAPH}>: "
                  f"{server.count()} triples")
    except CiroError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
