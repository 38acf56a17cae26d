"""Quality control of a release graph, in the spirit of ROBOT report: one row per finding, by level.

`run_qc` checks an RDF graph of OWL (CIRO's imports closure: ciro.owl plus its import module) against
the rules in RULES and returns a QCReport; `ciro build` writes it to ontology/reports/qc-report.tsv in
ROBOT's TSV layout (Level, Rule Name, Subject, Property, Value) and refuses to release when any ERROR
is found. The rules that name a ROBOT check carry its name; the others are CIRO's own. Everything is
sorted, so the same graph gives the same bytes.

"Own" terms are those in the namespaces the caller names as CIRO's; labels and definitions are required
of them. External terms (the MIREOT import) need a label, not a definition.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

from rdflib import BNode, Graph, Literal, URIRef

from .vocab import OWL, RDF, RDFS, XSD

__all__ = ["ERROR", "WARN", "INFO", "RULES", "Finding", "QCReport", "Namespaces", "run_qc"]

ERROR, WARN, INFO = "ERROR", "WARN", "INFO"
_LEVEL_ORDER = {ERROR: 0, WARN: 1, INFO: 2}

DEFINITION = URIRef("http://purl.obolibrary.org/obo/IAO_0000115")
_DCTERMS = "http://purl.org/dc/terms/"
_SKOS_EXACT = URIRef("http://www.w3.org/2004/02/skos/core#exactMatch")
_BUILTIN_NAMESPACES = (str(RDF), str(RDFS), str(OWL), str(XSD))
_ENTITY_TYPES = {
    OWL.Class: "class",
    OWL.ObjectProperty: "property",
    OWL.DatatypeProperty: "property",
    OWL.AnnotationProperty: "property",
    OWL.NamedIndividual: "individual",
    RDFS.Datatype: "datatype",
}

# rule -> (level, what it finds). Rules named after ROBOT report's carry its level (robot-core's
# report_profile.txt), except missing_definition, an ERROR here: every CIRO term has a definition (ROBOT: WARN).
RULES: dict[str, tuple[str, str]] = {
    "missing_ontology_title": (ERROR, "an ontology without dcterms:title"),
    "missing_ontology_description": (ERROR, "an ontology without dcterms:description"),
    "missing_ontology_license": (ERROR, "an ontology without dcterms:license"),
    "missing_version_iri": (ERROR, "an ontology without owl:versionIRI"),
    "missing_label": (ERROR, "a CIRO term, or an imported class, property or individual, without rdfs:label"),
    "multiple_labels": (ERROR, "a term with more than one rdfs:label"),
    "duplicate_label": (ERROR, "two CIRO terms with the same label (ignoring case and spacing)"),
    "missing_definition": (ERROR, "a CIRO term without a definition (IAO:0000115)"),
    "multiple_definitions": (ERROR, "a term with more than one definition"),
    "duplicate_definition": (ERROR, "two CIRO terms with the same definition (ignoring case and spacing)"),
    "multiple_equivalent_classes": (ERROR, "a class with more than one equivalent class expression"),
    "misused_obsolete_label": (ERROR, "a term that is not deprecated with a label starting 'obsolete'"),
    "untyped_individual": (ERROR, "a CIRO individual asserted to be of no class"),
    "undeclared_property": (ERROR, "a predicate that is neither built in nor declared as a property"),
    "unknown_namespace": (ERROR, "an IRI outside the known namespaces (often a CURIE that did not expand)"),
    "deprecated_class_reference": (ERROR, "a deprecated class used by a term that is not deprecated"),
    "deprecated_property_reference": (ERROR, "a deprecated property in use"),
    "deprecated_individual_reference": (ERROR, "a deprecated individual used by a term that is not deprecated"),
    "label_whitespace": (ERROR, "a label with leading, trailing or repeated whitespace"),
    "label_formatting": (ERROR, "a label with a line break or tab"),
    "duplicate_label_synonym": (WARN, "a synonym of a CIRO term that is its own label or another CIRO term's label"),
    "duplicate_exact_synonym": (WARN, "two CIRO terms with the same exact synonym"),
    "missing_obsolete_label": (WARN, "a deprecated term whose label does not start with 'obsolete'"),
    "annotation_whitespace": (WARN, "an annotation value of a CIRO term with leading or trailing whitespace"),
    "lowercase_definition": (INFO, "a CIRO term's definition that starts with a lower-case letter"),
    "missing_superclass": (INFO, "a class with annotations but no superclass (a top-level class, or an orphan)"),
    "missing_xref": (INFO, "a CIRO term without skos:exactMatch, where others of its class have one"),
    "shared_label": (INFO, "a CIRO term with the label of an external term it is not mapped to"),
}


@dataclass(frozen=True, order=True)
class Finding:
    """One row of the report."""

    level: str
    rule: str
    subject: str
    property: str = ""
    value: str = ""

    def sort_key(self) -> tuple:
        return (_LEVEL_ORDER[self.level], self.rule, self.subject, self.property, self.value)


@dataclass(frozen=True)
class Namespaces:
    """Which IRIs are CIRO's own, which are known, and the prefixes that shorten them in the report."""

    own: tuple[str, ...]
    known: tuple[str, ...]
    prefixes: Mapping[str, str]  # prefix -> namespace

    def is_own(self, iri: str) -> bool:
        return iri.startswith(self.own)

    def is_known(self, iri: str) -> bool:
        return iri.startswith(self._all_known)

    @cached_property
    def _all_known(self) -> tuple[str, ...]:  # (joined once, not per IRI: QC asks for every IRI of the release)
        return self.own + self.known + _BUILTIN_NAMESPACES

    def curie(self, node) -> str:
        """The shortest CURIE for an IRI (longest matching namespace), else the IRI in angle brackets."""
        if isinstance(node, BNode):
            return f"_:{node}"
        if isinstance(node, Literal):
            return str(node)
        iri = str(node)
        best = max(((p, ns) for p, ns in self.prefixes.items() if iri.startswith(ns)),
                   key=lambda item: (len(item[1]), item[0]), default=None)
        return f"{best[0]}:{iri[len(best[1]):]}" if best else f"<{iri}>"


