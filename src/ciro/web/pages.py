"""Term pages: one HTML page per CIRO term (label, definition, types, links, evidence), from a store.

`render_term_page(store, iri)` is a pure function of a pyoxigraph store holding the release (and its
import module, for the labels of external terms); `ciro serve` uses it for dereferenced IRIs and a static
site can reuse it with its own `href` (how a linked IRI becomes a link). Every piece of text from the data
is HTML-escaped, and only http(s) IRIs and local paths become links.
"""

from __future__ import annotations

import html
import re
import urllib.parse
from collections.abc import Callable, Iterable

__all__ = ["render_term_page", "term_page_parts", "release_note", "render_index_page", "render_query_form",
           "term_exists", "term_triples", "default_href", "BASE"]

BASE = "https://w3id.org/ciro/"
_VOCAB = BASE + "vocab/"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_OWL = "http://www.w3.org/2002/07/owl#"
_LABEL = _RDFS + "label"
_TYPE = _RDF + "type"
_DEFINITION = "http://purl.obolibrary.org/obo/IAO_0000115"
_SYNONYM = "http://www.geneontology.org/formats/oboInOwl#hasExactSynonym"
_COMMENT = _RDFS + "comment"
_HAS_EVIDENCE = _VOCAB + "has_evidence"
_EVIDENCE = _VOCAB + "Evidence"
_PARENTS = (_RDFS + "subClassOf", _RDFS + "subPropertyOf", _VOCAB + "broader_mechanisms", _VOCAB + "broader_therapies")
_SHOWN_ABOVE = {_TYPE, _LABEL, _DEFINITION, _SYNONYM, _COMMENT, _HAS_EVIDENCE, *_PARENTS}
_EVIDENCE_FIELDS = ("about_relation", "about_object", "quote", "publication", "evidence_type", "evidence_direction",
                    "source_kind", "assertion_method", "curator_note")
