"""Relevance judgments and ranking metrics for the search-quality benchmark and its test.

A judged query lists the sections that answer it, each named by ``(article id, heading)`` with a
grade: 3 the best answer, 2 clearly relevant, 1 partly relevant; every other section is 0.

- nDCG@k uses the exponential gain ``2**grade - 1`` discounted by ``log2(rank + 1)``, divided by the
  DCG of the ideal ordering of all judged sections (so a system that leaves out a relevant section
  is penalised even when it ranks the rest well).
- The reciprocal rank is ``1 / rank`` of the first hit with grade >= 2 (0 when there is none).

A ranking is a list of ``(article id, heading)`` keys, best first; a key that repeats counts once,
at its first rank. A query judged over some articles only (a part of the development set) has a
``pool``: hits from other articles are dropped before scoring (the condensed list of Sakai 2007),
so indexing more articles never punishes a system for hits nobody judged.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_QUERIES = ROOT / "tests" / "search_queries.yml"
DEVSET = ROOT / "bench" / "data" / "devset"
GRADES = (1, 2, 3)
KINDS = (
    "inflection", "verb-noun", "script-variant", "kana-reading", "compound-part", "short-word",
    "width", "synonym", "natural-sentence", "english", "department", "warning", "phrase-syntax",
    "exclusion", "or",
)
Key = tuple[str, str]  # (article id, section heading; "" for the introduction)
# the two parts of the development set name one kind two ways (part a: type, part b: tags)
KIND_ALIASES = {"natural": "sentence"}


@dataclass
class JudgedQuery:
    """A query, the tag of what it tests, and the grade of each relevant section; ``kinds``: every
    tag (a query may test several things), ``pool``: the articles it was judged over (None: all)."""

    query: str
    kind: str
    grades: dict[Key, int] = field(default_factory=dict)
    kinds: tuple[str, ...] = ()
    pool: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if not self.kinds:
            self.kinds = (self.kind,)


@dataclass(frozen=True)
class IndexedArticle:
    """What resolving the development set's judgments needs to know of an indexed article."""

    id: str
    title: str
    lang: str
    headings: tuple[str, ...]


def load_devset_queries(path: str | Path, articles: Sequence[IndexedArticle]) -> list[JudgedQuery]:
    """Read a development-set query file (``a-queries.yml``: ``q``, ``type`` or ``tags``, ``rel`` naming a unit
    by substrings of its article's title and of its heading) against the indexed articles of that
    part. Each query's pool is the part's articles in the language of its judged units (the
    set's header: Japanese queries are not judged against the English article, nor the other way
    round). Raises ValueError when a substring names no unit or more than one."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    queries = []
    for n, entry in enumerate(data["queries"], 1):
        where = f"{path}: query {n} ({entry.get('q')!r})"
        grades: dict[Key, int] = {}
        langs = set()
        for judged in entry.get("rel") or []:
            article = _one(where, "article title", judged["article"],
                           [a for a in articles if judged["article"] in a.title])
            heading = _one(where, f"heading of {article.id}", judged["unit"],
                           [h for h in article.headings if judged["unit"] in h])
            grades[(article.id, heading)] = max(grades.get((article.id, heading), 0), judged["grade"])
            langs.add(article.lang)
        if not grades:
            raise ValueError(f"{where}: judges no unit relevant")
        tags = entry.get("tags") or str(entry.get("type") or "untagged").split(",")
        kinds = tuple(dict.fromkeys(KIND_ALIASES.get(k.strip(), k.strip()) for k in tags))
        pool = frozenset(a.id for a in articles if a.lang in langs)
        queries.append(JudgedQuery(str(entry["q"]), kinds[0], grades, kinds, pool))
    return queries


def _one(where: str, what: str, needle: str, found: list):
    if len(found) != 1:
        raise ValueError(f"{where}: {needle!r} names {len(found)} {what}s, not one")
    return found[0]


def condensed(ranking: Iterable[Key], pool: frozenset[str] | None) -> list[Key]:
    """The ranking without hits from articles outside ``pool`` (None: everything kept)."""
    return [key for key in ranking if pool is None or key[0] in pool]


def load_queries(path: str | Path = DEFAULT_QUERIES) -> list[JudgedQuery]:
    """Read a query set (``tests/search_queries.yml``); raises ValueError on a malformed entry."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    queries = []
    for n, entry in enumerate(data["queries"], 1):
        where = f"{path}: query {n} ({entry.get('query')!r})"
        if not entry.get("query") or entry.get("kind") not in KINDS:
            raise ValueError(f"{where}: needs a query and a kind among {', '.join(KINDS)}")
        grades: dict[Key, int] = {}
        for judged in entry.get("relevant") or []:
            key = (judged["article"], judged["heading"] or "")
            if judged["grade"] not in GRADES:
                raise ValueError(f"{where}: grade of {key} must be 1, 2 or 3")
            if key in grades:
                raise ValueError(f"{where}: {key} is judged twice")
            grades[key] = judged["grade"]
        if not grades:
            raise ValueError(f"{where}: judges no section relevant")
        queries.append(JudgedQuery(str(entry["query"]), entry["kind"], grades))
    return queries


