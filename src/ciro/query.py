"""`ciro query`: SPARQL over the release on an embedded pyoxigraph store (or a remote endpoint).

pyoxigraph answers multi-hop queries in milliseconds where rdflib's engine grows quadratically.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

from .errors import CiroError

__all__ = ["QueryError", "QueryResult", "load_store", "run_query", "format_result", "FORMATS"]

FORMATS = ("table", "csv", "tsv", "json", "turtle")


class QueryError(CiroError):
    """The query is not valid SPARQL, or could not be run."""


@dataclass(frozen=True)
class QueryResult:
    """Rows of a SELECT (variables + rows of N-Triples-like terms), a boolean, or Turtle for graphs."""

    kind: str  # "select" | "ask" | "graph"
    variables: tuple[str, ...] = ()
    rows: tuple[tuple[object, ...], ...] = ()
    boolean: bool | None = None
    turtle: str = ""


def load_store(ontology_dir: Path):
    """An in-memory store holding the release (ciro.ttl) and its import module (for external labels)."""
    import pyoxigraph as ox

    store = ox.Store()
    main = ontology_dir / "ciro.ttl"
    if not main.is_file():
        raise QueryError(f"{main} not found: run `ciro build` first")
    store.bulk_load(path=str(main), format=ox.RdfFormat.TURTLE)
    external = ontology_dir / "imports" / "ciro-external.owl"
    if external.is_file():
        store.bulk_load(path=str(external), format=ox.RdfFormat.RDF_XML)
    return store


def run_query(store, text: str) -> QueryResult:
    """Run SPARQL `text` on a pyoxigraph store."""
    import pyoxigraph as ox

    try:
        result = store.query(text)
    except SyntaxError as exc:
        raise QueryError(f"SPARQL syntax {exc.args[0] if exc.args else exc}") from None
    except (OSError, ValueError, RuntimeError) as exc:
        raise QueryError(f"query failed: {exc}") from None
    if isinstance(result, ox.QuerySolutions):
        variables = tuple(v.value for v in result.variables)
        rows = tuple(tuple(solution[v] for v in variables) for solution in result)
        return QueryResult("select", variables, rows)
    if isinstance(result, ox.QueryBoolean):
        return QueryResult("ask", boolean=bool(result))
    data = result.serialize(format=ox.RdfFormat.TURTLE)
    return QueryResult("graph", turtle=data.decode("utf-8") if isinstance(data, bytes) else str(data))


def _plain(term) -> str:
    if term is None:
        return ""
    return str(getattr(term, "value", term))


def _json_term(term) -> dict:
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype and term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        out["datatype"] = term.datatype.value
    return out


def format_result(result: QueryResult, fmt: str) -> str:
    """Render a result as table, csv, tsv, json (SPARQL 1.1 results JSON) or turtle."""
    if result.kind == "graph":
        return result.turtle
    if result.kind == "ask":
        return json.dumps({"head": {}, "boolean": result.boolean}) if fmt == "json" else str(result.boolean).lower()
    if fmt == "json":
        bindings = [
            {v: _json_term(t) for v, t in zip(result.variables, row, strict=True) if t is not None}
            for row in result.rows
        ]
        return json.dumps({"head": {"vars": list(result.variables)}, "results": {"bindings": bindings}}, indent=1)
    if fmt in ("csv", "tsv"):
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        writer.writerow(result.variables)
        for row in result.rows:
            writer.writerow([_plain(t) for t in row])
        return buffer.getvalue().rstrip("\n")
    if fmt != "table":
        raise QueryError(f"unknown format '{fmt}' (expected one of {', '.join(FORMATS)})")
    cells = [list(result.variables)] + [[_plain(t) for t in row] for row in result.rows]
    widths = [min(60, max(len(r[i]) for r in cells)) for i in range(len(result.variables))]

    def line(row):
        return " | ".join((c if len(c) <= 60 else c[:57] + "...").ljust(w) for c, w in zip(row, widths, strict=True))

    out = [line(cells[0]), "-+-".join("-" * w for w in widths)] + [line(r) for r in cells[1:]]
    out.append(f"({len(result.rows)} row{'s' if len(result.rows) != 1 else ''})")
    return "\n".join(out)
