"""The import module: terms extracted from their source ontologies with their whole ancestry (imports/*.tsv, written
by scripts/refresh_imports.py), each with IAO:0000412; the other sources MIREOT; MeSH never under rdfs:subClassOf.

CI has no internet: the extraction is tested on the small fixtures in tests/data/imports/, and the release on the
committed tables."""

from __future__ import annotations

import pytest
import yaml
from rdflib import DCTERMS, OWL, RDF, RDFS, SKOS, Graph, URIRef

from ciro.imports.extract import read_obo, read_ofn, read_rdfxml
from ciro.imports.refresh import refresh, registry_seeds
from ciro.imports.sources import HOME, MIREOT, SOURCES, Source
from ciro.imports.table import TableError, read_table, read_tables

from .conftest import REPO

FIXTURES = REPO / "tests" / "data" / "imports"
OBO = "http://purl.obolibrary.org/obo/"
IMPORTED_FROM = URIRef(OBO + "IAO_0000412")
IMPORT_IRI = URIRef("https://w3id.org/ciro/imports/ciro-external.owl")
CIRO = "https://w3id.org/ciro/"
FIXTURE_SOURCES = (
    Source("up", "UP", OBO + "up.owl", "example/up", "tiny.owl"),
    Source("cell", "CELL", OBO + "cell.owl", "example/cell", "tiny.ofn"),
    Source("tiny", "TINY", OBO + "tiny.owl", "example/tiny", "tiny.obo"),
)
FIXTURE_SEEDS = ("TINY:0000003", "CELL:0000004", "CELL:0000002", "CELL:0000008", "CELL:0000099", "UP:0000004",
                 "UP:0000100", "UP:0000050", "UP:0000002")


def _fixture_reader(source: Source) -> tuple[str, str]:
    return (FIXTURES / source.path).read_text(encoding="utf-8"), f"fixture commit of {source.repo}"


def _obo_iri(curie: str) -> URIRef:
    if "://" in curie:  # a term named by IRI in its file (prov:Activity in SEPIO's)
        return URIRef(curie)
    prefix, local = curie.split(":", 1)
    return URIRef(f"{OBO}{prefix}_{local}")


@pytest.fixture(scope="module")
def module(fresh_release) -> Graph:
    return Graph().parse(fresh_release / "imports" / "ciro-external.owl", format="xml")


@pytest.fixture(scope="module")
def tables():
    return read_tables(REPO / "imports")


# --- extraction, on the fixtures ---------------------------------------------------------------------------------

def test_refresh_writes_the_expected_tables_from_the_fixtures(tmp_path):
    """The committed expected tables are what the refresh writes from the three fixture files (OBO, functional
    syntax, RDF/XML): ancestors followed across sources, genus parents kept, obsolete terms and stops recorded."""
    refresh(_fixture_reader, FIXTURE_SEEDS, tmp_path, FIXTURE_SOURCES)
    written = sorted(p.name for p in tmp_path.glob("*.tsv"))
    assert written == sorted(p.name for p in (FIXTURES / "expected").glob("*.tsv")) == ["cell.tsv", "tiny.tsv",
                                                                                        "up.tsv"]
    for name in written:
        assert (tmp_path / name).read_text() == (FIXTURES / "expected" / name).read_text(), name


def test_obo_reader_takes_is_a_and_genus_drops_obsolete_terms_and_maps_data_version():
    onto = read_obo((FIXTURES / "tiny.obo").read_text())
    assert onto.version_iri == OBO + "tiny/releases/2024-01-01/tiny.owl"
    assert onto.terms["TINY:0000002"].parents == ("TINY:0000001",)  # qualifier and comment stripped
    assert onto.terms["TINY:0000003"].parents == ("TINY:0000002",)  # genus and is_a, once; not the differentia
    assert "TINY:0000009" not in onto.terms


def test_obo_reader_is_fastobo_and_agrees_with_the_line_reader():
    """fastobo reads the files it accepts (OBO 1.4 escapes unescaped); the line reader, kept for the files fastobo
    rejects (ECO's and SO's releases), gives the same terms on the fixture."""
    from ciro.imports.extract import _read_obo_lines

    text = (FIXTURES / "tiny.obo").read_text(encoding="utf-8")
    assert read_obo(text) == _read_obo_lines(text)
    quoted = 'format-version: 1.4\nontology: q\n\n[Term]\nid: Q:1\nname: a \\"quoted\\" name\n'
    assert read_obo(quoted).terms["Q:1"].label == 'a "quoted" name'
    broken = text.replace("name: tiny root", "name: tiny root\nxref: UniProt:Two Words")  # as ECO's file has
    assert read_obo(broken).terms == read_obo(text).terms


