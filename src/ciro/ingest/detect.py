"""Sniff which of the three source formats a document is in."""

from __future__ import annotations

import re
from pathlib import Path

from .errors import UnknownFormatError
from .model import SourceFormat

__all__ = ["detect_format", "sniff_format"]

# A PFOCR record is YAML front matter whose keys include the figure id.
_PFOCR_FIGID = re.compile(r"^figid:", re.MULTILINE)
# PubMed's "abstract" text display: "1. Journal. Year..." first, a "PMID: digits" trailer line.
_PUBMED_FIRST = re.compile(r"^\d+\.\s+\S")
_PUBMED_PMID = re.compile(r"^PMID:\s*\d+", re.MULTILINE)
# A journal web page saved as text: bulleted " - Label:" fields such as Author, From, Abstract.
_PAGE_FIELD = re.compile(r"^\s*-\s*(Author|Publication Type|From|Abstract):", re.MULTILINE)


def detect_format(text: str) -> SourceFormat | None:
    """The format of the text, or None when it matches none of them."""
    if text.startswith("---") and _PFOCR_FIGID.search(text):
        return "pfocr_record"
    first = next((line for line in text.splitlines() if line.strip()), "")
    if _PUBMED_FIRST.match(first) and _PUBMED_PMID.search(text):
        return "pubmed_text"
    if len({m.group(1) for m in _PAGE_FIELD.finditer(text)}) >= 2:
        return "journal_page"
    return None


def sniff_format(text: str, path: Path) -> SourceFormat:
    """The format of the text, or UnknownFormatError telling the curator what was expected."""
    found = detect_format(text)
    if found is not None:
        return found
    if not text.strip():
        raise UnknownFormatError(path, "file is empty")
    number, first = next((n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if line.strip())
    raise UnknownFormatError(
        path,
        "not a format CIRO ingests: expected a PFOCR record ('---' front matter with figid), a PubMed "
        "abstract in text format ('1. Journal. Year...' with a 'PMID:' line) or a journal page with "
        f"'- From:' / '- Abstract:' fields; first line is {first[:60]!r}",
        line=number,
    )
