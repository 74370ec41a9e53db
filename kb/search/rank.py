"""Search: a query string in, ranked hits with highlighted snippets out.

FTS5 finds candidates with BM25 over weighted columns (a heading counts more than body text);
they are then ranked by BM25 times how much of the query they hold (each query word counts by how
it matched: as typed, through a synonym or through its reading), with a boost when the query's
words stand together in the text. Results in the query's language come first. Snippets are cut
from the original text around the words that matched, whatever form they took.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import sqlite_utils

from ..index import champions, store
from ..index.cache import IndexCache
from ..analysis import decode_spans
from .query import Alternative, Group, Query, parse_query
from ..analysis import role_token
from .fact_hits import FactCandidate, fact_candidates, fact_hit
from .hits import Hit, SearchResult
from .outline import outline_terms, outlines
from .snippets import HTML_MARKER, escape, make_snippet
from ..analysis import Synonyms

# Column weights, in the order of store.SECTION_FTS_COLUMNS: heading, body, context, alts, readings.
FIELD_WEIGHTS = (3.0, 1.0, 0.5, 0.5, 0.5)
# FTS5's own bm25() only picks the candidates, with the same weights.
CANDIDATE_WEIGHTS = FIELD_WEIGHTS
CANDIDATES = 200
# Candidates (best first) that get the proximity boost, which can reorder them.
PROXIMITY_POOL = 50
PROXIMITY_BOOST = 0.5
K1 = 1.2
B = 0.6  # tuned on the query set: 0.6-0.75 are within 0.002 of each other (BENCHMARKS.md)
# A unit in another language than the query's counts this much.
OTHER_LANGUAGE = 0.2
# Sections read and ranked in full when candidates come from champion lists.
CHAMPION_POOL = 60
# A query of more words than this fetches candidates by its rarest ones.
RETRIEVAL_GROUPS = 8
# A section with sub-sections and less text than this of its own only points to them.
SIGNPOST_CHARS = 150
# The share of its score a signpost keeps when neither its heading nor its sub-sections'
# headings hold the query's words: a heading with no text (under 20 characters) or a short
# lead-in to sub-sections. It keeps more the more of the query's words its heading and its
# outline hold, all of it when they hold them all (「腰痛の主な原因」 over one ### per cause
# answers 「腰痛 原因」). A heading with neither text nor sub-sections keeps the first share.
SIGNPOST_EMPTY_SHARE = 0.5
SIGNPOST_LEAD_IN_SHARE = 0.6
# How much of the rest a signpost regains when its heading and outline hold all the query's words.
SIGNPOST_OUTLINE_LIFT = 0.5  # 0.25-1 are within 0.003 nDCG of each other on ours and part a
# How much more a section counts when its heading holds all the query's words.
HEADING_BOOST = 0.5
# How much more a section counts when its heading announces what the query asks for (a cause,
# self-care, a department, a warning; see kb/analysis/roles.py).
ROLE_BOOST = 1.0
# A boilerplate section (kb/duplicates/engine.py) keeps this share of its score: below content.
BOILERPLATE_SHARE = 0.01
# Sections whose facts may join the hits (kb/search/fact_hits.py: the share of a section's
# score its facts get).
FACT_POOL = 30
# How much more the first section of an article counts than its last: articles answer their
# title's question first and go into detail (or repeat themselves) further down.
POSITION_PRIOR = 0.3


@dataclass
class _Candidate:
    row: tuple  # a row of the query in _candidates
    score: float
    columns: list[list[str]]


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
    if not parsed.groups:
        return result
    stats = collection_stats(db, parsed)
    filters = {"lang": lang, "site": site, "article_id": article_id, "category": category,
               "kind": kind if kind in ("section", "qa") else None}
    rows = None
    if not any(filters.values()):  # filters must apply before a limit: FTS5 does them
        rows = champion_candidates(db, parsed, stats)
    if rows is None:
        rows = _candidates(db, parsed.fts(_retrieval_groups(parsed, stats)), filters)
    if not rows:
        return result
    group_idfs = [max(stats.idf(a.terms[0]) for a in g.alternatives) for g in parsed.groups]
    below = outline_terms(db, [r[_ID] for r in rows if _is_signpost(r)])
    ranked = sorted((_rank(row, parsed, stats, group_idfs, below.get(row[_ID], []))
                     for row in rows), key=lambda c: -c.score)
    # Proximity needs a walk through each text: only for those that can still reach the page.
    head = max(offset + limit, PROXIMITY_POOL)
    ranked[:head] = sorted((_with_proximity(c, parsed) for c in ranked[:head]),
                           key=lambda c: -c.score)
    units = len(ranked)  # the count says how many sections and Q&A match, not facts
    if kind in (None, "fact"):
        facts = fact_candidates(db, parsed, {c.row[_ID]: c.score for c in ranked[:FACT_POOL]})
        ranked = facts if kind == "fact" else sorted(ranked + facts, key=lambda c: -c.score)
        units = len(facts) if kind == "fact" else units
    result.total, result.ranked = units, len(ranked)
    result.hits = _hits(db, ranked[offset : offset + limit], parsed, marker)
    return result


def _retrieval_groups(query: Query, stats: _Stats) -> list[Group]:
    """The groups that fetch candidates: all of them, or for a long query its rarest words.

    A query of many words would otherwise match nearly every section; its rarest words find
    the sections worth ranking (every word still counts in the ranking).
    """
    if len(query.groups) <= RETRIEVAL_GROUPS:
        return query.groups
    def rarity(group: Group) -> float:
        return max(stats.idf(a.terms[0]) for a in group.alternatives)
    chosen = sorted(query.groups, key=rarity, reverse=True)[:RETRIEVAL_GROUPS]
    chosen_ids = {id(g) for g in chosen}
    return [g for g in query.groups if id(g) in chosen_ids or g.required]


# Columns of a candidate row (see _candidates); the FTS columns follow in store's order.
_ID, _IS_QA, _LANG, _TEXT_LEN, _CHILDREN, _REL_POS, _BOILERPLATE, _FTS = range(8)


def champion_candidates(db: sqlite_utils.Database, query: Query, stats: _Stats) -> list[tuple] | None:
    """Candidates when FTS5 would have to rank too many matches; None when it would not.

    Each query word's forms are fetched the cheapest good way: a rare term through FTS5 (its few
    matches ranked by bm25), a common one through its champion list; a common form with no list
    (a synonym group, a reading) only counts in the ranking. Sections get a first score from
    the lists' weights and FTS5's bm25, and the best ``CHAMPION_POOL`` are ranked in full.
    """
    plan = []  # (group index, alternative, rarest term, df)
    for index, group in enumerate(query.groups):
        for alt in group.alternatives:
            term = max(alt.terms, key=stats.idf)  # a phrase: its rarest word
            plan.append((index, alt, term, stats.df.get(term, 0)))
    if sum(df for *_, df in plan) <= champions.FTS_BUDGET or not champions.has_lists(db):
        return None  # FTS5 ranks so few matches that it is exact and fast, or must
    fts: list[tuple[int, str]] = []
    best: list[dict[int, float]] = [{} for _ in query.groups]
    for index, alt, term, df in plan:
        listed = champions.champions(db, term) if df > champions.CHEAP_DF else []
        if not listed:
            if df <= champions.CHAMPION_MIN_DF:
                fts.append((df, alt.fts()))
            continue
        idf = stats.idf(term) * alt.weight
        group_best = best[index]
        for section_id, weight in listed:
            value = idf * weight
            if value > group_best.get(section_id, 0.0):
                group_best[section_id] = value
    first_scores: dict[int, float] = {}
    for group_best in best:
        for section_id, value in group_best.items():
            first_scores[section_id] = first_scores.get(section_id, 0.0) + value
    spent, chosen = 0, []
    for df, expression in sorted(set(fts)):  # the rarest first, within the budget
        if spent + df > champions.FTS_BUDGET and chosen:
            break
        spent += df
        chosen.append(expression)
    if chosen:
        weights = ", ".join(str(w) for w in CANDIDATE_WEIGHTS)
        for section_id, rank in db.execute(
            f"select rowid, bm25(sections_fts, {weights}) from sections_fts "
            f"where sections_fts match ? order by 2 limit {CHAMPION_POOL}",
            [" OR ".join(chosen)],
        ):
            first_scores[section_id] = first_scores.get(section_id, 0.0) - rank
    ranked_ids = sorted(first_scores, key=first_scores.__getitem__, reverse=True)
    filtering = bool(query.excluded) or any(g.required for g in query.groups)
    rows = _candidate_rows(db, ranked_ids[: CHAMPION_POOL * (3 if filtering else 2)])
    rows = [r for r in rows if _keeps(r, query)]
    order = {section_id: n for n, section_id in enumerate(ranked_ids)}
    # boilerplate would only be ranked last: content fills the pool first
    return sorted(rows, key=lambda r: (r[_BOILERPLATE], order[r[_ID]]))[:CHAMPION_POOL]


def _keeps(row: tuple, query: Query) -> bool:
    """What FTS5's NOT and AND would have done: excluded words absent, required phrases present."""
    if not query.excluded and not any(g.required for g in query.groups):
        return True
    columns = [(row[_FTS + i] or "").split() for i in range(5)]
    primary = set(columns[0]) | set(columns[1]) | set(columns[2])
    everything = primary | set(columns[3]) | set(columns[4])
    for group in query.excluded:
        if any(all(t in everything for t in a.terms) for a in group.alternatives):
            return False
    for group in query.groups:
        if group.required and not any(
            any(_phrase_count(a.terms, c) for c in columns[:3]) for a in group.alternatives
        ):
            return False
    return True


