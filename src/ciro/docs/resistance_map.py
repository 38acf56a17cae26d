"""The resistance map: mechanisms, targets, therapies and countermeasures drawn by Graphviz `dot` as SVG.

The DOT text is generated from the release in a fixed order and `dot` lays it out, so the same release gives
the same SVG on the same Graphviz version. Node links are made by a caller-supplied `href(iri)` function, so
one drawing serves the site (relative links), the README picture (term IRIs) and mechanism pages.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Iterable

from .model import MAP_KINDS, DocsError, Entity, Link, Release

__all__ = [
    "GraphvizMissing", "STYLE", "EDGE_LABELS", "COLUMNS", "dot_available", "dot_version", "map_dot",
    "neighbourhood_dot", "legend_html",
    "render_svg", "inline_svg",
]


class GraphvizMissing(DocsError):
    """Graphviz's `dot` is not installed (Debian: apt-get install graphviz)."""


# kind -> (fill colour, shape, legend text); colour-blind-safe (Okabe-Ito) pale tints, distinct shapes too
STYLE: dict[str, tuple[str, str, str]] = {
    "intrinsic": ("#f6c28b", "box", "mechanism, tumor-cell-intrinsic"),
    "extrinsic": ("#a6d2ef", "box", "mechanism, tumor-cell-extrinsic"),
    "unstated": ("#ffffff", "box", "mechanism, origin not stated"),
    "target": ("#c9e7c0", "ellipse", "target"),
    "therapy": ("#e8c6dc", "hexagon", "therapy"),
    "countermeasure": ("#f3ec9a", "box", "countermeasure"),
    "phenotype": ("#dddddd", "note", "phenotype"),
}
EDGE_LABELS: dict[str, str] = {
    "broader_mechanisms": "kind of",
    "broader_therapies": "kind of",
    "undermines": "undermines",
    "involves": "involves",
    "involves_loss_of": "loss of",
    "involves_gain_of": "gain of",
    "involves_upregulation_of": "up-regulation of",
    "involves_downregulation_of": "down-regulation of",
    "involves_mutation_of": "mutation of",
    "involves_dysregulation_of": "dysregulation of",
    "leads_to": "leads to",
    "counteracts": "counteracts",
    "acts_on": "acts on",
    "agents": "uses",
    "combined_with": "combined with",
    "therapy_targets": "targets",
}
# left-to-right column of each kind: a therapy, the countermeasure combined with it, the mechanism that the
# countermeasure counteracts, the targets the mechanism involves, the phenotypes it leads to
COLUMNS = {"therapy": 0, "countermeasure": 1, "mechanism": 2, "target": 3, "phenotype": 4}
_EDGE_COLOURS = {"counteracts": "#0072b2", "undermines": "#d55e00", "broader_mechanisms": "#999999",
                 "broader_therapies": "#999999"}


def dot_available() -> bool:
    """Whether Graphviz's `dot` is on PATH."""
    return shutil.which("dot") is not None


def dot_version() -> str:
    """The installed Graphviz version, e.g. `2.43.0`."""
    if not dot_available():
        raise GraphvizMissing("Graphviz `dot` not found (Debian/Ubuntu: apt-get install graphviz)")
    out = subprocess.run(["dot", "-V"], capture_output=True, text=True, check=False)
    found = re.search(r"version (\S+)", out.stderr + out.stdout)
    return found.group(1) if found else "unknown"


def _q(text: str) -> str:
    """A DOT double-quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _wrap(text: str, width: int = 24) -> str:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(lines)


def _style_key(entity: Entity) -> str:
    if entity.kind == "mechanism":
        if not entity.origin:
            return "unstated"  # the root, and mechanisms whose source gives no origin: in no origin's box
        return "extrinsic" if "extrinsic" in entity.origin else "intrinsic"
    return entity.kind


def _node(entity: Entity, href: Callable[[str], str], focus: bool = False) -> str:
    fill, shape, legend = STYLE[_style_key(entity)]
    tooltip = f"{entity.label} ({entity.curie}, {legend})"
    attrs = [
        f"label={_q(_wrap(entity.label))}", f"shape={shape}", f"fillcolor={_q(fill)}", f"tooltip={_q(tooltip)}",
        f"href={_q(href(entity.iri))}", 'target="_top"', f"id={_q(entity.slug)}",
        f"class={_q(entity.kind + ' ' + _style_key(entity))}",
    ]
    if entity.kind == "mechanism":
        attrs.append('style="rounded,filled"')
    if focus:
        attrs.append("penwidth=3")
    return f"  {_q(entity.slug)} [{', '.join(attrs)}];"


def _roots(members: list[Entity], links: list[Link]) -> set[str]:
    """Mechanisms broader than others and narrower than none: the taxonomy's root(s)."""
    mechanisms = {e.iri for e in members if e.kind == "mechanism"}
    taxonomy = [lk for lk in links if lk.relation == "broader_mechanisms"]
    narrower = {lk.subject for lk in taxonomy}
    return {lk.object for lk in taxonomy if lk.object in mechanisms and lk.object not in narrower}


