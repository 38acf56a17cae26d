"""`ciro build`: validate, then write the whole release to a temporary folder and move it into place.

Nothing under ontology/ changes unless every step succeeded; every file is written deterministically
(same input, byte-identical output), so a test can compare the committed release with a fresh build.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from xml.sax.saxutils import quoteattr

from rdflib import Graph

from ..atomic import replace_dir
from ..curate.errors import BuildError, ValidationFailed
from ..imports.sources import source_iris
from ..imports.table import Table, TableError, read_tables, table_iris, table_prefixes
from ..layout import Layout
from ..progress import track
from .fork import Child
from .jsonld import write_jsonld
from .model import model_for
from .owl import (
    BASE,
    BASE_IRI,
    CIRO,
    FULL_IRI,
    IMPORT_IRI,
    LICENSE,
    ONTOLOGY_IRI,
    PUBLICATION_RESOLVERS,
    VOCAB,
    build_graphs,
    data_graph,
    version_iri,
)
from .products import write_odk_products
from .qc import Namespaces, QCReport, run_qc
from .rdfxml import write_rdfxml
from .sssom import mapping_set
from .triples import Triples
from .turtle import write_turtle
from .vocab import OWL, SIMPLE_IRI

__all__ = [
    "build_release", "RELEASE_FILES", "ONTOLOGY_FILES", "QC_REPORT", "write_catalog", "read_catalog",
    "catalog_entries", "qc_namespaces", "release_qc", "source_digest",
]

RELEASE_FILES = (
    "ciro.owl",
    "ciro.ttl",
    "ciro.jsonld",
    "ciro-data.ttl",
    "ciro-base.owl",
    "ciro-full.owl",
    "ciro-simple.owl",
    "ciro.obo",
    "ciro.json",
    "ciro.sssom.tsv",
    "imports/ciro-external.owl",
    "catalog-v001.xml",
    "ciro.shacl.ttl",
    "ciro.schema.json",
    "reports/qc-report.tsv",
    "release-manifest.json",
)
QC_REPORT = "reports/qc-report.tsv"
# The ontology documents of a release: ontology IRI -> file, relative to the release folder.
ONTOLOGY_FILES = {
    ONTOLOGY_IRI: "ciro.owl",
    BASE_IRI: "ciro-base.owl",
    FULL_IRI: "ciro-full.owl",
    SIMPLE_IRI: "ciro-simple.owl",
    IMPORT_IRI: "imports/ciro-external.owl",
}


def _serialize(graph: Graph | Triples, path: Path, fmt: str) -> None:
    """Write one release file, streamed from the triple table (jsonld.py, rdfxml.py, turtle.py)."""
    if fmt == "json-ld":
        # Every blank node of the release has a stable id (restrictions, lists, axioms are named by what they
        # describe), so sorting the arrays is all it takes to make JSON-LD reproducible: jsonld.py writes what
        # rdflib's serializer wrote, sorted (_sorted_jsonld below), directly.
        write_jsonld(graph, path)
    elif fmt == "xml":
        write_rdfxml(graph, path)
    elif fmt == "turtle" and isinstance(graph, Triples):
        write_turtle(graph, path)  # what rdflib's serializer writes (turtle.py)
    else:
        path.write_bytes(graph.serialize(format=fmt, encoding="utf-8"))


def to_rdflib(triples: Triples) -> Graph:
    """An rdflib graph of the same triples and prefixes (the reference the direct writers are tested against)."""
    graph = Graph()
    for prefix, namespace in triples.namespaces():
        graph.bind(prefix, namespace, override=True, replace=True)
    add = graph.store.add
    for triple in triples:
        add(triple, graph)
    return graph


def _sorted_jsonld(value, in_list: bool = False):
    """JSON-LD with every unordered array sorted (rdflib emits them in hash order); @list keeps its order."""
    if isinstance(value, dict):
        return {k: _sorted_jsonld(v, k == "@list") for k, v in value.items()}
    if isinstance(value, list):
        items = [_sorted_jsonld(v) for v in value]
        return items if in_list else sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return value


def catalog_entries(version: str, kept: tuple[str, ...] = ()) -> dict[str, str]:
    """Every IRI an importer may use for a CIRO ontology (ontology IRI and version IRI) -> its file; with
    `kept` (the versions under releases/), each of their version IRIs -> its own folder, ../releases/<v>/,
    as the repository lays them out beside ontology/."""
    entries = {}
    for iri, name in ONTOLOGY_FILES.items():
        entries[str(iri)] = name
        entries[str(version_iri(iri, version))] = name
        for other in kept:
            entries[str(version_iri(iri, other))] = f"../releases/{other}/{name}"
    return entries


def write_catalog(path: Path, entries: dict[str, str]) -> None:
    """An OASIS XML catalog (Protégé's catalog-v001.xml) mapping import IRIs to files (relative to it)."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>',
        '<catalog prefer="public" xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">',
    ]
    for name, uri in sorted(entries.items()):
        lines.append(f"    <uri name={quoteattr(name)} uri={quoteattr(uri)}/>")
    lines.append("</catalog>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def read_catalog(path: Path) -> dict[str, Path]:
    """The <uri name=... uri=...> entries of an XML catalog: IRI -> absolute file path.

    Relative targets resolve against the catalog's folder (xml:base is not supported: CIRO's catalogs do
    not use it). The OWL API checker reads catalogs itself; this is for Python tools (owlready2)."""
    import xml.etree.ElementTree as ET

    entries = {}
    for element in ET.parse(path).getroot().iter():
        if element.tag.rsplit("}", 1)[-1] == "uri" and element.get("name") and element.get("uri"):
            entries[element.get("name")] = (path.parent / element.get("uri")).resolve()
    return entries


def qc_namespaces(schema_path: Path, imports: tuple[Table, ...] = ()) -> Namespaces:
    """CIRO's own namespaces, and every namespace a release may use: the schema's prefixes, the W3C and
    Dublin Core vocabularies, the release's own document IRIs, publication resolvers and the licence, and the
    import module's sources (their ontology and version IRIs, and the OBO prefixes of their extracted terms)."""
    from .model import model_for

    prefixes = table_prefixes(imports) | dict(model_for(schema_path).prefixes)
    known = set(prefixes.values()) | source_iris() | table_iris(imports)
    known |= {BASE + "releases/", str(LICENSE)} | {str(iri) for iri in ONTOLOGY_FILES}
    known |= {resolver for _, resolver, _ in PUBLICATION_RESOLVERS}
    prefixes = {p: ns for p, ns in prefixes.items() if ns not in (str(CIRO), str(VOCAB))}
    prefixes |= {"CIRO": str(CIRO), "cirovocab": str(VOCAB)}
    return Namespaces(own=(str(CIRO), str(VOCAB)), known=tuple(sorted(known)), prefixes=prefixes)


def release_qc(graphs, schema_path: Path, imports: tuple[Table, ...] = ()) -> QCReport:
    """QC of what Protégé shows for ciro.owl: the ontology and its import module together."""
    closure = graphs.main.union(graphs.external)
    return run_qc(closure, qc_namespaces(schema_path, imports))


# What the manifest's source_digest covers and how, so that anyone can recompute it from a checkout.
SOURCE_DIGEST_METHOD = (
    "sha256 over the input files sorted by path relative to the project root (schema/ciro.yaml, "
    "schema/ciro-rules.shacl.ttl, every file under instances/, imports/*.tsv), each fed as path, NUL, bytes, NUL"
)


def source_digest(layout: Layout) -> str:
    """The digest of every input of the release (see SOURCE_DIGEST_METHOD)."""
    inputs = [layout.schema, layout.schema.parent / "ciro-rules.shacl.ttl"]
    inputs += sorted(layout.imports.glob("*.tsv")) if layout.imports.is_dir() else []
    root = layout.root
    files = {str(p.relative_to(root)): str(p) for p in inputs}
    # instances/ walked with os.walk and plain strings: pathlib's rglob, relative_to and sorting by parts cost
    # ~2 s for the 47,000 files of a 100,000-item KB (the same paths, in the same order: Path order is the order
    # of their parts, which for these relative paths is the order of the part tuples compared below)
    base = str(root) + os.sep
    for folder, _dirs, names in os.walk(layout.instances):
        for name in names:
            full = os.path.join(folder, name)
            if os.path.isfile(full):
                files[full[len(base):] if full.startswith(base) else os.path.relpath(full, root)] = full
    hasher = hashlib.sha256()
    for shown in sorted(files, key=lambda rel: rel.split(os.sep)):
        with open(files[shown], "rb") as handle:
            hasher.update(shown.encode() + b"\0" + handle.read() + b"\0")
    return hasher.hexdigest()


def build_release(layout: Layout, out_dir: Path | None = None, progress: Callable[[str], None] = print,
                  engine: str = "fast", release_date: str | None = None) -> Path:
    """Build the release into `out_dir` (default ontology/); returns that folder. `engine` runs the SHACL layer
    of the validation ("fast" or "pyshacl"). `release_date` (YYYY-MM-DD) builds a cut release (`ciro release`):
    dated headers, the import by version IRI, a catalog of its own files only; without it, the catalog also
    maps the version IRIs of every release kept under releases/ to its folder."""
    from ..shacl import engine_label
    from ..validate import validate

    out_dir = out_dir or layout.ontology
    steps = 7
    started = time.perf_counter()

    def step(n: int, text: str, t0: float) -> None:
        progress(f"[{n}/{steps}] {text} ({time.perf_counter() - t0:.2f} s)")

    t0 = time.perf_counter()
    report, kb = validate([layout.instances], layout, engine=engine)
    for note in report.shacl_notes:
        progress(f"note: {note}")
    if not report.ok:
        raise ValidationFailed(report.errors)
    step(1, f"validated {report.records} records, quotes checked: {report.quotes_checked}/{report.quotes_total}, "
            f"SHACL by {engine_label(engine)}", t0)

    # The cyclic garbage collector is paused while the release is built and written: the graphs are millions
    # of small acyclic objects, and each full collection walked all of them (and the loaded records) again, a
    # third of steps 2 and 3 at 10,000 items. Nothing these steps make is cyclic garbage worth collecting.
    # Only the records go on: the reading's by-field locations and the report are dropped, so that the graphs
    # reuse their memory (and a forked child does not share it).
    records = [kb.data]  # handed over, not kept here: _write_release drops the records once they are mapped
    del kb, report
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _write_release(layout, records, out_dir, progress, step, release_date, started)
    finally:
        if collecting:
            gc.enable()


def _write_release(layout: Layout, records: list[dict[str, list[dict]]], out_dir: Path, progress, step,
                   release_date: str | None, started: float) -> Path:
    """Steps 2 to 7 of `build_release`. Each graph is dropped as soon as its files are written (the peak
    memory of a build is the largest of its steps'). Two parts run in forked child processes beside this one
    (fork.py; inline where there is no second core): the data graph, which shares nothing with the ontology,
    while the OWL graphs are built, and, once they are, ODK's products and the JSON-LD, while this process runs
    QC and writes ciro.owl, its variants, its Turtle and the import module (two halves of about equal cost)."""
    from ..curate.schemaindex import _linkml_version, cached_text, generate_json_schema, schema_digest
    from ..shacl import RULES_FILE, generate_shacl
    from ..versions import kept_releases

    t0 = time.perf_counter()
    data = records.pop()  # the one reference: dropped below once the graphs are built and the data child is done
    try:
        tables = read_tables(layout.imports)
    except TableError as err:
        raise BuildError(str(err)) from None
    _release_free_memory()  # validation's freed buffers, so that a forked child does not keep a copy of them
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    children: list[Child] = []
    try:
        (tmp / "imports").mkdir()

        def write_data() -> None:
            (tmp / "ciro.sssom.tsv").write_text(mapping_set(data, model_for(layout.schema)), encoding="utf-8")
            _serialize(data_graph(data, layout.schema), tmp / "ciro-data.ttl", "turtle")
            _note_digests(tmp, ("ciro.sssom.tsv", "ciro-data.ttl"), "data")

        data_child = Child(write_data)
        children.append(data_child)
        graphs = build_graphs(data, layout.schema, release_date, tables, with_data=False)

        def write_products() -> None:
            # ODK's class-level products, from the classified, relaxed, reduced full release (release/products.py),
            # and the JSON-LD, in a child (fork.py): about half of what is left to write at any size.
            write_odk_products(graphs.full, qc_namespaces(layout.schema, tables).prefixes, tmp)
            _release_free_memory()  # what the products freed, before the JSON-LD's buffers
            _serialize(graphs.main, tmp / "ciro.jsonld", "json-ld")
            _note_digests(tmp, ("ciro-simple.owl", "ciro.obo", "ciro.json", "ciro.jsonld"), "products")

        # The products child starts as soon as the data child is done (three processes at once would hold three
        # copies of what they touch: at 100,000 items, over 2 GB); it writes while this process runs QC and then
        # writes the rest (nothing leaves the temporary folder unless QC passes: a QC error stops the child and
        # removes the folder).
        data_child.wait()
        # The records are not needed any more (at 100,000 items, hundreds of MB): freed before the products child
        # is forked, so that neither process keeps them; then the freed buffers go back to the system (see above).
        data = None
        _release_free_memory()
        children.append(Child(write_products))
        qc = release_qc(graphs, layout.schema, tables)
        step(2, f"built OWL graphs ({len(graphs.main)} triples, {len(graphs.external)} in the import module); "
                f"QC: {qc.summary()}", t0)
        if not qc.ok:
            shown = "\n".join("  " + "\t".join((f.rule, f.subject, f.property, f.value))
                              for f in qc.at("ERROR")[:20])
            raise BuildError(f"QC found {len(qc.at('ERROR'))} error(s), {out_dir} left unchanged:\n{shown}")

        t0 = time.perf_counter()
        # ciro.owl, its Turtle, the variants and the import module, here. ciro-base.owl and ciro-full.owl copy the
        # text of the subjects they share with ciro.owl from it (rdfxml.Rendered): the three differ only in their
        # headers and the merged import module. The graphs stay referenced until the child is done: dropping them
        # here would write to (and so copy) every page the child still shares.
        owl = write_rdfxml(graphs.main, tmp / "ciro.owl", record=True)
        write_rdfxml(graphs.base, tmp / "ciro-base.owl", reuse=owl)
        write_rdfxml(graphs.full, tmp / "ciro-full.owl", reuse=owl)
        del owl
        for graph, name, fmt in ((graphs.main, "ciro.ttl", "turtle"),
                                 (graphs.external, "imports/ciro-external.owl", "xml")):
            _release_free_memory()  # what the last writer freed, while the other process still runs
            _serialize(graph, tmp / name, fmt)
        version = str(graphs.main.value(ONTOLOGY_IRI, OWL.versionInfo))
        _note_digests(tmp, ("ciro.owl", "ciro-base.owl", "ciro-full.owl", "ciro.ttl", "imports/ciro-external.owl"),
                      "parent")
        for child in track(children, "writing the release", unit="writer"):  # a bar on a terminal, as before forking
            child.wait()
        graphs = None  # noqa: F841 - dropped before the last steps
        step(3, "wrote ciro.owl, ciro.ttl, ciro.jsonld, ciro-base.owl, ciro-full.owl, ciro-simple.owl, ciro.obo, "
                "ciro.json, ciro.sssom.tsv, imports/, ciro-data.ttl", t0)

        t0 = time.perf_counter()
        kept = () if release_date else tuple(str(r.version) for r in kept_releases(layout.releases))
        write_catalog(tmp / "catalog-v001.xml", catalog_entries(version, kept))
        (tmp / "reports").mkdir()
        (tmp / QC_REPORT).write_text(qc.to_tsv(), encoding="utf-8")
        step(4, f"wrote catalog-v001.xml and {QC_REPORT}", t0)

        t0 = time.perf_counter()
        # The texts validation already generated and cached by schema digest (generating them imports
        # linkml.generators: ~1 s)
        shapes = cached_text("shacl", f"{schema_digest(layout.schema)}.ttl", lambda: generate_shacl(layout.schema))
        rules = (layout.schema.parent / RULES_FILE).read_text(encoding="utf-8")
        (tmp / "ciro.shacl.ttl").write_text(shapes + "\n" + rules, encoding="utf-8")
        step(5, "wrote ciro.shacl.ttl (generated shapes + project rules)", t0)

        t0 = time.perf_counter()
        key = f"{schema_digest(layout.schema)}-linkml{_linkml_version()}.json"
        text = cached_text("jsonschema", key, lambda: generate_json_schema(layout.schema))
        (tmp / "ciro.schema.json").write_text(text, encoding="utf-8")
        step(6, "wrote ciro.schema.json", t0)

        t0 = time.perf_counter()
        _write_manifest(tmp, layout, version, release_date)
        step(7, "wrote release-manifest.json", t0)

        _swap(tmp, out_dir)
    except (ValidationFailed, BuildError):
        _stop(children)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    except BaseException as exc:
        _stop(children)
        shutil.rmtree(tmp, ignore_errors=True)
        if not isinstance(exc, Exception):
            raise  # Ctrl-C and the like: stopped, cleaned up, not reworded
        raise BuildError(f"build failed, {out_dir} left unchanged: {exc}") from exc
    progress(f"release written to {out_dir} in {time.perf_counter() - started:.2f} s")
    return out_dir


def _stop(children) -> None:
    for child in children:
        child.stop()


def _release_free_memory() -> None:
    """Give the C allocator's free pages back to the system (glibc's malloc_trim): validation leaves ~200 MB of
    freed buffers at 100,000 items, which a forked child would otherwise hold a copy of once this process reuses
    them. A no-op where there is no glibc."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _digest(path: Path) -> str:
    with path.open("rb") as handle:  # in chunks: the largest files are hundreds of MB at scale
        return hashlib.file_digest(handle, "sha256").hexdigest()


_DIGESTS = ".digests-{}.json"  # a writer's notes in the temporary folder, read (and removed) by _write_manifest


def _note_digests(tmp: Path, names: tuple[str, ...], writer: str) -> None:
    """The sha256 of each file a writer made, taken by that process as soon as it is done (the manifest's hashing,
    ~1.3 GB at 100,000 items, then runs while the other process still writes, not after both)."""
    digests = {name: _digest(tmp / name) for name in names}
    (tmp / _DIGESTS.format(writer)).write_text(json.dumps(digests), encoding="utf-8")


def _noted_digests(tmp: Path) -> dict[str, str]:
    noted: dict[str, str] = {}
    for path in sorted(tmp.glob(_DIGESTS.format("*"))):
        noted.update(json.loads(path.read_text(encoding="utf-8")))
        path.unlink()
    return noted


def _write_manifest(tmp: Path, layout: Layout, version: str, release_date: str | None) -> None:
    noted = _noted_digests(tmp)
    rest = [name for name in RELEASE_FILES[:-1] if name not in noted]
    # Two threads for the files no writer noted: hashlib and file reads release the GIL.
    with ThreadPoolExecutor(max_workers=2) as pool:
        noted |= dict(zip(rest, pool.map(lambda name: _digest(tmp / name), rest), strict=True))
    digests = [noted[name] for name in RELEASE_FILES[:-1]]
    files = [{"file": name, "sha256": sha, "size": (tmp / name).stat().st_size}
             for name, sha in zip(RELEASE_FILES[:-1], digests, strict=True)]
    manifest = {
        "ontology_iri": str(ONTOLOGY_IRI),
        "version_iri": str(version_iri(ONTOLOGY_IRI, version)),
        "version": version,
        **({"release_date": release_date} if release_date else {}),
        # Not a commit id: the release is committed together with its sources, so the commit that holds it
        # does not exist yet when it is built, and a build must not depend on git. The digest of every input
        # identifies the source state instead; `ciro.release.source_digest` recomputes it on any checkout.
        "source_digest": source_digest(layout),
        "source_digest_method": SOURCE_DIGEST_METHOD,
        "files": files,
    }
    (tmp / "release-manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")


def _swap(tmp: Path, out_dir: Path) -> None:
    """Move the new release into place; the old one is removed only after the new one is there."""
    old_reports = out_dir / "reports"
    if old_reports.is_dir():
        # Reports that other tools put there are carried over; those the build writes are replaced.
        for path in sorted(old_reports.rglob("*")):
            target = tmp / "reports" / path.relative_to(old_reports)
            if path.is_file() and not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
    replace_dir(tmp, out_dir)
