"""Parse a PFOCR figure record (YAML front matter) and decide which of its text-mined keywords are genes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .citation import Citation
from .clean import collapse_spaces
from .errors import FrontMatterError, MissingFieldError
from .model import KeywordDecision, ParsedDocument, PublicationRecord

__all__ = [
    "CAPTION_ABBREVIATIONS",
    "caption_abbreviations",
    "decide_keyword",
    "keyword_decisions",
    "parse_pfocr",
]

HUMAN = "Homo sapiens"
MOUSE = "Mus musculus"

# Gene products as the caption writes them -> HGNC symbols. Taken from the caption's own abbreviation list
# (PMC7746821 F1: "PD-1, programmed death 1; PD-L1, ...; TNF, tumor necrosis factor"); extend it when a new
# record's caption defines another product. An entry whose key is not among its own symbols (TCR) is an
# abbreviation for several genes, never a gene symbol itself.
CAPTION_ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "PD-1": ("PDCD1",),
    "PD-L1": ("CD274",),
    "HLA": ("HLA-A", "HLA-B", "HLA-C"),  # class I, the antigen-presentation genes the figure is about
    "TCR": ("TRA", "TRB", "TRD", "TRG"),
    "IFN-γ": ("IFNG",),
    "IFN-γR": ("IFNGR1", "IFNGR2"),
    "Neuropilin-1": ("NRP1",),
    "CSF-1": ("CSF1",),
    "IL-6": ("IL6",),
    "TGF-β": ("TGFB1", "TGFB2", "TGFB3"),
    "TNF": ("TNF",),
}

# Last words of a caption expansion that make it a cell type ("TAM, tumor associated macrophage")
_CELL_WORDS = frozenset(
    {
        "cell",
        "cells",
        "macrophage",
        "macrophages",
        "lymphocyte",
        "lymphocytes",
        "monocyte",
        "monocytes",
        "neutrophil",
        "neutrophils",
        "fibroblast",
        "fibroblasts",
    }
)

# HGNC style: capitals and digits, hyphenated parts, "orf" in open reading frames (RPL17-C18orf32).
_HGNC_STYLE = re.compile(r"^(?=[A-Z])[A-Z0-9]+(?:orf[0-9]+)?(?:-[A-Z0-9]+(?:orf[0-9]+)?)*$")
# MGI (mouse) style: one capital, then lower case and digits (Cd274, Il6, Trav6-3).
_MGI_STYLE = re.compile(r"^[A-Z][a-z0-9]+(?:-[a-z0-9]+)*$")
_SYMBOL_STYLE = {HUMAN: _HGNC_STYLE, MOUSE: _MGI_STYLE}

REASON_CAPTION = "named in the caption as {term}"
REASON_FIGURE_TEXT = "figure text only, not in caption (text-mined as human {human} and mouse {mouse})"
REASON_MOUSE_ORTHOLOG = "mouse ortholog symbol of kept human gene {human}"
REASON_MOUSE_CAPTION = "mouse symbol; the caption names its product as {term}"
REASON_CELL_TYPE = "cell type, not a gene: the caption defines {keyword} as '{expansion}'"
REASON_OTHER_ORGANISM = (
    "attributed to {organism} by the record's organisms_ner list; not a human or mouse gene"
)
REASON_ABBREVIATION = "abbreviation, not a gene symbol: {keyword} stands for the genes {genes}"
REASON_HUMAN_ARTEFACT = (
    "probable text-mining artefact: not named in the caption and not text-mined as a mouse gene too"
)
REASON_MOUSE_ARTEFACT = (
    "probable text-mining artefact: mouse symbol with no kept human counterpart and no caption support"
)
REASON_UNLISTED = (
    "in none of the record's per-organism gene lists (an unmapped figure word) and not named in the caption"
)
REASON_WORD = "ordinary word, not a gene symbol"

_NA = re.compile(r"^\.na(\.\w+)?$")  # R's NA as PFOCR exports it: ".na.character"


def _present(value: Any) -> str | None:
    """The value as text, or None for PFOCR's missing markers and empty strings."""
    if value is None:
        return None
    text = collapse_spaces(str(value))
    return None if not text or _NA.match(text) else text


def _mentions(text: str, term: str) -> bool:
    # A whole word: "PD-1" counts in "anti-PD-1", but "IFN" does not count in "IFN-γ" nor "IFN-γ" in "IFN-γR".
    return re.search(rf"(?<![^\W_]){re.escape(term)}(?!-?[^\W_])", text) is not None


