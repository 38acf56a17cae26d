"""Assemble the release graphs: the ontology (schema + records), its import module, the base and full
variants, and the data graph.

gen-owl's output is not OWL 2 DL (undeclared annotation properties, ontology IRI taken from the file name),
so the ontology is written from the schema by `tbox` and from the records by `terms` and `evidence`, following
the plan `model` compiles (docs/design.md, "What becomes what in OWL"). The external classes and properties
CIRO's axioms use are declared in CIRO's own graph, so ciro-base.owl is OWL 2 DL without its import.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Literal, URIRef

from ..curate.rdf import kb_to_graph
from ..imports.sources import HOME, MIREOT, imported_from
from ..imports.table import Table
from .evidence import add_evidence_individuals
from .model import OwlModel, model_for
from .tbox import add_tbox
from .terms import add_terms
from .triples import Triples
from .vocab import (
    BASE,
    BASE_IRI,
    CIRO,
    CREATOR,
    DCTERMS,
    DEFINITION,
    FULL_IRI,
    IMPORT_IRI,
    LICENSE,
    ONTOLOGY_IRI,
    OWL,
    PUBLICATION_RESOLVERS,
    RDF,
    RDFS,
    SKOS,
    TITLE,
    VOCAB,
    citation,
    publication_iri,
    version_iri,
)

__all__ = [
    "OntologyGraphs", "build_graphs", "data_graph", "version_iri", "BASE", "ONTOLOGY_IRI", "BASE_IRI", "FULL_IRI",
    "IMPORT_IRI", "CIRO", "VOCAB", "DEFINITION", "LICENSE", "PUBLICATION_RESOLVERS",
]

# External terms are classes (MIREOT), except relations (RO, and BFO's 'part of'), IAO's annotation
# properties, and IAO's obsolescence reasons, which IAO makes individuals.
_EXTERNAL_KIND = {
    "RO": OWL.ObjectProperty,
    "BFO:0000050": OWL.ObjectProperty,
    "IAO:0000115": OWL.AnnotationProperty,
    "IAO:0000118": OWL.AnnotationProperty,
    "IAO:0000119": OWL.AnnotationProperty,
    "IAO:0000231": OWL.AnnotationProperty,
    "IAO:0000232": OWL.AnnotationProperty,
    "IAO:0100001": OWL.AnnotationProperty,
    "IAO:0000226": OWL.NamedIndividual,
    "IAO:0000227": OWL.NamedIndividual,
    "IAO:0000228": OWL.NamedIndividual,
    "IAO:0000229": OWL.NamedIndividual,
    "IAO:0000103": OWL.NamedIndividual,
    "OMO:0001000": OWL.NamedIndividual,
}


OBO = "http://purl.obolibrary.org/obo/"
IMPORTED_FROM = URIRef(f"{OBO}IAO_0000412")  # IAO 'imported from': the ontology an external term comes from

# Thesauri whose hierarchy is "broader heading", not subsumption (a MeSH supplementary concept's mapped heading,
# a descriptor's tree parent): their parent links are skos:broader.
_THESAURI = frozenset({"MESH"})


@dataclass(frozen=True)
class OntologyGraphs:
    """The graphs of one release."""

    main: Triples  # ciro.owl: own axioms + owl:imports of the external module
    base: Triples  # ciro-base.owl: own axioms only
    full: Triples  # ciro-full.owl: own axioms + external module merged
    external: Triples  # imports/ciro-external.owl
    # ciro-data.ttl (None when not asked for): the instance RDF the schema maps the records to (what ciro.shacl.ttl
    # validates)
    data: Triples | None


_HEADER_PROPERTIES = (DCTERMS.title, DCTERMS.description, DCTERMS.license, DCTERMS.creator, DCTERMS.source,
                      DCTERMS.bibliographicCitation, DCTERMS.date)


def _header(graph: Triples, iri: URIRef, model: OwlModel, title: str, publications, release_date: str | None) -> None:
    graph.add((iri, RDF.type, OWL.Ontology))
    graph.add((iri, OWL.versionIRI, version_iri(iri, model.version)))
    graph.add((iri, OWL.versionInfo, Literal(model.version)))
    graph.add((iri, DCTERMS.title, Literal(title)))
    graph.add((iri, DCTERMS.description, Literal(model.description)))
    graph.add((iri, DCTERMS.license, LICENSE))
    graph.add((iri, DCTERMS.creator, Literal(CREATOR)))
    graph.add((iri, DCTERMS.bibliographicCitation, Literal(citation(model.version, release_date))))
    if release_date:  # only a cut release has a date (`ciro release`); a build of the tree has none.
        # A plain string, as dcterms:created on the terms: xsd:date is outside OWL 2's datatype map.
        graph.add((iri, DCTERMS.date, Literal(release_date)))
    for pub in publications:
        source = publication_iri(pub)
        if source is not None:
            graph.add((iri, DCTERMS.source, source))
    for prop in _HEADER_PROPERTIES:
        graph.add((prop, RDF.type, OWL.AnnotationProperty))


def _declare_references(own: Triples, external: Triples) -> None:
    """Declare, in CIRO's own graph, every external entity that CIRO's axioms and annotations use.

    ciro-base.owl carries no import, and OWL 2 DL wants every entity declared: without this, the base
    file's `involves` ⊑ RO:0002410 uses an undeclared object property. A declaration says only what kind
    of entity the IRI is, not its label or place (those stay in the import module).
    """
    logical = (RDFS.subClassOf, RDFS.subPropertyOf, OWL.equivalentClass, OWL.onProperty, OWL.someValuesFrom, RDF.first)
    declared = set(own.subjects(RDF.type, None))
    used = {o for p in logical for o in own.objects(None, p) if isinstance(o, URIRef)} | set(own.predicates())
    for iri in sorted(used - declared):
        for kind in external.objects(iri, RDF.type):
            if kind != OWL.Ontology:
                own.add((iri, RDF.type, kind))


def _term_iri(curie: str, model: OwlModel) -> URIRef:
    """A CURIE of the schema's prefixes, an IRI, or an OBO CURIE (UBERON, OBI: ancestors CIRO has no prefix for)."""
    prefix, _, local = curie.partition(":")
    if prefix in model.prefixes:
        return model.expand(curie)
    return URIRef(curie if "://" in curie else f"{OBO}{prefix}_{local}")


