"""Parse a journal web page saved as text: title line, then ' - Label:value' fields with layout whitespace."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .citation import Citation
from .clean import collapse_spaces
from .errors import MalformedFieldError, MissingFieldError
from .model import ParsedDocument, PublicationRecord

__all__ = ["parse_journal_page"]

_FIELD_START = re.compile(r"^-\s*(?P<rest>.*)$")
_LABELLED = re.compile(r"^(?P<label>[A-Z][A-Za-z ]*?)\s*:\s*(?P<value>.*)$")
# Superscript affiliation markers that the page prints as separate tokens after a name: "1", "1,2", "*".
_AFFILIATION_MARK = re.compile(r"^[\d,*\u2020\u2021]+$")
# Link text the page prints after the author list.
_AUTHOR_INFO_LINK = re.compile(r"\s*Author Information\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class _Field:
    """One ' - Label:value' field: its label (None if the page dropped the colon) and its text pieces."""

    line: int
    label: str | None
    first: str  # the field's first line as printed, whitespace collapsed
    pieces: tuple[str, ...]  # the value and every continuation line

    @property
    def value(self) -> str:
        return _join(self.pieces)

    @property
    def display(self) -> str:
        return _join((self.first, *self.pieces[1:]))


def _join(pieces: tuple[str, ...] | list[str]) -> str:
    # Lines holding only a separator (";", ",") were laid out on their own line; attach them to the name.
    out = ""
    for piece in pieces:
        if not piece:
            continue
        out = f"{out}{piece}" if piece in {";", ","} or not out else f"{out} {piece}"
    return out


def _split_fields(lines: list[tuple[int, str]]) -> list[_Field]:
    fields: list[_Field] = []
    for number, line in lines:
        start = _FIELD_START.match(line)
        if start:
            labelled = _LABELLED.match(start["rest"])
            label, value = (labelled["label"], labelled["value"]) if labelled else (None, start["rest"])
            fields.append(_Field(number, label, line, (value,)))
        elif fields:
            last = fields[-1]
            fields[-1] = _Field(last.line, last.label, last.first, (*last.pieces, line))
    return fields


def _authors(field: _Field | None) -> tuple[str, ...]:
    if field is None:
        return ()
    names = []
    for chunk in _AUTHOR_INFO_LINK.sub("", " ".join(field.pieces)).split(";"):
        tokens = [token for token in chunk.split() if not _AFFILIATION_MARK.match(token)]
        if tokens:
            names.append(" ".join(tokens))
    return tuple(names)


def _surname(author: str) -> str:
    # The page prints surnames in capitals ("Se Jin OH"); otherwise take the last word.
    capitals = [word for word in author.split() if len(word) > 1 and word.isupper()]
    return (capitals or author.split())[-1]


def parse_journal_page(text: str, path: Path) -> ParsedDocument:
    """The record and cleaned text of a journal page; the title is the first non-blank line."""
    lines = [(n, collapse_spaces(line)) for n, line in enumerate(text.splitlines(), start=1)]
    lines = [(n, line) for n, line in lines if line]
    if not lines or _FIELD_START.match(lines[0][1]):
        raise MissingFieldError(
            path, "title", "journal page has no title line before its fields", lines[0][0] if lines else None
        )
    title_line, title = lines[0]
    first_field = next((i for i, (_, line) in enumerate(lines) if _FIELD_START.match(line)), len(lines))
    preamble = [line for _, line in lines[1:first_field]]
    fields = _split_fields(lines[first_field:])
    by_label = {f.label.lower(): f for f in fields if f.label}

    citation = None
    source = by_label.get("from")
    if source is not None and source.value:
        citation = Citation.from_spaced(source.value)
        if citation is None:
            raise MalformedFieldError(
                path,
                "From",
                f"'From:' field {source.value!r} is not 'Journal Year;Volume(Issue):Pages'",
                source.line,
            )
    authors = _authors(by_label.get("author") or by_label.get("authors"))

    def value(label: str) -> str | None:
        found = by_label.get(label)
        return found.value or None if found else None

    record = PublicationRecord(
        title=title.removesuffix(".").strip(),
        authors=authors,
        journal=citation.journal if citation else None,
        year=citation.year if citation else None,
        volume=citation.volume if citation else None,
        issue=citation.issue if citation else None,
        pages=citation.pages if citation else None,
        doi=value("doi"),
        pmid=value("pmid"),
        pmcid=value("pmcid"),
        publication_type=value("publication type"),
        source_format="journal_page",
    )
    if not record.title:
        raise MissingFieldError(path, "title", "journal page title is empty", title_line)
    body = "\n".join([*preamble, *(f.display for f in fields)])
    cleaned = f"{title}\n\n{body}\n" if body else f"{title}\n"
    return ParsedDocument(record, cleaned, _surname(authors[0]) if authors else None)