def caption_abbreviations(caption: str) -> dict[str, str]:
    """The caption's own abbreviation list, 'PD-1, programmed death 1; ...', as {abbreviation: expansion}."""
    pairs: dict[str, str] = {}
    for segment in caption.split(";"):
        head = segment.strip().removesuffix(".").rsplit(". ", 1)[-1]  # the list follows the last sentence
        abbreviation, comma, expansion = head.partition(", ")
        if comma and expansion and " " not in abbreviation and any(c.isupper() for c in abbreviation):
            pairs[abbreviation] = expansion.strip()
    return pairs


@dataclass(frozen=True)
class KeywordEvidence:
    """What the record says that bears on its keywords."""

    caption: str
    abbreviations: dict[str, str]
    human: frozenset[str]  # keywords in the record's human gene list
    mouse: frozenset[str]  # keywords in the record's mouse gene list

    def caption_term(self, symbol: str) -> str | None:
        """How the caption names the gene: the symbol itself or a product in CAPTION_ABBREVIATIONS."""
        terms = [symbol] + [term for term, genes in CAPTION_ABBREVIATIONS.items() if symbol in genes]
        for term in terms:
            if _mentions(self.caption, term):
                expansion = self.abbreviations.get(term)
                return f"{term} ({expansion})" if expansion else term
        return None


def _counterpart(symbol: str, candidates: frozenset[str]) -> str | None:
    # Same letters in the other organism's case, or MGI's letter suffix for a duplicated mouse gene (Cd24a).
    for other in sorted(candidates):
        a, b = sorted((symbol, other), key=len)
        if a.upper() == b.upper() or (
            a[-1].isdigit() and len(b) == len(a) + 1 and b[:-1].upper() == a.upper() and b[-1].islower()
        ):
            return other
    return None


def decide_keyword(keyword: str, organism: str | None, evidence: KeywordEvidence) -> KeywordDecision:
    """Keep a keyword only if it is a human (or mouse) gene symbol that the caption or the figure supports."""
    expansion = evidence.abbreviations.get(keyword)
    if expansion and expansion.split()[-1].lower() in _CELL_WORDS:
        return KeywordDecision.dropped(
            keyword, REASON_CELL_TYPE.format(keyword=keyword, expansion=expansion), organism
        )
    if organism not in (HUMAN, MOUSE, None):
        return KeywordDecision.dropped(keyword, REASON_OTHER_ORGANISM.format(organism=organism), organism)
    genes = CAPTION_ABBREVIATIONS.get(keyword, (keyword,))
    if keyword not in genes:
        return KeywordDecision.dropped(
            keyword, REASON_ABBREVIATION.format(keyword=keyword, genes=", ".join(genes)), organism
        )
    if _HGNC_STYLE.match(keyword) and organism != MOUSE:
        if term := evidence.caption_term(keyword):
            return KeywordDecision.kept(keyword, REASON_CAPTION.format(term=term), organism)
        if mouse := _counterpart(keyword, evidence.mouse):
            return KeywordDecision.kept(
                keyword, REASON_FIGURE_TEXT.format(human=keyword, mouse=mouse), organism
            )
        return KeywordDecision.dropped(
            keyword, REASON_HUMAN_ARTEFACT if organism else REASON_UNLISTED, organism
        )
    if _MGI_STYLE.match(keyword) and organism == MOUSE:
        human = _counterpart(keyword, evidence.human)
        if human and decide_keyword(human, HUMAN, evidence).is_kept:
            return KeywordDecision.kept(keyword, REASON_MOUSE_ORTHOLOG.format(human=human), organism)
        if term := evidence.caption_term(keyword.upper()):
            return KeywordDecision.kept(keyword, REASON_MOUSE_CAPTION.format(term=term), organism)
        return KeywordDecision.dropped(keyword, REASON_MOUSE_ARTEFACT, organism)
    return KeywordDecision.dropped(keyword, REASON_WORD, organism)


def _attribute_organisms(keywords: list[str], organisms: list[str]) -> list[str | None]:
    """The organism whose gene list each keyword sits in.

    PFOCR writes the keywords organism by organism, in organisms_ner order, then a few unmapped terms
    (checked against the figure's genes table in the PFOCR database). A human or mouse list is the run of
    keywords in that organism's symbol style; any other organism's list runs up to the next HGNC-style word.
    """
    owners: list[str | None] = [None] * len(keywords)
    i = 0
    for organism in organisms:
        style = _SYMBOL_STYLE.get(organism)
        start = i
        while i < len(keywords) and (
            style.match(keywords[i]) if style else not _HGNC_STYLE.match(keywords[i])
        ):
            i += 1
        owners[start:i] = [organism] * (i - start)
    return owners


