"""Turn a document's bytes into clean text: decode, repair mojibake with ftfy, normalise, collapse layout."""

from __future__ import annotations

import difflib
import re
import unicodedata
from pathlib import Path

import ftfy

from .errors import UnreadableSourceError

__all__ = [
    "collapse_spaces",
    "decode",
    "read_bytes",
    "repair_text",
]

# Runs of horizontal whitespace (spaces, tabs, no-break spaces...) but not newlines.
_SPACES = re.compile(r"[^\S\n]+")

# ftfy cannot mend one artefact of seed 000: its closing quote ” arrives as a dagger "†" glued to the next
# word ('“common factor†in'); the byte that said "closing quote" was lost before the file reached us, and
# a dagger is valid text. It is kept as it is (no hand-written replacement), so quotes match the source.


def read_bytes(path: Path) -> bytes:
    """The file's exact bytes, or UnreadableSourceError saying why not."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise UnreadableSourceError(path, "file not found") from None
    except IsADirectoryError:
        raise UnreadableSourceError(path, "is a directory, not a source document") from None
    except OSError as error:
        raise UnreadableSourceError(path, f"cannot be read ({error.strerror or error})") from None


def decode(data: bytes, path: Path) -> str:
    """UTF-8 text of the bytes (a leading BOM dropped); binary or non-UTF-8 input is refused with its line."""
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise UnreadableSourceError(
            path, "contains NUL bytes: this is a binary file, not a text document", line
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise UnreadableSourceError(
            path,
            f"is not UTF-8 text (byte 0x{data[error.start]:02x}); save it as UTF-8 and ingest again",
            line,
        ) from None


def _ftfy_notes(before: str, after: str) -> list[str]:
    notes = []
    for number, (old, new) in enumerate(zip(before.splitlines(), after.splitlines(), strict=False), start=1):
        if old == new:
            continue
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
            if tag != "equal":
                notes.append(f"line {number}: {old[i1:i2]!r} repaired to {new[j1:j2]!r} by ftfy")
    return notes


def repair_text(text: str) -> tuple[str, tuple[str, ...]]:
    """Mojibake repaired by ftfy (typographic quotes kept), then NFC; with a note per repair."""
    fixed = ftfy.fix_text(text, uncurl_quotes=False)
    return unicodedata.normalize("NFC", fixed), tuple(_ftfy_notes(text, fixed))


def collapse_spaces(line: str) -> str:
    """One line with layout whitespace (tabs, runs of spaces, no-break spaces) reduced to single spaces."""
    return _SPACES.sub(" ", line).strip()
