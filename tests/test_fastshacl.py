"""The fast SHACL engine reports exactly what pyshacl reports: on the curated KB, on generated KBs with every
kind of injected error, on hand-written edge cases of each constraint, and on random graphs."""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic

from ciro.curate.loader import load_paths
from ciro.curate.rdf import kb_to_graph
from ciro.layout import Layout
from ciro.shacl import check_records, shapes_graph
from ciro.shacl.fast import (
    TripleIndex,
    compile_shapes,
    ntriples_from_records,
    run_shapes,
    validate_fast,
    violations_from_pyshacl,
)

EX = Namespace("http://example.org/")
RDF_TYPE = URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")


def validate_records(data, schema, shapes):
    """The fast engine on a KB's records (no rdflib graph), as `ciro validate` runs it."""
    return run_shapes(compile_shapes(shapes), TripleIndex.from_records(data, schema)).violations


def full(violations) -> list[tuple]:
    """Everything a violation carries that pyshacl also states, so both engines can be compared field by field."""
    return sorted((v.focus, v.path, v.component, v.value, v.source, v.severity, v.message, v.reported)
                  for v in violations)


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    """A generated KB holding one error of every kind, loaded; and its manifest."""
    from ciro.bench import generate

    root = tmp_path_factory.mktemp("broken")
    manifest = generate(500, root, seed=7, inject=True)
    layout = Layout(root)
    return layout, load_paths([layout.instances], base=root), manifest


def test_curated_kb_same_as_pyshacl(layout):
    kb = load_paths([layout.instances], base=layout.root)
    shapes = shapes_graph(layout)
    graph = kb_to_graph(kb.data, layout.schema)
    assert full(validate_records(kb.data, layout.schema, shapes)) == full(violations_from_pyshacl(graph, shapes))


def test_injected_errors_same_as_pyshacl(broken):
    layout, kb, manifest = broken
    shapes = shapes_graph(layout)
    graph = kb_to_graph(kb.data, layout.schema)
    reference = violations_from_pyshacl(graph, shapes)
    fast = validate_records(kb.data, layout.schema, shapes)
    assert full(fast) == full(reference)
    assert full(validate_fast(graph, shapes)) == full(reference)  # from an rdflib graph too
    found = {(v.focus, v.path, v.component.rsplit("#", 1)[-1]) for v in fast}
    expected = [(e["kind"], tuple(s)) for e in manifest["injected"] for s in e["shacl"]]
    assert len(expected) >= 12
    assert [kind for kind, signature in expected if signature not in found] == []


def test_results_as_the_validator_shows_them(broken):
    """check_records with the fast engine (the validator's default) gives what run_shacl gives for pyshacl's
    report."""
    from ciro.curate.schemaindex import schema_index
    from ciro.shacl import run_shacl

    layout, kb, _manifest = broken
    index = schema_index(layout.schema)
    graph = kb_to_graph(kb.data, layout.schema)
    expected = run_shacl(graph, layout, index.prefixes, index.slot_predicates)
    assert expected and check_records(kb.data, layout, index.prefixes, index.slot_predicates).results == expected


@pytest.mark.parametrize("which", ["curated", "broken"])
def test_triples_from_records_are_the_mappers(which, layout, broken):
    """The index and the N-Triples the fast paths build from records are rdf.kb_to_graph's graph."""
    if which == "curated":
        data, schema = load_paths([layout.instances], base=layout.root).data, layout.schema
    else:
        data, schema = broken[1].data, broken[0].schema
    graph = kb_to_graph(data, schema)
    from_index = Graph().parse(data=TripleIndex.from_records(data, schema).to_ntriples(), format="nt")
    from_chunks = Graph().parse(data=b"".join(ntriples_from_records(data, schema)), format="nt")
    assert isomorphic(from_index, graph) and isomorphic(from_chunks, graph)


