"""CIRO as an ontology engineer reuses it, on OWL API 5 with HermiT and ELK: merged with the real Relation
Ontology (tests/data/ro/, release 2025-12-17), and imported by a downstream ontology that subclasses a CIRO
mechanism and defines classes from CIRO's relations and external terms (CL:0000084, HGNC:6190).

HermiT cannot classify the release merged with RO in test time (RO's 160 property chains: 740 s for ro.owl
alone). It checks the whole merge for consistency, and classifies the STAR locality module of the merge for
CIRO's signature, which has the same entailments over CIRO's terms (every subsumption and unsatisfiability of
a CIRO class); that run takes minutes, so conftest.py starts it with the session and it runs beside the other
tests. ELK classifies the whole merge in seconds.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ciro.release import read_catalog, write_catalog
from ciro.release.owlcheck import ReasoningReport, reason, run_owlcheck

from .conftest import REPO, RO, hermit_with_ro_module
from .test_owl import EX, VOCAB, _iri, _records, expected_downstream_members

DOWNSTREAM = REPO / "tests" / "data" / "downstream"
DOWNSTREAM_FILE = DOWNSTREAM / "resistance-in-practice.owl"
RO_IRI = "http://purl.obolibrary.org/obo/ro.owl"
RO_VERSION_IRI = "http://purl.obolibrary.org/obo/ro/releases/2025-12-17/ro.owl"
BFO_PROCESS = "http://purl.obolibrary.org/obo/BFO_0000015"
DOWNSTREAM_CLASSES = (str(EX.PTENLossInMelanoma), str(EX.TCellResistanceMechanism), str(EX.JAK1ResistanceMechanism))

pytestmark = pytest.mark.skipif(
    shutil.which("java") is None or shutil.which("javac") is None, reason="needs a JDK (java and javac)"
)


def test_vendored_ro_is_the_release_it_says():
    (ro,) = run_owlcheck([RO]).files
    assert ro.ontology_iri == RO_IRI and ro.version_iri == RO_VERSION_IRI and ro.imports == () and ro.ok


@pytest.fixture(scope="module")
def release_with_ro(fresh_release) -> ReasoningReport:
    """ciro-base.owl (CIRO's own axioms, no import) merged with RO: HermiT checks consistency, ELK classifies."""
    return reason([fresh_release / "ciro-base.owl", RO], consistency_only=("hermit",))


def test_release_with_ro_is_consistent_and_elk_finds_no_unsatisfiable_class(release_with_ro):
    assert release_with_ro.loaded and release_with_ro.ontologies == (RO_IRI, "https://w3id.org/ciro/ciro-base.owl")
    hermit, elk = release_with_ro.result("hermit"), release_with_ro.result("elk")
    assert hermit.error is None and hermit.consistent is True, hermit.problems()
    assert elk.consistent is True and elk.classified and elk.unsatisfiable == (), elk.problems()
    print(f"\nciro-base.owl + RO: HermiT consistent ({hermit.seconds:.0f} s); ELK classified, no unsatisfiable class "
          f"({elk.seconds:.1f} s)")


def test_release_with_ro_has_no_unsatisfiable_class_under_hermit():
    """HermiT classifies the module of CIRO + RO for CIRO's signature (started with the session)."""
    report = hermit_with_ro_module()
    hermit = report.result("hermit")
    assert report.module and report.loaded and hermit.error is None, hermit.problems()
    assert hermit.consistent is True and hermit.classified and hermit.unsatisfiable == (), hermit.problems()
    print(f"\nciro-base.owl + RO, module of {report.axioms} axioms: HermiT classified it, no unsatisfiable class "
          f"({hermit.seconds:.0f} s)")


def _catalog(release: Path, tmp_path: Path) -> Path:
    """The downstream catalog, pointed at the fresh release instead of the committed ontology/."""
    committed = read_catalog(DOWNSTREAM / "catalog-v001.xml")
    shipped = read_catalog(release / "catalog-v001.xml")
    catalog = tmp_path / "catalog-v001.xml"
    write_catalog(catalog, {iri: str(shipped[iri]) for iri in committed})
    return catalog


@pytest.fixture(scope="module")
def downstream(fresh_release, tmp_path_factory) -> dict[str, ReasoningReport]:
    """The downstream ontology (importing ciro.owl and its module through the catalog) under HermiT and ELK,
    and merged with RO under ELK (with HermiT checking that merge's consistency)."""
    catalog = _catalog(fresh_release, tmp_path_factory.mktemp("downstream"))
    alone = reason([DOWNSTREAM_FILE], catalog=catalog, classes=DOWNSTREAM_CLASSES)
    with_ro = reason([DOWNSTREAM_FILE, RO], catalog=catalog, classes=DOWNSTREAM_CLASSES, consistency_only=("hermit",))
    return {"alone": alone, "with_ro": with_ro}


@pytest.mark.parametrize("case,reasoner", [("alone", "hermit"), ("alone", "elk"), ("with_ro", "elk")])
def test_downstream_classes_classify_as_the_data_says(downstream, case, reasoner):
    report = downstream[case]
    result = report.result(reasoner)
    assert report.loaded and report.missing_imports == () and result.consistent and result.classified, \
        result.problems()
    assert result.unsatisfiable == ()
    mechanisms = _records("mechanisms")
    records = {_iri(m["id"]) for m in mechanisms}
    melanoma = set(result.for_class(str(EX.PTENLossInMelanoma)).superclasses)
    # a kind of PTEN loss: a resistance mechanism, a genetic alteration mechanism (PTEN loss's category), a process
    assert {_iri("CIRO:0000257"), str(VOCAB.ResistanceMechanism), _iri("CIRO:0000059"), BFO_PROCESS} <= melanoma
    for cls, external in ((EX.TCellResistanceMechanism, "CL:0000084"), (EX.JAK1ResistanceMechanism, "HGNC:6190")):
        expected = expected_downstream_members(mechanisms, external)
        assert expected, cls
        assert set(result.for_class(str(cls)).subclasses) & records == expected, (cls, reasoner, case)


def test_downstream_with_ro_is_consistent_under_hermit(downstream):
    hermit = downstream["with_ro"].result("hermit")
    assert hermit.error is None and hermit.consistent is True, hermit.problems()
