"""`ciro docs`: the static site has every page, its links resolve, the map and search index match the
release, publication pages carry every quote, the output is deterministic and the README's map is current."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin

import pytest

from ciro.layout import Layout

from .conftest import REPO, copy_project
from .debian import missing_commands

SVG = "{http://www.w3.org/2000/svg}"
PREFIXES = """PREFIX v: <https://w3id.org/ciro/vocab/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""
MAP_CLASSES = "v:ResistanceMechanism v:Target v:Therapy v:Countermeasure"


@pytest.fixture(scope="module")
def graphviz() -> None:
    reason = missing_commands({"dot": "graphviz"})
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="module")
def store(fresh_release):
    from ciro.query import load_store

    return load_store(fresh_release)


@pytest.fixture(scope="module")
def site(graphviz, fresh_release, tmp_path_factory) -> Path:
    from ciro.docs import build_site

    out = tmp_path_factory.mktemp("docs") / "site"
    report = build_site(Layout(REPO), fresh_release, out, progress=lambda _line: None)
    assert report.drawn and report.out_dir == out
    return out


def _select(store, query: str) -> list[tuple[str, ...]]:
    return [tuple(term.value for term in row) for row in store.query(PREFIXES + query)]


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"])
        for name in ("href", "xlink:href", "src"):
            if values.get(name) and (tag != "link" or values.get("rel") in ("stylesheet", "icon")):
                self.links.append(values[name])


def test_every_page_is_written(site, store):
    for name in ("index.html", "map.html", "schema.html", "questions.html", "publications.html",
                 "resistance-map.svg", "search-index.js", "search-index.json", "assets/site.css",
                 "assets/search.js", "favicon.ico"):
        assert (site / name).is_file(), name
    terms = {row[0] for row in _select(store, 'SELECT DISTINCT ?s WHERE { ?s ?p ?o . '
                                               'FILTER(STRSTARTS(STR(?s), "https://w3id.org/ciro/CIRO_")) }')}
    pages = {p.stem for p in (site / "terms").glob("*.html")}
    assert pages == {iri.rsplit("/", 1)[1] for iri in terms}
    publications = _select(store, "SELECT ?p WHERE { ?p a v:Publication }")
    assert len(list((site / "publications").glob("*.html"))) == len(publications) == 3


def test_every_internal_link_and_anchor_resolves(site):
    broken = []
    anchors: dict[Path, set[str]] = {}
    parsed: dict[Path, _Links] = {}
    for page in sorted(site.rglob("*.html")):
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        parsed[page] = parser
        anchors[page] = parser.ids
    for page, parser in parsed.items():
        for link in parser.links:
            if re.match(r"[a-z]+:", link):
                continue  # external (https:, mailto:) or data: links are not the site's
            url, fragment = urldefrag(urljoin(page.relative_to(site).as_posix(), link))
            target = site / html.unescape(url) if url else page
            if url.startswith("/") or not target.is_file():
                broken.append(f"{page.relative_to(site)} -> {link}")
            elif fragment and target.suffix == ".html" and fragment not in anchors[target]:
                broken.append(f"{page.relative_to(site)} -> {link} (no such anchor)")
    assert not broken, broken[:10]


def test_the_map_has_one_node_per_curated_entity_linked_to_its_page(site, store):
    expected = {row[0].rsplit("/", 1)[1] for row in _select(
        store, f"SELECT DISTINCT ?s WHERE {{ VALUES ?c {{ {MAP_CLASSES} }} ?s a ?c }}")}
    svg = ET.parse(site / "resistance-map.svg").getroot()
    nodes = [g for g in svg.iter(SVG + "g") if g.get("class", "").startswith("node")]
    assert {g.get("id") for g in nodes} == expected
    assert len(nodes) == len(expected) == 94
    for g in nodes:
        link = g.find(SVG + "g/" + SVG + "a")
        assert link is not None and (site / link.get("{http://www.w3.org/1999/xlink}href")).is_file()
    page = (site / "map.html").read_text(encoding="utf-8")
    assert page.count('class="node ') == len(expected)  # the same drawing, inline, on the map page


