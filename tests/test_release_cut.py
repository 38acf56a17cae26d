"""`ciro release`: a release cut into releases/VERSION/ under its version IRI, dated, catalogued, refused when
the version, the tree or the validation is wrong, and never touching an earlier release."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import OWL, Graph, Literal, URIRef

from ciro.cli import main
from ciro.release import ONTOLOGY_FILES, read_catalog
from ciro.release.cut import ReleaseRefused, cut_release
from ciro.versions import SemVer, kept_releases

from .conftest import copy_project, git

DCTERMS = "http://purl.org/dc/terms/"
V = "https://w3id.org/ciro/releases/"


def test_semantic_version_precedence():
    ordered = ["0.1.0", "0.2.0-alpha", "0.2.0-alpha.1", "0.2.0-alpha.beta", "0.2.0-beta.2", "0.2.0-beta.11",
               "0.2.0-rc.1", "0.2.0", "0.10.0", "1.0.0"]
    parsed = [SemVer.parse(v) for v in ordered]
    assert sorted(reversed(parsed), key=SemVer.key) == parsed
    for bad in ("1.0", "01.0.0", "1.0.0+build", "v1.0.0", "1.0.0-"):
        with pytest.raises(ValueError, match="not a semantic version"):
            SemVer.parse(bad)


def test_earlier_release_stays_byte_identical(two_releases):
    layout, first = two_releases
    now = {p.relative_to(layout.releases / "0.1.0"): p.read_bytes()
           for p in sorted((layout.releases / "0.1.0").rglob("*")) if p.is_file()}
    assert now == first
    assert [str(r.version) for r in kept_releases(layout.releases)] == ["0.1.0", "0.2.0"]
    assert (layout.releases / "0.2.0" / "ciro.ttl").read_bytes() != first[Path("ciro.ttl")]


@pytest.mark.parametrize("version,date", [("0.1.0", "2026-12-01"), ("0.2.0", "2026-12-02")])
def test_every_product_under_its_version_iri_and_dated(two_releases, version, date):
    layout, _ = two_releases
    folder = layout.releases / version
    for iri, name in ONTOLOGY_FILES.items():
        graph = Graph().parse(folder / name, format="xml")
        assert graph.value(iri, OWL.versionIRI) == URIRef(V + version + "/" + str(iri).removeprefix(
            "https://w3id.org/ciro/"))
        assert graph.value(iri, OWL.versionInfo) == Literal(version)
        assert graph.value(iri, URIRef(DCTERMS + "date")) == Literal(date)
        assert version in str(graph.value(iri, URIRef(DCTERMS + "bibliographicCitation")))
    main_graph = Graph().parse(folder / "ciro.ttl")
    assert set(main_graph.objects(None, OWL.imports)) == {URIRef(V + version + "/imports/ciro-external.owl")}
    manifest = json.loads((folder / "release-manifest.json").read_text())
    assert (manifest["version"], manifest["release_date"]) == (version, date)
    for entry in manifest["files"]:
        assert hashlib.sha256((folder / entry["file"]).read_bytes()).hexdigest() == entry["sha256"]
    assert json.loads((folder / "ciro.schema.json").read_text()).get("version") == version


def test_catalogs_map_each_version_iri_to_its_own_folder(two_releases):
    layout, _ = two_releases
    tree = read_catalog(layout.ontology / "catalog-v001.xml")
    for version in ("0.1.0", "0.2.0"):
        own = read_catalog(layout.releases / version / "catalog-v001.xml")
        for iri, name in ONTOLOGY_FILES.items():
            pinned = V + version + "/" + str(iri).removeprefix("https://w3id.org/ciro/")
            assert tree[pinned] == (layout.releases / version / name).resolve()
            assert own[pinned] == own[str(iri)] == (layout.releases / version / name).resolve()
            assert all(path.is_relative_to(layout.releases / version) for path in own.values())
        assert tree[str(next(iter(ONTOLOGY_FILES)))] == (layout.ontology / "ciro.owl").resolve()


def test_release_date_makes_the_files_deterministic(two_releases, tmp_path):
    from ciro.release import build_release

    layout, first = two_releases
    git(layout.root, "checkout", "-q", "HEAD~1")
    try:
        again = build_release(layout, tmp_path / "again", progress=lambda _line: None, release_date="2026-12-01")
    finally:
        git(layout.root, "checkout", "-q", "-")
    rebuilt = {p.relative_to(again): p.read_bytes() for p in sorted(again.rglob("*")) if p.is_file()}
    assert rebuilt == first


def test_refusals_write_nothing(two_releases):
    layout, _ = two_releases
    before = sorted(p.name for p in layout.releases.iterdir())
    for version, reason in (("0.2.0", "not newer than the last release, 0.2.0"),
                            ("0.1.5", "not newer than the last release, 0.2.0"),
                            ("0.3", "not a semantic version"),
                            ("0.3.0", "schema/ciro.yaml says version: 0.2.0")):
        with pytest.raises(ReleaseRefused, match=reason):
            cut_release(layout, version, "2026-12-03", progress=lambda _line: None)
    schema = layout.schema.read_text(encoding="utf-8")
    layout.schema.write_text(schema.replace("version: 0.2.0", "version: 0.3.0", 1), encoding="utf-8")
    try:
        refusal = r"1 uncommitted change\(s\) under schema, instances, imports/"
        with pytest.raises(ReleaseRefused, match=refusal) as refused:
            cut_release(layout, "0.3.0", "2026-12-03", progress=lambda _line: None)
        assert "M schema/ciro.yaml" in str(refused.value)
    finally:
        layout.schema.write_text(schema, encoding="utf-8")
    assert sorted(p.name for p in layout.releases.iterdir()) == before


def test_cli_refuses_an_invalid_tree_and_a_dirty_one(tmp_path):
    layout = copy_project(tmp_path)
    mechanism = layout.root / "instances" / "mechanisms" / "pten-loss.yaml"
    mechanism.write_text(mechanism.read_text(encoding="utf-8").replace("label: PTEN loss", "label:"),
                         encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["release", "--root", str(layout.root), "--allow-dirty", "0.1.0"])
    assert result.exit_code == 1
    assert "pten-loss.yaml" in result.output and "release refused: 1 validation error(s)" in result.output
    result = runner.invoke(main, ["release", "--root", str(layout.root), "0.1.0"])
    assert result.exit_code == 1 and "not a git checkout" in result.output
    assert not layout.releases.exists() or not any(layout.releases.iterdir())


def test_owlapi_loads_a_pinned_release_by_its_version_iri(two_releases, tmp_path):
    from ciro.release.owlcheck import run_owlcheck

    layout, _ = two_releases
    (tmp_path / "pinned.owl").write_text(f"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:owl="http://www.w3.org/2002/07/owl#"
         xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">
  <owl:Ontology rdf:about="http://example.org/pinned.owl">
    <owl:imports rdf:resource="{V}0.1.0/ciro.owl"/>
  </owl:Ontology>
  <owl:Class rdf:about="http://example.org/pinned#X">
    <rdfs:subClassOf rdf:resource="https://w3id.org/ciro/CIRO_0000257"/>
  </owl:Class>
</rdf:RDF>
""", encoding="utf-8")
    report = run_owlcheck([tmp_path / "pinned.owl"], catalog=layout.ontology / "catalog-v001.xml")
    (pinned,) = report.files
    assert pinned.loaded and pinned.ok, pinned.problems()
    assert set(pinned.loaded_imports) == {"https://w3id.org/ciro/ciro.owl",
                                          "https://w3id.org/ciro/imports/ciro-external.owl"}
    assert pinned.missing_imports == ()


def test_kept_releases_are_intact(layout):
    """Every release committed under releases/ still holds what its manifest says (no file edited since)."""
    kept = kept_releases(layout.releases)
    assert kept, "no release kept under releases/"
    for release in kept:
        manifest = json.loads((release.path / "release-manifest.json").read_text())
        assert manifest["version"] == str(release.version)
        listed = {entry["file"] for entry in manifest["files"]} | {"release-manifest.json"}
        assert {str(p.relative_to(release.path)) for p in release.path.rglob("*") if p.is_file()} == listed
        for entry in manifest["files"]:
            assert hashlib.sha256((release.path / entry["file"]).read_bytes()).hexdigest() == entry["sha256"], \
                f"{release.path / entry['file']} differs from its manifest"
