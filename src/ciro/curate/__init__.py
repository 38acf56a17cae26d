"""The YAML side of CIRO, the ground floor every stage stands on: loading records with their lines, the schema
index, the record -> RDF mapping, quote checking, the error types and id minting."""
