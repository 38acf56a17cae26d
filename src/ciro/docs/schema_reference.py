"""The schema reference page, generated from the LinkML schema with SchemaView (classes, slots, enums)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .html import esc, table

__all__ = ["schema_reference", "schema_anchors"]


def schema_anchors(schema_path: Path) -> dict[str, str]:
    """The anchor on the schema page of every class, slot and enum, by name (`Target` -> `class-Target`)."""
    from linkml_runtime.utils.schemaview import SchemaView

    view = SchemaView(str(schema_path))
    anchors = {name: f"enum-{name}" for name in view.all_enums(imports=False)}
    anchors.update({name: f"slot-{name}" for name in (view.schema.slots or {})})
    anchors.update({name: f"class-{name}" for name in view.all_classes(imports=False)})
    return anchors


def schema_reference(schema_path: Path, term_href: Callable[[str], str | None]) -> tuple[str, str]:
    """(title, body HTML) of the schema reference. `term_href(curie)` gives the page of a CIRO term, if any."""
    from linkml_runtime.utils.schemaview import SchemaView

    view = SchemaView(str(schema_path))
    schema = view.schema
    classes = list(view.all_classes(imports=False).values())
    enums = list(view.all_enums(imports=False).values())
    slots = [view.get_slot(name) for name in (schema.slots or {})]
    class_names = {c.name for c in classes}
    enum_names = {e.name for e in enums}

    def expand(curie: str) -> str:
        try:
            return view.expand_curie(curie)
        except (ValueError, KeyError):
            return curie

    def curie_link(curie: str) -> str:
        href = term_href(curie)
        if href:
            return f'<a href="{esc(href)}"><code>{esc(curie)}</code></a>'
        iri = expand(curie)
        if iri.startswith(("http://", "https://")):
            return f'<a href="{esc(iri)}"><code>{esc(curie)}</code></a>'
        return f"<code>{esc(curie)}</code>"

    def range_link(name: str | None) -> str:
        name = name or "string"
        if name in class_names:
            return f'<a href="#class-{esc(name)}">{esc(name)}</a>'
        if name in enum_names:
            return f'<a href="#enum-{esc(name)}">{esc(name)}</a>'
        return f"<code>{esc(name)}</code>"

    def mappings(element) -> str:
        parts = []
        for kind in ("exact_mappings", "broad_mappings", "narrow_mappings", "related_mappings", "close_mappings"):
            values = getattr(element, kind, None) or []
            if values:
                parts.append(f"{kind.replace('_', ' ')}: " + ", ".join(curie_link(v) for v in values))
        return "; ".join(parts)

    def cardinality(slot) -> str:
        low = "1" if slot.required else "0"
        return f"{low}..*" if slot.multivalued else f"{low}..1"

    used_by: dict[str, list[str]] = {}
    for cls in classes:
        for name in view.class_slots(cls.name):
            used_by.setdefault(name, []).append(cls.name)

    out = [f"<h1>{esc(schema.title or schema.name)} <span class='muted'>version {esc(schema.version)}</span></h1>"]
    out.append(f"<p>{esc(schema.description or '')}</p>")
    out.append(f"<p class='muted'>Schema id <code>{esc(schema.id)}</code>; generated from <code>schema/"
               f"{esc(schema_path.name)}</code> by SchemaView. Classes and slots live under "
               f"<code>{esc(view.namespaces().get(schema.default_prefix, ''))}</code>.</p>")
    out.append("<nav class='toc'><h2>Contents</h2><ul>")
    out.append("<li><a href='#classes'>Classes</a>: " + ", ".join(
        f"<a href='#class-{esc(c.name)}'>{esc(c.name)}</a>" for c in classes) + "</li>")
    out.append("<li><a href='#slots'>Slots</a>: " + ", ".join(
        f"<a href='#slot-{esc(s.name)}'>{esc(s.name)}</a>" for s in slots) + "</li>")
    out.append("<li><a href='#enums'>Enumerations</a>: " + ", ".join(
        f"<a href='#enum-{esc(e.name)}'>{esc(e.name)}</a>" for e in enums) + "</li>")
    out.append("<li><a href='#prefixes'>Prefixes</a></li></ul></nav>")

    out.append("<h2 id='classes'>Classes</h2>")
    for cls in classes:
        facts = []
        if cls.is_a:
            facts.append(f"is a {range_link(cls.is_a)}")
        if cls.abstract:
            facts.append("abstract")
        if cls.tree_root:
            facts.append("the root of a data file")
        facts.append(f"URI <code>{esc(view.get_uri(cls, expand=False))}</code>")
        if mappings(cls):
            facts.append(mappings(cls))
        subclasses = view.class_children(cls.name, imports=False, mixins=False)
        if subclasses:
            facts.append("subclasses: " + ", ".join(range_link(s) for s in subclasses))
        rows = []
        for slot in view.class_induced_slots(cls.name):
            name = (f"<a href='#slot-{esc(slot.name)}'>{esc(slot.name)}</a>" if slot.name in (schema.slots or {})
                    else esc(slot.name))  # attributes (KnowledgeBase's) are described only here
            rows.append([name, range_link(slot.range),
                         cardinality(slot), esc(slot.description or "")])
        out.append(f"<h3 id='class-{esc(cls.name)}'>{esc(cls.name)}</h3>")
        out.append(f"<p>{esc(cls.description or '')}</p><p class='muted'>{'; '.join(facts)}</p>")
        out.append(table(["slot", "range", "cardinality", "description"], rows))

    out.append("<h2 id='slots'>Slots</h2>")
    for slot in slots:
        facts = [f"range {range_link(slot.range)}", f"cardinality {cardinality(slot)}",
                 f"URI <code>{esc(view.get_uri(slot, expand=False))}</code>"]
        if slot.is_a:
            facts.append(f"is a <a href='#slot-{esc(slot.is_a)}'>{esc(slot.is_a)}</a>")
        if slot.identifier:
            facts.append("identifier")
        if slot.pattern:
            facts.append(f"pattern <code>{esc(slot.pattern)}</code>")
        if mappings(slot):
            facts.append(mappings(slot))
        if used_by.get(slot.name):
            facts.append("used by " + ", ".join(range_link(c) for c in used_by[slot.name]))
        out.append(f"<h3 id='slot-{esc(slot.name)}'>{esc(slot.name)}</h3>")
        out.append(f"<p>{esc(slot.description or '')}</p><p class='muted'>{'; '.join(facts)}</p>")

    out.append("<h2 id='enums'>Enumerations</h2>")
    for enum in enums:
        rows = []
        for name, value in enum.permissible_values.items():
            notes = {k: a.value for k, a in (value.annotations or {}).items()}
            extra = ""
            if notes.get("defined_class"):
                extra = (f"<br><span class='muted'>defined class {curie_link(notes['defined_class'])} "
                         f"{esc(notes.get('defined_class_label', ''))}</span>")
            if notes.get("allowed_prefixes"):
                extra += f"<br><span class='muted'>identifiers from {esc(notes['allowed_prefixes'])}</span>"
            rows.append([f"<code>{esc(name)}</code>", esc(value.title or ""),
                         curie_link(value.meaning) if value.meaning else "", esc(value.description or "") + extra])
        out.append(f"<h3 id='enum-{esc(enum.name)}'>{esc(enum.name)}</h3><p>{esc(enum.description or '')}</p>")
        out.append(table(["value", "title", "meaning", "description"], rows))

    out.append("<h2 id='prefixes'>Prefixes</h2>")
    out.append(table(["prefix", "IRI"], [
        [f"<code>{esc(p.prefix_prefix)}</code>", f"<code>{esc(p.prefix_reference)}</code>"]
        for p in schema.prefixes.values()
    ]))
    return f"Schema reference (version {schema.version})", "\n".join(out)
