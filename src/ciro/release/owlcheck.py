"""Check OWL files the way Protégé sees them, by running the OWL API (Java) on them.

rdflib and owlready2 accept RDF that the OWL API, and therefore Protégé and most reasoners, reads
differently: undeclared annotation properties, restrictions that cannot be turned into class
expressions, imports that do not resolve. This module runs ``java/OwlCheck.java`` against the OWL API
3.4.3 jar that owlready2 already ships (no extra download), and returns what it found as frozen
dataclasses.

The Java source is compiled with ``javac`` on first use into
``$XDG_CACHE_HOME/ciro/owlcheck/<hash>/``; the hash covers the source, the jar paths and the ``javac``
used, so an edit or a different owlready2 install triggers a fresh build and nothing else does.

Imports are resolved through an XML catalog (Protégé's ``catalog-v001.xml``) and, unless
``online=True``, never fetched from the network: an import the catalog does not map is reported as
missing.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..curate.errors import CiroError

__all__ = [
    "OwlCheckError",
    "UndeclaredEntity",
    "FileReport",
    "OwlCheckReport",
    "owlapi_jars",
    "compile_owlcheck",
    "run_owlcheck",
    "main",
]

JAVA_SOURCE = Path(__file__).parent / "java" / "OwlCheck.java"
MAIN_CLASS = "OwlCheck"
DEFAULT_TIMEOUT = 600.0


class OwlCheckError(CiroError):
    """The checker could not run: no Java, no OWL API jar, compilation or the Java tool failed."""


@dataclass(frozen=True, order=True)
class UndeclaredEntity:
    """An entity used in the imports closure without a Declaration axiom anywhere in it."""

    type: str  # OWL API entity type name: Class, ObjectProperty, AnnotationProperty, ...
    iri: str


@dataclass(frozen=True)
class FileReport:
    """What the OWL API made of one file. Counts cover the file itself, not its imports."""

    file: Path
    loaded: bool
    ontology_iri: str | None
    version_iri: str | None
    format: str | None
    axioms: int
    logical_axioms: int
    classes: int
    object_properties: int
    data_properties: int
    annotation_properties: int
    individuals: int
    imports: tuple[str, ...]  # owl:imports IRIs declared in this file
    loaded_imports: tuple[str, ...]  # ontologies actually loaded into the imports closure
    missing_imports: tuple[str, ...]
    parse_errors: tuple[str, ...]  # load failures, including one line per missing import
    unparsed_triples: tuple[str, ...]  # N-Triples-like "s p o" the RDF parser could not use
    malformed_axioms: tuple[str, ...]  # axioms where the parser substituted an error#ErrorN entity
    dl_violations: tuple[str, ...]  # OWL2DLProfile violations over the imports closure
    undeclared_entities: tuple[UndeclaredEntity, ...]

    @property
    def ok(self) -> bool:
        """True when the file loaded with all imports and nothing at all was reported."""
        return self.loaded and not self.problems()

    def problems(self) -> list[str]:
        """One line per finding, suitable for a CLI or an assertion message."""
        lines = [f"parse error: {e}" for e in self.parse_errors]
        lines += [f"unparsed triple: {t}" for t in self.unparsed_triples]
        lines += [f"malformed axiom: {a}" for a in self.malformed_axioms]
        lines += [f"OWL 2 DL: {v}" for v in self.dl_violations]
        lines += [f"undeclared {e.type}: <{e.iri}>" for e in self.undeclared_entities]
        return lines

    @classmethod
    def from_json(cls, data: dict) -> FileReport:
        return cls(
            file=Path(data["file"]),
            loaded=bool(data["loaded"]),
            ontology_iri=data["ontology_iri"],
            version_iri=data["version_iri"],
            format=data["format"],
            axioms=data["axioms"],
            logical_axioms=data["logical_axioms"],
            classes=data["classes"],
            object_properties=data["object_properties"],
            data_properties=data["data_properties"],
            annotation_properties=data["annotation_properties"],
            individuals=data["individuals"],
            imports=tuple(data["imports"]),
            loaded_imports=tuple(data["loaded_imports"]),
            missing_imports=tuple(data["missing_imports"]),
            parse_errors=tuple(data["parse_errors"]),
            unparsed_triples=tuple(data["unparsed_triples"]),
            malformed_axioms=tuple(data["malformed_axioms"]),
            dl_violations=tuple(data["dl_violations"]),
            undeclared_entities=tuple(
                UndeclaredEntity(e["type"], e["iri"]) for e in data["undeclared_entities"]
            ),
        )


@dataclass(frozen=True)
class OwlCheckReport:
    """One OwlCheck run: the OWL API version used and one FileReport per input file, in order."""

    owlapi_version: str
    catalog_entries: int
    files: tuple[FileReport, ...]

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.files)

    def for_file(self, path: str | os.PathLike[str]) -> FileReport:
        """The report for `path` (compared as absolute paths)."""
        wanted = Path(path).absolute()
        for report in self.files:
            if report.file == wanted:
                return report
        raise KeyError(str(path))

    @classmethod
    def from_json(cls, data: dict) -> OwlCheckReport:
        return cls(
            owlapi_version=data["owlapi_version"],
            catalog_entries=data["catalog_entries"],
            files=tuple(FileReport.from_json(f) for f in data["files"]),
        )


# ---------------------------------------------------------------- locating tools


def owlapi_jars() -> tuple[Path, ...]:
    """The classpath jars providing OWL API 3.4.3, taken from the installed owlready2.

    Prefer Pellet's plain OWL API distribution (6 MB, nothing else); HermiT.jar bundles the same
    OWL API 3.4.3 classes inside 30 MB and serves as the fallback.
    """
    # find_spec locates the package without importing it (owlready2's import has side effects).
    spec = importlib.util.find_spec("owlready2")
    if spec is None or not spec.submodule_search_locations:
        raise OwlCheckError("owlready2 is not installed; it provides the OWL API jars OwlCheck runs on")
    for location in spec.submodule_search_locations:
        root = Path(location)
        distribution = sorted((root / "pellet").glob("owlapi-distribution-*.jar"))
        if distribution:
            return (distribution[-1],)
        hermit = root / "hermit" / "HermiT.jar"
        if hermit.is_file():
            return (hermit,)
    raise OwlCheckError(f"no OWL API jar found in owlready2 at {list(spec.submodule_search_locations)}")


def _java_tool(name: str) -> Path:
    # JAVA_HOME wins over PATH, as for most Java tooling.
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which(name)
    if found is None:
        raise OwlCheckError(f"`{name}` not found (install a JDK >= 11 or set JAVA_HOME); OwlCheck needs it")
    return Path(found)


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ciro" / "owlcheck"


# ---------------------------------------------------------------- compile and run


def compile_owlcheck(cache_dir: str | os.PathLike[str] | None = None) -> tuple[Path, tuple[Path, ...]]:
    """Compile OwlCheck.java if needed; return (directory holding OwlCheck.class, OWL API jars)."""
    jars = owlapi_jars()
    javac = _java_tool("javac")
    try:
        source = JAVA_SOURCE.read_bytes()
    except OSError as exc:
        raise OwlCheckError(f"cannot read {JAVA_SOURCE}: {exc}") from exc

    digest = hashlib.sha256(source)
    for part in (*jars, javac.resolve()):
        digest.update(b"\0" + str(part).encode())
    root = Path(cache_dir) if cache_dir is not None else _cache_root()
    target = root / digest.hexdigest()[:20]
    if (target / f"{MAIN_CLASS}.class").is_file():
        return target, jars

    # Build in a private temporary directory, then rename it into place: a concurrent run (e.g.
    # pytest-xdist) either sees no directory or a complete one, never a half-written class file.
    root.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix=".build-", dir=root))
    try:
        cmd = [
            str(javac), "-encoding", "UTF-8", "-nowarn", "-proc:none",
            "-cp", os.pathsep.join(map(str, jars)), "-d", str(build), str(JAVA_SOURCE),
        ]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise OwlCheckError(f"javac failed on {JAVA_SOURCE}:\n{proc.stderr.strip()}")
        try:
            build.rename(target)
        except OSError:
            # Lost the race to another process; its build is equivalent, use it.
            if not (target / f"{MAIN_CLASS}.class").is_file():
                raise
    finally:
        shutil.rmtree(build, ignore_errors=True)
    return target, jars


def run_owlcheck(
    files: Iterable[str | os.PathLike[str]],
    *,
    catalog: str | os.PathLike[str] | None = None,
    online: bool = False,
    strict: bool = False,
    jvm_args: Sequence[str] = (),
    timeout: float | None = DEFAULT_TIMEOUT,
    cache_dir: str | os.PathLike[str] | None = None,
) -> OwlCheckReport:
    """Load each file with the OWL API and report what it found.

    `catalog` maps import IRIs to local files; `online` lets unmapped imports be fetched from their
    IRI; `strict` switches on the OWL API's strict RDF parsing (no guessing of undeclared types, so
    more triples end up unparsed). `jvm_args` go to `java` (e.g. ``["-Xmx4g"]`` for big ontologies).
    Findings are data, not exceptions: OwlCheckError is raised only when the tool itself cannot run.
    """
    paths = [Path(f).absolute() for f in files]
    if not paths:
        raise OwlCheckError("run_owlcheck needs at least one file")
    classes, jars = compile_owlcheck(cache_dir)
    java = _java_tool("java")

    cmd = [str(java), *jvm_args, "-cp", os.pathsep.join([str(classes), *map(str, jars)]), MAIN_CLASS]
    if catalog is not None:
        cmd += ["--catalog", str(Path(catalog).absolute())]
    if online:
        cmd.append("--online")
    if strict:
        cmd.append("--strict")
    cmd += [str(p) for p in paths]  # absolute, so no file name can look like an option

    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, encoding="utf-8", timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise OwlCheckError(f"OwlCheck timed out after {timeout} s") from exc
    if proc.returncode != 0:
        raise OwlCheckError(f"OwlCheck exited with {proc.returncode}: {proc.stderr.strip()[-2000:]}")
    try:
        return OwlCheckReport.from_json(json.loads(proc.stdout))
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise OwlCheckError(f"OwlCheck printed an unreadable report ({exc}): {proc.stdout[:500]!r}") from exc


# ---------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m ciro.release.owlcheck [--catalog FILE] FILE...`: print findings, exit 1 if there are any."""
    parser = argparse.ArgumentParser(prog="python -m ciro.release.owlcheck", description=main.__doc__)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--catalog", type=Path)
    parser.add_argument("--online", action="store_true")
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args(argv)
    try:
        report = run_owlcheck(args.files, catalog=args.catalog, online=args.online, strict=args.strict)
    except OwlCheckError as exc:
        print(f"owlcheck: {exc}", file=sys.stderr)
        return 2
    for file_report in report.files:
        for line in file_report.problems():
            print(f"{file_report.file}: {line}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