def keyword_decisions(keywords: list[str], organisms: list[str], caption: str) -> tuple[KeywordDecision, ...]:
    """One decision per keyword of the record, in the record's order."""
    owners = _attribute_organisms(keywords, organisms)
    evidence = KeywordEvidence(
        caption=caption,
        abbreviations=caption_abbreviations(caption),
        human=frozenset(k for k, o in zip(keywords, owners, strict=True) if o == HUMAN),
        mouse=frozenset(k for k, o in zip(keywords, owners, strict=True) if o == MOUSE),
    )
    return tuple(decide_keyword(k, o, evidence) for k, o in zip(keywords, owners, strict=True))


def _front_matter(text: str, path: Path) -> dict[str, Any]:
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise FrontMatterError(path, "PFOCR record must start with a '---' line", 1)
    end = next((i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---"), None)
    if end is None:
        raise FrontMatterError(path, "front matter opened on line 1 is never closed by a '---' line", 1)
    try:
        # BaseLoader keeps every scalar as the text written (a keyword On or NO must not become a boolean);
        # it builds only strings, lists and mappings, so it is as safe as safe_load.
        data = yaml.load("\n".join(lines[1:end]), Loader=yaml.BaseLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        raise FrontMatterError(
            path, f"front matter is not valid YAML: {problem}", mark.line + 2 if mark else None
        ) from None
    if not isinstance(data, dict):
        raise FrontMatterError(path, "front matter is not a mapping of 'key: value' lines", 2)
    return data


def _reftext(reftext: str | None) -> tuple[tuple[str, ...], Citation | None]:
    """Authors and citation of 'Qian Huang, et al. Front Cell Dev Biol. 2020;8:580140.'."""
    if not reftext:
        return (), None
    for match in re.finditer(r"\.\s+", reftext):
        citation = Citation.from_dotted(reftext[match.end() :])
        if citation and "." not in citation.journal:
            names = reftext[: match.start()].split(", ")
            return tuple(n.strip() for n in names if n.strip() and n.strip() != "et al"), citation
    return (), None


def parse_pfocr(text: str, path: Path) -> ParsedDocument:
    """The record, cleaned text and keyword decisions of a PFOCR figure record."""
    data = _front_matter(text, path)
    title = _present(data.get("papertitle"))
    if not title:
        line = next(
            (n for n, text_line in enumerate(text.splitlines(), 1) if text_line.startswith("papertitle:")),
            None,
        )
        raise MissingFieldError(
            path, "papertitle", "PFOCR record has no papertitle (the article's title)", line
        )
    reftext = _present(data.get("reftext"))
    authors, citation = _reftext(reftext)
    year = _present(data.get("year"))
    schema = data.get("schema-jsonld") if isinstance(data.get("schema-jsonld"), dict) else {}
    caption = _present(data.get("caption")) or ""
    record = PublicationRecord(
        title=title.removesuffix(".").strip(),
        authors=authors,
        journal=citation.journal if citation else _present(data.get("journal_nlm_ta")),
        year=int(year) if year and year.isdigit() else (citation.year if citation else None),
        volume=citation.volume if citation else None,
        issue=citation.issue if citation else None,
        pages=citation.pages if citation else None,
        doi=_present(data.get("doi")),
        pmid=_present(data.get("pmid")),
        pmcid=_present(data.get("pmcid")),
        publication_type=None,  # a figure record does not state the article's type
        source_format="pfocr_record",
    )
    description = _present(schema.get("description"))
    keywords = [str(k) for k in schema.get("keywords") or [] if _present(k)]
    organisms = [str(o) for o in data.get("organisms_ner") or []]
    # The organism and keyword lists are part of what the record states (figure text mining), so they stay
    # in the kept text where evidence quotes can be checked against them.
    listed = [str(o) for o in data.get("organisms") or [] if _present(o)]
    paragraphs = [
        _present(data.get("figtitle")),
        caption,
        description if description != caption else None,
        title,
        reftext,
        ("Organisms: " + "; ".join(listed)) if listed else None,
        ("Organisms (named-entity recognition): " + "; ".join(organisms)) if organisms else None,
        ("Keywords (text-mined from the figure): " + "; ".join(keywords)) if keywords else None,
    ]
    cleaned = "\n\n".join(p for p in paragraphs if p) + "\n"
    surname = authors[0].split()[-1] if authors else None
    return ParsedDocument(record, cleaned, surname, keyword_decisions(keywords, organisms, caption))
