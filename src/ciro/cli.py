"""The `ciro` command: wires the stages together; heavy imports happen inside each command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click

from .curate.errors import CiroError, ValidationFailed
from .layout import Layout

__all__ = ["main"]


def _layout(root: str | None) -> Layout:
    return Layout(Path(root).resolve()) if root else Layout.find()


engine_option = click.option(
    "--engine", type=click.Choice(["fast", "pyshacl"]), default="fast", show_default=True,
    help="SHACL engine: CIRO's fast engine, or pyshacl (the reference; same results, much slower).")
root_option = click.option("--root", type=click.Path(file_okay=False), default=None,
                           help="Project folder (default: the one containing the current directory).")


@click.group()
@click.version_option(package_name="ciro")
def main() -> None:
    """CIRO: the Cancer Immunotherapy Resistance Ontology toolkit."""


@main.command()
@root_option
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Release folder (default: ontology/).")
@click.option("--site", "site_dir", type=click.Path(file_okay=False), default=None,
              help="Documentation site folder (default: site/).")
@click.option("--no-docs", is_flag=True, help="Write the release only, not the documentation site.")
@engine_option
def build(root: str | None, out: str | None, site_dir: str | None, no_docs: bool, engine: str) -> None:
    """Validate instances/ and write the release to ontology/ (nothing is written if validation fails),
    then the documentation site to site/ (as `ciro docs`)."""
    from .progress import on_terminal, use_bars
    from .release.build import build_release

    layout = _layout(root)
    use_bars(on_terminal())  # a bar for the long steps on a terminal; step lines on stdout either way
    try:
        release_dir = build_release(layout, Path(out).resolve() if out else None, progress=_step, engine=engine)
    except ValidationFailed as exc:
        _refuse(exc, "build stopped", "ontology/ left unchanged")
    except CiroError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    if not no_docs:
        # The README's map is redrawn with the committed release (ontology/), not with a release written elsewhere.
        _write_docs(layout, release_dir, Path(site_dir).resolve() if site_dir else None,
                    readme_image="auto" if out is None else "no")


def _refuse(exc: ValidationFailed, what: str, kept: str) -> None:
    """Every validation problem on stderr, then one summary line, and exit 1."""
    for problem in exc.problems:
        click.echo(problem.format(), err=True)
    click.echo(f"{what}: {len(exc.problems)} validation error(s); {kept}", err=True)
    sys.exit(1)


def _step(line: str) -> None:
    """A step line on stdout; a warning or an error on stderr."""
    from .progress import step_line

    if line.startswith(("warning:", "error:")):
        click.echo(line, err=True)
    else:
        step_line(line)


def _write_docs(layout: Layout, release_dir: Path | None, site_dir: Path | None, readme_image: str) -> None:
    """Write the site; redraw the README's map: "yes" (an error without Graphviz), "auto" (a warning), "no"."""
    from .docs import README_IMAGE, build_site, readme_map_svg

    try:
        report = build_site(layout, release_dir, site_dir, progress=_step)
        if readme_image == "auto" and not report.drawn:
            click.echo(f"warning: {README_IMAGE} not redrawn: Graphviz `dot` not found", err=True)
        elif readme_image != "no":
            image = layout.root / README_IMAGE
            image.parent.mkdir(parents=True, exist_ok=True)
            image.write_text(readme_map_svg(release_dir or layout.ontology), encoding="utf-8")
            _step(f"wrote {image}")
    except CiroError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)


@main.command()
@root_option
@click.option("--ontology", type=click.Path(file_okay=False), default=None,
              help="Release folder to document (default: ontology/).")
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Site folder (default: site/).")
@click.option("--readme-image", is_flag=True,
              help="Also redraw docs/img/resistance-map.svg, the map shown in the README.")
def docs(root: str | None, ontology: str | None, out: str | None, readme_image: bool) -> None:
    """Write the documentation site: overview, resistance map, schema reference, term, publication and
    competency-question pages, and a search that works without a server (needs Graphviz for the map)."""
    layout = _layout(root)
    _write_docs(layout, Path(ontology).resolve() if ontology else None, Path(out).resolve() if out else None,
                "yes" if readme_image else "no")


