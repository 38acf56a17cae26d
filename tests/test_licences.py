"""Licence files, the package's licence fields, CITATION.cff and the ontology header agree with each other and
with the last kept release."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib

import jsonschema
import yaml
from rdflib import Graph, Literal, URIRef

from ciro.release.vocab import LICENSE, ONTOLOGY_IRI, citation, version_iri
from ciro.versions import last_release

from .conftest import REPO

DCTERMS = "http://purl.org/dc/terms/"
APACHE_SHA256 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"  # apache.org's LICENSE-2.0.txt


def test_licence_texts():
    code = (REPO / "LICENSE").read_bytes()
    assert hashlib.sha256(code).hexdigest() == APACHE_SHA256
    data = (REPO / "LICENSE-DATA").read_text(encoding="utf-8")
    assert "Creative Commons Attribution 4.0 International Public License" in data
    sections = re.findall(r"^Section (\d) – ", data, flags=re.M)
    assert sections == [str(n) for n in range(1, 9)]
    assert "<<" not in data and not re.search(r"[ \t]+$", data, flags=re.M)


def test_package_licence_fields():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "Apache-2.0"
    assert all((REPO / name).is_file() for name in project["license-files"])
    assert {"LICENSE", "LICENSE-DATA"} <= set(project["license-files"])


def test_vendored_material_is_listed_with_its_licence():
    listing = (REPO / "LICENSES.md").read_text(encoding="utf-8")
    for folder, licence in (("tests/data/w3c-shacl", "LICENSE.md"), ("tests/data/ro", "LICENSE.txt"),
                            ("tests/data/cff", "LICENSE.txt")):
        assert (REPO / folder / licence).is_file()
        assert f"{folder}/{licence}" in listing
    assert "instances/sources/" in listing


def test_citation_cff_is_valid_and_names_the_last_release():
    cff = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    schema = json.loads((REPO / "tests/data/cff/schema-1.2.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker()).validate(cff)
    release = last_release(REPO / "releases")
    manifest = json.loads((release.path / "release-manifest.json").read_text(encoding="utf-8"))
    assert (cff["version"], cff["date-released"]) == (manifest["version"], manifest["release_date"])
    assert cff["license"] == "CC-BY-4.0"
    assert {i["value"] for i in cff["identifiers"]} == {str(version_iri(ONTOLOGY_IRI, manifest["version"]))}
    header = Graph().parse(release.path / "ciro.ttl")
    assert header.value(ONTOLOGY_IRI, URIRef(DCTERMS + "license")) == LICENSE
    expected = citation(manifest["version"], manifest["release_date"])
    assert header.value(ONTOLOGY_IRI, URIRef(DCTERMS + "bibliographicCitation")) == Literal(expected)
    assert expected.startswith(f"{cff['authors'][0]['name']} ({cff['date-released'][:4]}). {cff['title']}")


def test_citation_cff_schema_check_can_fail():
    schema = json.loads((REPO / "tests/data/cff/schema-1.2.0.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    broken = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8")) | {"license": "CC-BY-4"}
    assert list(validator.iter_errors(broken))
    assert list(validator.iter_errors({k: v for k, v in broken.items() if k != "authors"}))
