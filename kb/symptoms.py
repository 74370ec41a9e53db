"""Looking facts up: a symptom as a patient words it in, its causes, self-care, departments and
warnings across articles out.

A symptom is matched by its key (kb/phrases.py), so 背中の熱さ finds the facts stored under
背中が熱い. A query with fewer words than a symptom finds it too (しびれ finds 手足のしびれ), and
the symptoms that match it best come first.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import sqlite_utils

from .model import RELATIONS
from .phrases import phrase_key

# Order of the relations in listings: what to do urgently first, then why, then what helps.
RELATION_ORDER = ("warning", "cause", "department", "self_care")


@dataclass
class FactRow:
    """One stored fact with its source, in the shape of the DESIGN contract (plus extras)."""

    symptom: str
    cause: str
    relation: str
    article_id: str
    article_title: str
    heading: str
    evidence: str
    cause_kind: str | None = None
    certainty: str | None = None
    confidence: float = 0.0
    method: str = ""
    pattern: str = ""
    curated: bool = False
    section_id: int | None = None
    anchor: str | None = None
    url: str | None = None
    span: list[int] = field(default_factory=list)
    lang: str | None = None
    symptom_key: str = ""
    cause_key: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def matching_symptom_keys(db: sqlite_utils.Database, text: str) -> list[str]:
    """The stored symptom keys a text names: the same key first, then keys holding all its words
    (the fewest extra words first). Empty when the text names no known symptom."""
    wanted = set(phrase_key(text).split())
    if not wanted:
        return []
    keys = [row[0] for row in db.execute("select distinct symptom_key from facts")]
    scored = []
    for key in keys:
        words = set(key.split())
        if wanted <= words:
            scored.append((len(words - wanted), key))
    return [key for _, key in sorted(scored)]


def find_facts(
    db: sqlite_utils.Database,
    symptom: str | None = None,
    *,
    relation: str | None = None,
    article_id: str | None = None,
    lang: str | None = None,
    min_confidence: float = 0.0,
) -> list[FactRow]:
    """Facts, best first: of one symptom (any wording) or all; filtered by relation, article,
    language and confidence."""
    where, params = ["f.confidence >= ?"], [min_confidence]
    keys: list[str] | None = None
    if symptom is not None:
        keys = matching_symptom_keys(db, symptom)
        if not keys:
            return []
        where.append(f"f.symptom_key in ({', '.join('?' * len(keys))})")
        params += keys
    for column, value in (("f.relation", relation), ("f.article_id", article_id), ("f.lang", lang)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    rows = db.execute(
        f"""
        select f.symptom, f.cause, f.relation, f.article_id, a.title, coalesce(s.heading, ''),
               f.evidence, f.cause_kind, f.certainty, f.confidence, f.method, f.pattern,
               f.curated, f.section_id, s.anchor, a.url, f.span_start, f.span_end, f.lang,
               f.symptom_key, f.cause_key, f.id
        from facts f
        join articles a on a.id = f.article_id
        left join sections s on s.id = f.section_id
        where {' and '.join(where)}
        """,
        params,
    ).fetchall()
    # How many articles say each (symptom, relation, cause), counted once per group: a correlated
    # count per fact row grew with the square of a symptom's facts (seconds on a large index).
    articles = _article_counts(db, keys)
    rows.sort(key=lambda r: (-articles.get((r[19], r[2], r[20]), 0), -r[9], r[21]))
    facts = [
        FactRow(
            symptom=r[0], cause=r[1], relation=r[2], article_id=r[3], article_title=r[4],
            heading=r[5], evidence=r[6], cause_kind=r[7], certainty=r[8], confidence=r[9],
            method=r[10], pattern=r[11], curated=bool(r[12]), section_id=r[13], anchor=r[14],
            url=r[15], span=[r[16], r[17]], lang=r[18], symptom_key=r[19], cause_key=r[20],
        )
        for r in rows
    ]
    order = {relation: n for n, relation in enumerate(RELATION_ORDER)}
    facts.sort(key=lambda f: order.get(f.relation, len(RELATIONS)))  # stable: keeps the rest
    return facts


def _article_counts(db: sqlite_utils.Database,
                    keys: list[str] | None) -> dict[tuple[str, str, str], int]:
    """(symptom key, relation, cause key) -> the number of articles with that fact, for the
    given symptom keys (all when None)."""
    where, params = "", []
    if keys is not None:
        where, params = f"where symptom_key in ({', '.join('?' * len(keys))})", keys
    return {(r[0], r[1], r[2]): r[3] for r in db.execute(
        f"""select symptom_key, relation, cause_key, count(distinct article_id) from facts {where}
            group by symptom_key, relation, cause_key""", params)}


@dataclass
class SymptomSummary:
    """What kb knows of one symptom: its facts gathered by relation, each cause once."""

    symptom: str
    key: str
    articles: int
    by_relation: dict[str, list[dict[str, Any]]]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def summarize(db: sqlite_utils.Database, text: str) -> SymptomSummary | None:
    """The summary of the symptom a text names best (for a search page's panel), or None."""
    keys = matching_symptom_keys(db, text)
    if not keys:
        return None
    facts = find_facts(db, text)
    facts = [f for f in facts if f.symptom_key == keys[0]]
    if not facts:
        return None
    by_relation: dict[str, list[dict[str, Any]]] = {r: [] for r in RELATION_ORDER}
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for fact in facts:
        key = (fact.relation, fact.cause_key)
        entry = seen.get(key)
        if entry is None:
            entry = seen[key] = {
                "name": fact.cause, "kind": fact.cause_kind, "certainty": fact.certainty,
                "articles": [], "sources": [],
            }
            by_relation[fact.relation].append(entry)
        if fact.article_id not in entry["articles"]:
            entry["articles"].append(fact.article_id)
            entry["sources"].append({"article_id": fact.article_id, "title": fact.article_title,
                                     "heading": fact.heading, "anchor": fact.anchor})
    names = {}
    for fact in facts:
        names[fact.symptom] = names.get(fact.symptom, 0) + 1
    symptom = max(names, key=lambda n: (names[n], -len(n)))
    return SymptomSummary(symptom, keys[0], len({f.article_id for f in facts}), by_relation)
