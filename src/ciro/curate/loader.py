"""Read instance YAML files into records, remembering the file and line of every field.

Each file holds one record (a mapping) or a list of records; the folder right below instances/ says what
kind of record (instances/<kind>/...). A file is checked before anything is built from it: that it is a
regular file of reasonable size, UTF-8, one YAML document, without anchors or aliases (the 'billion laughs'
bomb needs them; curators never do), without duplicate keys and not absurdly deep. Problems are collected,
not raised, so one run reports every broken file.

Most files are plain block YAML: blockyaml reads those several times faster than PyYAML and gives up on anything
else (every error included), which the PyYAML path below then reads and words, as the reference.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import re
import stat
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import yaml

from ..layout import RECORD_DIRS
from . import blockyaml
from .errors import Problem

__all__ = ["Location", "Record", "LoadedKB", "load_paths", "describe", "MAX_FILE_BYTES", "YAML_SUFFIXES"]

MAX_FILE_BYTES = 2 * 1024 * 1024  # a curated record is a few kB; anything this large is a mistake
MAX_NODES = 100_000  # bounds the work done on one file, whatever its structure
MAX_DEPTH = 20  # a record nests four levels deep (record, has_evidence, item, list); deeper is a mistake
YAML_SUFFIXES = (".yaml", ".yml")
SOURCES = "sources"  # instances/sources/ holds the kept texts (and keyword lists), not records
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# The ids a file that could not be read seems to declare: references to them are not reported again.
_ID_LINE = re.compile(r"^[ \t-]*id:[ \t]*['\"]?([^\s'\"#]+)", re.M)


@dataclass(frozen=True)
class Location:
    """Where a record or one of its fields was written."""

    file: str
    line: int


@dataclass(frozen=True, eq=False)
class Record:
    """One record as read from a file: its data, its kind, and where it and each of its fields are."""

    kind: str  # the KnowledgeBase slot (mechanisms, targets...), or "evidence" for an inlined item
    data: dict
    name: str  # the id; an evidence item without a usable one is named <parent id>/has_evidence[<n>]
    file: str
    line: int
    lines: dict[str, int]  # field -> line of its key
    parent: Record | None = None
    index: int = 0  # position in the parent's has_evidence list
    item_lines: dict[str, tuple[int, ...]] = field(default_factory=dict)  # list field -> line of each item

    @property
    def id(self) -> str | None:
        """The record's id when it is usable (non-empty text)."""
        value = self.data.get("id")
        return value if isinstance(value, str) and value.strip() else None

    def where(self, field_name: str = "", item: int | None = None) -> Location:
        """The line of a list field's item `item` (from 0), else of the field's key, else of the record."""
        items = self.item_lines.get(field_name, ())
        if item is not None and 0 <= item < len(items):
            return Location(self.file, items[item])
        return Location(self.file, self.lines.get(field_name, self.line))


@dataclass
class LoadedKB:
    """Every record read, with where it came from, and the problems met while reading."""

    data: dict[str, list[dict]] = field(default_factory=lambda: {k: [] for k in RECORD_DIRS.values()})
    records: list[Record] = field(default_factory=list)  # evidence items included, in the order read
    files: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    context_files: set[str] = field(default_factory=set)  # read only so references resolve; not reported
    unread_ids: set[str] = field(default_factory=set)  # ids declared in files that could not be read
    prechecked: dict[int, object] = field(default_factory=dict, repr=False)  # id(record) -> what load_paths'
    # `precheck` said of it, for the records of the files parsed in this run

    @cached_property
    def _named(self) -> dict[str, Record]:
        named: dict[str, Record] = {}
        for record in self.records:
            named.setdefault(record.name, record)
        return named

    def record(self, name: str) -> Record | None:
        """The first record read with this name (id)."""
        return self._named.get(name)

    def where(self, name: str, field_name: str = "") -> Location:
        """The best known location of a record's field, else of the record, else nowhere."""
        record = self._named.get(name)
        return record.where(field_name) if record else Location("", 0)

    def selected(self, file: str) -> bool:
        """Whether problems in `file` are to be reported (it was asked for, not only read for context)."""
        return file not in self.context_files


