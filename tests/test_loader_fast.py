"""The loader's fast path (compose in C, build in one walk) gives what the checked path gives: the same data, or
the same message for every file the checked path refuses (it hands those files to the checked path)."""

from __future__ import annotations

import pytest

from ciro.curate import loader

from .conftest import REPO

ODD = [
    "id: CIRO:0000001\nlabel: x\n", "a: 2026-11-29\nb: 2026-11-29 10:00:00\n", "a: 2020-13-45\n", "a: 1\na: 2\n",
    "a: yes\nb: No\nc: ~\nd: .inf\ne: 0x1F\nf: 1_000\ng: 0o17\nh: 1.5e3\ni: '1'\n", "1: a\n0x1: b\n",
    "<<: {a: 1}\nb: 2\n", "a: &x 1\nb: *x\n", "a: !!set {x, y}\n", "a: !!binary aGVsbG8=\n", "=: 1\n",
    "a: =\n", "? [1, 2]\n: x\n", "a: !!omap [x: 1]\n", "a: !!python/object:os.system x\n", "- a\n- [b, {c: d}]\n",
    "a: " + "[" * 21 + "]" * 21 + "\n", "a: " + "[" * 20 + "]" * 20 + "\n", "---\na: 1\n---\nb: 2\n", "# only\n",
    "a: 'x\n", "a:\n\t- b\n", "a: b: c\n", "[" * 3000 + "]" * 3000, "a: " + ", ".join(["x"] * 10) + "\n",
    "a: [" + ", ".join(["1"] * 60000) + "]\n", "a: [" + ", ".join(["1"] * 49997) + "]\n", "a: !!str 1\nb: !!int '2'\n",
    "{a: 1, a: 2}\n", "a: 1\n? a\n: 2\n", "'a': 1\na: 2\n", "null: 1\n~: 2\n", "a: \"\\u00e9\"\n",
]


def _outcome(parse, text):
    try:
        data, node = parse(text)
    except loader._FileProblem as exc:
        return "problem", exc.message, exc.line
    return "data", repr(data), node.start_mark.line, node.end_mark.line


@pytest.mark.parametrize("text", ODD)
def test_odd_yaml_same_outcome(text):
    assert _outcome(loader._parse, text) == _outcome(loader._parse_checked, text)


def test_fixtures_and_curated_files_same_outcome():
    files = [p for folder in ("instances", "tests/data") for p in (REPO / folder).rglob("*.yaml") if p.is_file()]
    fast = 0
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        assert _outcome(loader._parse, text) == _outcome(loader._parse_checked, text), path
        if "*" in text or sum(text.count(c) for c in loader._NESTING_CHARS) > loader._FAST_NESTING:
            continue
        try:
            loader._parse_fast(text)
            fast += 1
        except Exception:  # noqa: BLE001 - left to the checked path
            pass
    assert len(files) > 200 and fast > len(files) // 2
