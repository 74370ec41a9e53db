"""kb's Datasette hooks, all in this module; the logic they call lives in plain modules."""

from __future__ import annotations

import json
import sqlite3

from datasette import hookimpl

from .analysis import get_analyzer


@hookimpl
def prepare_connection(conn: sqlite3.Connection) -> None:
    """SQL functions: kb_terms(text) gives the index terms of a text, as the build made them."""
    conn.create_function("kb_terms", 1, _kb_terms, deterministic=True)
    conn.create_function("kb_tokens", 1, _kb_tokens, deterministic=True)


def _kb_terms(text: str | None) -> str:
    return " ".join(get_analyzer().terms(text or ""))


def _kb_tokens(text: str | None) -> str:
    tokens = get_analyzer().tokens(text or "")
    return json.dumps(
        [{"surface": t.surface, "term": t.term, "alts": list(t.alts), "reading": t.reading}
         for t in tokens],
        ensure_ascii=False,
    )
