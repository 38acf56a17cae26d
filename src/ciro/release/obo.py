"""ciro.obo and ciro.json (OBO Graphs): the class-level release in OBO's two exchange formats.

Both are written from `classview`'s classified, relaxed and reduced view of ciro-full.owl (CIRO merged with
its import module), as ODK writes them from the full release: one stanza (node) per named class and per
property, with names, definitions and their sources, synonyms, mappings and other annotations as
`property_value`, `is_a`, `relationship` (C ⊑ ∃R.F), `intersection_of` (defined classes), `disjoint_from`,
and the lifecycle tags. Evidence items and publications are individuals; they stay in the OWL products and
the data graph (OBO tools read classes).

The OBO document is built as a fastobo syntax tree (fastobo-py, the Rust OBO 1.4 parser's bindings), so
quoting, escaping and clause syntax are the library's; the OBO Graphs document is what the `obographs`
package's model (the Pydantic form of geneontology/obographs' schema) dumps, written as plain dicts. fastobo's
own OBO Graphs converter was tried and left aside: it drops synonyms and logical definitions and mangles RO
ids (`RO0002410`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import curies
import fastobo
from fastobo import header as oh
from fastobo import term as ot
from fastobo import typedef as od
from fastobo.id import PrefixedIdent, Url
from fastobo.pv import LiteralPropertyValue, ResourcePropertyValue
from fastobo.syn import Synonym
from fastobo.xref import Xref, XrefList
from rdflib import BNode, Graph, Literal, URIRef

from .classview import ClassView
from .vocab import DEFINITION, OBOINOWL, OWL, RDF, RDFS, TERM_REPLACED_BY, XSD

__all__ = ["OboHeader", "obo_document", "write_obograph"]

OBO_PURL = "http://purl.obolibrary.org/obo/"
_SYNONYMS = {
    OBOINOWL.hasExactSynonym: ("EXACT", "hasExactSynonym"),
    OBOINOWL.hasRelatedSynonym: ("RELATED", "hasRelatedSynonym"),
    OBOINOWL.hasBroadSynonym: ("BROAD", "hasBroadSynonym"),
    OBOINOWL.hasNarrowSynonym: ("NARROW", "hasNarrowSynonym"),
}
# Annotations that OBO has a clause for; every other annotation becomes a property_value.
_CLAUSED = {RDFS.label, DEFINITION, RDFS.comment, OWL.deprecated, TERM_REPLACED_BY, OBOINOWL.consider,
            OBOINOWL.hasDbXref, OBOINOWL.created_by, RDF.type, *_SYNONYMS}


@dataclass(frozen=True)
class OboHeader:
    """What the header says: ontology name, version, and the ontology's own annotations."""

    ontology: str  # "ciro"
    iri: str
    version: str
    version_iri: str
    annotations: tuple[tuple[URIRef, object], ...]  # (property, value) from the OWL header


class _Terms:
    """Reads one entity's annotations from the graph and names IRIs by CURIE."""

    def __init__(self, graph: Graph, converter: curies.Converter):
        self.graph = graph
        self.converter = converter
        self.used_prefixes: set[str] = set()
        self.curies: dict = {}
        self.annotation_properties = set(graph.subjects(RDF.type, OWL.AnnotationProperty)) | {RDFS.seeAlso}

    def curie(self, iri) -> str | None:
        curie = self.curies.get(iri, False)
        if curie is False:  # each IRI compressed once (curies' parse_uri is Python, and ids repeat)
            curie = self.curies[iri] = self.converter.compress(str(iri))
        if curie is not None:
            self.used_prefixes.add(curie.split(":", 1)[0])
        return curie

    def ident(self, iri) -> PrefixedIdent | Url:
        curie = self.curie(iri)
        if curie is None:
            return Url(str(iri))
        prefix, local = curie.split(":", 1)
        return PrefixedIdent(prefix, local)

    def xref(self, text: str) -> Xref:
        prefix, _, local = text.partition(":")
        return Xref(PrefixedIdent(prefix, local) if local and " " not in text else Url(text))

    def definition(self, entity) -> tuple[str, list[str]] | None:
        text = self.graph.value(entity, DEFINITION)
        if text is None:
            return None
        sources = set()
        for axiom in self.graph.subjects(OWL.annotatedSource, entity):
            if (axiom, OWL.annotatedProperty, DEFINITION) in self.graph:
                sources |= {str(x) for x in self.graph.objects(axiom, OBOINOWL.hasDbXref)}
        return str(text), sorted(sources)

    def others(self, entity) -> list[tuple[URIRef, object]]:
        """The entity's annotations that OBO has no clause for (logical axioms are the view's)."""
        return sorted(((p, o) for p, o in self.graph.predicate_objects(entity)
                       if p in self.annotation_properties and p not in _CLAUSED and not isinstance(o, BNode)),
                      key=lambda po: (str(po[0]), str(po[1])))

    def deprecated(self, entity) -> bool:
        return any(isinstance(o, Literal) and o.toPython() is True for o in self.graph.objects(entity, OWL.deprecated))


