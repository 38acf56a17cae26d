"""A reader for the plain block-YAML subset that record files are written in, with the line of every key and item.

PyYAML's C composer spends most of its time calling back into Python for every node (a ScalarNode object and a tag
resolution each), and the loader then walks the node tree again to build the data and to read the lines. Record files
use a small, regular part of YAML: block mappings and sequences by indentation, plain scalars (folded over more-indented
lines), single-quoted scalars (also over lines), double-quoted ones without escapes, and comments. This module reads
exactly that part, a line at a time, and gives up (returns None) on anything else, so that the PyYAML path (the
reference, which also words every error) reads the file unchanged. It never guesses: a text it accepts must give what
PyYAML gives, key order, value types and lines included; when in doubt it gives up.

Plain scalars get their tag from the C loader's own implicit resolvers and their value from its SafeConstructor
functions; only which first characters can resolve to anything but text is read from the resolver's table.
"""

from __future__ import annotations

import re

import yaml

__all__ = ["parse"]

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR = "tag:yaml.org,2002:str"
# The tags a plain scalar may resolve to here; any other ('<<' merge, '=' value) is left to PyYAML.
_BUILT = frozenset("tag:yaml.org,2002:" + t for t in ("null", "bool", "int", "float", "timestamp"))
_IMPLICIT = (True, False)  # a plain scalar: tag resolved from its text

# Only characters YAML reads as printable and not as a line break (no tab, CR, NEL, LS, PS, BOM, control character).
_ASCII_ALLOWED = bytes([0x0A, *range(0x20, 0x7F)])
_NOT_ALLOWED = re.compile("[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,200}")  # the keys taken: a word (libyaml's limit is 1024 characters)
_SINGLE = re.compile(r"'((?:[^']|'')*)'(?: +(?:#.*)?)?")  # a one-line single-quoted scalar, then a comment
_SINGLE_MIDDLE = re.compile(r"(?:[^']|'')*")  # a line of one spanning lines, without its closing quote
_SINGLE_END = re.compile(r"((?:[^']|'')*)'(?: +(?:#.*)?)?")  # its last line
_OPEN = object()  # _scalar's value for a single-quoted scalar that goes on over the next lines
_DOUBLE = re.compile(r'"([^"\\]*)"(?: +(?:#.*)?)?')  # a one-line double-quoted scalar without escapes
# A plain scalar cannot start with an indicator; '-' only when a space or the line's end follows (not handled
# here then). '?' and ':' followed by a character could start one, but record files have no use for them.
_NOT_PLAIN_FIRST = frozenset("#,[]{}&*!|>'\"%@`?:")
# Continuation lines of a folded scalar: YAML reads these characters as text there, but no record file starts a
# line with them, so PyYAML decides.
_NOT_CONTINUATION_FIRST = frozenset("#,[]{}&*!|>%@`?:-")
_SLOW_FIRST = _NOT_PLAIN_FIRST | {"-", " "}  # values read by _scalar, not on the quick path
_MAX_DEPTH, _MAX_NODES = 20, 100_000  # loader.MAX_DEPTH, loader.MAX_NODES (checked by the tests)
_CACHED_TEXT, _CACHE_SIZE = 64, 200_000
_NONE = 1 << 30  # a column past any line: no plain scalar to continue


class _NotMine(Exception):
    """The text is outside the subset (or PyYAML would refuse it): the PyYAML path reads it."""


_resolver = _Loader("")  # the reference loader's resolver and constructor functions, on an empty stream
_resolve = _resolver.resolve
_constructors = _Loader.yaml_constructors
# First characters for which some implicit resolver exists: a plain scalar starting otherwise is text.
_RESOLVABLE_FIRST = frozenset(c for c in _Loader.yaml_implicit_resolvers if c)
_values: dict[str, object] = {}  # plain text -> its value, for short texts (keys, enum values, numbers, dates)
_keys: dict[str, str] = {}  # the keys met so far, checked


