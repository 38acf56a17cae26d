"""`ciro diff OLD NEW`: what changed between two releases (or a release and the working tree), from their axioms.

Both sides are read from ciro.ttl (CIRO's own axioms with the import declared, not merged) into sets of axioms,
never compared as text: an axiom is one triple on a named subject, or one blank-node structure that nothing
points at (an annotated axiom, an AllDisjointClasses), and every blank node in it is replaced by a structural
key, the sorted keys of its own triples, recursively. OWL's RDF mapping writes class expressions, lists and
axiom annotations as trees of blank nodes, so two files that say the same thing give the same keys whatever
their blank-node ids or order. On those sets:

* terms (CIRO's classes, properties and publications; evidence items are not terms): added, removed, obsoleted
  (owl:deprecated newly true), relabelled, redefined (IAO:0000115 changed);
* links: a record's SubClassOf a named class or an existential restriction (`involves loss of some PTEN`),
  with the evidence items that annotate that axiom;
* evidence items added, removed or changed (quote, publication, what they support), per publication;
* every axiom added or removed, the header (version IRI, date, citation) aside.
"""

from __future__ import annotations

import json
import weakref
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import OWL, RDF, RDFS, BNode, Graph, Literal, URIRef

from .vocab import CIRO, DEFINITION, TERM_REPLACED_BY, VOCAB

__all__ = ["Snapshot", "ReleaseDiff", "read_snapshot", "diff_snapshots", "diff_markdown", "axiom_set"]

SOURCE_FILE = "ciro.ttl"
_SEE_ALSO = RDFS.seeAlso
_OWN = (str(CIRO), str(VOCAB))
_PREFIXES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Term:
    curie: str
    kind: str
    label: str
    definition: str
    deprecated: bool
    replaced_by: str


@dataclass(frozen=True)
class Evidence:
    curie: str
    publication: str
    quote: str
    about: str  # the axiom it annotates (its structural key): what a change of evidence compares
    supports: str = field(compare=False)  # the same in words, "PTEN loss involves loss of some PTEN"


@dataclass(frozen=True)
class Snapshot:
    """What a diff needs of one release: its header, terms, links with their evidence, evidence, axioms."""

    name: str  # "0.1.0", a folder, or "working tree"
    version: str
    date: str
    terms: dict[str, Term]
    links: dict[tuple[str, str, str], tuple[str, ...]]  # (subject, property, object) CURIEs -> evidence ids
    evidence: dict[str, Evidence]
    publications: dict[str, str]  # CURIE -> label
    axioms: frozenset[str]


def _prefixes(graph: Graph) -> list[tuple[str, str]]:
    """(namespace, prefix), longest namespace first, from the file's own prefix declarations."""
    cached = _PREFIXES.get(graph)
    if cached is None:
        cached = sorted(((str(ns), prefix) for prefix, ns in graph.namespaces() if prefix), key=lambda x: -len(x[0]))
        _PREFIXES[graph] = cached
    return cached


def _curie(graph: Graph, node) -> str:
    """An IRI as a CURIE where one of the file's prefixes fits (CIRO:0000257), else <IRI>; other nodes in N3."""
    if isinstance(node, URIRef):
        for namespace, prefix in _prefixes(graph):
            if node.startswith(namespace) and node != namespace:
                return f"{prefix}:{node[len(namespace):]}"
        return f"<{node}>"
    return node.n3() if node is not None else ""


def _key(graph: Graph, node, seen: frozenset = frozenset()) -> str:
    """A node as text: an IRI or literal in Turtle form, a blank node as its structure (sorted, recursive)."""
    if isinstance(node, BNode):
        if node in seen:
            return "[ cycle ]"  # OWL's mapping has none; a hand-written file might
        inner = seen | {node}
        items = sorted(f"{_key(graph, p)} {_key(graph, o, inner)}" for p, o in graph.predicate_objects(node))
        return "[ " + " ; ".join(items) + " ]"
    return _curie(graph, node)


def _ontology_iris(graph: Graph) -> set:
    return set(graph.subjects(RDF.type, OWL.Ontology))


def axiom_set(graph: Graph) -> frozenset[str]:
    """Every axiom of `graph` as a canonical string (see the module's docstring); the ontology header left out."""
    header = _ontology_iris(graph)
    pointed_at = {o for o in graph.objects() if isinstance(o, BNode)}
    axioms = set()
    for s, p, o in graph:
        if isinstance(s, BNode):
            if s not in pointed_at:
                axioms.add(_key(graph, s))
        elif s not in header:
            axioms.add(f"{_key(graph, s)} {_key(graph, p)} {_key(graph, o)}")
    return frozenset(axioms)


