"""Check OWL files the way Protégé 5.6 and ROBOT see them, by running the OWL API 5 (Java) on them.

rdflib and owlready2 accept RDF that the OWL API, and therefore Protégé and most reasoners, reads
differently: undeclared annotation properties, restrictions that cannot be turned into class
expressions, imports that do not resolve. This module runs ``java/OwlCheck.java`` on the OWL API 5.1.9
jars (see `owlapi`, which fetches them) and returns what it found as frozen dataclasses:

* per file (`FileReport`): parse errors, unparsed triples, malformed axioms, OWL 2 DL and OWL 2 EL
  profile violations over the imports closure, undeclared entities, counts;
* per group of files merged into one ontology (`ReasoningReport`), e.g. a release file and the Relation
  Ontology: for HermiT and for ELK (`ReasonerResult`), consistent or not, the unsatisfiable classes, what
  ELK says it ignored, and for requested classes their inferred super- and subclasses (`ClassInference`).

All of it comes from one JVM run per `run_owlcheck` call (the JVM and the OWL API take ~2 s to start).
The Java sources are compiled with ``javac`` on first use into ``$XDG_CACHE_HOME/ciro/owlcheck/<hash>/``;
the hash covers the sources, the jars and the ``javac`` used.

Imports are resolved through an XML catalog (Protégé's ``catalog-v001.xml``) and, unless
``online=True``, never fetched from the network: an import the catalog does not map is reported as
missing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from .owlapi import OwlCheckError, cache_root, java_tool, owlapi_jars

__all__ = [
    "OwlCheckError",
    "REASONERS",
    "UndeclaredEntity",
    "FileReport",
    "ClassInference",
    "ReasonerResult",
    "ReasoningReport",
    "OwlCheckReport",
    "owlapi_jars",
    "compile_owlcheck",
    "run_owlcheck",
    "reason",
    "main",
]

JAVA_DIR = Path(__file__).parent / "java"
MAIN_CLASS = "OwlCheck"
DEFAULT_TIMEOUT = 900.0
REASONERS = ("hermit", "elk")

PathLike = str | os.PathLike[str]


class _Frozen:
    @classmethod
    def _tuples(cls, data: dict, *names: str) -> dict:
        return {**data, **{n: tuple(data[n]) for n in names}}


@dataclass(frozen=True, order=True)
class UndeclaredEntity:
    """An entity used in the imports closure without a Declaration axiom anywhere in it."""

    type: str  # OWL API entity type name: Class, ObjectProperty, AnnotationProperty, ...
    iri: str


@dataclass(frozen=True)
class FileReport(_Frozen):
    """What the OWL API made of one file. Counts cover the file itself, not its imports."""

    file: Path
    loaded: bool
    ontology_iri: str | None
    version_iri: str | None
    format: str | None  # the OWL API's format name, e.g. "RDF/XML Syntax"
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
    # OWL2ELProfile violations over the imports closure that are not DL violations too: the closure is
    # in OWL 2 EL exactly when both lists are empty.
    el_violations: tuple[str, ...]
    undeclared_entities: tuple[UndeclaredEntity, ...]

    @property
    def ok(self) -> bool:
        """True when the file loaded with all imports and nothing at all was reported (EL aside)."""
        return self.loaded and not self.problems()

    def problems(self, *, el: bool = False) -> list[str]:
        """One line per finding, suitable for a CLI or an assertion message; `el` adds EL violations."""
        lines = [f"parse error: {e}" for e in self.parse_errors]
        lines += [f"unparsed triple: {t}" for t in self.unparsed_triples]
        lines += [f"malformed axiom: {a}" for a in self.malformed_axioms]
        lines += [f"OWL 2 DL: {v}" for v in self.dl_violations]
        if el:
            lines += [f"OWL 2 EL: {v}" for v in self.el_violations]
        lines += [f"undeclared {e.type}: <{e.iri}>" for e in self.undeclared_entities]
        return lines

    @classmethod
    def from_json(cls, data: dict) -> FileReport:
        data = cls._tuples(data, "imports", "loaded_imports", "missing_imports", "parse_errors",
                           "unparsed_triples", "malformed_axioms", "dl_violations", "el_violations")  # fmt: skip
        return cls(**{
            **data,
            "file": Path(data["file"]),
            "undeclared_entities": tuple(UndeclaredEntity(e["type"], e["iri"]) for e in data["undeclared_entities"]),
        })  # fmt: skip


@dataclass(frozen=True)
class ClassInference(_Frozen):
    """One reasoner's inferred hierarchy around a named class. The lists leave out owl:Thing and
    owl:Nothing (every satisfiable class has those), and the subclass lists leave out unsatisfiable
    classes (they are below every class, so "M is a subclass of D" must not hold because M is
    unsatisfiable); `equivalent` keeps owl:Nothing, which marks `iri` itself unsatisfiable. All lists are
    empty when the class is not in the signature or the ontology is inconsistent (an inconsistent
    ontology entails every subsumption)."""

    iri: str
    in_signature: bool
    equivalent: tuple[str, ...]
    direct_superclasses: tuple[str, ...]
    superclasses: tuple[str, ...]
    direct_subclasses: tuple[str, ...]
    subclasses: tuple[str, ...]

    @classmethod
    def from_json(cls, data: dict) -> ClassInference:
        return cls(**cls._tuples(data, "equivalent", "direct_superclasses", "superclasses",
                                 "direct_subclasses", "subclasses"))  # fmt: skip


@dataclass(frozen=True)
class ReasonerResult(_Frozen):
    """What one reasoner said about a merged ontology."""

    reasoner: str  # "hermit" or "elk"
    name: str  # "HermiT" or "ELK"
    version: str | None  # from the reasoner jar's Maven metadata
    consistent: bool | None  # None when the reasoner failed (see `error`)
    # The class hierarchy was computed: false when the ontology is inconsistent, the reasoner failed or it
    # was asked for consistency only (then `unsatisfiable` and `inferences` are empty: not computed).
    classified: bool
    unsatisfiable: tuple[str, ...]  # named classes equivalent to owl:Nothing
    # What the reasoner logged about its own completeness, as "LEVEL: message": ELK's notes on the
    # constructs outside OWL 2 EL that it ignored (with up to three example axioms each). HermiT, a
    # complete OWL 2 DL reasoner, reports none.
    warnings: tuple[str, ...]
    error: str | None  # the reasoner's exception, if it failed
    seconds: float  # reasoner creation, consistency check, classification and queries
    inferences: tuple[ClassInference, ...]  # one per requested class, in the order requested

    @property
    def ok(self) -> bool:
        return self.error is None and self.consistent is True and not self.unsatisfiable

    def for_class(self, iri: str) -> ClassInference:
        for inference in self.inferences:
            if inference.iri == iri:
                return inference
        raise KeyError(iri)

    def problems(self) -> list[str]:
        label = f"{self.name} {self.version or ''}".strip()
        if self.error is not None:
            return [f"{label} failed: {self.error}"]
        lines = [f"{label}: the ontology is inconsistent"] if self.consistent is False else []
        return lines + [f"{label}: unsatisfiable class <{iri}>" for iri in self.unsatisfiable]

    @classmethod
    def from_json(cls, data: dict) -> ReasonerResult:
        data = cls._tuples(data, "unsatisfiable", "warnings")
        data["inferences"] = tuple(ClassInference.from_json(c) for c in data["inferences"])
        return cls(**data)


@dataclass(frozen=True)
class ReasoningReport(_Frozen):
    """The imports closures of `files` merged into one ontology, and each reasoner's result on it."""

    files: tuple[Path, ...]
    loaded: bool  # every file loaded (reasoners run only then)
    ontologies: tuple[str, ...]  # IRIs of every ontology merged (the files and their imports)
    missing_imports: tuple[str, ...]
    parse_errors: tuple[str, ...]  # "<file name>: <error>"
    axioms: int  # of the merged ontology (with `module`: of the module reasoned over)
    logical_axioms: int
    classes: int
    results: tuple[ReasonerResult, ...]
    module: bool = False  # reasoned over the STAR module for the first file's signature

    @property
    def ok(self) -> bool:
        return self.loaded and not self.parse_errors and all(r.ok for r in self.results)

    def result(self, reasoner: str) -> ReasonerResult:
        """The result of `reasoner` ("hermit" or "elk")."""
        for result in self.results:
            if result.reasoner == reasoner:
                return result
        raise KeyError(reasoner)

    def problems(self) -> list[str]:
        lines = [f"parse error: {e}" for e in self.parse_errors]
        return lines + [line for r in self.results for line in r.problems()]

    @classmethod
    def from_json(cls, data: dict) -> ReasoningReport:
        data = cls._tuples(data, "ontologies", "missing_imports", "parse_errors")
        data["files"] = tuple(Path(f) for f in data["files"])
        data["results"] = tuple(ReasonerResult.from_json(r) for r in data["results"])
        return cls(**data)


