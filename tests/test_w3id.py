"""The w3id.org rules for https://w3id.org/ciro/ (w3id/ciro/.htaccess) under the peer that will run them, Apache
httpd with mod_rewrite: once redirecting to `ciro serve`, once to the static site (itself served by Apache, with
the site's own .htaccess). Every IRI CIRO mints is asked for as a client would ask, the redirect's status and
Location checked, and the Location followed to a 200 of the right media type and content."""

from __future__ import annotations

import http.client
import json
import re
import shutil
import urllib.parse

import pytest
from rdflib import RDFS, Graph, URIRef

from ciro.layout import Layout

from .apache import APACHE_PACKAGES, free_ports, running_apache, world_readable_dir
from .conftest import REPO
from .debian import missing_commands
from .test_serve import running_server

RULES = REPO / "w3id" / "ciro" / ".htaccess"
PLACEHOLDER = "https://ciro.example.org"
TERM = "CIRO_0000261"  # JAK1/2 loss-of-function mutations, the Bioregistry record's example
VOCAB_TERM = "vocab/involves"
VERSION = "0.1.0"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
# The media type of each kind of release file, as `ciro serve` gives it and the site's .htaccess declares it.
FILE_TYPES = {"owl": "application/rdf+xml", "ttl": "text/turtle", "jsonld": "application/ld+json", "obo": "text/obo",
              "json": "application/json", "tsv": "text/tab-separated-values", "xml": "application/xml"}
# Accept header -> (suffix of the representation, its media type, rdflib's parser)
NEGOTIATED = {
    BROWSER: ("html", "text/html", None),
    None: ("html", "text/html", None),
    "*/*": ("html", "text/html", None),
    "text/turtle": ("ttl", "text/turtle", "turtle"),
    "application/rdf+xml": ("rdf", "application/rdf+xml", "xml"),
    "application/ld+json": ("jsonld", "application/ld+json", "json-ld"),
    "application/n-triples": ("nt", "application/n-triples", "nt"),
    # the first of CIRO's types the header names wins (mod_rewrite cannot weigh q-values)
    "application/ld+json, text/turtle;q=0.5": ("jsonld", "application/ld+json", "json-ld"),
    "text/html, text/turtle": ("html", "text/html", None),
    "application/rdf+xml, text/html;q=0.5": ("rdf", "application/rdf+xml", "xml"),
}


def request(url: str, accept: str | None = None) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One GET, redirects not followed: (status, headers, body)."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("GET", parts.path or "/", headers={"Accept": accept} if accept else {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def resolve(w3id: str, path: str, accept: str | None = None) -> tuple[int, str, int, str, bytes]:
    """Ask the w3id rules for `path` and follow the redirect once, as a client would (same Accept):
    (redirect status, Location, final status, final media type, final body)."""
    status, headers, _ = request(w3id + path, accept)
    location = headers.get("Location", "")
    assert status in (301, 302, 303, 307, 308), (path, accept, status)
    final, final_headers, body = request(location, accept)
    return status, location, final, final_headers.get_content_type(), body


@pytest.fixture(scope="module")
def peers(fresh_release):
    """{'serve': (w3id base, target), 'site': (w3id base, target)}: Apache with the rules twice, each copy with
    its target in the one line that names it, `ciro serve` on the release, and the site built from it."""
    from ciro.docs import build_site

    reason = missing_commands(APACHE_PACKAGES)
    if reason:
        pytest.skip(reason)
    work = world_readable_dir("ciro-w3id-")
    try:
        with running_server(fresh_release, "--releases", str(REPO / "releases")) as serve_base:
            rules_port, site_rules_port, site_port = free_ports(3)
            site_base = f"http://127.0.0.1:{site_port}/pub"  # a site below a path, as on a project host
            build_site(Layout(REPO), fresh_release, work / "static" / "pub", progress=lambda _line: None)
            for folder, target in (("w3id-serve", serve_base), ("w3id-site", site_base)):
                (work / folder / "ciro").mkdir(parents=True)
                text = RULES.read_text(encoding="utf-8").replace(PLACEHOLDER, target)
                (work / folder / "ciro" / ".htaccess").write_text(text, encoding="utf-8")
            for path in [work, *work.rglob("*")]:  # Apache's children run as nobody when the test is root
                path.chmod(0o755 if path.is_dir() else 0o644)
            roots = {rules_port: work / "w3id-serve", site_rules_port: work / "w3id-site", site_port: work / "static"}
            with running_apache(roots, work):
                yield {"serve": (f"http://127.0.0.1:{rules_port}/ciro/", serve_base),
                       "site": (f"http://127.0.0.1:{site_rules_port}/ciro/", site_base)}
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(params=["serve", "site"])
def peer(request, peers):
    return peers[request.param]