@main.command()
@root_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--no-shacl", is_flag=True, help="Skip the SHACL layer (faster; the other layers still run).")
@click.option("--no-cache", is_flag=True,
              help="Check every file again (by default an unchanged file's results are reused from ~/.cache/ciro, "
                   "and only the files a change can reach are checked again).")
@engine_option
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def validate(root: str | None, fmt: str, no_shacl: bool, no_cache: bool, engine: str,
             paths: tuple[Path, ...]) -> None:
    """Validate instance files (default: all of instances/); exit 1 on any error.

    Prints one line per problem, `file:line: record: field: message`, then a summary. Given files or
    folders inside instances/, the rest of instances/ is read too so references resolve, and only
    problems in PATHS are reported.
    """
    import gc

    from .progress import on_terminal, use_bars
    from .shacl import engine_label
    from .validate import validate as run

    # The process ends with this command, and what is left is freed as it exits; but Python's collector would walk
    # all of it once more when enabled again after the run (which pauses it) and again at exit: ~0.3 s at 100,000
    # items. So it stays paused and what is left is frozen (out of the collector's sight). In a process that goes
    # on (a test's), only garbage cycles made during the run are then never collected.
    collecting = gc.isenabled()
    gc.disable()
    try:
        use_bars(fmt == "text" and on_terminal())
        report, _kb = run(list(paths) or None, _layout(root), shacl=not no_shacl, engine=engine, cache=not no_cache,
                          incremental=not no_cache)
        if fmt == "json":
            click.echo(json.dumps(report.as_dict(), indent=1, ensure_ascii=False))
        else:
            for problem in report.problems:
                click.echo(problem.format())
            for note in report.shacl_notes:
                click.echo(f"note: {note}")
            click.echo(f"{report.files} files, {report.records} records: {len(report.errors)} error(s), "
                       f"{len(report.warnings)} warning(s); quotes checked: {report.quotes_checked}/"
                       f"{report.quotes_total}; SHACL: {engine_label(engine) if not no_shacl else 'skipped'}")
    finally:
        gc.freeze()
        if collecting:
            gc.enable()
    sys.exit(0 if report.ok else 1)


@main.command()
@root_option
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "tsv", "json", "xml", "turtle"]),
              default="table", show_default=True,
              help="Output for SELECT and ASK; CONSTRUCT and DESCRIBE always give Turtle.")
@click.option("--ontology", type=click.Path(file_okay=False), default=None,
              help="Release folder to query (default: ontology/).")
@click.option("--endpoint", default=None, metavar="URL",
              help="Query this SPARQL 1.1 endpoint (e.g. http://127.0.0.1:8890/sparql) instead of the release.")
@click.option("--graph", default=None, metavar="IRI",
              help="With --endpoint: the default graph to query (default-graph-uri), e.g. the graph the "
                   "release was loaded into.")
@click.option("--timeout", default=60.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              help="With --endpoint: seconds to wait for an answer.")
@click.option("--max-width", default=60, show_default=True, type=click.IntRange(min=8),
              help="Table: cut cells longer than this many characters (a cut cell ends in …[+N], N the "
                   "characters left out, and the table says how many were cut).")
@click.option("--no-truncate", is_flag=True, help="Table: never cut a cell.")
@click.argument("query")
def query(root: str | None, fmt: str, ontology: str | None, endpoint: str | None, graph: str | None,
          timeout: float, max_width: int, no_truncate: bool, query: str) -> None:
    """Run a SPARQL QUERY (a string, a path to a .rq file, or - for standard input) over the release.

    SERVICE is refused (the embedded engine would send the query to that host), and so is nesting
    deeper than the engine can parse safely.
    """
    from .query.store import QueryError, format_result, load_store, run_query, run_remote

    text = _query_text(query)
    try:
        if endpoint:
            result = run_remote(endpoint, text, graph=graph, timeout=timeout)
        else:
            store = load_store(Path(ontology) if ontology else _layout(root).ontology)
            result = run_query(store, text)
        click.echo(format_result(result, fmt, max_width=None if no_truncate else max_width))
    except QueryError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    if result.warning:
        click.echo(f"warning: {result.warning}", err=True)


