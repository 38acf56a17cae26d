"""Refresh the import tables (imports/*.tsv) from the source ontologies: what ODK's `make refresh-imports` does.

Run by hand, with the source repositories fetched as git directories (scripts/refresh_imports.py); the release
build reads only the committed tables, so CI never refetches.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import yaml

from .extract import extract, read_ontology
from .sources import HOME, SOURCES, Source
from .table import Table, write_table

__all__ = ["refresh", "registry_seeds", "git_reader", "RefreshError"]

# A reader gives a source's file text and the commit it was read at ("<sha> <date>").
Reader = Callable[[Source], tuple[str, str]]


class RefreshError(RuntimeError):
    """A source file that cannot be read."""


def registry_seeds(external_terms: Path) -> list[str]:
    """The ids in instances/external_terms/*.yaml that an extracted source owns."""
    seeds = []
    for path in sorted(external_terms.glob("*.yaml")):
        for record in yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader) or []:
            if str(record["id"]).split(":", 1)[0] in HOME:
                seeds.append(str(record["id"]))
    return seeds


def git_reader(mirrors: Path) -> Reader:
    """Read each source from <mirrors>/<owner>+<name>/repo, a git directory (the fetch tool's snapshots)."""
    def read(source: Source) -> tuple[str, str]:
        git_dir = mirrors / source.repo.replace("/", "+") / "repo"

        def git(*args: str) -> str:
            done = subprocess.run(["git", f"--git-dir={git_dir}", *args], capture_output=True, text=True)
            if done.returncode:
                raise RefreshError(f"{source.repo} {source.path}: git {args[0]} failed in {git_dir}: "
                                   f"{done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ''}")
            return done.stdout

        commit = git("log", "-1", "--format=%H %cI", "HEAD").strip()
        return git("show", f"HEAD:{source.path}"), commit
    return read


def refresh(read: Reader, seeds: Iterable[str], out_dir: Path,
            sources: Sequence[Source] = SOURCES) -> dict[str, Table]:
    """Extract every seed with its ancestors and write one table per source that holds any of them."""
    parsed, commits = {}, {}
    for source in sources:
        text, commits[source.name] = read(source)
        parsed[source.name] = read_ontology(text, source.path)
    home = {s.prefix: s.name for s in sources}
    seeds = list(seeds)
    # An import module holds what its maker chose: a seed it lacks is absent (MIREOT), not a stop.
    absent = {s.name: sorted(t for t in seeds if t.split(":", 1)[0] == s.prefix and t not in parsed[s.name].terms)
              for s in sources if s.module}
    missing = {t for names in absent.values() for t in names}
    terms, stops = extract(parsed, home, [t for t in seeds if t not in missing])
    tables = {}
    for source in sources:
        if not terms[source.name]:
            continue
        onto = parsed[source.name]
        tables[source.name] = table = Table(
            source.name, source.ontology, onto.version_iri or "", f"github:{source.repo} {source.path}",
            commits[source.name], tuple(sorted(stops.get(source.name, ()))), tuple(terms[source.name].values()),
            source.module, tuple(absent.get(source.name, ())))
        write_table(out_dir / f"{source.name}.tsv", table)
    return tables
