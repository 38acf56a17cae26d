"""Source ingestion: read a journal page, PubMed abstract or PFOCR record into a record and a cleaned text.

``ingest_file(path)`` sniffs the format, keeps the original bytes, repairs mojibake with ftfy, collapses
layout whitespace and parses the bibliographic fields; ``write_source(source, folder)`` stores the result
(the project keeps it in instances/sources/) so quotes can be checked offline.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .clean import decode, read_bytes, repair_text
from .detect import detect_format, sniff_format
from .errors import (
    FrontMatterError,
    IngestError,
    MalformedFieldError,
    MissingFieldError,
    SlugCollisionError,
    SourceWriteError,
    UnknownFormatError,
    UnreadableSourceError,
)
from .journal_page import parse_journal_page
from .model import IngestedSource, KeywordDecision, ParsedDocument, PublicationRecord, make_slug
from .pfocr import parse_pfocr
from .pubmed_text import parse_pubmed_text
from .write import write_source

__all__ = [
    "FrontMatterError",
    "IngestError",
    "IngestedSource",
    "KeywordDecision",
    "MalformedFieldError",
    "MissingFieldError",
    "PublicationRecord",
    "SlugCollisionError",
    "SourceWriteError",
    "UnknownFormatError",
    "UnreadableSourceError",
    "detect_format",
    "ingest_file",
    "make_slug",
    "write_source",
]

PARSERS: dict[str, Callable[[str, Path], ParsedDocument]] = {
    "journal_page": parse_journal_page,
    "pubmed_text": parse_pubmed_text,
    "pfocr_record": parse_pfocr,
}


def ingest_file(path: Path | str) -> IngestedSource:
    """Read one source document; raise an IngestError subclass (with path and line) if it cannot be used."""
    path = Path(path)
    original = read_bytes(path)
    text = decode(original, path)
    source_format = sniff_format(text, path)
    repaired, repairs = repair_text(text)
    parsed = PARSERS[source_format](repaired, path)
    return IngestedSource.from_parsed(path, original, parsed, repairs)
