"""The site's releases/: every kept release copied at its versioned path (releases/<version>/ciro.owl, as its
version IRI reads), and a page listing them with their dates, files and notes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ..layout import Layout
from ..versions import kept_releases, term_history
from .html import esc

__all__ = ["write_releases", "site_term_history"]

_SHOWN = ("ciro.owl", "ciro.ttl", "ciro.jsonld", "ciro-base.owl", "ciro-full.owl", "ciro-data.ttl")


def site_term_history(layout: Layout) -> dict:
    """`ciro.versions.term_history` of the project's kept releases (the term pages' release notes)."""
    return term_history(layout.releases)


def write_releases(site, layout: Layout) -> int:
    """Copy each kept release into `site.out`/releases/<version>/ and write releases/index.html; returns how
    many releases were copied. `site` is the docs._Site being written (its `out` and `shell`)."""
    kept = list(reversed(kept_releases(layout.releases)))
    rows = []
    for release in kept:
        version = str(release.version)
        shutil.copytree(release.path, Path(site.out) / "releases" / version)
        manifest = json.loads((release.path / "release-manifest.json").read_text(encoding="utf-8"))
        files = " · ".join(f'<a href="{esc(version)}/{esc(name)}">{esc(name)}</a>' for name in _SHOWN
                           if (release.path / name).is_file())
        rows.append(f"<tr><td><strong>{esc(version)}</strong></td><td>{esc(manifest.get('release_date', ''))}</td>"
                    f"<td><code>https://w3id.org/ciro/releases/{esc(version)}/ciro.owl</code></td><td>{files}</td></tr>")
    body = ("<h1>Releases</h1><p>Every CIRO release is kept as it was cut, at the path of its version IRI: pin one "
            "with <code>owl:imports</code> of its version IRI. What changed between two releases: "
            "<code>ciro diff OLD NEW</code>, and the release notes in CHANGELOG.md.</p>")
    if rows:
        body += ("<table><tr><th>Version</th><th>Date</th><th>Version IRI</th><th>Files</th></tr>"
                 + "".join(rows) + "</table>")
    else:
        body += "<p>No release has been cut yet (<code>ciro release VERSION</code>).</p>"
    site.shell("releases/index.html", "Releases", body)
    return len(kept)