def _kind(graph: Graph, iri: URIRef) -> str:
    types = set(graph.objects(iri, RDF.type))
    for owl_type, name in ((OWL.Class, "class"), (OWL.ObjectProperty, "object property"),
                           (OWL.AnnotationProperty, "annotation property"), (OWL.NamedIndividual, "individual")):
        if owl_type in types:
            return name
    return "entity"


def _text(graph: Graph, node, prop) -> str:
    value = graph.value(node, prop)
    return str(value) if value is not None else ""


def read_snapshot(folder: Path, name: str | None = None) -> Snapshot:
    """Read one release folder (releases/<version>/, ontology/, or a fresh build)."""
    path = folder / SOURCE_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{folder} holds no {SOURCE_FILE}: not a CIRO release folder")
    graph = Graph().parse(path, format="turtle")
    ontology = next(iter(sorted(_ontology_iris(graph))), None)
    evidence_class = VOCAB["Evidence"]
    evidence_ids = set(graph.subjects(RDF.type, evidence_class))
    labels = {s: str(o) for s, o in graph.subject_objects(RDFS.label)}

    def words(node) -> str:
        if isinstance(node, BNode):
            prop, filler = graph.value(node, OWL.onProperty), graph.value(node, OWL.someValuesFrom)
            if prop is not None and filler is not None:
                return f"{words(prop)} some {words(filler)}"
            return _key(graph, node)
        return labels.get(node, _curie(graph, node))

    terms = {}
    for iri, label in labels.items():
        if isinstance(iri, URIRef) and str(iri).startswith(_OWN) and iri not in evidence_ids:
            terms[_curie(graph, iri)] = Term(
                _curie(graph, iri), _kind(graph, iri), label, _text(graph, iri, DEFINITION),
                graph.value(iri, OWL.deprecated) == Literal(True), _curie(graph, graph.value(iri, TERM_REPLACED_BY))
                if graph.value(iri, TERM_REPLACED_BY) is not None else "")
    publications = {_curie(graph, p): labels.get(p, _curie(graph, p))
                    for p in set(graph.subjects(RDF.type, VOCAB["Publication"]))}

    # Links: a CIRO term SubClassOf a named class (not its record class) or an existential restriction.
    links: dict[tuple[str, str, str], list[str]] = {}
    targets: dict[tuple, tuple[str, str, str]] = {}
    for s, o in graph.subject_objects(RDFS.subClassOf):
        if not (isinstance(s, URIRef) and str(s).startswith(str(CIRO))):
            continue
        if isinstance(o, URIRef) and not str(o).startswith(str(VOCAB)):
            link = (_curie(graph, s), "rdfs:subClassOf", _curie(graph, o))
        elif isinstance(o, BNode) and graph.value(o, OWL.someValuesFrom) is not None:
            link = (_curie(graph, s), _curie(graph, graph.value(o, OWL.onProperty)),
                    _curie(graph, graph.value(o, OWL.someValuesFrom)))
        else:
            continue
        links[link] = []
        targets[(s, _key(graph, o))] = link
    evidence = {}
    for axiom in graph.subjects(RDF.type, OWL.Axiom):
        source, target = graph.value(axiom, OWL.annotatedSource), graph.value(axiom, OWL.annotatedTarget)
        link = targets.get((source, _key(graph, target)))
        supports = f"{words(source)} {'is_a ' if isinstance(target, URIRef) else ''}{words(target)}"
        about = f"{_key(graph, source)} {_key(graph, graph.value(axiom, OWL.annotatedProperty))} {_key(graph, target)}"
        for item in graph.objects(axiom, _SEE_ALSO):
            if item not in evidence_ids:
                continue
            curie = _curie(graph, item)
            evidence[curie] = Evidence(curie, _curie(graph, graph.value(axiom, VOCAB["publication"])),
                                       _text(graph, axiom, VOCAB["quote"]), about, supports)
            if link is not None:
                links[link].append(curie)
    return Snapshot(
        name=name or str(folder), version=_text(graph, ontology, OWL.versionInfo) if ontology else "",
        date=_text(graph, ontology, URIRef("http://purl.org/dc/terms/date")) if ontology else "",
        terms=terms, links={k: tuple(sorted(v)) for k, v in links.items()}, evidence=evidence,
        publications=publications, axioms=axiom_set(graph))


