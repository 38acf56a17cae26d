"""SHACL validation for large knowledge bases: the same results as pyshacl, 20-50 times faster.

pyshacl (the reference engine) walks an rdflib graph node by node; at 100,000 evidence items (1.4 M triples)
building that graph and validating it takes ~5 minutes and 2 GB. This engine compiles the shapes graph once
into a plan (per node shape: its targets, and per property the checks to make) and runs the plan over a
plain subject -> predicate -> objects index, built straight from the records by the schema-compiled mapping
of `rdf.py` (no rdflib graph) or from any rdflib graph. SPARQL-based constraints (sh:sparql) run on
pyoxigraph, loaded with only the triples their queries can read. docs/performance.md has the measurements,
including the route this replaced: every constraint compiled to SPARQL on pyoxigraph (slower at scale,
because each constraint joins every focus node again, and pyoxigraph normalises literals on load).

Each check follows pyshacl's own code (its datatype, pattern and count rules, rdflib's literal equality and
lexical normalisation), so the two engines report the same (focus, path, component, value) results; tests
compare them on the curated KB and on generated KBs with every kind of injected error. A constraint this
engine does not implement raises UnsupportedShape rather than being skipped.

Terms in the index: an IRI is a `str`, a plain literal a 1-tuple `(text,)`, any other literal an rdflib
`Literal` (kept whole: its datatype check needs rdflib's lexical rules), a blank node an rdflib `BNode`.
"""

from .engine import Violation, run_plan, shacl_results, validate_fast, validate_records, violations_from_pyshacl
from .index import TripleIndex, ntriples_from_records
from .shapes import SH, PropertyPlan, ShapePlan, UnsupportedShape, compile_shapes

__all__ = ["Violation", "UnsupportedShape", "TripleIndex", "ShapePlan", "PropertyPlan", "SH", "compile_shapes",
           "run_plan", "validate_fast", "validate_records", "shacl_results", "violations_from_pyshacl",
           "ntriples_from_records"]
