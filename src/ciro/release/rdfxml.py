"""A deterministic RDF/XML writer: one rdf:Description per subject, declarations before use.

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

from xml.sax.saxutils import escape, quoteattr

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import split_uri

from .triples import Triples
from .vocab import OWL, RDF, RDFS

__all__ = ["serialize_rdfxml", "SECTIONS"]

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
        title = next(t for t, kind in SECTIONS if kind is None or kind in types)
        groups[title].append(subject)
    result = [(title, sorted(groups[title], key=_sort_key)) for title, _ in SECTIONS]
    result.append(("Blank nodes (restrictions, lists, axioms)", sorted(blank, key=_sort_key)))
    return [(title, subjects) for title, subjects in result if subjects]


def serialize_rdfxml(graph) -> bytes:
    """RDF/XML for `graph` (an rdflib Graph or a Triples), identical bytes for identical graphs (given stable
    blank-node ids). Works on a subject -> predicate -> objects table: one pass, no store look-ups."""
    if isinstance(graph, Triples):
        spo = graph.by_subject()
    else:
        spo = {}
        for s, p, o in graph:
            spo.setdefault(s, {}).setdefault(p, set()).add(o)
    bound = {str(ns): prefix for prefix, ns in graph.namespaces() if prefix}
    used: dict[str, str] = {str(RDF): "rdf"}
    predicates = {}
    for p in sorted({p for po in spo.values() for p in po}, key=str):
        ns, local = split_uri(p)
        if ns not in used:
            prefix = bound.get(ns) or _WELL_KNOWN.get(ns)
            if not prefix or prefix in used.values() or prefix == "xml":
                prefix = f"ns{len(used)}"
            used[ns] = prefix
        predicates[p] = f"{used[ns]}:{local}"

    attr: dict = {}  # quoteattr of each IRI once (most are repeated many times)

    def quoted(term) -> str:
        text = attr.get(term)
        if text is None:
            text = attr[term] = quoteattr(str(term))
        return text

    lines = ['<?xml version="1.0" encoding="utf-8"?>', "<rdf:RDF"]
    for ns, prefix in sorted(used.items(), key=lambda item: item[1]):
        lines.append(f"  xmlns:{prefix}={quoteattr(ns)}")
    lines[-1] += ">"
    append = lines.append
    for title, subjects in _sections(spo):
        append(f"  <!-- {title} -->")
        for subject in subjects:
            append(f"  <rdf:Description {_node_attr(subject)}>")
            po = spo[subject]
            for p in sorted(po, key=str):
                tag = predicates[p]
                objects = po[p]
                for o in (objects if len(objects) == 1 else sorted(objects, key=_sort_key)):
                    if type(o) is URIRef:
                        append(f"    <{tag} rdf:resource={quoted(o)}/>")
                    elif isinstance(o, URIRef):
                        append(f"    <{tag} rdf:resource={quoteattr(str(o))}/>")
                    elif isinstance(o, BNode):
                        append(f"    <{tag} rdf:nodeID={quoted(o)}/>")
                    else:
                        assert isinstance(o, Literal)
                        attrs = ""
                        if o.language:
                            attrs = f" xml:lang={quoteattr(o.language)}"
                        elif o.datatype is not None:
                            attrs = f" rdf:datatype={quoteattr(str(o.datatype))}"
                        append(f"    <{tag}{attrs}>{escape(str(o))}</{tag}>")
            append("  </rdf:Description>")
    append("</rdf:RDF>")
    return ("\n".join(lines) + "\n").encode("utf-8")
