"""The documentation site in a real browser: headless Chromium driven by Selenium, offline.

The site is served from a local http.server on 127.0.0.1 that records every request, every internal link
is followed (no 404), no page logs a console error, the map shows one node per curated entity, and the
search finds the JAK1/2 mechanism (also from file://, with no server at all). The pages a person meets first
(index, map, a term page, a publication page, the questions) are photographed at a desktop (1400x900) and a
phone (390x844) viewport, each checked for the stylesheet and for anything wider than the screen that is not
in a frame meant to scroll. Screenshots are kept under build/test-artifacts/ (ignored by git).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import tempfile
import threading
import urllib.error
import urllib.request
from collections import deque
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest

from .conftest import REPO
from .debian import missing_commands

ARTIFACTS = REPO / "build" / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
PREFIXES = """PREFIX v: <https://w3id.org/ciro/vocab/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""


@pytest.fixture(scope="module")
def site(fresh_release, tmp_path_factory) -> Path:
    reason = missing_commands({"dot": "graphviz"})
    if reason:
        pytest.skip(reason)
    from ciro.docs import build_site
    from ciro.layout import Layout

    out = tmp_path_factory.mktemp("browser") / "site"
    build_site(Layout(REPO), fresh_release, out, progress=lambda _line: None)
    return out


class _Recorder(http.server.SimpleHTTPRequestHandler):
    """Serves the site and records (path, status) of every request."""

    requests: list[tuple[str, int]]

    def log_request(self, code="-", size="-") -> None:  # noqa: ARG002 - http.server's signature
        self.requests.append((self.path, int(code) if str(code).isdigit() else 0))

    def log_message(self, format, *args) -> None:  # noqa: A002 - quiet
        pass


