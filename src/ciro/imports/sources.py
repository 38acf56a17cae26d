"""The source ontologies CIRO's external terms come from: the extracted ones, and those kept MIREOT."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Source", "SOURCES", "HOME", "MIREOT", "imported_from", "source_iris"]


@dataclass(frozen=True)
class Source:
    """A source ontology file that the refresh reads: a file of a public GitHub repository."""

    name: str  # the table's name: imports/<name>.tsv
    prefix: str  # the identifier prefix this ontology owns
    ontology: str  # the ontology's PURL, the value of IAO:0000412 (imported from) on its terms
    repo: str  # owner/name on GitHub
    path: str  # the file in that repository


# Release files where the repository has them; CL's release (cl.owl) is not committed, its edit file is.
# BFO's PURL serves the classes-only file (BFO 2.0, version 2019-08-26).
SOURCES: tuple[Source, ...] = (
    Source("bfo", "BFO", "http://purl.obolibrary.org/obo/bfo.owl", "BFO-ontology/BFO", "bfo_classes_only.owl"),
    Source("ro", "RO", "http://purl.obolibrary.org/obo/ro.owl", "oborel/obo-relations", "ro.owl"),
    Source("iao", "IAO", "http://purl.obolibrary.org/obo/iao.owl", "information-artifact-ontology/IAO", "iao.owl"),
    Source("omo", "OMO", "http://purl.obolibrary.org/obo/omo.owl", "information-artifact-ontology/ontology-metadata",
           "omo.owl"),
    Source("cob", "COB", "http://purl.obolibrary.org/obo/cob.owl", "OBOFoundry/COB", "cob.owl"),
    Source("cl", "CL", "http://purl.obolibrary.org/obo/cl.owl", "obophenotype/cell-ontology",
           "src/ontology/cl-edit.owl"),
    Source("eco", "ECO", "http://purl.obolibrary.org/obo/eco.owl", "evidenceontology/evidenceontology", "eco.obo"),
    Source("so", "SO", "http://purl.obolibrary.org/obo/so.owl", "The-Sequence-Ontology/SO-Ontologies",
           "Ontology_Files/so.obo"),
    Source("sepio", "SEPIO", "http://purl.obolibrary.org/obo/sepio.owl", "monarch-initiative/SEPIO-ontology",
           "sepio.owl"),
)

# prefix -> the source that owns it
HOME: dict[str, str] = {s.prefix: s.name for s in SOURCES}

# Sources not extracted: their terms stay MIREOT (the label and the one parent instances/external_terms/ records,
# each checked against the source named in its verified_by). prefix -> (the resource's IRI, why not extracted).
MIREOT: dict[str, tuple[str, str]] = {
    "GO": ("http://purl.obolibrary.org/obo/go.owl",
           "GO's edit file (src/ontology/go-edit.obo) is larger than the 4 MiB a repository snapshot here keeps"),
    "NCBITaxon": ("http://purl.obolibrary.org/obo/ncbitaxon.owl", "a release of hundreds of MB, not on GitHub"),
    "CHEBI": ("http://purl.obolibrary.org/obo/chebi.owl", "a release of hundreds of MB, not on GitHub"),
    "NCIT": ("http://purl.obolibrary.org/obo/ncit.owl", "a release of hundreds of MB, not on GitHub"),
    "HGNC": ("https://www.genenames.org/", "a gene nomenclature database, not an OWL ontology"),
    "NCBIGene": ("https://www.ncbi.nlm.nih.gov/gene/", "a gene database, not an OWL ontology"),
    "DRUGBANK": ("https://go.drugbank.com/", "a drug database, not an OWL ontology"),
    "MESH": ("https://id.nlm.nih.gov/mesh/",
             "a thesaurus, not an OWL ontology: its tree links are skos:broader, never rdfs:subClassOf"),
}


def imported_from(prefix: str) -> str | None:
    """The IRI IAO:0000412 (imported from) gives a term of this prefix."""
    for source in SOURCES:
        if source.prefix == prefix:
            return source.ontology
    return MIREOT[prefix][0] if prefix in MIREOT else None


def source_iris() -> set[str]:
    """The IRIs IAO:0000412 may name: every source's ontology IRI."""
    return {s.ontology for s in SOURCES} | {iri for iri, _ in MIREOT.values()}
