"""SHACL validation of the instance RDF: the shapes (LinkML's + CIRO's rules), pyshacl as the reference engine
(`common`), and the fast engine (`fast`)."""

from .common import RULES_FILE, ShaclResult, generate_shacl, run_shacl, shapes_graph

__all__ = ["ShaclResult", "shapes_graph", "generate_shacl", "run_shacl", "RULES_FILE"]