@pytest.fixture(scope="module")
def server(site):
    handler = type("Handler", (_Recorder,), {"requests": []})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/", handler.requests
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    reason = missing_commands({"chromium": "chromium", "chromedriver": "chromium-driver"})
    if reason:
        pytest.skip(reason)
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[test]')")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                 "--window-size=1400,1000"):
        options.add_argument(flag)
    profile = tempfile.TemporaryDirectory(prefix="ciro-chromium-")
    options.add_argument(f"--user-data-dir={profile.name}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path, and Selenium Manager told to stay offline: nothing may be downloaded.
    os.environ.setdefault("SE_OFFLINE", "true")
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
    profile.cleanup()


def _errors(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


_LINKS_JS = """return Array.from(document.querySelectorAll('a')).map(a =>
    a.getAttribute('href') || a.getAttribute('xlink:href')).filter(h => h);"""


def _screenshot(driver, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    return path


def test_every_internal_link_resolves_and_no_page_logs_an_error(browser, server, site):
    base, requests = server
    seen, queue, errors, pages = set(), deque([base + "index.html"]), {}, 0
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        if url.endswith((".owl", ".ttl", ".jsonld", ".json", ".xml", ".tsv", ".rdf", ".nt")):  # a download:
            with contextlib.suppress(urllib.error.HTTPError):  # the browser would not navigate; the server
                urllib.request.urlopen(url, timeout=30).close()  # records a 4xx for the check below
            continue
        browser.get(url)
        pages += 1
        problems = _errors(browser)
        if problems:
            errors[url] = problems
        for href in browser.execute_script(_LINKS_JS):
            target = urldefrag(urljoin(url, href))[0]
            if target.startswith(base) and target not in seen:
                queue.append(target)
    not_found = sorted({path for path, code in requests if code >= 400})
    assert not not_found, f"{len(not_found)} internal links answered 4xx/5xx: {not_found[:10]}"
    assert not errors, f"console errors: {dict(list(errors.items())[:5])}"
    html_files = {p.relative_to(site).as_posix() for p in site.rglob("*.html")}
    reached = {urlparse(u).path.lstrip("/") for u in seen}
    assert html_files <= reached, f"pages no link leads to: {sorted(html_files - reached)[:10]}"
    assert pages >= len(html_files)


def test_the_map_renders_one_node_per_curated_entity(browser, server, fresh_release):
    from ciro.query import load_store

    store = load_store(fresh_release)
    expected = int(next(iter(store.query(PREFIXES + """SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {
        VALUES ?c { v:ResistanceMechanism v:Target v:Therapy v:Countermeasure } ?s a ?c }""")))[0].value)
    base, _ = server
    browser.get(base + "map.html")
    nodes = browser.execute_script("return document.querySelectorAll('svg.ciro-map g.node').length;")
    box = browser.execute_script("const r = document.querySelector('svg.ciro-map').getBoundingClientRect();"
                                 "return [r.width, r.height];")
    linked = browser.execute_script("return document.querySelectorAll('svg.ciro-map g.node a').length;")
    _screenshot(browser, "map.png")
    assert nodes == expected, f"{nodes} nodes drawn for {expected} curated entities"
    assert linked == nodes
    assert box[0] > 500 and box[1] > 500, f"the map is not drawn at a readable size: {box}"
    assert not _errors(browser)


def _search(browser, text: str) -> list[tuple[str, str]]:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    box = browser.find_element(By.ID, "search")
    box.clear()
    box.send_keys(text)
    WebDriverWait(browser, 5).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#search-results a"))
    return [(a.text, a.get_attribute("href")) for a in browser.find_elements(By.CSS_SELECTOR, "#search-results a")]


def _jak_mechanism(fresh_release) -> tuple[str, str]:
    from ciro.query import load_store

    row = next(iter(load_store(fresh_release).query(PREFIXES + """SELECT ?m ?l WHERE {
        ?m a v:ResistanceMechanism ; rdfs:label ?l . FILTER(CONTAINS(?l, "JAK1/2")) }""")))
    return row[0].value, row[1].value


def test_search_finds_the_jak_mechanism(browser, server, fresh_release):
    from selenium.webdriver.common.by import By

    iri, label = _jak_mechanism(fresh_release)
    base, _ = server
    browser.get(base + "index.html")
    hits = _search(browser, "JAK")
    _screenshot(browser, "search-jak.png")
    found = [href for text, href in hits if text.startswith(label)]
    assert found, f"'{label}' not among the hits for JAK: {hits}"
    browser.get(found[0])
    assert browser.find_element(By.TAG_NAME, "h1").text == label
    assert iri in browser.page_source
    assert browser.execute_script("return document.querySelectorAll('svg.ciro-neighbourhood g.node').length;") > 1
    _screenshot(browser, "jak-mechanism.png")
    assert not _errors(browser)


def test_search_works_without_a_server(browser, site, fresh_release):
    _iri, label = _jak_mechanism(fresh_release)
    browser.get((site / "index.html").as_uri())
    hits = _search(browser, "jak")
    assert any(text.startswith(label) for text, _ in hits), hits
    assert all(href.startswith("file://") for _, href in hits)


# --- one look, at two sizes ----------------------------------------------------------------------------------

VIEWPORTS = {"desktop": (1400, 900), "phone": (390, 844)}
# Elements that scroll their own content sideways by design: the map, a neighbourhood picture, wide answer
# tables, code, the search results list.
SCROLLERS = (".map-frame", ".neighbourhood-frame", ".table-scroll", "pre", "#search-results")
_STYLESHEET_JS = """
const sheets = Array.from(document.styleSheets).filter(s => s.href && s.href.endsWith('/assets/site.css'));
const header = document.querySelector('header.site');
return {sheets: sheets.length, rules: sheets.length ? sheets[0].cssRules.length : 0,
        header: header ? getComputedStyle(header).display : null,
        font: getComputedStyle(document.body).fontFamily};"""
_OVERFLOW_JS = """
const width = document.documentElement.clientWidth, scrollers = arguments[0];
const inScroller = e => scrollers.some(sel => e.closest(sel) && e.closest(sel) !== e);
const out = [];
for (const e of document.querySelectorAll('body *')) {
  const r = e.getBoundingClientRect();
  if (r.width === 0 || r.height === 0 || inScroller(e)) continue;
  if (r.right > width + 1 || r.left < -1)
    out.push(`${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.className && e.className.baseVal === undefined
      ? '.' + String(e.className).split(' ').join('.') : ''} [${Math.round(r.left)}, ${Math.round(r.right)}]`);
}
return {page: document.documentElement.scrollWidth, width: width, out: out.slice(0, 10)};"""


def _pages(fresh_release) -> dict[str, str]:
    from ciro.query import load_store

    iri, _label = _jak_mechanism(fresh_release)
    publication = next(iter(load_store(fresh_release).query(PREFIXES + """SELECT ?p WHERE {
        ?p a v:Publication ; rdfs:label ?l } ORDER BY ?l LIMIT 1""")))[0].value
    return {"index": "index.html", "map": "map.html", "term": f"terms/{iri.rsplit('/', 1)[1]}.html",
            "publication": f"publications/{publication.rsplit('/', 1)[1]}.html", "questions": "questions.html"}


@pytest.fixture
def viewport(browser):
    """Sets the browser's viewport (the page's own size, not the window's) and restores it afterwards."""

    def use(width: int, height: int) -> None:
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})

    yield use
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


@pytest.mark.parametrize("size", VIEWPORTS)
def test_pages_look_like_one_site_and_fit_the_screen(browser, server, fresh_release, viewport, size):
    width, height = VIEWPORTS[size]
    viewport(width, height)
    base, _ = server
    problems = {}
    for name, path in _pages(fresh_release).items():
        browser.get(base + path)
        style = browser.execute_script(_STYLESHEET_JS)
        assert style["sheets"] == 1 and style["rules"] > 20, (path, style)  # the site's stylesheet, loaded
        assert style["header"] == "flex" and "system-ui" in style["font"], (path, style)  # and applied
        assert browser.execute_script("return window.innerWidth;") == width  # the viewport asked for
        shot = _screenshot(browser, f"{name}-{width}x{height}.png")
        assert _png_size(shot) == (width, height)
        fit = browser.execute_script(_OVERFLOW_JS, list(SCROLLERS))
        if fit["page"] > fit["width"] or fit["out"]:
            problems[path] = fit
        assert not _errors(browser), path
    assert not problems, f"wider than the {width}px screen, outside any scrolling frame: {problems}"


@pytest.mark.parametrize("size", VIEWPORTS)
def test_the_map_fits_or_scrolls_in_its_frame_with_the_legend_in_view(browser, server, viewport, size):
    width, height = VIEWPORTS[size]
    viewport(width, height)
    base, _ = server
    browser.get(base + "map.html")
    frame = browser.execute_script("""const f = document.querySelector('.map-frame');
        return {scroll: f.scrollWidth, client: f.clientWidth, svg: f.querySelector('svg').getBoundingClientRect().width,
                overflow: getComputedStyle(f).overflowX};""")
    if size == "desktop":  # drawn to the frame's width: nothing to scroll sideways
        assert frame["scroll"] <= frame["client"] + 1 and frame["svg"] <= frame["client"] + 1, frame
    else:  # kept readable: wider than the phone, scrolled inside the frame (the page itself does not scroll)
        assert frame["overflow"] == "auto" and frame["scroll"] > frame["client"], frame
        assert browser.execute_script("return document.documentElement.scrollWidth;") <= width
    legend = "const r = document.querySelector('.legend').getBoundingClientRect(); return [r.top, r.bottom];"
    for fraction in (0.0, 0.5, 0.9):  # scroll down through the map: the legend stays on the screen
        browser.execute_script("const m = document.querySelector('.map-frame').getBoundingClientRect();"
                               "window.scrollTo(0, window.scrollY + m.top + m.height * arguments[0]);", fraction)
        top, bottom = browser.execute_script(legend)
        assert 0 <= top and bottom <= height, (fraction, top, bottom)
    _screenshot(browser, f"map-scrolled-{width}x{height}.png")
    items = browser.execute_script(
        "return Array.from(document.querySelectorAll('.legend li')).map(li => li.textContent);")
    assert "target" in items and "counteracts" in items and "kind of" in items
