"""Progress of `ciro build` and `ciro validate`: step lines on stdout, errors on stderr; a bar (on stderr) only on a
terminal outside CI."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from ciro import progress
from ciro.cli import main

from .conftest import copy_project


def _run(args: list[str]):
    return CliRunner().invoke(main, args, catch_exceptions=False)


@pytest.fixture(autouse=True)
def _bars_off_afterwards():
    yield
    progress.use_bars(False)


@pytest.fixture
def project(tmp_path):
    return copy_project(tmp_path)


def test_plain_mode_build_steps_on_stdout(project, tmp_path, monkeypatch):
    monkeypatch.delenv("CI", raising=False)  # CliRunner's stdout is not a terminal: plain mode all the same
    result = _run(["build", "--no-docs", "--root", str(project.root), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    steps = [line for line in result.stdout.splitlines() if line.startswith("[")]
    assert [line.split("]")[0] for line in steps] == [f"[{k}/7" for k in range(1, 8)]
    assert "release written to" in result.stdout
    assert "[1/7]" not in result.stderr and "\r" not in result.stderr and "writing the release" not in result.stderr


def test_terminal_mode_draws_bars_on_stderr(project, tmp_path, monkeypatch):
    monkeypatch.setattr(progress, "on_terminal", lambda stream=None: True)
    result = _run(["build", "--no-docs", "--root", str(project.root), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "writing the release" in result.stderr and "reading instances" in result.stderr  # tqdm's bars
    assert "[7/7]" in result.stdout and "[7/7]" not in result.stderr


def test_ci_means_no_bar(monkeypatch):
    class Terminal:
        def isatty(self):
            return True

    monkeypatch.setenv("CI", "true")
    assert not progress.on_terminal(Terminal())
    monkeypatch.delenv("CI")
    assert progress.on_terminal(Terminal())


def test_errors_go_to_stderr(project, tmp_path):
    record = next((project.instances / "mechanisms").glob("*.yaml"))
    record.write_text(record.read_text(encoding="utf-8").replace("label:", "lable:", 1), encoding="utf-8")
    result = _run(["build", "--no-docs", "--root", str(project.root), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "lable" in result.stderr and "build stopped" in result.stderr
    assert "lable" not in result.stdout and "build stopped" not in result.stdout


def test_validate_terminal_mode(project, monkeypatch):
    monkeypatch.setattr(progress, "on_terminal", lambda stream=None: True)
    result = _run(["validate", "--root", str(project.root)])
    assert result.exit_code == 0, result.output
    assert "quotes" in result.stderr and "schema layer" in result.stderr
    assert "0 error(s)" in result.stdout and "0 error(s)" not in result.stderr
