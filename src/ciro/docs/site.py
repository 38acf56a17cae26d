"""`ciro docs`: the static documentation site, written from the release into site/.

Pages: an overview, the resistance map, the schema reference, one page per CIRO term (the facts of the same
template `ciro serve` uses, `web.pages.term_page_parts`, in the site's shell `html.page`), one page per
publication with everything curated from it and its quotes, the competency questions with their current
answers, a search index, and what the w3id.org rules lead to (the release at ontology/, each term's data
files beside its page, a page per vocabulary IRI: docs.iris). Every page is written into a temporary folder
that replaces site/ only when all of them were written; the same release gives byte-identical files (on the
same Graphviz version).
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..atomic import replace_dir
from ..layout import Layout
from .html import esc, page, table
from .iris import alternates, copy_ontology, write_htaccess, write_term_data, write_vocab_pages
from .model import CIRO_BASE, KINDS, MAP_KINDS, VOCAB, DocsError, Release, curie, slug
from .releases import site_term_history, write_releases
from .resistance_map import dot_available, inline_svg, legend_html, map_dot, neighbourhood_dot, render_svg

__all__ = ["SiteReport", "build_site", "README_IMAGE", "readme_map_svg", "term_iris"]

README_IMAGE = Path("docs/img/resistance-map.svg")
TERMS_DIR = "terms"
PUBLICATIONS_DIR = "publications"
KIND_TITLES = {"mechanism": "Resistance mechanisms", "target": "Targets", "therapy": "Therapies",
               "countermeasure": "Countermeasures", "phenotype": "Phenotypes"}


@dataclass(frozen=True)
class SiteReport:
    """What `build_site` wrote."""

    out_dir: Path
    pages: int
    term_pages: int
    map_nodes: int
    drawn: bool  # False when Graphviz was missing and the pictures were left out


def term_iris(store) -> list[str]:
    """Every CIRO term the release describes (a CIRO IRI that is the subject of a triple): each gets a page,
    as each is served by `ciro serve`: curated records, evidence items, publications, enum values and
    defined classes."""
    rows = store.query(f"""SELECT DISTINCT ?s WHERE {{ ?s ?p ?o . FILTER(STRSTARTS(STR(?s), "{CIRO_BASE}")) }}""")
    return sorted(row[0].value for row in rows)


def readme_map_svg(release_dir: Path) -> str:
    """The map for the README: the same drawing, with each node linked to its term IRI."""
    from ..query.store import load_store

    release = Release.from_store(load_store(release_dir))
    return render_svg(map_dot(release, lambda iri: iri))


class _Site:
    """Writes the pages of one site into `out`."""

    def __init__(self, layout: Layout, store, release: Release, out: Path, terms: list[str], footer: str,
                 draw: bool) -> None:
        self.layout, self.store, self.release, self.out = layout, store, release, out
        self.terms = set(terms)
        self.term_list = terms
        self.footer = footer
        self.draw = draw
        self.pages = 0
        self.history: dict = {}  # term IRI -> ciro.versions.TermHistory, for the release note on term pages
        from .schema_reference import schema_anchors

        self.anchors = schema_anchors(layout.schema)

    # links -------------------------------------------------------------------------------------------------
    def href(self, iri: str, root: str = "") -> str | None:
        """The page of a CIRO term or publication, relative to a page `root` levels deep; None when none."""
        if iri.startswith("CIRO:"):
            iri = "https://w3id.org/ciro/CIRO_" + iri[5:]
        if iri in self.terms:
            return f"{root}{TERMS_DIR}/{slug(iri)}.html"
        return None

    def link(self, iri: str, root: str = "", text: str | None = None) -> str:
        label = text if text is not None else self.release.labels.get(iri, curie(iri))
        href = self.href(iri, root)
        return f'<a href="{esc(href)}">{esc(label)}</a>' if href else esc(label)

    def write(self, rel: str, html: str) -> None:
        path = self.out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
        self.pages += rel.endswith(".html")

    def shell(self, rel: str, title: str, body: str, wide: bool = False, main_class: str = "") -> None:
        """Write one page in the site's shell (html.page): the same header, search, stylesheet and footer."""
        root = "../" * rel.count("/")
        self.write(rel, page(title, body, root=root, current=rel, footer_text=self.footer, wide=wide,
                             main_class=main_class))

    # pages -------------------------------------------------------------------------------------------------
    def assets(self) -> None:
        (self.out / "assets").mkdir(parents=True, exist_ok=True)
        for name in ("site.css", "search.js"):
            data = resources.files("ciro.docs").joinpath("assets", name).read_bytes()
            (self.out / "assets" / name).write_bytes(data)
        # browsers ask for /favicon.ico on every page that names none (the term pages): answer rather than 404
        (self.out / "favicon.ico").write_bytes(_favicon())

    def search_index(self) -> None:
        entries = []
        for iri in self.term_list:
            entity = self.release.entities.get(iri)
            if entity is None and iri not in self.release.publications:
                continue  # evidence items and schema values are reached from their records, not searched
            label = entity.label if entity else self.release.publications[iri].label
            entries.append({
                "label": label, "synonyms": list(entity.synonyms) if entity else [], "curie": curie(iri),
                "kind": entity.kind if entity else "publication",
                # a publication leads to the page of what was curated from it, which links its term page
                "url": self.href(iri) if entity else f"{PUBLICATIONS_DIR}/{slug(iri)}.html",
            })
        data = json.dumps(entries, ensure_ascii=False, indent=0, sort_keys=True)
        self.write("search-index.json", data + "\n")
        self.write("search-index.js", f"window.CIRO_SEARCH = {data};\n")

    def overview(self) -> None:
        r = self.release
        counts = "".join(
            f"<li><b>{len(r.of_kind(kind))}</b>{esc(KIND_TITLES[kind].lower())}</li>" for kind in KINDS.values()
        )
        counts += f"<li><b>{len(r.evidence)}</b>evidence items with quotes</li>"
        counts += f"<li><b>{len(r.publications)}</b>publications</li>"
        body = [
            "<h1>CIRO — the Cancer Immunotherapy Resistance Ontology</h1>",
            "<p>Why cancer immunotherapy fails and what can be done about it: resistance mechanisms, the targets "
            "they act through, the therapies they undermine and the countermeasures proposed against them, each "
            "backed by a verbatim quote from its source.</p>",
            f"<ul class='counts'>{counts}</ul>",
            "<p>Start with the <a href='map.html'>resistance map</a>, look a term up with the search box, read the "
            "<a href='schema.html'>schema reference</a>, the <a href='questions.html'>competency questions</a> "
            "with their current answers, or the <a href='publications.html'>publications</a> and what was "
            "curated from each.</p>",
        ]
        for kind in KINDS.values():
            entities = sorted(r.of_kind(kind), key=lambda e: e.label.lower())
            body.append(f"<h2 id='{kind}'>{esc(KIND_TITLES[kind])} ({len(entities)})</h2>")
            if kind == "mechanism":
                for origin in sorted({e.origin for e in entities}):
                    group = [e for e in entities if e.origin == origin]
                    body.append(f"<h3>{esc(origin or 'origin not stated')}</h3>")
                    body.append("<ul class='columns'>" + "".join(
                        f"<li>{self.link(e.iri)}</li>" for e in group) + "</ul>")
            else:
                body.append("<ul class='columns'>" + "".join(
                    f"<li>{self.link(e.iri)}"
                    + (f" <span class='kind'>{esc(e.subkind)}</span>" if e.subkind else "") + "</li>"
                    for e in entities) + "</ul>")
        self.shell("index.html", "Overview", "\n".join(body))

    def resistance_map(self) -> int:
        r = self.release
        nodes = len(r.of_kind(*MAP_KINDS))
        intro = (f"<h1>The resistance map</h1><p>Every curated mechanism ({len(r.of_kind('mechanism'))}), target "
                 f"({len(r.of_kind('target'))}), therapy ({len(r.of_kind('therapy'))}) and countermeasure "
                 f"({len(r.of_kind('countermeasure'))}), drawn from the release by Graphviz. Read it from left to "
                 "right: a therapy, the countermeasure combined with it, the root of the mechanism taxonomy, the "
                 "mechanisms (grouped by origin), and the targets they act through. Dashed grey edges lead to a "
                 "broader mechanism or therapy. Click a node for its page; hover for its name and kind. On a "
                 "narrow screen the map keeps a readable size and scrolls sideways in its frame.</p>")
        if not self.draw:
            self.shell("map.html", "Resistance map", intro + _NO_DOT, wide=True)
            return 0
        svg = render_svg(map_dot(r, lambda iri: self.href(iri) or iri))
        self.write("resistance-map.svg", svg)  # the file keeps its legend, drawn in
        # On the page the legend is HTML above the frame, and stays in view (sticky) while the map scrolls.
        inline = render_svg(map_dot(r, lambda iri: self.href(iri) or iri, legend=False))
        body = (intro + f"<div class='map'>{legend_html(r)}<div class='map-frame'>{inline_svg(inline)}</div></div>"
                "<p class='muted'>The same drawing as a file: <a href='resistance-map.svg'>resistance-map.svg</a>."
                "</p>")
        self.shell("map.html", "Resistance map", body, wide=True)
        return nodes

    def schema(self) -> None:
        from .schema_reference import schema_reference

        title, body = schema_reference(self.layout.schema, lambda c: self.href(c))
        body += ("<p>Every IRI of this vocabulary (<code>https://w3id.org/ciro/vocab/...</code>) has a page and its "
                 "description as data: <a href='vocab/index.html'>the vocabulary's IRIs</a>.</p>")
        self.shell("schema.html", title, body)

    def questions(self) -> None:
        from ..query.store import QueryError, run_query

        files = sorted(self.layout.queries.glob("*.rq")) if self.layout.queries.is_dir() else []
        body = ["<h1>Competency questions</h1>",
                f"<p>The questions CIRO is built to answer, as SPARQL ({len(files)} files in <code>queries/</code>), "
                "each with its answer from the current release. Run one yourself with "
                "<code>ciro query queries/NAME.rq</code>.</p>"]
        body.append("<ul>" + "".join(
            f"<li><a href='#{esc(f.stem)}'>{esc(_question(f.read_text(encoding='utf-8'))[0] or f.stem)}</a></li>"
            for f in files) + "</ul>")
        for path in files:
            text = path.read_text(encoding="utf-8")
            question, notes = _question(text)
            body.append(f"<h2 id='{esc(path.stem)}'>{esc(question or path.stem)}</h2>")
            if notes:
                body.append(f"<p class='muted'>{esc(notes)}</p>")
            body.append(f"<details><summary><code>queries/{esc(path.name)}</code></summary>"
                        f"<pre>{esc(text)}</pre></details>")
            try:
                result = run_query(self.store, text)
            except QueryError as exc:
                body.append(f"<p><strong>The query failed:</strong> {esc(exc)}</p>")
                continue
            if result.kind == "ask":
                body.append(f"<p>Answer: <strong>{'yes' if result.boolean else 'no'}</strong></p>")
            elif result.kind == "graph":
                body.append(f"<pre>{esc(result.turtle)}</pre>")
            else:
                rows = [[self.cell(term) for term in row] for row in result.rows]
                body.append(f"<p>{len(rows)} row{'s' if len(rows) != 1 else ''}</p>")
                body.append(table([esc(v) for v in result.variables], rows))
        self.shell("questions.html", "Competency questions", "\n".join(body))

    def cell(self, term) -> str:
        if term is None:
            return ""
        value = str(getattr(term, "value", term))
        if type(term).__name__ == "NamedNode":
            href = self.href(value)
            label = self.release.labels.get(value)
            if href:
                return f'<a href="{esc(href)}">{esc(label or curie(value))}</a>'
            return f"<code>{esc(value)}</code>" + (f" {esc(label)}" if label else "")
        return esc(value)

    def publications(self) -> None:
        r = self.release
        rows = []
        for pub in r.publications.values():
            items = [e for e in r.evidence if e.publication == pub.iri]
            records = {e.holder for e in items}
            rows.append([f'<a href="{PUBLICATIONS_DIR}/{pub.slug}.html">{esc(pub.label)}</a>', esc(pub.title),
                         str(len(records)), str(len(items))])
            self.publication(pub, items)
        body = ("<h1>Publications</h1><p>Every publication cited, with what was curated from it.</p>"
                + table(["publication", "title", "records", "quotes"], rows))
        self.shell("publications.html", "Publications", body)

    def publication(self, pub, items) -> None:
        r, root = self.release, "../"
        cite = ", ".join(pub.authors)
        ids = []
        if pub.doi:
            ids.append(f'DOI <a href="https://doi.org/{esc(pub.doi)}">{esc(pub.doi)}</a>')
        if pub.pmid:
            ids.append(f'PMID <a href="https://pubmed.ncbi.nlm.nih.gov/{esc(pub.pmid)}/">{esc(pub.pmid)}</a>')
        if pub.pmcid:
            ids.append(f"PMCID {esc(pub.pmcid)}")
        body = [f"<h1>{esc(pub.label)}</h1>",
                f"<p><strong>{esc(pub.title)}</strong><br>{esc(cite)}. <em>{esc(pub.journal)}</em> {esc(pub.year)}."
                f"<br>{' · '.join(ids)}<br>CIRO term: {self.link(pub.iri, root, curie(pub.iri))}</p>"]
        holders = sorted({e.holder for e in items},
                         key=lambda h: (list(KINDS.values()).index(r.entities[h].kind) if h in r.entities else 9,
                                        r.labels.get(h, h).lower()))
        body.append(f"<p>{len(holders)} records and {len(items)} quotes come from this publication.</p>")
        for kind in [*KINDS.values(), None]:
            group = [h for h in holders if (r.entities[h].kind if h in r.entities else None) == kind]
            if not group:
                continue
            body.append(f"<h2>{esc(KIND_TITLES.get(kind, 'Other records'))} ({len(group)})</h2>")
            for holder in group:
                body.append(f"<h3 id='{esc(slug(holder))}'>{self.link(holder, root)}</h3>")
                for item in (e for e in items if e.holder == holder):
                    body.append(self.evidence(item, root))
        self.shell(f"{PUBLICATIONS_DIR}/{pub.slug}.html", pub.label, "\n".join(body))

    def evidence(self, item, root: str) -> str:
        if item.relation:
            claim = (f"the link <em>{esc(item.relation.replace('_', ' '))}</em> → "
                     f"{self.link(item.about, root) if item.about else ''}")
        else:
            claim = "the record itself"
        meta = [f"evidence {self.link(item.iri, root, curie(item.iri))}",
                esc(item.evidence_type_label or curie(item.evidence_type)), esc(item.assertion),
                esc(item.source_kind)]
        if item.direction and item.direction != "supports":
            meta.insert(1, f"<strong>{esc(item.direction)}</strong>")
        note = f"<div class='meta'>Curator note: {esc(item.note)}</div>" if item.note else ""
        return (f"<div class='evidence'><div>Supports: {claim}</div><blockquote>{esc(item.quote)}</blockquote>"
                f"<div class='meta'>{' · '.join(m for m in meta if m)}</div>{note}</div>")

    def term_href(self, iri: str) -> str | None:
        """Where a link on a term page (in terms/) leads: another term page, the schema reference for the
        schema's vocabulary, external IRIs as they are."""
        if iri in self.terms:
            return f"{slug(iri)}.html"
        if iri.startswith(VOCAB):
            anchor = self.anchors.get(iri[len(VOCAB):])
            return f"../schema.html#{anchor}" if anchor else "../schema.html"
        if iri.startswith(("http://", "https://")) and not iri.startswith(CIRO_BASE):
            return iri
        return None

    def term_pages(self) -> int:
        from ..web.pages import release_note, term_page_parts

        count = 0
        for iri in self.term_list:
            extra = [release_note(self.store, iri, self.history, "../releases/", "../releases/index.html")]
            entity = self.release.entities.get(iri)
            if self.draw and entity is not None and entity.kind == "mechanism":
                svg = render_svg(neighbourhood_dot(self.release, iri, lambda other: f"{slug(other)}.html"))
                extra.append(
                    "<section class=\"neighbourhood\"><h2>Neighbourhood</h2><p>This mechanism and every entity "
                    "linked to it (click one for its page).</p><div class=\"neighbourhood-frame\">"
                    f"{inline_svg(svg, 'ciro-neighbourhood', fit=True)}</div></section>")
            if iri in self.release.publications:
                extra.append(
                    f'<p class="curated">Everything curated from this publication, with its quotes: <a href="../'
                    f'{PUBLICATIONS_DIR}/{slug(iri)}.html">{esc(self.release.publications[iri].label)}</a>.</p>')
            # The facts come from the template `ciro serve` uses; the page around them is the site's own shell.
            title, body, _head = term_page_parts(self.store, iri, href=self.term_href, alternates=alternates(slug(iri)),
                                                 extra="\n".join(extra))
            self.shell(f"{TERMS_DIR}/{slug(iri)}.html", title, "\n".join(body), main_class="term")
            write_term_data(self, TERMS_DIR, iri)
            count += 1
        return count


