"""Search: a query string in, ranked hits with highlighted snippets out.

The query is analyzed like the documents; each query word becomes a group of the forms it may take
(its term, its alternatives, and for kana its reading). FTS5 finds candidates with BM25 over
weighted columns; they are then ranked by BM25 and by how many of the query's words they hold.
Snippets are cut from the original text around the words that matched, whatever form they took.
"""

from __future__ import annotations

import html
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlite_utils

from .analysis import Token, get_analyzer, to_katakana

# bm25() weights, in the order of store.SECTION_FTS_COLUMNS: heading, body, context, alts, readings
SECTION_WEIGHTS = (5.0, 1.0, 0.6, 0.4, 0.3)
MAX_QUERY_CHARS = 1000
MAX_GROUPS = 32
_CANDIDATES = 200
_KANA_ONLY = re.compile(r"^[\u3041-\u30ff\uff66-\uff9fー]+$")


@dataclass
class Hit:
    """One search result, in the shape of the DESIGN contract."""

    kind: str
    article_id: str
    article_title: str
    heading: str
    text: str
    snippet: str
    score: float
    url: str | None
    section_id: int | None = None
    anchor: str | None = None
    lang: str | None = None
    site: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SearchResult:
    """A query and its hits, best first."""

    query: str
    hits: list[Hit] = field(default_factory=list)
    truncated: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "hits": [h.to_dict() for h in self.hits]}


@dataclass
class QueryGroup:
    """One query word and every form it may take in the index."""

    surface: str
    forms: tuple[str, ...]
    reading: str = ""


def parse_query(query: str) -> list[QueryGroup]:
    """Analyze a query into groups of alternative forms, one group per meaningful word."""
    groups: list[QueryGroup] = []
    seen: set[tuple[str, ...]] = set()
    for token in get_analyzer().tokens(query[:MAX_QUERY_CHARS]):
        forms = tuple(dict.fromkeys(token.forms()))
        if forms in seen:
            continue
        seen.add(forms)
        reading = to_katakana(token.surface) if _KANA_ONLY.match(token.surface) else ""
        groups.append(QueryGroup(token.surface, forms, reading))
        if len(groups) >= MAX_GROUPS:
            break
    return groups


def fts_match_expression(groups: list[QueryGroup]) -> str:
    """An FTS5 MATCH string for the groups: every form quoted, so no input is FTS5 syntax."""
    parts = []
    for g in groups:
        alternatives = [_quote(f) for f in g.forms]
        if g.reading:
            alternatives.append(f"readings : {_quote(g.reading)}")
        parts.append("(" + " OR ".join(alternatives) + ")")
    return " OR ".join(parts)


def search(
    db: sqlite_utils.Database,
    query: str,
    *,
    limit: int = 10,
    offset: int = 0,
    lang: str | None = None,
    site: str | None = None,
    article_id: str | None = None,
    kind: str | None = None,
    marker: tuple[str, str] = ("<mark>", "</mark>"),
) -> SearchResult:
    """Search sections and Q&A pairs; any string is a valid query (no hits is a valid answer)."""
    result = SearchResult(query=query, truncated=len(query) > MAX_QUERY_CHARS)
    groups = parse_query(query)
    if not groups:
        return result
    where, params = ["sections_fts match ?"], [fts_match_expression(groups)]
    for column, value in (("s.lang", lang), ("a.site", site), ("s.article_id", article_id)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    if kind in ("qa", "section"):
        where.append("s.is_qa = ?")
        params.append(1 if kind == "qa" else 0)
    weights = ", ".join(str(w) for w in SECTION_WEIGHTS)
    rows = db.execute(
        f"""
        select s.id, s.article_id, s.heading, s.text, s.anchor, s.is_qa, s.lang, s.level,
               a.title, a.url, a.site, q.question, q.answer,
               sections_fts.heading, sections_fts.body, sections_fts.context,
               sections_fts.alts, sections_fts.readings,
               bm25(sections_fts, {weights}) as rank
        from sections_fts
        join sections s on s.id = sections_fts.rowid
        join articles a on a.id = s.article_id
        left join qa q on q.section_id = s.id
        where {' and '.join(where)}
        order by rank
        limit {_CANDIDATES}
        """,
        params,
    ).fetchall()
    scored = []
    for row in rows:
        indexed = set(" ".join(v or "" for v in row[13:18]).split())
        matched = [g for g in groups if any(f.lower() in indexed for f in g.forms)
                   or (g.reading and g.reading in indexed)]
        coverage = len(matched) / len(groups)
        heading_terms = set((row[13] or "").split())
        in_heading = sum(1 for g in matched if any(f.lower() in heading_terms for f in g.forms))
        score = -row[18] * (0.25 + coverage) ** 2 * (1 + 0.5 * in_heading / len(groups))
        scored.append((score, row))
    scored.sort(key=lambda x: -x[0])
    forms = {f.lower() for g in groups for f in g.forms}
    readings = {g.reading for g in groups if g.reading}
    for score, row in scored[offset : offset + limit]:
        is_qa = bool(row[5])
        text = row[12] if is_qa and row[12] is not None else row[3]
        heading = row[11] if is_qa and row[11] else (row[2] or row[8])
        result.hits.append(
            Hit(
                kind="qa" if is_qa else "section",
                article_id=row[1],
                article_title=row[8],
                heading=heading,
                text=text,
                snippet=make_snippet(text, forms, readings, marker=marker) or _escape(text[:120], marker),
                score=round(score, 4),
                url=row[9],
                section_id=row[0],
                anchor=row[4],
                lang=row[6],
                site=row[10],
            )
        )
    return result


def make_snippet(
    text: str,
    forms: set[str],
    readings: set[str] = frozenset(),  # type: ignore[assignment]
    *,
    width: int = 120,
    marker: tuple[str, str] = ("<mark>", "</mark>"),
) -> str:
    """An excerpt of the original text around the densest run of matched words, marked.

    With the HTML marker the text is escaped; a plain marker (terminal) leaves it as it is.
    """
    tokens = [t for t in get_analyzer().tokens(text) if _token_matches(t, forms, readings)]
    if not tokens:
        return ""
    start = _best_window(tokens, width)
    end = min(len(text), start + width)
    pieces = []
    cursor = start
    for t in tokens:
        if t.start < start or t.end > end:
            continue
        pieces.append(_escape(text[cursor : t.start], marker))
        pieces.append(marker[0] + _escape(text[t.start : t.end], marker) + marker[1])
        cursor = t.end
    pieces.append(_escape(text[cursor:end], marker))
    snippet = "".join(pieces).replace("\n", " ")
    return ("…" if start > 0 else "") + snippet + ("…" if end < len(text) else "")


def _token_matches(token: Token, forms: set[str], readings: set[str]) -> bool:
    if token.term.lower() in forms or any(a.lower() in forms for a in token.alts):
        return True
    return bool(readings) and token.reading in readings


def _best_window(tokens: list[Token], width: int) -> int:
    """Start of the window of ``width`` characters holding the most matched tokens."""
    best_start, best_count = tokens[0].start, 0
    j = 0
    for i, t in enumerate(tokens):
        while tokens[j].end <= t.end - width:
            j += 1
        count = i - j + 1
        if count > best_count:
            best_count, best_start = count, tokens[j].start
    return max(0, best_start - width // 4)


def _escape(text: str, marker: tuple[str, str]) -> str:
    return html.escape(text, quote=False) if marker[0].startswith("<") else text


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