@dataclass(frozen=True)
class OwlCheckReport:
    """One OwlCheck run: the OWL API version, one FileReport per checked file and one ReasoningReport
    per group of files reasoned over, each in the order given."""

    owlapi_version: str
    catalog_entries: int
    files: tuple[FileReport, ...]
    reasoning: tuple[ReasoningReport, ...] = ()

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.files) and all(r.ok for r in self.reasoning)

    def for_file(self, path: PathLike) -> FileReport:
        """The report for `path` (compared as absolute paths)."""
        wanted = Path(path).absolute()
        for report in self.files:
            if report.file == wanted:
                return report
        raise KeyError(str(path))

    def to_json(self) -> dict:
        """The report as plain JSON data (paths as strings)."""
        return json.loads(json.dumps(asdict(self), default=str))

    @classmethod
    def from_json(cls, data: dict) -> OwlCheckReport:
        return cls(
            owlapi_version=data["owlapi_version"],
            catalog_entries=data["catalog_entries"],
            files=tuple(FileReport.from_json(f) for f in data["files"]),
            reasoning=tuple(ReasoningReport.from_json(r) for r in data.get("reasoning", ())),
        )


# ---------------------------------------------------------------- compile and run


def _java_sources() -> list[Path]:
    return sorted(JAVA_DIR.rglob("*.java"))