_NO_DOT = ("<p><strong>The map is missing:</strong> Graphviz (<code>dot</code>) is not installed on the machine "
           "that built this site (Debian/Ubuntu: <code>apt-get install graphviz</code>).</p>")


def _favicon(colour: tuple[int, int, int] = (0xF6, 0xC2, 0x8B)) -> bytes:
    """A 16x16 one-colour icon: a PNG inside an ICO container, built byte for byte (deterministic)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(colour) * 16 for _ in range(16))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))
    return struct.pack("<HHH", 0, 1, 1) + struct.pack("<BBBBHHII", 16, 16, 0, 0, 1, 32, len(png), 22) + png


def _question(text: str) -> tuple[str, str]:
    """The question (the leading comments up to the first '?', else the first line) and the rest of them."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    joined = " ".join(lines)
    end = joined.find("?")
    if end < 0:
        end = len(lines[0]) - 1 if lines else -1
    return joined[: end + 1].strip(), joined[end + 1:].strip()


def build_site(layout: Layout, release_dir: Path | None = None, out_dir: Path | None = None,
               progress: Callable[[str], None] = print) -> SiteReport:
    """Write the site for the release in `release_dir` (default ontology/) into `out_dir` (default site/)."""
    from ..query.store import QueryError, load_store

    release_dir = release_dir or layout.ontology
    out_dir = out_dir or layout.root / "site"
    started = time.perf_counter()
    try:
        store = load_store(release_dir)
    except QueryError as exc:
        raise DocsError(str(exc)) from None
    release = Release.from_store(store)
    draw = dot_available()
    if not draw:
        progress("warning: Graphviz `dot` not found (apt-get install graphviz): the site has no map pictures")
    manifest = release_dir / "release-manifest.json"
    version = json.loads(manifest.read_text(encoding="utf-8")).get("version", "") if manifest.is_file() else ""
    footer = (f"CIRO {esc(version)} · generated by <code>ciro docs</code> from the release · data and ontology "
              "CC BY 4.0")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    try:
        site = _Site(layout, store, release, tmp, term_iris(store), footer, draw)
        site.history = site_term_history(layout)
        write_releases(site, layout)
        site.assets()
        site.search_index()
        site.overview()
        nodes = site.resistance_map()
        site.schema()
        site.questions()
        site.publications()
        terms = site.term_pages()
        write_vocab_pages(site)
        copy_ontology(site, release_dir)
        write_htaccess(site)
        replace_dir(tmp, out_dir)
    except Exception:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    progress(f"site written to {out_dir}: {site.pages} pages ({terms} term pages), map of {nodes} nodes "
             f"({time.perf_counter() - started:.2f} s)")
    return SiteReport(out_dir, site.pages, terms, nodes, draw)


