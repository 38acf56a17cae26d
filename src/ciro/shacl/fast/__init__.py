"""CIRO's fast SHACL engine: SHACL Core and SHACL-SPARQL over a plain triple index, the same results as pyshacl
with 25-40 times less CPU time (docs/performance.md, SHACL section).

pyshacl (the reference engine) walks an rdflib graph node by node; at 100,000 evidence items (1.4 M triples)
building that graph and validating it takes ~5 minutes and 2 GB. This engine checks and compiles the shapes
graph once (`shapes.py`: targets, paths, constraints; an ill-formed shapes graph raises ShapesError) and runs it
over a subject -> predicate -> objects index (`index.py`), built straight from the records by the
schema-compiled mapping of `curate/rdf.py` (no rdflib graph) or from any rdflib graph. Core constraints are
plain Python (`engine.py`, `values.py`, `paths.py`); SPARQL-based ones run on pyoxigraph with SHACL's
pre-binding (`sparql.py`). docs/performance.md has the measurements.

Each check follows the spec and pyshacl's own rules where the spec leaves room (datatype and pattern on rdflib's
literals), so the two engines report the same results: the W3C SHACL test suite and comparisons on the
curated KB, generated KBs and random graphs check it. A shape using something this engine does not run is
validated by pyshacl instead (that shape only), and the run says so (FastRun.notes).

Terms in the index: an IRI is a `str`, a plain literal a 1-tuple `(text,)`, any other literal an rdflib
`Literal` (kept whole: its datatype check needs rdflib's lexical rules), a blank node an rdflib `BNode`.
"""

from .engine import (
    VALUE_COMPARED,
    FastRun,
    Violation,
    report_graph,
    run_shapes,
    to_rdflib,
    validate_fast,
    violations_from_pyshacl,
)
from .errors import ShapesError, UnsupportedShape
from .index import TripleIndex, ntriples_from_records
from .shapes import SH, Constraint, Shape, ShapesGraph, compile_shapes

__all__ = ["Violation", "FastRun", "ShapesError", "UnsupportedShape", "TripleIndex", "Shape", "Constraint",
           "ShapesGraph", "SH", "compile_shapes", "run_shapes", "validate_fast", "violations_from_pyshacl",
           "report_graph", "to_rdflib", "ntriples_from_records", "VALUE_COMPARED"]
