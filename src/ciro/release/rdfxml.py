"""A deterministic RDF/XML writer: one typed node element per subject, as the OWL API writes, declarations first.

rdflib's RDF/XML writers order subjects and nesting by Python set iteration, which changes with the
hash seed, so two builds of the same input differ. The release must be byte-reproducible; this writer
sorts everything and names blank nodes by their (already deterministic) ids.

Subjects are written in sections: annotation properties, the ontology header, object properties, data
properties, datatypes, classes, named individuals, other named subjects, and blank nodes last. The
order matters to the OWL API 3.4.3 parser (Protégé 4, owlready2's HermiT and Pellet): it reads
annotation properties as it streams, and an annotation with an IRI value whose property is declared
further down the file is added to the ontology but also left among the "unparsed triples" it reports
(see docs/design.md, "OWL API 3.4.3 and the order of the file"). Annotation properties therefore come
first, before even the ontology header, whose license and sources are IRI-valued annotations.
"""

from __future__ import annotations

import os
from xml.sax.saxutils import escape, quoteattr

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import split_uri

from .triples import Triples
from .vocab import OWL, RDF, RDFS

__all__ = ["serialize_rdfxml", "write_rdfxml", "rdfxml_lines", "Rendered", "SECTIONS"]

# (section title, the rdf:type that puts a subject there); a subject goes to its first matching section.
SECTIONS: tuple[tuple[str, URIRef | None], ...] = (
    ("Annotation properties", OWL.AnnotationProperty),
    ("Ontology", OWL.Ontology),
    ("Object properties", OWL.ObjectProperty),
    ("Data properties", OWL.DatatypeProperty),
    ("Datatypes", RDFS.Datatype),
    ("Classes", OWL.Class),
    ("Individuals", OWL.NamedIndividual),
    ("Other named resources", None),
)
_TYPES = frozenset({RDF.type})  # `p in _TYPES`, not `p == RDF.type`: rdflib's __eq__ is Python code
# Prefixes for namespaces that a graph may use without binding (RDF/XML needs one for every predicate).
_WELL_KNOWN = {"http://purl.obolibrary.org/obo/": "obo"}


def _node_attr(node) -> str:
    if isinstance(node, BNode):
        return f"rdf:nodeID={quoteattr(str(node))}"
    return f"rdf:about={quoteattr(str(node))}"


def _sort_key(term):
    return (0 if isinstance(term, URIRef) else 1 if isinstance(term, BNode) else 2, str(term),
            str(getattr(term, "language", "") or ""), str(getattr(term, "datatype", "") or ""))


def _sections(spo: dict) -> list[tuple[str, list]]:
    """Subjects grouped by section (in SECTIONS order, blank nodes last), each group sorted."""
    groups: dict[str, list] = {title: [] for title, _ in SECTIONS}
    blank: list = []
    for subject, po in spo.items():
        if isinstance(subject, BNode):
            blank.append(subject)
            continue
        types = po.get(RDF.type, ())
        title = next(t for t, kind in _SECTION_KINDS if kind is None or not kind.isdisjoint(types))
        groups[title].append(subject)
    result = [(title, sorted(groups[title], key=_sort_key)) for title, _ in SECTIONS]
    result.append(("Blank nodes (restrictions, lists, axioms)", sorted(blank, key=_sort_key)))
    return [(title, subjects) for title, subjects in result if subjects]


# The element a subject is written as when its rdf:type allows (OWL API style: <owl:Class rdf:about=...>):
# named subjects by their section's type, blank nodes by the first of these they have.
_BLANK_ELEMENTS = (OWL.Axiom, OWL.Restriction, OWL.AllDisjointClasses, OWL.Class)
_BUILT_IN = (str(OWL), str(RDF), str(RDFS))


# Each kind as a one-term set: `not {kind}.isdisjoint(types)` is set look-ups in C, where `kind in types` (types
# is often a 1-tuple) called rdflib's Python __eq__ once per subject and kind (millions of times at 100k).
_SECTION_KINDS = [(title, None if kind is None else frozenset({kind})) for title, kind in SECTIONS]
_NAMED_ELEMENTS = [(kind, frozenset({kind})) for _title, kind in SECTIONS if kind is not None]
_BLANK_KINDS = [(kind, frozenset({kind})) for kind in _BLANK_ELEMENTS]


def _element_type(subject, po: dict):
    types = po.get(RDF.type, ())
    kinds = _BLANK_KINDS if isinstance(subject, BNode) else _NAMED_ELEMENTS
    return next((kind for kind, one in kinds if not one.isdisjoint(types)), None)


def serialize_rdfxml(graph, typed: bool = True) -> bytes:
    """The RDF/XML of `graph` as bytes (see rdfxml_lines)."""
    return "".join(rdfxml_lines(graph, typed)).encode("utf-8")