@pytest.mark.parametrize("seed", [7, 8])
def test_index_straight_from_records_as_read_is_the_rdf_layers(layout, tmp_path, seed, monkeypatch):
    """TripleIndex.from_kb_records (the SHACL-ahead helper's, validate.py) holds the triples, in the same
    order, that from_records makes of validate._rdf_data's records when nothing is reported: on the curated KB
    and on generated KBs with malformed values and duplicate ids; also where a class's slots leave out the id
    and some fields, with a mapping that makes the id a triple too."""
    from dataclasses import replace

    from ciro import validate
    from ciro.bench import generate
    from ciro.curate import rdf
    from ciro.curate.schemaindex import schema_index

    real_mapper = rdf.RdfMapper.from_schema

    def with_id_triples(path):  # (the project's schema maps no slot named id)
        mapper = real_mapper(path)
        id_rule = rdf.SlotRule("id", URIRef(EX.id), "iri")
        classes = {n: replace(c, slots=(*c.slots, id_rule)) for n, c in mapper.classes.items()}
        return rdf.RdfMapper(classes, mapper.expand, mapper.tree_slots)

    monkeypatch.setattr(rdf.RdfMapper, "from_schema", with_id_triples)

    generate(400, tmp_path, seed=seed, inject=True)
    broken = load_paths([tmp_path / "instances"], base=tmp_path)
    curated = load_paths([layout.instances], base=layout.root)
    first = validate._first_ids(broken)
    assert len(first) < sum(1 for r in broken.records if r.id) and broken.problems + [
        p for p in validate.validate_loaded(broken, Layout(tmp_path), shacl=False).problems if p.stage == "schema"]
    real = schema_index(layout.schema)

    class Fewer:  # the schema index with slots left out (the id, the quote) where _rdf_data reads them
        def __init__(self, left_out):
            self.slots = {c: {s for s in slots if s not in left_out} for c, slots in real.slots.items()}
            self.class_of = real.class_of

    for kb in (curated, broken):
        for index in (real, Fewer({"id", "quote", "publication"})):
            ids = validate._Ids(first=validate._first_ids(kb))
            data = validate._rdf_data(kb, index, validate._NothingFailed(), ids)
            old = TripleIndex.from_records(data, layout.schema)
            new = TripleIndex.from_kb_records(kb.data, kb.records, validate._first_ids(kb),
                                              lambda kind, index=index: index.slots[index.class_of(kind)],
                                              layout.schema)
            assert list(new.spo.items()) == list(old.spo.items()) and len(new) > 1000
            assert sum(1 for po in new.spo.values() if str(EX.id) in po) == len(new.spo)


def test_focus_nodes_of_all_shapes_at_once(broken):
    """_Run.focus_all (one pass over the data for every sh:targetSubjectsOf / sh:targetObjectsOf) gives each
    shape's focus nodes, in order, as _Run.focus does: on every W3C core/sparql entry and on the broken KB."""
    from ciro.shacl.fast.engine import _Run

    from .w3c_shacl import entries, load

    layout, kb, _manifest = broken
    cases = [(TripleIndex.from_records(kb.data, layout.schema), shapes_graph(layout))]
    for entry in entries():
        if not entry.failure:
            data = load(entry.data)
            cases.append((TripleIndex.from_graph(data), data if entry.shapes == entry.data else load(entry.shapes)))
    scanned = 0
    for index, shapes in cases:
        try:
            sg = compile_shapes(shapes)
        except Exception:  # noqa: BLE001 - an entry whose shapes graph is refused has no focus nodes to compare
            continue
        run = _Run(sg, index)
        assert run.focus_all(sg.roots) == [run.focus(shape) for shape in sg.roots]
        scanned += sum(1 for shape in sg.roots if shape.subjects_of or shape.objects_of)
    assert scanned >= 10


