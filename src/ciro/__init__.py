"""CIRO: the Cancer Immunotherapy Resistance Ontology toolkit."""

__version__ = "0.1.0"
