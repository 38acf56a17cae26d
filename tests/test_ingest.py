"""Tests for source ingestion: the three real seeds, extra fixtures per format, and malformed inputs."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import textwrap
import unicodedata
from pathlib import Path

import ftfy
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import ciro.ingest as ingest
from ciro.ingest import (
    IngestedSource,
    IngestError,
    PublicationRecord,
    SlugCollisionError,
    SourceWriteError,
    UnreadableSourceError,
    detect_format,
    ingest_file,
    make_slug,
    write_source,
)
from ciro.ingest.clean import collapse_spaces
from ciro.ingest.pfocr import caption_abbreviations
from ciro.ingest.pubmed_text import parse_pubmed_text

DATA = Path(__file__).parent / "data" / "ingest"
OH = DATA / "seeds" / "000_49bdf71f6a0dab2a.txt"
JIANG = DATA / "seeds" / "001_2fd00e3f3ddb54ee.txt"
HUANG = DATA / "seeds" / "002_fb1931a23d39f658.txt"
EXTRA_PAGE = DATA / "extra" / "fixture_journal_page.txt"
EXTRA_PUBMED = DATA / "extra" / "fixture_pubmed_text.txt"
EXTRA_PFOCR = DATA / "extra" / "fixture_pfocr_record.txt"
SEED_SHA256 = {  # of the real seeds as received; guards against the copies being edited
    OH: "b7f2c19637a318302fbbd2c0fe5cdc312b641c5bb18af799996ebf7cf23cb643",
    JIANG: "39f63395b6ee33bfc33a1ce41a5bbcfd7de1dbd43895c59f0bf1af6aba373979",
}


def _record(**fields) -> PublicationRecord:
    base = dict(
        authors=(),
        journal=None,
        year=None,
        volume=None,
        issue=None,
        pages=None,
        doi=None,
        pmid=None,
        pmcid=None,
        publication_type=None,
    )
    return PublicationRecord(**{**base, **fields})


def _no_space(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _decisions(source: IngestedSource) -> dict[str, list]:
    found: dict[str, list] = {}
    for decision in source.keywords:
        found.setdefault(decision.keyword, []).append(decision)
    return found


# --- the real seeds -------------------------------------------------------------------------------------


def test_seed_copies_are_untouched():
    for path, digest in SEED_SHA256.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (OH, "journal_page"),
        (JIANG, "pubmed_text"),
        (HUANG, "pfocr_record"),
        (EXTRA_PAGE, "journal_page"),
        (EXTRA_PUBMED, "pubmed_text"),
        (EXTRA_PFOCR, "pfocr_record"),
    ],
)
def test_detect_format(path, expected):
    assert detect_format(path.read_text(encoding="utf-8")) == expected


def test_journal_page_seed_fields():
    source = ingest_file(OH)
    assert source.record == _record(
        title="Far Beyond Cancer Immunotherapy: Reversion of Multi-Malignant Phenotypes of "
        "Immunotherapeutic-Resistant Cancer by Targeting the NANOG Signaling Axis",
        authors=(
            "Se Jin OH",
            "Jaeyoon LEE",
            "Yukang KIM",
            "Kwon Ho SONG",
            "Eunho CHO",
            "Minsung KIM",
            "Heejae JUNG",
            "Tae Woo KIM",
        ),
        journal="Immune Network",
        year=2020,
        volume="20",
        issue="1",
        pages="e7",
        publication_type="Review",
        source_format="journal_page",
    )
    assert source.slug == "oh2020"


def test_pubmed_seed_fields():
    source = ingest_file(JIANG)
    assert source.record == _record(
        title="Molecular Mechanisms and Countermeasures of Immunotherapy Resistance in Malignant Tumor",
        authors=("Jiang X", "Li L", "Li Y", "Li Q"),
        journal="J Cancer",
        year=2019,
        volume="10",
        issue="7",
        pages="1764-1771",
        doi="10.7150/jca.26481",
        pmid="31205532",
        pmcid="PMC6548000",
        source_format="pubmed_text",
    )
    assert source.slug == "jiang2019"


def test_pfocr_seed_fields():
    source = ingest_file(HUANG)
    assert source.record == _record(
        title="A Highlight of the Mechanisms of Immune Checkpoint Blocker Resistance",
        authors=("Qian Huang",),
        journal="Front Cell Dev Biol",
        year=2020,
        volume="8",
        pages="580140",
        doi=None,  # the record gives '.na.character'
        pmcid="PMC7746821",
        source_format="pfocr_record",
    )
    assert source.slug == "huang2020"


def test_mojibake_repaired():
    assert "\u201ccommon factor\u2020in multi-malignant phenotypes" in ingest_file(OH).text  # see clean.py
    assert "blockade of Fc\u03b3 receptors before anti-PD-1" in ingest_file(JIANG).text
    for path in (OH, JIANG, HUANG):
        text = ingest_file(path).text
        assert "\u00e2\u20ac" not in text and "\u00ce\u00b3" not in text


def test_repairs_are_reported_with_their_line():
    assert ingest_file(JIANG).repairs == ("line 33: '\u00ce\u00b3' repaired to '\u03b3' by ftfy",)
    assert ingest_file(OH).repairs == ()  # its one artefact (the dagger) is not mojibake ftfy can mend
    assert ingest_file(HUANG).repairs == ()


def test_pubmed_wrapped_sentence_is_one_line():
    text = ingest_file(JIANG).text
    assert (
        "Genetic mutations such as PTEN loss, JAK1/2 loss-of-function mutations and Cbl-b deficiency "
        "are also involved."
    ) in text
    assert (
        "(2)Department of Biochemistry & Molecular Biology, School of Basic Medical Sciences, Shanxi "
        "Medical University, Taiyuan,030000, China." in text.splitlines()
    )
    assert "DOI: 10.7150/jca.26481\nPMCID: PMC6548000\nPMID: 31205532" in text


def test_journal_page_layout_collapsed():
    text = ingest_file(OH).text
    assert "- From:Immune Network 2020;20(1):e7-" in text.splitlines()
    assert (
        "Strategies that blunt the NANOG axis could improve the clinical management of therapy-refractory "
        "cancer." in text
    )
    assert "- Author: Se Jin OH 1; Jaeyoon LEE; Yukang KIM;" in text


@pytest.mark.parametrize("path", [OH, JIANG, HUANG, EXTRA_PAGE, EXTRA_PUBMED, EXTRA_PFOCR])
def test_cleaned_text_is_tidy_and_nfc(path):
    text = ingest_file(path).text
    assert "\t" not in text and "  " not in text and "\n\n\n" not in text
    assert all(line == line.strip() for line in text.splitlines())
    assert unicodedata.is_normalized("NFC", text)
    assert text.endswith("\n") and not text.endswith("\n\n")


@pytest.mark.parametrize("path", [OH, JIANG, EXTRA_PAGE, EXTRA_PUBMED])
def test_cleaning_keeps_every_character(path):
    # Only whitespace (and ftfy's repairs) may differ between the original and the cleaned text.
    source = ingest_file(path)
    repaired = ftfy.fix_text(source.original.decode("utf-8"), uncurl_quotes=False)
    assert _no_space(source.text) == _no_space(unicodedata.normalize("NFC", repaired))


def test_pfocr_text_keeps_every_caption_sentence():
    source = ingest_file(HUANG)
    caption = yaml.safe_load(HUANG.read_text(encoding="utf-8").split("---")[1])["caption"]
    for sentence in re.split(r"(?<=\.) ", caption):
        assert sentence in source.text
    assert source.text.startswith("Summary of drug resistance in tumor immunotherapy\n\n")
    assert "Qian Huang, et al. Front Cell Dev Biol. 2020;8:580140." in source.text


def test_original_bytes_kept():
    for path in (OH, JIANG, HUANG):
        source = ingest_file(path)
        assert source.original == path.read_bytes()
        assert source.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


# --- PFOCR keyword decisions ----------------------------------------------------------------------------

REAL_KEPT = [
    "IL6",
    "TNF",
    "TRA",
    "TRB",
    "TRD",
    "TRG",
    "TGFB1",
    "TGFB2",
    "TGFB3",
    "CSF1",
    "CD274",
    "PDCD1",
    "LAG3",
    "HAVCR2",
    "KLRC1",
    "TIGIT",
    "PBRM1",
    "ADAR",
    "ATM",
    "PTPN2",
    "CD47",
    "CD24",
    "Il6",
    "Tnf",
    "Tgfb1",
    "Csf1",
    "Cd274",
    "Pdcd1",
    "Lag3",
    "Havcr2",
    "Klrc1",
    "Tigit",
    "Pbrm1",
    "Adar",
    "Atm",
    "Ptpn2",
    "Cd47",
    "Cd24a",
]
DROSOPHILA = [
    "sm",
    "CkIIbeta",
    "Andorra",
    "Anp",
    "Acam",
    "mid",
    "Smurf",
    "egr",
    "Tcr",
    "dpp",
    "gbb",
    "put",
    "mav",
    "PolG1",
    "pyd",
    "tefu",
    "so",
    "On",
]
ARTEFACTS = ["TRBV20OR9-2", "STIM1", "RPL17", "RPL17-C18orf32", "Trav6-3", "Ltbp1", "Tpm1"]


def test_every_keyword_gets_one_decision_in_order():
    source = ingest_file(HUANG)
    front = yaml.safe_load(HUANG.read_text(encoding="utf-8").split("---")[1])
    assert [d.keyword for d in source.keywords] == front["schema-jsonld"]["keywords"]
    assert len(source.keywords) == 69


def test_real_keyword_kept_list():
    source = ingest_file(HUANG)
    assert list(dict.fromkeys(d.keyword for d in source.keywords if d.is_kept)) == REAL_KEPT


def test_real_keyword_reasons():
    decisions = _decisions(ingest_file(HUANG))
    (cd274,) = decisions["CD274"]
    assert cd274.is_kept and cd274.reason == "named in the caption as PD-L1 (programmed death ligand 1)"
    assert (
        decisions["TGFB3"][0].reason
        == "named in the caption as TGF-\u03b2 (transforming growth factor-\u03b2)"
    )
    assert decisions["TRG"][0].reason == "named in the caption as TCR (T-cell receptor)"
    assert decisions["LAG3"][0].reason.startswith("figure text only, not in caption")
    assert decisions["CD24"][0].reason.endswith("(text-mined as human CD24 and mouse Cd24a)")
    assert decisions["Cd274"][0].reason == "mouse ortholog symbol of kept human gene CD274"
    assert decisions["Cd24a"][0].reason == "mouse ortholog symbol of kept human gene CD24"
    for symbol in DROSOPHILA:
        (decision,) = decisions[symbol]
        assert not decision.is_kept and "Drosophila melanogaster" in decision.reason, symbol
    assert len(decisions["TAM"]) == 2
    for tam in decisions["TAM"]:
        assert not tam.is_kept
        assert tam.reason == "cell type, not a gene: the caption defines TAM as 'tumor associated macrophage'"
    for symbol in ARTEFACTS:
        assert decisions[symbol][0].reason.startswith("probable text-mining artefact"), symbol
    assert decisions["TCR"][0].reason.startswith("abbreviation, not a gene symbol")
    assert (
        decisions["tumor"][0].reason
        == decisions["intra-tumor"][0].reason
        == "ordinary word, not a gene symbol"
    )
    assert not decisions["NKG2A"][0].is_kept


def test_caption_abbreviation_list_parsed():
    caption = (
        "Summary. The internal factors include X, Y and Z. PD-1, programmed death 1; TAM, tumor "
        "associated macrophage; TNF, tumor necrosis factor."
    )
    assert caption_abbreviations(caption) == {
        "PD-1": "programmed death 1",
        "TAM": "tumor associated macrophage",
        "TNF": "tumor necrosis factor",
    }


# --- extra documents, one per format --------------------------------------------------------------------


def test_extra_journal_page():
    source = ingest_file(EXTRA_PAGE)
    assert source.record == _record(
        title="CIRO Test Fixture: A Fictitious Review of Antigen Presentation Loss in Checkpoint Blockade",
        authors=("Jane Q DOE", "Min-ho PARK"),
        journal="Journal of Fixture Studies",
        year=2021,
        volume="5",
        issue="3",
        pages="101-109",
        doi="10.0000/ciro.fixture.0003",
        publication_type="Original Article",
        source_format="journal_page",
    )
    assert source.slug == "doe2021"
    assert "Loss of B2M \u201cswitches off\u201d antigen presentation in this made-up review." in source.text


def test_extra_pubmed_text():
    source = ingest_file(EXTRA_PUBMED)
    assert source.record == _record(
        title="CIRO test fixture: a fictitious abstract on loss of interferon-\u03b3 signalling and "
        "resistance to PD-1 blockade",
        authors=("M\u00fcller-Schmidt A", "van der Berg BC", "O'Neil D"),
        journal="Ciro Test Fixture J",
        year=2021,
        volume="3",
        issue="2",
        pages="e1001",
        doi="10.0000/ciro.fixture.0001",
        pmid="99999901",
        source_format="pubmed_text",
    )
    assert source.slug == "mullerschmidt2021"
    assert (
        "A sentence that crosses a hard line wrap must be found as one string after ingestion." in source.text
    )
    assert (
        "Tumour cells that lose JAK1 or JAK2 no longer answer interferon-\u03b3, so they stop presenting "
        "antigen and escape PD-1 blockade." in source.text
    )


def test_crlf_line_endings_parse_the_same(tmp_path):
    crlf = tmp_path / "crlf.txt"
    crlf.write_bytes(EXTRA_PUBMED.read_bytes().replace(b"\n", b"\r\n"))
    source = ingest_file(crlf)
    assert source.record == ingest_file(EXTRA_PUBMED).record
    assert "\r" not in source.text and source.original == crlf.read_bytes()


def test_extra_pfocr_record():
    source = ingest_file(EXTRA_PFOCR)
    assert source.record == _record(
        title="CIRO Test Fixture: Interferon Signalling Loss in a Made-Up Tumour",
        authors=("Ada B. Lovelace",),
        journal="Ciro Test Fixture J",
        year=2021,
        volume="3",
        issue="2",
        pages="e1001",
        doi="10.0000/ciro.fixture.0002",
        pmcid="PMC0000001",
        source_format="pfocr_record",
    )
    assert source.slug == "lovelace2021"
    decisions = {d.keyword: d for d in source.keywords}
    assert [k for k, d in decisions.items() if d.is_kept] == ["IFNG", "JAK1", "B2M", "CD274"]
    assert decisions["IFNG"].reason == "named in the caption as IFN-\u03b3 (interferon-\u03b3)"
    assert decisions["B2M"].reason == "named in the caption as B2M"
    assert (
        decisions["CTL"].reason
        == "cell type, not a gene: the caption defines CTL as 'cytotoxic T lymphocyte'"
    )
    # no mouse gene list in this record, so nothing confirms STAT1 in the figure text
    assert decisions["STAT1"].reason.startswith("probable text-mining artefact")
    for fly in ("hop", "Stat92E", "Jak"):
        assert decisions[fly].organism == "Drosophila melanogaster" and not decisions[fly].is_kept
    assert decisions["IFN"].reason.startswith("in none of the record's per-organism gene lists")
    assert decisions["loss"].reason == "ordinary word, not a gene symbol"
    # an unquoted NO in the YAML stays the text "NO", not the boolean False
    assert [d.keyword for d in source.keywords][-3:] == ["IFN", "NO", "loss"]


# --- writing --------------------------------------------------------------------------------------------


def _front_matter(path: Path) -> tuple[dict, str]:
    _, meta, body = path.read_text(encoding="utf-8").split("---\n", 2)
    return yaml.safe_load(meta), body


@pytest.mark.parametrize(
    ("path", "names"),
    [
        (OH, ["oh2020.orig.txt", "oh2020.txt"]),
        (JIANG, ["jiang2019.orig.txt", "jiang2019.txt"]),
        (HUANG, ["huang2020.orig.txt", "huang2020.txt", "huang2020.keywords.yaml"]),
    ],
)
def test_write_source_outputs(tmp_path, path, names):
    source = ingest_file(path)
    written = write_source(source, tmp_path / "sources")
    assert [p.name for p in written] == names
    assert sorted(p.name for p in (tmp_path / "sources").iterdir()) == sorted(names)  # no temp files left
    assert written[0].read_bytes() == path.read_bytes()
    meta, body = _front_matter(written[1])
    assert body == source.text
    assert PublicationRecord.from_mapping(meta) == source.record
    assert meta["original_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert meta["source_format"] == source.source_format and meta["slug"] == source.slug
    assert meta["text_repairs"] == list(source.repairs)


def test_keywords_file(tmp_path):
    written = write_source(ingest_file(HUANG), tmp_path)
    data = yaml.safe_load(written[2].read_text(encoding="utf-8"))
    assert data["kept"] == REAL_KEPT
    assert "Andorra" in data["dropped"] and "TAM" in data["dropped"] and "CD274" not in data["dropped"]
    entries = {e["keyword"]: e for e in data["keywords"]}
    assert entries["Andorra"]["decision"] == "dropped" and "Drosophila" in entries["Andorra"]["reason"]
    assert entries["CD274"] == {
        "keyword": "CD274",
        "decision": "kept",
        "organism": "Homo sapiens",
        "reason": "named in the caption as PD-L1 (programmed death ligand 1)",
    }
    assert len(data["keywords"]) == 69


def test_write_is_repeatable_and_deterministic(tmp_path):
    source = ingest_file(HUANG)
    first = [p.read_bytes() for p in write_source(source, tmp_path)]
    second = [p.read_bytes() for p in write_source(source, tmp_path)]
    assert first == second


def test_write_refuses_a_different_source_under_the_same_slug(tmp_path):
    source = ingest_file(OH)
    write_source(source, tmp_path)
    impostor = dataclasses.replace(source, original=b"another document")
    with pytest.raises(SlugCollisionError) as caught:
        write_source(impostor, tmp_path)
    assert caught.value.path == tmp_path / "oh2020.orig.txt"
    assert (tmp_path / "oh2020.orig.txt").read_bytes() == OH.read_bytes()


def test_write_is_atomic(tmp_path, monkeypatch):
    source = ingest_file(JIANG)
    target = tmp_path / "jiang2019.txt"
    target.write_text("previous version\n", encoding="utf-8")

    def failing_replace(src, dst):
        if str(dst).endswith("jiang2019.txt"):
            raise OSError(28, "No space left on device")
        return os.rename(src, dst)

    monkeypatch.setattr(ingest.write.os, "replace", failing_replace)
    with pytest.raises(SourceWriteError) as caught:
        write_source(source, tmp_path)
    assert caught.value.path == target and "No space left on device" in str(caught.value)
    assert target.read_text(encoding="utf-8") == "previous version\n"  # old file intact, never half-written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["jiang2019.orig.txt", "jiang2019.txt"]


# --- malformed inputs -----------------------------------------------------------------------------------

INVALID = yaml.safe_load((DATA / "invalid" / "expected.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(INVALID))
def test_malformed_input_raises_with_path(name):
    path = DATA / "invalid" / name
    with pytest.raises(IngestError) as caught:
        ingest_file(path)
    assert type(caught.value).__name__ == INVALID[name]["error"]
    assert caught.value.path == path and str(path) in str(caught.value)
    assert caught.value.line == INVALID[name]["line"]


def test_missing_title_error_names_the_field():
    with pytest.raises(ingest.MissingFieldError) as caught:
        ingest_file(DATA / "invalid" / "pubmed_no_title.txt")
    assert caught.value.field == "title" and "no title" in str(caught.value)


@pytest.mark.parametrize("content", [None, "dir", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"])
def test_unreadable_files(tmp_path, content):
    path = tmp_path / "source.txt"
    if content == "dir":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(UnreadableSourceError) as caught:
        ingest_file(path)
    assert caught.value.path == path


# --- small pieces and properties ------------------------------------------------------------------------


def test_make_slug():
    assert make_slug("OH", 2020, "Far Beyond") == "oh2020"
    assert make_slug("M\u00fcller-Schmidt", 2021, "x") == "mullerschmidt2021"
    assert make_slug(None, 2019, "Molecular Mechanisms") == "molecular2019"
    assert make_slug("Jiang", None, "x") == "jiang"


@given(st.text(alphabet=st.sampled_from("ab \t\u00a0\u3000"), max_size=40))
def test_collapse_spaces_keeps_non_space_and_is_idempotent(line):
    collapsed = collapse_spaces(line)
    assert _no_space(collapsed) == _no_space(line)
    assert "  " not in collapsed and collapse_spaces(collapsed) == collapsed


WORD = st.text(alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzγ-,;"), min_size=1, max_size=12)


@settings(max_examples=50, deadline=None)
@given(st.lists(WORD, min_size=1, max_size=60), st.integers(min_value=20, max_value=90))
def test_pubmed_rejoins_any_wrap(words, width):
    abstract = " ".join(words) + "."
    wrapped = "\n".join(textwrap.wrap(abstract, width, break_long_words=False, break_on_hyphens=False))
    document = f"1. J Test. 2020;1:1.\n\nA title.\n\nDoe J.\n\n{wrapped}\n\nPMID: 1\n"
    assert abstract in parse_pubmed_text(document, Path("generated.txt")).text.splitlines()


def test_pfocr_text_keeps_the_record_lists_for_quotes():
    text = ingest_file(HUANG).text
    assert "Organisms: Escherichia coli; Akkermansia muciniphila; Homo sapiens; Mus musculus; gut metagenome" in text
    assert "Keywords (text-mined from the figure): IL6; TNF; TRBV20OR9-2;" in text


def test_cli_refuses_an_unknown_format_in_one_line(tmp_path):
    """`ciro ingest` on a file of no known format: exit 1, one located error line, no traceback, nothing written."""
    from click.testing import CliRunner

    from ciro.cli import main

    source = tmp_path / "notes.txt"
    source.write_text("just some text\n", encoding="utf-8")
    out = tmp_path / "sources"
    result = CliRunner().invoke(main, ["ingest", "--out", str(out), str(source)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {source}:1: not a format CIRO ingests")
    assert not out.exists() or not any(out.iterdir())
