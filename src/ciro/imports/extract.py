"""Read a source ontology and extract terms with their whole asserted ancestry (labels included).

What counts as a parent is what the file asserts: a named superclass (rdfs:subClassOf, OBO is_a), a named
super-property, the class of an individual, and the named parts of an equivalence to an intersection (OBO's
genus `intersection_of`), as ROBOT's `relax` step of an ODK release turns those into subclass axioms. An
ancestor the file names but does not describe (no label: the term lives in an ontology the file imports) is a
stop: it is recorded, and the table says the ancestry ends there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

__all__ = ["Term", "SourceOntology", "read_obo", "read_ofn", "read_rdfxml", "read_ontology", "extract", "curie"]

OBO = "http://purl.obolibrary.org/obo/"
THING = "http://www.w3.org/2002/07/owl#Thing"
KINDS = ("Class", "ObjectProperty", "AnnotationProperty", "NamedIndividual")
_OBO_IRI = re.compile(r"^http://purl\.obolibrary\.org/obo/([A-Za-z][A-Za-z0-9]*)_([A-Za-z0-9_]+)$")


@dataclass(frozen=True)
class Term:
    """One term of a source ontology: its kind, its label and the parents the file asserts."""

    id: str  # a CURIE for an OBO IRI, else the IRI
    kind: str  # one of KINDS
    label: str
    parents: tuple[str, ...]


@dataclass(frozen=True)
class SourceOntology:
    """The terms a file describes, and its header."""

    terms: dict[str, Term]
    ontology_iri: str | None
    version_iri: str | None


def curie(iri: str) -> str:
    """obo:CL_0000084 -> CL:0000084; any other IRI stays as it is."""
    m = _OBO_IRI.match(iri)
    return f"{m.group(1)}:{m.group(2)}" if m else iri


@dataclass
class _Collect:
    """Statements gathered while reading a file, turned into Terms at the end."""

    kinds: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    parents: dict[str, list[str]] = field(default_factory=dict)

    def parent(self, child: str, parent: str) -> None:
        found = self.parents.setdefault(child, [])
        if parent not in (child, THING, "owl:Thing") and parent not in found:  # owl:Thing is no stop
            found.append(parent)

    def label(self, term: str, text: str, lang: str | None) -> None:
        if lang in (None, "", "en") and (term not in self.labels or lang in (None, "")):
            self.labels[term] = text

    def ontology(self, ontology_iri: str | None, version_iri: str | None) -> SourceOntology:
        terms = {}
        for term, label in self.labels.items():
            kind = self.kinds.get(term)
            if kind is not None:
                terms[term] = Term(term, kind, label, tuple(self.parents.get(term, ())))
        return SourceOntology(terms, ontology_iri, version_iri)


# --- OBO flat file ------------------------------------------------------------------------------------------

def read_obo(text: str) -> SourceOntology:
    """An OBO 1.4 file, read by fastobo (the Rust OBO parser: escapes, qualifiers and comments as the spec has them):
    [Term] frames are classes, [Typedef] frames object properties. A file fastobo rejects (ECO's and SO's releases
    carry xrefs with spaces or escaped colons that OBO 1.4 does not allow) is read line by line instead."""
    import fastobo

    try:
        doc = fastobo.loads(text)
    except SyntaxError:
        return _read_obo_lines(text)
    got = _Collect()
    header: dict[str, str] = {}
    for clause in doc.header:
        header.setdefault(clause.raw_tag(), clause.raw_value())
    for frame in doc:
        if not isinstance(frame, (fastobo.term.TermFrame, fastobo.typedef.TypedefFrame)):
            continue  # [Instance] frames: no term of CIRO's sources is one
        term = str(frame.id)
        got.kinds[term] = "Class" if isinstance(frame, fastobo.term.TermFrame) else "ObjectProperty"
        for clause in frame:
            tag = clause.raw_tag()
            if tag == "name":
                got.label(term, clause.name, None)
            elif tag == "is_a":
                got.parent(term, str(clause.term if hasattr(clause, "term") else clause.typedef))
            elif tag == "intersection_of" and getattr(clause, "typedef", None) is None:  # the genus
                got.parent(term, str(clause.term))
            elif tag == "is_obsolete" and clause.obsolete:
                got.kinds.pop(term, None)
    return got.ontology(*_obo_iris(header))


def _obo_iris(header: dict[str, str]) -> tuple[str | None, str | None]:
    """The ontology IRI and owl:versionIRI of an OBO header, by OBO 1.4's translation to OWL: data-version V of
    ontology O gives obo:O/V/O.owl. A data-version that is itself a path to an .owl file is what the OWL API's OBO
    writer leaves of a version IRI that does not have that form (ROBOT's import modules: obo:mondo/releases/
    2021-08-03/imports/go_import.owl of ontology mondo/imports/go_import): the IRI is obo: and that path."""
    name, version = header.get("ontology"), header.get("data-version")
    if not name:
        return None, None
    if not version:
        return f"{OBO}{name}.owl", None
    if version.endswith(".owl"):
        return f"{OBO}{name}.owl", f"{OBO}{version}"
    return f"{OBO}{name}.owl", f"{OBO}{name}/{version}/{name}.owl"


def _read_obo_lines(text: str) -> SourceOntology:
    """The same, line by line, for a file fastobo rejects: the tags CIRO needs (id, name, is_a, the genus of
    intersection_of, is_obsolete), trailing comments and qualifiers stripped."""
    got = _Collect()
    header: dict[str, str] = {}
    stanza, term = None, None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("["):
            stanza, term = line, None
            continue
        tag, _, value = line.partition(":")
        value = re.sub(r"\s*\{[^}]*\}$", "", re.sub(r"\s+!.*$", "", value.strip()))  # comment, qualifiers
        if stanza is None:
            header.setdefault(tag, value)
        elif tag == "id":
            term = value
            got.kinds[term] = "Class" if stanza == "[Term]" else "ObjectProperty"
        elif term is None:
            continue
        elif tag == "name":
            got.label(term, value, None)
        elif tag == "is_a" or (tag == "intersection_of" and " " not in value):  # is_a, or the genus
            got.parent(term, value)
        elif tag == "is_obsolete" and value == "true":
            got.kinds.pop(term, None)
    return got.ontology(*_obo_iris(header))


# --- OWL functional syntax ----------------------------------------------------------------------------------

def _split(body: str) -> list[str]:
    """The top-level arguments of an OFN expression body: names, quoted literals, nested expressions."""
    parts, depth, start, quoted, i = [], 0, None, False, 0
    while i < len(body):
        c = body[i]
        if quoted:
            if c == "\\":
                i += 1
            elif c == '"':
                quoted = False
        elif c == '"':
            quoted = True
            start = i if start is None else start
        elif c == "(":
            depth += 1
            start = i if start is None else start
        elif c == ")":
            depth -= 1
        elif c.isspace() and depth == 0:
            if start is not None:
                parts.append(body[start:i])
                start = None
        elif start is None:
            start = i
        i += 1
    if start is not None:
        parts.append(body[start:])
    return parts


def read_ofn(text: str) -> SourceOntology:
    """An OWL 2 functional-syntax file, one axiom a line (as the OWL API and ROBOT write it)."""
    prefixes = dict(re.findall(r"^Prefix\(([\w-]*):=<([^>]*)>\)", text, re.M))
    got = _Collect()

    def iri(token: str) -> str | None:
        if token.startswith("<") and token.endswith(">"):
            return curie(token[1:-1])
        prefix, sep, local = token.partition(":")
        if sep and prefix in prefixes and "(" not in token and '"' not in token:
            return curie(prefixes[prefix] + local)
        return None

    ontology_iri = version_iri = None
    m = re.search(r"^Ontology\(<([^>]+)>(?:\s*<([^>]+)>)?", text, re.M)
    if m:
        ontology_iri, version_iri = m.group(1), m.group(2)
    for line in text.splitlines():
        keyword, _, rest = line.partition("(")
        if keyword not in ("Declaration", "AnnotationAssertion", "SubClassOf", "EquivalentClasses",
                           "SubObjectPropertyOf", "SubAnnotationPropertyOf", "ClassAssertion"):
            continue
        args = [a for a in _split(rest[:-1]) if not a.startswith("Annotation(")]
        names = [iri(a) for a in args]
        if keyword == "Declaration":
            kind, _, inner = args[0].partition("(")
            name = iri(inner[:-1])
            if kind in KINDS and name:
                got.kinds.setdefault(name, kind)
        elif keyword == "AnnotationAssertion" and len(args) == 3 and args[0] == "rdfs:label" and names[1]:
            m = re.match(r'^"((?:[^"\\]|\\.)*)"(?:@([\w-]+)|\^\^\S+)?$', args[2])
            if m:
                got.label(names[1], m.group(1).replace('\\"', '"').replace("\\\\", "\\"), m.group(2))
        elif keyword == "AnnotationAssertion" and len(args) == 3 and args[0] == "owl:deprecated" and names[1]:
            if args[2].startswith('"true"'):
                got.kinds.pop(names[1], None)
                got.kinds[names[1]] = "deprecated"
        elif keyword in ("SubClassOf", "SubObjectPropertyOf", "SubAnnotationPropertyOf") and len(args) == 2:
            if names[0] and names[1]:
                got.parent(names[0], names[1])
        elif keyword == "ClassAssertion" and len(args) == 2 and names[0] and names[1]:
            got.parent(names[1], names[0])
        elif keyword == "EquivalentClasses" and len(args) == 2 and names[0]:
            if args[1].startswith("ObjectIntersectionOf("):
                for part in _split(args[1][len("ObjectIntersectionOf("):-1]):
                    if iri(part):
                        got.parent(names[0], iri(part))
    got.kinds = {k: v for k, v in got.kinds.items() if v != "deprecated"}
    return got.ontology(ontology_iri, version_iri)


# --- RDF/XML ------------------------------------------------------------------------------------------------

def read_rdfxml(text: str) -> SourceOntology:
    """An RDF/XML OWL file (what ODK releases are)."""
    from rdflib import BNode, Graph, Literal, URIRef
    from rdflib.collection import Collection
    from rdflib.namespace import OWL, RDF, RDFS

    graph = Graph()
    graph.parse(data=text, format="xml")
    got = _Collect()
    kinds = {OWL.Class: "Class", OWL.ObjectProperty: "ObjectProperty", OWL.AnnotationProperty: "AnnotationProperty",
             OWL.NamedIndividual: "NamedIndividual"}
    deprecated = {s for s in graph.subjects(OWL.deprecated, None)
                  if any(str(o).lower() == "true" for o in graph.objects(s, OWL.deprecated))}
    for s, _, o in graph.triples((None, RDF.type, None)):
        if isinstance(s, URIRef) and o in kinds and s not in deprecated:
            got.kinds.setdefault(curie(str(s)), kinds[o])
    for s, _, o in graph.triples((None, RDFS.label, None)):
        if isinstance(s, URIRef) and isinstance(o, Literal):
            got.label(curie(str(s)), str(o), o.language)
    for prop in (RDFS.subClassOf, RDFS.subPropertyOf):
        for s, _, o in graph.triples((None, prop, None)):
            if isinstance(s, URIRef) and isinstance(o, URIRef):
                got.parent(curie(str(s)), curie(str(o)))
    for s, _, o in graph.triples((None, RDF.type, None)):  # an individual's classes
        if isinstance(s, URIRef) and isinstance(o, URIRef) and not str(o).startswith((str(OWL), str(RDF), str(RDFS))):
            got.parent(curie(str(s)), curie(str(o)))
    for s, _, o in graph.triples((None, OWL.equivalentClass, None)):
        if isinstance(s, URIRef) and isinstance(o, BNode):
            for members in graph.objects(o, OWL.intersectionOf):
                for part in Collection(graph, members):
                    if isinstance(part, URIRef):
                        got.parent(curie(str(s)), curie(str(part)))
    ontology_iri = next((str(s) for s in graph.subjects(RDF.type, OWL.Ontology) if isinstance(s, URIRef)), None)
    version = None
    if ontology_iri:
        version = next((str(o) for o in graph.objects(URIRef(ontology_iri), OWL.versionIRI)), None)
    return got.ontology(ontology_iri, version)


def read_ontology(text: str, path: str) -> SourceOntology:
    """Read by the file's syntax: .obo, functional syntax (starts with Prefix/Ontology), else RDF/XML."""
    if path.endswith(".obo"):
        return read_obo(text)
    if re.match(r"\s*(Prefix|Ontology)\(", text):
        return read_ofn(text)
    return read_rdfxml(text)