def test_record_names_are_the_mappers_iris(layout, broken):
    """validate._rdf_names (IRI -> record id, memoised expansion) gives RdfMapper.iri's IRIs."""
    from ciro import validate
    from ciro.curate.rdf import RdfMapper

    curated = load_paths([layout.instances], base=layout.root)
    for kb, schema in ((curated, layout.schema), (broken[1], broken[0].schema)):
        ids = validate._Ids(first=validate._first_ids(kb))
        mapper = RdfMapper.from_schema(schema)
        names = validate._rdf_names(ids, schema).table()
        assert list(names.items()) == [(str(mapper.iri(rid)), rid) for rid in ids.first] and len(names) > 100
    odd = validate._Ids(first=dict.fromkeys(["plain", "a:b:c", "CIRO:", "unknown:x", "CIRO:0000001", "http://x/y"]))
    assert validate._rdf_names(odd, layout.schema).table() == {str(mapper.iri(rid)): rid for rid in odd.first}


SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> . @prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:S a sh:NodeShape ; sh:targetClass ex:C ;
  sh:property [ sh:path ex:int ; sh:datatype xsd:integer ; sh:maxCount 2 ] ;
  sh:property [ sh:path ex:str ; sh:datatype xsd:string ; sh:pattern "^a" ; sh:flags "i" ] ;
  sh:property [ sh:path ex:lit ; sh:datatype rdfs:Literal ] ;
  sh:property [ sh:path ex:ref ; sh:class ex:D ; sh:nodeKind sh:IRI ; sh:minCount 1 ] ;
  sh:property [ sh:path ex:enum ; sh:in ( ex:a ex:b "c" ) ] ;
  sh:property [ sh:path ex:lang ; sh:datatype rdf:langString ; sh:severity sh:Warning ; sh:message "lang" ] ;
  sh:closed true ; sh:ignoredProperties ( rdf:type ) .
ex:T a sh:NodeShape ; sh:targetNode ex:n1 ; sh:targetSubjectsOf ex:sub ; sh:targetObjectsOf ex:obj ;
  sh:property [ sh:path ex:must ; sh:minCount 1 ; sh:nodeKind sh:BlankNodeOrLiteral ] .
ex:Off a sh:NodeShape ; sh:targetClass ex:C ; sh:deactivated true ; sh:property [ sh:path ex:x ; sh:minCount 1 ] .
ex:Twice a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:ref ; sh:minCount 1 ; sh:message "twice" ] .
ex:Or a sh:NodeShape ; sh:targetClass ex:D ; sh:message "or" ;
  sh:or ( [ sh:path ex:p ; sh:minCount 1 ] [ sh:path ex:q ; sh:minCount 2 ] ) .
ex:Cyc a sh:NodeShape ; sh:targetClass ex:D ; sh:sparql [ sh:message "cycle" ; sh:prefixes ex:pfx ;
  sh:select "SELECT $this ?path WHERE { $this ex:next+ $this . BIND(ex:next AS ?path) }" ] .
