"""Parse a PubMed abstract in PubMed's text ('abstract' display) format, joining its hard line wraps."""

from __future__ import annotations

import re
from pathlib import Path

from .citation import Citation
from .errors import MalformedFieldError, MissingFieldError
from .model import ParsedDocument, PublicationRecord

__all__ = ["parse_pubmed_text"]

_NUMBER = re.compile(r"^\d+\.\s+")
_TRAILER = re.compile(r"^(?P<key>DOI|PMCID|PMID):\s*(?P<value>\S+)")
_AFFILIATIONS_HEAD = "Author information:"
# Affiliation numbers after an author's name, as in "Li Y(1)(2)".
_AFFILIATION_MARKS = re.compile(r"(?:\(\d+\))+")
# An author list: "Surname Initials(n), ...." ending in a full stop; initials are 1-3 capitals.
_AUTHOR_LIST = re.compile(r"^[^.]+? [A-Z]{1,3}(?:\(\d+\))*(?:, [^,.]+? [A-Z]{1,3}(?:\(\d+\))*)*\.$")
# Where a new affiliation starts inside the "Author information" block.
_AFFILIATION_START = re.compile(r"(?=\(\d+\))")

Block = list[tuple[int, str]]


def _blocks(text: str) -> list[Block]:
    blocks: list[Block] = [[]]
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            blocks[-1].append((number, line.strip()))
        elif blocks[-1]:
            blocks.append([])
    return [block for block in blocks if block]


def _join(block: Block) -> str:
    # PubMed wraps at spaces (never inside a word), so a wrapped line rejoins with one space.
    return " ".join(line for _, line in block)


def _is_trailer(block: Block) -> bool:
    return all(_TRAILER.match(line) for _, line in block)


def _paragraphs(block: Block) -> list[str]:
    """The block as cleaned paragraphs: identifier lines and affiliations stay one per line."""
    if _is_trailer(block):
        return [line for _, line in block]
    joined = _join(block)
    if joined.startswith(_AFFILIATIONS_HEAD):
        rest = joined.removeprefix(_AFFILIATIONS_HEAD).strip()
        return [
            _AFFILIATIONS_HEAD,
            *(part.strip() for part in _AFFILIATION_START.split(rest) if part.strip()),
        ]
    return [joined]


def _authors(line: str) -> tuple[str, ...]:
    return tuple(_AFFILIATION_MARKS.sub("", name).strip() for name in line.removesuffix(".").split(", "))


def parse_pubmed_text(text: str, path: Path) -> ParsedDocument:
    """The record and cleaned text of a PubMed text-format abstract (one record per file)."""
    blocks = _blocks(text)
    citation_line = _NUMBER.sub("", _join(blocks[0]))
    citation = Citation.from_dotted(citation_line)
    if citation is None:
        raise MalformedFieldError(
            path,
            "citation",
            f"PubMed citation line {citation_line[:60]!r} does not start 'Journal. Year ...'",
            blocks[0][0][0],
        )
    title_block = blocks[1] if len(blocks) > 1 else None
    if (
        title_block is None
        or _is_trailer(title_block)
        or _AUTHOR_LIST.match(_join(title_block))
        or _join(title_block).startswith(_AFFILIATIONS_HEAD)
    ):
        raise MissingFieldError(
            path,
            "title",
            "PubMed record has no title: the block after the citation line should be the article title",
            title_block[0][0] if title_block else None,
        )
    author_block = blocks[2] if len(blocks) > 2 and _AUTHOR_LIST.match(_join(blocks[2])) else None
    authors = _authors(_join(author_block)) if author_block else ()

    trailer = [(n, m) for block in blocks for n, line in block if (m := _TRAILER.match(line))]
    pmid_lines = [n for n, m in trailer if m["key"] == "PMID"]
    if len(pmid_lines) > 1:
        raise MalformedFieldError(
            path,
            "PMID",
            f"file holds {len(pmid_lines)} PubMed records (PMID lines "
            f"{', '.join(map(str, pmid_lines))}); save one record per file",
            pmid_lines[1],
        )
    ids = {m["key"]: m["value"] for _, m in trailer}
    inline_doi = re.search(r"\bdoi:\s*(\S+?)\.?(?:\s|$)", citation_line)
    title = _join(title_block)
    record = PublicationRecord(
        title=title.removesuffix(".").strip(),
        authors=authors,
        journal=citation.journal,
        year=citation.year,
        volume=citation.volume,
        issue=citation.issue,
        pages=citation.pages,
        doi=ids.get("DOI") or (inline_doi[1] if inline_doi else None),
        pmid=ids.get("PMID"),
        pmcid=ids.get("PMCID"),
        publication_type=None,  # the abstract display does not state the publication type
        source_format="pubmed_text",
    )
    cleaned = "\n\n".join("\n".join(_paragraphs(block)) for block in blocks) + "\n"
    return ParsedDocument(record, cleaned, authors[0].rsplit(" ", 1)[0] if authors else None)
