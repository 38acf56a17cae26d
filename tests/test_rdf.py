"""The schema-driven RDF mapper emits the same graph as LinkML's own rdflib dumper."""

from __future__ import annotations

from pathlib import Path

from linkml_runtime.dumpers import rdflib_dumper
from linkml_runtime.loaders import yaml_loader
from linkml_runtime.utils.schemaview import SchemaView
from rdflib import BNode, Graph
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from ciro.curate.loader import load_paths
from ciro.curate.rdf import kb_to_graph

from .conftest import REPO


def test_mapper_matches_linkml_dumper(tmp_path):
    import yaml
    from linkml.generators.pythongen import PythonGenerator
    from linkml_runtime.utils.compile_python import compile_python

    schema = REPO / "schema" / "ciro.yaml"
    kb = load_paths([REPO / "instances"], base=REPO)
    assert not kb.problems
    ours = kb_to_graph(kb.data, schema)

    module = compile_python(PythonGenerator(str(schema)).serialize())
    path = tmp_path / "kb.yaml"
    path.write_text(yaml.safe_dump(kb.data, allow_unicode=True))
    obj = yaml_loader.load(str(path), target_class=module.KnowledgeBase)
    theirs = Graph().parse(data=rdflib_dumper.dumps(obj, SchemaView(str(schema))), format="turtle")
    for triple in [t for t in theirs if isinstance(t[0], BNode)]:  # the KnowledgeBase container node
        theirs.remove(triple)
    if not isomorphic(ours, theirs):
        _, only_ours, only_theirs = graph_diff(to_isomorphic(ours), to_isomorphic(theirs))
        raise AssertionError(f"only ours: {sorted(only_ours)[:5]}\nonly linkml: {sorted(only_theirs)[:5]}")


def test_the_mapper_sees_an_edited_schema(tmp_path):
    """The compiled mapper is cached per schema content, not only per path: a long-lived process (ciro serve,
    a release cut after a version bump) reads an edited schema again."""
    import shutil

    from ciro.curate.rdf import RdfMapper

    schema_dir = tmp_path / "schema"
    shutil.copytree(Path(__file__).resolve().parents[1] / "schema", schema_dir)
    schema = schema_dir / "ciro.yaml"
    first = RdfMapper.from_schema(schema)
    assert RdfMapper.from_schema(schema) is first  # unchanged: compiled once
    schema.write_text(schema.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert RdfMapper.from_schema(schema) is not first


def test_plain_literal_is_what_rdflibs_constructor_makes():
    """rdf.plain_literal skips rdflib's Literal constructor for plain strings: the same term in every respect."""
    import pickle

    from rdflib import Literal

    from ciro.curate.rdf import plain_literal

    texts = ["", "PTEN loss", " padded ", "line\nbreak", 'quote " and \\', "émigré ∆ 𝔸", "\ud800 lone surrogate",
             "1", "true", "2012-01-01", "x" * 10_000, "\u00e9" + "\u0301", "NUL\x00"]
    for text in texts:
        fast, slow = plain_literal(text), Literal(text)
        assert type(fast) is Literal and fast == slow and hash(fast) == hash(slow) and str(fast) == str(slow)
        assert {s: getattr(fast, s) for s in Literal.__slots__} == {s: getattr(slow, s) for s in Literal.__slots__}
        assert fast.n3() == slow.n3() and fast.value == slow.value and fast.toPython() == slow.toPython()
        assert pickle.loads(pickle.dumps(fast)) == slow
    assert plain_literal(5) == Literal(5)  # not a str: rdflib's constructor decides