@dataclass(frozen=True)
class QCReport:
    """All findings, sorted by level, rule, subject."""

    findings: tuple[Finding, ...]

    def at(self, level: str) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.level == level)

    @property
    def ok(self) -> bool:
        """No ERROR (warnings and information do not block a release)."""
        return not self.at(ERROR)

    def counts(self) -> dict[str, int]:
        return {level: len(self.at(level)) for level in (ERROR, WARN, INFO)}

    def summary(self) -> str:
        c = self.counts()
        return f"{c[ERROR]} error(s), {c[WARN]} warning(s), {c[INFO]} info"

    def to_tsv(self) -> str:
        """ROBOT report's TSV layout."""
        lines = ["Level\tRule Name\tSubject\tProperty\tValue"]
        for f in self.findings:
            value = " ".join(f.value.split())
            lines.append("\t".join((f.level, f.rule, f.subject, f.property, value)))
        return "\n".join(lines) + "\n"


def run_qc(graph: Graph, namespaces: Namespaces) -> QCReport:
    """Check `graph` against every rule in RULES."""
    found: list[Finding] = []
    curie = namespaces.curie

    def add(rule: str, subject, prop="", value="") -> None:
        found.append(Finding(RULES[rule][0], rule, curie(subject), curie(prop) if prop else "",
                             curie(value) if not isinstance(value, str) else value))

    _check_headers(graph, add)
    entities = _entities(graph)
    _check_labels(graph, entities, namespaces, add)
    _check_definitions(graph, entities, namespaces, add)
    _check_individuals(graph, entities, namespaces, add)
    _check_properties(graph, add)
    _check_namespaces(graph, namespaces, add)
    _check_deprecated(graph, entities, add)
    _check_obo_rules(graph, entities, namespaces, add)
    return QCReport(tuple(sorted(set(found), key=Finding.sort_key)))