def _imported_from(curie: str, iri: URIRef, taken_from: str | None = None) -> URIRef | None:
    """The ontology of a term's prefix (a source's, or, for a term with an OBO PURL, the ontology its prefix
    names: UBERON -> obo/uberon.owl); for an IRI outside any prefix (SEPIO's prov:Activity), the ontology of the
    file it was taken from; None where no source says (a term of another namespace, such as an HGNC gene group,
    gets no IAO:0000412 rather than a made-up ontology IRI)."""
    if "://" in curie:
        return URIRef(taken_from) if taken_from else None
    prefix = curie.split(":", 1)[0]
    known = imported_from(prefix)
    if known:
        return URIRef(known)
    return URIRef(f"{OBO}{prefix.lower()}.owl") if str(iri).startswith(OBO) else None


def _external(data: dict[str, list[dict]], model: OwlModel, release_date: str | None, graph: Triples,
              tables: tuple[Table, ...] = ()) -> Triples:
    """The import module: the terms of the extracted sources (imports/*.tsv) with every ancestor their file asserts,
    and the other external terms MIREOT (the label and the one parent instances/external_terms/ records). Every term
    names its ontology with IAO:0000412 (imported from); the header names each extracted file's version. Written
    into the empty `graph` (one sharing the release's term table)."""
    graph.add((IMPORT_IRI, RDF.type, OWL.Ontology))
    graph.add((IMPORT_IRI, OWL.versionIRI, version_iri(IMPORT_IRI, model.version)))
    graph.add((IMPORT_IRI, OWL.versionInfo, Literal(model.version)))
    graph.add((IMPORT_IRI, DCTERMS.title, Literal("CIRO external terms (import module)")))
    graph.add((IMPORT_IRI, DCTERMS.description, Literal(
        "The external terms CIRO uses (genes, cell types, taxa, chemicals, processes, evidence types, relations, "
        "upper-level classes). Terms of the ontologies named in dcterms:source were extracted from those files with "
        "every ancestor the file asserts (imports/*.tsv, scripts/refresh_imports.py); the others are MIREOT: their "
        "label and the one parent CIRO records, as confirmed by the source in each term's dcterms:source. "
        "Replace it with the full ontologies by importing ciro-base.owl instead.")))
    graph.add((IMPORT_IRI, DCTERMS.license, LICENSE))
    graph.add((IMPORT_IRI, DCTERMS.bibliographicCitation, Literal(citation(model.version, release_date))))
    if release_date:
        graph.add((IMPORT_IRI, DCTERMS.date, Literal(release_date)))
    for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.license, DCTERMS.source, DCTERMS.bibliographicCitation,
                 DCTERMS.date, RDFS.comment, IMPORTED_FROM):
        graph.add((prop, RDF.type, OWL.AnnotationProperty))
    for table in tables:
        stated = table.version_iri or "no owl:versionIRI (the file states none)"
        graph.add((IMPORT_IRI, DCTERMS.source, URIRef(table.version_iri) if table.version_iri
                   else Literal(f"{table.file} at commit {table.commit}")))
        graph.add((IMPORT_IRI, RDFS.comment, Literal(
            f"{table.source}: {len(table.terms)} terms extracted from {table.file} at commit {table.commit}, "
            f"version {stated}" + (f"; ancestry stops at {' '.join(table.stops)}" if table.stops else "")
            + (f"; the file is {table.module}, not the source's own release" if table.module else ""))))

    def declare(iri: URIRef, kind: URIRef, curie: str, taken_from: str | None = None) -> None:
        graph.add((iri, RDF.type, kind))
        source = _imported_from(curie, iri, taken_from)
        if source is not None:
            graph.add((iri, IMPORTED_FROM, source))

    extracted = {term.id: (term, table.ontology) for table in tables for term in table.terms}
    for term, taken_from in sorted(extracted.values(), key=lambda t: t[0].id):
        iri, kind = _term_iri(term.id, model), OWL[term.kind]
        declare(iri, kind, term.id, taken_from)
        graph.add((iri, RDFS.label, Literal(term.label)))
        for parent in term.parents:
            if kind == OWL.NamedIndividual:  # an individual's parents are its classes
                graph.add((iri, RDF.type, _term_iri(parent, model)))
            else:
                graph.add((iri, RDFS.subClassOf if kind == OWL.Class else RDFS.subPropertyOf, _term_iri(parent, model)))
            if parent not in extracted:  # a stop: declared, so the module stays OWL 2 DL
                declare(_term_iri(parent, model), OWL.Class if kind == OWL.NamedIndividual else kind, parent)
    used_mireot = set()
    for term in data.get("external_terms", []):
        if str(term["id"]) in extracted:
            continue  # label and ancestry from the source file (tests check the registry's label is the file's)
        iri = model.expand(term["id"])
        prefix = str(term["id"]).split(":", 1)[0]
        used_mireot.add(prefix)
        kind = _EXTERNAL_KIND.get(str(term["id"]), _EXTERNAL_KIND.get(prefix, OWL.Class))
        declare(iri, kind, str(term["id"]))
        graph.add((iri, RDFS.label, Literal(term["label"])))
        graph.add((iri, DCTERMS.source, Literal(term["verified_by"])))
        if term.get("parent"):
            parent = model.expand(term["parent"])
            if kind == OWL.NamedIndividual:  # an individual's "parent" is its class
                graph.add((iri, RDF.type, parent))
                declare(parent, OWL.Class, str(term["parent"]))
            elif prefix in _THESAURI:  # a MeSH tree link is not a kind-of link: skos:broader, an annotation
                graph.add((iri, SKOS.broader, parent))
                graph.add((SKOS.broader, RDF.type, OWL.AnnotationProperty))
                declare(parent, kind, str(term["parent"]))
            else:
                graph.add((iri, RDFS.subClassOf if kind == OWL.Class else RDFS.subPropertyOf, parent))
                declare(parent, kind, str(term["parent"]))
            if term.get("parent_label"):
                graph.add((parent, RDFS.label, Literal(term["parent_label"])))
    absent = {t for table in tables for t in table.absent}
    for prefix in sorted(used_mireot):
        mireot = {str(t["id"]) for t in data.get("external_terms", []) if str(t["id"]).split(":", 1)[0] == prefix
                  and str(t["id"]) not in extracted}
        if prefix in HOME and mireot <= absent and prefix in MIREOT:  # its import module lacks them
            why = f"{' '.join(sorted(mireot))}: {MIREOT[prefix][1]}"
        elif prefix in HOME:  # an extracted source's term added to the registry since the last refresh
            why = f"not in imports/{HOME[prefix]}.tsv yet: run scripts/refresh_imports.py"
        else:
            why = MIREOT[prefix][1] if prefix in MIREOT else "no source file is extracted for it"
        graph.add((IMPORT_IRI, RDFS.comment, Literal(f"{prefix}: MIREOT, not extracted ({why})")))
    return graph


