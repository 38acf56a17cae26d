"""Build CIRO's OWL 2 DL graphs: the ontology (TBox from the schema + curated individuals), the import
module of external terms, and the base and full variants.

LinkML's gen-owl output is not clean OWL 2 DL (undeclared annotation properties, ontology IRI taken
from the file name), so the TBox is written here from the SchemaView, declaring every property it uses.
Modelling (see docs/design.md): curated records are named individuals; schema classes are OWL classes,
pairwise disjoint; enum values are distinct individuals of an enum class; origins and categories also get
defined classes that a reasoner fills; evidence items get a label and a definition written from their
claim; the external classes and properties CIRO's axioms use are declared, so ciro-base.owl is OWL 2 DL
without its import.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rdflib import OWL, RDF, RDFS, XSD, BNode, Graph, Literal, Namespace, URIRef

from ..curate.rdf import kb_to_graph

__all__ = [
    "OntologyGraphs", "build_graphs", "version_iri", "BASE", "ONTOLOGY_IRI", "BASE_IRI", "FULL_IRI", "IMPORT_IRI",
    "CIRO", "VOCAB", "DEFINITION", "LICENSE", "PUBLICATION_RESOLVERS", "data_graph",
]

BASE = "https://w3id.org/ciro/"
ONTOLOGY_IRI = URIRef(BASE + "ciro.owl")
BASE_IRI = URIRef(BASE + "ciro-base.owl")
FULL_IRI = URIRef(BASE + "ciro-full.owl")
IMPORT_IRI = URIRef(BASE + "imports/ciro-external.owl")
VOCAB = Namespace(BASE + "vocab/")
CIRO = Namespace(BASE + "CIRO_")
DCTERMS = Namespace("http://purl.org/dc/terms/")
IAO = Namespace("http://purl.obolibrary.org/obo/IAO_")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
OBOINOWL = Namespace("http://www.geneontology.org/formats/oboInOwl#")
DEFINITION = IAO["0000115"]
LICENSE = URIRef("https://creativecommons.org/licenses/by/4.0/")
CREATOR = "CIRO curation team"
# Classes whose records are knowledge (individuals in the release); the container and the external-term
# registry are not.
_NOT_IN_RELEASE = {"KnowledgeBase", "ExternalTerm"}
# Literal slots that are annotations in OWL (labels, text), not data properties.
_ANNOTATION_IRIS = {
    str(RDFS.label), str(RDFS.comment), str(DEFINITION), str(OBOINOWL.hasExactSynonym),
    str(DCTERMS.title), str(DCTERMS.creator), str(SKOS.exactMatch),
}


# External terms are classes (MIREOT), except relations (RO, and BFO's 'part of') and IAO's annotation
# properties.
_EXTERNAL_KIND = {
    "RO": OWL.ObjectProperty,
    "BFO:0000050": OWL.ObjectProperty,
    "IAO:0000115": OWL.AnnotationProperty,
    "IAO:0000118": OWL.AnnotationProperty,
    "IAO:0000231": OWL.AnnotationProperty,
    "IAO:0100001": OWL.AnnotationProperty,
}


@dataclass(frozen=True)
class OntologyGraphs:
    """The graphs of one release."""

    main: Graph  # ciro.owl: own axioms + owl:imports of the external module
    base: Graph  # ciro-base.owl: own axioms only
    full: Graph  # ciro-full.owl: own axioms + external module merged
    external: Graph  # imports/ciro-external.owl
    data: Graph  # ciro-data.ttl: the instance RDF the schema maps the records to (what ciro.shacl.ttl validates)


def _words(name: str) -> str:
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).replace("_", " ").lower()


def _text(value) -> str:
    return " ".join(str(value).split())


@cache
def _view(schema_path: str):
    from linkml_runtime.utils.schemaview import SchemaView

    return SchemaView(schema_path)


def _annotation(pv, key: str) -> str | None:
    from jsonasobj2 import as_dict

    annotations = pv.annotations
    if not annotations:
        return None
    items = annotations if isinstance(annotations, dict) else as_dict(annotations)
    ann = items.get(key)
    if ann is None:
        return None
    return str(ann.get("value") if isinstance(ann, dict) else getattr(ann, "value", ann))


def _tbox(graph: Graph, schema_path: Path) -> None:
    """Schema classes, properties, enum classes and values, and the defined classes."""
    view = _view(str(schema_path))
    expand = view.expand_curie
    classes = view.all_classes()
    record_classes = [n for n, c in classes.items() if n not in _NOT_IN_RELEASE and n != "NamedThing"]
    for name in record_classes:
        cdef = classes[name]
        iri = URIRef(view.get_uri(cdef, expand=True))
        graph.add((iri, RDF.type, OWL.Class))
        graph.add((iri, RDFS.label, Literal(cdef.title or _words(name), lang="en")))
        graph.add((iri, DEFINITION, Literal(_text(cdef.description), lang="en")))
        parent = cdef.is_a if cdef.is_a and cdef.is_a in record_classes else None
        if parent:
            graph.add((iri, RDFS.subClassOf, URIRef(view.get_uri(classes[parent], expand=True))))
        for mapping in cdef.broad_mappings or []:
            graph.add((iri, RDFS.subClassOf, URIRef(expand(mapping))))
        for mapping in cdef.exact_mappings or []:
            graph.add((iri, SKOS.exactMatch, URIRef(expand(mapping))))
    # Enum values are named after slots (the claim relations) or could be; their labels must not repeat a
    # property's or class's label, or Protégé shows two "acts on". Such a value is qualified by its enum.
    taken = {_words(name) for name in view.all_slots()} | {classes[n].title or _words(n) for n in record_classes}
    enum_class_iri = {}
    for ename, edef in view.all_enums().items():
        eiri = VOCAB[ename]
        enum_class_iri[ename] = eiri
        graph.add((eiri, RDF.type, OWL.Class))
        graph.add((eiri, RDFS.label, Literal(_words(ename.removesuffix("Enum")) + " value", lang="en")))
        graph.add((eiri, DEFINITION, Literal(_text(edef.description), lang="en")))
        values = []
        for pname, pv in edef.permissible_values.items():
            if not pv.meaning:
                continue
            viri = URIRef(expand(pv.meaning))
            values.append(viri)
            graph.add((viri, RDF.type, OWL.NamedIndividual))
            graph.add((viri, RDF.type, eiri))
            label = pv.title or _words(pname)
            if label in taken:
                label = f"{label} ({_words(ename.removesuffix('Enum'))})"
            graph.add((viri, RDFS.label, Literal(label, lang="en")))
            graph.add((viri, DEFINITION, Literal(_text(pv.description), lang="en")))
        if len(values) > 1:
            # Distinct values are distinct individuals (OWL makes no unique-name assumption), so a reasoner
            # can tell that a mechanism whose single origin is tumor-intrinsic is not tumor-extrinsic.
            node = BNode(f"different_{ename}")
            graph.add((node, RDF.type, OWL.AllDifferent))
            graph.add((node, OWL.members, _rdf_list(graph, f"different_{ename}", values)))

    # A therapy is not a target, a mechanism is not a countermeasure, an enum value is none of them ... (true
    # of every pair of these classes); lets a reasoner catch a record typed twice or a link to the wrong kind.
    disjoint = [URIRef(view.get_uri(classes[n], expand=True)) for n in
                ("ResistanceMechanism", "Target", "Therapy", "Countermeasure", "Phenotype", "Evidence", "Publication")]
    disjoint += [enum_class_iri[name] for name in sorted(enum_class_iri)]
    node = BNode("disjoint_record_classes")
    graph.add((node, RDF.type, OWL.AllDisjointClasses))
    graph.add((node, OWL.members, _rdf_list(graph, "disjoint_record_classes", disjoint)))

    # Annotation properties CIRO uses on every term, declared so OWL tools do not guess their kind.
    for prop in (DEFINITION, SKOS.exactMatch, OBOINOWL.hasExactSynonym):
        graph.add((prop, RDF.type, OWL.AnnotationProperty))

    # Properties: one declaration per slot used by a record class, with domain and range.
    mechanism = URIRef(view.get_uri(classes["ResistanceMechanism"], expand=True))
    class_labels = {classes[n].title or _words(n) for n in record_classes}
    seen: dict[URIRef, tuple] = {}
    for cname in record_classes:
        if classes[cname].abstract:
            continue
        for slot in view.class_induced_slots(cname):
            if slot.identifier:
                continue
            piri = URIRef(view.get_uri(slot, expand=True))
            domain = _owner_class(view, slot.name, cname, classes)
            seen.setdefault(piri, (slot, set()))[1].add(domain)
    for piri, (slot, domains) in sorted(seen.items()):
        rng = slot.range or view.schema.default_range
        if str(piri) in _ANNOTATION_IRIS or rng == "ExternalTerm":
            kind = OWL.AnnotationProperty
        elif rng in classes or rng in enum_class_iri or rng in ("uriorcurie", "uri"):
            kind = OWL.ObjectProperty
        else:
            kind = OWL.DatatypeProperty
        graph.add((piri, RDF.type, kind))
        if str(piri).startswith(str(VOCAB)):
            label = _words(slot.name)
            if label in class_labels:  # the slot 'publication' and the class 'publication'
                label = "has " + label
            graph.add((piri, RDFS.label, Literal(label, lang="en")))
            graph.add((piri, DEFINITION, Literal(_text(slot.description), lang="en")))
        if kind == OWL.AnnotationProperty:
            continue
        graph.add((piri, RDFS.domain, _union(graph, f"domain_{slot.name}", sorted(domains))))
        if kind == OWL.ObjectProperty:
            if rng in enum_class_iri:
                graph.add((piri, RDFS.range, enum_class_iri[rng]))
            elif rng in classes:
                graph.add((piri, RDFS.range, URIRef(view.get_uri(classes[rng], expand=True))))
            elif slot.name == "about_object":
                # "The other end of the link named by about_relation": whatever the claim relations reach.
                graph.add((piri, RDFS.range, _union(graph, "range_about_object", _claim_ranges(view))))
            if slot.is_a:
                graph.add((piri, RDFS.subPropertyOf, URIRef(view.get_uri(view.get_slot(slot.is_a), expand=True))))
            for mapping in slot.broad_mappings or []:
                graph.add((piri, RDFS.subPropertyOf, URIRef(expand(mapping))))
            for mapping in slot.exact_mappings or []:
                graph.add((piri, RDFS.subPropertyOf, URIRef(expand(mapping))))
            if slot.name == "broader_mechanisms" or slot.name == "broader_therapies":
                graph.add((piri, RDF.type, OWL.TransitiveProperty))
            if not slot.multivalued:
                graph.add((piri, RDF.type, OWL.FunctionalProperty))
        else:
            graph.add((piri, RDFS.range, XSD.integer if rng == "integer" else XSD.string))
            if not slot.multivalued:
                graph.add((piri, RDF.type, OWL.FunctionalProperty))

    # Defined classes: "tumor-intrinsic mechanism" == ResistanceMechanism and (origin value tumor_intrinsic)
    for ename, slot_name in (("OriginEnum", "origin"), ("MechanismCategoryEnum", "categories")):
        slot = view.get_slot(slot_name)
        prop = URIRef(view.get_uri(slot, expand=True))
        defined = []
        for pname, pv in view.get_enum(ename).permissible_values.items():
            curie = _annotation(pv, "defined_class")
            if not curie:
                continue
            ciri = URIRef(expand(curie))
            defined.append(ciri)
            graph.add((ciri, RDF.type, OWL.Class))
            graph.add((ciri, RDFS.label, Literal(_annotation(pv, "defined_class_label"), lang="en")))
            graph.add((ciri, DEFINITION, Literal(
                f"A resistance mechanism whose {_words(slot_name).rstrip('s')} is {pv.title or _words(pname)}.",
                lang="en")))
            graph.add((ciri, RDFS.subClassOf, mechanism))
            restriction = BNode(f"restriction_{pname}")
            graph.add((restriction, RDF.type, OWL.Restriction))
            graph.add((restriction, OWL.onProperty, prop))
            graph.add((restriction, OWL.hasValue, URIRef(expand(pv.meaning))))
            intersection = BNode(f"definition_{pname}")
            graph.add((intersection, RDF.type, OWL.Class))
            members = _rdf_list(graph, f"definition_{pname}", [mechanism, restriction])
            graph.add((intersection, OWL.intersectionOf, members))
            graph.add((ciri, OWL.equivalentClass, intersection))
        if not slot.multivalued and len(defined) > 1:
            # One value per mechanism and distinct values (AllDifferent above): the classes cannot share a
            # member. Entailed already; stated so that Protégé shows it and a curator sees it.
            node = BNode(f"disjoint_{slot_name}_classes")
            graph.add((node, RDF.type, OWL.AllDisjointClasses))
            graph.add((node, OWL.members, _rdf_list(graph, f"disjoint_{slot_name}_classes", defined)))


def _union(graph: Graph, name: str, members: list[URIRef]) -> URIRef | BNode:
    """The class itself, or the union of several (a blank node with a stable id)."""
    if len(members) == 1:
        return members[0]
    node = BNode(name)
    graph.add((node, RDF.type, OWL.Class))
    graph.add((node, OWL.unionOf, _rdf_list(graph, name, members)))
    return node


def _claim_ranges(view) -> list[URIRef]:
    """The classes at the far end of the links an evidence item can be about (ClaimRelationEnum's slots)."""
    ranges = set()
    for name in view.get_enum("ClaimRelationEnum").permissible_values:
        ranges.add(URIRef(view.get_uri(view.get_class(view.get_slot(name).range), expand=True)))
    return sorted(ranges)


def _rdf_list(graph: Graph, name: str, items: list) -> BNode:
    """An rdf:List whose cells have stable blank-node ids (rdflib's Collection makes random ones)."""
    head = BNode(f"{name}_list_0")
    cell = head
    for n, item in enumerate(items):
        graph.add((cell, RDF.first, item))
        nxt = BNode(f"{name}_list_{n + 1}") if n + 1 < len(items) else RDF.nil
        graph.add((cell, RDF.rest, nxt))
        cell = nxt
    return head


def _owner_class(view, slot_name: str, cname: str, classes) -> URIRef:
    """The most general record class that has the slot (so a shared slot gets one domain)."""
    owner = cname
    for ancestor in view.class_ancestors(cname):
        if ancestor in classes and ancestor not in _NOT_IN_RELEASE and ancestor != "NamedThing":
            if slot_name in [s.name for s in view.class_induced_slots(ancestor)]:
                owner = ancestor
    return URIRef(view.get_uri(classes[owner], expand=True))


def _header(graph: Graph, iri: URIRef, version: str, title: str, description: str, publications) -> None:
    graph.add((iri, RDF.type, OWL.Ontology))
    graph.add((iri, OWL.versionIRI, version_iri(iri, version)))
    graph.add((iri, OWL.versionInfo, Literal(version)))
    graph.add((iri, DCTERMS.title, Literal(title, lang="en")))
    graph.add((iri, DCTERMS.description, Literal(description, lang="en")))
    graph.add((iri, DCTERMS.license, LICENSE))
    graph.add((iri, DCTERMS.creator, Literal(CREATOR)))
    for pub in publications:
        source = _publication_iri(pub)
        if source is not None:
            graph.add((iri, DCTERMS.source, source))
    for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.license, DCTERMS.creator, DCTERMS.source):
        graph.add((prop, RDF.type, OWL.AnnotationProperty))