def test_obo_reader_maps_an_import_modules_data_version_back_to_its_iri():
    """The OWL API's OBO writer keeps a version IRI that is not obo:O/V/O.owl as its path (ROBOT import modules)."""
    text = "format-version: 1.2\ndata-version: mondo/releases/2021-08-03/imports/go_import.owl\n" \
           "ontology: mondo/imports/go_import\n"
    onto = read_obo(text)
    assert onto.version_iri == OBO + "mondo/releases/2021-08-03/imports/go_import.owl"
    assert onto.ontology_iri == OBO + "mondo/imports/go_import.owl"


def test_a_seed_an_import_module_lacks_is_absent_not_a_stop(tmp_path):
    module = Source("tiny", "TINY", OBO + "tiny.owl", "example/other", "tiny.obo", "other's import module of TINY")
    tables = refresh(_fixture_reader, ("TINY:0000003", "TINY:0000404"), tmp_path, (module,))
    assert tables["tiny"].absent == ("TINY:0000404",) and tables["tiny"].stops == ()
    again = read_table(tmp_path / "tiny.tsv")
    assert again.module == "other's import module of TINY" and again.absent == ("TINY:0000404",)


def test_ofn_reader_reads_annotated_axioms_equivalences_and_escaped_labels():
    onto = read_ofn((FIXTURES / "tiny.ofn").read_text())
    assert onto.ontology_iri == OBO + "cell.owl" and onto.version_iri is None
    assert onto.terms["CELL:0000002"].label == 'a "quoted" cell'
    assert onto.terms["CELL:0000002"].parents == ("CELL:0000001",)  # the restriction is not a named parent
    assert onto.terms["CELL:0000003"].parents == ("CELL:0000002",)
    assert onto.terms["CELL:0000004"].parents == ("CELL:0000003", "UP:0000001")
    assert "CELL:0000008" not in onto.terms and "ELSE:0000001" not in onto.terms  # deprecated; no label


def test_rdfxml_reader_reads_kinds_english_labels_and_individuals():
    onto = read_rdfxml((FIXTURES / "tiny.owl").read_text())
    assert onto.version_iri == OBO + "up/2024-02-02/up.owl"
    assert onto.terms["UP:0000000"].label == "entity" and onto.terms["UP:0000000"].parents == ()  # owl:Thing
    assert onto.terms["UP:0000002"].parents == ("UP:0000001",)
    assert (onto.terms["UP:0000004"].kind, onto.terms["UP:0000004"].parents) == ("NamedIndividual", ("UP:0000003",))
    assert onto.terms["UP:0000100"].kind == "AnnotationProperty"
    assert "UP:0000009" not in onto.terms


def test_a_broken_table_is_named_with_its_line(tmp_path):
    broken = tmp_path / "x.tsv"
    text = (FIXTURES / "expected" / "up.tsv").read_text().replace("\tClass\t", "\tKlass\t", 1)
    broken.write_text(text)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "\tKlass\t" in row)
    with pytest.raises(TableError, match=rf"x\.tsv:{line}: term UP:\d+: kind 'Klass'"):
        read_table(broken)


def test_build_refuses_a_broken_table_in_one_line(tmp_path):
    import subprocess
    import sys

    from .conftest import copy_project

    layout = copy_project(tmp_path)
    table = layout.root / "imports" / "cl.tsv"
    table.write_text(table.read_text().replace("\tT cell\t", "\t\t"))
    out = tmp_path / "ontology"
    done = subprocess.run([sys.executable, "-m", "ciro.cli", "build", "--root", str(layout.root), "--out", str(out)],
                          capture_output=True, text=True)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "cl.tsv:" in done.stderr and "CL:0000084: empty label" in done.stderr
    assert not out.exists()


# --- the committed tables and the release's module ---------------------------------------------------------------