def _bind(graph: Graph | Triples, model: OwlModel) -> None:
    if isinstance(graph, Triples):  # the prefixes an rdflib graph would have: rdflib's defaults, then these
        bound = Graph()
        _bind(bound, model)
        for prefix, namespace in bound.namespaces():
            graph.bind(prefix, namespace)
        return
    for prefix, namespace in sorted(model.prefixes.items()):
        graph.bind(prefix, namespace, override=True, replace=True)
    graph.bind("owl", OWL)


def data_graph(data: dict[str, list[dict]], schema_path: Path) -> Triples:
    """The records as the schema maps them to RDF (external terms included: the shapes check that xrefs point at
    them), plus each link under every link it is a kind of (the schema's `is_a`): a mechanism that involves loss
    of function of JAK1 involves loss of JAK1 and involves JAK1, and SPARQL finds every target in one hop."""
    model = model_for(schema_path)
    graph = kb_to_graph(data, schema_path, Triples())
    own = {info.iri: [q for q in info.parents if str(q).startswith(str(VOCAB))]
           for info in model.properties.values() if info.kind == "object"}
    for s, p, o in list(graph):
        todo, seen = list(own.get(p, ())), set()
        while todo:
            parent = todo.pop()
            if parent not in seen:
                seen.add(parent)
                graph.add((s, parent, o))
                todo.extend(own.get(parent, ()))
    _bind(graph, model)
    return graph


