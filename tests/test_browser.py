"""The documentation site in a real browser: headless Chromium driven by Selenium, offline.

The site is served from a local http.server on 127.0.0.1 that records every request, every internal link
is followed (no 404), no page logs a console error, the map shows one node per curated entity, and the
search finds the JAK1/2 mechanism (also from file://, with no server at all). Screenshots are kept under
build/test-artifacts/.
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
        if url.endswith((".owl", ".ttl", ".jsonld", ".json", ".xml", ".tsv")):  # a download (releases/<v>/...):
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