def _entities(graph: Graph) -> dict[URIRef, set[str]]:
    """Every named entity declared in the graph -> its kinds (class, property, individual, datatype)."""
    result: dict[URIRef, set[str]] = defaultdict(set)
    for rdf_type, kind in _ENTITY_TYPES.items():
        for s in graph.subjects(RDF.type, rdf_type):
            if isinstance(s, URIRef):
                result[s].add(kind)
    return result


def _check_headers(graph: Graph, add) -> None:
    dc = {name: URIRef(_DCTERMS + name) for name in ("title", "description", "license")}
    for onto in sorted(graph.subjects(RDF.type, OWL.Ontology), key=str):
        for name, prop in dc.items():
            if graph.value(onto, prop) is None:
                add(f"missing_ontology_{name}", onto, prop)
        if graph.value(onto, OWL.versionIRI) is None:
            add("missing_version_iri", onto, OWL.versionIRI)


def _needs_label(entity: URIRef, kinds: set[str], graph: Graph, namespaces: Namespaces) -> bool:
    if namespaces.is_own(str(entity)):
        return True
    if str(entity).startswith(_BUILTIN_NAMESPACES):
        return False
    # Imported terms need a label (MIREOT); vocabularies' annotation properties (dcterms, skos) do not.
    return kinds != {"property"} or (entity, RDF.type, OWL.AnnotationProperty) not in graph


def _check_labels(graph: Graph, entities, namespaces: Namespaces, add) -> None:
    by_label: dict[str, list[URIRef]] = defaultdict(list)
    for entity, kinds in entities.items():
        labels = list(graph.objects(entity, RDFS.label))
        if not labels and _needs_label(entity, kinds, graph, namespaces):
            add("missing_label", entity, RDFS.label)
        if len(labels) > 1:
            for label in labels:
                add("multiple_labels", entity, RDFS.label, str(label))
        for label in labels:
            text = str(label)
            if text != text.strip() or "  " in text:
                add("label_whitespace", entity, RDFS.label, text)
            if "\n" in text or "\t" in text or "\r" in text:
                add("label_formatting", entity, RDFS.label, text)
            by_label[" ".join(text.lower().split())].append(entity)
    for label, holders in by_label.items():
        own = sorted({e for e in holders if namespaces.is_own(str(e))}, key=str)
        if len(own) > 1:
            for entity in own:
                add("duplicate_label", entity, RDFS.label, label)
        external = sorted({e for e in holders if not namespaces.is_own(str(e))}, key=str)
        for entity in own:
            for other in external:
                if not _linked(graph, entity, other):
                    add("shared_label", entity, RDFS.label, other)


def _linked(graph: Graph, a: URIRef, b: URIRef) -> bool:
    """Mapped to each other: exact match, or one a subclass or sub-property of the other."""
    return any((x, p, y) in graph for x, y in ((a, b), (b, a))
               for p in (_SKOS_EXACT, RDFS.subClassOf, RDFS.subPropertyOf))


def _check_definitions(graph: Graph, entities, namespaces: Namespaces, add) -> None:
    for entity in entities:
        definitions = list(graph.objects(entity, DEFINITION))
        if not definitions and namespaces.is_own(str(entity)):
            add("missing_definition", entity, DEFINITION, str(graph.value(entity, RDFS.label) or ""))
        if len(definitions) > 1:
            for definition in definitions:
                add("multiple_definitions", entity, DEFINITION, str(definition))