def _query_text(argument: str) -> str:
    """The query: standard input for "-", the file's text for a path to a file (a name ending in .rq or
    .sparql must be one), else the argument itself. Unreadable or non-UTF-8 input is a one-line error."""
    if argument == "-":
        data, source = sys.stdin.buffer.read(), "standard input"
    else:
        named_file = argument.endswith((".rq", ".sparql")) and "\n" not in argument
        try:
            is_file = "\n" not in argument and Path(argument).is_file()
        except (OSError, ValueError):  # too long for a file name, or a NUL in it: it is query text
            is_file = False
        if not (named_file or is_file):
            return argument
        try:
            data, source = Path(argument).read_bytes(), argument
        except OSError as exc:
            click.echo(f"error: cannot read {argument}: {exc.strerror or exc}", err=True)
            sys.exit(1)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        click.echo(f"error: {source} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                   "a query must be a SPARQL text file", err=True)
        sys.exit(1)
    if "\x00" in text:
        click.echo(f"error: {source} holds NUL bytes: it looks like a binary file, not a SPARQL query", err=True)
        sys.exit(1)
    return text


@main.command()
@root_option
@click.option("--ontology", type=click.Path(file_okay=False), default=None,
              help="Release folder to serve (default: ontology/).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind; the default accepts connections from this machine only.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to bind (0: any free port).")
@click.option("--time-limit", default=10.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              help="Seconds a query may run; past it the query's worker is killed and the client gets 503.")
@click.option("--max-results", default=10000, show_default=True, type=click.IntRange(min=1),
              help="Most rows (or triples) one answer holds; a longer answer is cut and flagged.")
@click.option("--max-bytes", default=16, show_default=True, type=click.IntRange(min=1), metavar="MB",
              help="Most megabytes one answer holds; a larger answer is cut (at a row) and flagged.")
@click.option("--memory-limit", default=1024, show_default=True, type=click.IntRange(min=0), metavar="MB",
              help="Memory one query may use beyond the loaded release (0: no limit); past it the query's "
                   "worker dies and the client gets 503.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Query worker processes always running.")
@click.option("--max-workers", default=None, type=click.IntRange(1, 128),
              help="Workers when all are busy (slow queries do not block the others)  [default: 2 x --workers]")
@click.option("--max-connections", default=256, show_default=True, type=click.IntRange(1, 100000),
              help="Open connections at most; past it a new connection gets 503 and is closed.")
@click.option("--cache", default=64, show_default=True, type=click.IntRange(min=0), metavar="MB",
              help="Megabytes of answers kept for repeated queries (the release does not change while served; "
                   "0: no cache).")
@click.option("--client-timeout", default=10.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              help="Seconds a client has to send a request's head (3x that for its body, and to read an answer).")
@click.option("--quiet", is_flag=True, help="Do not log requests to standard error.")
@click.option("--releases", type=click.Path(file_okay=False), default=None,
              help="Kept releases to serve at /releases/<version>/ (default: the project's releases/).")
def serve(root: str | None, ontology: str | None, host: str, port: int, time_limit: float, max_results: int,
          max_bytes: int, memory_limit: int, workers: int, max_workers: int | None, max_connections: int,
          cache: int, client_timeout: float, quiet: bool, releases: str | None) -> None:
    """Serve the release: a read-only SPARQL 1.1 endpoint (/sparql), term pages, VoID and downloads.

    Built to face untrusted clients: no SERVICE, bounded time, memory, rows and bytes per query, deadlines
    for slow clients, a connection cap, CORS for browser clients such as YASGUI.
    """
    from .query.store import QueryError
    from .web.serve import ServeConfig, serve_forever

    config = ServeConfig(ontology=(Path(ontology) if ontology else _layout(root).ontology).resolve(),
                         host=host, port=port, time_limit=time_limit, max_results=max_results,
                         max_bytes=max_bytes * 2**20, memory_limit=memory_limit * 2**20 or None, workers=workers,
                         max_workers=max_workers, max_connections=max_connections, header_timeout=client_timeout,
                         body_timeout=3 * client_timeout, send_timeout=3 * client_timeout,
                         cache_bytes=cache * 2**20, quiet=quiet,
                         releases=(Path(releases) if releases else _layout(root).releases).resolve())
    try:
        serve_forever(config, announce=lambda line: click.echo(line))
    except (QueryError, ValueError, OSError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)


@main.command()
@root_option
@click.option("--date", "release_date", default=None, metavar="YYYY-MM-DD",
              help="Release date for the headers (default: today, UTC); the same date gives the same files.")
@click.option("--allow-dirty", is_flag=True, help="Cut even if schema/ or instances/ have uncommitted changes.")
@engine_option
@click.argument("version")
def release(root: str | None, release_date: str | None, allow_dirty: bool, engine: str, version: str) -> None:
    """Cut release VERSION into releases/VERSION/ from a clean, valid tree, then rebuild ontology/.

    VERSION must be a semantic version newer than the last release and equal to the schema's version.
    Earlier releases are never touched; ontology/catalog-v001.xml maps every version IRI to its folder."""
    from .release.cut import ReleaseRefused, cut_release

    try:
        # step lines on stdout, problems on stderr, as `ciro build` prints them
        cut_release(_layout(root), version, release_date, allow_dirty=allow_dirty, engine=engine, progress=_step)
    except ValidationFailed as exc:
        _refuse(exc, "release refused", "nothing written")
    except CiroError as exc:
        click.echo(f"{'release refused' if isinstance(exc, ReleaseRefused) else 'error'}: {exc}", err=True)
        sys.exit(1)


@main.command()
@root_option
@click.option("--format", "fmt", type=click.Choice(["markdown", "json"]), default="markdown", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Write the report here (default: stdout).")
@click.argument("old")
@click.argument("new")
def diff(root: str | None, fmt: str, out: str | None, old: str, new: str) -> None:
    """What changed from OLD to NEW: terms, links and their evidence, evidence per publication, axioms.

    Each of OLD and NEW is a kept release (0.1.0), a release folder (ontology/), or `tree`: the working tree,
    validated and built into a temporary folder."""
    import tempfile

    from .release.build import build_release
    from .release.diff import diff_markdown, diff_snapshots, resolve

    layout = _layout(root)
    with tempfile.TemporaryDirectory(prefix="ciro-diff-") as tmp:
        def build_tree() -> Path:
            return build_release(layout, Path(tmp) / "tree", progress=lambda line: None)

        try:
            sides = [resolve(side, layout.releases, build_tree) for side in (old, new)]
            result = diff_snapshots(*sides)
        except ValidationFailed as exc:
            for problem in exc.problems:
                click.echo(problem.format(), err=True)
            click.echo(f"error: the working tree does not validate ({len(exc.problems)} error(s))", err=True)
            sys.exit(1)
        except (CiroError, OSError, ValueError) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
    text = result.to_json() if fmt == "json" else diff_markdown(result)
    if out:
        Path(out).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


@main.command()
@root_option
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if CHANGELOG.md is not what the releases give.")
def changelog(root: str | None, check: bool) -> None:
    """Write CHANGELOG.md from the releases kept under releases/ (each one's `ciro diff` against the one before)."""
    from .atomic import write_text_atomic
    from .release.changelog import CHANGELOG, changelog_text

    layout = _layout(root)
    text = changelog_text(layout.releases)
    path = layout.root / CHANGELOG
    if check:
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current != text:
            click.echo(f"{path} is out of date: run `ciro changelog`", err=True)
            sys.exit(1)
        click.echo(f"{path} is up to date")
        return
    write_text_atomic(path, text)
    click.echo(f"wrote {path}")


@main.command()
@root_option
@click.option("--label", required=True, help="What the new id is for (recorded in the ledger).")
@click.option("--kind", default="record", show_default=True, help="Kind of record (mechanism, target...).")
@click.option("-n", "count", default=1, show_default=True, help="How many ids to mint.")
def mint(root: str | None, label: str, kind: str, count: int) -> None:
    """Mint the next free CIRO identifier(s); ids are never reused."""
    from .curate.mint import mint as run

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


@main.group()
def bench() -> None:
    """Performance at scale: synthetic KBs and the benchmark (docs/performance.md)."""


@bench.command("generate")
@click.argument("n", type=int)
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Project folder to write (replaced).")
@click.option("--seed", default=0, show_default=True, help="Same seed, same files.")
@click.option("--inject-errors", is_flag=True, help="Inject one error of every kind the validator checks.")
@click.option("--kinds", default=None, metavar="K1,K2", help="With --inject-errors: only these kinds.")
def bench_generate(n: int, out: str, seed: int, inject_errors: bool, kinds: str | None) -> None:
    """Write the curated KB scaled to N evidence items (synthetic records shaped like it) to --out; with
    --inject-errors, out/manifest.json lists every injected error and where a validator must report it."""
    from .bench import generate

    try:
        manifest = generate(n, Path(out), seed=seed, inject=inject_errors,
                            kinds=tuple(kinds.split(",")) if kinds else None)
    except ValueError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    records = sum(manifest["synthetic_records"].values())
    click.echo(f"{out}: {n} evidence items ({manifest['evidence_items']['synthetic']} synthetic, {records} synthetic "
               f"records); {len(manifest['injected'])} errors injected; manifest: {Path(out) / 'manifest.json'}")


@bench.command("run")
@click.option("--sizes", default="1000,10000,100000", show_default=True, help="Evidence items per KB, comma-separated.")
@click.option("--work", type=click.Path(file_okay=False), default=None,
              help="Folder for the KBs and intermediate files (kept; default: a temporary folder, removed).")
@click.option("--seed", default=0, show_default=True)
@click.option("--repeats", type=int, default=None,
              help="Runs per stage (default: 5 up to 2k, else 3; the slow reference paths and CQs once above 20k).")
@click.option("--linkml-max", default=10000, show_default=True, help="Run linkml-convert up to this N only.")
@click.option("--rdflib-timeout", default=60, show_default=True, help="Seconds before an rdflib CQ is given up.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False), default=None, help="Write every measurement here.")
@click.option("--markdown", "md_out", type=click.Path(dir_okay=False), default=None, help="Write the tables here.")
def bench_run(sizes: str, work: str | None, seed: int, repeats: int | None, linkml_max: int, rdflib_timeout: int,
              json_out: str | None, md_out: str | None) -> None:
    """Run the benchmark (minutes to ~half an hour at 100k) and print its tables."""
    from .bench.run import report_markdown, run_benchmark

    results = run_benchmark([int(n) for n in sizes.split(",")], Path(work) if work else None, seed=seed,
                            repeats=repeats, linkml_max=linkml_max, rdflib_timeout=rdflib_timeout,
                            log=lambda line: click.echo(line, err=True))
    results["options"] = {"sizes": sizes, "seed": seed, "repeats": repeats, "linkml_max": linkml_max,
                          "rdflib_timeout": rdflib_timeout}
    text = report_markdown(results)
    if json_out:
        Path(json_out).write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    if md_out:
        Path(md_out).write_text(text, encoding="utf-8")
    click.echo(text)


@bench.command("release")
@click.option("--sizes", default="1000,10000,100000", show_default=True, help="Evidence items per KB, comma-separated.")
@click.option("--work", type=click.Path(file_okay=False), default=None,
              help="Folder for the KBs and releases (kept; default: a temporary folder, removed).")
@click.option("--seed", default=0, show_default=True)
@click.option("--json", "json_out", type=click.Path(dir_okay=False), default=None, help="Write every measurement here.")
@click.option("--markdown", "md_out", type=click.Path(dir_okay=False), default=None, help="Write the tables here.")
def bench_release(sizes: str, work: str | None, seed: int, json_out: str | None, md_out: str | None) -> None:
    """The real `ciro build` and `ciro validate` at each size, step by step (time, CPU, peak RSS of the process
    tree), against pyoxigraph reading the produced ciro.ttl and writing Turtle, RDF/XML and N-Triples."""
    from .bench.release import release_markdown, run_release_benchmark
    from .progress import on_terminal, use_bars

    use_bars(on_terminal())
    results = run_release_benchmark([int(n) for n in sizes.split(",")], Path(work) if work else None, seed=seed,
                                    log=_step)
    text = release_markdown(results)
    if json_out:
        Path(json_out).write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    if md_out:
        Path(md_out).write_text(text, encoding="utf-8")
    click.echo(text)


@bench.command("endpoint")
@root_option
@click.option("--ontology", type=click.Path(file_okay=False), default=None,
              help="Release folder both servers load (default: ontology/).")
@click.option("--clients", default=8, show_default=True, type=click.IntRange(1, 256), help="Keep-alive clients.")
@click.option("--duration", default=5.0, show_default=True, type=click.FloatRange(min=0.5),
              help="Seconds per run.")
@click.option("--rounds", default=3, show_default=True, type=click.IntRange(1, 50),
              help="Runs per server and workload, alternating the servers.")
@click.option("--warmup", default=5.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds of one unrecorded run per server and workload before the rounds (0: none).")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="`ciro serve --workers`.")
@click.option("--client", "load", type=click.Choice(["auto", "wrk", "python"]), default="auto", show_default=True,
              help="Load generator: wrk (Debian wrk) where installed, else Python client processes.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False), default=None, help="Write every measurement here.")
@click.option("--markdown", "md_out", type=click.Path(dir_okay=False), default=None, help="Write the table here.")
def bench_endpoint(root: str | None, ontology: str | None, clients: int, duration: float, rounds: int, warmup: float,
                   workers: int, load: str, json_out: str | None, md_out: str | None) -> None:
    """`ciro serve` against `oxigraph serve-read-only` on the same release, same run: queries/s, p50, p99."""
    from .bench.endpoint import endpoint_markdown, run_endpoint_benchmark

    layout = _layout(root)
    try:
        results = run_endpoint_benchmark(Path(ontology).resolve() if ontology else layout.ontology, layout.queries,
                                         clients=clients, duration=duration, rounds=rounds, workers=workers,
                                         client=load, warmup=warmup, log=lambda line: click.echo(line, err=True))
    except (RuntimeError, OSError, subprocess.CalledProcessError, CiroError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    text = endpoint_markdown(results)
    if json_out:
        Path(json_out).write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    if md_out:
        Path(md_out).write_text(text, encoding="utf-8")
    click.echo(text)


@bench.command("shacl")
@click.option("--n", "n", default=100_000, show_default=True, help="Evidence items of the project case.")
@click.option("--large-shapes", default=300, show_default=True, help="Shapes in the large-shapes-graph case.")
@click.option("--large-nodes", default=1200, show_default=True, help="Focus nodes in the large case.")
@click.option("--repeats", default=3, show_default=True, help="Runs of the fast engine (median); references once.")
@click.option("--engines", default="fast,pyshacl,topquadrant", show_default=True)
@click.option("--work", type=click.Path(file_okay=False), default=None,
              help="Keep the files here (and reuse the project case's KB when it is there).")
@click.option("--json", "json_out", type=click.Path(dir_okay=False), default=None, help="Write every measurement here.")
def bench_shacl(n: int, large_shapes: int, large_nodes: int, repeats: int, engines: str, work: str | None,
                json_out: str | None) -> None:
    """The SHACL engines side by side: fast, pyshacl, TopQuadrant (docs/performance.md, SHACL section)."""
    from .bench.shacl import report_markdown, run_shacl_benchmark

    results = run_shacl_benchmark(n, Path(work) if work else None, repeats, large_shapes, large_nodes,
                                  tuple(engines.split(",")), log=lambda line: click.echo(line, err=True))
    if json_out:
        Path(json_out).write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    click.echo(report_markdown(results))


if __name__ == "__main__":
    main()