@dataclass
class ReleaseDiff:
    """The changes from `old` to `new`; `as_dict` is the JSON report, `diff_markdown` the Markdown one."""

    old: dict
    new: dict
    terms: dict = field(default_factory=dict)
    links: dict = field(default_factory=dict)
    evidence: list = field(default_factory=list)
    axioms: dict = field(default_factory=dict)

    def summary(self) -> dict[str, int]:
        counts = {f"terms {k}": len(v) for k, v in self.terms.items()}
        counts |= {f"links {k}": len(v) for k, v in self.links.items()}
        for kind in ("added", "removed", "changed"):
            counts[f"evidence {kind}"] = sum(len(p[kind]) for p in self.evidence)
        counts |= {f"axioms {k}": len(v) for k, v in self.axioms.items()}
        return counts

    @property
    def empty(self) -> bool:
        return not any(self.summary().values())

    def as_dict(self) -> dict:
        return {"old": self.old, "new": self.new, "summary": self.summary(), "terms": self.terms,
                "links": self.links, "evidence_by_publication": self.evidence, "axioms": self.axioms}

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=1, ensure_ascii=False) + "\n"


def _term_entry(term: Term) -> dict:
    return {"id": term.curie, "label": term.label, "kind": term.kind}


def diff_snapshots(old: Snapshot, new: Snapshot) -> ReleaseDiff:
    result = ReleaseDiff(old={"name": old.name, "version": old.version, "date": old.date},
                         new={"name": new.name, "version": new.version, "date": new.date})
    both = sorted(old.terms.keys() & new.terms.keys())
    obsoleted = [c for c in both if new.terms[c].deprecated and not old.terms[c].deprecated]
    result.terms = {
        "added": [_term_entry(new.terms[c]) for c in sorted(new.terms.keys() - old.terms.keys())],
        "removed": [_term_entry(old.terms[c]) for c in sorted(old.terms.keys() - new.terms.keys())],
        "obsoleted": [_term_entry(old.terms[c]) | {"replaced_by": new.terms[c].replaced_by} for c in obsoleted],
        "relabelled": [{"id": c, "old": old.terms[c].label, "new": new.terms[c].label} for c in both
                       if old.terms[c].label != new.terms[c].label
                       and not (c in obsoleted and new.terms[c].label == f"obsolete {old.terms[c].label}")],
        "redefined": [{"id": c, "label": new.terms[c].label, "old": old.terms[c].definition,
                       "new": new.terms[c].definition} for c in both
                      if old.terms[c].definition != new.terms[c].definition],
    }

    def label(snapshot: Snapshot, curie: str) -> str:
        term = snapshot.terms.get(curie)
        return term.label if term else curie

    def link_entry(snapshot: Snapshot, link: tuple[str, str, str]) -> dict:
        subject, prop, obj = link
        return {"subject": subject, "subject_label": label(snapshot, subject), "property": prop,
                "property_label": "is_a" if prop == "rdfs:subClassOf" else label(snapshot, prop),
                "object": obj, "object_label": label(snapshot, obj),
                "evidence": [_evidence_entry(snapshot, e) for e in snapshot.links[link]]}

    result.links = {
        "added": [link_entry(new, k) for k in sorted(new.links.keys() - old.links.keys())],
        "removed": [link_entry(old, k) for k in sorted(old.links.keys() - new.links.keys())],
    }
    by_publication: dict[str, dict] = {}

    def bucket(snapshot: Snapshot, pub: str) -> dict:
        return by_publication.setdefault(pub, {"publication": pub, "label": snapshot.publications.get(pub, pub),
                                               "added": [], "removed": [], "changed": []})

    for curie in sorted(new.evidence.keys() - old.evidence.keys()):
        bucket(new, new.evidence[curie].publication)["added"].append(_evidence_entry(new, curie))
    for curie in sorted(old.evidence.keys() - new.evidence.keys()):
        bucket(old, old.evidence[curie].publication)["removed"].append(_evidence_entry(old, curie))
    for curie in sorted(old.evidence.keys() & new.evidence.keys()):
        if old.evidence[curie] != new.evidence[curie]:
            bucket(new, new.evidence[curie].publication)["changed"].append(
                {"old": _evidence_entry(old, curie), "new": _evidence_entry(new, curie)})
    result.evidence = [by_publication[p] for p in sorted(by_publication)]
    result.axioms = {"added": sorted(new.axioms - old.axioms), "removed": sorted(old.axioms - new.axioms)}
    return result


def _evidence_entry(snapshot: Snapshot, curie: str) -> dict:
    item = snapshot.evidence[curie]
    return {"id": curie, "publication": item.publication,
            "publication_label": snapshot.publications.get(item.publication, item.publication),
            "supports": item.supports, "quote": item.quote}