def _check_individuals(graph: Graph, entities, namespaces: Namespaces, add) -> None:
    def label(entity) -> str:
        return str(graph.value(entity, RDFS.label) or "")

    typed: dict[URIRef, set] = {}
    for entity, kinds in entities.items():
        if "individual" in kinds and namespaces.is_own(str(entity)):
            classes = {c for c in graph.objects(entity, RDF.type) if c != OWL.NamedIndividual}
            typed[entity] = classes
            if not classes:
                add("untyped_individual", entity, RDF.type)
    # CIRO's classes (curated records) are grouped by their named CIRO superclasses (the record class), like
    # individuals by their class.
    for entity, kinds in entities.items():
        if "class" in kinds and namespaces.is_own(str(entity)) and (entity, OWL.deprecated, None) not in graph:
            parents = {p for p in graph.objects(entity, RDFS.subClassOf)
                       if isinstance(p, URIRef) and namespaces.is_own(str(p))}
            typed.setdefault(entity, set()).update(parents)
    # Groups whose members carry cross-references: a member without one is worth a look.
    with_xrefs = {c for e, classes in typed.items() if (e, _SKOS_EXACT, None) in graph for c in classes}
    for entity, classes in typed.items():
        if classes & with_xrefs and (entity, _SKOS_EXACT, None) not in graph:
            add("missing_xref", entity, _SKOS_EXACT, label(entity))


