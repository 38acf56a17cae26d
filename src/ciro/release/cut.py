"""`ciro release VERSION`: cut a release from a clean, valid tree into releases/VERSION/, never touching an
earlier one, then rebuild ontology/ so that its catalog maps the new version IRIs to the new folder."""

from __future__ import annotations

import datetime
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..curate.errors import CiroError
from ..layout import Layout
from ..versions import SemVer, kept_releases
from .model import model_for

__all__ = ["ReleaseRefused", "cut_release", "INPUTS"]

# What a release is built from, relative to the project root: these must be committed (the release
# manifest's source digest covers the same files).
INPUTS = ("schema", "instances", "imports")


class ReleaseRefused(CiroError):
    """The release was not cut: the version, the tree or the validation said no (nothing was written)."""


def _check_clean(layout: Layout) -> None:
    try:
        proc = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all", "--", *INPUTS],
                              cwd=layout.root, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise ReleaseRefused("git not found: cannot tell whether the inputs are committed (--allow-dirty to "
                             "cut anyway)") from exc
    if proc.returncode != 0:
        raise ReleaseRefused(f"{layout.root} is not a git checkout ({proc.stderr.strip()}): cannot tell whether the "
                             "inputs are committed (--allow-dirty to cut anyway)")
    changed = proc.stdout.splitlines()
    if changed:
        shown = "\n".join("  " + line for line in changed[:10]) + ("\n  ..." if len(changed) > 10 else "")
        raise ReleaseRefused(f"{len(changed)} uncommitted change(s) under {', '.join(INPUTS)}/; commit them first, "
                             f"so that the release can be rebuilt from a commit:\n{shown}")


def cut_release(layout: Layout, version: str, release_date: str | None = None, allow_dirty: bool = False,
                engine: str = "fast", progress: Callable[[str], None] = print) -> Path:
    """Write releases/<version>/ and rebuild ontology/; returns the release folder.

    Refused (ReleaseRefused, nothing written) when `version` is not a semantic version, is not newer than
    every kept release, differs from the schema's `version` (which the products carry: the OWL headers and
    the JSON Schema), or when the inputs have uncommitted changes (unless `allow_dirty`). Validation errors
    raise ValidationFailed, as `ciro build` does. The release is built in a temporary folder and moved into
    place, so a failed cut leaves no half-written folder; earlier releases are never opened for writing."""
    from .build import build_release

    try:
        wanted = SemVer.parse(version)
    except ValueError as exc:
        raise ReleaseRefused(str(exc)) from exc
    date = release_date or datetime.datetime.now(datetime.UTC).date().isoformat()
    try:
        datetime.date.fromisoformat(date)
    except ValueError as exc:
        raise ReleaseRefused(f"release date '{date}' is not a date (YYYY-MM-DD)") from exc
    kept = kept_releases(layout.releases)
    if kept and not kept[-1].version < wanted:
        raise ReleaseRefused(f"version {version} is not newer than the last release, {kept[-1].version} "
                             f"({kept[-1].path}); releases are never replaced")
    target = layout.releases / version
    if target.exists():
        raise ReleaseRefused(f"{target} exists already; releases are never replaced")
    schema_version = model_for(layout.schema).version
    if schema_version != version:
        raise ReleaseRefused(f"schema/ciro.yaml says version: {schema_version}; set it to {version} and commit "
                             "that first (the OWL headers and the JSON Schema carry the schema's version)")
    if not allow_dirty:
        _check_clean(layout)

    layout.releases.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{version}.", suffix=".tmp", dir=layout.releases))
    try:
        build_release(layout, staging / version, progress=progress, engine=engine, release_date=date)
        if target.exists():  # another cut won the race
            raise ReleaseRefused(f"{target} appeared while the release was built; left as it is")
        (staging / version).rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    progress(f"release {version} ({date}) written to {target}")
    # ontology/ (the build of the tree) gets a catalog that maps the new version IRIs to their folder.
    build_release(layout, progress=progress, engine=engine)
    return target