ex:pfx sh:declare [ sh:prefix "ex" ; sh:namespace "http://example.org/"^^xsd:anyURI ] .
"""


def test_edge_cases_of_each_constraint():
    """Datatypes (xsd:int is not xsd:integer, ill-typed and non-canonical forms, language tags, rdfs:Literal),
    patterns on IRIs and blank nodes, closed shapes, sh:in with literals, classes through rdfs:subClassOf in
    the data, node kinds, every target kind, deactivated shapes, severities and messages, sh:or, sh:sparql,
    and two shapes reporting the same missing field (two results)."""
    data = Graph().parse(format="turtle", data="""
        @prefix ex: <http://example.org/> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        ex:Sub rdfs:subClassOf ex:C .
        ex:i1 a ex:C ; ex:int 1, "2"^^xsd:int, "x"^^xsd:integer, "007"^^xsd:integer, " 8 "^^xsd:integer ;
          ex:str "abc", "Bcd", "a"@en, "a"^^xsd:string, ex:iri, _:s ; ex:lit "x"@de, 3 ;
          ex:ref ex:d1, ex:c9, "lit", _:b ; ex:enum ex:a, "c", "c"@en, ex:z ; ex:lang "x"@en, "y" ;
          ex:unknown 5, "q" .
        ex:i2 a ex:Sub .
        ex:d1 a ex:D ; ex:next ex:d2 . ex:d2 a ex:D ; ex:next ex:d1 ; ex:p 1 . ex:d3 a ex:D ; ex:q 1 .
        ex:n1 ex:must ex:iri2 . ex:s1 ex:sub 1 . ex:s2 ex:obj ex:o1 . ex:o1 ex:must _:x .
    """)
    shapes = Graph().parse(data=SHAPES, format="turtle")
    reference = violations_from_pyshacl(data, shapes)
    assert len(reference) > 20
    assert len([v for v in reference if v.focus == str(EX.i2) and v.path == str(EX.ref)]) == 2
    assert full(validate_fast(data, shapes)) == full(reference)


_SUBJECTS = [EX[f"n{i}"] for i in range(4)] + [BNode("b0"), EX.Sub]
_OBJECTS = _SUBJECTS + [EX.C, EX.D, EX.a, EX.z, Literal("abc"), Literal("Bcd", lang="en"), Literal(7),
                        Literal("7", datatype=XSD.int), Literal("x7", datatype=XSD.integer), Literal("c"),
                        Literal("a", datatype=XSD.string), Literal(True)]
_PREDICATES = [URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
               URIRef("http://www.w3.org/2000/01/rdf-schema#subClassOf"), EX.int, EX.str, EX.lit, EX.ref, EX.enum,
               EX.lang, EX.unknown, EX.must, EX.sub, EX.obj, EX.p, EX.q, EX.next]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(_SUBJECTS), st.sampled_from(_PREDICATES), st.sampled_from(_OBJECTS)),
                max_size=40))
def test_random_graphs_same_as_pyshacl(triples):
    data = Graph()
    for triple in triples:
        data.add(triple)
    shapes = Graph().parse(data=SHAPES, format="turtle")
    assert full(validate_fast(data, shapes)) == full(violations_from_pyshacl(data, shapes))


CORE = """
@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:P a sh:NodeShape ; sh:targetSubjectsOf ex:int, ex:ref ;
  sh:property [ sh:path ex:int ; sh:minInclusive 0 ; sh:maxExclusive 10 ] ;
  sh:property [ sh:path ex:str ; sh:minLength 2 ; sh:maxLength 3 ; sh:languageIn ( "en" ) ; sh:uniqueLang true ] ;
  sh:property [ sh:path ( ex:ref ex:next ) ; sh:node ex:HasP ; sh:maxCount 1 ] ;
  sh:property [ sh:path [ sh:inversePath ex:ref ] ; sh:class ex:C ] ;
  sh:property [ sh:path [ sh:oneOrMorePath ex:next ] ; sh:not [ sh:class ex:D ] ] ;
  sh:property [ sh:path [ sh:alternativePath ( ex:p ex:q ) ] ; sh:xone ( [ sh:datatype xsd:integer ]
                                                                     [ sh:nodeKind sh:IRI ] ) ] ;
  sh:property [ sh:path ex:ref ; sh:qualifiedValueShape [ sh:class ex:D ] ; sh:qualifiedMaxCount 1 ] ;
  sh:property [ sh:path ex:enum ; sh:equals ex:lang ; sh:disjoint ex:ref ; sh:hasValue ex:a ] ;
  sh:and ( [ sh:property [ sh:path ex:unknown ; sh:maxCount 0 ] ] ) .
