"""Errors raised while ingesting a source document, one class per kind of failure."""

from __future__ import annotations

from pathlib import Path

from ..curate.errors import CiroError

__all__ = [
    "FrontMatterError",
    "IngestError",
    "MalformedFieldError",
    "MissingFieldError",
    "SlugCollisionError",
    "SourceWriteError",
    "UnknownFormatError",
    "UnreadableSourceError",
]


class IngestError(CiroError):  # a CiroError, so that the CLI prints it as one line, not a traceback
    """A source document could not be ingested; carries the file and, where known, the 1-based line."""

    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        self.path = Path(path)
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else str(self.path)
        return f"{where}: {self.message}"


class UnreadableSourceError(IngestError):
    """The file is missing, not a regular file, not readable, or not UTF-8 text."""


class UnknownFormatError(IngestError):
    """The file is none of the formats CIRO ingests (journal page, PubMed text, PFOCR record)."""


class FrontMatterError(IngestError):
    """A PFOCR record's YAML front matter is missing, unclosed or not valid YAML."""


class MissingFieldError(IngestError):
    """The document lacks a field every source must have (its title)."""

    def __init__(self, path: Path | str, field: str, message: str, line: int | None = None) -> None:
        self.field = field
        super().__init__(path, message, line)


class MalformedFieldError(IngestError):
    """A field is present but cannot be read (e.g. a PubMed citation line without journal and year)."""

    def __init__(self, path: Path | str, field: str, message: str, line: int | None = None) -> None:
        self.field = field
        super().__init__(path, message, line)


class SlugCollisionError(IngestError):
    """Another, different source is already stored under the same slug."""


class SourceWriteError(IngestError):
    """The cleaned text, original copy or keyword file could not be written."""
