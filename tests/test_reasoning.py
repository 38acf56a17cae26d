"""HermiT and ELK through OwlCheck (OWL API 5.1.9): small ontologies in tests/data/reasoning/, each result
asserted under both reasoners. The release itself, with the real Relation Ontology and a downstream ontology,
is reasoned over in tests/test_reuse.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ciro.release.owlcheck import REASONERS, OwlCheckReport, ReasoningReport, main, reason, run_owlcheck

DATA = Path(__file__).parent / "data" / "reasoning"
CATALOG = DATA / "catalog-v001.xml"

UPSTREAM_IRI = "http://ciro-test.invalid/upstream.owl"
DOWNSTREAM_IRI = "http://example.org/ciro-test/downstream.owl"
MINI_RO_IRI = "http://ciro-test.invalid/mini-ro.owl"
U = "http://ciro-test.invalid/upstream#"
D = "http://example.org/ciro-test/downstream#"
MINI_RO = "http://ciro-test.invalid/mini-ro#"
UNSAT = "http://ciro-test.invalid/unsatisfiable#"
EL = "http://ciro-test.invalid/el_violation#"
OWL_NOTHING = "http://www.w3.org/2002/07/owl#Nothing"
VERSIONS = {"hermit": ("HermiT", "1.4.3.517"), "elk": ("ELK", "0.6.0")}

GROUPS = {
    "upstream": ["upstream.owl"],
    "inconsistent": ["inconsistent.owl"],
    "unsatisfiable": ["unsatisfiable.owl"],
    "el": ["el_violation.owl"],
    "downstream": ["downstream.owl"],
    "merged": ["upstream.owl", "mini-ro.owl"],
}
CLASSES = [D + "TCellMechanism", U + "TCellExclusion", U + "Recruitment", UNSAT + "AntiPD1", EL + "Origin"]

pytestmark = pytest.mark.skipif(
    shutil.which("java") is None or shutil.which("javac") is None, reason="needs a JDK (java and javac)"
)


@pytest.fixture(scope="module")
def report() -> OwlCheckReport:
    """Every fixture group under HermiT and ELK, and a profile check of every file, in one JVM run."""
    files = sorted({name for group in GROUPS.values() for name in group})
    return run_owlcheck(
        [DATA / f for f in files], catalog=CATALOG, reason=[[DATA / f for f in g] for g in GROUPS.values()],
        classes=CLASSES,
    )  # fmt: skip


def group(report: OwlCheckReport, name: str) -> ReasoningReport:
    result = report.reasoning[list(GROUPS).index(name)]
    assert [f.name for f in result.files] == GROUPS[name]
    return result


def test_fixtures_are_clean_owl_2_dl(report: OwlCheckReport) -> None:
    # The fixtures test the reasoners, not the parser: every file loads with nothing to report, and all
    # but el_violation.owl are in OWL 2 EL too (so ELK has no excuse on them).
    for file_report in report.files:
        assert file_report.ok, (file_report.file.name, file_report.problems())
        assert bool(file_report.el_violations) == (file_report.file.name == "el_violation.owl")


@pytest.mark.parametrize("reasoner", REASONERS)
def test_consistent_ontology(report: OwlCheckReport, reasoner: str) -> None:
    upstream = group(report, "upstream")
    assert upstream.loaded and upstream.ok and upstream.ontologies == (UPSTREAM_IRI,)
    result = upstream.result(reasoner)
    assert (result.reasoner, result.name, result.version) == (reasoner, *VERSIONS[reasoner])
    assert result.ok and result.consistent is True and result.classified and result.error is None
    assert result.unsatisfiable == () and result.warnings == () and result.problems() == []
    # One inference per requested class, in the order requested.
    assert [c.iri for c in result.inferences] == CLASSES
    exclusion = result.for_class(U + "TCellExclusion")
    assert exclusion.in_signature and exclusion.equivalent == ()
    assert exclusion.direct_superclasses == (U + "ImmuneExclusion",)
    assert exclusion.superclasses == (U + "ImmuneExclusion", U + "Mechanism")
    assert exclusion.direct_subclasses == exclusion.subclasses == ()
    # A class the ontology does not mention is reported as such, with nothing inferred.
    absent = result.for_class(D + "TCellMechanism")
    assert not absent.in_signature and absent.superclasses == absent.subclasses == ()


@pytest.mark.parametrize("reasoner", REASONERS)
def test_inconsistent_ontology(report: OwlCheckReport, reasoner: str) -> None:
    inconsistent = group(report, "inconsistent")
    assert inconsistent.loaded and not inconsistent.ok
    result = inconsistent.result(reasoner)
    assert result.consistent is False and not result.classified and result.error is None and not result.ok
    assert result.problems() == [f"{' '.join(VERSIONS[reasoner])}: the ontology is inconsistent"]
    # An inconsistent ontology entails everything: no hierarchy, no unsatisfiable list.
    assert result.unsatisfiable == ()
    assert all(c.superclasses == c.subclasses == () for c in result.inferences)


@pytest.mark.parametrize("reasoner", REASONERS)
def test_unsatisfiable_classes(report: OwlCheckReport, reasoner: str) -> None:
    result = group(report, "unsatisfiable").result(reasoner)
    assert result.consistent is True and not result.ok
    assert result.unsatisfiable == (UNSAT + "AntiPD1", UNSAT + "Nivolumab")
    label = " ".join(VERSIONS[reasoner])
    assert result.problems() == [f"{label}: unsatisfiable class <{UNSAT}AntiPD1>",
                                 f"{label}: unsatisfiable class <{UNSAT}Nivolumab>"]  # fmt: skip
    anti_pd1 = result.for_class(UNSAT + "AntiPD1")
    assert anti_pd1.equivalent == (UNSAT + "Nivolumab", OWL_NOTHING)
    # Its unsatisfiable subclass is not listed as a subclass (it is below every class).
    assert anti_pd1.subclasses == ()


def test_el_violation_hermit_infers_what_elk_ignores_and_elk_says_so(report: OwlCheckReport) -> None:
    el = group(report, "el")
    hermit, elk = el.result("hermit"), el.result("elk")
    assert hermit.ok and elk.ok  # consistent, nothing unsatisfiable, no failure
    # Origin ⊑ Intrinsic ⊔ Extrinsic, both ⊑ Mechanism: HermiT infers Origin ⊑ Mechanism.
    assert hermit.for_class(EL + "Origin").superclasses == (EL + "Mechanism",)
    assert hermit.warnings == ()
    # ELK drops the union: no superclass, and its log (kept as warnings) names the construct and the axiom.
    assert elk.for_class(EL + "Origin").superclasses == ()
    assert "INFO: Potential incompleteness due to positive occurrences of ObjectUnionOf" in elk.warnings
    assert f"DEBUG: SubClassOf(<{EL}Origin> ObjectUnionOf(<{EL}Extrinsic> <{EL}Intrinsic>))" in elk.warnings
    assert any(w.startswith("WARN: Class inclusions may be incomplete") for w in elk.warnings)
    # No other group held a construct ELK ignores.
    assert all(g.result("elk").warnings == () for g in report.reasoning if g is not el)


@pytest.mark.parametrize("reasoner", REASONERS)
def test_downstream_ontology_classified_through_an_import(report: OwlCheckReport, reasoner: str) -> None:
    downstream = group(report, "downstream")
    assert downstream.ontologies == (UPSTREAM_IRI, DOWNSTREAM_IRI)  # the import came through the catalog
    assert downstream.missing_imports == () and downstream.ok
    result = downstream.result(reasoner)
    # The defined class "Mechanism and (involves some T cell)" gets the upstream mechanism that excludes
    # (a subproperty of involves) T cells, and the downstream subclass of that mechanism below it.
    defined = result.for_class(D + "TCellMechanism")
    assert defined.direct_superclasses == (U + "Mechanism",)
    assert defined.direct_subclasses == (U + "TCellExclusion",)
    assert defined.subclasses == (U + "TCellExclusion", D + "MelanomaTCellExclusion")
    exclusion = result.for_class(U + "TCellExclusion")
    assert exclusion.direct_superclasses == (U + "ImmuneExclusion", D + "TCellMechanism")
    assert exclusion.direct_subclasses == (D + "MelanomaTCellExclusion",)


@pytest.mark.parametrize("reasoner", REASONERS)
def test_merged_files_reason_as_one_ontology(report: OwlCheckReport, reasoner: str) -> None:
    # upstream.owl maps its properties onto mini-ro.owl's without importing it, as CIRO does with RO.
    # Alone, Recruitment is satisfiable; merged with mini-ro.owl, it both regulates (domain: process) and
    # interacts with (domain: material entity), which are disjoint.
    assert group(report, "upstream").result(reasoner).unsatisfiable == ()
    merged = group(report, "merged")
    assert merged.ontologies == (MINI_RO_IRI, UPSTREAM_IRI)
    result = merged.result(reasoner)
    assert result.consistent is True and result.unsatisfiable == (U + "Recruitment",)
    # And the mapping re-types the upstream mechanism: RO-style domains apply to whatever maps onto them.
    exclusion = result.for_class(U + "TCellExclusion")
    assert exclusion.direct_superclasses == (MINI_RO + "material_entity", U + "ImmuneExclusion")
    assert exclusion.subclasses == ()  # the unsatisfiable Recruitment is not listed


def test_missing_import_and_a_single_reasoner() -> None:
    """Without the catalog, the import is missing (reported, never fetched) and the defined class classifies
    nothing; only the reasoner asked for runs."""
    downstream = reason([DATA / "downstream.owl"], reasoners=("elk",), classes=[D + "TCellMechanism"])
    assert downstream.loaded and not downstream.ok
    assert downstream.ontologies == (DOWNSTREAM_IRI,)
    assert downstream.missing_imports == (UPSTREAM_IRI,)
    assert downstream.parse_errors == (
        f"downstream.owl: missing import <{UPSTREAM_IRI}>: not mapped by the catalog "
        "(imports are not fetched from the network without --online)",
    )
    assert [r.reasoner for r in downstream.results] == ["elk"]
    with pytest.raises(KeyError):
        downstream.result("hermit")
    assert downstream.result("elk").for_class(D + "TCellMechanism").subclasses == ()


def test_consistency_only() -> None:
    unsatisfiable = reason([DATA / "unsatisfiable.owl"], consistency_only=("hermit",), classes=[UNSAT + "AntiPD1"])
    hermit, elk = unsatisfiable.result("hermit"), unsatisfiable.result("elk")
    # HermiT was asked for consistency only: no hierarchy, so no unsatisfiable classes and no inferences.
    assert hermit.consistent is True and not hermit.classified and hermit.ok
    assert hermit.unsatisfiable == () and hermit.inferences == ()
    assert elk.classified and elk.unsatisfiable == (UNSAT + "AntiPD1", UNSAT + "Nivolumab") and not elk.ok
    expected = [f"ELK 0.6.0: unsatisfiable class <{UNSAT}{c}>" for c in ("AntiPD1", "Nivolumab")]
    assert unsatisfiable.problems() == expected


def test_cli_reasoning(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--reason", "--catalog", str(CATALOG), "--class", D + "TCellMechanism", str(DATA / "downstream.owl")])
    out = capsys.readouterr().out
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == "reasoning over downstream.owl: 2 ontologies, " + lines[0].rsplit(", ", 1)[1]
    for name, version in VERSIONS.values():
        assert any(line.startswith(f"  {name} {version}: consistent, 0 unsatisfiable classes (") for line in lines)
    assert lines.count(f"    <{D}TCellMechanism> direct subclasses: <{U}TCellExclusion>") == 2