def _edge(link: Link, release: Release, labelled: bool = True, ranked_taxonomy: bool = False,
          roots: set[str] = frozenset()) -> str:
    """One edge; drawn from the left column to the right one (`dir=back` when the link points leftwards). An
    edge to a root of the taxonomy is drawn from the root's column, left of the mechanisms'."""
    colour = _EDGE_COLOURS.get(link.relation, "#555555")
    label = EDGE_LABELS.get(link.relation, link.relation.replace("_", " "))
    s, o = release.entities[link.subject], release.entities[link.object]
    attrs = [f"color={_q(colour)}", f"fontcolor={_q(colour)}", f"tooltip={_q(f'{s.label} {label} {o.label}')}",
             f"id={_q(f'{s.slug}-{link.relation}-{o.slug}')}"]
    if labelled:
        attrs.insert(0, f"label={_q(label)}")
    if link.relation.startswith("broader_"):
        attrs.append("style=dashed")
    tail, head = s, o
    if o.iri in roots and s.iri not in roots and s.kind == "mechanism":
        tail, head = o, s  # the root's column comes first
        attrs.append("dir=back")
    elif COLUMNS[s.kind] > COLUMNS[o.kind]:
        tail, head = o, s
        attrs.append("dir=back")
    elif COLUMNS[s.kind] == COLUMNS[o.kind] and not ranked_taxonomy:
        attrs.append("constraint=false")
    return f"  {_q(tail.slug)} -> {_q(head.slug)} [{', '.join(attrs)}];"


def _legend(kinds: Iterable[str], relations: Iterable[str]) -> str:
    cells = "".join(f'<TD BGCOLOR="{STYLE[k][0]}" BORDER="1"> {STYLE[k][2]} </TD>' for k in kinds)
    for relation in relations:
        colour = _EDGE_COLOURS.get(relation, "#555555")
        dash = "- - -" if relation.startswith("broader_") else "——"
        cells += f'<TD><FONT COLOR="{colour}">{dash}&gt; {EDGE_LABELS[relation]}</FONT></TD>'
    return f'<<TABLE BORDER="0" CELLSPACING="6" CELLPADDING="4"><TR>{cells}</TR></TABLE>>'


_HEADER = [
    'graph [rankdir=LR, fontname="Helvetica", fontsize=12, nodesep=0.15, ranksep=0.7, newrank=true,'
    ' labelloc=t, labeljust=l];',
    'node [fontname="Helvetica", fontsize=11, style=filled, color="#444444", margin="0.08,0.03"];',
    'edge [fontname="Helvetica", fontsize=9, arrowsize=0.6];',
]


def _graph(release: Release, members: list[Entity], links: list[Link], href: Callable[[str], str],
           name: str, focus: str = "", label_broader: bool = True, legend: str = "") -> str:
    """Nodes in one column per kind (therapies, countermeasures, mechanisms grouped by origin, targets,
    phenotypes), edges between them. With a `focus` (a neighbourhood), narrower and broader mechanisms get
    columns of their own on either side of it."""
    lines = [f"digraph {name} {{", *("  " + h for h in _HEADER)]
    if legend:
        lines.append(f"  label={legend};")
    for origin in ("intrinsic", "extrinsic"):
        group = [e for e in members if e.kind == "mechanism" and _style_key(e) == origin]
        if group:
            title = f"{group[0].origin} mechanisms"
            lines.append(f"  subgraph cluster_{origin} {{")
            lines.append(f'    label={_q(title)}; style="rounded,dashed"; color="#888888"; fontsize=13;')
            lines.extend("  " + _node(e, href, e.iri == focus) for e in group)
            lines.append("  }")
    roots = set() if focus else _roots(members, links)
    lines.extend(_node(e, href, e.iri == focus) for e in members
                 if (e.kind != "mechanism" or _style_key(e) == "unstated") and e.iri not in roots)
    if roots:
        # The taxonomy's root (immunotherapy resistance) in a column of its own, between the countermeasures and
        # the mechanisms: the many edges that meet there (counteracts, kind of) stay out of the origin boxes.
        lines.append("  subgraph cluster_root {")
        lines.append('    label="the root of the mechanism taxonomy"; style="rounded,dotted"; color="#888888"; '
                     "fontsize=11;")
        lines.extend("  " + _node(e, href) for e in members if e.iri in roots)
        lines.append("  }")
        lines.append(f"  {{ rank=same; {' '.join(_q(release.entities[r].slug) for r in sorted(roots))} }}")
    for kind in COLUMNS:
        if focus and kind == "mechanism":
            continue
        column = [_q(e.slug) for e in members if e.kind == kind and e.iri not in roots]
        if column:
            lines.append(f"  {{ rank=same; {' '.join(column)} }}")
    lines.extend(_edge(lk, release, label_broader or not lk.relation.startswith("broader_"), bool(focus), roots)
                 for lk in links)
    lines.append("}")
    return "\n".join(lines) + "\n"