_CURIE_PREFIXES = (
    ("CIRO", BASE + "CIRO_"),
    ("cirovocab", _VOCAB),
    ("rdf", _RDF),
    ("rdfs", _RDFS),
    ("owl", _OWL),
    ("skos", "http://www.w3.org/2004/02/skos/core#"),
    ("dcterms", "http://purl.org/dc/terms/"),
    ("oboInOwl", "http://www.geneontology.org/formats/oboInOwl#"),
)
_STYLE = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:1.5rem auto;padding:0 1rem;line-height:1.45;color:#222}
header a{text-decoration:none;font-weight:bold}h1{margin-bottom:.2rem}.iri{color:#555;font-size:.9rem;margin-top:0}
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:.3rem .5rem;
border-bottom:1px solid #ddd}th{width:14rem;font-weight:600}blockquote{margin:.4rem 0;padding:.3rem .8rem;
border-left:4px solid #8ab;background:#f5f8fa}ol.evidence li{margin-bottom:1rem}.meta{color:#555;font-size:.9rem}
footer{margin-top:2rem;color:#555;font-size:.9rem}code{font-size:.9rem}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def default_href(iri: str) -> str | None:
    """A CIRO IRI becomes a path on the serving host (/CIRO_0000123); an external http(s) IRI stays as is."""
    if iri.startswith(BASE):
        return "/" + iri[len(BASE):]
    if iri.startswith(("http://", "https://")):
        return iri
    return None


def curie(iri: str) -> str:
    """A short name for an IRI: CIRO:0000123, cirovocab:involves, GO:0001816, hgnc:6190 ..., else the IRI."""
    for prefix, namespace in _CURIE_PREFIXES:
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    obo = re.fullmatch(r"http://purl\.obolibrary\.org/obo/([A-Za-z]+)_(\w+)", iri)
    if obo:
        return f"{obo.group(1)}:{obo.group(2)}"
    if iri.startswith("https://identifiers.org/"):
        return iri[len("https://identifiers.org/"):]
    legacy = re.fullmatch(r"http://identifiers\.org/([a-z.]+)/(\w+)", iri)  # prefixmaps' form: hgnc/6190
    if legacy:
        return f"{legacy.group(1)}:{legacy.group(2)}"
    return iri


class _View:
    """Read access to one store, with label look-ups cached for one page."""

    def __init__(self, store):
        import pyoxigraph as ox

        self.ox = ox
        self.store = store
        self._labels: dict[str, str | None] = {}

    def node(self, iri: str):
        return self.ox.NamedNode(iri)

    def objects(self, subject: str, predicate: str) -> list:
        found = {q.object for q in self.store.quads_for_pattern(self.node(subject), self.node(predicate), None, None)}
        return sorted(found, key=str)

    def outgoing(self, subject: str) -> list:
        found = {(q.predicate.value, q.object) for q in self.store.quads_for_pattern(self.node(subject), None, None,
                                                                                      None)}
        return sorted(found, key=lambda po: (po[0], str(po[1])))

    def incoming(self, obj: str) -> list:
        found = {(q.subject, q.predicate.value) for q in self.store.quads_for_pattern(None, None, self.node(obj), None)
                 if isinstance(q.subject, self.ox.NamedNode)}
        return sorted(found, key=lambda sp: (str(sp[0]), sp[1]))

    def literal(self, subject: str, predicate: str) -> str | None:
        values = [o for o in self.objects(subject, predicate) if isinstance(o, self.ox.Literal)]
        if not values:
            return None
        preferred = [o for o in values if (o.language or "en").lower().startswith("en")] or values
        return preferred[0].value

    def label(self, iri: str) -> str | None:
        if iri not in self._labels:
            self._labels[iri] = self.literal(iri, _LABEL)
        return self._labels[iri]

    def name(self, iri: str) -> str:
        return self.label(iri) or curie(iri)

    def is_evidence(self, iri: str) -> bool:
        return any(o.value == _EVIDENCE for o in self.objects(iri, _TYPE) if isinstance(o, self.ox.NamedNode))


def term_exists(store, iri: str) -> bool:
    """Whether the store says anything about `iri` as a subject."""
    import pyoxigraph as ox

    return next(iter(store.quads_for_pattern(ox.NamedNode(iri), None, None, None)), None) is not None


def term_triples(store, iri: str) -> list:
    """The triples that describe a term: its own, those of its evidence items, and those of the blank nodes
    they lead to (the class expressions of its axioms, which are meaningless cut off), as pyoxigraph Triples."""
    import pyoxigraph as ox

    node = ox.NamedNode(iri)
    triples = {q.triple for q in store.quads_for_pattern(node, None, None, None)}
    for quad in store.quads_for_pattern(node, ox.NamedNode(_HAS_EVIDENCE), None, None):
        triples |= {q.triple for q in store.quads_for_pattern(quad.object, None, None, None)}
    pending, seen = [t.object for t in triples if isinstance(t.object, ox.BlankNode)], set()
    while pending:
        blank = pending.pop()
        if blank in seen:
            continue
        seen.add(blank)
        for quad in store.quads_for_pattern(blank, None, None, None):
            triples.add(quad.triple)
            if isinstance(quad.object, ox.BlankNode):
                pending.append(quad.object)
    return sorted(triples, key=str)


def _link(view: _View, iri: str, href: Callable[[str], str | None], text: str | None = None) -> str:
    target = href(iri)
    label = _e(text if text is not None else view.name(iri))
    if target and re.match(r"(https?://|/|[A-Za-z0-9_.-]+(/|$|\.html))", target):
        return f'<a href="{_e(target)}">{label}</a>'
    return label


def _value(view: _View, term, href: Callable[[str], str | None], predicate: str = "") -> str:
    ox = view.ox
    if isinstance(term, ox.NamedNode):
        return _link(view, term.value, href)
    if isinstance(term, ox.BlankNode):
        return "<em>(anonymous)</em>"
    text = term.value
    if predicate == _VOCAB + "doi":
        return f'<a href="https://doi.org/{_e(urllib.parse.quote(text, safe="/:;()._-"))}">{_e(text)}</a>'
    if predicate == _VOCAB + "pmid" and text.isdigit():
        return f'<a href="https://pubmed.ncbi.nlm.nih.gov/{text}/">{_e(text)}</a>'
    if predicate == _VOCAB + "pmcid" and re.fullmatch(r"PMC\d+", text):
        return f'<a href="https://www.ncbi.nlm.nih.gov/pmc/articles/{text}/">{_e(text)}</a>'
    return _e(text)


def _publication(view: _View, pub: str, href: Callable[[str], str | None]) -> str:
    parts = [_link(view, pub, href)]
    title = view.literal(pub, "http://purl.org/dc/terms/title")
    if title:
        parts.append(f"<em>{_e(title)}</em>")
    pmid = view.literal(pub, _VOCAB + "pmid")
    if pmid:
        parts.append("PMID " + _value(view, view.ox.Literal(pmid), href, _VOCAB + "pmid"))
    doi = view.literal(pub, _VOCAB + "doi")
    if doi:
        parts.append("DOI " + _value(view, view.ox.Literal(doi), href, _VOCAB + "doi"))
    return ", ".join(parts)


def _evidence_item(view: _View, evidence: str, href: Callable[[str], str | None]) -> str:
    ox = view.ox
    field = {name: view.objects(evidence, _VOCAB + name) for name in _EVIDENCE_FIELDS}
    relation = field["about_relation"][0].value if field["about_relation"] else None
    obj = field["about_object"][0] if field["about_object"] else None
    if relation:
        target = _value(view, obj, href) if obj is not None else "?"
        claim = f"Supports the link <strong>{_e(view.name(relation))}</strong> → {target}"
    else:
        claim = "Supports the record itself"
    out = [f'<li id="{_e(curie(evidence).replace(":", "_"))}"><p>{claim} '
           f'<span class="meta">({_link(view, evidence, href, curie(evidence))})</span></p>']
    for quote in field["quote"]:
        out.append(f"<blockquote>{_e(quote.value)}</blockquote>")
    for pub in field["publication"]:
        if isinstance(pub, ox.NamedNode):
            out.append(f"<p>— {_publication(view, pub.value, href)}</p>")
    meta = []
    for name, title in (("evidence_type", "evidence type"), ("evidence_direction", "direction"),
                        ("source_kind", "source"), ("assertion_method", "assertion")):
        values = [_value(view, v, href) for v in field[name]]
        if values:
            meta.append(f"{title}: {', '.join(values)}")
    if meta:
        out.append(f'<p class="meta">{"; ".join(meta)}</p>')
    for note in field["curator_note"]:
        out.append(f'<p class="meta">Curator note: {_e(note.value)}</p>')
    out.append("</li>")
    return "\n".join(out)


def _rows(view: _View, pairs: Iterable[tuple[str, object]], href: Callable[[str], str | None]) -> list[str]:
    grouped: dict[str, list[str]] = {}
    for predicate, obj in pairs:
        grouped.setdefault(predicate, []).append(_value(view, obj, href, predicate))
    rows = []
    for predicate in sorted(grouped, key=lambda p: view.name(p).lower()):
        values = "<br>".join(sorted(grouped[predicate], key=lambda s: re.sub("<[^>]+>", "", s).lower()))
        rows.append(f"<tr><th>{_link(view, predicate, href)}</th><td>{values}</td></tr>")
    return rows


_DEFAULT_NAV = '<a href="/">CIRO</a> · Cancer Immunotherapy Resistance Ontology'


def _page(title: str, body: list[str], head: list[str] | None = None, nav: str = "") -> str:
    # `nav`: HTML of the header after the home link; the served pages name the ontology there.
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>",
        *(head or []),
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        f'<header>{nav or _DEFAULT_NAV}</header>',
        "<main>",
        *body,
        "</main>",
        "</body>",
        "</html>",
        "",
    ])