def version_iri(iri: URIRef, version: str) -> URIRef:
    """The version IRI of one release product: releases/<version>/<path of the ontology IRI>."""
    return URIRef(f"{BASE}releases/{version}/{str(iri).removeprefix(BASE)}")


# Where the header's dcterms:source IRIs point (DOI, else PubMed Central, else PubMed).
PUBLICATION_RESOLVERS = (
    ("doi", "https://doi.org/"),
    ("pmcid", "https://www.ncbi.nlm.nih.gov/pmc/articles/"),
    ("pmid", "https://pubmed.ncbi.nlm.nih.gov/"),
)


def _publication_iri(pub: dict) -> URIRef | None:
    """The resolvable IRI of a publication: DOI, else PubMed Central, else PubMed."""
    for key, resolver in PUBLICATION_RESOLVERS:
        if pub.get(key):
            return URIRef(resolver + str(pub[key]))
    return None


def _abox(graph: Graph, data: dict[str, list[dict]], schema_path: Path) -> None:
    """Curated records as named individuals, with the super-property of each directed 'involves' link
    materialised so that SPARQL without reasoning finds every target in one hop."""
    records = {k: v for k, v in data.items() if k != "external_terms"}
    instance = kb_to_graph(records, schema_path)
    involves = VOCAB["involves"]
    for s, p, o in instance:
        graph.add((s, p, o))
        if p == RDF.type:
            graph.add((s, RDF.type, OWL.NamedIndividual))
        elif str(p).startswith(str(VOCAB["involves_"])):
            graph.add((s, involves, o))
    _evidence_annotations(graph, records, schema_path)


