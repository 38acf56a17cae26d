"""The competency-question library (queries/*.rq): each question's exact answer on the curated KB, the same
answers from rdflib's engine, and `ciro query` around them (formats, parameters, errors, endpoints).

Expected answers were read off instances/ (the YAML records), not copied from query output.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from ciro.cli import main
from ciro.query import (
    STORE_FILES,
    QueryError,
    canonical_rows,
    canonical_term,
    format_result,
    load_store,
    query_form,
    run_query,
    run_remote,
)

QUERIES = Path(__file__).resolve().parents[1] / "queries"
NAMES = sorted(p.name for p in QUERIES.glob("*.rq"))


def C(number: str) -> str:  # noqa: N802 - reads like the CURIE it expands
    return f"https://w3id.org/ciro/CIRO_{number}"


def REL(slot: str) -> str:  # noqa: N802
    """The label of a ClaimRelationEnum value: the slot's words, qualified because a property has them too."""
    return f"{slot.replace('_', ' ')} (claim relation)"


VOCAB = "https://w3id.org/ciro/vocab/"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
IR = "immunotherapy resistance"
NANOG_AXIS = "NANOG-mediated multi-malignant signaling axis"
RESTRAIN = "restraining the NANOG-mediated multi-malignant signaling axis"
OH_THERAPIES = ("Cancer immunotherapy, in the form of vaccination, adoptive cellular transfer, or immune checkpoint "
                "inhibitors ... the presence of immunotherapeutic-resistant tumor cells in many patients present a "
                "challenge and limitation to these immunotherapies")
OH_PHENOTYPES = ("These cells not only indicate immunotherapeutic resistance, but also show multi-modal resistance "
                 "to conventional therapies, abnormal metabolism, stemness, and metastasis")
OH_REGULATOR = ("we discussed the role of the embryonic transcription factor NANOG as a crucial master regulator we "
                "named ... in multi-malignant phenotypes")
OH_STRATEGIES = ("presented strategies to overcome multi-malignancy in immunotherapeutic-resistant cancer by "
                 "restraining the NANOG-mediated multi-malignant signaling axis")
OH_REASONED = ("We reasoned that the immune-refractory phenotype could be associated with multi-malignant phenotypes "
               "and that these phenotypes are linked together by a factor that acts as the master regulator")
OH_TITLE = ("Reversion of Multi-Malignant Phenotypes of Immunotherapeutic-Resistant Cancer by Targeting the NANOG "
            "Signaling Axis")
PHENOTYPES = ("multi-modal resistance to conventional therapies", "abnormal metabolism", "stemness", "metastasis")
OH_FORM = ("Cancer immunotherapy, in the form of vaccination, adoptive cellular transfer, or immune checkpoint "
           "inhibitors, has emerged as a promising practice within the field of oncology")

