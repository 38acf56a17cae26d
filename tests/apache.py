"""Apache httpd (Debian's apache2-bin) on loopback ports, from a configuration of its own in a temporary folder:
the peer that runs w3id.org's .htaccess rules, started and stopped by a test."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from .conftest import stop_process

__all__ = ["APACHE_PACKAGES", "free_ports", "running_apache", "world_readable_dir"]

APACHE_PACKAGES = {"apache2": "apache2-bin"}  # the server and its modules, without a system service to start
MODULES = Path("/usr/lib/apache2/modules")
_LOADED = ("mpm_event", "authz_core", "rewrite", "headers", "mime", "dir")


def free_ports(count: int) -> list[int]:
    """`count` loopback ports free a moment ago (all held open at once, so they differ)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@contextlib.contextmanager
def running_apache(roots: dict[int, Path], work: Path):
    """Apache serving each folder in `roots` as the document root of a virtual host on its loopback port, with
    `AllowOverride All` (so each folder's .htaccess files apply) and no media types but text/html: any other
    type a response has comes from an .htaccess. `work` holds the configuration and logs; the folders must be
    readable by `nobody` when the test runs as root (Apache's children drop root to that user)."""
    modules = "\n".join(f"LoadModule {name}_module {MODULES}/mod_{name}.so" for name in _LOADED)
    hosts = "\n".join(
        f'Listen 127.0.0.1:{port}\n<VirtualHost 127.0.0.1:{port}>\n  DocumentRoot "{root}"\n'
        f'  <Directory "{root}">\n    AllowOverride All\n    Require all granted\n  </Directory>\n</VirtualHost>'
        for port, root in roots.items())
    user = "User nobody\nGroup nogroup\n" if os.geteuid() == 0 else ""
    (work / "run").mkdir(exist_ok=True)
    conf = work / "httpd.conf"
    conf.write_text(f"""ServerRoot "{work}"
ServerName 127.0.0.1
DefaultRuntimeDir "{work}/run"
PidFile "{work}/run/httpd.pid"
ErrorLog "{work}/error.log"
LogLevel warn
{modules}
{user}StartServers 1
TypesConfig /dev/null
AddType text/html .html
DirectoryIndex index.html
<Directory />
  AllowOverride None
  Require all denied
</Directory>
<Files ".ht*">
  Require all denied
</Files>
{hosts}
""", encoding="utf-8")
    apache = shutil.which("apache2") or "/usr/sbin/apache2"
    check = subprocess.run([apache, "-t", "-f", str(conf)], capture_output=True, text=True, check=False)
    if check.returncode != 0:
        raise RuntimeError(f"apache2 refused its configuration: {check.stderr.strip()}")
    process = subprocess.Popen([apache, "-f", str(conf), "-DFOREGROUND"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    try:
        for port in roots:
            _wait_for(port, process, work)
        yield
    finally:
        stop_process(process)


def _wait_for(port: int, process: subprocess.Popen, work: Path, tries: int = 200) -> None:
    for _ in range(tries):
        if process.poll() is not None:
            break
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.05)
    log = (work / "error.log").read_text(errors="replace") if (work / "error.log").exists() else ""
    process.kill()
    raise RuntimeError(f"apache2 did not listen on port {port}: {process.stderr.read() if process.stderr else ''}"
                       f"{log}")


def world_readable_dir(prefix: str) -> Path:
    """A new temporary folder that Apache's unprivileged children can read."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path
