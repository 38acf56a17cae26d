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
    # For a file that is another ontology's import module (a ROBOT extract of the source's release, committed by
    # that ontology): who made it, of what. Such a file holds only the terms its maker chose: a registry term it
    # lacks stays MIREOT (the table lists it as absent) rather than ending an ancestry.
    module: str = ""


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
    # GO's own files are over the 4 MiB a repository snapshot here keeps, NCBITaxon's release is not on GitHub: these
    # are import modules of other OBO ontologies that hold CIRO's terms (searched: the go/ncbitaxon/chebi/ncit_import
    # files of some thirty OBO repositories; docs/design.md). Neither states the source release it was cut from.
    Source("go", "GO", "http://purl.obolibrary.org/obo/go.owl", "monarch-initiative/mondo", "imports/go_import.obo",
           "MONDO's import module of GO, as MONDO's release of 2021-08-03 published it (its data-version); the GO "
           "release it was cut from is not stated in the file"),
    Source("ncbitaxon", "NCBITaxon", "http://purl.obolibrary.org/obo/ncbitaxon.owl", "geneontology/go-ontology",
           "src/ontology/imports/ncbitaxon_import.owl",
           "GO's import module of NCBITaxon, GO release 2026-07-15 (its versionIRI; GO's Makefile cuts it with ROBOT "
           "extract --method BOT from obo/ncbitaxon.obo); the NCBITaxon release it was cut from is not stated in the "
           "file"),
)

# prefix -> the source that owns it
HOME: dict[str, str] = {s.prefix: s.name for s in SOURCES}

# Sources not extracted: their terms stay MIREOT (the label and the one parent instances/external_terms/ records,
# each checked against the source named in its verified_by). prefix -> (the resource's IRI, why not extracted).
MIREOT: dict[str, tuple[str, str]] = {
    # GO and NCBITaxon: for the registry terms their import module (SOURCES above) lacks.
    "GO": ("http://purl.obolibrary.org/obo/go.owl",
           "not in MONDO's import module of GO, and GO's own files (go-edit.obo, the releases) are over the 4 MiB a "
           "repository snapshot here keeps; no committed import module under 4 MiB found holds it with its current "
           "label"),
    "NCBITaxon": ("http://purl.obolibrary.org/obo/ncbitaxon.owl",
                  "not in GO's import module of NCBITaxon, and NCBITaxon's release (hundreds of MB) is not on GitHub; "
                  "no committed import module under 4 MiB found holds it"),
    "CHEBI": ("http://purl.obolibrary.org/obo/chebi.owl",
              "a release of hundreds of MB, not on GitHub, and no committed import module under 4 MiB found holds "
              "the term"),
    "NCIT": ("http://purl.obolibrary.org/obo/ncit.owl",
             "a release of hundreds of MB, not on GitHub, and no committed import module under 4 MiB found holds "
             "the terms"),
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
