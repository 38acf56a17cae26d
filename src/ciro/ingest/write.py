"""Write an ingested source to a folder: cleaned text with front matter, original bytes, keyword decisions."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from .errors import SlugCollisionError, SourceWriteError
from .model import IngestedSource

__all__ = ["render_keywords", "render_text", "write_source"]

KEYWORD_RULE = (
    "kept: a human (HGNC-style) or mouse (MGI-style) gene symbol that the caption names, directly "
    "or through its own abbreviation list, or that the figure text gives for both human and mouse; "
    "mouse symbols of kept human genes are kept too. dropped: other organisms' genes, cell types, "
    "abbreviations, ordinary words and probable text-mining artefacts."
)


def _yaml(data: Any) -> str:
    # Wide lines so long titles stay on one line; key order as built, so output is stable for diffs.
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=4096)


def render_text(source: IngestedSource) -> str:
    """The cleaned text file: a short YAML front matter, then the text."""
    meta = {
        "slug": source.slug,
        **source.record.to_mapping(),
        "original_file": f"{source.slug}.orig.txt",
        "original_sha256": source.sha256,
        "text_repairs": list(source.repairs),
    }
    return f"---\n{_yaml(meta)}---\n{source.text}"


def render_keywords(source: IngestedSource) -> str:
    """The keyword decisions of a PFOCR record: a summary, the rule, then one entry per keyword."""
    kept = list(dict.fromkeys(d.keyword for d in source.keywords if d.is_kept))
    dropped = list(dict.fromkeys(d.keyword for d in source.keywords if not d.is_kept))
    data = {
        "source": f"{source.slug}.orig.txt",
        "pmcid": source.record.pmcid,
        "rule": KEYWORD_RULE,
        "kept": kept,
        "dropped": dropped,
        "keywords": [d.to_mapping() for d in source.keywords],
    }
    return _yaml(data)


def _atomic_write(target: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, then rename it over the target in one step."""
    try:
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as error:
        raise SourceWriteError(
            target, f"cannot create a file in {target.parent} ({error.strerror})"
        ) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)  # mkstemp makes it owner-only; sources are shared files
        os.replace(temp, target)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise SourceWriteError(target, f"cannot be written ({error.strerror or error})") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def write_source(source: IngestedSource, out_dir: Path | str) -> list[Path]:
    """Write <slug>.orig.txt, <slug>.txt and, for PFOCR, <slug>.keywords.yaml; return their paths.

    Re-writing the same source is harmless; a different source under the same slug is refused.
    """
    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SourceWriteError(folder, f"cannot create the folder ({error.strerror})") from None
    original = folder / f"{source.slug}.orig.txt"
    try:
        existing = original.read_bytes()
    except FileNotFoundError:
        existing = None
    except OSError as error:
        raise SourceWriteError(original, f"cannot be read to compare ({error.strerror})") from None
    if existing is not None and existing != source.original:
        raise SlugCollisionError(
            original, f"already holds a different source than {source.path}; give one of them another slug"
        )
    outputs = [
        (original, source.original),
        (folder / f"{source.slug}.txt", render_text(source).encode("utf-8")),
    ]
    if source.source_format == "pfocr_record":
        outputs.append((folder / f"{source.slug}.keywords.yaml", render_keywords(source).encode("utf-8")))
    for target, data in outputs:
        _atomic_write(target, data)
    return [target for target, _ in outputs]
