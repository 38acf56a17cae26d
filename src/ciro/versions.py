"""The kept releases: releases/<version>/ folders, and the semantic versions that order them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SemVer", "KeptRelease", "kept_releases", "last_release", "released_terms", "ReleasedTerm", "TermHistory",
           "term_history", "MANIFEST"]

MANIFEST = "release-manifest.json"
# Semantic Versioning 2.0.0, section 9-10: MAJOR.MINOR.PATCH, an optional pre-release; build metadata is not
# allowed here (it would not change precedence, so two folders could hold "the same" version).
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
                     r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?$")


@dataclass(frozen=True)
class SemVer:
    """A semantic version, ordered by SemVer precedence (1.0.0-alpha < 1.0.0-alpha.1 < 1.0.0-beta < 1.0.0)."""

    text: str
    core: tuple[int, int, int]
    pre: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> SemVer:
        match = _SEMVER.match(text)
        if not match:
            raise ValueError(f"'{text}' is not a semantic version (MAJOR.MINOR.PATCH, e.g. 0.2.0 or 1.0.0-rc.1)")
        major, minor, patch, pre = match.groups()
        return cls(text, (int(major), int(minor), int(patch)), tuple(pre.split(".")) if pre else ())

    def key(self) -> tuple:
        # A version without a pre-release ranks above its pre-releases; numeric identifiers rank below
        # alphanumeric ones and compare as numbers; a longer list of identifiers ranks above its prefix.
        pre = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.pre)
        return (self.core, not self.pre, pre)

    def __lt__(self, other: SemVer) -> bool:
        return self.key() < other.key()

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class KeptRelease:
    version: SemVer
    path: Path


def kept_releases(releases_dir: Path) -> list[KeptRelease]:
    """The releases under `releases_dir`, oldest first: folders named by a semantic version with a manifest
    (a half-copied or foreign folder is not a release)."""
    found = []
    if releases_dir.is_dir():
        for path in releases_dir.iterdir():
            try:
                version = SemVer.parse(path.name)
            except ValueError:
                continue
            if (path / MANIFEST).is_file():
                found.append(KeptRelease(version, path))
    return sorted(found, key=lambda r: r.version.key())


def last_release(releases_dir: Path) -> KeptRelease | None:
    releases = kept_releases(releases_dir)
    return releases[-1] if releases else None


@dataclass(frozen=True)
class ReleasedTerm:
    label: str
    line: int  # the line of the release's ciro.ttl that declares it (0: not found)
    deprecated: bool


@dataclass(frozen=True)
class TermHistory:
    first: str  # the version the term first appeared in
    obsolete_since: str | None  # the first version with the term obsolete, if any


def released_terms(release: KeptRelease) -> dict[str, ReleasedTerm]:
    """The terms of a kept release by IRI: CIRO's classes, properties and publications, not evidence items or
    the ontology documents. Read with pyoxigraph: this runs on every `ciro validate`."""
    import pyoxigraph

    path = release.path / "ciro.ttl"
    store = pyoxigraph.Store()
    store.bulk_load(path=str(path), format=pyoxigraph.RdfFormat.TURTLE)
    rows = store.query("""
        SELECT ?term ?label ?deprecated WHERE {
          ?term <http://www.w3.org/2000/01/rdf-schema#label> ?label .
          FILTER(STRSTARTS(STR(?term), "https://w3id.org/ciro/CIRO_") || STRSTARTS(STR(?term), "https://w3id.org/ciro/vocab/"))
          FILTER NOT EXISTS { ?term a <https://w3id.org/ciro/vocab/Evidence> }
          OPTIONAL { ?term <http://www.w3.org/2002/07/owl#deprecated> ?deprecated }
        }""")
    lines = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith("CIRO:") and " " in line:
            lines.setdefault("https://w3id.org/ciro/CIRO_" + line.split(" ", 1)[0][5:], number)
    terms = {}
    for row in rows:
        iri = row["term"].value
        deprecated = row["deprecated"] is not None and row["deprecated"].value == "true"
        terms[iri] = ReleasedTerm(row["label"].value, lines.get(iri, 0), deprecated)
    return terms


def term_history(releases_dir: Path) -> dict[str, TermHistory]:
    """For every term of any kept release (by IRI): the release it first appeared in, and the first release
    in which it is obsolete."""
    history: dict[str, TermHistory] = {}
    for release in kept_releases(releases_dir):
        version = str(release.version)
        for iri, term in released_terms(release).items():
            seen = history.get(iri)
            if seen is None:
                history[iri] = TermHistory(version, version if term.deprecated else None)
            elif term.deprecated and seen.obsolete_since is None:
                history[iri] = TermHistory(seen.first, version)
    return history