def test_the_target_is_named_in_one_line():
    text = RULES.read_text(encoding="utf-8")
    rules = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    naming = [line for line in rules if PLACEHOLDER in line]
    assert naming == [f"RewriteRule ^ - [E=CIRO_SITE:{PLACEHOLDER}]"]
    targets = [line.split()[2] for line in rules if line.startswith("RewriteRule ") and line.split()[2] != "-"]
    assert len(targets) > 8 and all(t.startswith("%{ENV:CIRO_SITE}/") for t in targets), targets
    assert not re.search(r"https?://(?!w3id\.org/ciro/)", text.replace(PLACEHOLDER, ""))


def test_every_product_of_the_release_resolves(peer, fresh_release):
    w3id, target = peer
    manifest = json.loads((fresh_release / "release-manifest.json").read_text(encoding="utf-8"))
    names = [entry["file"] for entry in manifest["files"]]
    assert {"ciro.owl", "ciro.ttl", "ciro.obo", "ciro.json", "ciro-base.owl", "imports/ciro-external.owl"} <= set(names)
    for name in names:
        status, location, final, media, body = resolve(w3id, name, "application/rdf+xml")
        assert (status, location) == (302, f"{target}/ontology/{name}"), name
        assert final == 200 and media == FILE_TYPES[name.rsplit(".", 1)[1]], (name, final, media)
        assert body == (fresh_release / name).read_bytes(), name


def test_the_ontology_iri_is_the_release_header(peer, fresh_release):
    w3id, _ = peer
    _, _, final, _, body = resolve(w3id, "ciro.owl")
    graph = Graph().parse(data=body, format="xml")
    assert (URIRef("https://w3id.org/ciro/ciro.owl"), None, None) in graph and final == 200


def test_every_file_of_a_kept_release_resolves_at_its_version_iri(peer):
    w3id, target = peer
    kept = REPO / "releases" / VERSION
    manifest = json.loads((kept / "release-manifest.json").read_text(encoding="utf-8"))
    assert manifest["version_iri"] == f"https://w3id.org/ciro/releases/{VERSION}/ciro.owl"
    for name in [entry["file"] for entry in manifest["files"]] + ["release-manifest.json"]:
        status, location, final, media, body = resolve(w3id, f"releases/{VERSION}/{name}")
        assert (status, location) == (302, f"{target}/releases/{VERSION}/{name}"), name
        assert final == 200 and body == (kept / name).read_bytes(), (name, final)
        assert media == FILE_TYPES[name.rsplit(".", 1)[1]], (name, media)
    status, location, final, media, body = resolve(w3id, "releases/")
    assert (status, final, media) == (302, 200, "text/html") and f"{VERSION}/ciro.owl".encode() in body


@pytest.mark.parametrize("accept", list(NEGOTIATED), ids=lambda a: a or "no-accept")
def test_a_term_iri_by_content_negotiation(peer, accept):
    w3id, target = peer
    suffix, media_type, parser = NEGOTIATED[accept]
    status, headers, _ = request(w3id + TERM, accept)
    assert status == 303 and headers["Location"] == f"{target}/terms/{TERM}.{suffix}"
    assert "Accept" in headers.get("Vary", "") and headers["Access-Control-Allow-Origin"] == "*"
    _, _, final, media, body = resolve(w3id, TERM, accept)
    assert final == 200 and media == media_type
    iri = URIRef("https://w3id.org/ciro/" + TERM)
    if parser is None:
        assert b"JAK1/2 loss-of-function mutations" in body and b"https://w3id.org/ciro/CIRO_0000261" in body
    else:
        graph = Graph().parse(data=body, format=parser)
        assert str(graph.value(iri, RDFS.label)) == "JAK1/2 loss-of-function mutations"