# --- extraction -----------------------------------------------------------------------------------------------

def extract(sources: Mapping[str, SourceOntology], home: Mapping[str, str], seeds: Iterable[str]
            ) -> tuple[dict[str, dict[str, Term]], dict[str, set[str]]]:
    """Each seed with all its ancestors, each term taken from the source it belongs to.

    A term belongs to the source `home` names for its prefix when that file describes it, else to the file that
    named it as a parent when that one does, else to the first source (in order) that does: RO's file describes
    BFO's 'part of', and UBERON's upper classes that CL's file names. An ancestor no source describes is a stop
    of the source that named it. Returns the terms per source and the stops per source (seeds no source
    describes are stops of the seed's home source).
    """
    def owner(term: str, referrer: str) -> str | None:
        for wanted in (home.get(term.split(":", 1)[0]), referrer):
            if wanted in sources and term in sources[wanted].terms:
                return wanted
        return next((name for name, onto in sources.items() if term in onto.terms), None)

    out: dict[str, dict[str, Term]] = {name: {} for name in sources}
    stops: dict[str, set[str]] = {name: set() for name in sources}
    todo = [(term, home.get(term.split(":", 1)[0], "")) for term in seeds]
    while todo:
        term, referrer = todo.pop()
        name = owner(term, referrer)
        if name is None:
            stops.setdefault(referrer, set()).add(term)
        elif term not in out[name]:
            out[name][term] = sources[name].terms[term]
            todo.extend((parent, name) for parent in out[name][term].parents)
    return out, stops