def test_the_map_groups_mechanisms_by_origin_and_labels_edges(site, store):
    origins = dict(_select(store, "SELECT ?m ?o WHERE { ?m a v:ResistanceMechanism ; v:origin/rdfs:label ?o }"))
    svg = ET.parse(site / "resistance-map.svg").getroot()
    clusters = {g.get("id"): g for g in svg.iter(SVG + "g") if g.get("class") == "cluster"}
    titles = {_cluster_title(g): g for g in clusters.values()}
    # one box per origin, and one for the taxonomy's root; mechanisms with no origin stand outside
    assert set(titles) == {f"{origin} mechanisms" for origin in origins.values()} | {ROOT_BOX}
    titles.pop(ROOT_BOX)
    # each mechanism node lies inside the box of its origin's cluster
    boxes = {}
    for title, g in titles.items():
        xs, ys = zip(*(map(float, p.split(",")) for p in g.find(SVG + "path").get("d")[1:].replace("C", " ")
                       .split() if "," in p), strict=True)
        boxes[title.removesuffix(" mechanisms")] = (min(xs), max(xs), min(ys), max(ys))
    nodes = {g.get("id"): g for g in svg.iter(SVG + "g") if g.get("class", "").startswith("node")}
    for iri, origin in origins.items():
        text = nodes[iri.rsplit("/", 1)[1]].find(f".//{SVG}text")
        x, y = float(text.get("x")), float(text.get("y"))
        left, right, top, bottom = boxes[origin]
        assert left < x < right and top < y < bottom, (iri, origin)
    # The root has a column of its own: right of every countermeasure, left of every other mechanism.
    [root] = _select(store, "SELECT ?m WHERE { ?m a v:ResistanceMechanism . ?n v:broader_mechanisms ?m . "
                            "FILTER NOT EXISTS { ?m v:broader_mechanisms ?b } } GROUP BY ?m")
    centre = {slug: _centre(g) for slug, g in nodes.items()}
    root_x = centre[root[0].rsplit("/", 1)[1]][0]
    mechanisms = {row[0].rsplit("/", 1)[1] for row in _select(store, "SELECT ?m WHERE { ?m a v:ResistanceMechanism }")}
    countermeasures = {row[0].rsplit("/", 1)[1] for row in _select(store, "SELECT ?c WHERE { ?c a v:Countermeasure }")}
    assert all(centre[m][0] > root_x for m in mechanisms - {root[0].rsplit("/", 1)[1]})
    assert all(centre[c][0] < root_x for c in countermeasures)
    edges = [g for g in svg.iter(SVG + "g") if g.get("class") == "edge"]
    labelled = [g for g in edges if g.find(f".//{SVG}text") is not None]
    unlabelled = {g.get("id").split("-")[1] for g in edges if g.find(f".//{SVG}text") is None}
    assert unlabelled <= {"broader_mechanisms", "broader_therapies"}  # explained once, in the legend
    assert len(labelled) > 60


ROOT_BOX = "the root of the mechanism taxonomy"


def _cluster_title(g) -> str:
    """A cluster's title: its first text (the nodes inside are drawn after it, in groups of their own)."""
    return next(t.text for t in g.iter(SVG + "text"))


def _centre(node) -> tuple[float, float]:
    text = node.find(f".//{SVG}text")
    return float(text.get("x")), float(text.get("y"))


def test_every_mechanism_page_shows_its_neighbourhood(site, store):
    mechanisms = [row[0] for row in _select(store, "SELECT ?m WHERE { ?m a v:ResistanceMechanism }")]
    for iri in mechanisms:
        slug = iri.rsplit("/", 1)[1]
        page = (site / "terms" / f"{slug}.html").read_text(encoding="utf-8")
        assert page.count('class="ciro-neighbourhood"') == 1, slug
        svg = page[page.index('class="ciro-neighbourhood"'):]
        focus = svg[svg.index(f'<g id="{slug}" class="node'):]
        assert 'stroke-width="3"' in focus[:focus.index("</g>")], slug  # the mechanism itself is outlined
    target = _select(store, "SELECT ?t WHERE { ?t a v:Target }")[0][0]
    assert "ciro-neighbourhood" not in (site / "terms" / f"{target.rsplit('/', 1)[1]}.html").read_text()


def test_term_pages_come_from_the_served_template(site, store, fresh_release):
    from ciro.web.pages import render_term_page

    iri = _select(store, 'SELECT ?m WHERE { ?m a v:Target ; rdfs:label "JAK1" }')[0][0]
    page = (site / "terms" / f"{iri.rsplit('/', 1)[1]}.html").read_text(encoding="utf-8")
    served = render_term_page(store, iri)
    title = re.search(r"<title>.*</title>", served).group(0)
    assert title in page
    assert re.search(r"<h2>Evidence \(\d+\)</h2>", served).group(0) in page
    assert 'href="/' not in page  # no server-rooted link left in the static page


