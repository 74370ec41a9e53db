"""Search: a query string in, ranked hits with highlighted snippets out.

FTS5 finds candidates with BM25 over weighted columns (a heading counts more than body text);
they are then ranked by BM25 times how much of the query they hold (each query word counts by how
it matched: as typed, through a synonym or through its reading), with a boost when the query's
words stand together in the text. Results in the query's language come first. Snippets are cut
from the original text around the words that matched, whatever form they took.
"""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

import sqlite_utils

from .analysis import Token, get_analyzer
from .query import Alternative, Group, Query, parse_query
from .synonyms import Synonyms

# bm25() weights, in the order of store.SECTION_FTS_COLUMNS: heading, body, context, alts, readings
SECTION_WEIGHTS = (5.0, 1.0, 0.6, 0.4, 0.3)
CANDIDATES = 200
# A match found only among a word's other forms (a compound's part, a verb's noun) counts a bit less.
WEIGHT_OTHER_FORM = 0.85
HTML_MARKER = ("<mark>", "</mark>")


@dataclass
class Hit:
    """One search result, in the shape of the DESIGN contract (plus a few helpful extras)."""

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
    total: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "hits": [h.to_dict() for h in self.hits]}


@dataclass
class _Candidate:
    row: tuple  # a row of the query in _candidates
    score: float
    same_lang: bool


def search(
    db: sqlite_utils.Database,
    query: str,
    *,
    limit: int = 10,
    offset: int = 0,
    lang: str | None = None,
    site: str | None = None,
    article_id: str | None = None,
    category: str | None = None,
    kind: str | None = None,
    marker: tuple[str, str] = HTML_MARKER,
    synonyms: Synonyms | None = None,
) -> SearchResult:
    """Search sections and Q&A pairs; any string is a valid query (no hits is a valid answer)."""
    parsed = parse_query(query, synonyms)
    result = SearchResult(query=query, truncated=parsed.truncated)
    expression = parsed.fts()
    if expression is None:
        return result
    rows = _candidates(db, expression, lang=lang, site=site, article_id=article_id,
                       category=category, kind=kind)
    ranked = sorted(
        (_rank(row, parsed) for row in rows), key=lambda c: (not c.same_lang, -c.score)
    )
    result.total = len(ranked)
    for candidate in ranked[offset : offset + limit]:
        result.hits.append(_hit(candidate, parsed, marker))
    return result


def _candidates(db: sqlite_utils.Database, expression: str, **filters: str | None) -> list[tuple]:
    where, params = ["sections_fts match ?"], [expression]
    for column, key in (("s.lang", "lang"), ("a.site", "site"), ("s.article_id", "article_id"),
                        ("a.category", "category")):
        if filters.get(key):
            where.append(f"{column} = ?")
            params.append(filters[key])
    if filters.get("kind") in ("qa", "section"):
        where.append("s.is_qa = ?")
        params.append(1 if filters["kind"] == "qa" else 0)
    weights = ", ".join(str(w) for w in SECTION_WEIGHTS)
    return db.execute(
        f"""
        select s.id, s.article_id, s.heading, s.text, s.anchor, s.is_qa, s.lang,
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
        limit {CANDIDATES}
        """,
        params,
    ).fetchall()


def _rank(row: tuple, query: Query) -> _Candidate:
    heading = (row[12] or "").split()
    body = (row[13] or "").split()
    context = (row[14] or "").split()
    fields = (heading, body, context)
    primary = set(heading) | set(body) | set(context)
    others = set((row[15] or "").split())
    readings = set((row[16] or "").split())
    coverage = 0.0
    in_heading = 0
    for group in query.groups:
        best = 0.0
        for alt in group.alternatives:
            weight = _match_weight(alt, fields, primary, others, readings)
            best = max(best, weight)
        coverage += best
        if best and any(_in_sequence(a.terms, heading) for a in group.alternatives if not a.reading):
            in_heading += 1
    n = len(query.groups)
    coverage /= n
    proximity = _proximity(query.groups, heading, body) if n > 1 else 0.0
    score = -row[17] * (0.15 + coverage) ** 2 * (1 + 0.5 * in_heading / n) * (1 + 0.5 * proximity)
    same_lang = (row[6] or query.lang) == query.lang
    return _Candidate(row, score, same_lang)


def _match_weight(alt: Alternative, fields: Sequence[list[str]], primary: set[str],
                  others: set[str], readings: set[str]) -> float:
    if alt.reading:
        return alt.weight if alt.terms[0] in readings else 0.0
    if len(alt.terms) == 1:
        term = alt.terms[0]
        if term in primary:
            return alt.weight
        return alt.weight * WEIGHT_OTHER_FORM if term in others else 0.0
    return alt.weight if any(_in_sequence(alt.terms, f) for f in fields) else 0.0


def _in_sequence(terms: tuple[str, ...], sequence: list[str]) -> bool:
    if len(terms) == 1:
        return terms[0] in sequence
    n = len(terms)
    first = terms[0]
    return any(
        sequence[i : i + n] == list(terms) for i, t in enumerate(sequence) if t == first
    )


def _proximity(groups: list[Group], heading: list[str], body: list[str]) -> float:
    """Share of neighbouring query words that stand within three words of each other."""
    pairs = 0
    close = 0
    for a, b in zip(groups, groups[1:]):
        pairs += 1
        a_terms = {t for alt in a.alternatives if not alt.reading for t in alt.terms}
        b_terms = {t for alt in b.alternatives if not alt.reading for t in alt.terms}
        if _near(a_terms, b_terms, heading) or _near(a_terms, b_terms, body):
            close += 1
    return close / pairs if pairs else 0.0


def _near(a: set[str], b: set[str], sequence: list[str], window: int = 3) -> bool:
    last_a = last_b = -10_000
    for i, term in enumerate(sequence):
        if term in a:
            last_a = i
            if i - last_b <= window:
                return True
        if term in b:
            last_b = i
            if i - last_a <= window:
                return True
    return False


def _hit(candidate: _Candidate, query: Query, marker: tuple[str, str]) -> Hit:
    row = candidate.row
    is_qa = bool(row[5])
    text = row[11] if is_qa and row[11] is not None else row[3]
    heading = row[10] if is_qa and row[10] else (row[2] or row[7])
    forms, readings = query.forms(), query.readings()
    snippet = make_snippet(text, forms, readings, marker=marker)
    if not snippet:  # the match was in the heading or the context: show the start, unmarked
        snippet = _escape(text[:120], marker) + ("…" if len(text) > 120 else "")
    return Hit(
        kind="qa" if is_qa else "section",
        article_id=row[1],
        article_title=row[7],
        heading=heading,
        text=text,
        snippet=snippet,
        score=round(candidate.score, 4),
        url=row[8],
        section_id=row[0],
        anchor=row[4],
        lang=row[6],
        site=row[9],
    )


def make_snippet(
    text: str,
    forms: set[str],
    readings: set[str] = frozenset(),  # type: ignore[assignment]
    *,
    width: int = 120,
    marker: tuple[str, str] = HTML_MARKER,
) -> str:
    """An excerpt of the original text around the densest run of matched words, marked.

    With the HTML marker the text is escaped; another marker (a terminal's) leaves it as it is.
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
    if token.term in forms or any(a in forms for a in token.alts):
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
