"""SQL functions for any query on a kb database (Datasette registers them on every connection):
analyze text as the index was built, turn a query into an FTS5 expression, highlight text.

    kb_terms(text)            the index terms of a text, space-separated
    kb_tokens(text)           the analysis as JSON (surface, term, other forms, reading)
    kb_query(text)            kb's FTS5 expression for a query as a patient types it (safe for MATCH)
    kb_highlight(text, q)     an excerpt of text around q's words, marked with <mark>, HTML-escaped
    kb_symptom_match(key, q)  1 when a facts.symptom_key holds every word of the symptom q names

What one call may cost is bounded: a text (``text``, ``key``) of more than
:data:`MAX_TEXT_CHARS` characters or a query (``q``, kb_query's ``text``) of more than
:data:`~kb.search.query.MAX_QUERY_CHARS` is refused (:class:`~kb.errors.TextTooLong`, which SQLite
reports as "string or blob too big"), except that kb_highlight looks for the words in the first
:data:`MAX_TEXT_CHARS` characters of a longer text. A blob is read as UTF-8 text. With a time
limit (:func:`register`), what one statement may cost is bounded too.
"""

from __future__ import annotations

import json
import re
import sqlite3
import sys
import threading
import time
from functools import lru_cache, wraps
from typing import Any, Callable

from ..analysis import get_analyzer
from ..errors import KbError, StatementTooLong, TextTooLong
from ..analysis import phrase_key
from ..search import MAX_QUERY_CHARS, Query, parse_query
from ..search import HTML_MARKER, make_snippet

# The longest text a function analyses (a long section is a few thousand characters; this many
# take up to about 0.1 s).
MAX_TEXT_CHARS = 20_000
# An FTS5 expression that matches nothing: what a query of no meaningful words looks for.
NOTHING = '""'
_MARKED = re.compile(r"</?mark>")
# This thread's connections whose statements kb's functions may stop, by their clock (see
# register); a thread's entries are freed with the thread.
_CONNECTIONS = threading.local()


def register(conn: sqlite3.Connection, time_limit_ms: int | None = None) -> None:
    """Register kb's SQL functions on a connection.

    With ``time_limit_ms`` (Datasette's ``sql_time_limit_ms``), a function called once the
    statement has run that long stops it instead of starting its work: SQLite's own time limit
    (a progress handler) is checked every 1,000 steps of a statement, which may be dozens of calls
    to a function; the statement then fails as it does at that limit ("interrupted")."""
    _quiet_refusals()
    clock = _StatementClock(time_limit_ms / 1000) if time_limit_ms else None
    if clock is not None:
        conn.set_trace_callback(clock.mark)  # SQLite calls it as each statement starts
        # the functions find their connection here, not in a closure: a connection whose own
        # function refers to it is never freed (Python's collector cannot see SQLite's functions)
        _CONNECTIONS.__dict__.setdefault("by_clock", {})[clock] = conn
    for name, arity, function in _FUNCTIONS:
        conn.create_function(name, arity, _limited(function, clock) if clock else function,
                             deterministic=True)


def _quiet_refusals() -> None:
    """Keep a refused argument out of the server's log. SQLite reports a function's KbError
    as the statement's error (TextTooLong as "string or blob too big"), and Python prints it with
    its traceback as well when callback tracebacks are on (Datasette turns them on): a refusal is
    an answer to the request, not a fault of the server. Other exceptions are printed as before."""
    previous = sys.unraisablehook
    if getattr(previous, "kb_quiet", False):
        return

    def hook(unraisable) -> None:
        if not (isinstance(unraisable.exc_value, KbError)
                and getattr(unraisable.object, "__module__", None) == __name__):
            previous(unraisable)

    hook.kb_quiet = True  # type: ignore[attr-defined]
    sys.unraisablehook = hook


class _StatementClock:
    """When the connection's statement started, and how long one may run."""

    __slots__ = ("limit", "started")

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.started = time.perf_counter()

    def mark(self, _sql: str) -> None:
        self.started = time.perf_counter()

    def expired(self) -> bool:
        return time.perf_counter() - self.started > self.limit


