"""The shell shared by the site's own pages: head, navigation, search box, footer; small HTML helpers."""

from __future__ import annotations

from html import escape

__all__ = ["NAV", "esc", "header", "footer", "page", "table", "search_box"]

# (file, title) of the pages in the navigation bar, relative to the site root
NAV = (
    ("index.html", "Overview"),
    ("map.html", "Resistance map"),
    ("schema.html", "Schema reference"),
    ("questions.html", "Competency questions"),
    ("publications.html", "Publications"),
)


def esc(text: object) -> str:
    """HTML-escaped text (quotes included, so it is safe in attributes)."""
    return escape(str(text), quote=True)


def search_box() -> str:
    """The search form; `search.js` fills the list from `search-index.js`."""
    return (
        '<form class="search" role="search" autocomplete="off">'
        '<input id="search" type="search" placeholder="Search labels and synonyms" '
        'aria-label="Search CIRO terms by label or synonym">'
        '<ul id="search-results" aria-live="polite"></ul></form>'
    )


def header(root: str = "", current: str = "") -> str:
    """The site's header: the brand, the navigation (the page `current` marked) and the search box."""
    here = ' aria-current="page"'
    nav = " ".join(f'<a href="{root}{href}"{here if href == current else ""}>{esc(name)}</a>' for href, name in NAV)
    return (f'<header class="site"><a class="brand" href="{root}index.html">CIRO</a><nav>{nav}</nav>'
            f"{search_box()}</header>")


def footer(text: str) -> str:
    """The site's footer (`text` is trusted HTML: the release's version line)."""
    return f"<footer>{text}</footer>"


def page(title: str, body: str, root: str = "", current: str = "", footer_text: str = "", wide: bool = False,
         main_class: str = "") -> str:
    """A complete HTML page of the site (every page, term pages included, has this shell: one stylesheet,
    header with search, footer); `root` is the relative path from the page to the site root ('' or '../')."""
    classes = " ".join(c for c in ("wide" if wide else "", main_class) if c)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} — CIRO</title>
<link rel="icon" href="{root}favicon.ico">
<link rel="stylesheet" href="{root}assets/site.css">
</head>
<body>
{header(root, current)}
<main{f' class="{classes}"' if classes else ''}>
{body}
</main>
{footer(footer_text)}
<script src="{root}search-index.js"></script>
<script src="{root}assets/search.js" data-root="{root}"></script>
</body>
</html>
"""


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A table from already-escaped cell HTML."""
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<div class='table-scroll'><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
