"""ODK's class-level products of a release: ciro-simple.owl, ciro.obo and ciro.json (OBO Graphs).

All three come from one classified, relaxed and reduced view of ciro-full.owl (`classview`), as ODK makes
them from its full release; each carries the full release's header under its own ontology IRI and version
IRI (`releases/<version>/ciro.obo` ...).
"""

from __future__ import annotations

from dataclasses import dataclass

import curies
from rdflib import Graph, Literal, URIRef

from .classview import ClassView, class_view
from .obo import OboHeader, obo_document, obograph_document
from .simple import simple_graph
from .triples import Triples
from .vocab import CIRO, DCTERMS, FULL_IRI, JSON_IRI, OBO_IRI, OWL, RDF, SIMPLE_IRI, VOCAB, version_iri

__all__ = ["Products", "odk_products"]

_TITLES = {
    SIMPLE_IRI: "CIRO simple: the existential graph of CIRO's own terms",
    OBO_IRI: "CIRO: Cancer Immunotherapy Resistance Ontology (OBO format)",
    JSON_IRI: "CIRO: Cancer Immunotherapy Resistance Ontology (OBO Graphs)",
}


@dataclass(frozen=True)
class Products:
    view: ClassView
    simple: Triples  # ciro-simple.owl
    obo: str  # ciro.obo
    json: str  # ciro.json


def _header(full: Graph, iri: URIRef, version: str) -> list[tuple[URIRef, object]]:
    """The full release's ontology annotations, retitled for `iri` (no imports, no version IRI: set per product)."""
    skip = {RDF.type, OWL.versionIRI, OWL.versionInfo, OWL.imports, DCTERMS.title}
    values = [(p, o) for p, o in full.predicate_objects(FULL_IRI) if p not in skip]
    values.append((DCTERMS.title, Literal(_TITLES[iri])))
    return sorted(values, key=lambda po: (str(po[0]), str(po[1])))


def odk_products(full: Graph, prefixes: dict[str, str]) -> Products:
    """The three products of `full` (ciro-full.owl's graph); `prefixes` name IRIs in the OBO files."""
    version = str(full.value(FULL_IRI, OWL.versionInfo))
    view = class_view(full)

    header = full.new()
    header.add((SIMPLE_IRI, RDF.type, OWL.Ontology))
    header.add((SIMPLE_IRI, OWL.versionIRI, version_iri(SIMPLE_IRI, version)))
    header.add((SIMPLE_IRI, OWL.versionInfo, Literal(version)))
    for p, o in _header(full, SIMPLE_IRI, version):
        header.add((SIMPLE_IRI, p, o))
    simple = simple_graph(full, view, (str(CIRO), str(VOCAB)), header)

    converter = curies.Converter.from_prefix_map(prefixes)

    def obo_header(iri: URIRef) -> OboHeader:
        return OboHeader("ciro", str(iri), version, str(version_iri(iri, version)), tuple(_header(full, iri, version)))

    return Products(
        view=view,
        simple=simple,
        obo=obo_document(full, view, obo_header(OBO_IRI), converter),
        json=obograph_document(full, view, obo_header(JSON_IRI), converter),
    )
