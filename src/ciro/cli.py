"""The `ciro` command: wires the stages together; heavy imports happen inside each command."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .errors import CiroError, ValidationFailed
from .layout import Layout

__all__ = ["main"]


def _layout(root: str | None) -> Layout:
    return Layout(Path(root).resolve()) if root else Layout.find()


root_option = click.option("--root", type=click.Path(file_okay=False), default=None,
                           help="Project folder (default: the one containing the current directory).")


@click.group()
@click.version_option(package_name="ciro")
def main() -> None:
    """CIRO: the Cancer Immunotherapy Resistance Ontology toolkit."""


@main.command()
@root_option
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Release folder (default: ontology/).")
def build(root: str | None, out: str | None) -> None:
    """Validate instances/ and write the release to ontology/ (nothing is written if validation fails)."""
    from .release import build_release

    layout = _layout(root)
    try:
        build_release(layout, Path(out).resolve() if out else None,
                      progress=lambda line: click.echo(line, err=True))
    except ValidationFailed as exc:
        for problem in exc.problems:
            click.echo(problem.format(), err=True)
        click.echo(f"build stopped: {len(exc.problems)} validation error(s); ontology/ left unchanged", err=True)
        sys.exit(1)
    except CiroError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)


@main.command()
@root_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--no-shacl", is_flag=True, help="Skip the SHACL layer (faster; the other layers still run).")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def validate(root: str | None, fmt: str, no_shacl: bool, paths: tuple[Path, ...]) -> None:
    """Validate instance files (default: all of instances/); exit 1 on any error."""
    from .validate import validate as run

    layout = _layout(root)
    report, _kb = run(list(paths) or None, layout, shacl=not no_shacl)
    if fmt == "json":
        click.echo(json.dumps(report.as_dict(), indent=1))
    else:
        for problem in report.problems:
            click.echo(problem.format())
        click.echo(f"{report.files} files, {report.records} records: {len(report.errors)} error(s), "
                   f"{len(report.warnings)} warning(s); quotes checked: {report.quotes_checked}/{report.quotes_total}")
    sys.exit(0 if report.ok else 1)


@main.command()
@root_option
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "tsv", "json", "turtle"]), default="table",
              show_default=True)
@click.option("--ontology", type=click.Path(file_okay=False), default=None,
              help="Release folder to query (default: ontology/).")
@click.argument("query")
def query(root: str | None, fmt: str, ontology: str | None, query: str) -> None:
    """Run a SPARQL QUERY (a string, or a path to a .rq file) over the release."""
    from .query import QueryError, format_result, load_store, run_query

    layout = _layout(root)
    text = query
    if query.endswith((".rq", ".sparql")) or (Path(query).is_file() and "\n" not in query):
        try:
            text = Path(query).read_text(encoding="utf-8")
        except OSError as exc:
            click.echo(f"error: cannot read {query}: {exc.strerror}", err=True)
            sys.exit(1)
    try:
        store = load_store(Path(ontology) if ontology else layout.ontology)
        click.echo(format_result(run_query(store, text), fmt))
    except QueryError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)


@main.command()
@root_option
@click.option("--label", required=True, help="What the new id is for (recorded in the ledger).")
@click.option("--kind", default="record", show_default=True, help="Kind of record (mechanism, target...).")
@click.option("-n", "count", default=1, show_default=True, help="How many ids to mint.")
def mint(root: str | None, label: str, kind: str, count: int) -> None:
    """Mint the next free CIRO identifier(s); ids are never reused."""
    from .mint import mint as run

    layout = _layout(root)
    for new in run(layout.id_ledger, layout.schema, layout.instances, label, kind, count):
        click.echo(new)


@main.command()
@root_option
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Folder for the kept texts (default: instances/sources/).")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def ingest(root: str | None, out: str | None, paths: tuple[Path, ...]) -> None:
    """Parse source documents (journal page, PubMed text, PFOCR record) and keep their text."""
    from .ingest import ingest_file, write_source

    layout = _layout(root)
    target = Path(out) if out else layout.sources
    failed = False
    for path in paths:
        try:
            ingested = ingest_file(path)
            written = write_source(ingested, target)
        except CiroError as exc:
            click.echo(f"error: {exc}", err=True)
            failed = True
            continue
        click.echo(f"{path}: " + ", ".join(str(p) for p in written))
    sys.exit(1 if failed else 0)

if __name__ == "__main__":
    main()
