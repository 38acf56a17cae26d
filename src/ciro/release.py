"""`ciro build`: validate, then write the whole release to a temporary folder and move it into place.

Nothing under ontology/ changes unless every step succeeded; every file is written deterministically
(same input, byte-identical output), so a test can compare the committed release with a fresh build.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rdflib import Graph
from rdflib.compare import to_canonical_graph

from .errors import BuildError, ValidationFailed
from .layout import Layout
from .owl import IMPORT_IRI, ONTOLOGY_IRI, build_graphs
from .rdfxml import serialize_rdfxml

__all__ = ["build_release", "RELEASE_FILES", "write_catalog"]

RELEASE_FILES = (
    "ciro.owl",
    "ciro.ttl",
    "ciro.jsonld",
    "ciro-base.owl",
    "ciro-full.owl",
    "imports/ciro-external.owl",
    "catalog-v001.xml",
    "ciro.shacl.ttl",
    "ciro.schema.json",
    "release-manifest.json",
)


def _serialize(graph: Graph, path: Path, fmt: str) -> None:
    if fmt == "json-ld":
        # Blank-node ids are random in rdflib; canonical labels make the JSON-LD reproducible.
        canonical = Graph()
        for triple in to_canonical_graph(graph):
            canonical.add(triple)
        for prefix, ns in graph.namespaces():
            canonical.bind(prefix, ns, override=True, replace=True)
        text = canonical.serialize(format="json-ld", sort_keys=True, indent=1)
        data = _sorted_jsonld(json.loads(text))
        path.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
        return
    if fmt == "xml":
        path.write_bytes(serialize_rdfxml(graph))
        return
    path.write_bytes(graph.serialize(format=fmt, encoding="utf-8"))


def _sorted_jsonld(value, in_list: bool = False):
    """JSON-LD with every unordered array sorted (rdflib emits them in hash order); @list keeps its order."""
    if isinstance(value, dict):
        return {k: _sorted_jsonld(v, k == "@list") for k, v in value.items()}
    if isinstance(value, list):
        items = [_sorted_jsonld(v) for v in value]
        return items if in_list else sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return value


def write_catalog(path: Path, entries: dict[str, str]) -> None:
    """An XML catalog (Protégé's catalog-v001.xml) mapping import IRIs to local files."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>',
        '<catalog prefer="public" xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">',
    ]
    for name, uri in sorted(entries.items()):
        lines.append(f'    <uri id="CIRO" name="{name}" uri="{uri}"/>')
    lines.append("</catalog>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _digest(paths: list[Path], root: Path) -> str:
    hasher = hashlib.sha256()
    for path in sorted(paths):
        hasher.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return hasher.hexdigest()


def build_release(layout: Layout, out_dir: Path | None = None, progress: Callable[[str], None] = print) -> Path:
    """Build the release into `out_dir` (default ontology/); returns that folder."""
    from .schemaindex import generate_json_schema
    from .shacl import RULES_FILE, generate_shacl
    from .validate import validate

    out_dir = out_dir or layout.ontology
    steps = 7
    started = time.perf_counter()

    def step(n: int, text: str, t0: float) -> None:
        progress(f"[{n}/{steps}] {text} ({time.perf_counter() - t0:.2f} s)")

    t0 = time.perf_counter()
    report, kb = validate([layout.instances], layout)
    if not report.ok:
        raise ValidationFailed(report.errors)
    step(1, f"validated {report.records} records, quotes checked: {report.quotes_checked}/{report.quotes_total}", t0)

    t0 = time.perf_counter()
    graphs = build_graphs(kb.data, layout.schema)
    step(2, f"built OWL graphs ({len(graphs.main)} triples, {len(graphs.external)} in the import module)", t0)

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    try:
        t0 = time.perf_counter()
        (tmp / "imports").mkdir()
        _serialize(graphs.main, tmp / "ciro.owl", "xml")
        _serialize(graphs.main, tmp / "ciro.ttl", "turtle")
        _serialize(graphs.main, tmp / "ciro.jsonld", "json-ld")
        _serialize(graphs.base, tmp / "ciro-base.owl", "xml")
        _serialize(graphs.full, tmp / "ciro-full.owl", "xml")
        _serialize(graphs.external, tmp / "imports" / "ciro-external.owl", "xml")
        step(3, "wrote ciro.owl, ciro.ttl, ciro.jsonld, ciro-base.owl, ciro-full.owl, imports/", t0)

        t0 = time.perf_counter()
        write_catalog(tmp / "catalog-v001.xml", {
            str(IMPORT_IRI): "imports/ciro-external.owl",
            str(ONTOLOGY_IRI): "ciro.owl",
        })
        step(4, "wrote catalog-v001.xml", t0)

        t0 = time.perf_counter()
        shapes = generate_shacl(layout.schema)
        rules = (layout.schema.parent / RULES_FILE).read_text(encoding="utf-8")
        (tmp / "ciro.shacl.ttl").write_text(shapes + "\n" + rules, encoding="utf-8")
        step(5, "wrote ciro.shacl.ttl (generated shapes + project rules)", t0)

        t0 = time.perf_counter()
        (tmp / "ciro.schema.json").write_text(generate_json_schema(layout.schema), encoding="utf-8")
        step(6, "wrote ciro.schema.json", t0)

        t0 = time.perf_counter()
        _write_manifest(tmp, layout)
        step(7, "wrote release-manifest.json", t0)

        _swap(tmp, out_dir)
    except ValidationFailed:
        raise
    except Exception as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise BuildError(f"build failed, {out_dir} left unchanged: {exc}") from exc
    progress(f"release written to {out_dir} in {time.perf_counter() - started:.2f} s")
    return out_dir


def _write_manifest(tmp: Path, layout: Layout) -> None:
    from .owl import _view

    version = str(_view(str(layout.schema)).schema.version)
    inputs = [layout.schema, layout.schema.parent / "ciro-rules.shacl.ttl"]
    inputs += [p for p in layout.instances.rglob("*") if p.is_file()]
    files = []
    for name in RELEASE_FILES[:-1]:
        data = (tmp / name).read_bytes()
        files.append({"file": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})
    manifest = {
        "ontology_iri": str(ONTOLOGY_IRI),
        "version_iri": f"https://w3id.org/ciro/releases/{version}/ciro.owl",
        "version": version,
        # A commit id cannot be known before the release is committed; this digest of every input file
        # (schema, rules, instances, kept sources) identifies the source state instead.
        "source_digest": _digest(inputs, layout.root),
        "files": files,
    }
    (tmp / "release-manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")


def _swap(tmp: Path, out_dir: Path) -> None:
    """Move the new release into place; the old one is removed only after the new one is there."""
    keep = [p for p in (out_dir / "reports",) if p.exists()]
    for extra in keep:  # reports are written by later checks; carry them over untouched
        shutil.copytree(extra, tmp / extra.name, dirs_exist_ok=True)
    old = None
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.old")
        if old.exists():
            shutil.rmtree(old)
        os.replace(out_dir, old)
    os.replace(tmp, out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
