"""`ciro diff` and `ciro changelog`: changes read from axiom sets (blank nodes compared by structure), terms,
links with their evidence, evidence per publication; CHANGELOG.md generated from the kept releases."""

from __future__ import annotations

import json
import shutil

from click.testing import CliRunner
from rdflib import BNode, Graph

from ciro.cli import main
from ciro.release.changelog import CHANGELOG, changelog_text
from ciro.release.diff import axiom_set, diff_markdown, diff_snapshots, read_snapshot

from .conftest import REPO

PREFIXES = """@prefix CIRO: <https://w3id.org/ciro/CIRO_> .
@prefix cirovocab: <https://w3id.org/ciro/vocab/> .
@prefix IAO: <http://purl.obolibrary.org/obo/IAO_> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
"""


def _release(folder, body: str):
    folder.mkdir(parents=True)
    (folder / "ciro.ttl").write_text(PREFIXES + body, encoding="utf-8")
    return read_snapshot(folder, folder.name)


def test_two_releases_diff(two_releases):
    layout, _ = two_releases
    diff = diff_snapshots(read_snapshot(layout.releases / "0.1.0", "0.1.0"),
                          read_snapshot(layout.releases / "0.2.0", "0.2.0"))
    terms = diff.terms
    assert terms["relabelled"] == [{"id": "CIRO:0000282", "old": "abnormal IFN-γ signal pathway",
                                    "new": "abnormal IFN-γ signalling"}]
    assert [(t["id"], t["old"][:24], t["new"][:18]) for t in terms["redefined"]] == [
        ("CIRO:0000282", "Abnormal interferon-γ si", "Abnormal IFN-γ sig")]
    assert terms["added"] == terms["removed"] == terms["obsoleted"] == []
    assert diff.links["added"] == []
    (removed,) = diff.links["removed"]
    assert (removed["subject"], removed["property"], removed["object"]) == (
        "CIRO:0000282", "cirovocab:involves", "CIRO:0000142")
    assert [e["id"] for e in removed["evidence"]] == ["CIRO:0000287"]
    (huang,) = diff.evidence
    assert (huang["label"], [e["id"] for e in huang["removed"]], huang["added"], huang["changed"]) == (
        "Huang et al. 2020", ["CIRO:0000287"], [], [])
    assert ("CIRO:0000282 rdfs:subClassOf [ owl:onProperty cirovocab:involves ; owl:someValuesFrom CIRO:0000142 ; "
            "rdf:type owl:Restriction ]") in diff.axioms["removed"]
    assert 'CIRO:0000282 rdfs:label "abnormal IFN-γ signalling"' in diff.axioms["added"]
    assert not any("versionIRI" in a or "dcterms:date" in a for a in diff.axioms["added"])  # the header is apart
    text = diff_markdown(diff)
    assert "## Links removed\n\n- abnormal IFN-γ signal pathway (CIRO:0000282) — involves → IFN-γ receptor" in text
    assert "- CIRO:0000282: 'abnormal IFN-γ signal pathway' → 'abnormal IFN-γ signalling'" in text


