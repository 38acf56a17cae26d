"""The release read back as typed records: the entities, links, evidence and publications the site shows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..curate.errors import CiroError

__all__ = [
    "DocsError", "CIRO_BASE", "VOCAB", "MAP_KINDS", "KINDS", "Entity", "Link", "EvidenceItem", "Publication", "Release",
    "curie", "slug",
]

class DocsError(CiroError):
    """The documentation site (or a picture of it) could not be written."""


CIRO_BASE = "https://w3id.org/ciro/CIRO_"
VOCAB = "https://w3id.org/ciro/vocab/"

# record class -> kind, in the order the site lists them
KINDS: dict[str, str] = {
    "ResistanceMechanism": "mechanism",
    "Target": "target",
    "Therapy": "therapy",
    "Countermeasure": "countermeasure",
    "Phenotype": "phenotype",
}
# the kinds drawn on the resistance map
MAP_KINDS = ("mechanism", "target", "therapy", "countermeasure")

# relations between curated entities (slot names); `involves` is the generic super-property
RELATIONS = (
    "broader_mechanisms", "undermines", "involves", "involves_loss_of", "involves_gain_of",
    "involves_upregulation_of", "involves_downregulation_of", "involves_mutation_of", "involves_dysregulation_of",
    "leads_to", "counteracts", "acts_on", "agents", "combined_with", "therapy_targets", "broader_therapies",
)

_PREFIXES = f"""PREFIX v: <{VOCAB}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX IAO: <http://purl.obolibrary.org/obo/IAO_>
PREFIX oboInOwl: <http://www.geneontology.org/formats/oboInOwl#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""


def curie(iri: str) -> str:
    """`https://w3id.org/ciro/CIRO_0000261` -> `CIRO:0000261` (other IRIs are returned as they are)."""
    return "CIRO:" + iri[len(CIRO_BASE):] if iri.startswith(CIRO_BASE) else iri


def slug(iri: str) -> str:
    """The file-name stem of a CIRO term's page: `CIRO_0000261`."""
    return "CIRO_" + iri[len(CIRO_BASE):] if iri.startswith(CIRO_BASE) else iri.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Entity:
    """A curated mechanism, target, therapy, countermeasure or phenotype."""

    iri: str
    kind: str
    label: str
    definition: str = ""
    synonyms: tuple[str, ...] = ()
    origin: str = ""  # for mechanisms: the origin's label (tumor-cell-intrinsic / -extrinsic)
    subkind: str = ""  # target kind or therapy kind label

    @property
    def curie(self) -> str:
        return curie(self.iri)

    @property
    def slug(self) -> str:
        return slug(self.iri)


@dataclass(frozen=True, order=True)
class Link:
    """A link between two curated entities, named by its slot."""

    subject: str
    relation: str
    object: str


@dataclass(frozen=True)
class EvidenceItem:
    """One evidence item: the record it backs, the link it supports (if any), its publication and quote."""

    iri: str
    holder: str
    publication: str
    quote: str
    evidence_type: str
    evidence_type_label: str = ""
    relation: str = ""  # slot name of the link supported; empty when it supports the record itself
    about: str = ""
    direction: str = ""
    source_kind: str = ""
    assertion: str = ""
    note: str = ""


@dataclass(frozen=True)
class Publication:
    """A cited publication."""

    iri: str
    label: str
    title: str = ""
    authors: tuple[str, ...] = ()
    journal: str = ""
    year: str = ""
    doi: str = ""
    pmid: str = ""
    pmcid: str = ""

    @property
    def slug(self) -> str:
        return slug(self.iri)