def test_every_format_of_a_term_describes_the_same_triples(peer):
    from rdflib.compare import isomorphic

    w3id, _ = peer
    graphs = []
    for accept, (_, _, parser) in NEGOTIATED.items():
        if parser:
            graphs.append(Graph().parse(data=resolve(w3id, TERM, accept)[4], format=parser))
    assert len(graphs[0]) > 10 and all(isomorphic(graphs[0], g) for g in graphs[1:])


def test_a_suffix_names_one_representation(peer):
    w3id, target = peer
    for suffix, media_type in (("ttl", "text/turtle"), ("rdf", "application/rdf+xml"), ("html", "text/html")):
        status, location, final, media, _ = resolve(w3id, f"{TERM}.{suffix}", "application/ld+json")
        assert (status, location, final, media) == (303, f"{target}/terms/{TERM}.{suffix}", 200, media_type)


def test_a_vocabulary_iri_by_content_negotiation(peer):
    w3id, target = peer
    status, location, final, media, body = resolve(w3id, VOCAB_TERM, "text/turtle")
    assert (status, location, final, media) == (303, f"{target}/{VOCAB_TERM}.ttl", 200, "text/turtle")
    graph = Graph().parse(data=body, format="turtle")
    assert (URIRef("https://w3id.org/ciro/" + VOCAB_TERM), None, None) in graph
    status, location, final, media, body = resolve(w3id, VOCAB_TERM, BROWSER)
    assert (status, location, final, media) == (303, f"{target}/{VOCAB_TERM}.html", 200, "text/html")
    assert b"https://w3id.org/ciro/vocab/involves" in body


def test_the_namespace_leads_to_the_front_page_or_the_ontology(peer):
    w3id, target = peer
    status, location, final, media, _ = resolve(w3id, "", BROWSER)
    assert (status, location, final, media) == (303, f"{target}/", 200, "text/html")
    for accept, name in (("text/turtle", "ciro.ttl"), ("application/rdf+xml", "ciro.owl"),
                         ("application/ld+json", "ciro.jsonld")):
        status, location, final, media, _ = resolve(w3id, "", accept)
        assert (status, location, final, media) == (303, f"{target}/ontology/{name}", 200, accept)


def test_unknown_paths_are_not_found(peer):
    w3id, target = peer
    for path in ("no/such/thing", "CIRO_12", "CIRO_00002610", "releases/latest/ciro.owl", "releases/0.1/ciro.owl",
                 "vocab/", "Ciro.owl"):
        status, headers, _ = request(w3id + path, "text/turtle")
        assert status == 404 and "Location" not in headers, path
    # a well-formed IRI CIRO never minted is redirected, and the target says it does not know it
    status, location, final, _, _ = resolve(w3id, "CIRO_9999999", "text/turtle")
    assert (status, location, final) == (303, f"{target}/terms/CIRO_9999999.ttl", 404)


def test_every_url_of_the_bioregistry_record_resolves(peer):
    w3id, _ = peer
    record = json.loads((REPO / "registry" / "bioregistry-ciro.json").read_text(encoding="utf-8"))
    urls = [record["homepage"], record["uri_format"].replace("$1", record["example"])]
    urls += [value for key, value in sorted(record.items()) if key.startswith("download_")]
    assert len(urls) == 6
    for url in urls:
        assert url.startswith("https://w3id.org/ciro/"), url
        final = resolve(w3id, url.removeprefix("https://w3id.org/ciro/"))[2]
        assert final == 200, url


@pytest.mark.parametrize("fmt", [None, "turtle", "xml", "json-ld"])
def test_rdflib_dereferences_a_term_iri(peer, fmt):
    """rdflib, a client as users hold it: its own Accept header for each format (none: every type it parses,
    JSON-LD first), redirects followed by urllib, the parser chosen from the answer's media type."""
    w3id, _ = peer
    graph = Graph().parse(w3id + TERM, format=fmt)
    assert str(graph.value(URIRef("https://w3id.org/ciro/" + TERM), RDFS.label)) == "JAK1/2 loss-of-function mutations"