def _candidate_rows(db: sqlite_utils.Database, ids: list[int]) -> list[tuple]:
    if not ids:
        return []
    marks = ", ".join("?" * len(ids))
    return db.execute(
        f"""
        select s.id, s.is_qa, s.lang, length(coalesce(q.answer, s.text)), s.child_count,
               s.position * 1.0 / a.section_count, s.boilerplate,
               f.heading, f.body, f.context, f.alts, f.readings
        from sections s
        join sections_fts f on f.rowid = s.id
        join articles a on a.id = s.article_id
        left join qa q on q.section_id = s.id
        where s.id in ({marks})
        """,
        ids,
    ).fetchall()


def _candidates(db: sqlite_utils.Database, expression: str, filters: dict) -> list[tuple]:
    """The best-matching sections by FTS5's bm25, with what ranking needs (not their text)."""
    weights = ", ".join(str(w) for w in CANDIDATE_WEIGHTS)
    where, params = [], [expression]
    for column, key in (("s.lang", "lang"), ("s.article_id", "article_id"),
                        ("a.site", "site"), ("a.category", "category")):
        if filters.get(key):
            where.append(f"{column} = ?")
            params.append(filters[key])
    if filters.get("kind") in ("qa", "section"):
        where.append("s.is_qa = ?")
        params.append(1 if filters["kind"] == "qa" else 0)
    if where:  # filters must apply before the limit
        top = f"""
            select sections_fts.rowid as id from sections_fts
            join sections s on s.id = sections_fts.rowid
            join articles a on a.id = s.article_id
            where sections_fts match ? and {' and '.join(where)}
            order by bm25(sections_fts, {weights}) limit {CANDIDATES}"""
    else:  # no joins while FTS5 ranks every match
        top = f"""
            select rowid as id from sections_fts where sections_fts match ?
            order by bm25(sections_fts, {weights}) limit {CANDIDATES}"""
    return db.execute(
        f"""
        select s.id, s.is_qa, s.lang, length(coalesce(q.answer, s.text)), s.child_count,
               s.position * 1.0 / a.section_count, s.boilerplate,
               f.heading, f.body, f.context, f.alts, f.readings
        from ({top}) as top
        join sections s on s.id = top.id
        join sections_fts f on f.rowid = top.id
        join articles a on a.id = s.article_id
        left join qa q on q.section_id = s.id
        """,
        params,
    ).fetchall()


