"""SPARQL over the release: the embedded store and `ciro query` (`store`), and loading a triple store
(`triplestore`)."""

from .store import (
    FORMATS,
    PREFIXES,
    RELEASE_GRAPH,
    STORE_FILES,
    QueryError,
    QueryResult,
    canonical_rows,
    canonical_term,
    format_result,
    load_store,
    query_form,
    results_csv,
    results_tsv,
    results_xml,
    run_query,
    run_remote,
)

__all__ = [
    "QueryError", "QueryResult", "load_store", "run_query", "run_remote", "query_form", "format_result",
    "results_xml", "results_tsv", "results_csv", "canonical_term", "canonical_rows", "FORMATS", "PREFIXES",
    "RELEASE_GRAPH", "STORE_FILES",
]
