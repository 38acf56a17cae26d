#!/usr/bin/env python3
"""Refresh imports/*.tsv from the source ontologies (ODK's `make refresh-imports`), by hand, never in CI.

    python scripts/refresh_imports.py MIRRORS

MIRRORS holds one git directory per source repository, <owner>+<name>/repo (as the fetch tool leaves them);
the sources are listed in src/ciro/imports/sources.py. The seeds are the ids of instances/external_terms/.
"""

import sys
from pathlib import Path

from ciro.imports.refresh import RefreshError, git_reader, refresh, registry_seeds
from ciro.layout import Layout


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    layout = Layout.find()
    try:
        tables = refresh(git_reader(Path(argv[0])), registry_seeds(layout.instances / "external_terms"),
                         layout.root / "imports")
    except RefreshError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for name, table in tables.items():
        stops = f"; stops: {' '.join(table.stops)}" if table.stops else ""
        print(f"imports/{name}.tsv: {len(table.terms)} terms, {table.version_iri or 'no versionIRI'}, "
              f"{table.commit}{stops}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