class Rendered:
    """Where each subject's text went in an RDF/XML file `write_rdfxml` wrote: a later document of a graph that
    shares most of its subjects (the release variants share CIRO's own subjects' tables) copies those bytes
    instead of writing them again (`write_rdfxml(..., reuse=...)`)."""

    def __init__(self, path):
        self.path = path
        self.spo: dict = {}
        self.used: dict[str, str] = {}  # namespace -> prefix the file used
        self.spans: dict = {}  # subject -> (start, end) of its text in the file


def write_rdfxml(graph, path, typed: bool = True, record: bool = False, reuse: Rendered | None = None):
    """The RDF/XML of `graph` into `path`, streamed: at 100,000 evidence items the file is 200 MB. With `record`,
    returns where each subject's text is (`Rendered`); with `reuse` (what an earlier call recorded), a subject
    whose predicate table is the very one the earlier graph had, named with the same prefixes, is copied from
    the earlier file: the same bytes as writing it (its text depends on nothing else), without the work."""
    rendered = Rendered(path) if record else None
    with open(path, "wb") as handle:
        offset, pending = 0, None  # pending: a span of the earlier file still to copy (consecutive ones merged)
        source = open(reuse.path, "rb") if reuse is not None else None
        try:
            for subject, chunk in _chunks(graph, typed, reuse, rendered):
                if type(chunk) is tuple:
                    if pending is not None and pending[1] == chunk[0]:
                        pending = (pending[0], chunk[1])
                        continue
                    if pending is not None:
                        offset += _copy(source, handle, pending)
                    pending = chunk
                    continue
                if pending is not None:
                    offset += _copy(source, handle, pending)
                    pending = None
                data = chunk.encode("utf-8")
                handle.write(data)
                if rendered is not None and subject is not None:
                    rendered.spans[subject] = (offset, offset + len(data))
                offset += len(data)
            if pending is not None:
                offset += _copy(source, handle, pending)
        finally:
            if source is not None:
                source.close()
    return rendered


def _copy(source, handle, span: tuple[int, int]) -> int:
    """Bytes span[0]:span[1] of `source` appended to `handle` (in the kernel where it can)."""
    start, end = span
    handle.flush()
    size, done = end - start, 0
    copy_range = getattr(os, "copy_file_range", None)
    while done < size:
        if copy_range is not None:
            try:
                n = copy_range(source.fileno(), handle.fileno(), size - done, start + done)
            except OSError:
                copy_range = None
                continue
        else:
            data = os.pread(source.fileno(), min(size - done, 1 << 24), start + done)
            n = os.write(handle.fileno(), data) if data else 0
        if n <= 0:
            raise OSError(f"could not copy from {source.name}")
        done += n
    handle.seek(0, os.SEEK_END)  # copy_file_range moved the file's offset, not the buffered writer's
    return size


def rdfxml_lines(graph, typed: bool = True):
    """RDF/XML for `graph` (an rdflib Graph or a Triples), identical bytes for identical graphs (given stable
    blank-node ids). Works on a subject -> predicate -> objects table: one pass, no store look-ups.

    `typed` (the release's form) writes each subject as a typed node element, as the OWL API does
    (`<owl:Class rdf:about=...>`), the ontology header first (the OWL API's AutoIRIMapper and ROBOT find the
    ontology IRI there, and in xml:base), its IRI-valued annotations (licence, sources) in a second
    description after the annotation properties (see the module's note on OWL API 3.4.3). `typed=False`
    writes one rdf:Description per subject, annotation properties first: the older form, kept to compare."""
    for _subject, text in _chunks(graph, typed, None, None):
        yield text