EXPECTED: dict[str, object] = {
    "mechanisms-involving-gene.rq": {  # loss of function is a kind of loss: both are named
        *((C("0000261"), "JAK1/2 loss-of-function mutations", C("0000115"), "JAK1", how)
          for how in ("involves mutation of", "involves loss of function of", "involves loss of")),
    },
    "countermeasures-for-mechanism.rq": {
        (C("0000373"), "ICB combined with PI3K-AKT blockade", "PTEN loss ... combined ICBs with blockade of PI3K-AKT",
         C("0000100"), "31205532", "10.7150/jca.26481"),
    },
    "mechanisms-by-origin.rq": {
        # Only origins a source states (the figure record's tumour cell-internal and -external factors): the
        # root, the Jiang et al. 2019 mechanisms and the NANOG axis have none.
        *(("tumor-cell-extrinsic", C(n), label) for n, label in (
            ("0000310", "cytokines in the tumor microenvironment"),
            ("0000304", "immunosuppressive cells in the tumor microenvironment"),
            ("0000327", "intestinal microflora"),
            ("0000320", "new immune checkpoints"),
            ("0000317", "tumor metabolites in the immune microenvironment"))),
        *(("tumor-cell-intrinsic", C(n), label) for n, label in (
            ("0000282", "abnormal IFN-γ signal pathway"),
            ("0000279", "abnormal oncogenic signaling"),
            ("0000274", "defects in antigen presentation"),
            ("0000296", "epigenetic changes"),
            ("0000292", "increased expression of constitutive PD-L1"),
            ("0000288", "innate anti-PD-1 resistance signature"),
            ("0000402", "intratumor heterogeneity"),
            ("0000299", "lack or exhaustion of T cells"),
            ("0000399", "loss of tumor antigens"))),
    },
    "mechanisms-by-category.rq": {
        ("IFN-γ pathway defect", C("0000282"), "abnormal IFN-γ signal pathway"),
        ("T-cell dysfunction", C("0000299"), "lack or exhaustion of T cells"),
        ("antigen-presentation defect", C("0000274"), "defects in antigen presentation"),
        ("antigen-presentation defect", C("0000399"), "loss of tumor antigens"),
        ("checkpoint up-regulation", C("0000248"), "TIM-3 upregulation"),
        ("checkpoint up-regulation", C("0000292"), "increased expression of constitutive PD-L1"),
        ("cytokines", C("0000310"), "cytokines in the tumor microenvironment"),
        ("epigenetic change", C("0000296"), "epigenetic changes"),
        ("genetic alteration", C("0000267"), "Cbl-b deficiency"),
        ("genetic alteration", C("0000261"), "JAK1/2 loss-of-function mutations"),
        ("genetic alteration", C("0000257"), "PTEN loss"),
        ("immune regulation defect", C("0000252"), "microRNA-driven deregulation of cytokine expression"),
        ("immunosuppressive cells", C("0000304"), "immunosuppressive cells in the tumor microenvironment"),
        ("metabolites", C("0000317"), "tumor metabolites in the immune microenvironment"),
        ("microbiome", C("0000327"), "intestinal microflora"),
        ("oncogenic signalling", C("0000279"), "abnormal oncogenic signaling"),
        ("stemness or transcriptional program", C("0000333"), NANOG_AXIS),
    },
    "therapies-undermined.rq": {
        (IR, C("0000216"), "adoptive cellular transfer", "modality"),
        (IR, C("0000199"), "anti-PD-1 therapy", "agent class"),
        (IR, C("0000203"), "anti-PD-L1 therapy", "agent class"),
        (IR, C("0000187"), "immune checkpoint blockers", "agent class"),
        (IR, C("0000214"), "vaccination", "modality"),
        ("innate anti-PD-1 resistance signature", C("0000199"), "anti-PD-1 therapy", "agent class"),
    },
    "checkpoints-beyond-pd1-pdl1-ctla4.rq": {
        # LAG3, TIGIT and KLRC1 are figure keywords only: no mechanism involves them (issue 17).
        (C("0000107"), "HAVCR2", "http://identifiers.org/hgnc/18437", "TIM-3 upregulation"),
    },
    "microbes.rq": {
        (C("0000175"), "Akkermansia muciniphila", "http://purl.obolibrary.org/obo/NCBITaxon_239935",
         "Akkermansia muciniphila", None),
        # The figure record's organism list is article-wide: no mechanism involves the two bacteria (issue 17).
        (C("0000177"), "Escherichia coli", "http://purl.obolibrary.org/obo/NCBITaxon_562", "Escherichia coli", None),
        (C("0000129"), "gut microbiome", None, None, "intestinal microflora"),
    },
    "what-nanog-drives.rq": {
        (NANOG_AXIS, C("0000181"), "abnormal metabolism"),
        (NANOG_AXIS, C("0000185"), "metastasis"),
        (NANOG_AXIS, C("0000179"), "multi-modal resistance to conventional therapies"),
        (NANOG_AXIS, C("0000183"), "stemness"),
    },
    "icb-combinations.rq": {
        ("ICB combined with ARNAX", "immune checkpoint blockers", C("0000221"), "ARNAX"),
        ("ICB combined with CpG oligonucleotide", "immune checkpoint blockers", C("0000223"), "CpG oligonucleotide"),
        ("ICB combined with LTX-315", "immune checkpoint blockers", C("0000225"), "LTX-315"),
        ("ICB combined with PRR agonists", "immune checkpoint blockers", C("0000218"), "PRR agonists"),
        ("ICB combined with indoleamine 2,3-dioxygenase inhibitors", "immune checkpoint blockers", C("0000227"),
         "indoleamine 2,3-dioxygenase inhibitors"),
        ("ICB combined with radiotherapy", "immune checkpoint blockers", C("0000211"), "radiotherapy"),
    },
    "mechanisms-with-several-publications.rq": {
        (C("0000230"), IR, 3),
    },
    "claims-of-publication.rq": {
        (IR, None, None, OH_PHENOTYPES),
        (IR, REL("undermines"), "immune checkpoint blockers", OH_THERAPIES),
        (IR, REL("undermines"), "vaccination", OH_THERAPIES),
        (IR, REL("undermines"), "adoptive cellular transfer", OH_THERAPIES),
        (NANOG_AXIS, None, None, OH_STRATEGIES),
        (NANOG_AXIS, REL("broader_mechanisms"), IR,
         "We reasoned that the immune-refractory phenotype could be associated with multi-malignant phenotypes and "
         "that these phenotypes are linked together by a factor that acts as the master regulator ... " + OH_REGULATOR),
        (NANOG_AXIS, REL("involves"), "NANOG", OH_REGULATOR),
        # The leads-to links quote the authors' hedge too ("We reasoned ... could be associated"): a hypothesis.
        *((NANOG_AXIS, REL("leads_to"), phenotype, OH_PHENOTYPES + " ... " + OH_REASONED + " ... " + OH_REGULATOR)
          for phenotype in PHENOTYPES),
        # The resistant cells also show the four phenotypes: a non-causal association (issue 17).
        *((IR, REL("associated_with"), phenotype, OH_PHENOTYPES) for phenotype in PHENOTYPES),
        ("NANOG", None, None, "the embryonic transcription factor NANOG"),
        ("adoptive cellular transfer", None, None, OH_FORM),
        ("immune checkpoint blockers", None, None, "immune checkpoint inhibitors"),
        ("vaccination", None, None, OH_FORM),
        (RESTRAIN, None, None, OH_STRATEGIES),
        (RESTRAIN, REL("counteracts"), NANOG_AXIS, OH_STRATEGIES),
        *((RESTRAIN, REL("reverses"), phenotype, OH_TITLE + " ... " + OH_PHENOTYPES + " ... " + OH_STRATEGIES)
          for phenotype in PHENOTYPES),
        (RESTRAIN, REL("acts_on"), "NANOG",
         "Strategies that blunt the NANOG axis could improve the clinical management of therapy-refractory cancer"),
        ("abnormal metabolism", None, None, "abnormal metabolism"),
        ("metastasis", None, None, "stemness, and metastasis"),
        ("multi-modal resistance to conventional therapies", None, None,
         "multi-modal resistance to conventional therapies"),
        ("stemness", None, None, "abnormal metabolism, stemness, and metastasis"),
    },
    "shared-targets.rq": {
        ("HAVCR2", C("0000248"), "TIM-3 upregulation", "ICB combined with TIM-3 pathway blockade", C("0000248")),
        ("NANOG", C("0000333"), NANOG_AXIS, RESTRAIN, C("0000333")),
        ("gut microbiome", C("0000327"), "intestinal microflora", "modulation of the gut microbiome", C("0000327")),
    },
    "targets-without-identifier.rq": {
        (C("0000127"), "Fcγ receptors",
         "No identifier for the Fcγ receptor family was verified (no HGNC gene-group table reachable); GO:0038094 "
         "'Fc-gamma receptor signaling pathway' denotes the pathway, not the receptors."),
        (C("0000144"), "HLA", "No identifier for the HLA family was verified (no HGNC gene-group table reachable)."),
        (C("0000142"), "IFN-γ receptor",
         "No identifier for the receptor complex was verified; its subunit genes IFNGR1 (HGNC:5439) and IFNGR2 "
         "(HGNC:5440) are two different entities, and GO:0004906 'type II interferon receptor activity' denotes a "
         "molecular function."),
        (C("0000162"), "TGF-β",
         "TGF-β is a family of three cytokines, TGFB1 (HGNC:11766), TGFB2 (HGNC:11768) and TGFB3 (HGNC:11769); the "
         "caption does not say which, so they are its narrower matches; no identifier for the family was verified."),
        (C("0000129"), "gut microbiome",
         "NCBITaxon:749906 'gut metagenome' (listed in the figure record's organisms) is a taxon for metagenomic "
         "sequence samples, not the microbial community itself, so it is not used as an exact match."),
        (C("0000123"), "pattern recognition receptors",
         "No identifier for the receptor family was verified: GO:0038187 'pattern recognition receptor activity' "
         "denotes a molecular function and GO:0002221 a signalling pathway, not the receptors themselves."),
    },
    "mechanism-hierarchy.rq": {
        ("JAK1/2 loss-of-function mutations", "abnormal IFN-γ signal pathway"),
        *((m, IR) for m in (
            "Cbl-b deficiency", "Ezh2 upregulation", "JAK1/2 loss-of-function mutations", "MITF suppression",
            NANOG_AXIS, "PTEN loss", "TIM-3 upregulation", "abnormal IFN-γ signal pathway",
            "abnormal oncogenic signaling", "cytokines in the tumor microenvironment",
            "defects in antigen presentation", "epigenetic changes",
            "immunosuppressive cells in the tumor microenvironment", "increased expression of constitutive PD-L1",
            "innate anti-PD-1 resistance signature", "intestinal microflora", "lack or exhaustion of T cells",
            "loss of tumor antigens", "intratumor heterogeneity",
            "microRNA-driven deregulation of cytokine expression", "new immune checkpoints",
            "tumor metabolites in the immune microenvironment")),
    },
    "mechanism-target-countermeasure.rq": {
        (C("0000248"), VOCAB + "involves", C("0000107")),
        (C("0000327"), VOCAB + "involves", C("0000129")),
        (C("0000333"), VOCAB + "involves", C("0000132")),
        (C("0000379"), VOCAB + "acts_on", C("0000107")),
        (C("0000390"), VOCAB + "acts_on", C("0000129")),
        (C("0000395"), VOCAB + "acts_on", C("0000132")),
        (C("0000379"), VOCAB + "counteracts", C("0000248")),
        (C("0000390"), VOCAB + "counteracts", C("0000327")),
        (C("0000395"), VOCAB + "counteracts", C("0000333")),
        (C("0000248"), LABEL, "TIM-3 upregulation"),
        (C("0000327"), LABEL, "intestinal microflora"),
        (C("0000333"), LABEL, NANOG_AXIS),
        (C("0000107"), LABEL, "HAVCR2"),
        (C("0000129"), LABEL, "gut microbiome"),
        (C("0000132"), LABEL, "NANOG"),
        (C("0000379"), LABEL, "ICB combined with TIM-3 pathway blockade"),
        (C("0000390"), LABEL, "modulation of the gut microbiome"),
        (C("0000395"), LABEL, RESTRAIN),
    },
    "inferred-claims.rq": {
        ("ICB combined with PI3K-AKT blockade", REL("counteracts"), "PTEN loss"),
        ("ICB combined with TIM-3 pathway blockade", REL("counteracts"), "TIM-3 upregulation"),
        ("modulation of the gut microbiome", REL("counteracts"), "intestinal microflora"),
        ("JAK1/2 loss-of-function mutations", REL("broader_mechanisms"), "abnormal IFN-γ signal pathway"),
        ("abnormal IFN-γ signal pathway", REL("involves"), "IFN-γ receptor"),
        ("anti-PD-1 monoclonal antibodies", REL("broader_therapies"), "anti-PD-1 therapy"),
        ("anti-PD-1 therapy", REL("broader_therapies"), "immune checkpoint blockers"),
        ("anti-PD-L1 therapy", REL("broader_therapies"), "immune checkpoint blockers"),
        *(("cytokines in the tumor microenvironment", REL("involves"), t) for t in ("CSF1", "IL6", "TGF-β", "TNF")),
        ("defects in antigen presentation", REL("involves"), "HLA"),
        *(("immunosuppressive cells in the tumor microenvironment", REL("involves"), t)
          for t in ("myeloid-derived suppressor cell", "regulatory T cell", "tumor-associated macrophage")),
        (IR, REL("undermines"), "anti-PD-1 therapy"),
        (IR, REL("undermines"), "anti-PD-L1 therapy"),
    },
    "countermeasures-per-mechanism.rq": {
        (IR, 10), (NANOG_AXIS, 1), ("PTEN loss", 1), ("TIM-3 upregulation", 1), ("intestinal microflora", 1),
    },
    "mechanism-without-evidence.rq": False,
    "mechanisms-undermining-pd1-therapies.rq": {
        (IR, "anti-PD-1 monoclonal antibodies"),
        (IR, "anti-PD-1 therapy"),
        ("innate anti-PD-1 resistance signature", "anti-PD-1 monoclonal antibodies"),
        ("innate anti-PD-1 resistance signature", "anti-PD-1 therapy"),
    },
}


