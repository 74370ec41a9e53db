"""SQL functions for any query on a kb database (Datasette registers them on every connection):
analyze text as the index was built, turn a query into an FTS5 expression, highlight text.

    kb_terms(text)            the index terms of a text, space-separated
    kb_tokens(text)           the analysis as JSON (surface, term, other forms, reading)
    kb_query(text)            kb's FTS5 expression for a query as a patient types it (safe for MATCH)
    kb_highlight(text, q)     an excerpt of text around q's words, marked with <mark>, HTML-escaped
    kb_symptom_match(key, q)  1 when a facts.symptom_key holds every word of the symptom q names
"""

from __future__ import annotations

import json
import re
import sqlite3
from functools import lru_cache

from .analysis import get_analyzer
from .phrases import phrase_key
from .query import MAX_QUERY_CHARS, Query, parse_query
from .snippets import HTML_MARKER, make_snippet

# An FTS5 expression that matches nothing: what a query of no meaningful words looks for.
NOTHING = '""'
_MARKED = re.compile(r"</?mark>")


def register(conn: sqlite3.Connection) -> None:
    """Register kb's SQL functions on a connection."""
    conn.create_function("kb_terms", 1, kb_terms, deterministic=True)
    conn.create_function("kb_tokens", 1, kb_tokens, deterministic=True)
    conn.create_function("kb_query", 1, kb_query, deterministic=True)
    conn.create_function("kb_highlight", 2, kb_highlight, deterministic=True)
    conn.create_function("kb_symptom_match", 2, kb_symptom_match, deterministic=True)


def kb_terms(text: str | None) -> str:
    """The primary index terms of a text, in order, space-separated."""
    return " ".join(get_analyzer().terms(_text(text)))


def kb_tokens(text: str | None) -> str:
    """The analysis of a text as a JSON list of tokens."""
    tokens = get_analyzer().tokens(_text(text))
    return json.dumps(
        [{"surface": t.surface, "term": t.term, "alts": list(t.alts), "reading": t.reading}
         for t in tokens],
        ensure_ascii=False,
    )


def kb_query(text: str | None) -> str:
    """The FTS5 MATCH expression kb's search uses for a query (inflections, other forms,
    readings, synonyms); any string gives a valid expression."""
    return _parsed(_text(text)[:MAX_QUERY_CHARS]).fts() or NOTHING


def kb_highlight(text: str | None, query: str | None) -> str:
    """An excerpt of ``text`` around the words of ``query``, HTML-escaped, matches in <mark>; the
    start of the text when none matches."""
    text = _text(text)
    parsed = _parsed(_text(query)[:MAX_QUERY_CHARS])
    snippet = make_snippet(text, parsed.forms(), parsed.readings(), marker=HTML_MARKER)
    return snippet or _escape(text[:120]) + ("…" if len(text) > 120 else "")


def kb_symptom_match(key: str | None, symptom: str | None) -> int:
    """1 when ``key`` (a facts.symptom_key) holds every word of the symptom ``symptom`` names."""
    wanted = _key_words(_text(symptom)[:MAX_QUERY_CHARS])
    return int(bool(wanted) and wanted <= set(_text(key).split()))


def is_marked_text(value: str) -> bool:
    """Whether a value is escaped text whose only tags are <mark> and </mark> (kb_highlight's
    output), so it is safe to show as HTML."""
    return "<mark>" in value and "<" not in _MARKED.sub("", value) and ">" not in _MARKED.sub("", value)


def _text(value: object) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@lru_cache(maxsize=256)
def _parsed(query: str) -> Query:
    # a canned query calls kb_highlight once per row with the same query: parse it once
    return parse_query(query)


@lru_cache(maxsize=256)
def _key_words(symptom: str) -> frozenset[str]:
    return frozenset(phrase_key(symptom).split())
