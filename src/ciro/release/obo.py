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

import io
import json
import shutil
import tempfile
from dataclasses import dataclass
from json.encoder import encode_basestring

import curies
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

__all__ = ["OboHeader", "obo_document", "write_obo", "write_obograph"]

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
    buffer = io.StringIO()
    write_obo(graph, view, header, converter, buffer)
    return buffer.getvalue()


def write_obo(graph: Graph, view: ClassView, header: OboHeader, converter: curies.Converter, out) -> None:
    """The OBO 1.4 text of `graph` into the text stream `out`: what str() of the fastobo document of every frame
    gives (its header, then "\n" and each frame's text), one frame at a time. The header's idspaces are the
    prefixes the frames used, so the frames' texts wait in a temporary file (at 100,000 items the document's
    frames and text held ~150 MB)."""
    terms = _Terms(graph, converter)
    classes, object_properties, annotation_properties = _entities(graph, view, _BUILTIN)
    # The frames' order: classes, then typedefs, each by the text of its id (what sorting the frames gave)
    entities = sorted([(False, str(terms.ident(cls)), n, cls) for n, cls in enumerate(classes)]
                      + [(True, str(terms.ident(prop)), n, prop)
                         for n, prop in enumerate(object_properties + annotation_properties)])
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as frames:
        for typedef, _id, _n, entity in entities:
            frame = (_typedef_frame(entity, terms, entity in annotation_properties) if typedef
                     else _term_frame(entity, terms, view))
            frames.write("\n" + str(frame))

        clauses = [oh.FormatVersionClause("1.4"), oh.DataVersionClause(header.version),
                   oh.OntologyClause(header.ontology)]
        pvs = [oh.PropertyValueClause(_property_value(terms, p, v)) for p, v in header.annotations]
        version_iri = ResourcePropertyValue(PrefixedIdent("owl", "versionIRI"), Url(header.version_iri))
        pvs.append(oh.PropertyValueClause(version_iri))
        terms.used_prefixes.add("owl")
        for prefix in sorted(terms.used_prefixes):
            namespace = converter.prefix_map.get(prefix)
            if namespace and not (namespace.startswith(OBO_PURL) and namespace == f"{OBO_PURL}{prefix}_"):
                clauses.append(oh.IdspaceClause(prefix, Url(namespace)))
        out.write(str(oh.HeaderFrame(clauses + pvs)))
        frames.seek(0)
        shutil.copyfileobj(frames, out)


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
    edges: list[tuple[str, str, str]] = []

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

    text: dict = {}  # str of each IRI once (edges repeat their ends; str() of a URIRef is a new copy each time)

    def name(iri) -> str:
        found = text.get(iri)
        if found is None:
            found = text[iri] = str(iri)
        return found

    # The nodes are made one at a time as they are written (each a dict of its annotations: at 100,000 items, all
    # of them and the edges' dicts at once added ~250 MB to the build's peak); only their ids are sorted first.
    order = [(name(cls), cls, None) for cls in classes]
    for cls in classes:
        edges += [(name(cls), "is_a", name(p)) for p in view.parents.get(cls, ())]
        edges += [(name(cls), name(p), name(f)) for p, f in view.restrictions.get(cls, ())]
    for prop in object_properties + annotation_properties:
        order.append((name(prop), prop, "ANNOTATION" if prop in annotation_properties else "OBJECT"))
        edges += [(name(prop), "subPropertyOf", name(p))
                  for p in sorted(graph.objects(prop, RDFS.subPropertyOf)) if isinstance(p, URIRef)]
    order.sort(key=lambda item: item[0])  # stable: what sorting the node dicts by id gave
    definitions = [{"definedClassId": str(cls), "genusIds": [str(g) for g in d.genus],
                    "restrictions": [{"propertyId": str(p), "fillerId": str(f)} for p, f in d.restrictions]}
                   for cls, d in sorted(view.definitions.items())]
    values = [{"pred": str(p), "val": str(v)} for p, v in header.annotations]
    values.append({"pred": str(OWL.versionInfo), "val": header.version})
    edges.sort()

    def node_texts():
        for _id, entity, kind in order:
            fields = {"type": "CLASS"} if kind is None else {"type": "PROPERTY", "propertyType": kind}
            yield _json_at(node(entity, **fields), 4)

    def edge_texts():
        # {"obj", "pred", "sub"} as json.dump(indent=1, sort_keys=True) lays it out at depth 4
        for sub, pred, obj in edges:
            yield (f'{{\n     "obj": {_json_text(obj)},\n     "pred": {_json_text(pred)},\n'
                   f'     "sub": {_json_text(sub)}\n    }}')

    # What json.dump({"graphs": [graph_data]}, indent=1, sort_keys=True, ensure_ascii=False) wrote, the node and
    # edge arrays streamed; an empty array is the model's default and is left out.
    fields = {"id": _json_at(header.iri, 3),
              "meta": _json_at({"version": header.version_iri, "basicPropertyValues": values}, 3)}
    if order:
        fields["nodes"] = node_texts()
    if edges:
        fields["edges"] = edge_texts()
    if definitions:
        fields["logicalDefinitionAxioms"] = (_json_at(d, 4) for d in definitions)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write('{\n "graphs": [\n  {')
        for n, key in enumerate(sorted(fields)):
            handle.write(("," if n else "") + f"\n   {_json_text(key)}: ")
            value = fields[key]
            if isinstance(value, str):
                handle.write(value)
                continue
            for m, item in enumerate(value):
                handle.write(("," if m else "[") + "\n    " + item)
            handle.write("\n   ]")
        handle.write("\n  }\n ]\n}\n")


def _json_text(value: str) -> str:
    return encode_basestring(value)


def _json_at(value, depth: int) -> str:
    """`value` as json.dump(indent=1, sort_keys=True, ensure_ascii=False) writes it nested `depth` levels deep.

    Written here for the node values (dicts, lists, strings, booleans): with `indent` json runs its pure-Python
    encoder, with every option checked per value (about a third of ciro.json's time); anything else goes to json."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if kind is dict or kind is list:
        if not value:
            return "{}" if kind is dict else "[]"
        pad = "\n" + " " * (depth + 1)
        if kind is dict:
            items = (encode_basestring(k) + ": " + _json_at(value[k], depth + 1) for k in sorted(value))
            return "{" + pad + ("," + pad).join(items) + "\n" + " " * depth + "}"
        return "[" + pad + ("," + pad).join(_json_at(v, depth + 1) for v in value) + "\n" + " " * depth + "]"
    if value is True or value is False:
        return "true" if value else "false"
    return json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False).replace("\n", "\n" + " " * depth)