def test_every_page_has_the_site_shell(site):
    """One look (issue 18: term pages had their own style, no header and no search): every page links the
    site's stylesheet and scripts at its depth, and has the header with the navigation and the search box."""
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 300
    for page in pages:
        text = page.read_text(encoding="utf-8")
        root = "../" * (len(page.relative_to(site).parts) - 1)
        assert f'<link rel="stylesheet" href="{root}assets/site.css">' in text, page
        assert f'<script src="{root}assets/search.js"' in text and f'<script src="{root}search-index.js">' in text
        assert text.count('<header class="site">') == 1 and text.count('id="search"') == 1, page
        assert f'<a href="{root}map.html"' in text and "<style>" not in text and ' style="overflow' not in text, page


def test_search_index_holds_labels_and_synonyms(site, store):
    entries = json.loads((site / "search-index.json").read_text(encoding="utf-8"))
    script = (site / "search-index.js").read_text(encoding="utf-8")
    assert json.loads(script.removeprefix("window.CIRO_SEARCH = ").rstrip().removesuffix(";")) == entries
    # An obsolete term (CIRO:0000271, split in two) is searched under its OWL label, 'obsolete ...'; the data
    # graph in the same store gives it its plain label too.
    curated = _select(store, f"""SELECT ?s ?l WHERE {{ VALUES ?c {{ {MAP_CLASSES} v:Phenotype v:Publication }}
        ?s a ?c ; rdfs:label ?l FILTER(NOT EXISTS {{ ?s <http://www.w3.org/2002/07/owl#deprecated> true }}
                                       || STRSTARTS(?l, "obsolete ")) }}""")
    assert sorted(e["label"] for e in entries) == sorted(label for _s, label in curated)
    synonyms = _select(store, "SELECT ?s ?y WHERE { ?s <http://www.geneontology.org/formats/oboInOwl#"
                              "hasExactSynonym> ?y }")
    indexed = {(e["curie"], y) for e in entries for y in e["synonyms"]}
    assert {("CIRO:" + s.rsplit("_", 1)[1], y) for s, y in synonyms} <= indexed
    assert all((site / e["url"]).is_file() for e in entries)
    assert any(e["label"].startswith("JAK1/2") and e["kind"] == "mechanism" for e in entries)


def test_publication_pages_show_every_quote_of_the_publication(site, store):
    rows = _select(store, """SELECT ?p ?e ?q WHERE { ?e a v:Evidence ; v:publication ?p ; v:quote ?q }""")
    by_publication: dict[str, list[str]] = {}
    for pub, _evidence, quote in rows:
        by_publication.setdefault(pub, []).append(quote)
    for pub, quotes in by_publication.items():
        page = (site / "publications" / f"{pub.rsplit('/', 1)[1]}.html").read_text(encoding="utf-8")
        assert page.count("<blockquote>") == len(quotes), pub
        for quote in quotes:
            assert html.escape(quote, quote=True) in page
    index = (site / "publications.html").read_text(encoding="utf-8")
    assert all(f"publications/{pub.rsplit('/', 1)[1]}.html" in index for pub in by_publication)


def test_questions_page_answers_every_query(site, layout):
    page = (site / "questions.html").read_text(encoding="utf-8")
    queries = sorted(layout.queries.glob("*.rq"))
    assert queries, "no competency questions in queries/"
    for path in queries:
        assert f"id='{path.stem}'" in page and f"queries/{path.name}" in page
    assert page.count("row") + page.count("Answer: <strong>") >= len(queries)
    assert "The query failed" not in page


def test_schema_reference_covers_the_schema(site, layout):
    from linkml_runtime.utils.schemaview import SchemaView

    view = SchemaView(str(layout.schema))
    page = (site / "schema.html").read_text(encoding="utf-8")
    for name in view.all_classes(imports=False):
        assert f"id='class-{name}'" in page
    for name in view.schema.slots:
        assert f"id='slot-{name}'" in page
    for name, enum in view.all_enums(imports=False).items():
        assert f"id='enum-{name}'" in page
        for value in enum.permissible_values:
            assert f"<code>{value}</code>" in page


def test_site_is_deterministic(site, fresh_release, tmp_path):
    from ciro.docs import build_site

    again = build_site(Layout(REPO), fresh_release, tmp_path / "again", progress=lambda _line: None)
    assert _tree(again.out_dir) == _tree(site)