def render_term_page(store, iri: str, *, href: Callable[[str], str | None] = default_href,
                     alternates: dict[str, str] | None = None, nav: str = "", extra: str = "") -> str:
    """The HTML page of one term: label, definition, types and parents, links, evidence, incoming links.

    `href` maps an IRI to the link target (None: no link); `alternates` maps a media type to the URL of
    the same description in that format (listed in the head and the footer); `nav` replaces the header's
    HTML, `extra` (trusted HTML, e.g. a picture) is shown after the term's facts. The static site puts the
    same parts (`term_page_parts`) in its own shell instead.
    """
    title, body, head = term_page_parts(store, iri, href=href, alternates=alternates, extra=extra)
    return _page(f"{title} — CIRO", body, head, nav)


def term_page_parts(store, iri: str, *, href: Callable[[str], str | None] = default_href,
                    alternates: dict[str, str] | None = None, extra: str = "") -> tuple[str, list[str], list[str]]:
    """A term page's parts: its title ("label (CURIE)"), the body's HTML pieces, and extra head elements."""
    view = _View(store)
    label = view.label(iri) or curie(iri)
    body = [f"<h1>{_e(label)}</h1>", f'<p class="iri"><code>{_e(iri)}</code> · {_e(curie(iri))}</p>']
    definition = view.literal(iri, _DEFINITION)
    if definition:
        body.append(f'<p class="definition">{_e(definition)}</p>')

    facts = []
    types = [t for t in view.objects(iri, _TYPE) if t.value != _OWL + "NamedIndividual"]
    if types:
        facts.append(("Type", [_value(view, t, href) for t in types]))
    # Named parents, each once (a broader mechanism is both broader_mechanisms and rdfs:subClassOf); the class
    # expressions (blank nodes) are the links shown below, in words.
    parents = list(dict.fromkeys(o for p in _PARENTS for o in view.objects(iri, p) if isinstance(o, view.ox.NamedNode)))
    if parents:
        facts.append(("Broader", [_value(view, o, href) for o in parents]))
    synonyms = view.objects(iri, _SYNONYM)
    if synonyms:
        facts.append(("Synonyms", [_e(s.value) for s in synonyms]))
    comments = view.objects(iri, _COMMENT)
    if comments:
        facts.append(("Comment", [_e(c.value) for c in comments]))
    if facts:
        body.append("<table>")
        body += [f"<tr><th>{_e(name)}</th><td>{'<br>'.join(values)}</td></tr>" for name, values in facts]
        body.append("</table>")
    if extra:
        body.append(extra)

    links = [(p, o) for p, o in view.outgoing(iri) if p not in _SHOWN_ABOVE]
    if links:
        body += ["<h2>Properties and links</h2>", "<table>", *_rows(view, links, href), "</table>"]

    evidence = [o.value for o in view.objects(iri, _HAS_EVIDENCE) if isinstance(o, view.ox.NamedNode)]
    if evidence:
        def order(e: str) -> tuple:
            relation = view.objects(e, _VOCAB + "about_relation")
            obj = view.objects(e, _VOCAB + "about_object")
            return (bool(relation), view.name(relation[0].value) if relation else "",
                    view.name(obj[0].value) if obj and isinstance(obj[0], view.ox.NamedNode) else "", e)

        body += [f"<h2>Evidence ({len(evidence)})</h2>", '<ol class="evidence">']
        body += [_evidence_item(view, e, href) for e in sorted(evidence, key=order)]
        body.append("</ol>")

    incoming: dict[tuple[str, str], str] = {}
    for subject, predicate in view.incoming(iri):
        if predicate == _HAS_EVIDENCE:
            key = (subject.value, "has evidence")
        elif view.is_evidence(subject.value):
            owners = [s for s, p in view.incoming(subject.value) if p == _HAS_EVIDENCE]
            for owner in owners:
                key = (owner.value, f"evidence ({view.name(predicate)})")
                incoming[key] = _link(view, owner.value, href)
            continue
        else:
            key = (subject.value, view.name(predicate))
        incoming[key] = _link(view, subject.value, href)
    if incoming:
        body += [f"<h2>Referenced by ({len(incoming)})</h2>", "<ul>"]
        for (_subject, relation), link in sorted(incoming.items(), key=lambda kv: (kv[0][1], view.name(kv[0][0]))):
            body.append(f"<li>{link} — {_e(relation)}</li>")
        body.append("</ul>")

    head = []
    if alternates:
        head = [f'<link rel="alternate" type="{_e(t)}" href="{_e(u)}">' for t, u in alternates.items()]
        body.append("<footer>This term as data: " + ", ".join(
            f'<a href="{_e(u)}">{_e(t)}</a>' for t, u in alternates.items()) + "</footer>")
    return f"{label} ({curie(iri)})", body, head


