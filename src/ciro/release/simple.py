"""ciro-simple.owl: ODK's "simple" product, the existential graph of CIRO's own terms.

ODK's definition (its release-artefacts page): assert the inferred classification, relax equivalences into
subclass axioms, then keep only CIRO's own terms and logical axioms of the two forms `C ⊑ D` and
`C ⊑ ∃R.D`, with C, D and R all CIRO's; no imports, no foreign classes, no individuals. Annotations of the
kept terms stay (labels, definitions with their sources, synonyms, mappings), and so does the disjointness
of CIRO's classes, which OBO tools read as `disjoint_from`. The reasoning, relaxing and reducing are
`classview`'s.
"""

from __future__ import annotations

from rdflib import BNode, URIRef

from .classview import ClassView
from .triples import Triples
from .vocab import DEFINITION, OWL, RDF, RDFS

__all__ = ["simple_graph"]

def simple_graph(full: Triples, view: ClassView, own: tuple[str, ...], header: Triples) -> Triples:
    """The simple product of `full` (CIRO merged with its import module); `header` holds its ontology header."""

    def is_own(node) -> bool:
        return isinstance(node, URIRef) and str(node).startswith(own)

    graph = full.new()  # the release's triple table, not an rdflib graph: at 100k, rdflib's store held GBs
    for prefix, namespace in full.namespaces():
        graph.bind(prefix, namespace, override=True, replace=True)
    for triple in header:
        graph.add(triple)
    annotation_properties = set(full.subjects(RDF.type, OWL.AnnotationProperty))
    kept = [c for c in view.classes if is_own(c)]
    kept += sorted(p for p in full.subjects(RDF.type, OWL.ObjectProperty) if is_own(p))
    for entity in kept:
        for kind in full.objects(entity, RDF.type):
            if kind in (OWL.Class, OWL.ObjectProperty):
                graph.add((entity, RDF.type, kind))
        for p, o in full.predicate_objects(entity):
            if p in annotation_properties or p in (RDFS.label, RDFS.comment, OWL.deprecated):
                graph.add((entity, p, o))
    for p, q in full.subject_objects(RDFS.subPropertyOf):
        if is_own(p) and is_own(q):
            graph.add((p, RDFS.subPropertyOf, q))

    for cls in kept:
        for parent in view.parents.get(cls, ()):
            if is_own(parent):
                graph.add((cls, RDFS.subClassOf, parent))
        for prop, filler in view.restrictions.get(cls, ()):
            if is_own(prop) and is_own(filler):
                node = BNode(f"some_{_local(cls)}_{_local(prop)}_{_local(filler)}")
                graph.add((node, RDF.type, OWL.Restriction))
                graph.add((node, OWL.onProperty, prop))
                graph.add((node, OWL.someValuesFrom, filler))
                graph.add((cls, RDFS.subClassOf, node))
        for other in view.disjoint.get(cls, ()):
            if is_own(other) and str(cls) < str(other):
                graph.add((cls, OWL.disjointWith, other))
    # A definition's sources (the annotated IAO:0000115 assertion) stay with the definition.
    for axiom in full.subjects(OWL.annotatedProperty, DEFINITION):
        source = full.value(axiom, OWL.annotatedSource)
        if is_own(source) and (source, DEFINITION, full.value(axiom, OWL.annotatedTarget)) in graph:
            for p, o in full.predicate_objects(axiom):
                graph.add((axiom, p, o))
    for prop in sorted(set(graph.predicates()) & annotation_properties):
        graph.add((prop, RDF.type, OWL.AnnotationProperty))
    return graph


def _local(iri: URIRef) -> str:
    return str(iri).rsplit("/", 1)[-1].replace("#", "_")
