"""The VoID description of the release as served: counts, class partitions, endpoint, dumps, URI space."""

from __future__ import annotations

from ..query.store import PREFIXES, RELEASE_GRAPH
from .pages import BASE

__all__ = ["void_triples", "DUMPS"]

# The release files that are data dumps of the dataset (the SHACL shapes, JSON Schema and catalog are not).
DUMPS = ("ciro.owl", "ciro.ttl", "ciro.jsonld", "ciro-data.ttl", "ciro-base.owl", "ciro-full.owl",
         "imports/ciro-external.owl")


def void_triples(store, base: str, files: list[str]) -> list:
    """The VoID description: counts, endpoint, dumps, URI space, vocabularies, one partition per class."""
    import pyoxigraph as ox

    void = "http://rdfs.org/ns/void#"
    dcterms = "http://purl.org/dc/terms/"
    dataset = ox.NamedNode(f"{base}/.well-known/void#ciro")

    def count(text: str) -> int:
        return int(next(iter(store.query(text)))["n"].value)

    def add(s, p: str, o) -> None:
        triples.append(ox.Triple(s, ox.NamedNode(p), o))

    def integer(n: int):
        return ox.Literal(str(n), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))

    triples: list = []
    add(dataset, PREFIXES["rdf"] + "type", ox.NamedNode(void + "Dataset"))
    add(dataset, dcterms + "title", ox.Literal("CIRO: Cancer Immunotherapy Resistance Ontology", language="en"))
    add(dataset, dcterms + "description", ox.Literal(
        "Resistance mechanisms to cancer immunotherapy, their targets, the therapies they undermine, the "
        "countermeasures proposed, and the quoted evidence for every claim.", language="en"))
    add(dataset, dcterms + "license", ox.NamedNode("https://creativecommons.org/licenses/by/4.0/"))
    version = next(iter(store.quads_for_pattern(ox.NamedNode(RELEASE_GRAPH),
                                                ox.NamedNode(PREFIXES["owl"] + "versionInfo"), None, None)), None)
    if version is not None:
        add(dataset, PREFIXES["owl"] + "versionInfo", version.object)
    add(dataset, void + "rootResource", ox.NamedNode(RELEASE_GRAPH))
    add(dataset, void + "sparqlEndpoint", ox.NamedNode(f"{base}/sparql"))
    for name in files:
        if name in DUMPS:
            add(dataset, void + "dataDump", ox.NamedNode(f"{base}/ontology/{name}"))
    add(dataset, void + "uriSpace", ox.Literal(BASE))
    for vocabulary in (PREFIXES["cirovocab"], PREFIXES["owl"], PREFIXES["rdfs"], PREFIXES["skos"],
                       "http://purl.org/dc/terms/", "http://purl.obolibrary.org/obo/"):
        add(dataset, void + "vocabulary", ox.NamedNode(vocabulary))
    add(dataset, void + "exampleResource", ox.NamedNode(BASE + "CIRO_0000261"))
    add(dataset, void + "triples", integer(len(store)))
    add(dataset, void + "distinctSubjects", integer(count(
        "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }")))
    add(dataset, void + "properties", integer(count("SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?s ?p ?o }")))
    add(dataset, void + "entities", integer(count(
        f'SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), "{BASE}CIRO_")) }}')))
    classes = store.query(
        "SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class "
        f'FILTER(STRSTARTS(STR(?class), "{PREFIXES["cirovocab"]}")) }} GROUP BY ?class ORDER BY ?class')
    for row in classes:
        local = row["class"].value.rsplit("/", 1)[-1]
        partition = ox.NamedNode(f"{base}/.well-known/void#class-{local}")
        add(dataset, void + "classPartition", partition)
        add(partition, void + "class", row["class"])
        add(partition, void + "entities", integer(int(row["n"].value)))
    return triples