def release_note(store, iri: str, history: dict, releases_href: str = "/releases/", index_href: str = "") -> str:
    """One paragraph for a term page (its `extra`): the release the term first appeared in (linked to that
    release's ciro.owl under `releases_href`), or that it is in no release yet, and whether it is obsolete;
    `index_href`, if given, links the list of releases. `history` is `ciro.versions.term_history`; evidence
    items and external terms get no note."""
    view = _View(store)
    if not iri.startswith(BASE) or view.is_evidence(iri):
        return ""
    seen = history.get(iri)
    obsolete = any(o.value == "true" for o in view.objects(iri, _OWL + "deprecated"))

    def link(version: str) -> str:
        return f'<a href="{_e(releases_href)}{_e(version)}/ciro.owl">CIRO {_e(version)}</a>'

    text = f"First released in {link(seen.first)}." if seen else "Not in a release yet: new since the last one."
    if obsolete:
        since = f" since {link(seen.obsolete_since)}" if seen and seen.obsolete_since else ""
        text += f" <strong>Obsolete</strong>{since}: kept for its IRI, not for use."
    if index_href:
        text += f' (<a href="{_e(index_href)}">All releases</a>.)'
    return f'<p class="release">{text}</p>'


def render_index_page(store, links: dict[str, str], *, href: Callable[[str], str | None] = default_href) -> str:
    """A home page: the service links given, then every curated record grouped by class, with its label."""
    view = _View(store)
    ox = view.ox
    body = ["<h1>CIRO — Cancer Immunotherapy Resistance Ontology</h1>", "<ul>"]
    body += [f'<li><a href="{_e(u)}">{_e(t)}</a></li>' for t, u in links.items()]
    body.append("</ul>")
    for cls, title in (("ResistanceMechanism", "Resistance mechanisms"), ("Countermeasure", "Countermeasures"),
                       ("Target", "Targets"), ("Therapy", "Therapies"), ("Phenotype", "Phenotypes"),
                       ("Publication", "Publications")):
        members = {q.subject.value for q in store.quads_for_pattern(None, ox.NamedNode(_TYPE),
                                                                     ox.NamedNode(_VOCAB + cls), None)
                   if isinstance(q.subject, ox.NamedNode)}
        if not members:
            continue
        body += [f"<h2>{_e(title)} ({len(members)})</h2>", "<ul>"]
        body += [f"<li>{_link(view, m, href)} <span class=\"meta\">{_e(curie(m))}</span></li>"
                 for m in sorted(members, key=lambda m: view.name(m).lower())]
        body.append("</ul>")
    return _page("CIRO", body)


def render_query_form(endpoint: str) -> str:
    """A page with a query form that GETs `endpoint` (what /sparql shows a browser that sends no query)."""
    example = ("PREFIX cirovocab: <https://w3id.org/ciro/vocab/>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
               "SELECT ?mechanism ?label WHERE {\n  ?mechanism a cirovocab:ResistanceMechanism ; rdfs:label ?label\n}")
    options = "".join(f"<option>{name}</option>" for name in ("json", "xml", "csv", "tsv"))
    return _page("CIRO SPARQL endpoint", [
        "<h1>SPARQL endpoint</h1>",
        f"<p>SPARQL 1.1 Protocol endpoint at <code>{_e(endpoint)}</code> (read-only).</p>",
        f'<form method="get" action="{_e(endpoint)}"><textarea name="query" rows="12" cols="100">{_e(example)}'
        f'</textarea><br><select name="format">{options}</select> <button type="submit">Run</button></form>',
        '<p><a href="/.well-known/void">VoID description</a></p>',
    ])