def test_every_registry_term_of_an_extracted_source_is_in_a_table_with_its_label(tables):
    """...or, for a source read from another ontology's import module, listed as absent from it (kept MIREOT)."""
    rows = {t.id: t for table in tables for t in table.terms}
    absent = {t for table in tables for t in table.absent}
    seeds = registry_seeds(REPO / "instances" / "external_terms")
    assert seeds
    for path in sorted((REPO / "instances" / "external_terms").glob("*.yaml")):
        for term in yaml.safe_load(path.read_text(encoding="utf-8")):
            if term["id"] in absent:
                assert term["id"] not in rows and term.get("verified_by"), term["id"]
            elif term["id"] in seeds:
                assert term["id"] in rows, f"{term['id']} is not in imports/: run scripts/refresh_imports.py"
                assert rows[term["id"]].label == term["label"], term["id"]
                assert "parent" not in term, f"{term['id']}: hand-picked parent for a term of an extracted source"


def test_tables_name_their_file_commit_and_no_unresolved_stop(tables):
    assert {t.source for t in tables} <= {s.name for s in SOURCES}
    for table in tables:
        source = next(s for s in SOURCES if s.name == table.source)
        assert table.file == f"github:{source.repo} {source.path}" and len(table.commit.split()[0]) == 40
        assert table.stops == (), f"{table.source}: ancestry stops at {table.stops}"
        assert table.module == source.module  # an import module says whose it is, a source's own file nothing
        assert not table.absent or table.module, table.source


def test_go_and_ncbitaxon_come_from_import_modules_and_their_missing_terms_stay_mireot(module, tables):
    by_name = {t.source: t for t in tables}
    assert by_name["go"].file == "github:monarch-initiative/mondo imports/go_import.obo"
    assert by_name["go"].absent == ("GO:0043491", "GO:0060333")
    assert by_name["ncbitaxon"].absent == ("NCBITaxon:239935",)
    e_coli = set(module.transitive_objects(_obo_iri("NCBITaxon:562"), RDFS.subClassOf))
    assert {_obo_iri("NCBITaxon:561"), _obo_iri("NCBITaxon:2"), _obo_iri("NCBITaxon:1")} <= e_coli
    assert _obo_iri("GO:0005575") in set(module.transitive_objects(_obo_iri("GO:0042101"), RDFS.subClassOf))
    comments = " ".join(str(c) for c in module.objects(IMPORT_IRI, RDFS.comment))
    assert f"GO: MIREOT, not extracted (GO:0043491 GO:0060333: {MIREOT['GO'][1]})" in comments
    assert "the file is MONDO's import module of GO" in comments
    # a MIREOT term keeps the one parent the registry records, and names what confirmed it
    assert (_obo_iri("GO:0043491"), RDFS.subClassOf, _obo_iri("GO:0141124")) in module
    assert (_obo_iri("GO:0043491"), IMPORTED_FROM, URIRef(OBO + "go.owl")) in module


def test_every_extracted_class_reaches_its_sources_root_within_the_module(module, tables):
    """Up rdfs:subClassOf, inside the module, every class of a table reaches a root of the tables (a class its
    file gives no parent); the classes of BFO-aligned sources all reach BFO's 'entity'."""
    roots = {_obo_iri(t.id) for table in tables for t in table.terms if t.kind == "Class" and not t.parents}
    assert roots
    for table in tables:
        for term in (t for t in table.terms if t.kind == "Class"):
            todo, seen, reached = [_obo_iri(term.id)], set(), set()
            while todo:
                node = todo.pop()
                if node in seen:
                    continue
                seen.add(node)
                parents = list(module.objects(node, RDFS.subClassOf))
                assert all(isinstance(p, URIRef) for p in parents), term.id
                assert (node, RDFS.label, None) in module, f"{term.id}: ancestor {node} has no label"
                if not parents:
                    reached.add(node)
                todo.extend(parents)
            assert reached and reached <= roots, (term.id, reached)
            if table.source in ("cl", "iao", "cob", "sepio", "bfo"):
                assert _obo_iri("BFO:0000001") in reached, term.id


def test_regulatory_and_exhausted_t_cells_are_under_t_cell(module):
    t_cell = _obo_iri("CL:0000084")
    for cell in ("CL:0000815", "CL:0011025"):
        ancestors = set(module.transitive_objects(_obo_iri(cell), RDFS.subClassOf))
        assert t_cell in ancestors, cell


