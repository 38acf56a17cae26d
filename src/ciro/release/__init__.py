"""`ciro build`, in the order data flows: OWL graphs from the schema and the records (`owl`), the writers
(`rdfxml`), QC (`qc`), the OWL API checks (`owlcheck`), and the build that runs them into ontology/ (`build`)."""

from .build import (
    ONTOLOGY_FILES,
    QC_REPORT,
    RELEASE_FILES,
    build_release,
    catalog_entries,
    qc_namespaces,
    read_catalog,
    release_qc,
    source_digest,
    write_catalog,
)

__all__ = [
    "build_release", "RELEASE_FILES", "ONTOLOGY_FILES", "QC_REPORT", "write_catalog", "read_catalog",
    "catalog_entries", "qc_namespaces", "release_qc", "source_digest",
]