@dataclass(frozen=True)
class Release:
    """Everything the site shows, read from a loaded release store; every collection is in a stable order."""

    entities: dict[str, Entity]
    links: tuple[Link, ...]
    evidence: tuple[EvidenceItem, ...]
    publications: dict[str, Publication]
    labels: dict[str, str] = field(default_factory=dict)  # label of every labelled IRI (CIRO and external)

    @classmethod
    def from_store(cls, store) -> Release:
        """Read a pyoxigraph store holding the release (see `ciro.query.load_store`)."""
        labels = {row[0]: row[1] for row in _rows(store, "SELECT ?s ?l WHERE { ?s rdfs:label ?l }")}
        synonyms: dict[str, list[str]] = {}
        for s, syn in _rows(store, "SELECT ?s ?y WHERE { ?s oboInOwl:hasExactSynonym ?y }"):
            synonyms.setdefault(s, []).append(syn)
        attrs: dict[tuple[str, str], str] = {}
        for s, p, o in _rows(store, """SELECT ?s ?p ?o WHERE {
              VALUES ?p { v:origin v:target_kind v:therapy_kind } ?s ?p ?x . ?x rdfs:label ?o }"""):
            attrs[s, p] = o
        values = " ".join(f"v:{name}" for name in KINDS)
        entities = {}
        for s, cls_iri, label, definition in _rows(store, f"""SELECT ?s ?c ?l ?d WHERE {{
              VALUES ?c {{ {values} }} ?s a ?c ; rdfs:label ?l . OPTIONAL {{ ?s IAO:0000115 ?d }} }}"""):
            entities[s] = Entity(
                iri=s, kind=KINDS[cls_iri[len(VOCAB):]], label=label, definition=definition or "",
                synonyms=tuple(sorted(synonyms.get(s, ()))), origin=attrs.get((s, VOCAB + "origin"), ""),
                subkind=attrs.get((s, VOCAB + "target_kind")) or attrs.get((s, VOCAB + "therapy_kind"), ""),
            )
        entities = dict(sorted(entities.items()))
        rels = " ".join(f"v:{name}" for name in RELATIONS)
        links = sorted(
            Link(s, p[len(VOCAB):], o)
            for s, p, o in _rows(store, f"SELECT ?s ?p ?o WHERE {{ VALUES ?p {{ {rels} }} ?s ?p ?o }}")
            if s in entities and o in entities
        )
        evidence = []
        for row in _rows(store, """SELECT ?h ?e ?pub ?q ?t ?rel ?about ?dir ?sk ?am ?note WHERE {
              ?h v:has_evidence ?e . ?e v:publication ?pub ; v:quote ?q ; v:evidence_type ?t .
              OPTIONAL { ?e v:about_relation ?r . ?r rdfs:label ?rel }
              OPTIONAL { ?e v:about_object ?about }
              OPTIONAL { ?e v:evidence_direction ?d . ?d rdfs:label ?dir }
              OPTIONAL { ?e v:source_kind ?k . ?k rdfs:label ?sk }
              OPTIONAL { ?e v:assertion_method ?m . ?m rdfs:label ?am }
              OPTIONAL { ?e v:curator_note ?note } }"""):
            h, e, pub, quote, etype, rel, about, direction, source_kind, assertion, note = row
            evidence.append(EvidenceItem(
                iri=e, holder=h, publication=pub, quote=quote, evidence_type=etype,
                evidence_type_label=labels.get(etype, ""), relation=(rel or "").replace(" ", "_"),
                about=about or "", direction=direction or "", source_kind=source_kind or "",
                assertion=assertion or "", note=note or "",
            ))
        evidence.sort(key=lambda item: (item.publication, item.holder, item.iri))
        authors: dict[str, list[str]] = {}
        for s, a in _rows(store, "SELECT ?s ?a WHERE { ?s a v:Publication ; dcterms:creator ?a }"):
            authors.setdefault(s, []).append(a)
        publications = {}
        for row in _rows(store, """SELECT ?s ?l ?t ?j ?y ?doi ?pmid ?pmcid WHERE {
              ?s a v:Publication ; rdfs:label ?l . OPTIONAL { ?s dcterms:title ?t } OPTIONAL { ?s v:journal ?j }
              OPTIONAL { ?s v:year ?y } OPTIONAL { ?s v:doi ?doi } OPTIONAL { ?s v:pmid ?pmid }
              OPTIONAL { ?s v:pmcid ?pmcid } }"""):
            s, label, title, journal, year, doi, pmid, pmcid = row
            publications[s] = Publication(
                iri=s, label=label, title=title or "", authors=tuple(sorted(authors.get(s, ()))),
                journal=journal or "", year=year or "", doi=doi or "", pmid=pmid or "", pmcid=pmcid or "",
            )
        return cls(entities, tuple(links), tuple(evidence), dict(sorted(publications.items())), labels)

    def of_kind(self, *kinds: str) -> list[Entity]:
        """The entities of the given kinds, in IRI order."""
        return [e for e in self.entities.values() if e.kind in kinds]

    def specific_links(self, kinds: Iterable[str] | None = None) -> list[Link]:
        """Links between entities of `kinds`, dropping a generic `involves` where a directed sub-property
        (`involves_loss_of` ...) states the same pair."""
        wanted = set(kinds) if kinds is not None else set(KINDS.values())
        directed = {(lk.subject, lk.object) for lk in self.links if lk.relation.startswith("involves_")}
        return [
            lk for lk in self.links
            if self.entities[lk.subject].kind in wanted and self.entities[lk.object].kind in wanted
            and not (lk.relation == "involves" and (lk.subject, lk.object) in directed)
        ]

    def evidence_for(self, holder: str) -> list[EvidenceItem]:
        """The evidence items of one record."""
        return [item for item in self.evidence if item.holder == holder]


def _rows(store, text: str) -> list[tuple[str | None, ...]]:
    """Run a SELECT and return rows of plain strings (IRIs and literal values), sorted for stability."""
    result = store.query(_PREFIXES + text)
    variables = result.variables
    rows = [tuple(None if sol[v] is None else sol[v].value for v in variables) for sol in result]
    return sorted(rows, key=lambda row: tuple(x or "" for x in row))
