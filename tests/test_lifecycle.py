"""A term's life: ids come from the ledger, terms are obsoleted and never deleted, an obsolete term stays in the
release as a deprecated class (OBO's rules), and nothing links to it."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, Graph, Literal, Namespace, URIRef

from ciro.curate.mint import mint
from ciro.layout import Layout
from ciro.release import build_release
from ciro.validate import validate

from .conftest import copy_project

CIRO = Namespace("https://w3id.org/ciro/CIRO_")
OBO = Namespace("http://purl.obolibrary.org/obo/")
VOCAB = Namespace("https://w3id.org/ciro/vocab/")


def _errors(layout: Layout) -> list[str]:
    report, _kb = validate(None, layout)
    return [p.format() for p in report.errors]


def _obsolete_record(layout: Layout, **extra: str) -> str:
    """A new target, minted through the ledger and obsoleted in favour of JAK1; returns its id."""
    (new,) = mint(layout.id_ledger, layout.schema, layout.instances, "JAK-1 (duplicate of JAK1)", "target")
    lines = [f"id: {new}", "label: JAK-1", "definition: A duplicate record of the gene JAK1.",
             "target_kind: gene_or_protein", "deprecated: true", "replaced_by: CIRO:0000115",
             "obsolescence_reason: terms_merged", *(f"{k}: {v}" for k, v in extra.items())]
    (layout.instances / "targets" / "jak-1.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return new


@pytest.fixture(scope="module")
def obsolete_release(tmp_path_factory) -> tuple[Layout, str, Path]:
    layout = copy_project(tmp_path_factory.mktemp("lifecycle"))
    new = _obsolete_record(layout)
    out = layout.root / "ontology"
    build_release(layout, out, progress=lambda _line: None)
    return layout, new, out


def test_an_obsolete_record_is_a_deprecated_class_in_the_release(obsolete_release):
    _layout, new, out = obsolete_release
    g = Graph().parse(out / "ciro.owl", format="xml")
    term = URIRef(str(CIRO) + new.removeprefix("CIRO:"))
    assert (term, RDF.type, OWL.Class) in g
    assert g.value(term, OWL.deprecated).toPython() is True
    assert g.value(term, RDFS.label) == Literal("obsolete JAK-1")
    assert g.value(term, OBO.IAO_0100001) == CIRO["0000115"]
    assert g.value(term, OBO.IAO_0000231) == OBO.IAO_0000227  # terms merged, IAO's own individual
    assert list(g.objects(term, RDFS.subClassOf)) == []  # no logical axioms, as OBO obsoletes terms
    data = Graph().parse(out / "ciro-data.ttl", format="turtle")
    assert (term, OWL.deprecated, Literal(True)) in data


def test_a_deleted_record_is_refused_at_its_ledger_line(tmp_path):
    layout = copy_project(tmp_path)
    (layout.instances / "targets" / "tnf.yaml").unlink()
    errors = _errors(layout)
    line = next(n for n, text in enumerate(layout.id_ledger.read_text().splitlines(), 1) if text.startswith(
        "CIRO:0000164\t"))
    assert (f"instances/id-ledger.tsv:{line}: CIRO:0000164: -: CIRO:0000164 ('TNF', a target) is in no file under "
            "instances/: a term is never deleted; keep its record with deprecated: true (and replaced_by or "
            "consider)") in errors


def test_an_id_the_ledger_never_minted_is_refused(tmp_path):
    layout = copy_project(tmp_path)
    path = layout.instances / "targets" / "tnf.yaml"
    path.write_text(path.read_text().replace("id: CIRO:0000164", "id: CIRO:0009164"))
    errors = _errors(layout)
    assert ("instances/targets/tnf.yaml:1: CIRO:0009164: id: CIRO:0009164 was never minted: take a new id from "
            "`ciro mint` (instances/id-ledger.tsv lists every id minted)") in errors


def test_a_link_to_an_obsolete_record_names_its_replacement(tmp_path):
    layout = copy_project(tmp_path)
    new = _obsolete_record(layout)
    path = layout.instances / "mechanisms" / "jak1-2-loss-of-function-mutations.yaml"
    path.write_text(path.read_text().replace("involves_mutation_of:\n- CIRO:0000115\n",
                                             f"involves_mutation_of:\n- {new}\n", 1))
    errors = _errors(layout)
    assert any(f": CIRO:0000261: involves_mutation_of: {new} is obsolete; link to its replacement CIRO:0000115"
               in e for e in errors), errors


@pytest.mark.parametrize("change,field,message", [
    ({"deprecated": "false"}, "replaced_by", "replaced_by is only for an obsolete record (add deprecated: true)"),
])
def test_lifecycle_fields_need_an_obsolete_record(tmp_path, change, field, message):
    layout = copy_project(tmp_path)
    new = _obsolete_record(layout)
    path = layout.instances / "targets" / "jak-1.yaml"
    text = path.read_text()
    for key, value in change.items():
        text = text.replace(f"{key}: true", f"{key}: {value}")
    path.write_text(text)
    assert any(f": {new}: {field}: {message}" in e for e in _errors(layout))


def test_an_obsolete_record_keeps_no_links(tmp_path):
    layout = copy_project(tmp_path)
    path = layout.instances / "therapies" / "ltx-315.yaml"
    text = path.read_text()
    assert "\nbroader_therapies:" not in text
    path.write_text(text.replace("\ntherapy_kind:", "\ndeprecated: true\nbroader_therapies:\n- CIRO:0000187"
                                 "\ntherapy_kind:", 1))
    errors = _errors(layout)
    assert any(": CIRO:0000225: broader_therapies: an obsolete record keeps no links: move them to its replacement"
               in e for e in errors), errors


def _ledger_read(path: Path) -> tuple:
    from ciro.curate import lifecycle

    lifecycle._READ.clear()  # (the last ledger read, kept in memory)
    return lifecycle.read_ledger(path)


def test_the_ledger_as_read_is_kept_and_read_back_the_same(tmp_path, monkeypatch):
    from ciro.curate import lifecycle

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    ledger = tmp_path / "id-ledger.tsv"
    ledger.write_text("id\tlabel\tkind\nCIRO:0000100\tA\ttarget\n\nCIRO:0000101\tB\tmechanism\nbroken line\n"
                      "CIRO:0000100\tA again\ttarget\n", encoding="utf-8")
    first = _ledger_read(ledger)
    assert first[1] == [(5, "an id ledger line must be 'CIRO:NNNNNNN<TAB>label<TAB>kind'"),
                        (6, "CIRO:0000100 is in the ledger twice (first on line 2)")]
    (kept,) = (tmp_path / "xdg" / "ciro" / "ledger").glob("*.marshal")
    monkeypatch.setattr(lifecycle, "_read_lines", lambda _lines: pytest.fail("read again"))
    again = _ledger_read(ledger)
    assert again == first and all(type(e) is lifecycle.LedgerEntry for e in again[0].values())
    assert again[0]["CIRO:0000101"].line == 4
    monkeypatch.undo()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))

    ledger.write_text("id\tlabel\tkind\nCIRO:0000100\tA\ttarget\n", encoding="utf-8")  # another ledger: its own
    assert _ledger_read(ledger) == ({"CIRO:0000100": ("CIRO:0000100", "A", "target", 2)}, [])

    for junk in (b"", kept.read_bytes()[:-7], b"\0\0\0\0" + kept.read_bytes()[4:]):  # damaged: read the ledger
        ledger.write_text("id\tlabel\tkind\nCIRO:0000100\tA\ttarget\n\nCIRO:0000101\tB\tmechanism\nbroken line\n"
                          "CIRO:0000100\tA again\ttarget\n", encoding="utf-8")
        kept.write_bytes(junk)
        assert _ledger_read(ledger) == first