def _chunks(graph, typed: bool, reuse: Rendered | None, rendered: Rendered | None):
    """(subject, its text) per subject, (None, text) for the rest; with `reuse`, (subject, (start, end)) for a
    subject whose text is that span of the earlier file (see write_rdfxml)."""
    if isinstance(graph, Triples):
        spo = graph.by_subject()
    else:
        spo = {}
        for s, p, o in graph:
            spo.setdefault(s, {}).setdefault(p, set()).add(o)
    bound = {str(ns): prefix for prefix, ns in graph.namespaces() if prefix}
    used: dict[str, str] = {str(RDF): "rdf"}
    names = {}

    def qname(iri) -> str:
        if iri not in names:
            ns, local = split_uri(iri)
            if ns not in used:
                prefix = bound.get(ns) or _WELL_KNOWN.get(ns)
                if not prefix or prefix in used.values() or prefix == "xml":
                    prefix = f"ns{len(used)}"
                used[ns] = prefix
            names[iri] = f"{used[ns]}:{local}"
        return names[iri]

    for p in sorted({p for po in spo.values() for p in po}, key=str):
        qname(p)
    elements = {}
    if typed:
        for subject, po in spo.items():
            kind = _element_type(subject, po)
            if kind is not None:
                elements[subject] = kind
        for kind in sorted(set(elements.values()), key=str):
            qname(kind)

    attr: dict = {}  # quoteattr of each IRI once (most are repeated many times)

    def quoted(term) -> str:
        text = attr.get(term)
        if text is None:
            text = attr[term] = quoteattr(str(term))
        return text

    ontologies = [s for s, po in spo.items() if OWL.Ontology in po.get(RDF.type, ())]
    head = ['<?xml version="1.0" encoding="utf-8"?>', "<rdf:RDF"]
    if typed and len(ontologies) == 1:
        head.append(f"  xml:base={quoteattr(str(ontologies[0]))}")
    for ns, prefix in sorted(used.items(), key=lambda item: item[1]):
        head.append(f"  xmlns:{prefix}={quoteattr(ns)}")
    head[-1] += ">"
    yield None, "\n".join(head) + "\n"
    if rendered is not None:
        rendered.spo, rendered.used = spo, dict(used)
    # A subject's text can be copied from the earlier file when every namespace both files use has the same
    # prefix in both (a shared subject's names are then the same) and its predicate table is the same object.
    shared = {} if reuse is None or any(reuse.used.get(ns, prefix) != prefix for ns, prefix in used.items()) \
        else reuse.spo
    spans = reuse.spans if reuse is not None else {}
    lines: list[str] = []  # the lines of one subject (or section title) at a time
    append = lines.append

    def write(subject, po: dict) -> None:
        kind = elements.get(subject)
        tag = names[kind] if kind is not None else "rdf:Description"
        opening = len(lines)
        append(f"  <{tag} {_node_attr(subject)}>")
        for p in sorted(po, key=str):
            ptag = names[p]
            objects = po[p]
            if p in _TYPES and kind is not None:
                objects = set(objects) - {kind}
            for o in (objects if len(objects) == 1 else sorted(objects, key=_sort_key)):
                if type(o) is URIRef:
                    append(f"    <{ptag} rdf:resource={quoted(o)}/>")
                elif isinstance(o, URIRef):
                    append(f"    <{ptag} rdf:resource={quoteattr(str(o))}/>")
                elif isinstance(o, BNode):
                    append(f"    <{ptag} rdf:nodeID={quoted(o)}/>")
                else:
                    assert isinstance(o, Literal)
                    attrs = ""
                    if o.language:
                        attrs = f" xml:lang={quoteattr(o.language)}"
                    elif o.datatype is not None:
                        attrs = f" rdf:datatype={quoteattr(str(o.datatype))}"
                    append(f"    <{ptag}{attrs}>{escape(str(o))}</{ptag}>")
        if len(lines) == opening + 1:  # nothing but its type: an empty element, as the OWL API writes it
            lines[opening] = f"  <{tag} {_node_attr(subject)}/>"
        else:
            append(f"  </{tag}>")

    def flush() -> str:
        text = "\n".join(lines) + "\n" if lines else ""
        lines.clear()
        return text

    sections = _sections(spo)
    later: dict = {}  # the ontology header's IRI-valued annotations, written after the annotation properties
    if typed:
        header = [(title, subjects) for title, subjects in sections if title == "Ontology"]
        sections = header + [(title, subjects) for title, subjects in sections if title != "Ontology"]
    for title, subjects in sections:
        append(f"  <!-- {title} -->")
        yield None, flush()
        for subject in subjects:
            po = spo[subject]
            if shared and title != "Ontology" and shared.get(subject) is po and subject in spans:
                yield subject, spans[subject]
                continue
            if typed and title == "Ontology":
                iri_valued = {p: objects for p, objects in po.items() if not str(p).startswith(_BUILT_IN)
                              and any(isinstance(o, URIRef) for o in objects)}
                if iri_valued:
                    later[subject] = iri_valued
                    po = {p: objects for p, objects in po.items() if p not in iri_valued}
            write(subject, po)
            yield (None if title == "Ontology" else subject), flush()
        if title == "Annotation properties" and later:
            append("  <!-- Ontology annotations with IRI values (after their properties' declarations) -->")
            for subject in sorted(later, key=_sort_key):
                elements.pop(subject, None)
                write(subject, later[subject])
            later = {}
            yield None, flush()
    for subject in sorted(later, key=_sort_key):  # no annotation property section: at the end
        elements.pop(subject, None)
        write(subject, later[subject])
    append("</rdf:RDF>")
    yield None, flush()