# How a claim reads when the slot name alone does not ("X broader mechanisms Y").
_CLAIM_PHRASES = {
    "broader_mechanisms": "is a kind of",
    "broader_therapies": "is a kind of",
    "agents": "uses",
    "combined_with": "is combined with",
    "therapy_targets": "acts on",
}


def _evidence_annotations(graph: Graph, records: dict[str, list[dict]], schema_path: Path) -> None:
    """A label and a definition for every evidence item, written from its claim and publication.

    Evidence items have neither in the data (the schema gives them none: a curator writes the quote, not
    a name), but they are CIRO terms with IRIs of their own, and Protégé would show them as bare IRIs.
    The label names the claim and the source: "evidence: <record> <relation> <object> (<publication>)".
    """
    view = _view(str(schema_path))
    expand = view.expand_curie
    record_class = {s.name: s.range for s in view.class_induced_slots("KnowledgeBase")}
    labels = {str(r["id"]): str(r["label"]) for items in records.values() for r in items if "label" in r}
    kinds = {}
    for slot_name, items in records.items():
        cdef = view.get_class(record_class[slot_name])
        for r in items:
            kinds[str(r["id"])] = cdef.title or _words(cdef.name)
    source_kinds = {name: pv.title or _words(name) for name, pv in view.get_enum("SourceKindEnum")
                    .permissible_values.items()}
    passages: Counter[str] = Counter()
    for items in records.values():
        for record in sorted(items, key=lambda r: str(r["id"])):
            subject = labels[str(record["id"])]
            for item in sorted(record.get("has_evidence") or [], key=lambda e: str(e["id"])):
                relation = item.get("about_relation")
                if relation:
                    phrase = _CLAIM_PHRASES.get(relation, _words(relation))
                    obj = item.get("about_object")
                    claim = f"{subject} {phrase} {labels.get(str(obj), str(obj))}"
                else:
                    claim = f"{subject} is a {kinds[str(record['id'])]}"
                publication = labels[str(item["publication"])]
                iri = URIRef(expand(str(item["id"])))
                label = f"evidence: {claim} ({publication})"
                passages[label] += 1
                if passages[label] > 1:  # a second passage of the same publication for the same claim
                    label = f"evidence: {claim} ({publication}, passage {passages[label]})"
                graph.add((iri, RDFS.label, Literal(label, lang="en")))
                direction = "refutes" if item.get("evidence_direction") == "refutes" else "supports"
                source = source_kinds.get(str(item.get("source_kind")), str(item.get("source_kind")))
                inferred = item.get("assertion_method") == "inferred"
                inferred = " (a curator's inference from the passage)" if inferred else ""
                graph.add((iri, DEFINITION, Literal(
                    f"A passage of {publication} ({source}) that {direction} the claim that {claim}{inferred}.",
                    lang="en")))