ex:HasP a sh:NodeShape ; sh:property [ sh:path ex:p ; sh:minCount 1 ] .
"""


# pyshacl 0.40 departs from the spec in three places that this shapes graph avoids (without booleans, without
# sh:lessThan across kinds of term, without sh:qualifiedMinCount): it compares true with integers as Python
# does, IRIs by their text (sh:lessThan), and skips sh:qualifiedMinCount where the path has no value.
# test_where_pyshacl_departs_from_the_spec checks those three against TopQuadrant SHACL.
_CORE_OBJECTS = [o for o in _OBJECTS if not (isinstance(o, Literal) and o.datatype == XSD.boolean)] + \
    [Literal("ab", lang="en"), Literal("abcd", lang="en-GB"), Literal(-1), Literal(10),
     Literal("9.5", datatype=XSD.decimal)]


@settings(max_examples=int(os.environ.get("CIRO_EXAMPLES", 40)), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(_SUBJECTS), st.sampled_from(_PREDICATES), st.sampled_from(_CORE_OBJECTS)),
                max_size=40))
def test_random_graphs_same_as_pyshacl_every_core_component(triples):
    """Value ranges, lengths, languages, property pairs, logical and shape-based constraints, qualified
    counts and every kind of path: both engines give the same results on random graphs."""
    data = Graph()
    for triple in triples:
        data.add(triple)
    shapes = Graph().parse(data=CORE, format="turtle")
    try:
        reference = violations_from_pyshacl(data, shapes)
    except Exception as exc:  # pyshacl 0.40 stops on sh:lessThan over a blank node (the spec: not comparable)
        if "compare a BlankNode" not in str(exc):
            raise
        reject()
    assert full(validate_fast(data, shapes)) == full(reference)


def test_generated_kb_without_errors_has_no_violations(tmp_path, layout):
    from ciro.bench import generate

    manifest = generate(400, tmp_path / "kb", seed=3)
    assert sum(manifest["evidence_items"].values()) == 400 and manifest["injected"] == []
    kb = load_paths([tmp_path / "kb" / "instances"], base=tmp_path / "kb")
    assert not kb.problems
    assert validate_records(kb.data, layout.schema, shapes_graph(layout)) == []
    assert json.loads((tmp_path / "kb" / "manifest.json").read_text())["n"] == 400


def test_sparql_batched_as_pre_bound(broken):
    """A query run once for all focus nodes (where sparql._batchable allows it) gives what one pre-bound query
    per focus node gives: on every SPARQL entry of the W3C suite and on the KB with an injected cycle."""
    from .w3c_shacl import entries, load

    cases = []
    for entry in entries():
        if entry.name.startswith("sparql/") and not entry.failure:
            data = load(entry.data)
            cases.append((TripleIndex.from_graph(data), data if entry.shapes == entry.data else load(entry.shapes)))
    layout, kb, _manifest = broken
    cases.append((TripleIndex.from_records(kb.data, layout.schema), shapes_graph(layout)))
    batched = 0
    for index, shapes in cases:
        sg = compile_shapes(shapes)
        batched += sum(c.arg.batch for s in sg._shapes.values() for c in s.constraints if c.kind == "sparql")
        assert full(run_shapes(sg, index).violations) == full(run_shapes(sg, index, batching=False).violations)
    assert batched >= 3
    assert any(v.component.endswith("SPARQLConstraintComponent") for v in run_shapes(sg, index).violations)


def test_sparql_batch_over_budget_runs_per_focus_node(broken, monkeypatch):
    """A batch with more solutions than its focus nodes are worth is given up for one query per focus node
    (engine._Run.set_budgets): the same results, whether every batch is given up or none is."""
    from ciro.shacl.fast import engine

    layout, kb, _manifest = broken
    index, sg = TripleIndex.from_records(kb.data, layout.schema), compile_shapes(shapes_graph(layout))
    batched = full(run_shapes(sg, index).violations)
    given_up = []
    real = engine._Run.set_budgets

    def no_budget(run, work):
        real(run, work)
        run.budgets = dict.fromkeys(run.budgets, 0)
        given_up.append(run)

    monkeypatch.setattr(engine._Run, "set_budgets", no_budget)
    assert full(run_shapes(sg, index).violations) == batched == full(run_shapes(sg, index, batching=False).violations)
    assert len(given_up[0].unbatched) >= 2  # (a query without solutions keeps its empty batch)
    assert any(v.component.endswith("SPARQLConstraintComponent") for v in run_shapes(sg, index).violations)


def test_sparql_store_holds_only_what_the_queries_can_read():
    """A predicate read only with IRI objects (`$this a ex:C`) puts only those objects' triples in the store;
    read in a path, or with a variable or literal object, all of its triples; the results are pyshacl's."""
    from ciro.shacl.fast.sparql import SparqlStore, _analysed, _objects_read

    reads = _analysed("PREFIX ex: <http://example.org/> SELECT $this WHERE { $this a ex:C ; ex:p ex:o . "
                      "?x ex:q ?y . ?z ex:r/ex:s ex:o . ?w ex:t 'ex:o' . FILTER NOT EXISTS { $this ex:u ex:o } }")[1]
    assert reads[0] == {str(EX[p]) for p in "pqrstu"} | {str(RDF_TYPE)}
    assert reads[1] == {str(RDF_TYPE): {str(EX.C)}, str(EX.p): {str(EX.o)}, str(EX.u): {str(EX.o)}}
    shapes = Graph().parse(format="turtle", data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
        ex:S a sh:NodeShape ; sh:targetSubjectsOf ex:p ; sh:sparql [ sh:select \"\"\"
            SELECT $this WHERE { $this a <http://example.org/C> .
                FILTER NOT EXISTS { $this <http://example.org/p> <http://example.org/o> } }\"\"\" ] .
        ex:T a sh:NodeShape ; sh:targetSubjectsOf ex:q ; sh:sparql [ sh:select \"\"\"
            SELECT $this WHERE { $this <http://example.org/q> ?any . ?any a ?class .
                FILTER(?class = <http://example.org/D>) }\"\"\" ] .
        """)
    data = Graph().parse(format="turtle", data="""
        @prefix ex: <http://example.org/> .
        ex:a a ex:C ; ex:p ex:o . ex:b a ex:C ; ex:p ex:o2 . ex:c a ex:D ; ex:p ex:o2 ; ex:q ex:c .
        ex:d a ex:C, ex:E ; ex:p "http://example.org/o" ; ex:q ex:b . ex:e ex:p ex:o .
        """)
    sg, index = compile_shapes(shapes), TripleIndex.from_graph(data)
    queries = [c.arg for s in sg.roots for c in s.constraints]
    only_s = [q for q in queries if str(EX.o) in q.text]
    assert _objects_read(only_s) == {str(RDF_TYPE): {str(EX.C)}, str(EX.p): {str(EX.o)}}
    assert _objects_read(queries) == {str(EX.p): {str(EX.o)}}  # ex:T reads every rdf:type triple
    assert len(SparqlStore(index, only_s, sg.graph).store) == 5  # a, b, d a ex:C; a, e ex:p ex:o
    assert len(SparqlStore(index, queries, sg.graph).store) == 9  # 5 rdf:type, 2 ex:p, 2 ex:q
    found = full(run_shapes(sg, index).violations)
    assert found == full(violations_from_pyshacl(data, shapes))
    assert {v[0] for v in found} == {str(EX.b), str(EX.c), str(EX.d)}


def test_index_from_a_file_is_the_graphs(tmp_path):
    """TripleIndex.from_file (pyoxigraph's parser) holds what TripleIndex.from_graph (rdflib's) holds, for
    N-Triples and Turtle with every kind of term."""
    graph = Graph().parse(format="turtle", data="""
        @prefix ex: <http://example.org/> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        ex:a ex:p "plain", "tab\\there \\"quoted\\" \\u00e9", "x"@en-GB, "5"^^xsd:int, "2012a"^^xsd:integer, 1.5, true,
                  _:b, <http://example.org/with%20escape> . _:b ex:q ex:a .
    """)
    expected = TripleIndex.from_graph(graph)
    for suffix, fmt in ((".nt", "nt"), (".ttl", "turtle")):
        path = tmp_path / f"g{suffix}"
        graph.serialize(path, format=fmt)
        index = TripleIndex.from_file(path)
        assert len(index) == len(expected) == 10
        key = lambda t: (type(t).__name__, str(t))  # noqa: E731 (blank node labels differ between parsers)
        assert sorted(key(o) for _s, _p, o in index.triples() if not isinstance(o, BNode)) == \
            sorted(key(o) for _s, _p, o in expected.triples() if not isinstance(o, BNode))
