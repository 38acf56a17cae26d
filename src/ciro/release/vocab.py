"""The IRIs of the release: CIRO's namespaces, its ontology documents, and the vocabularies it annotates with."""

from __future__ import annotations

from rdflib import OWL as _OWL
from rdflib import RDF as _RDF
from rdflib import RDFS as _RDFS
from rdflib import XSD as _XSD
from rdflib import Namespace, URIRef

__all__ = [
    "OWL", "RDF", "RDFS", "XSD",
    "BASE", "CIRO", "VOCAB", "ONTOLOGY_IRI", "BASE_IRI", "FULL_IRI", "IMPORT_IRI", "DCTERMS", "IAO", "SKOS",
    "OBOINOWL", "DEFINITION", "DEFINITION_SOURCE", "TERM_REPLACED_BY", "OBSOLESCENCE_REASON", "LICENSE", "CREATOR",
    "TITLE", "PUBLICATION_RESOLVERS", "version_iri", "publication_iri", "publication_xref", "citation",
    "SIMPLE_IRI", "OBO_IRI", "JSON_IRI",
]



class _Terms:
    """rdflib's RDF, RDFS, OWL and XSD with plain attributes: each `OWL.Class` on rdflib's DefinedNamespace goes
    through a __getattr__ that costs microseconds, and the release writers ask millions of times. The first
    use of a name asks rdflib (which refuses unknown names as before) and keeps the answer."""

    def __init__(self, namespace):
        self._namespace = namespace

    def __getattr__(self, name: str) -> URIRef:
        value = getattr(self._namespace, name)
        setattr(self, name, value)
        return value

    def __getitem__(self, name: str) -> URIRef:
        return self._namespace[name]

    def __str__(self) -> str:
        return str(self._namespace)


OWL, RDF, RDFS, XSD = _Terms(_OWL), _Terms(_RDF), _Terms(_RDFS), _Terms(_XSD)

BASE = "https://w3id.org/ciro/"
ONTOLOGY_IRI = URIRef(BASE + "ciro.owl")
BASE_IRI = URIRef(BASE + "ciro-base.owl")
FULL_IRI = URIRef(BASE + "ciro-full.owl")
IMPORT_IRI = URIRef(BASE + "imports/ciro-external.owl")
VOCAB = Namespace(BASE + "vocab/")
CIRO = Namespace(BASE + "CIRO_")
DCTERMS = Namespace("http://purl.org/dc/terms/")
IAO = Namespace("http://purl.obolibrary.org/obo/IAO_")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
OBOINOWL = Namespace("http://www.geneontology.org/formats/oboInOwl#")
DEFINITION = IAO["0000115"]
DEFINITION_SOURCE = IAO["0000119"]
TERM_REPLACED_BY = IAO["0100001"]
OBSOLESCENCE_REASON = IAO["0000231"]
LICENSE = URIRef("https://creativecommons.org/licenses/by/4.0/")
CREATOR = "CIRO curation team"
TITLE = "CIRO: Cancer Immunotherapy Resistance Ontology"

# Where a publication resolves (DOI, else PubMed Central, else PubMed), and its OBO-style xref prefix.
PUBLICATION_RESOLVERS = (
    ("doi", "https://doi.org/", "DOI"),
    ("pmcid", "https://www.ncbi.nlm.nih.gov/pmc/articles/", "PMCID"),
    ("pmid", "https://pubmed.ncbi.nlm.nih.gov/", "PMID"),
)


def version_iri(iri: URIRef, version: str) -> URIRef:
    """The version IRI of one release product: releases/<version>/<path of the ontology IRI>."""
    return URIRef(f"{BASE}releases/{version}/{str(iri).removeprefix(BASE)}")


def citation(version: str, release_date: str | None = None) -> str:
    """How to cite one version (dcterms:bibliographicCitation; CITATION.cff says the same)."""
    year = f" ({release_date[:4]})" if release_date else ""
    return f"{CREATOR}{year}. {TITLE}, version {version}. {version_iri(ONTOLOGY_IRI, version)}"


def publication_iri(pub: dict) -> URIRef | None:
    """The resolvable IRI of a publication: DOI, else PubMed Central, else PubMed."""
    for key, resolver, _ in PUBLICATION_RESOLVERS:
        if pub.get(key):
            return URIRef(resolver + str(pub[key]))
    return None


def publication_xref(pub: dict) -> str | None:
    """The publication as an OBO cross-reference ("DOI:10.7150/jca.26481"), as OBO axiom annotations cite it."""
    for key, _, prefix in PUBLICATION_RESOLVERS:
        if pub.get(key):
            return f"{prefix}:{pub[key]}"
    return None


# ODK's other products: the simple existential graph of CIRO's own terms, and its OBO and OBO Graphs forms.
SIMPLE_IRI = URIRef(BASE + "ciro-simple.owl")
OBO_IRI = URIRef(BASE + "ciro.obo")
JSON_IRI = URIRef(BASE + "ciro.json")