@dataclass
class _Stats:
    """What BM25 needs of the whole collection: its size, column lengths, term frequencies."""

    rows: int
    averages: list[float]
    df: dict[str, int]
    idfs: dict[str, float] = field(default_factory=dict)

    def idf(self, term: str) -> float:
        value = self.idfs.get(term)
        if value is None:
            df = self.df.get(term, 0)
            value = self.idfs[term] = math.log(1 + (self.rows - df + 0.5) / (df + 0.5))
        return value


# Document frequencies change only with a build: one dict per state of the index, filled as
# queries ask for terms.
_DOCUMENT_FREQUENCIES = IndexCache(limit=8)


def collection_stats(db: sqlite_utils.Database, query: Query) -> _Stats:
    """What ranking needs to know of the whole index for a query: average field lengths and
    each query term's document frequency."""
    rows, averages = store.fts_averages(db)
    known: dict[str, int] = _DOCUMENT_FREQUENCIES.get(db, "document frequencies", dict)
    terms = {t for g in query.groups for a in g.alternatives for t in a.terms}
    df = {}
    for term in terms:
        if term not in known:
            found = db.execute(
                "select doc from sections_fts_vocab where term = ?", [term.lower()]
            ).fetchone()
            if len(known) < 100_000:
                known[term] = found[0] if found else 0
            df[term] = found[0] if found else 0
        else:
            df[term] = known[term]
    return _Stats(max(rows, 1), averages or [1.0] * len(FIELD_WEIGHTS), df)


