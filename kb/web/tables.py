"""Datasette's own table search (``?_search=``) on the sections and Q&A tables, in Japanese.

The FTS5 tables hold analyzed terms, so Datasette's escaped phrase of the raw text (背中が熱い as
one token) would match nothing. kb analyzes the text as search does (kb/search/query.py: inflections,
other forms, readings, synonyms) and matches an FTS5 expression that requires every word, as
Datasette's own search does, passed as a parameter. Datasette 0.65's table SQL always ends in ``order by`` a column, so the table lists
the matches in its own order; the best matches by kb's ranking are shown above it
(:func:`ranked_matches`).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from ..search import MAX_QUERY_CHARS, parse_query
from ..search import search
from .pages import MARKER, page_hit

# table -> (its FTS5 table, the kind of search hit it holds)
SEARCHABLE = {"sections": ("sections_fts", "section"), "qa": ("qa_fts", "qa")}
RANKED_COUNT = 10


@dataclass
class TableSearch:
    """The SQL a ``?_search=`` adds to a table page: a where clause, its parameters, its words."""

    where_clauses: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    human_descriptions: list[str] = field(default_factory=list)
    extra_context: dict[str, Any] = field(default_factory=dict)


def table_search(table: str, text: str | None) -> TableSearch | None:
    """The filter for ``?_search=text`` on a kb table, or None for another table."""
    if table not in SEARCHABLE:
        return None
    fts_table = SEARCHABLE[table][0]
    result = TableSearch(extra_context={"supports_search": True})
    text = (text or "").strip()
    if not text:
        return result
    expression = filter_expression(text)
    result.extra_context["search"] = text
    result.human_descriptions.append(f'search matches "{text[:100]}"')
    if expression is None:  # nothing meaningful to look for (only symbols, say): no rows
        result.where_clauses.append("0")
        return result
    # the table name comes from SEARCHABLE, never from the request; the expression is a parameter
    result.where_clauses.append(
        f"id in (select rowid from [{fts_table}] where [{fts_table}] match :kb_search)")
    result.params["kb_search"] = expression
    return result


def filter_expression(text: str) -> str | None:
    """The FTS5 expression of a table filter: every word of the text (in any of its forms, as
    search matches it) must be there, as in Datasette's own table search; None when the text
    has no meaningful word. (Search ranks any match; a filter narrows the table.)"""
    parsed = parse_query(text[:MAX_QUERY_CHARS])
    if not parsed.groups:
        return None
    expression = " AND ".join(group.fts() for group in parsed.groups)
    if parsed.excluded:
        expression = f"({expression}) NOT ({' OR '.join(g.fts() for g in parsed.excluded)})"
    return expression


def ranked_matches(conn: sqlite3.Connection, table: str, text: str) -> list[dict[str, Any]]:
    """The best matches of ``text`` in a kb table, by kb's ranking, each with its row id."""
    kind = SEARCHABLE[table][1]
    db = sqlite_utils.Database(conn)
    found = search(db, text[:MAX_QUERY_CHARS], limit=RANKED_COUNT, kind=kind, marker=MARKER)
    hits = [page_hit(h) for h in found.hits]
    if table == "qa" and hits:
        ids = [h["section_id"] for h in hits]
        rows = dict(conn.execute(
            f"select section_id, id from qa where section_id in ({', '.join('?' * len(ids))})",
            ids).fetchall())
        for hit in hits:
            hit["row_id"] = rows.get(hit["section_id"])
    else:
        for hit in hits:
            hit["row_id"] = hit["section_id"]
    return hits