def build_graphs(data: dict[str, list[dict]], schema_path: Path, release_date: str | None = None,
                 imports: tuple[Table, ...] = (), with_data: bool = True) -> OntologyGraphs:
    """All release graphs for a validated KB (the data graph only `with_data`: `ciro build` makes it after the
    others are written and dropped, as it shares nothing with them). `release_date` (YYYY-MM-DD) marks a cut
    release (`ciro release`): the headers get it as dcterms:date, and ciro.owl imports the module by its version
    IRI, so that a pinned release never pulls in a later module. `imports` are the extracted import tables
    (imports/*.tsv); without them every external term is MIREOT."""
    model = model_for(schema_path)
    publications = sorted(data.get("publications", []), key=lambda p: str(p.get("id")))
    records = {k: v for k, v in data.items() if k != "external_terms"}
    own = Triples()
    add_tbox(own, model)
    add_terms(own, model, records)
    add_evidence_individuals(own, model, records)
    external = _external(data, model, release_date, own.new(), imports)
    _declare_references(own, external)

    _bind(own, model)

    def variant(iri: URIRef, title: str, imports: bool, merged: bool) -> Triples:
        header = own.new()
        _header(header, iri, model, title, publications, release_date)
        if imports:
            header.add((iri, OWL.imports, version_iri(IMPORT_IRI, model.version) if release_date else IMPORT_IRI))
        if merged:
            for triple in external:
                if triple[0] != IMPORT_IRI:
                    header.add(triple)
        return own.union(header)

    _bind(external, model)
    return OntologyGraphs(
        main=variant(ONTOLOGY_IRI, TITLE, True, False),
        base=variant(BASE_IRI, "CIRO base: CIRO's own axioms", False, False),
        full=variant(FULL_IRI, "CIRO full: CIRO with its external terms merged", False, True),
        external=external,
        data=data_graph(data, schema_path) if with_data else None,
    )
