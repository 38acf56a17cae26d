"""Read instance YAML files into one knowledge-base dict, remembering the file and line of every field.

YAML is parsed with libyaml's C loader (parsing dominates load time). Each file holds one record (a
mapping) or a list of records; the folder it sits in (instances/<kind>/) says what kind of record.
Problems are collected, not raised, so one run reports every broken file.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import Problem
from .layout import RECORD_DIRS

__all__ = ["Location", "LoadedKB", "load_paths", "MAX_FILE_BYTES", "YAML_SUFFIXES"]

MAX_FILE_BYTES = 2 * 1024 * 1024  # a curated record is a few kB; anything this large is a mistake
MAX_NODES = 200_000  # bounds the work done on one file, whatever its structure
YAML_SUFFIXES = (".yaml", ".yml")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Location:
    """Where a record or one of its fields was written."""

    file: str
    line: int


@dataclass
class LoadedKB:
    """The records of every file read, by KnowledgeBase slot, with where each came from."""

    data: dict[str, list[dict]] = field(default_factory=lambda: {k: [] for k in RECORD_DIRS.values()})
    # (record id, field name or "") -> location; nested evidence records are indexed by their own id.
    locations: dict[tuple[str, str], Location] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def where(self, record: str, slot: str = "") -> Location:
        """The best known location of a record's field, else of the record, else nowhere."""
        return (
            self.locations.get((record, slot))
            or self.locations.get((record, ""))
            or Location("", 0)
        )

    def records(self):
        """Every top-level record with its KB slot."""
        for slot, items in self.data.items():
            for item in items:
                yield slot, item


def _display(path: Path, base: Path | None) -> str:
    if base is not None:
        try:
            return str(path.relative_to(base))
        except ValueError:
            pass
    return str(path)


def _collect(paths: list[Path]) -> tuple[list[tuple[Path, str | None]], list[Problem]]:
    """Files to read, each with the KB slot its folder names (None when the folder names none)."""
    found: list[tuple[Path, str | None]] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            is_dir = path.is_dir()
        except OSError as exc:
            problems.append(Problem(str(path), 0, "", "", f"cannot read: {exc.strerror}", "yaml"))
            continue
        if is_dir and path.name in RECORD_DIRS:
            roots = [path]
        elif is_dir:
            roots = [path / name for name in RECORD_DIRS if (path / name).is_dir()]
        else:
            found.append((path, RECORD_DIRS.get(path.parent.name)))
            continue
        for root in roots:
            for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
                dirnames.sort()
                for name in sorted(filenames) + [d for d in dirnames if d.endswith(YAML_SUFFIXES)]:
                    if name.endswith(YAML_SUFFIXES):
                        found.append((Path(dirpath) / name, RECORD_DIRS[root.name]))
    return found, problems


def _read_text(path: Path, shown: str) -> str:
    """The file's text, or a Problem raised as ValueError-free `_FileProblem`."""
    try:
        if path.is_symlink():
            path.resolve(strict=True)  # raises on a loop or a dangling link, before any read
        if path.is_dir():
            raise _FileProblem(shown, 0, "is a directory, not a YAML file")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _FileProblem(shown, 0, f"file is {size} bytes; records are limited to {MAX_FILE_BYTES} bytes")
        raw = path.read_bytes()
    except RuntimeError:
        raise _FileProblem(shown, 0, "symbolic link loop") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _FileProblem(shown, 0, "symbolic link loop") from None
        raise _FileProblem(shown, 0, f"cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _FileProblem(shown, line, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})") from None
    if not text.strip():
        raise _FileProblem(shown, 0, "file is empty")
    return text


class _FileProblem(Exception):
    def __init__(self, file: str, line: int, message: str):
        super().__init__(message)
        self.problem = Problem(file, line, "", "", message, "yaml")


def _compose(text: str, shown: str):
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise _FileProblem(shown, 0, "file is empty")
        _check_nodes(node, shown)
        return loader.construct_document(node), node
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        msg = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        if "\t" in text.splitlines()[line - 1] if 0 < line <= len(text.splitlines()) else False:
            msg += " (YAML does not allow tab characters for indentation; use spaces)"
        raise _FileProblem(shown, line, f"YAML syntax error: {msg}") from None
    except yaml.YAMLError as exc:
        raise _FileProblem(shown, 0, f"YAML error: {exc}") from None
    finally:
        loader.dispose()


def _check_nodes(root, shown: str) -> None:
    """Reject aliases (the 'billion laughs' bomb needs them; curators never do) and duplicate keys."""
    seen: set[int] = set()
    stack = [root]
    count = 0
    while stack:
        node = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise _FileProblem(shown, node.start_mark.line + 1, f"more than {MAX_NODES} YAML nodes in one file")
        if id(node) in seen:
            raise _FileProblem(
                shown, node.start_mark.line + 1, "YAML anchors and aliases (&, *) are not allowed in CIRO records"
            )
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: dict[str, int] = {}
            for key, value in node.value:
                name = str(key.value)
                if isinstance(key, yaml.ScalarNode) and name in keys:
                    raise _FileProblem(
                        shown,
                        key.start_mark.line + 1,
                        f"duplicate key '{name}' (first on line {keys[name]})",
                    )
                keys[name] = key.start_mark.line + 1
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def _index(kb: LoadedKB, record: dict, node, shown: str) -> None:
    """Remember the line of the record and of each of its fields; recurse into nested evidence."""
    rid = str(record.get("id", "")) if isinstance(record, dict) else ""
    if not rid or not isinstance(node, yaml.MappingNode):
        return
    kb.locations.setdefault((rid, ""), Location(shown, node.start_mark.line + 1))
    for key, value in node.value:
        kb.locations.setdefault((rid, str(key.value)), Location(shown, key.start_mark.line + 1))
        if str(key.value) == "has_evidence" and isinstance(value, yaml.SequenceNode):
            items = record.get("has_evidence") or []
            for item, item_node in zip(items, value.value, strict=False):
                if isinstance(item, dict):
                    _index(kb, item, item_node, shown)


def load_paths(paths: list[Path], base: Path | None = None) -> LoadedKB:
    """Read every record file under `paths`; problems are collected in the result, never raised."""
    kb = LoadedKB()
    files, kb.problems = _collect(paths)
    for path, slot in files:
        shown = _display(path, base)
        kb.files.append(shown)
        if slot is None:
            kb.problems.append(
                Problem(shown, 0, "", "", "cannot tell the kind of record: put the file under "
                        f"instances/<kind>/ with kind one of {', '.join(RECORD_DIRS)}", "yaml")
            )
            continue
        try:
            data, node = _compose(_read_text(path, shown), shown)
        except _FileProblem as exc:
            kb.problems.append(exc.problem)
            continue
        items, nodes = (data, node.value) if isinstance(data, list) else ([data], [node])
        for item, item_node in zip(items, nodes, strict=True):
            line = item_node.start_mark.line + 1
            if not isinstance(item, dict):
                kb.problems.append(
                    Problem(shown, line, "", "", f"expected a record (a YAML mapping), found {type(item).__name__}")
                )
                continue
            if "id" not in item:
                kb.problems.append(Problem(shown, line, "", "id", "record has no 'id'"))
                continue
            kb.data[slot].append(item)
            _index(kb, item, item_node, shown)
    return kb
