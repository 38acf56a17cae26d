"""SHACL validation of the instance RDF, in one package: the shapes (LinkML's + CIRO's rules) and pyshacl, the
reference engine (`common`); CIRO's fast engine (`fast`); and the one entry point that picks the engine
(`check`: `check_records` for `ciro validate`, `validate_graph` for any pair of graphs)."""

from .check import ENGINES, ShaclRun, ShapesError, check_records, engine_label, validate_graph
from .common import RULES_FILE, ShaclResult, generate_shacl, run_shacl, shapes_graph

__all__ = ["ENGINES", "ShaclRun", "ShapesError", "ShaclResult", "check_records", "validate_graph", "engine_label",
           "shapes_graph", "generate_shacl", "run_shacl", "RULES_FILE"]
