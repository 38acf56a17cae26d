"""ciro.sssom.tsv: every cross-reference as an SSSOM mapping, valid under sssom-py, the same as the OWL says."""

from __future__ import annotations

import csv

import pytest
import yaml
from rdflib import Graph, URIRef

from .conftest import REPO

SKOS = "http://www.w3.org/2004/02/skos/core#"
PREDICATES = ("exactMatch", "closeMatch", "broadMatch", "narrowMatch")


def _rows(path) -> tuple[dict, list[dict]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    header = yaml.safe_load("\n".join(line[1:] for line in lines if line.startswith("#")))
    rows = list(csv.DictReader((line for line in lines if not line.startswith("#")), delimiter="\t"))
    return header, rows


def test_mapping_set_is_valid_under_sssom_py(fresh_release, tmp_path):
    from sssom.parsers import parse_sssom_table
    from sssom.validators import validate

    msdf = parse_sssom_table(fresh_release / "ciro.sssom.tsv")
    validate(msdf)  # JSON Schema, prefix map completeness, strict CURIEs: raises on an error
    assert len(msdf.df) > 50
    assert set(msdf.df["mapping_justification"]) == {"semapv:ManualMappingCuration"}

    broken = tmp_path / "broken.sssom.tsv"
    broken.write_text((fresh_release / "ciro.sssom.tsv").read_text(encoding="utf-8")
                      .replace("semapv:ManualMappingCuration", "semapv:MadeUp", 1), encoding="utf-8")
    with pytest.raises(Exception, match="validation error"):
        validate(parse_sssom_table(broken))


def test_every_cross_reference_in_the_owl_is_a_mapping_and_nothing_else(fresh_release):
    header, rows = _rows(fresh_release / "ciro.sssom.tsv")
    curie_map = header["curie_map"]

    def expand(curie: str) -> URIRef:
        prefix, local = curie.split(":", 1)
        return URIRef(curie_map[prefix] + local)

    owl = Graph().parse(fresh_release / "ciro.owl", format="xml")
    in_owl = {(str(s), p.removeprefix(SKOS), str(o)) for p in map(URIRef, (SKOS + x for x in PREDICATES))
              for s, o in owl.subject_objects(p) if str(s).startswith("https://w3id.org/ciro/CIRO_")}
    in_sssom = {(str(expand(r["subject_id"])), r["predicate_id"].removeprefix("skos:"), str(expand(r["object_id"])))
                for r in rows}
    assert in_sssom == in_owl
    assert {p for _, p, _ in in_sssom} >= {"exactMatch", "closeMatch", "narrowMatch"}


def test_each_mapping_has_labels_author_and_date(fresh_release):
    registry = {t["id"]: t["label"] for path in (REPO / "instances" / "external_terms").glob("*.yaml")
                for t in yaml.safe_load(path.read_text(encoding="utf-8"))}
    header, rows = _rows(fresh_release / "ciro.sssom.tsv")
    assert header["mapping_set_id"] == "https://w3id.org/ciro/ciro.sssom.tsv"
    assert header["license"] == "https://creativecommons.org/licenses/by/4.0/"
    for row in rows:
        assert row["object_label"] == registry[row["object_id"]]
        assert row["subject_label"] and row["mapping_date"]
        assert row["author_id"] or row["author_label"]
    near = {(r["subject_label"], r["predicate_id"], r["object_label"]) for r in rows
            if r["predicate_id"] != "skos:exactMatch"}
    # near matches as curated: TGF-β is the family of TGFB1-3; MeSH's Cancer Vaccines are what vaccination uses
    assert {("TGF-β", "skos:narrowMatch", f"TGFB{n}") for n in (1, 2, 3)} <= near
    assert ("vaccination", "skos:closeMatch", "Cancer Vaccines") in near