def _limited(function: Callable[..., Any], clock: _StatementClock) -> Callable[..., Any]:
    """``function``, which first stops the statement when it has run past its time limit."""

    @wraps(function)
    def call(*args: Any) -> Any:
        if clock.expired():
            conn = getattr(_CONNECTIONS, "by_clock", {}).get(clock)
            if conn is None:  # called from another thread than the connection's
                raise StatementTooLong(f"{function.__name__}: the statement ran past its time limit")
            conn.interrupt()  # SQLite ends the statement at its next step
            return None
        return function(*args)

    return call


def kb_terms(text: object) -> str:
    """The primary index terms of a text, in order, space-separated."""
    return " ".join(get_analyzer().terms(_text(text, MAX_TEXT_CHARS, "kb_terms", "text")))


def kb_tokens(text: object) -> str:
    """The analysis of a text as a JSON list of tokens."""
    tokens = get_analyzer().tokens(_text(text, MAX_TEXT_CHARS, "kb_tokens", "text"))
    return json.dumps(
        [{"surface": t.surface, "term": t.term, "alts": list(t.alts), "reading": t.reading}
         for t in tokens],
        ensure_ascii=False,
    )


def kb_query(text: object) -> str:
    """The FTS5 MATCH expression kb's search uses for a query (inflections, other forms,
    readings, synonyms); any string up to the query limit gives a valid expression."""
    return _parsed(_text(text, MAX_QUERY_CHARS, "kb_query", "query")).fts() or NOTHING


def kb_highlight(text: object, query: object) -> str:
    """An excerpt of ``text`` around the words of ``query``, HTML-escaped, matches in <mark>; the
    start of the text when none matches. Only the first :data:`MAX_TEXT_CHARS` characters of a
    longer text are looked at."""
    if isinstance(text, bytes):
        text = text[: 4 * MAX_TEXT_CHARS + 1]  # what can hold the characters looked at
    text = _text(text)
    parsed = _parsed(_text(query, MAX_QUERY_CHARS, "kb_highlight", "query"))
    snippet = make_snippet(text[:MAX_TEXT_CHARS], parsed.forms(), parsed.readings(),
                           marker=HTML_MARKER, phrases=parsed.phrases())
    if snippet and len(text) > MAX_TEXT_CHARS and not snippet.endswith("…"):
        snippet += "…"
    return snippet or _escape(text[:120]) + ("…" if len(text) > 120 else "")


def kb_symptom_match(key: object, symptom: object) -> int:
    """1 when ``key`` (a facts.symptom_key) holds every word of the symptom ``symptom`` names."""
    wanted = _key_words(_text(symptom, MAX_QUERY_CHARS, "kb_symptom_match", "symptom"))
    words = _text(key, MAX_TEXT_CHARS, "kb_symptom_match", "symptom key").split()
    return int(bool(wanted) and wanted <= set(words))


_FUNCTIONS = [("kb_terms", 1, kb_terms), ("kb_tokens", 1, kb_tokens), ("kb_query", 1, kb_query),
              ("kb_highlight", 2, kb_highlight), ("kb_symptom_match", 2, kb_symptom_match)]


def is_marked_text(value: str) -> bool:
    """Whether a value is escaped text whose only tags are <mark> and </mark> (kb_highlight's
    output), so it is safe to show as HTML."""
    return "<mark>" in value and "<" not in _MARKED.sub("", value) and ">" not in _MARKED.sub("", value)


def _text(value: object, limit: int | None = None, function: str = "", what: str = "") -> str:
    """A SQL value as text (a blob read as UTF-8); past ``limit`` characters, TextTooLong
    naming the function and the argument."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        if limit is not None and len(value) > 4 * limit:  # UTF-8 has at most 4 bytes a character
            raise _too_long(function, what, limit)
        value = value.decode("utf-8", "replace")
    text = value if isinstance(value, str) else str(value)
    if limit is not None and len(text) > limit:
        raise _too_long(function, what, limit)
    return text


def _too_long(function: str, what: str, limit: int) -> TextTooLong:
    return TextTooLong(f"{function}: {what} longer than {limit:,} characters")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@lru_cache(maxsize=256)
def _parsed(query: str) -> Query:
    # a canned query calls kb_highlight once per row with the same query: parse it once
    return parse_query(query)


@lru_cache(maxsize=256)
def _key_words(symptom: str) -> frozenset[str]:
    return frozenset(phrase_key(symptom).split())
