"""Search: a query string parsed into groups of alternative terms, candidates from FTS5 and the
champion lists ranked by BM25F and the other signals, and snippets with the matched words marked.

The rest of kb uses :func:`search` (and :class:`SearchResult`, :class:`Hit`, whose ``to_dict``
is the one JSON shape of a hit), :func:`parse_query` (and :func:`query_language`: hits in
another language are marked) and :func:`make_snippet`.
"""

from __future__ import annotations

from .query import MAX_QUERY_CHARS, Query, parse_query, query_language
from .hits import Hit, SearchResult
from .rank import search
from .snippets import HTML_MARKER, make_snippet

__all__ = [
    "HTML_MARKER", "Hit", "MAX_QUERY_CHARS", "Query", "SearchResult", "make_snippet",
    "parse_query", "query_language", "search",
]