def _rank(row: tuple, query: Query, stats: _Stats, group_idfs: list[float],
          outline: list[str] | None = None) -> _Candidate:
    """Score one candidate: BM25F per query word (its best alternative), times coverage.
    ``outline``: the terms of the headings of its sub-sections, for a signpost."""
    columns = [(row[_FTS + i] or "").split() for i in range(5)]
    counts = [Counter(c) for c in columns]
    norms = [
        1 - B + B * len(col) / (stats.averages[i] or 1.0) for i, col in enumerate(columns)
    ]
    present = set().union(*counts)  # most alternatives are absent: skip them cheaply
    total = 0.0
    matched_idf = 0.0
    for group, group_idf in zip(query.groups, group_idfs):
        best = 0.0
        for alt in group.alternatives:
            if alt.terms[0] in present:
                best = max(best, alt.weight * _bm25f(alt, columns, counts, norms, stats))
        if best > 0:
            total += best
            matched_idf += group_idf
    query_idf = sum(group_idfs)
    coverage = matched_idf / query_idf if query_idf else 0.0
    score = total * (0.2 + coverage) ** 2 / 1.44
    score *= _signpost_share(row, query.groups, columns[0], outline or [])
    score *= 1 + HEADING_BOOST * _heading_coverage(query.groups, columns[0] + columns[2])
    score *= 1 + POSITION_PRIOR * (1 - (row[_REL_POS] or 0))
    if query.roles:
        score *= 1 + ROLE_BOOST * _role_match(query.roles, counts[0], counts[2])
    if row[_BOILERPLATE]:
        score *= BOILERPLATE_SHARE  # a booking or shop block repeated on many pages: last
    same_lang = (row[_LANG] or query.lang) == query.lang
    if not same_lang:
        score *= OTHER_LANGUAGE  # the query's language first, the other one still findable
    return _Candidate(row, score, columns)


def _is_signpost(row: tuple) -> bool:
    """A section with sub-sections and little text of its own: it points to its answers."""
    return bool(row[_CHILDREN]) and (row[_TEXT_LEN] or 0) < SIGNPOST_CHARS


def _signpost_share(row: tuple, groups: list[Group], heading: list[str],
                    outline: list[str]) -> float:
    """The share of its score a section keeps as a signpost (1 when it is not one): a heading
    with no text, or a short lead-in, keeps more the more of the query its heading and its
    sub-sections' headings hold; a heading with nothing under it keeps the least."""
    text_length = row[_TEXT_LEN] or 0
    if text_length < 20:
        share = SIGNPOST_EMPTY_SHARE
    elif _is_signpost(row):
        share = SIGNPOST_LEAD_IN_SHARE
    else:
        return 1.0
    if not row[_CHILDREN]:
        return share
    return share + (1 - share) * SIGNPOST_OUTLINE_LIFT * _heading_coverage(groups,
                                                                             heading + outline)


def _role_match(wanted: set[str], heading: Counter, context: Counter) -> float:
    """1 when the section's own heading has a role the query asks for, 0.5 when one above it has."""
    tokens = [role_token(r) for r in wanted]
    if any(t in heading for t in tokens):
        return 1.0
    return 0.5 if any(t in context for t in tokens) else 0.0


