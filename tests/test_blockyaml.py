"""blockyaml (the reader of plain block YAML) against the PyYAML path, the reference: for every text, either
blockyaml gives up (None) or it gives exactly what the reference gives, value types, key order and every line number
included, and the loader makes the same records and problems of it. It must also take the files curators and the
generator write, else the loader silently loses its speed."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ciro.bench import generate
from ciro.curate import blockyaml, loader

from .conftest import REPO


def _reference(text: str):
    """What the PyYAML path reads: the data (repr: types and key order count) and the lines of every collection, in
    document order; None when it refuses the text."""
    try:
        data, node = loader._parse(loader._decode(text.encode("utf-8")))
    except loader._FileProblem:
        return None
    shapes = []
    todo = [node]
    while todo:
        node = todo.pop()
        if isinstance(node, yaml.MappingNode):
            lines = {str(k.value): k.start_mark.line + 1 for k, _v in node.value}
            items = {str(k.value): tuple(i.start_mark.line + 1 for i in v.value) for k, v in node.value
                     if isinstance(v, yaml.SequenceNode)}
            shapes.append(("map", node.start_mark.line + 1, lines, items))
            todo.extend(v for _k, v in reversed(node.value))
        elif isinstance(node, yaml.SequenceNode):
            shapes.append(("seq", tuple(i.start_mark.line + 1 for i in node.value)))
            todo.extend(reversed(node.value))
    return repr(data), shapes


def _mine(text: str):
    """What blockyaml reads, in _reference's terms; None when it gives up."""
    parsed = blockyaml.parse(text)
    if parsed is None:
        return None
    data, shapes_by_id, root_lines = parsed
    shapes = []
    todo = [(data, tuple(root_lines))]
    while todo:
        value, item_lines = todo.pop()
        if isinstance(value, dict):
            line, lines, items = shapes_by_id[id(value)]
            shapes.append(("map", line, dict(lines), dict(items)))
            todo.extend((v, items.get(k)) for k, v in reversed(value.items()))
        elif isinstance(value, list):
            shapes.append(("seq", item_lines))
            todo.extend((v, None) for v in reversed(value))
    return repr(data), shapes


def _records(entry):
    records, problems, unread = entry
    at = {id(r): n for n, r in enumerate(records)}
    return ([(r.kind, repr(r.data), r.name, r.file, r.line, r.lines, r.item_lines,
              at[id(r.parent)] if r.parent is not None else None, r.index) for r in records],
            problems, unread)


def _check(text: str, kind: str = "mechanisms") -> bool:
    """blockyaml gives up on `text` or agrees with the reference; whether it took it."""
    mine = _mine(text)
    if mine is None:
        return False
    assert mine == _reference(text), text
    raw = text.encode("utf-8")
    assert _records(loader._parse_file(kind, "f.yaml", raw)) == _records(loader._parse_file_pyyaml(kind, "f.yaml", raw))
    return True


def _texts(folder: Path) -> list[tuple[Path, str]]:
    return [(p, p.read_text(encoding="utf-8")) for p in sorted(folder.rglob("*.yaml"))
            if p.is_file() and "sources" not in p.relative_to(folder).parts]


CURATED = _texts(REPO / "instances")


def test_record_made_as_the_dataclass_makes_it():
    """loader._record skips Record's __init__: it must give the same fields, in the same order, and nothing else."""
    parent = loader.Record("mechanisms", {"id": "x"}, "x", "f.yaml", 1, {"id": 1})
    args = ("evidence", {"id": "y"}, "y", "f.yaml", 3, {"id": 3}, parent, 2, {"a": (4, 5)})
    made, reference = loader._record(*args), loader.Record(*args)
    assert type(made) is loader.Record and list(vars(made).items()) == list(vars(reference).items())
    assert [f.name for f in dataclasses.fields(loader.Record)] == list(vars(made))
    assert made.where("a", 1) == reference.where("a", 1) and made.id == "y"
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.line = 4


def test_limits_are_the_loaders():
    assert (blockyaml._MAX_DEPTH, blockyaml._MAX_NODES) == (loader.MAX_DEPTH, loader.MAX_NODES)


def test_curated_files_taken_and_same():
    assert len(CURATED) > 100
    refused = [path.name for path, text in CURATED if not _check(text, loader._kind(path))]
    assert refused == []


@pytest.mark.parametrize(("n", "seed", "inject"), [(400, 0, False), (400, 1, True), (1500, 7, False), (2500, 3, True)])
def test_generated_files_taken_and_same(tmp_path, n, seed, inject):
    generate(n, tmp_path / "kb", seed=seed, inject=inject)
    files = _texts(tmp_path / "kb" / "instances")
    refused = [text for path, text in files if not _check(text, loader._kind(path))]
    assert len(files) > 100
    # Only injected errors: a broken file, or an empty evidence list written '[]' (flow style, left to PyYAML).
    assert all(_reference(text) is None or "[]" in text for text in refused)
    assert len(refused) <= (6 if inject else 0)


