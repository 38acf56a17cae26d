"""ODK's class-level products of a release: ciro-simple.owl, ciro.obo and ciro.json (OBO Graphs).

All three come from one classified, relaxed and reduced view of ciro-full.owl (`classview`), as ODK makes
them from its full release; each carries the full release's header under its own ontology IRI and version
IRI (`releases/<version>/ciro.obo` ...).
"""

from __future__ import annotations

from pathlib import Path

import curies
from rdflib import Graph, Literal, URIRef

from .classview import class_view
from .obo import OboHeader, write_obo, write_obograph
from .rdfxml import write_rdfxml
from .simple import simple_graph
from .triples import Triples
from .vocab import CIRO, DCTERMS, FULL_IRI, JSON_IRI, OBO_IRI, OWL, RDF, SIMPLE_IRI, VOCAB, version_iri

__all__ = ["write_odk_products"]

_TITLES = {
    SIMPLE_IRI: "CIRO simple: the existential graph of CIRO's own terms",
    OBO_IRI: "CIRO: Cancer Immunotherapy Resistance Ontology (OBO format)",
    JSON_IRI: "CIRO: Cancer Immunotherapy Resistance Ontology (OBO Graphs)",
}


def _header(full: Graph, iri: URIRef, version: str) -> list[tuple[URIRef, object]]:
    """The full release's ontology annotations, retitled for `iri` (no imports, no version IRI: set per product)."""
    skip = {RDF.type, OWL.versionIRI, OWL.versionInfo, OWL.imports, DCTERMS.title}
    values = [(p, o) for p, o in full.predicate_objects(FULL_IRI) if p not in skip]
    values.append((DCTERMS.title, Literal(_TITLES[iri])))
    return sorted(values, key=lambda po: (str(po[0]), str(po[1])))


def write_odk_products(full: Triples, prefixes: dict[str, str], out_dir: Path) -> None:
    """ciro-simple.owl, ciro.obo and ciro.json of `full` (ciro-full.owl's graph) into `out_dir`, one at a time:
    each product is dropped once written (at 100,000 items each holds hundreds of MB); `prefixes` name IRIs in
    the OBO files."""
    version = str(full.value(FULL_IRI, OWL.versionInfo))
    view = class_view(full)

    header = full.new()
    header.add((SIMPLE_IRI, RDF.type, OWL.Ontology))
    header.add((SIMPLE_IRI, OWL.versionIRI, version_iri(SIMPLE_IRI, version)))
    header.add((SIMPLE_IRI, OWL.versionInfo, Literal(version)))
    for p, o in _header(full, SIMPLE_IRI, version):
        header.add((SIMPLE_IRI, p, o))
    write_rdfxml(simple_graph(full, view, (str(CIRO), str(VOCAB)), header), out_dir / "ciro-simple.owl")

    converter = curies.Converter.from_prefix_map(prefixes)

    def obo_header(iri: URIRef) -> OboHeader:
        return OboHeader("ciro", str(iri), version, str(version_iri(iri, version)), tuple(_header(full, iri, version)))

    with open(out_dir / "ciro.obo", "w", encoding="utf-8") as handle:
        write_obo(full, view, obo_header(OBO_IRI), converter, handle)
    write_obograph(full, view, obo_header(JSON_IRI), converter, out_dir / "ciro.json")