def test_cli_diff_json_and_markdown_and_tree(two_releases, tmp_path):
    layout, _ = two_releases
    runner = CliRunner()
    result = runner.invoke(main, ["diff", "--root", str(layout.root), "--format", "json", "0.1.0", "0.2.0"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["summary"]["links removed"] == 1 and report["summary"]["terms relabelled"] == 1
    assert (report["old"]["version"], report["new"]["version"]) == ("0.1.0", "0.2.0")
    result = runner.invoke(main, ["diff", "--root", str(layout.root), "0.2.0", "tree"])
    assert result.exit_code == 0, result.output
    assert result.output == ("# Changes from 0.2.0 to working tree\n\n0.2.0 (2026-12-02) → 0.2.0 (undated).\n\n"
                             "No change.\n")
    result = runner.invoke(main, ["diff", "--root", str(layout.root), "0.1.0", "0.9.9"])
    assert result.exit_code == 1 and "'0.9.9' is neither a kept release (kept: 0.1.0, 0.2.0)" in result.output


def test_blank_node_ids_and_file_order_do_not_count(tmp_path):
    """The same axioms with every blank node renamed, written again by rdflib: no change at all."""
    source = REPO / "releases" / "0.1.0"
    graph = Graph().parse(source / "ciro.ttl")
    renamed = Graph()
    for prefix, namespace in graph.namespaces():
        renamed.bind(prefix, namespace, override=True, replace=True)
    fresh: dict = {}

    def rename(node):
        return fresh.setdefault(node, BNode()) if isinstance(node, BNode) else node

    for s, p, o in graph:
        renamed.add((rename(s), p, rename(o)))
    (tmp_path / "again").mkdir()
    renamed.serialize(tmp_path / "again" / "ciro.ttl", format="turtle")
    assert (tmp_path / "again" / "ciro.ttl").read_bytes() != (source / "ciro.ttl").read_bytes()
    assert axiom_set(renamed) == axiom_set(graph)
    diff = diff_snapshots(read_snapshot(source), read_snapshot(tmp_path / "again"))
    assert diff.empty, diff.summary()


def test_a_changed_restriction_is_one_axiom_removed_and_one_added(tmp_path):
    old = _release(tmp_path / "old", """CIRO:0000200 a owl:Class ; rdfs:label "m" ;
    rdfs:subClassOf [ a owl:Restriction ; owl:onProperty cirovocab:involves ; owl:someValuesFrom CIRO:0000201 ] .
CIRO:0000201 a owl:Class ; rdfs:label "t1" .
CIRO:0000202 a owl:Class ; rdfs:label "t2" .
""")
    new = _release(tmp_path / "new", """CIRO:0000200 a owl:Class ; rdfs:label "m" ;
    rdfs:subClassOf [ a owl:Restriction ; owl:onProperty cirovocab:involves ; owl:someValuesFrom CIRO:0000202 ] .
CIRO:0000201 a owl:Class ; rdfs:label "t1" .
CIRO:0000202 a owl:Class ; rdfs:label "t2" .
""")
    diff = diff_snapshots(old, new)
    assert diff.axioms == {
        "added": ["CIRO:0000200 rdfs:subClassOf [ owl:onProperty cirovocab:involves ; owl:someValuesFrom "
                  "CIRO:0000202 ; rdf:type owl:Restriction ]"],
        "removed": ["CIRO:0000200 rdfs:subClassOf [ owl:onProperty cirovocab:involves ; owl:someValuesFrom "
                    "CIRO:0000201 ; rdf:type owl:Restriction ]"]}
    assert [(e["subject_label"], e["object_label"]) for e in diff.links["added"]] == [("m", "t2")]
    assert [(e["subject_label"], e["object_label"]) for e in diff.links["removed"]] == [("m", "t1")]


def test_added_removed_and_obsoleted_terms(tmp_path):
    old = _release(tmp_path / "old", """CIRO:0000200 a owl:Class ; rdfs:label "kept" ; IAO:0000115 "d" .
CIRO:0000201 a owl:Class ; rdfs:label "retired" ; IAO:0000115 "d" ; rdfs:subClassOf CIRO:0000200 .
CIRO:0000202 a owl:Class ; rdfs:label "deleted" .
""")
    new = _release(tmp_path / "new", """CIRO:0000200 a owl:Class ; rdfs:label "kept" ; IAO:0000115 "d" .
CIRO:0000201 a owl:Class ; rdfs:label "obsolete retired" ; IAO:0000115 "d" ; owl:deprecated true ;
    IAO:0100001 CIRO:0000203 .
CIRO:0000203 a owl:Class ; rdfs:label "successor" ; rdfs:subClassOf CIRO:0000200 .
""")
    terms = diff_snapshots(old, new).terms
    assert terms["added"] == [{"id": "CIRO:0000203", "label": "successor", "kind": "class"}]
    assert terms["removed"] == [{"id": "CIRO:0000202", "label": "deleted", "kind": "class"}]
    assert terms["obsoleted"] == [{"id": "CIRO:0000201", "label": "retired", "kind": "class",
                                   "replaced_by": "CIRO:0000203"}]
    assert terms["relabelled"] == terms["redefined"] == []  # "obsolete retired" is the obsoletion, not a relabel


def test_changelog_is_up_to_date():
    assert (REPO / CHANGELOG).read_text(encoding="utf-8") == changelog_text(REPO / "releases"), \
        "CHANGELOG.md is stale: run `ciro changelog`"


def test_changelog_of_two_releases(two_releases, tmp_path):
    layout, _ = two_releases
    text = changelog_text(layout.releases)
    assert text.index("## [0.2.0] - 2026-12-02") < text.index("## [0.1.0] - 2026-12-01")
    section = text[text.index("## [0.2.0]"):text.index("## [0.1.0]")]
    assert "### Terms relabelled\n\n- CIRO:0000282: 'abnormal IFN-γ signal pathway' → 'abnormal IFN-γ signalling'" \
        in section
    assert "evidence CIRO:0000287 (Huang et al. 2020)" in section
    assert "`ciro diff 0.1.0 0.2.0` lists them" in section
    assert "First release: " in text[text.index("## [0.1.0]"):]
    root = tmp_path / "project"
    shutil.copytree(layout.releases, root / "releases")
    (root / "schema").mkdir()
    shutil.copy(layout.schema, root / "schema" / "ciro.yaml")
    runner = CliRunner()
    assert runner.invoke(main, ["changelog", "--root", str(root), "--check"]).exit_code == 1
    assert runner.invoke(main, ["changelog", "--root", str(root)]).exit_code == 0
    assert (root / CHANGELOG).read_text(encoding="utf-8") == text
    assert runner.invoke(main, ["changelog", "--root", str(root), "--check"]).exit_code == 0
