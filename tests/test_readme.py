"""The README as a new user meets it: every file it names exists, and its query examples (shell and Python)
run and give what it shows, the same answers as `ciro query`.

The examples run on the committed release in ontology/, the one the README's commands use
(tests/test_build.py holds it equal to a fresh build).
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys

import pytest

from ciro.query import STORE_FILES

from .conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
CIRO = [sys.executable, "-m", "ciro.cli"]
# Paths the README names that a fresh clone has only after a build or a setup step: the site is written by
# `ciro build` (and is not committed), the virtualenv by the setup command.
GENERATED = ("site/", ".venv/")
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.M | re.S)
_PATH = re.compile(r"^(?:[\w.-]+/)+[\w.-]*$|^[\w.-]+\.(?:rq|md|sh|owl|ttl|jsonld|json|tsv|xml|py|svg|yaml|cff)$")


def _blocks(language: str) -> list[str]:
    return [body for lang, body in _FENCE.findall(README) if lang == language]


def _named_paths() -> set[str]:
    """Relative link targets, and the path-like words of inline code and of shell and text blocks."""
    prose = _FENCE.sub("", README)
    words = {target.split("#", 1)[0] for target in re.findall(r"\]\(([^)\s]+)\)", prose)
             if not re.match(r"[a-z]+:", target)}
    commands = [line for block in _blocks("text") for line in block.splitlines() if line.startswith("$ ")]
    shell = [re.sub(r"(^|\s)#.*$", "", block, flags=re.M) for block in _blocks("bash")]  # comments are prose
    spans = re.findall(r"`([^`\n]+)`", prose) + shell + commands
    for span in spans:
        for word in re.split(r"[\s=(),;'\"]+", span):
            word = word.rstrip(".:")
            if _PATH.match(word) and not word.startswith(("/", "http")) and "://" not in word:
                words.add(word)
    return {w for w in words if w}


def test_every_file_the_readme_names_exists():
    named = _named_paths()
    assert {"queries/examples/jak1.rq", "scripts/build.sh", "docs/design.md", "ciro-data.ttl"} <= named
    missing = []
    for word in sorted(named):
        if word.startswith(GENERATED):
            continue
        # a bare release file name (`ciro.owl`) is one of ontology/'s, as the README's build section says
        if not any((base / word).exists() for base in (REPO, REPO / "ontology", REPO / "ontology" / "imports")):
            missing.append(word)
    assert not missing, f"the README names files that are not in the repository: {missing}"


def _run(argv: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=300)


def _shell_commands() -> list[list[str]]:
    """The `ciro query` command lines of the README's shell blocks, as argument lists (comments dropped)."""
    commands = []
    for block in _blocks("bash"):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            if words[:2] == [".venv/bin/ciro", "query"]:
                commands.append(words[1:])
    return commands


def test_the_readme_query_commands_run():
    commands = _shell_commands()
    assert len(commands) >= 3
    ran = 0
    for args in commands:
        if "--endpoint" in args:
            continue  # needs a running triple store: tests/test_serve.py runs `ciro query --endpoint` on ciro serve
        done = _run(CIRO + args)
        assert done.returncode == 0, (args, done.stderr)
        assert done.stdout.strip() and not done.stderr, (args, done.stderr)
        ran += 1
    assert ran >= 2


def test_the_example_query_is_a_file_and_gives_the_output_shown():
    [sparql] = [b for b in _blocks("sparql") if "hgnc/6190" in b]
    [shown] = [b for b in _blocks("text") if b.startswith("$ .venv/bin/ciro query")]
    command, *output = shown.splitlines()
    words = shlex.split(command.removeprefix("$ "))
    path = REPO / words[-1]
    assert path.is_file(), f"the README runs {words[-1]}, which is not in the repository"
    body = "".join(line + "\n" for line in path.read_text(encoding="utf-8").splitlines()
                   if not line.startswith("#"))
    assert body == sparql, "the README's SPARQL block differs from the file its command runs"
    done = _run(CIRO + words[1:])
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == output


def test_the_python_example_gives_the_answers_of_ciro_query():
    [snippet] = _blocks("python")
    loaded = re.findall(r'\("([^"]+)", pyoxigraph\.RdfFormat\.(\w+)\)', snippet)
    formats = {"TURTLE": "turtle", "RDF_XML": "rdfxml"}
    assert [(name, formats[fmt]) for name, fmt in loaded] == [(name, fmt) for name, fmt, _ in STORE_FILES], \
        "the README's Python example must load the files `ciro query` loads (ciro.query.store.STORE_FILES)"
    query = re.search(r'open\("(queries/[^"]+)"', snippet).group(1)
    python = _run([sys.executable, "-c", snippet])
    assert python.returncode == 0, python.stderr
    cli = _run(CIRO + ["query", "--format", "tsv", query])
    assert cli.returncode == 0, cli.stderr
    assert python.stdout == cli.stdout
    rows = [line.split("\t") for line in python.stdout.splitlines()]
    header, rows = rows[0], rows[1:]
    if "taxonLabel" in header:  # the import module's labels are there: what issue 18 found missing
        labels = {row[header.index("taxonLabel")] for row in rows}
        assert "Akkermansia muciniphila" in labels, labels


@pytest.mark.parametrize("words", ["ciro serve", "ciro validate", "ciro mint", "ciro ingest", "ciro docs"])
def test_the_commands_the_readme_names_exist(words):
    done = _run(CIRO + [words.split()[1], "--help"])
    assert done.returncode == 0 and "Usage:" in done.stdout, done.stderr
