"""The search and analyze pages: request arguments in, the data their templates and JSON show out.

Results are serialized by their own types, as the CLI's ``--json`` prints them: a hit by
:meth:`kb.search.Hit.to_dict`, a symptom panel by :meth:`kb.facts.SymptomSummary.to_dict`, an
analysis by :func:`kb.analysis.analysis_dict`; the pages only add their paging and markup.

Nothing here knows Datasette: the hooks in kb/web/__init__.py read the request, call these
functions on a database connection and render the result. Every value taken from a request is
cleaned here (cut, parsed, limited to known values), and goes to SQL only as a parameter.
"""

from __future__ import annotations

import html
import math
import sqlite3
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import sqlite_utils
from markupsafe import Markup

from ..analysis import phrase_key
from ..facts import SymptomSummary, matching_symptom_keys, stored_symptom_keys, summarize_key
from ..index.cache import IndexCache
from ..search import MAX_QUERY_CHARS, Hit, query_language, search

PAGE_SIZE = 10
MAX_PAGE = 50  # search ranks its best few hundred candidates: pages past these are empty anyway
MAX_JSON_LIMIT = 50
MAX_ANALYZE_CHARS = 2000
# Marks for matched words that cannot be confused with HTML: the snippet is escaped whole, then
# these become <mark> tags (private-use characters, which article text has no reason to hold).
_OPEN, _CLOSE = MARKER = ("\ue000", "\ue001")


@dataclass
class SearchPage:
    """What the search page and its JSON show for one request."""

    query: str
    truncated: bool = False
    hits: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 0
    limit: int = PAGE_SIZE
    doc_lang: str | None = None
    site: str | None = None
    summary: dict[str, Any] | None = None
    sites: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    query_lang: str = ""  # hits in another language are labelled (日本語の記事 / Japanese article)

    def to_json(self) -> dict[str, Any]:
        """The DESIGN contract (``query``, ``hits``) plus paging, filters and the symptom panel."""
        data: dict[str, Any] = {
            "query": self.query,
            "hits": [{k: v for k, v in h.items() if k != "snippet_html"} for h in self.hits],
            "total": self.total, "page": self.page, "limit": self.limit,
            "filters": {"doc_lang": self.doc_lang, "site": self.site},
            "symptom": self.summary,
        }
        if self.truncated:
            data["truncated"] = True
        return data


def clean_text(value: str | None, limit: int = MAX_QUERY_CHARS) -> tuple[str, bool]:
    """A request's text, cut to ``limit`` characters (and whether it was), without characters
    that are no text (NUL and the marks this module uses)."""
    text = (value or "").replace("\x00", "").replace(_OPEN, "").replace(_CLOSE, "").strip()
    return text[:limit], len(text) > limit


def to_int(value: str | None, default: int, low: int, high: int) -> int:
    """A request's number, or ``default`` when it is none; always within ``low``..``high``."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return default
    return max(low, min(high, number))


def search_page(conn: sqlite3.Connection, args: dict[str, str | None]) -> SearchPage:
    """Run a search for the page: ``q``, ``doc_lang``, ``site``, ``page`` (and, for JSON,
    ``limit`` and ``offset``) taken from ``args``."""
    db = sqlite_utils.Database(conn)
    query, truncated = clean_text(args.get("q"))
    sites, languages = _choices(db)
    doc_lang = args.get("doc_lang") if args.get("doc_lang") in languages else None
    site = args.get("site") if args.get("site") in sites else None
    limit = to_int(args.get("limit"), PAGE_SIZE, 1, MAX_JSON_LIMIT)
    page = to_int(args.get("page"), 1, 1, MAX_PAGE)
    offset = to_int(args.get("offset"), (page - 1) * limit, 0, MAX_PAGE * MAX_JSON_LIMIT)
    result = SearchPage(query=query, truncated=truncated, page=page, limit=limit,
                        doc_lang=doc_lang, site=site, sites=sites, languages=languages)
    if not query:
        return result
    found = search(db, query, limit=limit, offset=offset, lang=doc_lang, site=site,
                   marker=MARKER)
    result.total = found.total
    result.pages = min(MAX_PAGE, math.ceil(found.ranked / limit))  # facts' hits are paged too
    result.hits = [page_hit(hit) for hit in found.hits]
    result.query_lang = query_language(query)
    summary = symptom_summary(db, query)
    result.summary = summary.to_dict() if summary is not None else None
    return result


# What never changes between builds: the filters' choices, and the symptom panels (a common
# symptom of a large index gathers thousands of facts)
_CACHE = IndexCache(limit=2000)
PANEL_SOURCES = 3  # articles named for each cause in the panel


def _choices(db: sqlite_utils.Database) -> tuple[list[str], list[str]]:
    """The sites and the languages of the articles (the filters' choices)."""
    def compute() -> tuple[list[str], list[str]]:
        sites = [r[0] for r in db.execute(
            "select distinct site from articles where site is not null and site != '' order by site")]
        return sites, [r[0] for r in db.execute("select distinct lang from articles order by lang")]

    return _CACHE.get(db, ("choices",), compute)


def _panel(db: sqlite_utils.Database, key: str) -> SymptomSummary | None:
    return _CACHE.get(db, ("panel", key), lambda: summarize_key(db, key, sources=PANEL_SOURCES))


def symptom_summary(db: sqlite_utils.Database, query: str) -> SymptomSummary | None:
    """The symptom panel's data for a query as patients type it: the symptom the whole query
    names (しびれ finds 手足のしびれ); else the known symptom with the most words that all stand in
    the query (背中が熱くて眠れない: 背中が熱い); else what one of its space-separated parts names
    (しびれ 何科: しびれ)."""
    keys = matching_symptom_keys(db, query)
    if keys:
        return _panel(db, keys[0])
    words = set(phrase_key(query).split())
    inside = [k for k in stored_symptom_keys(db) if k and set(k.split()) <= words] if words else []
    if inside:
        return _panel(db, max(inside, key=lambda k: (len(k.split()), k)))
    parts = query.split()
    for part in sorted(parts, key=len, reverse=True) if len(parts) > 1 else ():
        keys = matching_symptom_keys(db, part)
        if keys:
            return _panel(db, keys[0])
    return None


def page_hit(hit: Hit) -> dict[str, Any]:
    """A hit searched with this module's marks (:data:`MARKER`) as the pages show it:
    :meth:`Hit.to_dict` (what ``kb search --json`` prints), its snippet as escaped HTML with
    <mark> (as the CLI's), and ``snippet_html``, the same as markup the template does not escape
    again (JSON leaves it out)."""
    data = hit.to_dict()
    snippet = marked_html(hit.snippet)
    data["snippet"] = str(snippet)
    data["snippet_html"] = snippet
    return data


def marked_html(text: str) -> Markup:
    """Text marked with this module's private marks as HTML: everything escaped, marks as <mark>."""
    escaped = html.escape(text, quote=False)
    return Markup(escaped.replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>"))


def page_url(path: str, args: dict[str, Any], **changes: Any) -> str:
    """``path`` with the request's known arguments, some changed (None drops one)."""
    merged = {k: v for k, v in {**args, **changes}.items() if v not in (None, "")}
    return path + ("?" + urlencode(merged) if merged else "")