def _check_properties(graph: Graph, add) -> None:
    declared = {s for t in (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
                for s in graph.subjects(RDF.type, t)}
    for p in set(graph.predicates()):
        if not str(p).startswith(_BUILTIN_NAMESPACES) and p not in declared:
            for s in sorted(graph.subjects(p, None), key=str)[:1]:
                add("undeclared_property", p, p, s)


def _terms(graph: Graph) -> set:
    """Every distinct term of the graph (on the release's triple table, without a generator step per triple)."""
    if hasattr(graph, "by_subject"):
        terms = set()
        for s, po in graph.by_subject().items():
            terms.add(s)
            terms.update(po)
            for objects in po.values():
                terms.update(objects)
        return terms
    return {t for triple in graph for t in triple}


def _iris(graph: Graph) -> Iterable[URIRef]:
    for t in _terms(graph):
        kind = type(t)
        if kind is URIRef or (kind is not Literal and isinstance(t, URIRef)):
            yield t
        elif isinstance(t, Literal) and t.datatype is not None:
            yield t.datatype


def _check_namespaces(graph: Graph, namespaces: Namespaces, add) -> None:
    known = namespaces._all_known
    for iri in set(_iris(graph)):
        if not str.startswith(iri, known):  # str's own method (rdflib's URIRef.startswith takes no tuple): no copy
            add("unknown_namespace", iri, "", str(iri))


def _check_deprecated(graph: Graph, entities, add) -> None:
    deprecated = {s for s, o in graph.subject_objects(OWL.deprecated)
                  if isinstance(o, Literal) and o.toPython() is True}
    if not deprecated:
        return
    rule = {"class": "deprecated_class_reference", "property": "deprecated_property_reference",
            "individual": "deprecated_individual_reference", "datatype": "deprecated_class_reference"}

    def found(s, p, term) -> None:
        kinds = entities.get(term) or {"class"}
        add(rule[sorted(kinds)[0]], s, p, term)

    if not hasattr(graph, "by_subject"):
        for s, p, o in graph:
            if s not in deprecated:  # a deprecated term may point to its replacement or to other deprecated terms
                for term in (p, o):
                    if term in deprecated:
                        found(s, p, term)
        return
    # The release's triple table: a set test per (subject, predicate), not a Python step per triple (2.5 M at 100k)
    for s, po in graph.by_subject().items():
        if s in deprecated:
            continue
        for p, objects in po.items():
            if p in deprecated:
                for _o in objects:
                    found(s, p, p)
            if not deprecated.isdisjoint(objects):
                for o in objects:
                    if o in deprecated:
                        found(s, p, o)


_SYNONYMS = tuple(URIRef("http://www.geneontology.org/formats/oboInOwl#" + name) for name in
                  ("hasExactSynonym", "hasRelatedSynonym", "hasNarrowSynonym", "hasBroadSynonym"))
_LABEL = frozenset({RDFS.label})  # a set, not a tuple: `in` on a tuple calls rdflib's Python __eq__
_NOT_AN_ANNOTATION = {RDF.type, OWL.equivalentClass, OWL.disjointWith, OWL.equivalentProperty, OWL.sameAs,
                      OWL.differentFrom, OWL.inverseOf}


def _values_of(graph: Graph):
    """subject -> {predicate: objects}: the release's triple table as it is, or, for an rdflib graph, built per call."""
    if hasattr(graph, "by_subject"):
        table = graph.by_subject()
        return lambda subject: table.get(subject, {})

    def values(subject) -> dict:
        found: dict = {}
        for p, o in graph.predicate_objects(subject):
            found.setdefault(p, []).append(o)
        return found
    return values


def _norm(text) -> str:
    return " ".join(str(text).lower().split())


def _check_obo_rules(graph: Graph, entities, namespaces: Namespaces, add) -> None:
    """ROBOT report's rules on definitions, synonyms, obsolete labels and the class hierarchy."""
    deprecated = {s for s, o in graph.subject_objects(OWL.deprecated)
                  if isinstance(o, Literal) and o.toPython() is True}
    own = sorted((e for e in entities if namespaces.is_own(str(e)) and e not in deprecated), key=str)
    by_definition: dict[str, list[URIRef]] = defaultdict(list)
    labels: dict[str, list[URIRef]] = defaultdict(list)
    exact: dict[str, list[URIRef]] = defaultdict(list)
    values_of = _values_of(graph)
    for entity in own:
        values = values_of(entity)
        for definition in values.get(DEFINITION, ()):
            by_definition[_norm(definition)].append(entity)
            if str(definition)[:1].islower():
                add("lowercase_definition", entity, DEFINITION, str(definition))
        for label in values.get(RDFS.label, ()):
            labels[_norm(label)].append(entity)
            if str(label).lower().startswith("obsolete"):
                add("misused_obsolete_label", entity, RDFS.label, str(label))
        for synonym in values.get(_SYNONYMS[0], ()):
            exact[_norm(synonym)].append(entity)
        for p, objects in values.items():
            for o in objects:
                if isinstance(o, Literal) and p not in _LABEL and str(o) != str(o).strip():
                    add("annotation_whitespace", entity, p, str(o))
        if len(values.get(OWL.equivalentClass, ())) > 1:
            add("multiple_equivalent_classes", entity, OWL.equivalentClass)
    for definition, holders in by_definition.items():
        if len(holders) > 1:
            for entity in holders:
                add("duplicate_definition", entity, DEFINITION, definition)
    for synonym, holders in exact.items():
        if len(set(holders)) > 1:
            for entity in holders:
                add("duplicate_exact_synonym", entity, _SYNONYMS[0], synonym)
    for entity in own:
        for prop in _SYNONYMS:
            for synonym in graph.objects(entity, prop):
                for holder in labels.get(_norm(synonym), ()):
                    add("duplicate_label_synonym", entity, prop, f"{synonym} (label of {namespaces.curie(holder)})")
    for entity in deprecated:
        for label in graph.objects(entity, RDFS.label):
            if not str(label).startswith("obsolete "):
                add("missing_obsolete_label", entity, RDFS.label, str(label))
    for entity, kinds in entities.items():
        if "class" not in kinds or entity in deprecated or str(entity).startswith(_BUILTIN_NAMESPACES):
            continue
        if (entity, RDFS.subClassOf, None) in graph:
            continue
        if any(p not in _NOT_AN_ANNOTATION for p in graph.predicates(entity)):
            add("missing_superclass", entity, RDFS.subClassOf)