def test_every_external_entity_names_its_source_with_iao_0000412(module):
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.AnnotationProperty, OWL.NamedIndividual)
    vocabularies = (CIRO, str(DCTERMS), str(RDF), str(RDFS), str(OWL), str(SKOS))
    external = {s for k in kinds for s in module.subjects(RDF.type, k)
                if isinstance(s, URIRef) and not str(s).startswith(vocabularies)}
    assert len(external) > 100
    for entity in external:
        assert len(list(module.objects(entity, IMPORTED_FROM))) == 1, entity
    assert (_obo_iri("CL:0000084"), IMPORTED_FROM, URIRef(OBO + "cl.owl")) in module
    assert (_obo_iri("BFO:0000040"), IMPORTED_FROM, URIRef(OBO + "bfo.owl")) in module


def test_module_header_names_each_sources_version(module, tables):
    sources = set(module.objects(IMPORT_IRI, DCTERMS.source))
    comments = " ".join(str(c) for c in module.objects(IMPORT_IRI, RDFS.comment))
    for table in tables:
        if table.version_iri:
            assert URIRef(table.version_iri) in sources, table.source
        else:  # CL's edit file states no versionIRI: its commit stands for it
            assert any(table.commit in str(s) for s in sources), table.source
        assert f"{table.source}: {len(table.terms)} terms extracted from {table.file} at commit {table.commit}" \
            in comments
    used = {str(t["id"]).split(":", 1)[0] for p in (REPO / "instances" / "external_terms").glob("*.yaml")
            for t in yaml.safe_load(p.read_text(encoding="utf-8"))}
    for prefix in used - set(HOME):
        assert f"{prefix}: MIREOT, not extracted ({MIREOT[prefix][1]})" in comments, prefix


def test_no_mesh_term_is_a_subclass_and_mesh_tree_links_are_skos_broader(module):
    mesh = yaml.safe_load((REPO / "schema" / "ciro.yaml").read_text(encoding="utf-8"))["prefixes"]["MESH"]
    subjects = {s for s in module.subjects(RDF.type, OWL.Class) if str(s).startswith(mesh)}
    assert subjects
    for s in subjects:
        assert not [o for o in module.objects(s, RDFS.subClassOf)], s
    assert any(str(o).startswith(mesh) for s in subjects for o in module.objects(s, SKOS.broader))


def test_without_tables_every_term_is_mireot(tmp_path):
    """A KB without imports/ (the benchmark's synthetic ones) builds its module MIREOT, from the registry."""
    from ciro.curate.loader import load_paths
    from ciro.release.owl import build_graphs

    kb = load_paths([REPO / "instances"], base=REPO)
    graphs = build_graphs(kb.data, REPO / "schema" / "ciro.yaml")
    g = graphs.external
    assert (_obo_iri("CL:0000084"), RDFS.subClassOf, None) not in g  # no parent recorded in the registry now
    assert (_obo_iri("CL:0000084"), IMPORTED_FROM, URIRef(OBO + "cl.owl")) in g


def test_refresh_script_needs_its_mirror_folder():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, str(REPO / "scripts" / "refresh_imports.py")], capture_output=True,
                          text=True)
    assert done.returncode == 2 and "MIRRORS" in done.stderr


def test_refresh_names_a_missing_source_file(tmp_path):
    from ciro.imports.refresh import RefreshError, git_reader

    (tmp_path / "example+up" / "repo").mkdir(parents=True)
    with pytest.raises(RefreshError, match="example/up tiny.owl: git log failed"):
        refresh(git_reader(tmp_path), FIXTURE_SEEDS, tmp_path / "out", FIXTURE_SOURCES)
    assert not (tmp_path / "out").exists()


def test_a_registry_term_missing_from_its_table_is_mireot_and_the_header_says_to_refresh():
    from ciro.curate.loader import load_paths
    from ciro.release.owl import build_graphs

    kb = load_paths([REPO / "instances"], base=REPO)
    kb.data["external_terms"].append({"id": "ECO:0000303", "label": "author statement without traceable support "
                                      "used in manual assertion", "verified_by": "eco.obo"})
    g = build_graphs(kb.data, REPO / "schema" / "ciro.yaml", None, read_tables(REPO / "imports")).external
    comments = [str(c) for c in g.objects(URIRef(str(IMPORT_IRI)), RDFS.comment)]
    assert "ECO: MIREOT, not extracted (not in imports/eco.tsv yet: run scripts/refresh_imports.py)" in comments
    assert (_obo_iri("ECO:0000303"), IMPORTED_FROM, URIRef(OBO + "eco.owl")) in g
