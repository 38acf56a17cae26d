"""`ciro validate`: exit codes and output formats, one line per curator mistake, file selection, the real
KB, and SHACL results that are pyshacl's own."""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph, Namespace

from ciro.cli import main
from ciro.curate import quotes
from ciro.curate.loader import load_paths
from ciro.curate.quotes import explain_miss, find_quote, normalise
from ciro.curate.schemaindex import schema_index
from ciro.layout import Layout
from ciro.validate import validate

from .conftest import REPO, copy_project
from .test_validate_corpus import CASES, GENERATED, install

VALID = REPO / "tests" / "data" / "valid"
SH = Namespace("http://www.w3.org/ns/shacl#")


@pytest.fixture(autouse=True)
def _debug(monkeypatch):
    monkeypatch.setenv("CIRO_DEBUG", "1")  # a crashing check fails the test with its traceback


@pytest.fixture(scope="module")
def _root(tmp_path_factory) -> Layout:
    """One project folder with the schema (compiled once); each test puts its own instances/ there."""
    root = tmp_path_factory.mktemp("validate")
    shutil.copytree(REPO / "schema", root / "schema")
    return Layout(root)


@pytest.fixture
def project(_root):
    """Install a case (default: the valid project) in the shared project folder."""

    def use(case: Path = VALID) -> Layout:
        install(case, _root)
        return _root

    return use


def _cli(*args: str):
    return CliRunner().invoke(main, ["validate", *args], catch_exceptions=False)


# --- the command -----------------------------------------------------------------------------------------

def test_valid_project_exits_0_with_a_summary(project):
    layout = project()
    result = _cli("--root", str(layout.root))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "13 files, 18 records: 0 error(s), 0 warning(s); quotes checked: 5/5; SHACL: CIRO's fast engine"
    ]


def test_errors_exit_1_one_line_each(project):
    layout = project(CASES / "several_problems")
    result = _cli("--root", str(layout.root))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[:-1] == (CASES / "several_problems" / "expected.txt").read_text().splitlines()
    assert lines[-1] == "5 files, 6 records: 4 error(s), 0 warning(s); quotes checked: 0/1; SHACL: CIRO's fast engine"


def test_warnings_do_not_fail(project):
    layout = project(CASES / "not_a_yaml_suffix")
    result = _cli("--root", str(layout.root))
    assert result.exit_code == 0
    assert result.output.splitlines()[0].endswith("not a .yaml file: ignored [warning]")


