"""What a SPARQL text is before anything runs it: a lexer on the SPARQL 1.1 terminals, the checks made on
every query from a user (no SERVICE, bounded nesting, a query form, declared prefixes), and syntax errors
in plain words.

Why a lexer and not a full parse: the dangerous constructs are single terminals (SERVICE is a keyword; a
keyword cannot hide in a string, an IRI, a comment, a prefixed name or a variable, which are terminals
too), so a lexer that follows the grammar's terminal rules decides them exactly, in microseconds and
without recursion. A full parse in Python (rdflib's) costs milliseconds per query and itself recurses on
deep nesting; pyoxigraph parses and executes in one call, which is what must not happen with SERVICE in
the text (pyoxigraph sends the HTTP request) or with deep nesting (its parser overflows the stack: a
query nested ~150 deep kills the process).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from ..curate.errors import CiroError

__all__ = [
    "QueryError",
    "MAX_DEPTH",
    "MAX_OPERATORS",
    "QueryInfo",
    "QueryRefused",
    "ServiceRefused",
    "UpdateRefused",
    "QueryTooDeep",
    "QuerySyntaxError",
    "check_form",
    "check_query",
    "diagnose",
    "query_form",
    "explain_syntax_error",
    "syntax_error",
    "tokens",
]

# pyoxigraph 0.5.13 crashes (stack overflow) on `( [ ( [ ...` nested 150 deep; plain `{` or `(` take ~5,000.
# 64 levels is far beyond what a hand-written or generated query needs and far below any crash measured
# (tests/test_sparql_check.py runs every kind of nesting at this depth in a subprocess).
MAX_DEPTH = 64
# Long chains of binary operators overflow it too (UNION x 7,000, `|` x 20,000, `&&` x 10,000 crashed);
# lists (VALUES, IN) do not. 2,000 operators in one query is far beyond what a person writes.
MAX_OPERATORS = 2000
QUERY_FORMS = ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE")
UPDATE_WORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH")
KNOWN_PREFIXES = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "cirovocab": "https://w3id.org/ciro/vocab/",
    "CIRO": "https://w3id.org/ciro/CIRO_",
    "IAO": "http://purl.obolibrary.org/obo/IAO_",
    "oboInOwl": "http://www.geneontology.org/formats/oboInOwl#",
    "obo": "http://purl.obolibrary.org/obo/",
}


class QueryError(CiroError):
    """The query is not valid SPARQL, or could not be run (here or on the remote endpoint)."""


class QueryRefused(QueryError):
    """A well-formed request this server or command will not run (an HTTP 400 or 403, never a 500)."""

    status = 400


class ServiceRefused(QueryRefused):
    """The query names a SERVICE: running it would make this machine send requests to another host."""


class UpdateRefused(QueryRefused):
    """SPARQL Update sent where only queries are run."""

    status = 403


class QueryTooDeep(QueryRefused):
    """Brackets nested deeper than MAX_DEPTH (the SPARQL engine would overflow its stack)."""


class QuerySyntaxError(QueryError):
    """The text is not a SPARQL query; the message says where and what was expected, in words."""

    status = 400


# --- the lexer ----------------------------------------------------------------------------------------------
# Terminal rules of the SPARQL 1.1 grammar (section 19.8), as regular expressions.
_PN_CHARS_BASE = ("A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
                  "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff")
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + r"\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PN_PREFIX = f"[{_PN_CHARS_BASE}](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PN_LOCAL = f"(?:[{_PN_CHARS_U}:0-9]|{_PLX})(?:(?:[{_PN_CHARS}.:]|{_PLX})*(?:[{_PN_CHARS}:]|{_PLX}))?"
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_ECHAR = r"""\\[tbnrf\\"']"""
_TOKEN = re.compile(
    r"(?P<ws>[\x20\t\r\n]+)"
    r"|(?P<comment>#[^\r\n]*)"
    rf"|(?P<iri><(?:[^<>\"{{}}|^`\\\x00-\x20]|{_UCHAR})*>)"
    rf"|(?P<string>'''(?:(?:'|'')?(?:[^'\\]|{_ECHAR}|{_UCHAR}))*'''"
    rf'|"""(?:(?:"|"")?(?:[^"\\]|{_ECHAR}|{_UCHAR}))*"""'
    rf"|'(?:[^'\\\n\r]|{_ECHAR}|{_UCHAR})*'"
    rf'|"(?:[^"\\\n\r]|{_ECHAR}|{_UCHAR})*")'
    rf"|(?P<bnode>_:[{_PN_CHARS_U}0-9](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?)"
    rf"|(?P<pname>(?:{_PN_PREFIX})?:(?:{_PN_LOCAL})?)"
    rf"|(?P<var>[?$][{_PN_CHARS_U}0-9][{_PN_CHARS_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*)"
    r"|(?P<lang>@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*)"
    r"|(?P<number>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<punct>\^\^|&&|\|\||!=|<=|>=|<<|>>|[{}()\[\].,;*+\-/!=<>|^?$@~])"
)
_STRING_START = re.compile(r"'''|\"\"\"|'|\"")
_OPEN = {"{": "}", "(": ")", "[": "]"}
_CLOSE = {v: k for k, v in _OPEN.items()}
_OPERATORS = {"&&", "||", "|", "/", "^", "+", "-", "*", "=", "!=", "<", ">", "<=", ">=", "!"}
_SERVICE_WORD = re.compile(r"(?i)(?<![\w?$:])service(?![\w:])")
_UNICODE_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_PROLOGUE = re.compile(r"\s+|#[^\n]*|(?i:BASE)\s*<[^>]*>|(?i:PREFIX)\s+[^\s:]*:\s*<[^>]*>")
_FORM = re.compile(r"(?i)(SELECT|ASK|CONSTRUCT|DESCRIBE|INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b")


class Token(NamedTuple):
    kind: str  # iri, string, bnode, pname, var, lang, number, word, punct, error
    text: str
    start: int


def tokens(text: str) -> tuple[list[Token], Token | None]:
    """The tokens of `text` (blanks and comments left out), and the first piece it could not read (or None).

    Iterative and linear: no input, however nested or long, makes it recurse.
    """
    out: list[Token] = []
    pos, end = 0, len(text)
    match = _TOKEN.match
    while pos < end:
        found = match(text, pos)
        if found is None or found.end() == pos:
            return out, Token("error", text[pos:pos + 20], pos)
        kind = found.lastgroup
        if kind not in ("ws", "comment"):
            out.append(Token(kind, found.group(), pos))
        pos = found.end()
    return out, None


# --- the checks ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class QueryInfo:
    """What the checks found: the query form (SELECT, ASK, CONSTRUCT, DESCRIBE; "" when the fast path did not
    look), and the deepest nesting (an upper bound on the fast path)."""

    form: str
    depth: int


def _where(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, column


def _excerpt(text: str, pos: int) -> str:
    line, column = _where(text, pos)
    lines = text.splitlines() or [""]
    source = lines[line - 1] if line <= len(lines) else ""
    shown = source.expandtabs(1)
    if len(shown) > 100:  # keep the caret in view on a very long line
        cut = max(0, column - 60)
        shown, column = shown[cut:cut + 100], column - cut
    number = str(line)
    return f"\n  {number} | {shown}\n  {' ' * len(number)} | {' ' * (column - 1)}^"


def _error(text: str, pos: int, message: str, cls=QuerySyntaxError) -> QueryError:
    line, column = _where(text, pos)
    return cls(f"SPARQL syntax error at line {line}, column {column}: {message}{_excerpt(text, pos)}")


def _decoded(text: str) -> str:
    return _UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


def query_form(text: str) -> str | None:
    """The query form after the prologue (SELECT, ASK, CONSTRUCT, DESCRIBE, or an update keyword), upper case."""
    pos = 0
    while True:
        match = _PROLOGUE.match(text, pos)
        if not match or match.end() == pos:
            break
        pos = match.end()
    match = _FORM.match(text, pos)
    return match.group(1).upper() if match else None


def _service_anywhere(text: str, found: list[Token], error: Token | None) -> bool:
    """The lexer's verdict on SERVICE, made on the text as given and on the text with \\u escapes decoded
    (the SPARQL spec decodes them before parsing; pyoxigraph 0.5 does not: either way SERVICE is found)."""
    variants = [(text, found, error)]
    if "\\u" in text or "\\U" in text:
        decoded = _decoded(text)
        variants.append((decoded, *tokens(decoded)))
    for variant, found, error in variants:
        if any(t.kind == "word" and t.text.upper() == "SERVICE" for t in found):
            return True
        # Past a piece the lexer cannot read, be conservative: the word anywhere after it counts.
        if error is not None and _SERVICE_WORD.search(variant, error.start):
            return True
    return False


_BRACKETS = re.compile(r"[{}()\[\]]")


def check_query(text: str, *, max_depth: int = MAX_DEPTH) -> QueryInfo:
    """The checks that must pass before pyoxigraph sees a query: no SERVICE (ServiceRefused), nesting and
    operator chains the engine survives (QueryTooDeep). Fast: the lexer runs only when a cheap look at the
    raw text cannot rule the danger out (the letters "service" appear somewhere, or the text nests deep
    counting brackets in strings too). Other syntax errors are left to pyoxigraph, and
    `explain_syntax_error` puts them in words.
    """
    if "\x00" in text:
        raise QuerySyntaxError("SPARQL syntax error: the query contains a NUL character (is it a binary file?)")
    lowered = text.lower()  # str.lower and `in` are ~15x faster than a case-insensitive regex here
    suspicious = "service" in lowered or (("\\u" in text or "\\U" in text) and "service" in _decoded(text).lower())
    if not suspicious:
        deepest = sum(map(text.count, "{(["))  # an upper bound of the depth
        if deepest > max_depth:
            depth = deepest = 0
            for bracket in _BRACKETS.findall(text):
                depth = depth + 1 if bracket in _OPEN else max(0, depth - 1)
                deepest = max(deepest, depth)
        if deepest <= max_depth and sum(map(text.count, "|/^+-*=<>!&")) + lowered.count("union") <= MAX_OPERATORS:
            return QueryInfo("", deepest)
    return diagnose(text, max_depth=max_depth)


def diagnose(text: str, *, max_depth: int = MAX_DEPTH) -> QueryInfo:
    """Every check the lexer can make: check_query's, then a query form, declared prefixes, closed strings and
    balanced brackets, each failure a QueryError with line, column and what was expected."""
    if "\x00" in text:
        raise QuerySyntaxError("SPARQL syntax error: the query contains a NUL character (is it a binary file?)")
    found, error = tokens(text)
    if _service_anywhere(text, found, error):
        where = next((t.start for t in found if t.kind == "word" and t.text.upper() == "SERVICE"), None)
        detail = f" (line {_where(text, where)[0]})" if where is not None else ""
        raise ServiceRefused(f"SERVICE is not allowed{detail}: this endpoint answers from its own data only and "
                             "does not send queries to other endpoints")
    deepest, stack, operators, mismatch = 0, [], 0, None
    for token in found:
        if token.kind == "word" and token.text.upper() == "UNION":
            operators += 1
        if token.kind != "punct":
            continue
        if token.text in _OPEN:
            stack.append(token)
            deepest = max(deepest, len(stack))
            if len(stack) > max_depth:
                raise QueryTooDeep(f"query refused: brackets nested more than {max_depth} deep (line "
                                   f"{_where(text, token.start)[0]}); the SPARQL engine cannot parse that safely")
        elif token.text in _CLOSE:
            if not stack:
                mismatch = mismatch or (token, f"'{token.text}' closes nothing (no '{_CLOSE[token.text]}' is open)")
                continue
            opened = stack.pop()
            if _OPEN[opened.text] != token.text:
                line, column = _where(text, opened.start)
                mismatch = mismatch or (token, f"'{token.text}' does not match the '{opened.text}' opened at line "
                                               f"{line}, column {column}")
        elif token.text in _OPERATORS:
            operators += 1
    if operators > MAX_OPERATORS:
        raise QueryTooDeep(f"query refused: more than {MAX_OPERATORS} operators (UNION, &&, ||, +, |, / ...); "
                           "the SPARQL engine cannot parse chains that long safely")
    form, prefixes = _form(text, found)
    for token in found:
        if token.kind == "pname":
            prefix = token.text.split(":", 1)[0]
            if prefix not in prefixes:
                hint = f"; add: PREFIX {prefix}: <{KNOWN_PREFIXES[prefix]}>" if prefix in KNOWN_PREFIXES else (
                    f"; declare it: PREFIX {prefix}: <...>")
                raise _error(text, token.start, f"undeclared prefix {prefix}:{hint}")
    if error is not None:
        raise _error(text, error.start, _unreadable(text, error.start))
    if mismatch is not None:
        raise _error(text, mismatch[0].start, mismatch[1])
    if stack:
        opened = stack[-1]
        raise _error(text, opened.start, f"'{opened.text}' is never closed (expected '{_OPEN[opened.text]}' "
                                         "before the end of the query)")
    return QueryInfo(form, deepest)


def check_form(text: str) -> str:
    """The query form (SELECT, CONSTRUCT, ASK or DESCRIBE) after the prologue; a QuerySyntaxError with line and
    column when there is none, UpdateRefused for an update. `ciro query --endpoint` checks this much before it
    sends a query (the rest is the endpoint's to judge: Virtuoso, for one, predeclares prefixes)."""
    return _form(text, tokens(text)[0])[0]


def _form(text: str, found: list[Token]) -> tuple[str, set[str]]:
    form, prefixes, position = _prologue(found)
    at = found[position] if position < len(found) else None
    if form is None:
        got = f", found '{at.text[:40]}'" if at is not None else ", found nothing"
        raise _error(text, at.start if at else len(text.rstrip()),
                     f"expected a query form: SELECT, CONSTRUCT, ASK or DESCRIBE{got}")
    if form in UPDATE_WORDS:
        line, column = _where(text, at.start)
        raise UpdateRefused(f"line {line}, column {column}: this is a SPARQL Update ({form}), not a query: the "
                            "release is read-only (expected a query form: SELECT, CONSTRUCT, ASK or DESCRIBE)")
    return form, prefixes


def _prologue(found: list[Token]) -> tuple[str | None, set[str], int]:
    """(form word, declared prefixes, index of the form token) after BASE/PREFIX declarations."""
    prefixes: set[str] = set()
    i = 0
    while i < len(found):
        word = found[i].text.upper() if found[i].kind == "word" else ""
        if word == "BASE" and i + 1 < len(found) and found[i + 1].kind == "iri":
            i += 2
        elif (word == "PREFIX" and i + 2 < len(found) and found[i + 1].kind == "pname"
              and found[i + 1].text.endswith(":") and found[i + 2].kind == "iri"):
            prefixes.add(found[i + 1].text[:-1])
            i += 3
        else:
            break
    if i < len(found) and found[i].kind == "word" and found[i].text.upper() in QUERY_FORMS + UPDATE_WORDS:
        return found[i].text.upper(), prefixes, i
    return None, prefixes, i


def _unreadable(text: str, pos: int) -> str:
    quote = _STRING_START.match(text, pos)
    if quote:
        return f"string not closed (the {quote.group()} here has no closing {quote.group()} on this line)" if len(
            quote.group()) == 1 else f"long string not closed (no closing {quote.group()})"
    if text.startswith("<", pos):
        return "an IRI must not contain spaces, quotes or < > { } | ^ ` \\ (or its closing > is missing)"
    return f"unexpected character {text[pos]!r}"


# --- pyoxigraph's syntax errors, in words -------------------------------------------------------------------

_LOCATION = re.compile(r"error at (\d+):(\d+)")
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
_NEEDS_MORE = {"BY": "a variable or an expression", "LIMIT": "a number", "OFFSET": "a number",
               "HAVING": "a condition in parentheses", "FILTER": "a condition", "ORDER": "BY", "GROUP": "BY",
               "WHERE": "'{'", "PREFIX": "a prefix and its IRI", "BASE": "an IRI", "SELECT": "variables or *",
               "DISTINCT": "variables or *", "REDUCED": "variables or *", "BIND": "'('", "VALUES": "variables",
               "OPTIONAL": "'{'", "MINUS": "'{'", "UNION": "'{'", "GRAPH": "a graph name and '{'",
               "AS": "a variable", "ASC": "'('", "DESC": "'('", "FROM": "an IRI (or NAMED and an IRI)"}


def _offset(text: str, line: int, column: int) -> int:
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    if line - 1 >= len(starts):
        return len(text)
    return min(len(text), starts[line - 1] + column - 1)


_CATEGORIES = (({"?", "$"}, "a variable"), ({"<"}, "an IRI"), ({":"}, "a prefixed name"),
               ({'"', "'", '"""', "'''", "true", "false"}, "a literal"), ({"[", "_:"}, "a blank node"))
_BUILTINS = {"ABS", "AVG", "DAY", "IRI", "MAX", "MIN", "NOT", "NOW", "STR", "STRBEFORE", "STRSTARTS", "SUM", "URI",
             "MD5", "isLITERAL", "isNUMERIC", "PREDICATE", "ENCODE_FOR_URI", "COUNT", "BOUND", "REGEX", "LANG"}
_BINARY = {"=", "!=", "<", ">", "<=", ">=", "&&", "||", "+", "*", "/"}


def _expected_in_words(message: str) -> str:
    """pyoxigraph's 'expected' list in words: its character ranges and partial keyword lists become the
    kinds of thing they stand for (a variable, an IRI, a literal, an expression, ...)."""
    part = message.split("expected", 1)[1] if "expected" in message else ""
    items = set(_QUOTED.findall(part))
    items |= set(re.findall(r"(?:^|,)\s*(?:one of\s+)?([A-Za-z_][A-Za-z_]+)(?=,|$|\s)", part))
    if "'A' ..= 'Z'" in part:
        items.add(":")
    words = []
    for names, label in _CATEGORIES:
        if items & names:
            words.append(label)
    if "'0'..='9'" in part or "'0' ..= '9'" in part:
        words.append("a number")
    if items & _BUILTINS:
        words.append("an expression")
    keywords = sorted(i for i in items if i.isupper() and i not in _BUILTINS and i not in ("SERVICE", "LATERAL"))
    punctuation = [f"'{i}'" for i in ("{", "}", "(", ")", ".", ",", ";", "&&", "||") if i in items]
    return ", ".join(words + keywords[:8] + punctuation)


_TERMS = {"var", "iri", "pname", "string", "number", "bnode"}


def _short_pattern(found: list[Token]) -> tuple[int, str] | None:
    """A triple pattern of two terms before '}' or '.': the object (or predicate) is missing."""
    terms: list[Token] = []
    for token in found:
        if token.kind in _TERMS or (token.kind == "word" and token.text in ("a", "true", "false")):
            terms.append(token)
        elif token.text in ("}", ".") and len(terms) == 2:
            return token.start, f"a triple pattern needs a subject, a predicate and an object; this one ends after " \
                                f"'{terms[-1].text}'"
        else:
            terms = [] if token.text in ("{", "}", ".") or token.kind == "word" else terms + [token]
    return None


def _heuristic(found: list[Token], text: str) -> tuple[int, str] | None:
    """Mistakes the tokens alone show, told better than a parser's furthest-failure position can."""
    short = _short_pattern(found)
    if short is not None:
        return short
    for i, token in enumerate(found):
        following = found[i + 1] if i + 1 < len(found) else None
        if token.kind == "word" and token.text.upper() == "SELECT":
            j = i + 1
            if j < len(found) and found[j].kind == "word" and found[j].text.upper() in ("DISTINCT", "REDUCED"):
                j += 1
            nxt = found[j] if j < len(found) else None
            if nxt is None or not (nxt.kind == "var" or nxt.text in ("*", "(")):
                return (nxt.start if nxt else len(text)), (
                    "SELECT needs the variables to return (or *) before " + (f"'{nxt.text}'" if nxt else "the end"))
        if token.kind == "punct" and token.text in _BINARY and (following is None or following.text in (")", ",", "}")):
            return (following.start if following else len(text)), f"expected an expression after '{token.text}'"
        if token.text == "." and following is not None and following.text == ".":
            return following.start, "two '.' in a row (a '.' ends one triple pattern)"
    return None


def syntax_error(exc: BaseException, text: str) -> QueryError:
    """The error to raise for a pyoxigraph SyntaxError: the lexer's own finding when it has one (an update
    keeps its UpdateRefused class, so the endpoint answers 403), else QuerySyntaxError in plain words."""
    try:
        diagnose(text, max_depth=10**9)
    except QueryError as own:
        return own
    return QuerySyntaxError(explain_syntax_error(exc, text))


def explain_syntax_error(exc: BaseException, text: str) -> str:
    """A pyoxigraph SyntaxError as one plain sentence with line, column, what was found and what was expected,
    and the line of the query with a caret under the place."""
    try:
        diagnose(text, max_depth=10**9)  # the lexer's own finding is the clearer one when it has one
    except (QuerySyntaxError, QueryRefused) as own:
        return str(own)
    message = str(exc.args[0]) if exc.args else str(exc)
    where = _LOCATION.search(message)
    if where and "IRI parsing failed" in message:
        pos = _offset(text, int(where.group(1)), int(where.group(2)))
        opening = text.rfind("<", 0, pos + 1)
        return str(_error(text, max(0, opening), "not a valid IRI (an IRI is written <scheme:...> with no spaces, "
                                                 "quotes or < > { } | ^ ` \\ inside)"))
    found, _ = tokens(text)
    guess = _heuristic(found, text)
    if guess is not None:
        return str(_error(text, *guess))
    where = _LOCATION.search(message)
    if not where:
        return f"SPARQL syntax error: {message.splitlines()[0][:200]}"
    pos = _offset(text, int(where.group(1)), int(where.group(2)))
    before = [t for t in found if t.start < pos]
    at = next((t for t in found if t.start <= pos < t.start + len(t.text)), None) or next(
        (t for t in found if t.start >= pos), None)
    listed = _expected_in_words(message)
    if at is None:
        last = before[-1] if before else None
        if last is not None and last.kind == "word" and last.text.upper() in _NEEDS_MORE:
            detail = f"the query ends after {last.text}; expected {_NEEDS_MORE[last.text.upper()]}"
        else:
            detail = "the query is incomplete or malformed; the parser got to its end" + (
                f" expecting {listed}" if listed else "")
        return str(_error(text, last.start + len(last.text) if last else 0, detail))
    prior = before[-1] if before and before[-1] is not at else None
    if prior is not None and prior.kind == "word" and prior.text.upper() in _NEEDS_MORE and at.kind != "word":
        detail = f"unexpected '{at.text}' after {prior.text}; expected {_NEEDS_MORE[prior.text.upper()]}"
    else:
        detail = f"unexpected '{at.text[:40]}'" + (f"; expected {listed}" if listed else "")
    return str(_error(text, at.start, detail))