def _plain(text: str):
    """What the reference loader makes of a plain scalar's text."""
    if text and text[0] not in _RESOLVABLE_FIRST:
        return text
    value = _values.get(text, _values)
    if value is not _values:
        return value
    tag = _resolve(yaml.ScalarNode, text, _IMPLICIT)
    if tag == _STR:
        value = text
    elif tag in _BUILT:
        try:
            value = _constructors[tag](_resolver, yaml.ScalarNode(tag, text))
        except Exception:  # noqa: BLE001 - e.g. 2020-13-45: the PyYAML path words it
            raise _NotMine from None
    else:
        raise _NotMine
    if len(text) <= _CACHED_TEXT and len(_values) < _CACHE_SIZE:
        _values[text] = value
    return value


def _key(text: str) -> str:
    """A simple key's text, checked (and kept in _keys) the first time it is met."""
    if _KEY.fullmatch(text) is None:
        raise _NotMine  # not a plain word, or a quoted or complex key
    if text[0] in _RESOLVABLE_FIRST and not isinstance(_plain(text), str):
        raise _NotMine  # a key such as 'yes', 'null' or '1' is not text
    if len(_keys) < _CACHE_SIZE:
        _keys[text] = text
    return text


def _scalar(rest: str) -> tuple[object, str | None]:
    """The value written as `rest` (non-empty, not a comment), and its text when it is a plain scalar that
    more-indented lines may continue (else None); or _OPEN and the text so far of a single-quoted scalar that
    goes on over the next lines."""
    first = rest[0]
    if first == "'":
        match = _SINGLE.fullmatch(rest)
        if match is not None:
            return match[1].replace("''", "'"), None
        if _SINGLE_MIDDLE.fullmatch(rest, 1) is None:
            raise _NotMine  # something follows the closing quote
        return _OPEN, rest[1:].rstrip(" ")
    if first == '"':
        match = _DOUBLE.fullmatch(rest)
        if match is None:
            raise _NotMine
        return match[1], None
    if first in _NOT_PLAIN_FIRST or (first == "-" and (len(rest) == 1 or rest[1] == " ")):
        raise _NotMine
    cut = rest.find(" #")
    if cut >= 0:
        rest = rest[:cut]
    if rest[-1] == " ":
        rest = rest.rstrip(" ")
    if ": " in rest or rest[-1] == ":":
        raise _NotMine
    return _plain(rest), rest if cut < 0 else None


def parse(text: str):
    """(data, shapes, root item lines) for a text inside the subset, else None.

    data is what SafeLoader gives; shapes maps id() of every mapping in it to (line of its first key, {key: line},
    {key whose value is a list: line of each item}); root item lines are the line of each item of a list at the top
    (else empty). Lines count from 1, as the loader reports them."""
    try:
        return _parse(text)
    except _NotMine:
        return None