def _entities(graph: Graph, view: ClassView, builtin: tuple[str, ...]):
    def named(kind):
        return sorted(s for s in graph.subjects(RDF.type, kind)
                      if isinstance(s, URIRef) and not str(s).startswith(builtin))
    return list(view.classes), named(OWL.ObjectProperty), named(OWL.AnnotationProperty)


_BUILTIN = (str(RDF), str(RDFS), str(OWL), str(XSD))


def obo_document(graph: Graph, view: ClassView, header: OboHeader, converter: curies.Converter) -> str:
    """The OBO 1.4 text of `graph` (fastobo serialises it; entities sorted by id)."""
    terms = _Terms(graph, converter)
    classes, object_properties, annotation_properties = _entities(graph, view, _BUILTIN)
    frames = []
    for cls in classes:
        frames.append(_term_frame(cls, terms, view))
    for prop in object_properties + annotation_properties:
        frames.append(_typedef_frame(prop, terms, prop in annotation_properties))
    frames.sort(key=lambda frame: (isinstance(frame, od.TypedefFrame), str(frame.id)))

    clauses = [oh.FormatVersionClause("1.4"), oh.DataVersionClause(header.version), oh.OntologyClause(header.ontology)]
    pvs = [oh.PropertyValueClause(_property_value(terms, p, v)) for p, v in header.annotations]
    version_iri = ResourcePropertyValue(PrefixedIdent("owl", "versionIRI"), Url(header.version_iri))
    pvs.append(oh.PropertyValueClause(version_iri))
    terms.used_prefixes.add("owl")
    for prefix in sorted(terms.used_prefixes):
        namespace = converter.prefix_map.get(prefix)
        if namespace and not (namespace.startswith(OBO_PURL) and namespace == f"{OBO_PURL}{prefix}_"):
            clauses.append(oh.IdspaceClause(prefix, Url(namespace)))
    doc = fastobo.doc.OboDoc(oh.HeaderFrame(clauses + pvs), frames)
    return str(doc)


def _property_value(terms: _Terms, prop: URIRef, value):
    rel = terms.ident(prop)
    if isinstance(value, Literal):
        datatype = terms.ident(value.datatype or XSD.string)
        return LiteralPropertyValue(rel, str(value), datatype)
    return ResourcePropertyValue(rel, terms.ident(value))


def _common(entity, terms: _Terms, module):
    """Clauses shared by [Term] and [Typedef], in OBO 1.4's order: name, def, comment, synonym, xref, values."""
    graph, clauses = terms.graph, []
    for label in sorted(graph.objects(entity, RDFS.label))[:1]:
        clauses.append(module.NameClause(str(label)))
    definition = terms.definition(entity)
    if definition is not None:
        clauses.append(module.DefClause(definition[0], XrefList([terms.xref(x) for x in definition[1]])))
    for comment in sorted(graph.objects(entity, RDFS.comment))[:1]:
        clauses.append(module.CommentClause(str(comment)))
    for prop, (scope, _) in _SYNONYMS.items():
        for synonym in sorted(graph.objects(entity, prop)):
            clauses.append(module.SynonymClause(Synonym(str(synonym), scope)))
    for xref in sorted(graph.objects(entity, OBOINOWL.hasDbXref)):
        clauses.append(module.XrefClause(terms.xref(str(xref))))
    for prop, value in terms.others(entity):
        clauses.append(module.PropertyValueClause(_property_value(terms, prop, value)))
    return clauses


def _lifecycle(entity, terms: _Terms, module) -> list:
    graph, clauses = terms.graph, []
    for creator in sorted(graph.objects(entity, OBOINOWL.created_by)):
        clauses.append(module.CreatedByClause(str(creator)))
    if terms.deprecated(entity):
        clauses.append(module.IsObsoleteClause(True))
        for target in sorted(graph.objects(entity, TERM_REPLACED_BY)):
            clauses.append(module.ReplacedByClause(terms.ident(target)))
        for target in sorted(graph.objects(entity, OBOINOWL.consider)):
            clauses.append(module.ConsiderClause(terms.ident(target)))
    return clauses


def _term_frame(cls: URIRef, terms: _Terms, view: ClassView) -> ot.TermFrame:
    clauses = _common(cls, terms, ot)
    clauses += [ot.IsAClause(terms.ident(parent)) for parent in view.parents.get(cls, ())]
    definition = view.definitions.get(cls)
    if definition is not None:
        clauses += [ot.IntersectionOfClause(None, terms.ident(g)) for g in definition.genus]
        clauses += [ot.IntersectionOfClause(terms.ident(p), terms.ident(f)) for p, f in definition.restrictions]
    clauses += [ot.DisjointFromClause(terms.ident(other)) for other in view.disjoint.get(cls, ())]
    clauses += [ot.RelationshipClause(terms.ident(p), terms.ident(f)) for p, f in view.restrictions.get(cls, ())]
    clauses += _lifecycle(cls, terms, ot)
    return ot.TermFrame(terms.ident(cls), clauses)


