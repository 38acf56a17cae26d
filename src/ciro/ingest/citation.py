"""Read the journal/year/volume/issue/pages part of a citation string, as the three formats print it."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Citation"]

# ";volume(issue):pages" after the year; every part optional, as online-first papers lack some.
_TAIL = r"(?:;\s*(?P<volume>[^(:;\s]+)?\s*(?:\((?P<issue>[^)]*)\))?(?::\s*(?P<pages>[^\s;]+?))?)?"
# PubMed and PFOCR reftext: "J Cancer. 2019 Apr 20;10(7):1764-1771." (journal ends at '. ' + year).
_DOTTED = re.compile(r"^(?P<journal>.+?)\.\s+(?P<year>\d{4})(?P<date>[^;.]*)" + _TAIL + r"\.?(?=\s|$)")
# Journal page "From:" field: "Immune Network 2020;20(1):e7-" (no dot after the journal).
_SPACED = re.compile(r"^(?P<journal>.+?)\s+(?P<year>\d{4})\s*" + _TAIL + r"\s*$")


@dataclass(frozen=True)
class Citation:
    """The parts of a citation line; None where the line does not give them."""

    journal: str
    year: int
    volume: str | None
    issue: str | None
    pages: str | None

    @classmethod
    def _from_match(cls, match: re.Match[str]) -> Citation:
        # A page range printed open-ended ("e7-") gives only its first page.
        pages = (match["pages"] or "").rstrip("-") or None
        return cls(
            match["journal"].strip(),
            int(match["year"]),
            match["volume"] or None,
            match["issue"] or None,
            pages,
        )

    @classmethod
    def from_dotted(cls, text: str) -> Citation | None:
        """Parse 'Journal. 2019 Apr 20;10(7):1764-1771. ...' (PubMed, PFOCR reftext); None if not so."""
        match = _DOTTED.match(text.strip())
        return cls._from_match(match) if match else None

    @classmethod
    def from_spaced(cls, text: str) -> Citation | None:
        """Parse 'Journal 2020;20(1):e7-' (journal page 'From:' field); None if not that shape."""
        match = _SPACED.match(text.strip())
        return cls._from_match(match) if match else None
