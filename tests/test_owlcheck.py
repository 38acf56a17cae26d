"""OwlCheck (OWL API 5.1.9 via Java) on small hand-written ontologies in tests/data/owlcheck/.

Several fixtures were written for the OWL API 3.4.3 that OwlCheck ran on before; where OWL API 5 reads them
differently, the test says what 3.4.3 did and asserts what 5 does."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ciro.release.owlcheck import (
    OwlCheckError,
    OwlCheckReport,
    UndeclaredEntity,
    compile_owlcheck,
    run_owlcheck,
)

DATA = Path(__file__).parent / "data" / "owlcheck"
CATALOG = DATA / "catalog-v001.xml"
SKOS_EXACT_MATCH = "http://www.w3.org/2004/02/skos/core#exactMatch"
BASE_IRI = "http://ciro-test.invalid/base.owl"
OWLAPI_ERROR_NS = "http://org.semanticweb.owlapi/error#"

pytestmark = pytest.mark.skipif(
    shutil.which("java") is None or shutil.which("javac") is None, reason="needs a JDK (java and javac)"
)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # One compile per test module, in a private cache so the user's cache is never touched.
    return tmp_path_factory.mktemp("owlcheck-cache")


@pytest.fixture(scope="module")
def report(cache_dir: Path) -> OwlCheckReport:
    """All single-file fixtures in one JVM run (with the catalog), as the release check would do."""
    files = ["clean.owl", "undeclared_annotation.owl", "bad_restriction.owl", "importer.owl"]
    return run_owlcheck([DATA / f for f in files], catalog=CATALOG, cache_dir=cache_dir)


def test_report_shape(report: OwlCheckReport) -> None:
    assert report.owlapi_version == "5.1.9"
    assert report.catalog_entries == 1
    assert report.reasoning == ()
    assert [f.file.name for f in report.files] == [
        "clean.owl",
        "undeclared_annotation.owl",
        "bad_restriction.owl",
        "importer.owl",
    ]
    assert report.for_file(DATA / "clean.owl") is report.files[0]
    assert not report.ok


def test_clean_ontology(report: OwlCheckReport) -> None:
    clean = report.for_file(DATA / "clean.owl")
    assert clean.ok, clean.problems()
    assert clean.loaded
    assert clean.format == "RDF/XML Syntax"  # OWL API 3.4.3 called it "RDF/XML"
    assert clean.ontology_iri == "http://example.org/ciro-test/clean"
    assert clean.version_iri == "http://example.org/ciro-test/clean/1.0"
    assert (clean.parse_errors, clean.unparsed_triples, clean.malformed_axioms) == ((), (), ())
    assert (clean.dl_violations, clean.el_violations, clean.undeclared_entities) == ((), (), ())
    assert clean.imports == clean.loaded_imports == clean.missing_imports == ()
    # Mechanism, Resistance, AntigenLoss / confers / evidenceCount / b2mLoss.
    assert (clean.classes, clean.object_properties, clean.data_properties, clean.individuals) == (3, 1, 1, 1)
    # skos:exactMatch (declared) plus the built-ins rdfs:label and rdfs:comment.
    assert clean.annotation_properties == 3
    # 2 subClassOf + domain + range + data range + class assertion + data property assertion.
    assert clean.logical_axioms == 7
    # + 7 declarations + 2 labels + 1 exactMatch annotation assertion.
    assert clean.axioms == 17


def test_undeclared_annotation_property(report: OwlCheckReport) -> None:
    bad = report.for_file(DATA / "undeclared_annotation.owl")
    assert bad.loaded and not bad.ok
    assert bad.parse_errors == ()
    assert bad.undeclared_entities == (UndeclaredEntity("AnnotationProperty", SKOS_EXACT_MATCH),)
    assert len(bad.dl_violations) == 1
    assert bad.dl_violations[0].startswith(f"Use of undeclared annotation property: <{SKOS_EXACT_MATCH}>")
    assert bad.problems() == [
        f"OWL 2 DL: {bad.dl_violations[0]}", f"undeclared AnnotationProperty: <{SKOS_EXACT_MATCH}>"
    ]
    # OWL API 3.4.3 also listed the triple among the unparsed ones; OWL API 5 makes the annotation
    # assertion and consumes it.
    assert bad.unparsed_triples == ()
    assert (bad.axioms, bad.annotation_properties) == (3, 2)  # declaration, label, exactMatch; label + exactMatch


def test_malformed_restrictions(report: OwlCheckReport) -> None:
    bad = report.for_file(DATA / "bad_restriction.owl")
    assert bad.loaded and not bad.ok
    # Both broken restrictions end up as superclasses replaced by the parser's error placeholders.
    assert len(bad.malformed_axioms) == 2
    for name in ("NoProperty", "LiteralFiller"):
        assert any(f"ciro-test/bad#{name}> <{OWLAPI_ERROR_NS}" in a for a in bad.malformed_axioms), name
    placeholder = f"Use of undeclared class: <{OWLAPI_ERROR_NS}"
    undeclared_placeholders = [v for v in bad.dl_violations if v.startswith(placeholder)]
    assert len(undeclared_placeholders) == 2
    # owl:someValuesFrom with a literal filler: OWL API 3.4.3 left the triple unparsed; OWL API 5 reads it as
    # an annotation whose property is owl:someValuesFrom, which the DL profile rejects as reserved vocabulary.
    assert bad.unparsed_triples == ()
    (reserved,) = set(bad.dl_violations) - set(undeclared_placeholders)
    assert reserved.startswith("Use of reserved vocabulary for annotation property IRI: owl:someValuesFrom")
    assert '"not a class"' in reserved
    # Placeholders are not blamed on missing declarations; the misread owl:someValuesFrom is.
    assert bad.undeclared_entities == (
        UndeclaredEntity("AnnotationProperty", "http://www.w3.org/2002/07/owl#someValuesFrom"),
    )


def test_malformed_restrictions_strict(cache_dir: Path) -> None:
    # Strict parsing invents no placeholders: the rdfs:subClassOf triples stay unparsed instead.
    (bad,) = run_owlcheck([DATA / "bad_restriction.owl"], strict=True, cache_dir=cache_dir).files
    assert bad.malformed_axioms == () and bad.dl_violations == ()
    sub_class_of = "<http://www.w3.org/2000/01/rdf-schema#subClassOf>"
    assert {t.split(" ")[0] for t in bad.unparsed_triples if f" {sub_class_of} " in t} == {
        "<http://example.org/ciro-test/bad#NoProperty>",
        "<http://example.org/ciro-test/bad#LiteralFiller>",
    }
    # ... and so does the literal filler, which is no annotation either under strict parsing.
    (literal,) = [t for t in bad.unparsed_triples if f" {sub_class_of} " not in t]
    assert literal.startswith("_:")
    assert literal.endswith(' <http://www.w3.org/2002/07/owl#someValuesFrom> "not a class"^^<http://www.w3.org/2001/XMLSchema#string>')
    assert bad.undeclared_entities == ()


def test_import_resolved_through_catalog(report: OwlCheckReport) -> None:
    importer = report.for_file(DATA / "importer.owl")
    assert importer.ok, importer.problems()
    assert importer.imports == (BASE_IRI,)
    assert importer.loaded_imports == (BASE_IRI,)
    assert importer.missing_imports == ()
    # base#Entity and base#curatorNote are declared only in the import, and count as declared.
    assert importer.undeclared_entities == ()
    # Counts are for the importing file alone: Mechanism and base#Entity are in its signature.
    assert importer.classes == 2
    assert importer.logical_axioms == 1


def test_missing_import_without_catalog(cache_dir: Path) -> None:
    (importer,) = run_owlcheck([DATA / "importer.owl"], cache_dir=cache_dir).files
    assert importer.loaded and not importer.ok
    assert importer.imports == (BASE_IRI,)
    assert importer.loaded_imports == ()
    assert importer.missing_imports == (BASE_IRI,)
    assert len(importer.parse_errors) == 1
    assert importer.parse_errors[0].startswith(f"missing import <{BASE_IRI}>: not mapped by the catalog")
    # Without the import, its entities are undeclared.
    assert importer.undeclared_entities == (
        UndeclaredEntity("Class", f"{BASE_IRI}#Entity"),
        UndeclaredEntity("AnnotationProperty", f"{BASE_IRI}#curatorNote"),
    )


def test_catalog_entry_pointing_nowhere(tmp_path: Path, cache_dir: Path) -> None:
    catalog = tmp_path / "catalog-v001.xml"
    catalog.write_text(
        '<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">'
        f'<uri name="{BASE_IRI}" uri="gone/base.owl"/></catalog>',
        encoding="utf-8",
    )
    (importer,) = run_owlcheck([DATA / "importer.owl"], catalog=catalog, cache_dir=cache_dir).files
    assert importer.missing_imports == (BASE_IRI,)
    assert importer.parse_errors == (
        f"missing import <{BASE_IRI}>: FileNotFoundException: {tmp_path / 'gone' / 'base.owl'} "
        "(No such file or directory)",
    )


def test_unparsable_and_absent_files(tmp_path: Path, cache_dir: Path) -> None:
    broken = tmp_path / "broken.owl"
    broken.write_text(
        '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        "<unclosed>\n</rdf:RDF>\n",
        encoding="utf-8",
    )
    report = run_owlcheck([broken, tmp_path / "absent.owl"], cache_dir=cache_dir)
    parsed, absent = report.files
    assert not parsed.loaded and parsed.ontology_iri is None and parsed.axioms == 0
    # RDF/XML is reported first, with the position of the XML error.
    assert parsed.parse_errors[0].startswith("RDFXMLParser (line 4, column 3): ")
    assert "unclosed" in parsed.parse_errors[0]
    assert not absent.loaded
    assert absent.parse_errors == (f"no such file: {tmp_path / 'absent.owl'}",)


def test_compile_is_cached(cache_dir: Path) -> None:
    classes, jars = compile_owlcheck(cache_dir)
    class_file = classes / "OwlCheck.class"
    stamp = class_file.stat().st_mtime_ns
    assert compile_owlcheck(cache_dir) == (classes, jars)
    assert class_file.stat().st_mtime_ns == stamp
    assert jars and all(j.suffix == ".jar" and j.is_file() for j in jars)
    assert not [p for p in cache_dir.iterdir() if p.name.startswith(".build-")]


def test_errors(tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(OwlCheckError, match="at least one file"):
        run_owlcheck([], cache_dir=cache_dir)
    with pytest.raises(OwlCheckError, match="each group of files to reason over needs at least one file"):
        run_owlcheck(reason=[[]], cache_dir=cache_dir)
    with pytest.raises(OwlCheckError, match="reasoners must be among hermit, elk"):
        run_owlcheck(reason=[[DATA / "clean.owl"]], reasoners=("pellet",), cache_dir=cache_dir)
    # An unreadable catalog is a usage error of the Java tool (exit 2).
    with pytest.raises(OwlCheckError, match="cannot read catalog"):
        run_owlcheck([DATA / "clean.owl"], catalog=tmp_path / "nope.xml", cache_dir=cache_dir)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(OwlCheckError, match="`javac` not found"):
        run_owlcheck([DATA / "clean.owl"], cache_dir=tmp_path / "fresh-cache")


def test_owl_api_3_quirks_are_gone_in_owl_api_5(cache_dir: Path) -> None:
    """Two OWL API 3.4.3 parser quirks (docs/design.md) that the release writer still avoids. Each pair of
    files holds the same ontology; under 3.4.3 one file of the pair left a triple among the "unparsed" ones
    although both loaded to the same axioms. OWL API 5.1.9 loads all four cleanly."""
    from rdflib import Graph
    from rdflib.compare import isomorphic

    names = ["annotation_declared_late.owl", "annotation_declared_first.owl",
             "all_different_distinct_members.owl", "all_different_members.owl"]
    late, first, distinct, members = run_owlcheck([DATA / n for n in names], cache_dir=cache_dir).files
    assert isomorphic(Graph().parse(DATA / names[0]), Graph().parse(DATA / names[1]))

    # An IRI-valued annotation whose property is declared further down the file: 3.4.3 made the annotation
    # assertion but never marked its triple consumed. 5.1.9 reports nothing, for either order.
    assert late.problems() == first.problems() == []
    assert late.unparsed_triples == first.unparsed_triples == ()
    assert (late.axioms, late.logical_axioms) == (first.axioms, first.logical_axioms) == (5, 1)

    # owl:AllDifferent with owl:distinctMembers: 3.4.3 made DifferentIndividuals but left its rdf:type
    # triple unparsed. 5.1.9 reads both spellings to the same DifferentIndividuals axiom.
    assert distinct.problems() == members.problems() == []
    assert (distinct.axioms, distinct.logical_axioms) == (members.axioms, members.logical_axioms) == (3, 1)


def test_el_profile_is_reported_apart_from_dl(tmp_path: Path, cache_dir: Path) -> None:
    # A union as a superclass is OWL 2 DL but not EL. OWL2ELProfile repeats every DL violation; the report
    # keeps only EL's own, and only counts them as problems when asked.
    el = Path(__file__).parent / "data" / "reasoning" / "el_violation.owl"
    (report,) = run_owlcheck([el], cache_dir=cache_dir).files
    assert report.dl_violations == ()
    (violation,) = report.el_violations
    assert violation.startswith("Class expressions not allowed in profile: ObjectUnionOf [SubClassOf(")
    assert report.ok and report.problems() == []
    assert report.problems(el=True) == [f"OWL 2 EL: {violation}"]


def test_cli(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ciro.release.owlcheck import main

    assert main([str(DATA / "clean.owl")]) == 0
    assert capsys.readouterr().out == ""
    assert main([str(DATA / "undeclared_annotation.owl")]) == 1
    dl, undeclared = capsys.readouterr().out.splitlines()
    assert dl.startswith(f"{DATA / 'undeclared_annotation.owl'}: OWL 2 DL: Use of undeclared annotation property: ")
    assert undeclared == f"{DATA / 'undeclared_annotation.owl'}: undeclared AnnotationProperty: <{SKOS_EXACT_MATCH}>"
    # --json: the whole report, readable back into the dataclasses.
    assert main(["--json", str(DATA / "importer.owl"), "--catalog", str(CATALOG)]) == 0
    data = __import__("json").loads(capsys.readouterr().out)
    assert OwlCheckReport.from_json(data).files[0].loaded_imports == (BASE_IRI,)
    # A tool failure is one line on stderr and exit code 2, not a traceback.
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main([str(DATA / "clean.owl")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("owlcheck: `javac` not found: install a JDK") and err.count("\n") == 1