def test_readme_map_is_current(graphviz, fresh_release):
    from ciro.docs import README_IMAGE, readme_map_svg
    from ciro.docs.resistance_map import dot_version

    committed = REPO / README_IMAGE
    assert committed.is_file(), f"{README_IMAGE} missing: run `ciro docs --readme-image`"
    text = committed.read_text(encoding="utf-8")
    drawn_with = re.search(r"Generated by graphviz version (\S+)", text).group(1)
    fresh = readme_map_svg(fresh_release)
    assert fresh == readme_map_svg(fresh_release)  # deterministic on any Graphviz version
    if drawn_with != dot_version():
        pytest.skip(f"{README_IMAGE} was drawn by Graphviz {drawn_with}, this machine has {dot_version()}: "
                    "layouts differ between versions, so only determinism is checked")
    assert text == fresh, f"{README_IMAGE} is stale: run `ciro docs --readme-image`"
    assert "https://w3id.org/ciro/CIRO_" in fresh  # README nodes link to the term IRIs


def _run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ciro.cli", *args], capture_output=True, text=True, env=env)


def test_cli_docs_without_graphviz_writes_the_site_and_says_why_the_map_is_missing(fresh_release, tmp_path):
    no_dot = tmp_path / "bin"
    no_dot.mkdir()
    env = {**os.environ, "PATH": str(no_dot)}
    out = tmp_path / "site"
    result = _run("docs", "--root", str(REPO), "--ontology", str(fresh_release), "--out", str(out), env=env)
    assert result.returncode == 0, result.stderr
    assert "Graphviz `dot` not found" in result.stderr
    assert "apt-get install graphviz" in (out / "map.html").read_text(encoding="utf-8")
    assert (out / "index.html").is_file() and not (out / "resistance-map.svg").exists()
    image = _run("docs", "--root", str(REPO), "--ontology", str(fresh_release), "--out", str(out),
                 "--readme-image", env=env)
    assert image.returncode == 1 and "Traceback" not in image.stderr
    assert image.stderr.strip().splitlines()[-1].startswith("error: Graphviz `dot` not found")


def test_cli_docs_without_a_release_fails_in_one_line(tmp_path):
    result = _run("docs", "--root", str(REPO), "--ontology", str(tmp_path / "none"), "--out", str(tmp_path / "s"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("error:") and "ciro build" in result.stderr
    assert not (tmp_path / "s").exists()


def test_ciro_build_writes_the_site_after_the_release(graphviz, tmp_path):
    layout = copy_project(tmp_path)
    out, site = tmp_path / "ontology", tmp_path / "site"
    result = _run("build", "--root", str(layout.root), "--out", str(out), "--site", str(site))
    assert result.returncode == 0, result.stderr
    assert (out / "ciro.ttl").is_file() and (site / "map.html").is_file()
    assert "site written to" in result.stdout  # a step line: stdout (warnings and errors: stderr)
    assert not (layout.root / "docs").exists()  # a release written elsewhere does not redraw the README map


def test_the_site_answers_the_paths_the_w3id_rules_lead_to(site, store, fresh_release):
    """ontology/ is the release; every term and vocabulary IRI has its page and the description `ciro serve`
    gives, in every format, beside it (tests/test_w3id.py follows the redirects themselves)."""
    from rdflib import Graph
    from rdflib.compare import isomorphic

    from ciro.docs.iris import vocab_iris
    from ciro.web.answer import serialize_graph
    from ciro.web.pages import term_triples

    released = {p.relative_to(fresh_release) for p in fresh_release.rglob("*") if p.is_file()}
    assert released and all((site / "ontology" / p).read_bytes() == (fresh_release / p).read_bytes() for p in released)
    vocab = vocab_iris(store)
    assert len(vocab) > 50 and all((site / "vocab" / f"{iri.rsplit('/', 1)[1]}.html").is_file() for iri in vocab)
    formats = {"ttl": "turtle", "rdf": "xml", "jsonld": "json-ld", "nt": "nt"}
    for name, folder in (("CIRO_0000057", "terms"), ("CIRO_0000261", "terms"), ("involves", "vocab")):
        iri = "https://w3id.org/ciro/" + (f"vocab/{name}" if folder == "vocab" else name)
        served = Graph().parse(data=serialize_graph(term_triples(store, iri), "turtle"), format="turtle")
        for suffix, parser in formats.items():
            written = Graph().parse(site / folder / f"{name}.{suffix}", format=parser)
            assert len(written) >= 4 and isomorphic(written, served), (iri, suffix)
        page = (site / folder / f"{name}.html").read_text(encoding="utf-8")
        assert f'<a href="{name}.ttl">text/turtle</a>' in page
    assert "AddType application/rdf+xml .owl .rdf" in (site / ".htaccess").read_text(encoding="utf-8")
