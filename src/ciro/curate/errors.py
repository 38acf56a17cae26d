"""Problems found in input, and the exceptions that carry them.

Every problem names the file, the line, the record and the field, so a curator can go straight to it;
the CLI prints one line per problem and exits non-zero, never a traceback.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = [
    "STAGES",
    "Problem",
    "CiroError",
    "InputError",
    "YamlInputError",
    "SchemaInputError",
    "ReferenceInputError",
    "IdentifierInputError",
    "QuoteInputError",
    "ValidationFailed",
    "BuildError",
]

# The validation layers, in the order they run; a Problem's `stage` is one of these.
# "internal" marks a bug in CIRO itself (a check that crashed), reported rather than raised.
STAGES = ("yaml", "schema", "identifier", "reference", "rdf", "shacl", "quote", "internal")


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong (or worth a warning) in the input, located as precisely as the check allows."""

    file: str
    line: int
    record: str
    field: str
    message: str
    stage: str = "schema"
    severity: str = "error"

    def format(self) -> str:
        """Render as `file:line: record: field: message` (the one-line form curators read)."""
        text = f"{self.file or '-'}:{self.line}: {self.record or '-'}: {self.field or '-'}: {self.message}"
        text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)  # one line, no terminal codes
        return text if self.severity == "error" else f"{text} [warning]"

    def as_dict(self) -> dict:
        """A plain dict for the JSON report."""
        return asdict(self)


class CiroError(Exception):
    """Base class of every error CIRO raises on purpose."""


class InputError(CiroError):
    """Invalid input, located in a file; subclasses say which kind of check failed."""

    stage = "input"

    def __init__(self, message: str, file: str = "", line: int = 0, record: str = "", field: str = ""):
        super().__init__(message)
        self.problem = Problem(file, line, record, field, message, self.stage)

    def __str__(self) -> str:
        return self.problem.format()


class YamlInputError(InputError):
    """The file is not readable YAML (syntax, encoding, duplicate keys, aliases...)."""

    stage = "yaml"


class SchemaInputError(InputError):
    """A record breaks the LinkML schema (type, required field, unknown slot or enum value)."""

    stage = "schema"


class ReferenceInputError(InputError):
    """A reference points at a missing record, or at a record of the wrong class."""

    stage = "reference"


class IdentifierInputError(InputError):
    """An identifier is malformed, has an unknown prefix, or is of the wrong kind for its slot."""

    stage = "identifier"


class QuoteInputError(InputError):
    """An evidence quote is empty, or not found verbatim in its publication's kept text."""

    stage = "quote"


class ValidationFailed(CiroError):
    """Raised by the build when validation reported errors; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"validation failed with {len(problems)} error(s)")
        self.problems = problems


class BuildError(CiroError):
    """The release could not be written (a generator failed, a file could not be moved...)."""