def _quote(text: str, width: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def diff_markdown(diff: ReleaseDiff, level: int = 1, axioms: bool = True, title: bool = True) -> str:
    """The diff as Markdown; `level` is the heading level of its title (its sections one below), `title=False`
    leaves the title out and `axioms=False` lists the axioms by count only (the CHANGELOG does both)."""
    h = "#" * level
    old, new = diff.old, diff.new
    lines = [f"{h} Changes from {old['name']} to {new['name']}", "",
             f"{old['version'] or '?'} ({old['date'] or 'undated'}) → {new['version'] or '?'} "
             f"({new['date'] or 'undated'}).", ""] if title else []
    if diff.empty:
        return "\n".join(lines + ["No change.", ""])
    counts = ", ".join(f"{k.split()[0]} {k.split()[1]}: {n}" for k, n in diff.summary().items() if n)
    lines += [f"In short: {counts}.", ""]
    titles = {"added": "Terms added", "removed": "Terms removed (not obsoleted)", "obsoleted": "Terms obsoleted",
              "relabelled": "Terms relabelled", "redefined": "Terms redefined"}
    for key, title in titles.items():
        entries = diff.terms.get(key) or []
        if not entries:
            continue
        lines += [f"{h}# {title}", ""]
        for e in entries:
            if key == "relabelled":
                lines.append(f"- {e['id']}: '{e['old']}' → '{e['new']}'")
            elif key == "redefined":
                lines += [f"- {e['id']} '{e['label']}'", f"  - was: {_quote(e['old'])}", f"  - now: {_quote(e['new'])}"]
            elif key == "obsoleted":
                replaced = f", replaced by {e['replaced_by']}" if e["replaced_by"] else ""
                lines.append(f"- {e['id']} '{e['label']}' ({e['kind']}){replaced}")
            else:
                lines.append(f"- {e['id']} '{e['label']}' ({e['kind']})")
        lines.append("")
    for key in ("added", "removed"):
        entries = diff.links.get(key) or []
        if not entries:
            continue
        lines += [f"{h}# Links {key}", ""]
        for e in entries:
            lines.append(f"- {e['subject_label']} ({e['subject']}) — {e['property_label']} → "
                         f"{e['object_label']} ({e['object']})")
            for item in e["evidence"]:
                lines.append(f"  - evidence {item['id']} ({item['publication_label']}): \"{_quote(item['quote'])}\"")
        lines.append("")
    if diff.evidence:
        lines += [f"{h}# Evidence per publication", ""]
        for pub in diff.evidence:
            lines.append(f"- {pub['label']} ({pub['publication']}): {len(pub['added'])} added, "
                         f"{len(pub['removed'])} removed, {len(pub['changed'])} changed")
            for kind in ("added", "removed"):
                for item in pub[kind]:
                    lines.append(f"  - {kind} {item['id']}: {item['supports']}: \"{_quote(item['quote'])}\"")
            for change in pub["changed"]:
                lines.append(f"  - changed {change['new']['id']}: {change['new']['supports']}: "
                             f"\"{_quote(change['new']['quote'])}\"")
        lines.append("")
    if axioms and (diff.axioms["added"] or diff.axioms["removed"]):
        lines += [f"{h}# Axioms", "", "```diff"]
        lines += [f"- {a}" for a in diff.axioms["removed"]] + [f"+ {a}" for a in diff.axioms["added"]]
        lines += ["```", ""]
    elif diff.axioms["added"] or diff.axioms["removed"]:
        lines += [f"{h}# Axioms", "", f"{len(diff.axioms['added'])} added, {len(diff.axioms['removed'])} removed "
                  f"(`ciro diff {old['name']} {new['name']}` lists them).", ""]
    return "\n".join(lines)



WORKING_TREE = "tree"


def resolve(argument: str, releases_dir: Path, build_tree) -> Snapshot:
    """One side of `ciro diff`: a kept version ("0.1.0"), a release folder, or "tree" (the working tree, built
    by `build_tree()` into a temporary folder that it returns)."""
    from ..versions import kept_releases

    if argument == WORKING_TREE:
        return read_snapshot(build_tree(), "working tree")
    for release in kept_releases(releases_dir):
        if str(release.version) == argument:
            return read_snapshot(release.path, argument)
    folder = Path(argument)
    if folder.is_dir():
        return read_snapshot(folder, argument)
    kept = ", ".join(str(r.version) for r in kept_releases(releases_dir)) or "none"
    raise FileNotFoundError(f"'{argument}' is neither a kept release (kept: {kept}), a release folder, nor "
                            f"'{WORKING_TREE}'")