def plain(term) -> object:
    """A term as the expectations above write it: IRI or lexical form, integers as int, None if unbound."""
    if term is None:
        return None
    if getattr(term, "datatype", None) is not None and term.datatype.value.endswith("#integer"):
        return int(term.value)
    return term.value


def answer(result) -> object:
    """A result in the form of EXPECTED: a set of rows, a boolean, or a set of triples."""
    if result.kind == "ask":
        return result.boolean
    if result.kind == "graph":
        return {(plain(t.subject), plain(t.predicate), plain(t.object)) for t in result.triples}
    return {tuple(plain(t) for t in row) for row in result.rows}


def read(name: str) -> str:
    return (QUERIES / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def store(fresh_release):
    return load_store(fresh_release)


@pytest.fixture(scope="module")
def rdflib_graph(fresh_release):
    from rdflib import Graph

    graph = Graph()
    for name, fmt, _required in STORE_FILES:  # the same files as the embedded store
        graph.parse(fresh_release / name, format="turtle" if fmt == "turtle" else "xml")
    return graph


def test_library_has_at_least_15_questions_each_stated_in_english():
    assert len(NAMES) >= 15
    for name in NAMES:
        text = read(name)
        comment = []
        for line in text.splitlines():
            if not line.startswith("#"):
                break
            comment.append(line.lstrip("# "))
        assert comment, f"{name} must open with a # comment stating its question"
        assert "?" in " ".join(comment), f"{name}: the opening comment should ask the question"
        assert query_form(text) in ("SELECT", "ASK", "CONSTRUCT"), name


def test_every_question_has_an_expected_answer():
    assert sorted(EXPECTED) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_exact_answer_on_the_embedded_store(store, name):
    result = run_query(store, read(name))
    expected = EXPECTED[name]
    if result.kind == "select":
        assert len(result.rows) == len(expected), "duplicate or missing rows"
    got = answer(result)
    if isinstance(expected, set):
        assert got - expected == set(), "rows not expected"
        assert expected - got == set(), "rows missing"
    assert got == expected


def _rdflib_answer(graph, text: str):
    result = graph.query(text)
    if result.type == "ASK":
        return bool(result.askAnswer)
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        return {tuple(canonical_term(t) for t in triple) for triple in result.graph}
    variables = [str(v) for v in result.vars]
    from collections import Counter

    return Counter(tuple(sorted((v, canonical_term(row[i])) for i, v in enumerate(variables) if row[i] is not None))
                   for row in result)


@pytest.mark.parametrize("name", NAMES)
def test_rdflib_gives_the_same_answer(store, rdflib_graph, name):
    text = read(name)
    ours = run_query(store, text)
    theirs = _rdflib_answer(rdflib_graph, text)
    if ours.kind == "ask":
        assert theirs is ours.boolean
    elif ours.kind == "graph":
        assert theirs == {tuple(canonical_term(t) for t in (x.subject, x.predicate, x.object)) for x in ours.triples}
    else:
        assert theirs == canonical_rows(ours)


def test_parameterised_questions_answer_for_other_inputs(store):
    # The mechanism in VALUES swapped for 'intestinal microflora': evidence from a publication without a PMID.
    text = read("countermeasures-for-mechanism.rq").replace("VALUES ?mechanism { CIRO:0000257 }",
                                                             "VALUES ?mechanism { CIRO:0000327 }")
    assert answer(run_query(store, text)) == {
        (C("0000390"), "modulation of the gut microbiome", "intestinal microflora", C("0000102"), None,
         "10.3389/fcell.2020.580140")}
    text = read("mechanisms-involving-gene.rq").replace("hgnc/6190", "hgnc/6192")  # JAK2
    assert answer(run_query(store, text)) == {
        (C("0000261"), "JAK1/2 loss-of-function mutations", C("0000117"), "JAK2", how)
        for how in ("involves mutation of", "involves loss of function of", "involves loss of")}
    text = read("mechanisms-involving-gene.rq").replace("<http://identifiers.org/hgnc/6190>",
                                                        "<http://purl.obolibrary.org/obo/CL_0000084>")
    assert answer(run_query(store, text)) == {(C("0000299"), "lack or exhaustion of T cells", C("0000156"),
                                               "T cell", "involves loss of")}


# --- `ciro query`: formats, errors, endpoints ---------------------------------------------------------------

def _cli(*args: str):
    return CliRunner().invoke(main, ["query", *args], catch_exceptions=False)


def test_cli_formats_on_a_question(fresh_release):
    query = str(QUERIES / "what-nanog-drives.rq")
    phenotypes = {"abnormal metabolism", "metastasis", "multi-modal resistance to conventional therapies", "stemness"}
    out = _cli("--ontology", str(fresh_release), "--format", "json", query)
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["head"]["vars"] == ["mechanismLabel", "phenotype", "phenotypeLabel"]
    assert {b["phenotypeLabel"]["value"] for b in data["results"]["bindings"]} == phenotypes
    assert data["results"]["bindings"][0]["phenotype"]["type"] == "uri"
    rows = list(csv.reader(io.StringIO(_cli("--ontology", str(fresh_release), "--format", "csv", query).output)))
    assert rows[0] == ["mechanismLabel", "phenotype", "phenotypeLabel"] and {r[2] for r in rows[1:]} == phenotypes
    tsv = _cli("--ontology", str(fresh_release), "--format", "tsv", query).output.splitlines()
    assert tsv[0].split("\t") == ["mechanismLabel", "phenotype", "phenotypeLabel"] and len(tsv) == 5
    xml = ET.fromstring(_cli("--ontology", str(fresh_release), "--format", "xml", query).output)
    ns = {"s": "http://www.w3.org/2005/sparql-results#"}
    assert len(xml.findall("s:results/s:result", ns)) == 4
    table = _cli("--ontology", str(fresh_release), query).output
    assert "(4 rows)" in table and "stemness" in table
    ask = _cli("--ontology", str(fresh_release), "--format", "json", str(QUERIES / "mechanism-without-evidence.rq"))
    assert json.loads(ask.output) == {"head": {}, "boolean": False}


def test_cli_construct_gives_turtle(fresh_release):
    import pyoxigraph as ox

    out = _cli("--ontology", str(fresh_release), str(QUERIES / "mechanism-target-countermeasure.rq"))
    assert out.exit_code == 0, out.output
    assert "@prefix cirovocab: <https://w3id.org/ciro/vocab/>" in out.output
    triples = list(ox.parse(out.output.encode(), format=ox.RdfFormat.TURTLE))
    assert len(triples) == len(EXPECTED["mechanism-target-countermeasure.rq"])


def test_cli_reports_syntax_errors_with_line_and_column_and_no_traceback(fresh_release, tmp_path):
    broken = tmp_path / "broken.rq"
    broken.write_text("# a broken query\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
                      "SELECT ?x WHERE {\n  ?x rdfs:label \"unterminated .\n}\n")
    done = subprocess.run([sys.executable, "-m", "ciro.cli", "query", "--ontology", str(fresh_release), str(broken)],
                          capture_output=True, text=True)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("error: SPARQL syntax error at line 4, column 17: string not closed"), done.stderr
    assert '  4 |   ?x rdfs:label "unterminated .' in done.stderr


def test_cli_endpoint_that_cannot_be_reached_is_a_clear_error():
    out = CliRunner().invoke(main, ["query", "--endpoint", "http://127.0.0.1:9/sparql", "ASK {}"])
    assert out.exit_code == 1
    assert "cannot reach http://127.0.0.1:9/sparql" in out.output


def test_remote_refuses_to_send_updates():
    # Port 9 (discard) is never asked: the text is refused before any connection, with line and column.
    with pytest.raises(QueryError, match=r"line 1, column 1: this is a SPARQL Update \(INSERT\), not a query"):
        run_remote("http://127.0.0.1:9/sparql", "INSERT DATA { <a:b> <a:c> <a:d> }")
    with pytest.raises(QueryError, match="line 2, column 1: expected a query form: SELECT, CONSTRUCT, ASK or "
                                         "DESCRIBE, found 'SELEC'"):
        run_remote("http://127.0.0.1:9/sparql", "PREFIX x: <urn:x#>\nSELEC ?x WHERE { ?x ?p ?o }")


def test_query_form_skips_the_prologue_and_comments():
    assert query_form("# q?\nPREFIX x: <http://x/#a>\nBASE <http://b/>\n select * {}") == "SELECT"
    assert query_form("prefix : <http://x/> CONSTRUCT WHERE {}") == "CONSTRUCT"
    assert query_form("PREFIX a: <http://a/> ASK {}") == "ASK"
    assert query_form("INSERT DATA {}") == "INSERT"
    assert query_form("nonsense") is None


def test_canonical_terms_hide_engine_differences():
    import pyoxigraph as ox

    xsd = "http://www.w3.org/2001/XMLSchema#"
    assert canonical_term(ox.Literal("a")) == canonical_term(ox.Literal("a", datatype=ox.NamedNode(xsd + "string")))
    assert canonical_term(ox.Literal("3", datatype=ox.NamedNode(xsd + "integer"))) == canonical_term(
        ox.Literal("3", datatype=ox.NamedNode(xsd + "int")))
    assert canonical_term(ox.Literal("x", language="EN")) == canonical_term(ox.Literal("x", language="en"))
    assert canonical_term(ox.Literal("x", language="en")) != canonical_term(ox.Literal("x"))
    assert canonical_term(ox.Literal("1", datatype=ox.NamedNode(xsd + "boolean"))) == ("boolean", True)


def test_formats_reject_an_unknown_name(store):
    with pytest.raises(QueryError, match="unknown format"):
        format_result(run_query(store, "ASK {}"), "yaml")
