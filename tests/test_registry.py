"""The Bioregistry record for the CIRO prefix (registry/bioregistry-ciro.json): valid under the Bioregistry's own
model, and true of the release (its pattern, URI format, example and downloads)."""

from __future__ import annotations

import json
import re

from rdflib import OWL, RDF, Graph, URIRef

from ciro.release import RELEASE_FILES

from .conftest import REPO

RECORD = REPO / "registry" / "bioregistry-ciro.json"


def test_record_is_a_valid_bioregistry_resource():
    from bioregistry import Resource

    data = json.loads(RECORD.read_text(encoding="utf-8"))
    resource = Resource.model_validate(data)
    assert resource.prefix == "ciro" and resource.get_preferred_prefix() == "CIRO"
    assert resource.get_uri_format() == "https://w3id.org/ciro/CIRO_$1"
    assert resource.get_license() == "CC-BY-4.0"


def test_record_matches_the_release(fresh_release):
    data = json.loads(RECORD.read_text(encoding="utf-8"))
    graph = Graph().parse(fresh_release / "ciro.owl", format="xml")
    example = URIRef(data["uri_format"].replace("$1", data["example"]))
    assert (example, RDF.type, OWL.Class) in graph
    prefix = data["uri_format"].removesuffix("$1")
    ids = {str(s)[len(prefix):] for s in graph.subjects() if str(s).startswith(prefix)}
    assert len(ids) > 300 and all(re.fullmatch(data["pattern"], i) for i in ids)
    files = set(RELEASE_FILES)
    for key in ("download_owl", "download_obo", "download_json", "download_rdf"):
        name = data[key].removeprefix("https://w3id.org/ciro/")
        assert name in files and (fresh_release / name).is_file(), key
