"""docs/curation.md, run as written: every step on a copy of the project, every quoted message checked.

The guide's blocks are its script (docs/curation.md says how to write them): `console` blocks hold commands
(`$ ...`) and lines each must print, in order; `yaml file=PATH` writes a file, `yaml append=PATH` adds to one;
a `diff file=PATH` block is a mistake, undone after the next `console` block. Ids the guide minted are mapped
to the ids `ciro mint` gives on the copy, so the guide stays right as the ledger grows.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

GUIDE = REPO / "docs" / "curation.md"
CIRO = Path(sys.executable).parent / "ciro"
_BLOCK = re.compile(r"^```(?P<info>[^\n]*)\n(?P<body>.*?)^```$", re.S | re.M)
_ID = re.compile(r"CIRO:\d{7}")
_TIMING = re.compile(r"\d+(?:\.\d+)? s\b")


def blocks(text: str) -> list[tuple[str, dict[str, str], str]]:
    """(kind, options, body) for each fenced block of the guide."""
    out = []
    for match in _BLOCK.finditer(text):
        kind, *options = match["info"].split()
        out.append((kind, dict(o.split("=", 1) for o in options if "=" in o), match["body"]))
    return out


def steps(body: str) -> list[tuple[str, list[str]]]:
    """A console block as (command, lines it must print)."""
    out: list[tuple[str, list[str]]] = []
    for line in body.splitlines():
        if line.startswith("$ "):
            out.append((line[2:], []))
        elif line.strip():
            out[-1][1].append(line)
    return out


def normalise(output: str, root: Path) -> list[str]:
    """Output as the guide shows it: paths relative to the project, timings as '…'."""
    return [_TIMING.sub("… s", line.replace(f"{root}/", "").replace(str(root), ".")) for line in output.splitlines()]


def apply_diff(path: Path, body: str) -> None:
    old = "\n".join(line[1:] for line in body.splitlines() if line.startswith("-")) + "\n"
    new = "\n".join(line[1:] for line in body.splitlines() if line.startswith("+")) + "\n"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"the guide's mistake does not apply to {path.name}: {old!r}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_the_guide_runs_as_written(tmp_path):
    root = tmp_path / "project"
    for folder in ("schema", "instances", "queries", "docs/examples"):
        shutil.copytree(REPO / folder, root / folder)
    ids: dict[str, str] = {}  # id in the guide -> id minted on the copy

    def mapped(text: str) -> str:
        return _ID.sub(lambda m: ids.get(m[0], m[0]), text)

    undo: tuple[Path, str] | None = None
    checked = 0
    for kind, options, body in blocks(GUIDE.read_text(encoding="utf-8")):
        if kind == "yaml" and "file" in options:
            (root / options["file"]).write_text(mapped(body), encoding="utf-8")
        elif kind == "yaml" and "append" in options:
            with (root / options["append"]).open("a", encoding="utf-8") as handle:
                handle.write(mapped(body))
        elif kind == "diff":
            path = root / options["file"]
            undo = (path, path.read_text(encoding="utf-8"))
            apply_diff(path, mapped(body))
        elif kind == "console":
            for command, expected in steps(body):
                argv = shlex.split(command)
                assert argv[0] == "ciro", command
                run = subprocess.run([str(CIRO), *argv[1:]], cwd=root, capture_output=True, text=True, timeout=600)
                printed = normalise(run.stdout + run.stderr, root)
                assert "Traceback" not in run.stderr, run.stderr
                if argv[1] == "mint":
                    minted = [line for line in printed if _ID.fullmatch(line)]
                    assert len(minted) == len(expected), printed
                    ids.update(zip(expected, minted, strict=True))
                    continue
                at = 0
                for line in (mapped(e) for e in expected):
                    assert line in printed[at:], f"`{command}` did not print, in order:\n{line}\nit printed:\n" + \
                        "\n".join(printed)
                    at = printed.index(line, at) + 1
                    checked += 1
                errors = any(re.match(r"^instances/\S+:\d+: ", line) or re.search(r": [1-9]\d* error\(s\)", line)
                             for line in expected)
                assert (run.returncode != 0) == errors, (command, run.returncode, printed)
            if undo is not None:
                undo[0].write_text(undo[1], encoding="utf-8")
                undo = None
    assert checked >= 15, "the guide quotes fewer messages than it should"
    assert (root / "ontology" / "ciro.owl").is_file(), "the guide's build step wrote no release"


def test_the_guide_quotes_only_the_tools_own_messages():
    # A mistake's expected line must name the file and field it changed: the test above then proves the tool says it.
    for kind, _options, body in blocks(GUIDE.read_text(encoding="utf-8")):
        if kind == "console" and "validate" in body:
            for _command, expected in steps(body):
                for line in expected:
                    assert re.match(r"^(instances/\S+:\d+: \S+: \S+: .+|\d+ files, \d+ records: .+)$", line), line