def test_json_report(project):
    layout = project(CASES / "unknown_enum_value")
    result = _cli("--root", str(layout.root), "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["ok"] is False and report["errors"] == 1 and report["warnings"] == 0
    [problem] = report["problems"]
    assert problem == {
        "file": "instances/mechanisms/immune-escape.yaml", "line": 3, "record": "CIRO:0000106",
        "field": "origin", "message": "'tumour_intrinsic' is not a permissible value (did you mean 'tumor_intrinsic'?)",
        "stage": "schema", "severity": "error",
    }
    assert report["shacl_results"] == []  # origin is optional: SHACL has nothing to add to the schema's error
    cycle = json.loads(_cli("--root", str(project(CASES / "broader_mechanism_cycle").root), "--format",
                            "json").output)
    assert {"focus", "path", "component", "severity", "value", "message"} <= set(cycle["shacl_results"][0])


def test_no_shacl_skips_only_that_layer(project):
    layout = project(CASES / "countermeasure_counteracts_nothing")
    assert _cli("--root", str(layout.root)).exit_code == 1
    assert _cli("--root", str(layout.root), "--no-shacl").exit_code == 0


def test_a_folder_without_schema_is_reported_not_raised(tmp_path):
    (tmp_path / "instances").mkdir()
    result = _cli("--root", str(tmp_path))
    assert result.exit_code == 1
    assert "schema not found" in result.output


@pytest.mark.parametrize("name", ["yaml_bomb", "huge_file"])
def test_nasty_input_never_gives_a_traceback(project, name):
    """The installed command, in a process of its own, on inputs that crash naive loaders."""
    layout = project(CASES / name)
    run = subprocess.run([sys.executable, "-m", "ciro.cli", "validate", "--root", str(layout.root)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr + run.stdout
    assert run.stdout.splitlines()[:-1] == (CASES / name / "expected.txt").read_text().splitlines()


# --- validating some files ---------------------------------------------------------------------------------

def test_one_file_is_checked_against_the_whole_kb(project, monkeypatch):
    layout = project()
    monkeypatch.chdir(layout.root)
    result = _cli("instances/mechanisms/pd-l1-upregulation.yaml")  # its references point into other files
    assert result.exit_code == 0, result.output
    assert result.output.startswith("1 files, 3 records: 0 error(s)")
    assert result.output.rstrip().endswith("quotes checked: 2/2; SHACL: CIRO's fast engine")


def test_only_problems_in_the_chosen_files_are_reported(project):
    layout = project(CASES / "several_problems")
    chosen = layout.instances / "targets" / "pd-1.yaml"
    report, _kb = validate([chosen], layout)
    assert [p.format() for p in report.problems] == [
        "instances/targets/pd-1.yaml:4: CIRO:0000103: coment: unknown field 'coment' for a Target "
        "(did you mean 'comment'?)"
    ]


def test_a_duplicate_is_reported_in_the_file_asked_for(project):
    layout = project(CASES / "duplicate_id")
    report, _kb = validate([layout.instances / "targets" / "pd-1.yaml"], layout)
    assert [p.format() for p in report.problems] == [
        "instances/targets/pd-1.yaml:1: CIRO:0000102: id: duplicate id: also the id of a Target at "
        "instances/targets/pd-l1.yaml:1"
    ]


def test_a_missing_file_is_reported(project):
    layout = project()
    report, _kb = validate([layout.instances / "targets" / "nope.yaml"], layout)
    assert [p.format() for p in report.problems] == ["instances/targets/nope.yaml:1: -: -: no such file"]


def test_the_project_folder_means_its_instances(project):
    layout = project()
    report, _kb = validate([layout.root], layout)
    assert report.ok and report.files == 13


# --- the curated knowledge base ----------------------------------------------------------------------------

def _curated_records() -> int:
    return sum(1 for p in (REPO / "instances").rglob("*.yaml") if "sources" not in p.parts)


@pytest.mark.skipif(_curated_records() == 0, reason="instances/ holds no curated records yet")
def test_the_curated_kb_is_clean():
    report, _kb = validate(None, Layout(REPO))
    assert [p.format() for p in report.problems] == []
    assert report.quotes_checked == report.quotes_total > 0


def _curated_file(kind: str, contains: str) -> Path:
    for path in sorted((REPO / "instances" / kind).glob("*.yaml")):
        if contains in path.read_text(encoding="utf-8"):
            return path
    pytest.skip(f"no curated {kind} record with {contains!r}")


@pytest.mark.skipif(_curated_records() == 0, reason="instances/ holds no curated records yet")
@pytest.mark.parametrize("kind,contains,old,new,says", [
    ("mechanisms", "origin: tumor_extrinsic", "origin: tumor_extrinsic", "origin: tumour_extrinsic",
     "did you mean 'tumor_extrinsic'?"),
    ("mechanisms", "\nlabel: ", "\nlabel: ", "\nlable: ",
     "unknown field 'lable' for a ResistanceMechanism (did you mean 'label'?)"),
    ("mechanisms", "evidence_direction: supports", "evidence_direction: supports", "evidence_direction: support",
     "did you mean 'supports'?"),
    ("mechanisms", "source_kind: review_synthesis", "source_kind: review_synthesis", "source_kind: review",
     "not a permissible value"),
    ("targets", "target_kind: gene_or_protein", "target_kind: gene_or_protein", "target_kind: gene",
     "did you mean 'gene_or_protein'?"),
    ("mechanisms", "\n  publication: ", "\n  publication: ", "\n\tpublication: ", "a tab is used for indentation"),
    ("mechanisms", "\n  quote: ", "\n  quote: ", "\n  quote: As reported, ", "not found in the text of"),
    ("mechanisms", "\nbroader_mechanisms:\n- CIRO:0", "\nbroader_mechanisms:\n- CIRO:0",
     "\nbroader_mechanisms:\n- CIRO:",
     "is not a CIRO identifier"),
])
def test_a_curators_typo_gives_one_line(tmp_path, kind, contains, old, new, says):
    """One mistake in the real KB: one line, saying where and what; a broken link also leaves the evidence that
    supported the old link unsupported, said at each such evidence item (as when the link names another record,
    see the next test)."""
    layout = copy_project(tmp_path)
    source = _curated_file(kind, contains)
    path = layout.instances / kind / source.name
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    report, _kb = validate(None, layout)
    lines = [p.format() for p in report.problems]
    dependent = [p for p in report.problems if p.field == "about_object" and " states no " in p.message]
    assert len(report.problems) - len(dependent) == 1, lines
    line = next(p for p in report.problems if p not in dependent).format()
    assert line.startswith(f"instances/{kind}/{source.name}:") and says in line
    if "broader_mechanisms" not in old:
        assert not dependent, lines


def _first_link_claimed_by_evidence(kind: str = "mechanisms", relation: str = "involves"):
    """A curated file, its record's first `relation` link that an evidence item supports, and that line."""
    import yaml

    for path in sorted((REPO / "instances" / kind).glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        record = yaml.safe_load(text)
        links = record.get(relation) if isinstance(record, dict) else None
        if not isinstance(links, list) or len(set(links)) != len(links):
            continue
        for item, link in enumerate(links):
            claims = [e["id"] for e in record.get("has_evidence") or []
                      if e.get("about_relation") == relation and e.get("about_object") == link]
            if claims and text.count(f"- {link}\n") == 1:
                return path, record, item, link, claims
    pytest.skip(f"no curated {kind} record whose {relation} link an evidence item supports")


@pytest.mark.skipif(_curated_records() == 0, reason="instances/ holds no curated records yet")
def test_a_changed_link_is_reported_at_its_item_and_in_the_same_way_whatever_it_now_names(tmp_path):
    """Issue 18: the dependent error ('states no involves link') appeared when a link was changed to an id that
    exists, not when it was changed to one that does not; and a dangling link was reported at the key's line.
    Now: the list item's line, and the same evidence lines for a missing id as for an existing one."""
    source, record, item, link, claims = _first_link_claimed_by_evidence()
    text = source.read_text(encoding="utf-8")
    item_line = text[:text.index(f"- {link}\n")].count("\n") + 1
    others = [t for t in _curated_ids("targets") if t not in record["involves"]]
    results = {}
    for new in ("CIRO:9999999", others[0]):
        layout = copy_project(tmp_path / new.replace(":", "_"))
        path = layout.instances / "mechanisms" / source.name
        path.write_text(text.replace(f"- {link}\n", f"- {new}\n", 1), encoding="utf-8")
        report, _kb = validate(None, layout)
        results[new] = [p.format() for p in report.problems]
    shown = f"instances/mechanisms/{source.name}"
    dangling, changed = results["CIRO:9999999"], results[others[0]]
    assert dangling[0] == f"{shown}:{item_line}: {record['id']}: involves: no Target has the id 'CIRO:9999999'"
    dependent = changed  # the only problems when the link names another target: one per evidence item claiming it
    assert len(dependent) == len(claims) and all(
        f"about_object: {record['id']} states no involves link to '{link}' for this evidence to support" in line
        for line in dependent), changed
    assert dangling[1:] == [line.replace(others[0], "CIRO:9999999") for line in dependent]


def test_a_dangling_about_object_is_reported_whatever_is_wrong_with_its_relation(project, tmp_path):
    """The claim check reports a missing about_object itself; when the relation is misspelt it still must."""
    case = tmp_path / "case"
    shutil.copytree(CASES / "about_relation_misspelt", case)
    path = case / "instances" / "mechanisms" / "immune-escape.yaml"
    path.write_text(path.read_text().replace("about_object: CIRO:0000102", "about_object: CIRO:0000999"))
    report, _kb = validate(None, project(case))
    assert [p.format() for p in report.problems] == [
        "instances/mechanisms/immune-escape.yaml:8: CIRO:0000107: about_relation: 'involve' is not a permissible "
        "value (did you mean 'involves'?)",
        "instances/mechanisms/immune-escape.yaml:9: CIRO:0000107: about_object: no record has the id 'CIRO:0000999'"]


def _curated_ids(kind: str) -> list[str]:
    import yaml

    return sorted(yaml.safe_load(p.read_text(encoding="utf-8"))["id"]
                  for p in (REPO / "instances" / kind).glob("*.yaml"))


@pytest.mark.skipif(_curated_records() == 0, reason="instances/ holds no curated records yet")
def test_a_broken_target_file_is_one_line_however_often_it_is_referenced(tmp_path):
    layout = copy_project(tmp_path)
    report, kb = validate(None, layout)
    target = max((r for r in kb.records if r.kind == "targets"),
                 key=lambda r: sum(r.id in str(m.data) for m in kb.records if m.kind == "mechanisms"))
    path = layout.root / target.file
    path.write_text(path.read_text(encoding="utf-8").replace("label:", "label: [", 1), encoding="utf-8")
    report, _kb = validate(None, layout)
    assert [p.file for p in report.problems] == [target.file]


# --- SHACL: our report is pyshacl's report -------------------------------------------------------------------

@functools.cache
def _independent_shapes(schema_text: str, rules_text: str) -> Graph:
    """Shapes built here, not by ciro.shacl: gen-shacl's output plus the rules file."""
    from linkml.generators.shaclgen import ShaclGenerator

    shapes = Graph().parse(data=ShaclGenerator(schema_text).serialize(), format="turtle")
    return shapes.parse(data=rules_text, format="turtle")


def _pyshacl_on(graph: Graph, layout: Layout) -> set[tuple[str, str, str]]:
    """(focus, path, component) of every result of pyshacl, run directly on `graph`."""
    import pyshacl

    shapes = _independent_shapes(layout.schema.read_text(), (layout.schema.parent / "ciro-rules.shacl.ttl").read_text())
    _conforms, results, _text = pyshacl.validate(graph, shacl_graph=shapes, inference="none", advanced=True,
                                                allow_warnings=True)
    return {
        (str(focus), str(results.value(node, SH.resultPath) or ""),
         str(results.value(node, SH.sourceConstraintComponent)))
        for node, focus in results.subject_objects(SH.focusNode)
    }


@pytest.mark.parametrize("name", sorted(p.name for p in CASES.iterdir() if p.is_dir() and p.name not in GENERATED)
                         + ["<valid>"])
def test_shacl_results_are_pyshacls_own(project, name):
    layout = project(VALID if name == "<valid>" else CASES / name)
    report, _kb = validate(None, layout)  # the fast engine, the default
    reference, _kb = validate(None, layout, engine="pyshacl")
    ours = {(r.focus, r.path, r.component) for r in report.shacl_results}
    assert report.graph is None and reference.graph is not None
    assert ours == {(r.focus, r.path, r.component) for r in reference.shacl_results}
    assert ours == _pyshacl_on(reference.graph, layout)


@pytest.mark.parametrize("name,expected", [
    ("countermeasure_counteracts_nothing", 1),
    ("mechanism_with_empty_evidence_list", 2),  # the rules file and the generated shape both say so
    ("quote_only_ellipsis", 1),
])
def test_what_only_shacl_sees_is_reported_once_per_field(project, name, expected):
    """Cases no earlier layer catches: every SHACL result reaches the report, one line per (record, field)."""
    layout = project(CASES / name)
    report, _kb = validate(None, layout)
    index = schema_index(layout.schema)
    assert len(report.shacl_results) == expected
    raw = {(r.focus.rsplit("CIRO_", 1)[-1], index.slot_predicates.get(r.path, "")) for r in report.shacl_results}
    shown = {(p.record.removeprefix("CIRO:"), p.field) for p in report.problems if p.stage == "shacl"}
    assert shown == raw and len(report.problems) == len(raw)


# --- pieces ----------------------------------------------------------------------------------------------

def test_loader_keeps_the_line_of_every_field(project):
    layout = project()
    kb = load_paths([layout.instances], base=layout.root)
    record = next(r for r in kb.records if r.id == "CIRO:0000110")
    assert (record.file, record.line, record.where("quote").line) == (
        "instances/mechanisms/pd-l1-upregulation.yaml", 26, 30)
    assert record.parent is not None and record.parent.id == "CIRO:0000108"


def test_byte_order_mark_and_crlf_are_accepted(project):
    layout = project()
    path = layout.instances / "targets" / "treg.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    report, _kb = validate(None, layout)
    assert report.ok, [p.format() for p in report.problems]


def test_normalised_spaces_are_those_of_the_regular_expression():
    import random
    import re
    import unicodedata

    def before(text: str) -> str:  # normalise as it was written first, with the regular expression
        text = unicodedata.normalize("NFKC", text).translate(quotes._PUNCT)
        if not text.isascii():
            text = text.translate(quotes._GREEK)
        return re.sub(r"\s+", " ", text.casefold()).strip()

    spaces = [chr(c) for c in range(sys.maxunicode + 1) if re.fullmatch(r"\s", chr(c))]
    assert spaces == [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
    pool = spaces + list("ab -\u00e9\u03b3\u2013\u00a0")
    rng = random.Random(3)
    for _ in range(3000):
        text = "".join(rng.choice(pool) for _ in range(rng.randrange(12)))
        assert normalise(text) == before(text), repr(text)


def test_quotes_match_presentation_not_words():
    text = normalise("IFN-\u03b3 signalling \u2013 the \u201cmain\u201d  route.\nNext line")
    assert find_quote("IFN-gamma signalling - the \"main\" route. Next line", text)
    assert find_quote("IFN-\u03b3 ... route", text)
    assert not find_quote("IFN-\u03b3 signaling", text)
    assert not find_quote("route ... IFN", text)
    assert not find_quote("...", text)
    miss = explain_miss("IFN-\u03b3 signalling - the main route", text)
    assert miss == 'the text matches up to "ifn-gamma signalling - the"'