def compile_owlcheck(cache_dir: PathLike | None = None) -> tuple[Path, tuple[Path, ...]]:
    """Compile the OwlCheck sources if needed; return (directory holding OwlCheck.class, class path jars).

    `cache_dir` holds the compiled classes (default ``$XDG_CACHE_HOME/ciro/owlcheck``); the jars always
    come from `owlapi_jars()`'s shared cache.
    """
    javac = java_tool("javac")
    jars = owlapi_jars()
    sources = _java_sources()
    digest = hashlib.sha256()
    try:
        for source in sources:
            digest.update(str(source.relative_to(JAVA_DIR)).encode() + b"\0" + source.read_bytes() + b"\0")
    except OSError as exc:
        raise OwlCheckError(f"cannot read the OwlCheck sources in {JAVA_DIR}: {exc}") from exc
    for part in (*jars, javac.resolve()):
        digest.update(b"\0" + str(part).encode())
    root = Path(cache_dir) if cache_dir is not None else cache_root() / "owlcheck"
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
            "-cp", os.pathsep.join(map(str, jars)), "-d", str(build), *map(str, sources),
        ]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise OwlCheckError(f"javac failed on the OwlCheck sources:\n{proc.stderr.strip()}")
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
    files: Iterable[PathLike] = (),
    *,
    catalog: PathLike | None = None,
    online: bool = False,
    strict: bool = False,
    reason: Iterable[Iterable[PathLike]] = (),
    reasoners: Sequence[str] = REASONERS,
    consistency_only: Sequence[str] = (),
    classes: Sequence[str] = (),
    module: bool = False,
    jvm_args: Sequence[str] = (),
    timeout: float | None = DEFAULT_TIMEOUT,
    cache_dir: PathLike | None = None,
) -> OwlCheckReport:
    """Load each of `files` with the OWL API and report what it found; reason over each group in `reason`.

    `catalog` maps import IRIs to local files; `online` lets unmapped imports be fetched from their
    IRI; `strict` switches on the OWL API's strict RDF parsing (no guessing of undeclared types, so
    more triples end up unparsed). Each group in `reason` is a list of files whose imports closures are
    merged into one ontology and given to each of `reasoners`; `classes` are class IRIs whose inferred
    hierarchy each reasoner reports. The reasoners named in `consistency_only` only check consistency:
    HermiT does that for CIRO + RO in about a minute, but needs far longer to classify RO's 160
    property chains (ELK classifies them in seconds). With `module`, each group is reasoned over as the
    STAR locality module of its merge for the signature of its first file's imports closure, which has
    the same entailments over that signature (HermiT classifies CIRO + RO's module in minutes).
    `jvm_args` go to `java` (e.g. ``["-Xmx4g"]``).
    Findings are data, not exceptions: OwlCheckError is raised only when the tool itself cannot run.
    """
    paths = [Path(f).absolute() for f in files]
    groups = [[Path(f).absolute() for f in group] for group in reason]
    if not paths and not groups:
        raise OwlCheckError("run_owlcheck needs at least one file to check or to reason over")
    if any(not group for group in groups):
        raise OwlCheckError("each group of files to reason over needs at least one file")
    unknown = sorted((set(reasoners) | set(consistency_only)) - set(REASONERS))
    if unknown or (groups and not reasoners):
        raise OwlCheckError(f"reasoners must be among {', '.join(REASONERS)}, got {list(reasoners)}")
    classes_dir, jars = compile_owlcheck(cache_dir)
    java = java_tool("java")

    cmd = [str(java), *jvm_args, "-cp", os.pathsep.join([str(classes_dir), *map(str, jars)]), MAIN_CLASS]
    if catalog is not None:
        cmd += ["--catalog", str(Path(catalog).absolute())]
    if online:
        cmd.append("--online")
    if strict:
        cmd.append("--strict")
    if module:
        cmd.append("--module")
    for group in groups:
        cmd += ["--reason", str(len(group)), *map(str, group)]
    if groups:
        for name in reasoners:
            cmd += ["--reasoner", name]
        for name in consistency_only:
            cmd += ["--consistency-only", name]
        for iri in classes:
            cmd += ["--class", iri]
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


