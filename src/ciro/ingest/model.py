"""Typed, immutable records produced by ingestion: the publication, keyword decisions, the ingested source."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "SOURCE_FORMATS",
    "IngestedSource",
    "KeywordDecision",
    "ParsedDocument",
    "PublicationRecord",
    "SourceFormat",
    "make_slug",
]

SourceFormat = Literal["journal_page", "pubmed_text", "pfocr_record"]
SOURCE_FORMATS: tuple[str, ...] = ("journal_page", "pubmed_text", "pfocr_record")


@dataclass(frozen=True)
class PublicationRecord:
    """Bibliographic fields as the document gives them; None (or empty authors) where it does not."""

    title: str
    authors: tuple[str, ...]
    journal: str | None
    year: int | None
    volume: str | None
    issue: str | None
    pages: str | None
    doi: str | None
    pmid: str | None
    pmcid: str | None
    publication_type: str | None
    source_format: SourceFormat

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> PublicationRecord:
        """Build a record from a front-matter mapping (as ``to_mapping`` writes it); extra keys ignored."""
        values = {f.name: data.get(f.name) for f in fields(cls)}
        values["authors"] = tuple(values["authors"] or ())
        return cls(**values)

    def to_mapping(self) -> dict[str, Any]:
        """The fields in declaration order, authors as a list, ready for YAML."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["authors"] = list(self.authors)
        return data


@dataclass(frozen=True)
class KeywordDecision:
    """Whether one text-mined keyword of a PFOCR record is kept as a gene, and why."""

    keyword: str
    decision: Literal["kept", "dropped"]
    reason: str
    organism: str | None = None  # the organism whose gene list the keyword sits in, if any

    @classmethod
    def kept(cls, keyword: str, reason: str, organism: str | None = None) -> KeywordDecision:
        return cls(keyword, "kept", reason, organism)

    @classmethod
    def dropped(cls, keyword: str, reason: str, organism: str | None = None) -> KeywordDecision:
        return cls(keyword, "dropped", reason, organism)

    @property
    def is_kept(self) -> bool:
        return self.decision == "kept"

    def to_mapping(self) -> dict[str, Any]:
        return {
            "keyword": self.keyword,
            "decision": self.decision,
            "organism": self.organism,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class ParsedDocument:
    """What a format parser returns: the record, the cleaned text and what the slug is made from."""

    record: PublicationRecord
    text: str
    first_author_surname: str | None
    keywords: tuple[KeywordDecision, ...] = ()


def make_slug(surname: str | None, year: int | None, title: str) -> str:
    """First author's surname in lowercase ASCII plus year ('oh2020'); the title's first word if no author."""
    words = title.split()
    base = surname or (words[0] if words else "")
    ascii_base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z]", "", ascii_base.lower()) or "source"
    return f"{slug}{year}" if year is not None else slug


@dataclass(frozen=True)
class IngestedSource:
    """One ingested document: where it came from, its exact bytes, its record and its cleaned text."""

    path: Path
    original: bytes
    record: PublicationRecord
    text: str
    slug: str
    keywords: tuple[KeywordDecision, ...] = ()
    repairs: tuple[str, ...] = ()  # human-readable notes of every character-level repair made

    @classmethod
    def from_parsed(
        cls, path: Path, original: bytes, parsed: ParsedDocument, repairs: tuple[str, ...] = ()
    ) -> IngestedSource:
        slug = make_slug(parsed.first_author_surname, parsed.record.year, parsed.record.title)
        return cls(path, original, parsed.record, parsed.text, slug, parsed.keywords, repairs)

    @property
    def source_format(self) -> str:
        return self.record.source_format

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the original bytes, so a stored copy can be checked against its source."""
        return hashlib.sha256(self.original).hexdigest()