def _with_proximity(candidate: _Candidate, query: Query) -> _Candidate:
    """Boost a candidate whose query words stand together (done for the best few only)."""
    if len(query.groups) > 1:
        heading, body = candidate.columns[0], candidate.columns[1]
        candidate.score *= 1 + PROXIMITY_BOOST * _proximity(query.groups, heading, body)
    return candidate


def _heading_coverage(groups: list[Group], heading: list[str]) -> float:
    """Share of the query's words the heading (or question) itself holds."""
    if not heading:
        return 0.0
    words = set(heading)
    found = sum(
        1 for g in groups
        if any(not a.reading and all(t in words for t in a.terms) for a in g.alternatives)
    )
    return found / len(groups)


def _bm25f(alt: Alternative, columns: list[list[str]], counts: list[Counter],
           norms: list[float], stats: _Stats) -> float:
    """BM25F of one alternative: term frequencies weighted per column, then saturated once."""
    if len(alt.terms) == 1:  # a word, or a reading (which may be a katakana word's term)
        term = alt.terms[0]
        fields = tuple((i, counts[i][term]) for i in range(5 if alt.reading else 4))
        idf = stats.idf(term)
    else:
        fields = tuple((i, _phrase_count(alt.terms, columns[i])) for i in range(3))
        # a phrase says about as much as its rarest word: 首の後ろ must not outweigh うなじ
        idf = max(stats.idf(t) for t in alt.terms)
    weighted = sum(FIELD_WEIGHTS[i] * tf / norms[i] for i, tf in fields if tf)
    if not weighted:
        return 0.0
    return idf * weighted * (K1 + 1) / (weighted + K1)


def _phrase_count(terms: tuple[str, ...], sequence: list[str]) -> int:
    n = len(terms)
    first = terms[0]
    wanted = list(terms)
    return sum(1 for i, t in enumerate(sequence) if t == first and sequence[i : i + n] == wanted)


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


def _hits(db: sqlite_utils.Database, page: list, query: Query,
          marker: tuple[str, str]) -> list[Hit]:
    """The page's hits, their rows read in one query."""
    if not page:
        return []
    ids = list({c.section_id if isinstance(c, FactCandidate) else c.row[_ID] for c in page})
    rows = {
        row[0]: row
        for row in db.execute(
            f"""
            select s.id, s.article_id, s.heading, s.text, s.anchor, s.is_qa, s.lang,
                   a.title, a.url, a.site, q.question, q.answer, t.spans
            from sections s join articles a on a.id = s.article_id
            left join qa q on q.section_id = s.id
            left join term_spans t on t.section_id = s.id
            where s.id in ({", ".join("?" * len(ids))})
            """,
            ids,
        )
    }
    hits = [fact_hit(rows[c.section_id], c, marker) if isinstance(c, FactCandidate)
            else _hit(rows[c.row[_ID]], c, query, marker) for c in page]
    below = outlines(db, [c.row[_ID] for c in page
                          if isinstance(c, _Candidate) and c.row[_CHILDREN] and not c.row[_IS_QA]])
    for hit in hits:
        if hit.kind == "section":
            hit.outline = below.get(hit.section_id)
    return hits


def _hit(row: tuple, candidate: _Candidate, query: Query, marker: tuple[str, str]) -> Hit:
    is_qa = bool(row[5])
    text = row[11] if is_qa and row[11] is not None else row[3]
    heading = row[10] if is_qa and row[10] else (row[2] or row[7])
    forms, readings = query.forms(), query.readings()
    # where the text's terms stand was kept at build time: no need to analyze it again
    spans = decode_spans(row[12]) if text == row[3] else None
    snippet = make_snippet(text, forms, readings, marker=marker, terms=candidate.columns[1],
                           spans=spans, phrases=query.phrases())
    if not snippet:
        # The words matched in the heading (or question) only: show it marked, then the text.
        marked_heading = make_snippet(heading, forms, readings, marker=marker, width=len(heading),
                                      phrases=query.phrases())
        start = escape(text[:100], marker) + ("…" if len(text) > 100 else "")
        snippet = f"{marked_heading} — {start}" if marked_heading else start
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