def reason(
    files: Iterable[PathLike],
    *,
    catalog: PathLike | None = None,
    reasoners: Sequence[str] = REASONERS,
    consistency_only: Sequence[str] = (),
    classes: Sequence[str] = (),
    module: bool = False,
    online: bool = False,
    jvm_args: Sequence[str] = (),
    timeout: float | None = DEFAULT_TIMEOUT,
    cache_dir: PathLike | None = None,
) -> ReasoningReport:
    """Merge the imports closures of `files` and run each of `reasoners` on the result (one JVM run)."""
    report = run_owlcheck(
        reason=[list(files)], catalog=catalog, reasoners=reasoners, consistency_only=consistency_only,
        classes=classes, module=module, online=online,
        jvm_args=jvm_args, timeout=timeout, cache_dir=cache_dir,
    )  # fmt: skip
    return report.reasoning[0]


# ---------------------------------------------------------------- command line


def _print_reasoning(report: ReasoningReport) -> None:
    names = " + ".join(f.name for f in report.files)
    print(f"reasoning over {names}: {len(report.ontologies)} ontologies, {report.axioms} axioms")
    for line in report.parse_errors:
        print(f"  parse error: {line}")
    for r in report.results:
        label = f"{r.name} {r.version or ''}".strip()
        if r.error is not None:
            state = f"failed: {r.error}"
        elif r.consistent and not r.classified:
            state = "consistent (consistency only: not classified)"
        elif r.consistent:
            state = f"consistent, {len(r.unsatisfiable)} unsatisfiable classes"
        else:
            state = "INCONSISTENT"
        print(f"  {label}: {state} ({r.seconds:.1f} s)")
        for iri in r.unsatisfiable:
            print(f"    unsatisfiable: <{iri}>")
        for line in r.warnings:
            print(f"    {r.name} says: {line}")
        for c in r.inferences:
            if not c.in_signature:
                print(f"    <{c.iri}>: not in the signature")
                continue
            for field in ("equivalent", "direct_superclasses", "superclasses", "direct_subclasses", "subclasses"):
                values = getattr(c, field)
                print(f"    <{c.iri}> {field.replace('_', ' ')}: {' '.join(f'<{v}>' for v in values) or '-'}")


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m ciro.release.owlcheck [options] FILE...`: print findings, exit 1 if there are any."""
    parser = argparse.ArgumentParser(
        prog="python -m ciro.release.owlcheck",
        description="Check OWL files with the OWL API 5 (parse problems, OWL 2 DL/EL profile, undeclared "
        "entities) and, with --reason, classify them merged with HermiT and ELK.",
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument("--catalog", type=Path, help="XML catalog mapping import IRIs to files")
    parser.add_argument("--online", action="store_true", help="fetch imports the catalog does not map")
    parser.add_argument("--strict", action="store_true", help="OWL API strict parsing")
    parser.add_argument("--el", action="store_true", help="also count OWL 2 EL profile violations as problems")
    parser.add_argument("--reason", action="store_true", help="merge the FILEs and run the reasoners on them")
    parser.add_argument("--reasoner", action="append", choices=REASONERS,
                        help="reasoner for --reason (repeatable; default: hermit and elk)")
    parser.add_argument("--consistency-only", action="append", default=[], choices=REASONERS, metavar="REASONER",
                        help="with --reason: this reasoner only checks consistency (repeatable)")
    parser.add_argument("--class", dest="classes", action="append", default=[], metavar="IRI",
                        help="with --reason: report this class's inferred super- and subclasses")
    parser.add_argument("--module", action="store_true",
                        help="with --reason: reason over the locality module of the merge for the first FILE's "
                             "signature (same entailments over it; makes HermiT feasible on a file + RO)")
    parser.add_argument("--json", action="store_true", help="print the whole report as JSON")
    args = parser.parse_args(argv)
    if (args.classes or args.consistency_only or args.reasoner or args.module) and not args.reason:
        parser.error("--reasoner, --consistency-only, --class and --module need --reason")
    try:
        report = run_owlcheck(
            args.files, catalog=args.catalog, online=args.online, strict=args.strict,
            reason=[args.files] if args.reason else (), reasoners=tuple(args.reasoner or REASONERS),
            consistency_only=args.consistency_only, classes=args.classes, module=args.module,
        )  # fmt: skip
    except OwlCheckError as exc:
        print(f"owlcheck: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        for file_report in report.files:
            for line in file_report.problems(el=args.el):
                print(f"{file_report.file}: {line}")
        for reasoning in report.reasoning:
            _print_reasoning(reasoning)
    failed = any(f.problems(el=args.el) or not f.loaded for f in report.files)
    return 1 if failed or not all(r.ok for r in report.reasoning) else 0


if __name__ == "__main__":
    sys.exit(main())
