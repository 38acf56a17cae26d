"""The committed import table of one source (imports/<source>.tsv): its header and its terms."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..atomic import write_text_atomic
from .extract import KINDS, OBO, Term

__all__ = ["Table", "TableError", "write_table", "read_table", "read_tables", "table_prefixes", "table_iris"]

_COLUMNS = ("id", "kind", "label", "parents")
_HEADER = ("source", "ontology", "version_iri", "file", "commit", "stops", "module", "absent")
_OPTIONAL = ("module", "absent")  # written only when set: a source's own release has neither


class TableError(ValueError):
    """An import table that cannot be read: names the file and line."""


@dataclass(frozen=True)
class Table:
    """One source's extracted terms, and where and when they were read."""

    source: str  # the name in imports/<source>.tsv
    ontology: str  # the ontology PURL (IAO:0000412's value)
    version_iri: str  # the file's owl:versionIRI, "" when the file states none
    file: str  # github:owner/name path
    commit: str  # the commit read, and its date
    stops: tuple[str, ...]  # terms named (as a seed or a parent) that no source file describes: ancestry ends there
    terms: tuple[Term, ...]
    module: str = ""  # the file is another ontology's import module of the source: whose, of what (sources.py)
    absent: tuple[str, ...] = ()  # registry terms of the source that the import module lacks: they stay MIREOT


def _render(table: Table) -> str:
    lines = [
        "# CIRO import table: the terms CIRO uses from one source ontology, each with every ancestor the file",
        "# asserts. Written by scripts/refresh_imports.py from the file named below; do not edit by hand.",
    ]
    values = {"source": table.source, "ontology": table.ontology, "version_iri": table.version_iri,
              "file": table.file, "commit": table.commit, "stops": " ".join(table.stops), "module": table.module,
              "absent": " ".join(table.absent)}
    lines += [f"# {key}: {values[key]}".rstrip() for key in _HEADER if values[key] or key not in _OPTIONAL]
    lines.append("\t".join(_COLUMNS))
    for term in sorted(table.terms, key=lambda t: t.id):
        lines.append("\t".join((term.id, term.kind, term.label, " ".join(term.parents))))
    return "\n".join(lines) + "\n"


def write_table(path: Path, table: Table) -> None:
    """Write the table through a temporary file (readers see the old one or the new one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, _render(table))


def read_table(path: Path) -> Table:
    header: dict[str, str] = {}
    terms: list[Term] = []
    seen_columns = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        where = f"{path}:{number}"
        if line.startswith("# "):
            key, sep, value = line[2:].partition(":")
            if sep and key in _HEADER:
                header[key] = value.strip()
            continue
        if not seen_columns:
            if tuple(line.split("\t")) != _COLUMNS:
                raise TableError(f"{where}: expected the column line {' '.join(_COLUMNS)!r}")
            seen_columns = True
            continue
        cells = line.split("\t")
        if len(cells) != len(_COLUMNS):
            raise TableError(f"{where}: expected {len(_COLUMNS)} tab-separated cells, found {len(cells)}")
        term_id, kind, label, parents = cells
        if kind not in KINDS:
            raise TableError(f"{where}: term {term_id}: kind {kind!r} is not one of {', '.join(KINDS)}")
        if not label:
            raise TableError(f"{where}: term {term_id}: empty label")
        terms.append(Term(term_id, kind, label, tuple(parents.split())))
    missing = [key for key in ("source", "ontology", "file", "commit") if not header.get(key)]
    if missing:
        raise TableError(f"{path}: header line(s) missing: {', '.join(missing)}")
    return Table(header["source"], header["ontology"], header.get("version_iri", ""), header["file"],
                 header["commit"], tuple(header.get("stops", "").split()), tuple(terms), header.get("module", ""),
                 tuple(header.get("absent", "").split()))


def read_tables(folder: Path) -> tuple[Table, ...]:
    """Every imports/*.tsv, by name; none when the folder is absent (a KB without extracted imports)."""
    return tuple(read_table(p) for p in sorted(folder.glob("*.tsv"))) if folder.is_dir() else ()


def table_prefixes(tables: tuple[Table, ...]) -> dict[str, str]:
    """prefix -> OBO namespace, for every CURIE the tables use (UBERON, OBI: ancestors CIRO has no prefix for)."""
    found = {}
    for table in tables:
        for term in table.terms:
            for curie in (term.id, *term.parents, *table.stops):
                prefix, sep, _ = curie.partition(":")
                if sep and "://" not in curie:
                    found[prefix] = f"{OBO}{prefix}_"
    return found


def table_iris(tables: tuple[Table, ...]) -> set[str]:
    """The ontology and version IRIs the tables name (the import module's header cites them), and the ontology
    IRI of each OBO prefix they use (what IAO:0000412 names on a term taken from another source's file), and
    the terms named by IRI, outside any prefix (prov:Activity in SEPIO's file)."""
    found = {iri for table in tables for iri in (table.ontology, table.version_iri) if iri}
    found |= {i for table in tables for term in table.terms for i in (term.id, *term.parents) if "://" in i}
    return found | {f"{OBO}{prefix.lower()}.owl" for prefix in table_prefixes(tables)}