def describe(value) -> str:
    """A short, readable description of a YAML value: its kind and, for a scalar, the value itself."""
    if value is None:
        return "an empty value"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    kind = {bool: "true/false", int: "a number", float: "a number", str: "text"}.get(type(value))
    text = repr(value)
    text = text if len(text) <= 60 else text[:57] + "..."
    return f"{kind or 'a ' + type(value).__name__} {text}"


class _FileProblem(Exception):
    def __init__(self, message: str, line: int = 1):
        super().__init__(message)
        self.message, self.line = message, line


def _kind(path: Path) -> str | None:
    """The KB slot a file's folder names: the folder right below instances/, else the file's own folder."""
    folders = path.parts[:-1]
    if "instances" in folders:
        below = folders[len(folders) - folders[::-1].index("instances"):]
        return RECORD_DIRS.get(below[0]) if below else None
    return RECORD_DIRS.get(path.parent.name)


def _in_sources(path: Path) -> bool:
    parts = path.parts
    return any(a == "instances" and b == SOURCES for a, b in zip(parts, parts[1:], strict=False))


def _collect(paths: list[Path]) -> tuple[list[Path], list[Problem]]:
    """The record files under `paths` (a project folder means its instances/), and files ignored there."""
    files: list[Path] = []
    warnings: list[Problem] = []
    for path in paths:
        path = path.absolute()
        if path.is_dir() and (path / "instances").is_dir():
            path = path / "instances"
        if not path.is_dir():
            files.append(path)  # a missing or unreadable file is reported when read
            continue
        for dirpath, dirnames, filenames in os.walk(path):  # symbolic links to folders are not followed
            here = Path(dirpath)
            if _in_sources(here):
                dirnames[:] = []
                continue
            names = sorted(filenames + [d for d in dirnames if d.endswith(YAML_SUFFIXES)])
            dirnames[:] = sorted(d for d in dirnames if not d.endswith(YAML_SUFFIXES) and not d.startswith("."))
            for name in names:
                if name.startswith("."):
                    continue  # editor and system files
                if name.endswith(YAML_SUFFIXES):
                    files.append(here / name)
                elif _kind(here / name) is not None:
                    warnings.append(Problem(str(here / name), 1, "", "", "not a .yaml file: ignored", "yaml",
                                            "warning"))
    return files, warnings


def record_files(folder: Path) -> tuple[list[tuple[str, str | None]], list[Problem]]:
    """_collect([folder]) as (absolute path text, kind) pairs, without a Path object per file: the incremental
    validate (curate/incremental.py) walks a large instances/ on every run."""
    top = folder.absolute()
    if top.is_dir() and (top / "instances").is_dir():
        top = top / "instances"
    if not top.is_dir():
        files, warnings = _collect([folder])
        return [(str(f), _kind(f)) for f in files], warnings
    files: list[tuple[str, str | None]] = []
    warnings: list[Problem] = []
    for dirpath, dirnames, filenames in os.walk(top):
        here = Path(dirpath)
        if _in_sources(here):
            dirnames[:] = []
            continue
        names = sorted(filenames + [d for d in dirnames if d.endswith(YAML_SUFFIXES)])
        dirnames[:] = sorted(d for d in dirnames if not d.endswith(YAML_SUFFIXES) and not d.startswith("."))
        kind = _kind(here / "x")  # the folders decide
        for name in names:
            if name.startswith("."):
                continue
            if name.endswith(YAML_SUFFIXES):
                files.append((os.path.join(dirpath, name), kind))
            elif kind is not None:
                warnings.append(Problem(str(here / name), 1, "", "", "not a .yaml file: ignored", "yaml", "warning"))
    return files, warnings


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)  # a FIFO opens without
# waiting for a writer, and is then refused as not a regular file


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, read with one open, fstat and read of its size (+1, to see it grow): reading up to
    MAX_FILE_BYTES at once allocated 2 MB per file, most of reading 47,000 files. Anything unusual (the file cannot
    be opened, is not a regular file, is too large, grew) goes to the careful path, which words the problem."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError:
        return _read_bytes_checked(path)
    try:
        info = os.fstat(fd)
        if stat.S_ISREG(info.st_mode) and info.st_size <= MAX_FILE_BYTES:
            raw = os.read(fd, info.st_size + 1)
            if len(raw) <= info.st_size:
                return raw
    except OSError:
        pass
    finally:
        os.close(fd)
    return _read_bytes_checked(path)


