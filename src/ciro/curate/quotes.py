"""Check that evidence quotes appear verbatim in the kept text of their publication.

Only presentation is normalised (Unicode form, case, whitespace, dashes and quote marks, Greek letters
spelt out), in the spirit of linkml-reference-validator; the words must match exactly, in order. An
ellipsis (`...` or `…`) splits a quote into parts that must appear in that order. Never a fuzzy match.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

__all__ = ["normalise", "split_quote", "find_quote", "find_parts", "explain_miss", "SourceText", "read_source_text",
           "MAX_SOURCE_BYTES"]

MAX_SOURCE_BYTES = 20 * 1024 * 1024  # a kept text is a paper or an abstract; far larger is a mistake

_ELLIPSIS = re.compile(r"\s*(?:\.\.\.|…|\[\.\.\.\]|\[…\])\s*")
_PUNCT = str.maketrans(
    {
        "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "−": "-",
        "‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "\u00a0": " ",
    }
)


def _spell_greek(char: str) -> str:
    # 'γ' -> 'gamma', so "IFN-γ" matches a source that writes "IFN-gamma" and vice versa.
    name = unicodedata.name(char, "")
    if name.startswith(("GREEK SMALL LETTER ", "GREEK CAPITAL LETTER ")) and " WITH " not in name:
        return name.rsplit(" ", 1)[-1].lower()
    return char


class _GreekTable(dict):
    """str.translate table spelling Greek letters out, filled one character at a time (C speed after that)."""

    def __missing__(self, code: int) -> str:
        self[code] = value = _spell_greek(chr(code))
        return value


_GREEK = _GreekTable()


def normalise(text: str) -> str:
    """Presentation-only normal form used on both sides of the comparison."""
    text = unicodedata.normalize("NFKC", text).translate(_PUNCT)
    if not text.isascii():
        text = text.translate(_GREEK)
    # each run of spaces as one, none at the ends: re.sub(r"\s+", " ", ...).strip(), at a fifth of the cost (split()
    # and \s mean the same characters; a test compares the two)
    return " ".join(text.casefold().split())


def split_quote(quote: str) -> list[str]:
    """The parts of a quote separated by ellipses, normalised; empty parts are dropped."""
    return [p for p in (normalise(part) for part in _ELLIPSIS.split(quote)) if p]


def find_quote(quote: str, text_normalised: str) -> bool:
    """True when every part of `quote` occurs in `text_normalised`, in order."""
    return find_parts(split_quote(quote), text_normalised)


def find_parts(parts: list[str], text_normalised: str) -> bool:
    """find_quote for a quote already split (split_quote), so a quote is normalised once."""
    if not parts:
        return False
    position = 0
    for part in parts:
        found = text_normalised.find(part, position)
        if found < 0:
            return False
        position = found + len(part)
    return True


def explain_miss(quote: str, text_normalised: str) -> str:
    """Say where a quote that `find_quote` rejected stops matching the text (for the curator to fix it)."""
    position = 0
    parts = split_quote(quote)
    for n, part in enumerate(parts):
        found = text_normalised.find(part, position)
        if found >= 0:
            position = found + len(part)
            continue
        if n and text_normalised.find(part) >= 0:
            return f"its part \"{part}\" is in the text, but not after the part before it"
        words = part.split(" ")
        low, high = 0, len(words)  # the longest run of leading words found: binary search on its length
        while low < high:
            mid = (low + high + 1) // 2
            if text_normalised.find(" ".join(words[:mid]), position) >= 0:
                low = mid
            else:
                high = mid - 1
        if low == 0:
            return f"the text has no \"{words[0]}\"" + (" after the part before it" if n else "")
        return f"the text matches up to \"{' '.join(words[:low])}\""
    return "it is there"


@dataclass(frozen=True)
class SourceText:
    """The kept text of one publication, ready for quote checks."""

    path: Path
    body: str
    normalised: str


def read_source_text(path: Path) -> SourceText:
    """Read a kept source (front matter, if any, is skipped: quotes come from the document body).

    Raises OSError or UnicodeDecodeError; ValueError when the file is larger than MAX_SOURCE_BYTES.
    """
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size  # read that much (+1, to see it grow): not 20 MB at once
        raw = handle.read(size + 1 if size <= MAX_SOURCE_BYTES else MAX_SOURCE_BYTES + 1)
        if len(raw) > size:
            raw += handle.read(MAX_SOURCE_BYTES + 1 - len(raw))
    if len(raw) > MAX_SOURCE_BYTES:
        raise ValueError(f"larger than {MAX_SOURCE_BYTES // 2**20} MB")
    text = raw.decode("utf-8")
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end >= 0:
            text = text[end + 5 :]
    return SourceText(path, text, normalise(text))