def _parse(text: str):
    if text.isascii():
        if text.encode("ascii").translate(None, _ASCII_ALLOWED):
            return None  # a tab, CR or control character
    elif _NOT_ALLOWED.search(text):
        return None
    comments = " #" in text  # else no value can hold a comment, and the check is skipped
    shapes: dict[int, tuple[int, dict, dict]] = {}
    # Open collections, innermost last: (column, False, dict, key lines, item lines) for a mapping;
    # (column, True, list, item lines, indentless, the parent's item lines, the parent's key) for a sequence.
    stack: list[tuple] = []
    root = None
    root_lines: list[int] = []
    # The innermost collection, unpacked, and the column where a key (a mapping's) or an entry (a sequence's) may
    # be added to it straight away (-1: none, for the other kind, or while a key waits for its value).
    top_map, top_lines, top_items, key_col, item_col = None, None, None, -1, -1
    pending = None  # (mapping, key, column) of a key with nothing after it: what follows decides its value
    # The plain scalar last read, which more-indented lines may continue: its column, where it is kept, its text.
    cont_col, cont_box, cont_at, cont_text = _NONE, None, None, ""
    keys = _keys
    rows = text.split("\n")
    lines_left = enumerate(rows, 1)
    for n, line in lines_left:
        s = line.lstrip(" ")
        if not s:
            cont_col = _NONE  # a blank line ends a plain scalar (a later line cannot fold into it)
            continue
        col = len(line) - len(s)
        # The lines most files are made of, 'key: text' in the innermost mapping and '- text' in a list, first (a
        # line at the column of the keys or entries is not a continuation line).
        if col == key_col:
            k, sep, v = s.partition(": ")
            if sep:
                key = keys.get(k)
                if key is not None and v and key not in top_map:
                    first = v[0]
                    if first not in _SLOW_FIRST:
                        if v[-1] not in " :" and ": " not in v and not (comments and " #" in v):
                            top_lines[key] = n
                            top_map[key] = v if first not in _RESOLVABLE_FIRST else _plain(v)
                            cont_col, cont_box, cont_at, cont_text = col, top_map, key, v
                            continue
                    elif first == "'" and v[-1] == "'" and len(v) > 1 and "'" not in v[1:-1]:
                        top_lines[key] = n
                        top_map[key] = v[1:-1]  # single-quoted, no quote inside
                        cont_col = _NONE
                        continue
            elif s[-1] == ":":
                key = keys.get(s[:-1])
                if key is not None and key not in top_map:
                    top_lines[key] = n
                    top_map[key] = None
                    pending = (top_map, key, col)
                    key_col = item_col = -1
                    cont_col = _NONE
                    continue
        elif col == item_col:
            if s[0] == "-" and s[1:2] == " ":
                v = s[2:]
                if v and v[0] not in _SLOW_FIRST and v[-1] not in " :" and ": " not in v \
                        and not (comments and " #" in v):
                    top_lines.append(n)
                    top_items.append(v if v[0] not in _RESOLVABLE_FIRST else _plain(v))
                    cont_col, cont_box, cont_at, cont_text = col, top_items, len(top_items) - 1, v
                    continue
        elif col > cont_col:  # a line of the plain scalar above, unless it is a comment (which ends it)
            if s[0] == "#":
                cont_col = _NONE
                continue
            if s[-1] == " ":
                s = s.rstrip(" ")
            if s[0] in _NOT_CONTINUATION_FIRST or " #" in s or ": " in s or s[-1] == ":":
                return None
            cont_text = cont_text + " " + s  # the line break and the spaces around it fold into one space
            cont_box[cont_at] = _plain(cont_text)
            continue
        cont_col = _NONE
        first = s[0]
        if first == "#":
            continue
        if first == "-":
            # A sequence entry: '- value' or '- key: value' (the first key of a mapping)
            if s[1:2] != " ":
                return None  # '-x' where a key or entry belongs, or an empty entry
            if col != item_col:
                if pending is not None:
                    mapping, pkey, pcol = pending
                    pending = None
                    if col >= pcol:  # the key's value is this sequence (at the key's column: an indentless one)
                        if len(stack) >= _MAX_DEPTH:
                            return None
                        mapping[pkey] = items = []
                        stack.append((col, True, items, [], col == pcol, stack[-1][4], pkey))
                while stack and stack[-1][0] > col:
                    _close(stack.pop())
                if not stack:
                    if root is not None:
                        return None
                    root = items = []
                    stack.append((col, True, items, root_lines, False, None, None))
                top = stack[-1]
                if not top[1] or top[0] != col:
                    return None
                top_items, top_lines, key_col, item_col = top[2], top[3], -1, col
            top_lines.append(n)
            body = s[2:]
            if body[:1] == " ":
                body = body.lstrip(" ")
            if not body or body[0] == "#":
                return None  # an empty entry, or its value on the next line
            quoted_entry = body[0] in "'\""  # (which may hold ': ')
            k, sep, v = ("", "", "") if quoted_entry else body.partition(": ")
            if not sep:
                if quoted_entry or body[-1] != ":":
                    first = body[0]
                    if first not in _SLOW_FIRST and body[-1] != " " and not (comments and " #" in body):
                        cont_col, cont_box, cont_at, cont_text = col, top_items, len(top_items), body
                        top_items.append(body if first not in _RESOLVABLE_FIRST else _plain(body))
                        continue
                    value, more = _scalar(body)
                    if value is _OPEN:
                        value = _quoted_lines(lines_left, col, more)
                    elif more is not None:
                        cont_col, cont_box, cont_at, cont_text = col, top_items, len(top_items), more
                    top_items.append(value)
                    continue
                k, v = body[:-1], ""
            key = keys.get(k) or _key(k)
            if len(stack) >= _MAX_DEPTH:
                return None
            col += len(s) - len(body)
            mapping, lines, item_lines = {}, {}, {}
            shapes[id(mapping)] = (n, lines, item_lines)
            top_items.append(mapping)
            stack.append((col, False, mapping, lines, item_lines))
            top_map, top_lines, key_col, item_col = mapping, lines, col, -1
        else:
            k, sep, v = s.partition(": ")
            if not sep:
                if s[-1] != ":":
                    return None  # text where a key belongs
                k, v = s[:-1], ""
            key = keys.get(k) or _key(k)
            if col != key_col:
                if pending is not None:
                    mapping, pkey, pcol = pending
                    pending = None
                    if col > pcol:  # the key's value is this mapping
                        if len(stack) >= _MAX_DEPTH:
                            return None
                        mapping[pkey] = mapping = {}
                        lines, item_lines = {}, {}
                        shapes[id(mapping)] = (n, lines, item_lines)
                        stack.append((col, False, mapping, lines, item_lines))
                # A key closes what is more indented, and a sequence at its own column (an indentless one; at a
                # nested sequence's column, no mapping is left to take the key and the text is refused below).
                while stack and (stack[-1][0] > col or (stack[-1][0] == col and stack[-1][1])):
                    _close(stack.pop())
                if not stack:
                    if root is not None:
                        return None
                    root = mapping = {}
                    lines, item_lines = {}, {}
                    shapes[id(mapping)] = (n, lines, item_lines)
                    stack.append((col, False, mapping, lines, item_lines))
                top = stack[-1]
                if top[1] or top[0] != col:
                    return None
                top_map, top_lines, key_col, item_col = top[2], top[3], col, -1
            mapping, lines = top_map, top_lines
        # the key, in the innermost mapping, and its value
        if key in mapping:
            return None  # a duplicate key: the PyYAML path reports it
        lines[key] = n
        if v[:1] == " ":
            v = v.lstrip(" ")
        if not v or v[0] == "#":
            mapping[key] = None
            pending = (mapping, key, col)
            key_col = item_col = -1
            continue
        first = v[0]
        if first not in _SLOW_FIRST and v[-1] not in " :" and ": " not in v and not (comments and " #" in v):
            mapping[key] = v if first not in _RESOLVABLE_FIRST else _plain(v)
            cont_col, cont_box, cont_at, cont_text = col, mapping, key, v
            continue
        value, more = _scalar(v)
        if value is _OPEN:
            value = _quoted_lines(lines_left, col, more)
        elif more is not None:
            cont_col, cont_box, cont_at, cont_text = col, mapping, key, more
        mapping[key] = value
    if root is None:
        return None  # only comments and blank lines
    while stack:
        _close(stack.pop())
    if len(rows) * 6 + 4 > _MAX_NODES and _nodes(root) > _MAX_NODES:
        return None  # a line gives at most six events (below that many lines no count is needed)
    return root, shapes, root_lines