def _declare_references(own: Graph, external: Graph) -> None:
    """Declare, in CIRO's own graph, every external entity that CIRO's axioms use as a class or property.

    ciro-base.owl carries no import, and OWL 2 DL wants every entity declared: without this, the base
    file's `involves` ⊑ RO:0000057 uses an undeclared object property. A declaration says only what kind
    of entity the IRI is, not its label or place (those stay in the import module).
    """
    logical = (RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain, RDFS.range, OWL.equivalentClass,
               OWL.onProperty, OWL.someValuesFrom, OWL.allValuesFrom, OWL.disjointWith, RDF.first)
    declared = set(own.subjects(RDF.type, None))
    for p in logical:
        for o in list(own.objects(None, p)):
            if isinstance(o, URIRef) and o not in declared:
                for kind in external.objects(o, RDF.type):
                    own.add((o, RDF.type, kind))


def _external(data: dict[str, list[dict]], schema_path: Path, version: str) -> Graph:
    """MIREOT-style module: each external term as a class with its label and the one parent CIRO needs."""
    view = _view(str(schema_path))
    graph = Graph()
    graph.add((IMPORT_IRI, RDF.type, OWL.Ontology))
    graph.add((IMPORT_IRI, OWL.versionIRI, version_iri(IMPORT_IRI, version)))
    graph.add((IMPORT_IRI, OWL.versionInfo, Literal(version)))
    graph.add((IMPORT_IRI, DCTERMS.title, Literal("CIRO external terms (MIREOT import module)", lang="en")))
    graph.add((IMPORT_IRI, DCTERMS.description, Literal(
        "The external terms CIRO uses (genes, cell types, taxa, chemicals, processes, evidence types, relations), "
        "each with its IRI, its label and the one parent CIRO needs, as confirmed by the source named in "
        "dcterms:source (MIREOT). Replace it with the full ontologies by importing ciro-base.owl instead.",
        lang="en")))
    graph.add((IMPORT_IRI, DCTERMS.license, LICENSE))
    for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.license, DCTERMS.source):
        graph.add((prop, RDF.type, OWL.AnnotationProperty))
    for term in data.get("external_terms", []):
        iri = URIRef(view.expand_curie(term["id"]))
        prefix = str(term["id"]).split(":", 1)[0]
        kind = _EXTERNAL_KIND.get(str(term["id"]), _EXTERNAL_KIND.get(prefix, OWL.Class))
        graph.add((iri, RDF.type, kind))
        graph.add((iri, RDFS.label, Literal(term["label"])))
        graph.add((iri, DCTERMS.source, Literal(term["verified_by"])))
        if term.get("parent"):
            parent = URIRef(view.expand_curie(term["parent"]))
            link = RDFS.subClassOf if kind == OWL.Class else RDFS.subPropertyOf
            graph.add((iri, link, parent))
            graph.add((parent, RDF.type, kind))
            if term.get("parent_label"):
                graph.add((parent, RDFS.label, Literal(term["parent_label"])))
    return graph


