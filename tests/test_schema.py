"""The LinkML schema: documented, its prefixes right (and CIRO IRIs unambiguous), its mappings verified."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import bioregistry
import pytest
import yaml
from linkml_runtime.utils.schemaview import SchemaView

from ciro.curate.rdf import RdfMapper

from .conftest import REPO

SCHEMA = REPO / "schema" / "ciro.yaml"


@pytest.fixture(scope="module")
def view() -> SchemaView:
    return SchemaView(str(SCHEMA))


def test_every_element_has_a_description(view):
    missing = [n for n, c in view.all_classes().items() if not c.description]
    missing += [n for n, s in view.all_slots().items() if not s.description]
    for name, enum in view.all_enums().items():
        missing += [name] if not enum.description else []
        missing += [f"{name}.{v}" for v, pv in enum.permissible_values.items() if not pv.description]
    assert missing == []


def test_ciro_ids_expand_to_their_own_namespace(view):
    assert view.expand_curie("CIRO:0000100") == "https://w3id.org/ciro/CIRO_0000100"
    assert RdfMapper.from_schema(SCHEMA).iri("CIRO:0000123") == __import__("rdflib").URIRef(
        "https://w3id.org/ciro/CIRO_0000123")
    # LinkML matches prefixes case-insensitively: no other prefix may equal 'ciro' in any case.
    clashes = [p for p in view.schema.prefixes if p.lower() == "ciro" and p != "CIRO"]
    assert clashes == []


def test_a_second_ciro_prefix_would_capture_ciro_ids(tmp_path):
    """The trap the schema avoids, measured: a lower-case 'ciro' prefix hijacks CIRO: CURIEs."""
    text = SCHEMA.read_text().replace(
        "  cirovocab: https://w3id.org/ciro/vocab/\n",
        "  cirovocab: https://w3id.org/ciro/vocab/\n  ciro: https://w3id.org/ciro/vocab/\n",
    )
    trap = tmp_path / "trap.yaml"
    trap.write_text(text)
    assert SchemaView(str(trap)).expand_curie("CIRO:0000100") != "https://w3id.org/ciro/CIRO_0000100"


def test_external_prefixes_are_the_canonical_ones(view):
    """Each prefix expands as the prefixmaps 'merged' context says where it has the prefix (the context
    linkml-lint's canonical_prefixes rule and OAK read: http://identifiers.org/hgnc/ for HGNC), else as the
    Bioregistry says (OBO PURLs for OBO Foundry ontologies, identifiers.org otherwise)."""
    from prefixmaps import load_multi_context

    merged = load_multi_context(["merged"]).as_dict()
    own = {"linkml", "CIRO", "cirovocab", "rdf", "rdfs", "owl", "xsd", "skos", "dcterms", "oboInOwl", "fabio"}
    checked = canonical = 0
    for prefix, pdef in view.schema.prefixes.items():
        if prefix in own:
            continue
        resource = bioregistry.get_resource(prefix)
        assert resource is not None, prefix
        if prefix in merged:
            assert str(pdef.prefix_reference) == merged[prefix], prefix
            canonical += 1
        else:
            assert str(pdef.prefix_reference) == resource.get_uri_prefix(priority=["obofoundry", "miriam"]), prefix
        checked += 1
    assert checked >= 10 and canonical >= 4
    assert view.schema.prefixes["HGNC"].prefix_reference == "http://identifiers.org/hgnc/"


def test_linkml_lint_finds_no_non_canonical_prefix(tmp_path):
    def lint(path: Path) -> str:
        result = subprocess.run([str(Path(sys.executable).with_name("linkml-lint")), str(path)],
                                capture_output=True, text=True, timeout=600)
        assert "Traceback" not in result.stderr
        return result.stdout + result.stderr

    assert "canonical_prefixes" not in lint(SCHEMA)
    # the IRIs CIRO used before: linkml-lint flags them
    old = tmp_path / "ciro.yaml"
    old.write_text(SCHEMA.read_text(encoding="utf-8").replace('HGNC: "http://identifiers.org/hgnc/"',
                                                              'HGNC: "https://identifiers.org/hgnc:"'))
    assert "canonical_prefixes" in lint(old)


def test_schema_ids_are_unique(view):
    meanings = [pv.meaning for e in view.all_enums().values() for pv in e.permissible_values.values()]
    defined = re.findall(r"defined_class: (CIRO:\d{7})", SCHEMA.read_text())
    ids = meanings + defined
    assert len(ids) == len(set(ids))
    own = [i for i in ids if i.startswith("CIRO:")]
    assert all(re.fullmatch(r"CIRO:00000\d\d", i) for i in own)  # schema terms stay below CIRO:0000100
    # The others are meanings from other ontologies (IAO's obsolescence reasons), each a checked external term.
    registry = {t["id"] for path in (REPO / "instances" / "external_terms").glob("*.yaml")
                for t in yaml.safe_load(path.read_text())}
    assert set(ids) - set(own) <= registry


def test_mappings_are_verified_external_terms(view):
    """Every external CURIE the schema maps to is in the registry of checked identifiers."""
    registry = set()
    for path in (REPO / "instances" / "external_terms").glob("*.yaml"):
        registry |= {t["id"] for t in yaml.safe_load(path.read_text())}
    used = set()
    for element in list(view.all_classes().values()) + list(view.all_slots().values()):
        for attr in ("exact_mappings", "broad_mappings", "narrow_mappings", "related_mappings", "close_mappings"):
            used |= set(getattr(element, attr) or [])
    assert used and used <= registry, sorted(used - registry)
