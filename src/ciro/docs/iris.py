"""The site's side of CIRO's IRIs: what the w3id.org rules (w3id/ciro/.htaccess) redirect to, so the static
site answers every `https://w3id.org/ciro/...` IRI that `ciro serve` answers, at the same paths:

  ontology/<file>                  the release the site was built from (the ontology IRIs: ciro.owl, ciro.obo ...)
  terms/CIRO_0000261.<ext>         each term as Turtle, RDF/XML, JSON-LD and N-Triples, beside its .html page
  vocab/<name>.html, .<ext>        each class, slot and value of the schema's vocabulary (vocab/index.html
                                   lists them, linked from the schema reference)
  .htaccess                        the media types of those files, for an Apache host (most hosts know
                                   .ttl and .jsonld but not .owl or .obo)
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ..web.answer import GRAPH_TYPES, serialize_graph
from .html import esc
from .model import CIRO_BASE, VOCAB, slug

__all__ = ["DATA_SUFFIXES", "ONTOLOGY_DIR", "VOCAB_DIR", "alternates", "copy_ontology", "vocab_iris",
           "write_htaccess", "write_term_data", "write_vocab_pages"]

ONTOLOGY_DIR = "ontology"
VOCAB_DIR = "vocab"
DATA_SUFFIXES = {"ttl": "turtle", "rdf": "rdfxml", "jsonld": "jsonld", "nt": "ntriples"}  # as `ciro serve` has them
# The media type of every kind of file the site holds beyond HTML, CSS and JS, as `ciro serve` gives them.
_MEDIA_TYPES = {"application/rdf+xml": ("owl", "rdf"), "text/turtle": ("ttl",), "application/ld+json": ("jsonld",),
                "application/n-triples": ("nt",), "text/obo": ("obo",), "application/json": ("json",),
                "text/tab-separated-values": ("tsv",), "application/xml": ("xml",), "image/svg+xml": ("svg",)}


def alternates(stem: str) -> dict[str, str]:
    """Media type -> the file of the same description in that format, relative to the term's own page."""
    return {GRAPH_TYPES[name]: f"{stem}.{suffix}" for suffix, name in DATA_SUFFIXES.items()}


def write_term_data(site, folder: str, iri: str) -> None:
    """The description `ciro serve` gives for `iri` (its triples and its evidence items'), in every format,
    as `folder`/<slug>.<ext>."""
    from ..web.pages import term_triples

    triples = stable_blank_nodes(term_triples(site.store, iri))
    for suffix, name in DATA_SUFFIXES.items():
        path = Path(site.out) / folder / f"{slug(iri)}.{suffix}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(serialize_graph(triples, name))


def stable_blank_nodes(triples: list) -> list:
    """The same triples with each blank node named by its content (its triples, recursively), so the same
    release gives the same files: the store names blank nodes at random on every load. Blank nodes of the
    same content are interchangeable, so numbering them in any order gives the same bytes."""
    import hashlib

    import pyoxigraph as ox

    by_subject: dict = {}
    for triple in triples:
        if isinstance(triple.subject, ox.BlankNode):
            by_subject.setdefault(triple.subject, []).append(triple)
    signatures: dict = {}

    def signature(blank, path=()) -> str:
        if blank not in signatures:
            if blank in path:  # a cycle (never in OWL's class expressions): name it by its place
                return f"cycle{len(path)}"
            parts = sorted(f"{t.predicate} {named(t.object, (*path, blank))}" for t in by_subject.get(blank, []))
            signatures[blank] = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]
        return signatures[blank]

    def named(term, path) -> str:
        return signature(term, path) if isinstance(term, ox.BlankNode) else str(term)

    names: dict = {}
    counts: dict = {}
    blanks = {t.subject for t in triples if isinstance(t.subject, ox.BlankNode)}
    blanks |= {t.object for t in triples if isinstance(t.object, ox.BlankNode)}
    for blank in sorted(blanks, key=signature):
        sig = signature(blank)
        counts[sig] = counts.get(sig, 0) + 1
        names[blank] = ox.BlankNode(f"b{sig}n{counts[sig]}")

    def rename(term):
        return names.get(term, term) if isinstance(term, ox.BlankNode) else term

    return sorted((ox.Triple(rename(t.subject), t.predicate, rename(t.object)) for t in triples), key=str)


def vocab_iris(store) -> list[str]:
    """Every IRI of the schema's vocabulary the release describes (`https://w3id.org/ciro/vocab/...`)."""
    rows = store.query(f"""SELECT DISTINCT ?s WHERE {{ ?s ?p ?o . FILTER(STRSTARTS(STR(?s), "{VOCAB}")) }}""")
    return sorted(row[0].value for row in rows)


def write_vocab_pages(site) -> int:
    """vocab/<name>.html (the serve template in the site's shell, with a link to the schema reference) and its
    data files, for every vocabulary IRI; returns how many."""
    from ..web.pages import term_page_parts

    names = vocab_iris(site.store)
    known = set(names)

    def href(iri: str) -> str | None:
        if iri in known:
            return f"{iri[len(VOCAB):]}.html"
        if iri.startswith(CIRO_BASE):
            return f"../{site.href(iri)}" if site.href(iri) else None
        if iri.startswith(("http://", "https://")) and not iri.startswith("https://w3id.org/ciro/"):
            return iri
        return None

    for iri in names:
        name = iri[len(VOCAB):]
        anchor = site.anchors.get(name)
        extra = (f'<p class="curated">In the schema reference: <a href="../schema.html#{esc(anchor)}">{esc(name)}</a>'
                 ".</p>" if anchor else "")
        title, body, _head = term_page_parts(site.store, iri, href=href, alternates=alternates(name), extra=extra)
        site.shell(f"{VOCAB_DIR}/{name}.html", title, "\n".join(body), main_class="term")
        write_term_data(site, VOCAB_DIR, iri)
    items = "".join(f'<li><a href="{esc(iri[len(VOCAB):])}.html">{esc(iri[len(VOCAB):])}</a></li>' for iri in names)
    site.shell(f"{VOCAB_DIR}/index.html", "Vocabulary IRIs",
               "<h1>Vocabulary IRIs</h1><p>Every class, slot and value of CIRO's schema by its IRI "
               f"(<code>{esc(VOCAB)}NAME</code>), each with its description as data. The schema reference explains "
               f"them: <a href='../schema.html'>schema</a>.</p><ul class='columns'>{items}</ul>")
    return len(names)


def copy_ontology(site, release_dir: Path) -> None:
    """The release the site shows, at ontology/ (hidden files left out, as `ciro serve` leaves them out)."""
    shutil.copytree(release_dir, Path(site.out) / ONTOLOGY_DIR, ignore=shutil.ignore_patterns(".*"))


def write_htaccess(site) -> None:
    lines = ["# Media types of the site's data files (Apache; other hosts need the same mapping).",
             "# Written by `ciro docs`; the rules of https://w3id.org/ciro/ redirect here (w3id/ciro/.htaccess)."]
    lines += [f"AddType {media} {' '.join('.' + s for s in suffixes)}" for media, suffixes in _MEDIA_TYPES.items()]
    (Path(site.out) / ".htaccess").write_text("\n".join(lines) + "\n", encoding="utf-8")
