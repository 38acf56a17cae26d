"""`ciro validate` warns when a term of the last release vanished from instances/ without being obsoleted."""

from __future__ import annotations

import shutil

from click.testing import CliRunner

from ciro.cli import main

from .conftest import REPO, copy_project

ARNAX = "instances/countermeasures/icb-combined-with-arnax.yaml"  # CIRO:0000347; no other record links to it


def _project(tmp_path, drop_from_ledger: bool):
    layout = copy_project(tmp_path)
    shutil.copytree(REPO / "releases" / "0.1.0", layout.releases / "0.1.0")
    (layout.root / ARNAX).unlink()
    if drop_from_ledger:
        ledger = layout.id_ledger.read_text(encoding="utf-8").splitlines(keepends=True)
        layout.id_ledger.write_text("".join(line for line in ledger if not line.startswith("CIRO:0000347\t")),
                                    encoding="utf-8")
    return layout


def test_vanished_released_term_is_a_warning(tmp_path):
    layout = _project(tmp_path, drop_from_ledger=True)
    result = CliRunner().invoke(main, ["validate", "--root", str(layout.root), "--no-shacl"])
    assert result.exit_code == 0, result.output  # a warning does not fail validation
    (line,) = [ln for ln in result.output.splitlines() if "is in release" in ln]
    where, rest = line.split(": ", 1)
    assert rest == ("CIRO:0000347: -: CIRO:0000347 ('ICB combined with ARNAX') is in release 0.1.0 but in no record "
                    "under instances/ and not obsoleted: a released term is never deleted; restore its record with "
                    "deprecated: true (and replaced_by or consider) [warning]")
    path, number = where.rsplit(":", 1)
    assert path == "releases/0.1.0/ciro.ttl"
    assert (layout.root / path).read_text(encoding="utf-8").splitlines()[int(number) - 1].startswith("CIRO:0000347 a ")
    assert "0 error(s), 1 warning(s)" in result.output


def test_ledger_error_is_not_repeated_as_a_warning(tmp_path):
    layout = _project(tmp_path, drop_from_ledger=False)
    result = CliRunner().invoke(main, ["validate", "--root", str(layout.root), "--no-shacl"])
    assert result.exit_code == 1
    assert "CIRO:0000347 ('ICB combined with ARNAX', a countermeasure) is in no file under instances/" in result.output
    assert "is in release" not in result.output


def test_no_warning_while_every_released_term_is_there(tmp_path):
    layout = copy_project(tmp_path)
    shutil.copytree(REPO / "releases" / "0.1.0", layout.releases / "0.1.0")
    result = CliRunner().invoke(main, ["validate", "--root", str(layout.root), "--no-shacl"])
    assert result.exit_code == 0 and "0 error(s), 0 warning(s)" in result.output, result.output