def test_fixture_files_same():
    """The test projects' files, broken ones included: blockyaml gives up on every one the reference refuses."""
    taken = 0
    for path in sorted((REPO / "tests" / "data").rglob("*.yaml")):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        taken += _check(text, loader._kind(path) or "mechanisms")
    assert taken > 100


TAKEN = [
    "id: CIRO:0000001\nlabel: x\n",
    "id: a\nlist:\n- b\n- c\nafter: d\n",
    "id: a\nlist:\n  - b\n  - c\nafter: d\n",
    "- id: a\n  x: 1\n- id: b\n  y: 2.5\n",
    "id: a\nhas_evidence:\n- id: e1\n  quote: a long text\n    folded over lines\n    and more\n  n: 3\n- id: e2\n",
    "id: a\ncomment: one\n  two\n\nnext: x\n",
    "id: a\nq: 'it''s: quoted # not a comment'\nd: \"double: quoted\"\ne: '' # empty\n",
    "id: a\nq: 'a quoted text: over\n  two lines'\nr: x\n",
    "id: a\nq: 'a quoted text\n  over three\n    lines '' here'\n",
    "- 'quoted item\n  over two lines'\n- b\n",
    "id: a # the id\n# a comment\n  # an indented comment\nb: c   \nc:   d\n",
    "id: a\nempty:\nnull_value: ~\nyes_value: yes\noff_value: off\nint: 0x1F\nfloat: 1_000.5\n",
    "id: a\ndate: 2026-11-29\nstamp: 2026-11-29 10:00:00\nstamp2: 2001-12-14t21:59:43.10-05:00\n",
    "id: a\nn: -5\nm: +7\ninf: .inf\nnan: .NaN\ntext: -external\ndots: ... and more\n",
    "id: a\nnested:\n  deeper:\n    deepest: 1\n  back: 2\nlast: 3\n",
    "id: a\nurl: http://example.org/a#b\ncurie: CIRO:0000001\ncolon_end: a:b\nhash: C#\n",
    "  id: a\n  b: c\n",
    "id: a\nx: caf\u00e9 \u00a0nbsp\u00a0\ny: \U0001F600\n",
    "id: a\nitems:\n-   spaced: 1\n    more: 2\n- b\n",
    "- a\n- 1\n- id: c\n",
    "id: a\nk:\n- x\n  y\n",
    "id: a\nlast: no newline at the end",
    "a: b\n  'c\n",
    "a:\n  b:\n   - c\n",
    "a:\n- b\n c\n",
    "a.b-c: d\n",
    "- 'a: b'\n- \"c: d\"\n- 'e:'\n",
    "id: a\nb: '#not a comment'\nc: x #comment\n",
]

REFUSED = [
    "a:\tb\n", "a: b\r\nc: d\n", "\ufeffa: b\n", "a: b\u2028c\n", "a: b\x85c\n", "a: [b]\n", "a: {b: c}\n",
    "a: |\n  b\n", "a: >\n  b\n", "a: &x b\nc: *x\n", "a: !!str 1\n", "---\na: b\n", "a: b\n...\n",
    "%YAML 1.1\n---\na: b\n", "? a\n: b\n", "a: b: c\n", "a: b:\n", "a:\n  b\n", "a: 1\na: 2\n", "a: b\n  c: d\n",
    "a:\n    b: 1\n  c: 2\n",
    "a:\n- b\nc: d\n- e\n", "a:\n  - b\n  c: d\n", "a: 'b\n", "a: 'b' c\n", "a: \"b\\n\"\n", "a: \"b\n  c\"\n",
    "'a': b\n", "1: a\n", "yes: a\n", "null: a\n", "a: 2020-13-45\n", "a: <<\n", "a: =\n", "# only a comment\n", "",
    "a: b\n\n  c\n", "a: b\n  # c\n  d\n", "a: b # c\n  d\n", "-\n  a: b\n", "- - a\n", "a: - b\n", "- a: b\n  - c\n",
    "a: `b`\n", "a: @b\n", "a: %b\n", "a: ,b\n", "a: ?b\n", "a: :b\n", "a b: c\n", "a : b\n", "a:b\n", "just text\n",
    "a: b\n c: d\n", "a: 'b'\n  c\n", "a: b\n  - c\n", "a: b\n  [c]\n", "a: b\n---\n", "id: a\nx:\n- a\n - b\n",
    "a:\n  b:\n - c\n", "- 'a': b\n", "- \"a\": b\n", "- 'a' b\n", "- a:\n - b\n", "a:\n b:\n- c\n",
    "a:\n" + "".join("  " * i + "b:\n" for i in range(1, 21)) + "  " * 21 + "c: 1\n",
]


