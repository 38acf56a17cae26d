"""Import modules: the external terms CIRO uses, extracted with their ancestors from the source ontologies.

`extract` reads a source ontology file (OBO, OWL functional syntax or RDF/XML) and writes, per source, the
committed term table imports/<source>.tsv (scripts/refresh_imports.py, run by hand with the sources fetched);
`terms` reads those tables back for the release's import module (release/owl.py). CI never refetches.
GO and NCBITaxon are read from other OBO ontologies' committed import modules (their own files are too large to
fetch here); the registry terms those modules lack, and ChEBI's and NCIT's, stay MIREOT (sources.py says why).
"""