def data_graph(data: dict[str, list[dict]], schema_path: Path) -> Graph:
    """The records as the schema maps them to RDF (external terms included: the shapes check that xrefs point at
    them), plus each directed involves_* link as `involves` too: the schema makes every involves_* slot `is_a:
    involves`, so a mechanism that involves loss of PTEN involves PTEN, and SPARQL finds every target in one hop."""
    graph = kb_to_graph(data, schema_path)
    involves = VOCAB["involves"]
    for s, p, o in list(graph):
        if str(p).startswith(str(VOCAB["involves_"])):
            graph.add((s, involves, o))
    _bind(graph, schema_path)
    return graph


def _bind(graph: Graph, schema_path: Path) -> None:
    view = _view(str(schema_path))
    for prefix, pdef in sorted(view.schema.prefixes.items()):
        graph.bind(prefix, str(pdef.prefix_reference), override=True, replace=True)
    graph.bind("owl", OWL)


def build_graphs(data: dict[str, list[dict]], schema_path: Path) -> OntologyGraphs:
    """All release graphs for a validated KB."""
    view = _view(str(schema_path))
    version = str(view.schema.version)
    description = _text(view.schema.description)
    publications = sorted(data.get("publications", []), key=lambda p: str(p.get("id")))
    own = Graph()
    _tbox(own, schema_path)
    _abox(own, data, schema_path)
    external = _external(data, schema_path, version)
    _declare_references(own, external)

    def variant(iri: URIRef, title: str, imports: bool, merged: bool) -> Graph:
        graph = Graph()
        _bind(graph, schema_path)
        for triple in own:
            graph.add(triple)
        _header(graph, iri, version, title, description, publications)
        if imports:
            graph.add((iri, OWL.imports, IMPORT_IRI))
        if merged:
            for s, p, o in external:
                if s != IMPORT_IRI:
                    graph.add((s, p, o))
        return graph

    _bind(external, schema_path)
    return OntologyGraphs(
        main=variant(ONTOLOGY_IRI, "CIRO: Cancer Immunotherapy Resistance Ontology", True, False),
        base=variant(BASE_IRI, "CIRO base: CIRO's own axioms", False, False),
        full=variant(FULL_IRI, "CIRO full: CIRO with its external terms merged", False, True),
        external=external,
        data=data_graph(data, schema_path),
    )