def _read_bytes_checked(path: Path) -> bytes:
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise _FileProblem("is a directory, not a YAML file")
        if not stat.S_ISREG(info.st_mode):
            raise _FileProblem("is not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise _FileProblem(f"file is {info.st_size / 2**20:.1f} MB; a record file may hold at most "
                               f"{MAX_FILE_BYTES // 2**20} MB")
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _FileProblem("symbolic link loop") from None
        if exc.errno == errno.ENOENT:
            raise _FileProblem("broken symbolic link" if path.is_symlink() else "no such file") from None
        raise _FileProblem(f"cannot read: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise _FileProblem(f"file is larger than {MAX_FILE_BYTES // 2**20} MB")
    return raw


def _decode(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise _FileProblem(f"not UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8", line) from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise _FileProblem("file is empty")
    return text


def _scan(text: str) -> None:
    """Check the event stream: no aliases, bounded depth and size (before anything is composed)."""
    depth = count = 0
    for event in yaml.parse(text, Loader=_Loader):
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            raise _FileProblem("YAML aliases (*name) are not allowed in CIRO records: write the value out", line)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _FileProblem(f"nested more than {MAX_DEPTH} levels deep", line)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        count += 1
        if count > MAX_NODES:
            raise _FileProblem(f"more than {MAX_NODES} YAML nodes in one file", line)


def _check_keys(root: yaml.Node) -> None:
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            first: dict[tuple[str, str], int] = {}
            for key, value in node.value:
                line = key.start_mark.line + 1
                if isinstance(key, yaml.ScalarNode) and (key.tag, key.value) in first:
                    raise _FileProblem(f"duplicate key '{key.value}' (first on line {first[key.tag, key.value]})",
                                       line)
                first.setdefault((key.tag, key.value), line)
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def _bad_scalar_line(root: yaml.Node) -> int:
    """The line of the first scalar that cannot be built (a date such as 2020-13-45)."""
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            try:
                yaml.constructor.SafeConstructor().construct_object(node)
            except (ValueError, TypeError, OverflowError, yaml.YAMLError):
                return node.start_mark.line + 1
        elif isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in reversed(node.value) for n in reversed(pair))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
    return 1


_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
# An upper bound of the nesting depth: every level needs one of these characters. Below it, composing in C
# cannot run out of stack, so the event scan that guards the checked path can be skipped.
_NESTING_CHARS, _FAST_NESTING = "[{-:?", 2000


def _nesting_bound(text: str) -> int:
    """A tighter upper bound of the nesting depth, for a long file (a list of many records has thousands of '-'
    and ':' but is three levels deep). A block collection nested in another starts on a later line, indented more
    (a sequence may sit at its key's column: two levels per column), or on the same line after an indicator
    ('- ', '? ', ': '); a flow collection needs '[' or '{' (and may hold a one-pair mapping). So the depth is at most
    2 x (the deepest indentation + 1) + the most '-', '?' and ':' on one line + 2 x the '[' and '{', plus the
    stream, the document and one to spare."""
    flows = text.count("[") + text.count("{")
    indent = indicators = 0
    for line in text.split("\n"):
        indent = max(indent, len(line) - len(line.lstrip(" ")))
        indicators = max(indicators, line.count("-") + line.count(":") + line.count("?"))
    return 2 * (indent + 1) + indicators + 2 * flows + 3


class _Unusual(Exception):
    """Something the fast path does not handle: the checked path reads the file and says what is wrong."""


def _parse(text: str):
    """The data of the single YAML document in `text`, and its node tree (for line numbers).

    Most files are plain (no alias, no tag, no duplicate key): they are composed in C and built in one walk that
    also counts the events and the depth as the checked path does. Anything else, or any error, goes to the
    checked path (event scan, compose, key check, SafeConstructor), which gives every message."""
    if "*" not in text and (sum(text.count(c) for c in _NESTING_CHARS) <= _FAST_NESTING
                            or _nesting_bound(text) <= _FAST_NESTING):
        try:
            return _parse_fast(text)
        except Exception:  # noqa: BLE001 - the checked path below meets the same problem and words it
            pass
    return _parse_checked(text)


class _FastLoader(_Loader):
    """The C loader with a cheaper tag resolution: LibYAML composes, but calls back into Python for every node
    (resolve, and descend/ascend for path resolvers, which SafeLoader has none of). A plain scalar's tag depends
    only on its text (the implicit resolvers' patterns), so short ones are remembered (keys, enum values, ids), and
    the path-resolver calls go to C builtins that do nothing of note: no Python frame per node."""

    _tags: dict[str, str] = {}

    def resolve(self, kind, value, implicit, _tags=_tags, _resolve=_Loader.resolve):
        if kind is yaml.ScalarNode and implicit[0]:
            tag = _tags.get(value)
            if tag is None:
                tag = _resolve(self, kind, value, implicit)
                if len(value) <= 64 and len(_tags) < 200_000:
                    _tags[value] = tag
            return tag
        return _resolve(self, kind, value, implicit)

    descend_resolver = staticmethod(slice)  # (parent, index) -> a throwaway slice
    ascend_resolver = staticmethod(tuple)  # () -> ()


def _parse_fast(text: str):
    loader = _FastLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise _Unusual
        events = [4]  # stream and document start and end, then one per scalar and two per collection
        data = _build(node, 0, loader.construct_object, events)
        if events[0] > MAX_NODES:
            raise _Unusual
        return data, node
    finally:
        loader.dispose()


def _build(node: yaml.Node, depth: int, construct, events: list[int]):
    """What SafeConstructor makes of `node` when it holds only plain maps, lists and scalars with unique keys."""
    kind = type(node)
    if kind is yaml.ScalarNode:
        events[0] += 1
        return node.value if node.tag == _STR else construct(node)
    depth += 1
    events[0] += 2
    if depth > MAX_DEPTH:
        raise _Unusual
    if kind is yaml.SequenceNode and node.tag == _SEQ:
        return [_build(item, depth, construct, events) for item in node.value]
    if kind is not yaml.MappingNode or node.tag != _MAP:
        raise _Unusual
    data, seen = {}, set()
    for key_node, value_node in node.value:
        if type(key_node) is not yaml.ScalarNode or (key_node.tag, key_node.value) in seen:
            raise _Unusual  # a collection as a key, or a duplicate key (a merge key '<<' fails to construct)
        seen.add((key_node.tag, key_node.value))
        data[_build(key_node, depth, construct, events)] = _build(value_node, depth, construct, events)
    return data


def _parse_checked(text: str):
    node = None
    try:
        _scan(text)
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                raise _FileProblem("file is empty (only comments)")
            _check_keys(node)
            return loader.construct_document(node), node
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        lines = text.splitlines()
        indent = lines[line - 1][: len(lines[line - 1]) - len(lines[line - 1].lstrip())] if line <= len(lines) else ""
        if "\t" in indent:
            raise _FileProblem("YAML syntax error: a tab is used for indentation; YAML allows only spaces", line) \
                from None
        if "expected a single document" in str(exc.context):
            raise _FileProblem("a second YAML document ('---') in one file: write one record per file, or a "
                               "list of records", line) from None
        context = str(exc.context or "")
        if context and exc.context_mark and exc.problem_mark and exc.context_mark.line != exc.problem_mark.line:
            context += f" (from line {exc.context_mark.line + 1})"
        kind = "YAML error" if isinstance(exc, yaml.constructor.ConstructorError) else "YAML syntax error"
        message = ": ".join(x for x in (context, str(exc.problem or "")) if x)
        raise _FileProblem(f"{kind}: {message}", line) from None
    except yaml.YAMLError as exc:  # a reader error: a character YAML does not allow
        position = getattr(exc, "position", None)
        line = text.count("\n", 0, position) + 1 if isinstance(position, int) else 1
        reason = getattr(exc, "reason", None) or str(exc).splitlines()[0]
        raise _FileProblem(f"YAML error: {reason}", line) from None
    except (ValueError, TypeError, OverflowError) as exc:  # a value that cannot exist, e.g. 2020-13-45
        raise _FileProblem(f"YAML error: cannot read a value ({exc})",
                           _bad_scalar_line(node) if node is not None else 1) from None


def _field_lines(node: yaml.MappingNode) -> dict[str, int]:
    lines: dict[str, int] = {}
    for key, _value in node.value:
        lines.setdefault(str(key.value), key.start_mark.line + 1)
    return lines


def _item_lines(node: yaml.MappingNode) -> dict[str, tuple[int, ...]]:
    """The line of each item of every list field: a problem with one item is reported where that item is."""
    lines: dict[str, tuple[int, ...]] = {}
    for key, value in node.value:
        if isinstance(value, yaml.SequenceNode):
            lines.setdefault(str(key.value), tuple(item.start_mark.line + 1 for item in value.value))
    return lines


def _add_file(kb: LoadedKB, kind: str, shown: str, data, node: yaml.Node) -> None:
    """Turn one file's data into records (and their evidence items), or problems."""
    if isinstance(data, list) and not data:
        kb.problems.append(Problem(shown, 1, "", "", "the file's list holds no records", "yaml"))
    pairs = list(zip(data, node.value, strict=True)) if isinstance(data, list) else [(data, node)]
    for item, item_node in pairs:
        line = item_node.start_mark.line + 1
        if not isinstance(item, dict) or not isinstance(item_node, yaml.MappingNode):
            kb.problems.append(Problem(shown, line, "", "", "expected a record (a mapping of field: value), "
                                       f"found {describe(item)}", "yaml"))
            continue
        lines = _field_lines(item_node)
        rid = item.get("id")
        if not isinstance(rid, str) or not rid.strip():
            what = "record has no 'id'" if rid is None else \
                f"'id' must be a CURIE such as CIRO:0000123, found {describe(rid)}"
            kb.problems.append(Problem(shown, lines.get("id", line), "", "id", what, "schema"))
            continue
        record = Record(kind, item, rid, shown, line, lines, item_lines=_item_lines(item_node))
        kb.records.append(record)
        kb.data[kind].append(item)
        evidence, evidence_node = item.get("has_evidence"), _value_node(item_node, "has_evidence")
        if not isinstance(evidence, list) or not isinstance(evidence_node, yaml.SequenceNode):
            continue
        for n, (ev, ev_node) in enumerate(zip(evidence, evidence_node.value, strict=True)):
            if isinstance(ev, dict) and isinstance(ev_node, yaml.MappingNode):
                ev_id = ev.get("id")
                name = ev_id if isinstance(ev_id, str) and ev_id.strip() else f"{record.name}/has_evidence[{n}]"
                kb.records.append(Record("evidence", ev, name, shown, ev_node.start_mark.line + 1,
                                         _field_lines(ev_node), record, n, _item_lines(ev_node)))


_new_object, _set_attribute = object.__new__, object.__setattr__


def _record(kind: str, data: dict, name: str, file: str, line: int, lines: dict, parent: Record | None, index: int,
            item_lines: dict) -> Record:
    """Record(kind, data, ...), made without the frozen dataclass's __init__ (nine object.__setattr__ calls, 40% of
    making a file's records from blockyaml's lines); tests/test_blockyaml.py checks that it gives the same objects."""
    record = _new_object(Record)
    _set_attribute(record, "__dict__", {"kind": kind, "data": data, "name": name, "file": file, "line": line,
                                        "lines": lines, "parent": parent, "index": index, "item_lines": item_lines})
    return record


def _block_records(kind: str, shown: str, data, shapes: dict, root_lines: list[int]) -> tuple[list, list]:
    """What _add_file makes of a file (its records, then its problems), for what blockyaml.parse gives: the lines
    come from `shapes` (id of each mapping -> its line, key lines and item lines) and `root_lines` (the line of each
    item of a list at the top) instead of from nodes."""
    records: list[Record] = []
    problems: list[Problem] = []
    if isinstance(data, list) and not data:
        problems.append(Problem(shown, 1, "", "", "the file's list holds no records", "yaml"))
    pairs = zip(data, root_lines, strict=True) if isinstance(data, list) else [(data, shapes[id(data)][0])]
    for item, line in pairs:
        if not isinstance(item, dict):
            problems.append(Problem(shown, line, "", "", "expected a record (a mapping of field: value), "
                                    f"found {describe(item)}", "yaml"))
            continue
        _line, lines, item_lines = shapes[id(item)]
        rid = item.get("id")
        if not isinstance(rid, str) or not rid.strip():
            what = "record has no 'id'" if rid is None else \
                f"'id' must be a CURIE such as CIRO:0000123, found {describe(rid)}"
            problems.append(Problem(shown, lines.get("id", line), "", "id", what, "schema"))
            continue
        record = _record(kind, item, rid, shown, line, lines, None, 0, item_lines)
        records.append(record)
        evidence = item.get("has_evidence")
        if not isinstance(evidence, list):
            continue
        for n, ev in enumerate(evidence):
            if isinstance(ev, dict):
                ev_id = ev.get("id")
                name = ev_id if isinstance(ev_id, str) and ev_id.strip() else f"{rid}/has_evidence[{n}]"
                ev_line, ev_lines, ev_item_lines = shapes[id(ev)]
                records.append(_record("evidence", ev, name, shown, ev_line, ev_lines, record, n, ev_item_lines))
    return records, problems


def _value_node(mapping: yaml.MappingNode, name: str):
    return next((value for key, value in mapping.value if key.value == name), None)


def _display(path: Path, base: Path | None) -> str:
    """The path relative to the project folder when it lies inside it (symbolic links are not followed)."""
    if base is not None and path.is_relative_to(base):
        return str(path.relative_to(base))
    return str(path)


def _read(kb: LoadedKB, path: Path, shown: str, cache=None) -> None:
    """Read one file into `kb`; a crash becomes an 'internal' problem (CIRO_DEBUG=1 re-raises it)."""
    try:
        _read_file(kb, path, shown, cache)
    except Exception as exc:
        if os.environ.get("CIRO_DEBUG"):
            raise
        kb.problems.append(Problem(shown, 1, "", "", f"internal error while reading ({type(exc).__name__}: {exc}); "
                                   "please report it", "internal"))


def _read_file(kb: LoadedKB, path: Path, shown: str, cache=None) -> None:
    step = _prepare(path, shown, cache)
    if step[0] == "parse":
        _kind_, key, digest, raw = step[1:]
        entry = _parse_file(_kind_, shown, raw)
        if cache is not None:
            cache.put(key, digest, entry)
        step = ("entry", _kind_, entry)
    _apply(kb, step)


def _prepare(path: Path, shown: str, cache=None) -> tuple:
    """What reading a file needs next: ("problem", Problem), ("entry", kind, entry) for what the cache holds, or
    ("parse", kind, cache key, digest, bytes)."""
    kind = _kind(path)
    if not os.path.lexists(path):
        return "problem", Problem(shown, 1, "", "", "no such file", "yaml")
    if kind is None:
        return "problem", Problem(shown, 1, "", "", "file outside any record folder: put it under instances/"
                                  f"<kind>/ with kind one of {', '.join(RECORD_DIRS)}", "yaml")
    try:
        raw = _read_bytes(path)
    except _FileProblem as exc:
        return "problem", Problem(shown, exc.line, "", "", exc.message, "yaml")
    # What a file gives depends only on its bytes, its shown path and kind: reuse it when they are unchanged.
    key, digest = (shown, kind), cache.digest(raw) if cache is not None else b""
    entry = cache.get(key, digest) if cache is not None else None
    if entry is not None:
        return "entry", kind, entry, key, digest
    return "parse", kind, key, digest, raw


def _apply(kb: LoadedKB, step: tuple) -> None:
    if step[0] == "problem":
        kb.problems.append(step[1])
        return
    kind, (records, problems, unread) = step[1], step[2]
    checked = step[5] if len(step) > 5 else None
    if checked is not None and len(checked) == len(records):
        kb.prechecked.update(zip(map(id, records), checked, strict=True))
    kb.records.extend(records)
    kb.data[kind].extend([record.data for record in records if record.parent is None])
    if problems:
        kb.problems.extend(problems)
    if unread:
        kb.unread_ids.update(unread)


def _parse_file(kind: str, shown: str, raw: bytes) -> tuple[list[Record], list[Problem], list[str]]:
    """One file's records, problems and (when it cannot be read) the ids it seems to declare."""
    # blockyaml first: it gives None for anything outside its subset, which PyYAML reads (tests/test_blockyaml.py)
    try:
        parsed = blockyaml.parse(raw.decode("utf-8"))
    except UnicodeDecodeError:
        parsed = None
    if parsed is not None:
        return *_block_records(kind, shown, *parsed), []
    return _parse_file_pyyaml(kind, shown, raw)


def _parse_file_pyyaml(kind: str, shown: str, raw: bytes) -> tuple[list[Record], list[Problem], list[str]]:
    """_parse_file through PyYAML only."""
    part = LoadedKB()
    try:
        data, node = _parse(_decode(raw))
    except _FileProblem as exc:
        return [], [Problem(shown, exc.line, "", "", exc.message, "yaml")], \
            sorted(set(_ID_LINE.findall(raw.decode("utf-8", "replace"))))
    _add_file(part, kind, shown, data, node)
    return part.records, part.problems, []


def load_paths(paths: list[Path], base: Path | None = None, context: list[Path] = (), cache=None,
               precheck=None, save: bool = True) -> LoadedKB:
    """Read every record file under `paths`; problems are collected in the result, never raised.

    Files under `context` that are not under `paths` are read first, only so that references resolve;
    their problems are marked as not selected (see LoadedKB.selected). `cache` (a parsecache.ParseCache) reuses
    what an unchanged file gave last time; it is saved at the end (unless `save` is False: the caller saves it).
    `precheck(records)` (a tuple, one value per
    record) runs on each file's records where the file is parsed, in the parse helper for its share: its values
    are in kb.prechecked (none for a file the cache held, or when it raised).
    """
    kb = LoadedKB()
    base = base.absolute() if base is not None else None
    files, ignored = _collect(list(paths))
    kb.problems = [dataclasses.replace(p, file=_display(Path(p.file), base)) for p in ignored]
    chosen = set(files)
    extra = [p for p in _collect(list(context))[0] if p not in chosen] if context else []
    seen: set[Path] = set()
    from ..progress import track

    todo: list[tuple[Path, str]] = []
    prefix = str(base) + os.sep if base is not None else None
    for path in extra + files:
        if path in seen:
            continue
        seen.add(path)
        text = str(path)  # _display, without pathlib's relative_to (slow on 100,000s of files)
        shown = text[len(prefix):] if prefix and text.startswith(prefix) else _display(path, base)
        kb.files.append(shown)
        if len(seen) <= len(extra):
            kb.context_files.add(shown)
        todo.append((path, shown))
    helper, mine, theirs_at = None, range(len(todo)), []
    if _parallel(len(todo)):
        # Every 20 files, the helper takes the last _HELPER_OF_20: each folder's files are in both shares (those of
        # mechanisms/, with their evidence, are the longest; a cut by position gave the parent most of the work).
        theirs_at = [n for n in range(len(todo)) if n % 20 >= 20 - _HELPER_OF_20]
        helper = _start_helper([todo[n] for n in theirs_at], cache, precheck)
        if helper is not None:
            mine = [n for n in range(len(todo)) if n % 20 < 20 - _HELPER_OF_20]
    steps: list = [None] * len(todo)
    for n in track(mine, "reading instances", unit="file"):
        steps[n] = _read_step(*todo[n], cache, precheck)
    if helper is not None:
        theirs = helper.result()
        theirs = [_from_helper(step, cache) for step in theirs] \
            if theirs is not None and len(theirs) == len(theirs_at) else None
        if theirs is None or None in theirs:  # the helper failed: read its files here
            theirs = [_read_step(*todo[n], cache, precheck) for n in theirs_at]
        for n, step in zip(theirs_at, theirs, strict=True):
            steps[n] = step
    for (_path, shown), step in zip(todo, steps, strict=True):
        if step[0] != "internal":
            step = _guarded(_apply, kb, step) or ("done",)
        if step[0] == "internal":
            kb.problems.append(Problem(shown, 1, "", "", f"internal error while reading ({step[1]}); please report it",
                                       "internal"))
    if cache is not None and save:
        cache.save()
    return kb


def _read_step(path: Path, shown: str, cache, precheck=None) -> tuple:
    """_prepare, with the file parsed (and put in the cache) when it has to be."""
    step = _guarded(_prepare, path, shown, cache)
    if step[0] == "parse":
        kind, key, digest, raw = step[1:]
        entry = _guarded(_parse_file, kind, shown, raw)
        if entry[0] == "internal":
            return entry
        if cache is not None:
            cache.put(key, digest, entry)
        step = ("entry", kind, entry, key, digest, _prechecked(precheck, entry))
    return step


def _prechecked(precheck, entry: tuple):
    """precheck(the file's records), or None (no precheck, or it raised: the caller's own check meets that)."""
    if precheck is None:
        return None
    try:
        return precheck(entry[0])
    except Exception:  # noqa: BLE001
        return None


def _guarded(run, *args):
    """run(*args), or ("internal", what it raised) (CIRO_DEBUG=1 re-raises it)."""
    try:
        return run(*args)
    except Exception as exc:
        if os.environ.get("CIRO_DEBUG"):
            raise
        return "internal", f"{type(exc).__name__}: {exc}"


# Parsing is most of a cold run at scale (PyYAML composes and builds in Python): with many files to parse, a
# forked second process reads and parses the last part of them and hands the records back pickled, through a
# temporary file. It is forked before any file is read, so the two share little memory to copy on write.
PARALLEL_MIN = 2000  # fewer files than this: not worth starting a process and sending the records back
_HELPER_OF_20 = 8  # the helper's share of the files, in twentieths (it also pickles what it parsed, and the main
# process walks the folders and unpickles it; with the block-YAML parser, pickling is about a third of parsing)


def _parallel(files: int) -> bool:
    return files >= PARALLEL_MIN and (os.cpu_count() or 1) >= 2 and hasattr(os, "fork") \
        and not os.environ.get("CIRO_DEBUG") and os.environ.get("CIRO_PARSE_PROCESSES") != "1"


def _start_helper(todo: list[tuple[Path, str]], cache=None, precheck=None):
    from ..forked import start_helper

    return start_helper(lambda: [_helper_step(path, shown, cache, precheck) for path, shown in todo], "ciro-parse-")


def _helper_step(path: Path, shown: str, cache, precheck=None) -> tuple:
    """_read_step in the helper, whose copy of the cache is thrown away: a file the cache holds comes back as
    ("hit", cache key, digest), taken from the parent's cache; one parsed, with its key and digest, for the parent to
    put in its cache."""
    step = _guarded(_prepare, path, shown, cache)
    if step[0] == "entry" and cache is not None:
        return "hit", step[3], step[4]
    if step[0] == "parse":
        kind, key, digest, raw = step[1:]
        entry = _guarded(_parse_file, kind, shown, raw)
        return entry if entry[0] == "internal" else ("entry", kind, entry, key, digest, _prechecked(precheck, entry))
    return step


def _from_helper(step: tuple, cache) -> tuple | None:
    """A helper's step as the parent's own: the cache's entry for a hit, a parsed file put in the cache; None when
    the parent's cache does not hold a hit after all."""
    if step[0] == "hit":
        entry = cache.get(step[1], step[2])
        return None if entry is None else ("entry", step[1][1], entry)
    if step[0] == "entry" and cache is not None and len(step) > 5:
        cache.put(step[3], step[4], step[2])
    return step