def _quoted_lines(lines_left, col: int, first: str) -> str:
    """A single-quoted scalar over several lines (curators quote a text holding ': '), from the text of its first
    line after the quote: each line break folds into a space, with the spaces around it. Only more-indented lines
    without a blank one between are taken."""
    parts = [first]
    for _n, line in lines_left:
        body = line.lstrip(" ")
        if not body or len(line) - len(body) <= col:
            raise _NotMine
        match = _SINGLE_END.fullmatch(body)
        if match is None:
            if _SINGLE_MIDDLE.fullmatch(body) is None:
                raise _NotMine
            parts.append(body.rstrip(" "))
            continue
        parts.append(match[1])
        return " ".join(parts).replace("''", "'")
    raise _NotMine  # not closed


def _close(frame: tuple) -> None:
    """A frame leaves the stack: a sequence's item lines go to the mapping that holds it, under its key."""
    if frame[1] and frame[5] is not None:
        frame[5][frame[6]] = tuple(frame[3])


def _nodes(data) -> int:
    """The events PyYAML's scan counts for `data`: stream and document start and end, one per scalar, two per
    collection."""
    count, todo = 4, [data]
    while todo:
        value = todo.pop()
        if isinstance(value, dict):
            count += 2 + len(value)
            todo.extend(value.values())
        elif isinstance(value, list):
            count += 2
            todo.extend(value)
        else:
            count += 1
    return count
