"""Tests on single RDF terms of the index: datatype, pattern, order (sh:minInclusive, sh:lessThan ...), string
length and language. Datatype and pattern follow pyshacl's code (rdflib's literal rules) so that both engines
report the same values; ordering follows SPARQL's operators, as the SHACL spec defines it."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

from rdflib import RDF, RDFS, XSD, BNode, Literal

__all__ = ["datatype_ok", "pattern_ok", "less", "lexical", "lang_matches", "language", "regex"]

_STRING, _LANG_STRING, _LITERAL, _DATATYPE = XSD.string, RDF.langString, RDFS.Literal, RDFS.Datatype
_NUMERIC = {str(XSD[t]) for t in (
    "integer", "decimal", "float", "double", "nonPositiveInteger", "negativeInteger", "long", "int", "short", "byte",
    "nonNegativeInteger", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte", "positiveInteger")}
_EXPECTED = {XSD.string: (str, bytes), RDF.langString: (str, bytes), XSD.integer: int, XSD.float: float,
             XSD.decimal: Decimal, XSD.boolean: bool, XSD.date: datetime.date, XSD.time: datetime.time,
             XSD.dateTime: datetime.datetime}


def datatype_ok(v, rule) -> bool:
    """pyshacl's DatatypeConstraintComponent, for one value."""
    cls = type(v)
    if cls is str or cls is BNode:
        return False
    if cls is tuple:  # a plain literal: datatype None, no language, its value a str
        return rule in (_STRING, _LITERAL)
    if v.datatype == rule:
        return False if v.ill_typed is True else _actual_datatype(v, rule)
    if rule == _LITERAL:
        return True
    if rule == _DATATYPE and v.datatype:
        return True
    if v.datatype is None and v.language is None and rule == _STRING:
        return _actual_datatype(v, rule)
    if rule == _LANG_STRING and v.language:
        return _actual_datatype(v, rule)
    return False


def _actual_datatype(v: Literal, rule) -> bool:
    expected = _EXPECTED.get(rule)
    return True if expected is None else isinstance(v.value, expected)


def regex(pattern: str, flags: str) -> re.Pattern:
    """sh:pattern with sh:flags (XPath flags s, m, i, x, q) as a Python pattern."""
    bits = 0
    for flag, bit in (("s", re.S), ("m", re.M), ("i", re.I), ("x", re.X)):
        if flag in flags:
            bits |= bit
    return re.compile(re.escape(pattern) if "q" in flags else pattern, bits)


def pattern_ok(pattern: re.Pattern, v) -> bool:
    """sh:pattern on one value (a blank node never matches)."""
    if type(v) is BNode:
        return False
    if type(v) is tuple:
        text = v[0]
    elif isinstance(v, Literal):
        text = str(v.value) if v.value is not None and v.datatype in (None, _LANG_STRING, _STRING) else str(v)
    else:
        text = str(v)
    return pattern.search(text) is not None


def lexical(v) -> str:
    """STR(v): an IRI's text or a literal's lexical form."""
    return v[0] if type(v) is tuple else str(v)


def language(v) -> str | None:
    return v.language if isinstance(v, Literal) and v.language else None


def lang_matches(tag: str, ranges) -> bool:
    """SPARQL langMatches (basic filtering) against any of `ranges`."""
    tag = tag.lower()
    for r in ranges:
        r = r.lower()
        if (r == "*" and tag) or tag == r or tag.startswith(r + "-"):
            return True
    return False


def _key(v):
    """(kind, comparable value) for SPARQL's order operators; None when the term has no ordered value."""
    if type(v) is tuple:
        return ("string", v[0])
    if not isinstance(v, Literal) or v.language:
        return None
    dt = str(v.datatype) if v.datatype else str(_STRING)
    if dt == str(_STRING):
        return ("string", str(v))
    if v.ill_typed or v.value is None or isinstance(v.value, str) and dt != str(_STRING):
        return None
    if dt in _NUMERIC:
        value = v.value
        if isinstance(value, bool):
            return None
        return ("number", value)
    if dt == str(XSD.boolean):
        return ("boolean", v.value)
    if dt == str(XSD.dateTime):
        return ("dateTime", v.value)
    if dt == str(XSD.date):
        return ("date", v.value)
    if dt == str(XSD.time):
        return ("time", v.value)
    return None


def less(a, b, or_equal: bool) -> bool:
    """Whether SPARQL's `a < b` (or `<=`) is true; False when the two are not comparable."""
    ka, kb = _key(a), _key(b)
    if ka is None or kb is None or ka[0] != kb[0]:
        return False
    x, y = ka[1], kb[1]
    try:
        if ka[0] == "number":
            if isinstance(x, float) or isinstance(y, float):
                x, y = float(x), float(y)
            else:
                x, y = Decimal(x), Decimal(y)
        elif ka[0] in ("dateTime", "time") and (x.tzinfo is None) != (y.tzinfo is None):
            return False  # one with a timezone and one without: indeterminate
        return x <= y if or_equal else x < y
    except (TypeError, ValueError, ArithmeticError):
        return False