def _typedef_frame(prop: URIRef, terms: _Terms, annotation: bool) -> od.TypedefFrame:
    clauses = _common(prop, terms, od)
    clauses += [od.IsAClause(terms.ident(parent)) for parent in sorted(terms.graph.objects(prop, RDFS.subPropertyOf))
                if isinstance(parent, URIRef)]
    if annotation:
        clauses.append(od.IsMetadataTagClause(True))
    clauses += _lifecycle(prop, terms, od)
    return od.TypedefFrame(terms.ident(prop), clauses)


def write_obograph(graph: Graph, view: ClassView, header: OboHeader, converter: curies.Converter, path) -> None:
    """The OBO Graphs JSON of `graph` into `path`; ids are IRIs, as ROBOT writes them.

    Written as plain dicts: what the `obographs` package's model dumps (`model_dump(exclude_none=True,
    exclude_defaults=True)`: no null, no `deprecated: false`, no default synonym scope, no empty list of the
    graph), without building a Pydantic object per node, edge and value (2 s at 10,000 items); the tests
    validate the file with that model and with the OBO Graphs JSON Schema."""
    terms = _Terms(graph, converter)
    classes, object_properties, annotation_properties = _entities(graph, view, _BUILTIN)
    nodes, edges = [], []

    def meta(entity) -> dict | None:
        data: dict = {}
        definition = terms.definition(entity)
        if definition:
            data["definition"] = {"val": definition[0], "xrefs": definition[1]}
        comments = [str(c) for c in sorted(graph.objects(entity, RDFS.comment))]
        if comments:
            data["comments"] = comments
        synonyms = [{"val": str(s)} if pred == "hasExactSynonym" else {"val": str(s), "pred": pred}
                    for prop, (_, pred) in _SYNONYMS.items() for s in sorted(graph.objects(entity, prop))]
        if synonyms:
            data["synonyms"] = synonyms
        xrefs = [{"val": str(x)} for x in sorted(graph.objects(entity, OBOINOWL.hasDbXref))]
        if xrefs:
            data["xrefs"] = xrefs
        values = [{"pred": str(p), "val": str(v)} for p, v in terms.others(entity)]
        for prop in (TERM_REPLACED_BY, OBOINOWL.consider):
            values += [{"pred": str(prop), "val": str(v)} for v in sorted(graph.objects(entity, prop))]
        if values:
            data["basicPropertyValues"] = values
        if terms.deprecated(entity):
            data["deprecated"] = True
        return data or None

    def node(entity, **fields) -> dict:
        labels = sorted(graph.objects(entity, RDFS.label))
        if labels:
            fields["lbl"] = str(labels[0])
        found = meta(entity)
        if found is not None:
            fields["meta"] = found
        return {"id": str(entity), **fields}

    for cls in classes:
        nodes.append(node(cls, type="CLASS"))
        edges += [(str(cls), "is_a", str(p)) for p in view.parents.get(cls, ())]
        edges += [(str(cls), str(p), str(f)) for p, f in view.restrictions.get(cls, ())]
    for prop in object_properties + annotation_properties:
        kind = "ANNOTATION" if prop in annotation_properties else "OBJECT"
        nodes.append(node(prop, type="PROPERTY", propertyType=kind))
        edges += [(str(prop), "subPropertyOf", str(p))
                  for p in sorted(graph.objects(prop, RDFS.subPropertyOf)) if isinstance(p, URIRef)]
    definitions = [{"definedClassId": str(cls), "genusIds": [str(g) for g in d.genus],
                    "restrictions": [{"propertyId": str(p), "fillerId": str(f)} for p, f in d.restrictions]}
                   for cls, d in sorted(view.definitions.items())]
    values = [{"pred": str(p), "val": str(v)} for p, v in header.annotations]
    values.append({"pred": str(OWL.versionInfo), "val": header.version})
    graph_data = {"id": header.iri, "meta": {"version": header.version_iri, "basicPropertyValues": values}}
    nodes.sort(key=lambda n: n["id"])
    edges.sort()
    for name, items in (("nodes", nodes), ("edges", [{"sub": s, "pred": p, "obj": o} for s, p, o in edges]),
                        ("logicalDefinitionAxioms", definitions)):
        if items:  # an empty list is the model's default: left out
            graph_data[name] = items
    with open(path, "w", encoding="utf-8") as handle:  # streamed: json.dumps held a list of every chunk first
        json.dump({"graphs": [graph_data]}, handle, indent=1, sort_keys=True, ensure_ascii=False)
        handle.write("\n")