def unique(ranking: Iterable[Key]) -> list[Key]:
    """The ranking with repeated keys dropped (a section counts once, at its best rank)."""
    return list(dict.fromkeys(ranking))


def dcg(gains: Sequence[int], k: int) -> float:
    return sum((2**g - 1) / math.log2(rank + 1) for rank, g in enumerate(gains[:k], 1))


def ndcg(ranking: Sequence[Key], grades: dict[Key, int], k: int = 10) -> float:
    """nDCG@k of a ranking against graded judgments."""
    ideal = dcg(sorted(grades.values(), reverse=True), k)
    if ideal == 0:
        return 0.0
    return dcg([grades.get(key, 0) for key in unique(ranking)], k) / ideal


def reciprocal_rank(ranking: Sequence[Key], grades: dict[Key, int], min_grade: int = 2) -> float:
    """1 / rank of the first hit with at least ``min_grade`` (0 when none)."""
    for rank, key in enumerate(unique(ranking), 1):
        if grades.get(key, 0) >= min_grade:
            return 1.0 / rank
    return 0.0


@dataclass
class QueryScore:
    query: JudgedQuery
    ranking: list[Key]
    ndcg: float
    rr: float


def score_queries(queries: Sequence[JudgedQuery], rankings: Sequence[Sequence[Key]],
                  k: int = 10) -> list[QueryScore]:
    """Score each query's ranking (same order as ``queries``)."""
    scores = []
    for q, r in zip(queries, rankings):
        kept = condensed(r, q.pool)
        scores.append(QueryScore(q, kept, ndcg(kept, q.grades, k), reciprocal_rank(kept, q.grades)))
    return scores


def mean(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def summarize(scores: Sequence[QueryScore]) -> dict:
    """Overall and per-kind means: ``{"ndcg", "mrr", "queries", "by_kind": {kind: {...}}}``."""
    by_kind: dict[str, list[QueryScore]] = defaultdict(list)  # kinds in order of first use
    for s in scores:
        for kind in s.query.kinds:
            by_kind[kind].append(s)
    return {
        "ndcg": mean(s.ndcg for s in scores),
        "mrr": mean(s.rr for s in scores),
        "queries": len(scores),
        "by_kind": {
            kind: {"ndcg": mean(s.ndcg for s in group), "mrr": mean(s.rr for s in group),
                   "queries": len(group)}
            for kind, group in (sorted(by_kind.items(), key=lambda kv: _kind_order(kv[0]))
                                if set(by_kind) <= set(KINDS) else by_kind.items())
        },
    }


def _kind_order(kind: str) -> tuple[int, str]:
    return (KINDS.index(kind), "") if kind in KINDS else (len(KINDS), kind)