@pytest.mark.parametrize("text", TAKEN)
def test_taken(text):
    assert _check(text), text


@pytest.mark.parametrize("text", REFUSED)
def test_refused(text):
    assert blockyaml.parse(text) is None


def test_depth_limit():
    """Up to MAX_DEPTH nested collections are read, one more is left to PyYAML (which refuses it)."""
    def nested(levels):
        return "".join("  " * i + "k:\n" for i in range(levels - 1)) + "  " * (levels - 1) + "k: 1\n"
    assert _check(nested(loader.MAX_DEPTH))
    assert blockyaml.parse(nested(loader.MAX_DEPTH + 1)) is None and _reference(nested(loader.MAX_DEPTH + 1)) is None


def test_node_limit():
    """A long file within MAX_NODES is read; one past it is left to PyYAML."""
    def items(count):
        return "id: a\nl:\n" + "- x\n" * count
    under = loader.MAX_NODES - 4 - 2 - 3 - 2  # stream, document, the mapping, its two keys and the id, the list
    assert _check(items(under))
    assert blockyaml.parse(items(under + 1)) is None and _reference(items(under + 1)) is None


# Mutations of real files: whatever a curator's slip makes of a file, blockyaml must not read it otherwise than PyYAML.
TOKENS = [": ", ":", " #", "#", "'", "''", '"', "\t", "-", "- ", "[", "]", "{", "}", "&a ", "*a", "!", "!!str ", "|",
          ">", "%", "?", "? ", "@", "`", ",", "\u00a0", "\u3000", "\u2028", "\x85", "\ufeff", "\r", " ", "  ", "---",
          "...", "~", "yes", "null", "1", "0x1F", "2020-01-01", "2020-13-45", ".inf", "<<", "=", "\\", "\n", "\n  ",
          "\n\n", "\n- ", "\n#", "x: y", "id", "\x00", "\x7f"]


def _mutate(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    kind = rng.randrange(7)
    at = rng.randrange(len(lines))
    line = lines[at]
    if kind == 0:  # insert a token
        where = rng.randrange(len(line) + 1)
        lines[at] = line[:where] + rng.choice(TOKENS) + line[where:]
    elif kind == 1 and line:  # replace a character
        where = rng.randrange(len(line))
        lines[at] = line[:where] + rng.choice(TOKENS) + line[where + 1:]
    elif kind == 2:  # change the indentation
        body = line.lstrip(" ")
        lines[at] = " " * max(0, len(line) - len(body) + rng.choice((-2, -1, 1, 2, 4))) + body
    elif kind == 3 and at + 1 < len(lines):  # join two lines
        lines[at:at + 2] = [line + rng.choice(("", " ")) + lines[at + 1].lstrip(rng.choice(("", " ")))]
    elif kind == 4:  # split a line
        where = rng.randrange(len(line) + 1)
        lines[at:at + 1] = [line[:where], " " * rng.randrange(6) + line[where:]]
    elif kind == 5:  # repeat a line (a duplicate key, or one more item)
        lines.insert(at, line)
    else:  # delete a character
        if line:
            where = rng.randrange(len(line))
            lines[at] = line[:where] + line[where + 1:]
    return "\n".join(lines)


def test_mutated_files_random():
    rng = random.Random(20261129)
    taken = tried = 0
    for _round in range(12):
        for path, text in CURATED:
            mutated = text
            for _step in range(rng.choice((1, 1, 2, 3))):
                mutated = _mutate(mutated, rng)
            tried += 1
            taken += _check(mutated, loader._kind(path))
    assert taken > tried // 5  # most mutations keep the file in the subset: those are compared


@settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(range(len(CURATED))), st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(TOKENS),
                                                                 st.integers(0, 6)), min_size=1, max_size=4))
def test_mutated_files_hypothesis(which, edits):
    text = CURATED[which][1]
    for position, token, kind in edits:
        lines = text.split("\n")
        at = position % len(lines)
        line = lines[at]
        where = position % (len(line) + 1)
        if kind <= 2:
            lines[at] = line[:where] + token + line[where + (kind == 1):]
        elif kind == 3:
            lines[at] = " " * (position % 5) + line.lstrip(" ")
        elif kind == 4 and at + 1 < len(lines):
            lines[at:at + 2] = [line + " " + lines[at + 1].lstrip(" ")]
        elif kind == 5:
            lines[at:at + 1] = [line[:where], " " * (position % 7) + line[where:]]
        else:
            lines.insert(at, line)
        text = "\n".join(lines)
    _check(text, loader._kind(CURATED[which][0]))
