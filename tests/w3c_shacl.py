"""The W3C SHACL test suite (tests/data/w3c-shacl, vendored from w3c/data-shapes with its licence): its entries,
and the comparison the suite defines for full compliance (data-shapes-test-suite/index.html): the report,
cut down to the predicates the suite names, must be isomorphic to the expected one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import RDF, BNode, Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic

SUITE = Path(__file__).parent / "data" / "w3c-shacl"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SHT = Namespace("http://www.w3.org/ns/shacl-test#")
SH = Namespace("http://www.w3.org/ns/shacl#")
_KEPT = {SH.focusNode, SH.resultPath, SH.resultSeverity, SH.sourceConstraint, SH.sourceConstraintComponent,
         SH.sourceShape, SH.value}


@dataclass(frozen=True)
class Entry:
    name: str  # the test's path in the suite, e.g. core/node/and-001
    file: Path
    data: Path
    shapes: Path
    failure: bool  # the expected result is sht:Failure: the engine must refuse the shapes graph
    expected: Graph | None  # the expected report (full compliance), cut down


def entries(manifest: Path = SUITE / "manifest.ttl") -> list[Entry]:
    graph = load(manifest)
    out = []
    for included in sorted(graph.objects(None, MF.include), key=str):
        out.extend(entries(Path(str(included).removeprefix("file://"))))
    for head in graph.objects(None, MF.entries):
        for entry in Collection(graph, head):
            if (entry, MF.status, SHT.approved) not in graph:
                continue
            action, result = graph.value(entry, MF.action), graph.value(entry, MF.result)
            data = Path(str(graph.value(action, SHT.dataGraph)).removeprefix("file://"))
            shapes = Path(str(graph.value(action, SHT.shapesGraph)).removeprefix("file://"))
            name = str(manifest.relative_to(SUITE).parent / Path(str(entry).removeprefix("file://")).name)
            failure = result == SHT.Failure
            out.append(Entry(name, manifest, data, shapes, failure, None if failure else _expected(graph, result)))
    return out


def load(path: Path) -> Graph:
    """A test file as it is written: rdflib's literal normalisation is off while it is parsed, since it would
    make "1"^^xsd:boolean the term "true"^^xsd:boolean (uniqueLang-002 tests exactly that difference)."""
    import rdflib

    saved = rdflib.NORMALIZE_LITERALS
    rdflib.NORMALIZE_LITERALS = False
    try:
        return Graph().parse(path, format="turtle", publicID=path.as_uri())
    finally:
        rdflib.NORMALIZE_LITERALS = saved


def _tree(source: Graph, node, target: Graph) -> None:
    for p, o in source.predicate_objects(node):
        target.add((node, p, o))
        if isinstance(o, BNode):
            _tree(source, o, target)


def _clone(source: Graph, node, target: Graph):
    if not isinstance(node, BNode):
        return node
    copy = BNode()
    for p, o in source.predicate_objects(node):
        target.add((copy, p, _clone(source, o, target)))
    return copy


def _expected(graph: Graph, report) -> Graph:
    out = Graph()
    for p, o in graph.predicate_objects(report):
        if p in (RDF.type, SH.conforms, SH.result):
            out.add((report, p, o))
    for result in graph.objects(report, SH.result):
        for p, o in graph.predicate_objects(result):
            out.add((result, p, o))
            if p == SH.resultPath and isinstance(o, BNode):
                _tree(graph, o, out)
    return out


def cut_down(report: Graph, expected: Graph, shapes: Graph) -> Graph:
    """The actual report with only what the suite compares (its rules for full compliance). A result path's
    blank-node structure is read from the report, or from the shapes graph when the report points into it."""
    messages = set(expected.objects(None, SH.resultMessage))
    out = Graph()
    for root in report.subjects(RDF.type, SH.ValidationReport):
        out.add((root, RDF.type, SH.ValidationReport))
        out.add((root, SH.conforms, report.value(root, SH.conforms)))
        for result in report.objects(root, SH.result):
            out.add((root, SH.result, result))
            out.add((result, RDF.type, SH.ValidationResult))
            for p, o in report.predicate_objects(result):
                if p in _KEPT:
                    if p == SH.resultPath and isinstance(o, BNode):  # cloned: results must not share one
                        o = _clone(report if (o, None, None) in report else shapes, o, out)
                    out.add((result, p, o))
                elif p == SH.resultMessage and o in messages:
                    out.add((result, p, o))
    return out


def passes(entry: Entry, run) -> tuple[bool, str]:
    """Run one entry with `run(data_graph, shapes_graph) -> report graph` (raising when it refuses the shapes
    graph); whether the engine passes it, and why not."""
    data = load(entry.data)
    shapes = data if entry.shapes == entry.data else load(entry.shapes)
    try:
        report = run(data, shapes)
    except Exception as exc:  # a refusal: right only when the suite expects sht:Failure
        return entry.failure, f"refused: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    if entry.failure:
        return False, "validated a shapes graph the suite expects to be refused"
    actual = cut_down(report, entry.expected, shapes)
    if isomorphic(actual, entry.expected):
        return True, ""
    return False, "report differs:\n" + actual.serialize(format="turtle") + "\nexpected:\n" + \
        entry.expected.serialize(format="turtle")


def run_pyshacl(data: Graph, shapes: Graph) -> Graph:
    import pyshacl

    _conforms, report, _text = pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=True)
    return report


def run_fast(data: Graph, shapes: Graph) -> Graph:
    from ciro.shacl.fast import report_graph, validate_fast

    return report_graph(validate_fast(data, shapes), shapes)


ENGINES = {"pyshacl": run_pyshacl, "fast": run_fast}
__all__ = ["Entry", "entries", "passes", "ENGINES", "SUITE", "URIRef"]