_LEGEND_KINDS = ("therapy", "countermeasure", "intrinsic", "extrinsic", "unstated", "target")


def _legend_relations(links: list[Link]) -> list[str]:
    used = sorted({lk.relation for lk in links if lk.relation in _EDGE_COLOURS})
    return [r for r in used if not r == "broader_therapies"]


def map_dot(release: Release, href: Callable[[str], str], legend: bool = True) -> str:
    """The whole map: one node per mechanism, target, therapy and countermeasure. The many `kind of` edges
    (the mechanism taxonomy) are dashed and explained by the legend rather than labelled one by one;
    `legend=False` leaves the legend out of the drawing (the site shows it as HTML: `legend_html`)."""
    links = release.specific_links(MAP_KINDS)
    text = _legend(_LEGEND_KINDS, _legend_relations(links)) if legend else ""
    return _graph(release, release.of_kind(*MAP_KINDS), links, href, "ciro_resistance_map",
                  label_broader=False, legend=text)


def legend_html(release: Release) -> str:
    """The map's legend as HTML (the same kinds, colours and edge styles as the drawn one)."""
    from html import escape

    items = [f'<li><span class="swatch" style="background:{STYLE[k][0]}"></span>{escape(STYLE[k][2])}</li>'
             for k in _LEGEND_KINDS]
    for relation in _legend_relations(release.specific_links(MAP_KINDS)):
        colour = _EDGE_COLOURS.get(relation, "#555555")
        style = "dashed" if relation.startswith("broader_") else "solid"
        items.append(f'<li><span class="edge" style="border-top:2px {style} {colour}"></span>'
                     f'<span style="color:{colour}">{escape(EDGE_LABELS[relation])}</span></li>')
    return f'<ul class="legend" aria-label="Legend of the map">{"".join(items)}</ul>'



def neighbourhood_dot(release: Release, iri: str, href: Callable[[str], str]) -> str:
    """One entity with everything linked to it directly (either direction), phenotypes included; every edge
    labelled."""
    links = [lk for lk in release.specific_links() if iri in (lk.subject, lk.object)]
    members = sorted({iri} | {lk.subject for lk in links} | {lk.object for lk in links})
    return _graph(release, [release.entities[m] for m in members], links, href, "ciro_neighbourhood", focus=iri)


def render_svg(dot_text: str) -> str:
    """Lay out DOT text with `dot -Tsvg`; raises GraphvizMissing when Graphviz is not installed."""
    if not dot_available():
        raise GraphvizMissing("Graphviz `dot` not found (Debian/Ubuntu: apt-get install graphviz)")
    result = subprocess.run(["dot", "-Tsvg"], input=dot_text.encode("utf-8"), capture_output=True, check=False)
    if result.returncode != 0:
        raise DocsError(f"dot failed: {result.stderr.decode('utf-8', 'replace').strip()}")
    return result.stdout.decode("utf-8")


def inline_svg(svg: str, css_class: str = "ciro-map", fit: bool = False) -> str:
    """The SVG element alone (no XML prolog, DOCTYPE or comments), for embedding in HTML; `fit` lets it
    shrink to its container (keeping its proportions) instead of keeping Graphviz's size."""
    element = svg[svg.index("<svg"):].strip()
    style = ' style="max-width:100%;height:auto"' if fit else ""
    return element.replace("<svg ", f'<svg class="{css_class}"{style} ', 1)
