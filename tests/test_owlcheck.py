"""OwlCheck (OWL API via Java) on small hand-written ontologies in tests/data/owlcheck/."""

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
    assert report.owlapi_version.startswith("3.4")
    assert report.catalog_entries == 1
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
    assert clean.format == "RDF/XML"
    assert clean.ontology_iri == "http://example.org/ciro-test/clean"
    assert clean.version_iri == "http://example.org/ciro-test/clean/1.0"
    assert (clean.parse_errors, clean.unparsed_triples, clean.malformed_axioms) == ((), (), ())
    assert (clean.dl_violations, clean.undeclared_entities) == ((), ())
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
    # The OWL API 3 RDF parser also flags the triple it had to guess about.
    assert bad.unparsed_triples == (
        "<http://example.org/ciro-test/undeclared#Mechanism> "
        f"<{SKOS_EXACT_MATCH}> <http://purl.obolibrary.org/obo/NCIT_C0000>",
    )


def test_malformed_restrictions(report: OwlCheckReport) -> None:
    bad = report.for_file(DATA / "bad_restriction.owl")
    assert bad.loaded and not bad.ok
    # owl:someValuesFrom with a literal filler cannot be consumed at all.
    assert len(bad.unparsed_triples) == 1
    subject, predicate, obj = bad.unparsed_triples[0].split(" ", 2)
    assert subject.startswith("_:")
    assert predicate == "<http://www.w3.org/2002/07/owl#someValuesFrom>"
    assert obj == '"not a class"'
    # Both broken restrictions end up as superclasses replaced by the parser's error placeholders.
    assert len(bad.malformed_axioms) == 2
    for name in ("NoProperty", "LiteralFiller"):
        assert any(f"ciro-test/bad#{name}> <{OWLAPI_ERROR_NS}" in a for a in bad.malformed_axioms), name
    assert len(bad.dl_violations) == 2
    assert all(v.startswith(f"Use of undeclared class: <{OWLAPI_ERROR_NS}") for v in bad.dl_violations)
    # Placeholders are not blamed on missing declarations.
    assert bad.undeclared_entities == ()


def test_malformed_restrictions_strict(cache_dir: Path) -> None:
    # Strict parsing invents no placeholders: the rdfs:subClassOf triples stay unparsed instead.
    (bad,) = run_owlcheck([DATA / "bad_restriction.owl"], strict=True, cache_dir=cache_dir).files
    assert bad.malformed_axioms == () and bad.dl_violations == ()
    sub_class_of = "<http://www.w3.org/2000/01/rdf-schema#subClassOf>"
    assert {t.split(" ")[0] for t in bad.unparsed_triples if f" {sub_class_of} " in t} == {
        "<http://example.org/ciro-test/bad#NoProperty>",
        "<http://example.org/ciro-test/bad#LiteralFiller>",
    }


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
    assert str(tmp_path / "gone" / "base.owl") in importer.parse_errors[0]


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
    # An unreadable catalog is a usage error of the Java tool (exit 2).
    with pytest.raises(OwlCheckError, match="cannot read catalog"):
        run_owlcheck([DATA / "clean.owl"], catalog=tmp_path / "nope.xml", cache_dir=cache_dir)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(OwlCheckError, match="`javac` not found"):
        run_owlcheck([DATA / "clean.owl"], cache_dir=tmp_path / "fresh-cache")


def test_owl_api_3_quirks_that_the_release_writer_avoids(cache_dir: Path) -> None:
    """Two OWL API 3.4.3 parser quirks (docs/design.md). Each pair of files holds the same ontology and
    loads to the same axioms, but one file of the pair leaves a triple among the "unparsed" ones."""
    from rdflib import Graph
    from rdflib.compare import isomorphic

    names = ["annotation_declared_late.owl", "annotation_declared_first.owl",
             "all_different_distinct_members.owl", "all_different_members.owl"]
    late, first, distinct, members = run_owlcheck([DATA / n for n in names], cache_dir=cache_dir).files
    assert isomorphic(Graph().parse(DATA / names[0]), Graph().parse(DATA / names[1]))

    # An IRI-valued annotation whose property is declared further down the file: the annotation assertion
    # is made (same axioms), but the deferred handler never marks its triple as consumed.
    assert first.problems() == []
    assert late.unparsed_triples == (
        "<http://example.org/ciro-test/order#evidence1> <http://example.org/ciro-test/order#evidenceType> "
        "<http://purl.obolibrary.org/obo/ECO_0000304>",
    )
    assert late.problems() == [f"unparsed triple: {late.unparsed_triples[0]}"]
    assert (late.axioms, late.logical_axioms) == (first.axioms, first.logical_axioms) == (5, 1)

    # owl:AllDifferent with owl:distinctMembers: DifferentIndividuals is made, its rdf:type triple stays.
    assert members.problems() == []
    (triple,) = distinct.unparsed_triples
    assert triple.startswith("_:") and triple.endswith(
        " <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/2002/07/owl#AllDifferent>")
    assert (distinct.axioms, distinct.logical_axioms) == (members.axioms, members.logical_axioms) == (3, 1)
