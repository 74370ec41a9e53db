"""Looking facts up: a symptom as a patient words it in, its causes, self-care, departments and
warnings across articles out.

A symptom is matched by its key (kb/analysis/phrases.py), so 背中の熱さ finds the facts stored under
背中が熱い. A query with fewer words than a symptom finds it too (しびれ finds 手足のしびれ), and
the symptoms that match it best come first.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import sqlite_utils

from ..model import RELATION_ORDER, RELATIONS
from ..analysis import phrase_key
from ..index.cache import IndexCache


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
    keys = stored_symptom_keys(db)
    scored = []
    for key in keys:
        words = set(key.split())
        if wanted <= words:
            scored.append((len(words - wanted), key))
    return [key for _, key in sorted(scored)]


# the symptom keys of an index change only with a build
_SYMPTOM_KEYS = IndexCache(limit=8)


def stored_symptom_keys(db: sqlite_utils.Database) -> list[str]:
    """The distinct symptom keys of the facts, read once per state of the index."""
    return _SYMPTOM_KEYS.get(db, "symptom keys", lambda: [
        row[0] for row in db.execute("select distinct symptom_key from facts")])


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
        """The summary as the search page's JSON shows it: its fields, and ``relations``, those
        with facts in listing order. The lists are the summary's own, not copies (a panel is
        kept for every request until the index changes, and a common symptom's is large):
        read them, do not change them."""
        return {"symptom": self.symptom, "key": self.key, "articles": self.articles,
                "by_relation": self.by_relation,
                "relations": [r for r in RELATION_ORDER if self.by_relation.get(r)]}


def summarize(db: sqlite_utils.Database, text: str, *,
              sources: int | None = None) -> SymptomSummary | None:
    """The summary of the symptom a text names best (for a search page's panel), or None.

    Each relation lists its causes (remedies, departments, warnings) once, those most articles
    give first, each with the articles that give it (``article_count`` of them) and where each
    says it; ``sources`` keeps only the first that many articles of each."""
    keys = matching_symptom_keys(db, text)
    return summarize_key(db, keys[0], sources=sources) if keys else None


def summarize_key(db: sqlite_utils.Database, key: str, *,
                  sources: int | None = None) -> SymptomSummary | None:
    """:func:`summarize` for a stored symptom key."""
    # One pass over plain rows, best fact first: a common symptom of a large index has thousands
    # of facts, and a FactRow (with its joins) for each took most of a search's time. The order
    # is find_facts': most articles, then the surest, then the first written.
    rows = db.execute(
        """select relation, cause_key, cause, cause_kind, certainty, confidence, id, article_id,
                  section_id, symptom
           from facts where symptom_key = ? order by confidence desc, id""", [key]).fetchall()
    if not rows:
        return None
    entries: dict[tuple[str, str], dict[str, Any]] = {}
    best: dict[tuple[str, str], tuple[float, int]] = {}
    places: list[tuple[dict[str, Any], str, int | None]] = []
    names: dict[str, int] = {}
    for relation, cause_key, cause, kind, certainty, confidence, fact_id, article_id, section_id, \
            symptom in rows:
        names[symptom] = names.get(symptom, 0) + 1
        entry = entries.get((relation, cause_key))
        if entry is None:  # its best fact: the name, kind and certainty shown
            entry = entries[(relation, cause_key)] = {
                "name": cause, "kind": kind, "certainty": certainty, "articles": [],
                "sources": [], "seen": set()}
            best[(relation, cause_key)] = (confidence, fact_id)
        if article_id not in entry["seen"]:  # an article counts once, by its best fact
            entry["seen"].add(article_id)
            if sources is None or len(entry["articles"]) < sources:
                entry["articles"].append(article_id)
                places.append((entry, article_id, section_id))
    order = {relation: n for n, relation in enumerate(RELATION_ORDER)}
    by_relation: dict[str, list[dict[str, Any]]] = {r: [] for r in RELATION_ORDER}
    for (relation, cause_key), entry in sorted(entries.items(), key=lambda item: (
            order.get(item[0][0], len(RELATIONS)), -len(item[1]["seen"]),
            -best[item[0]][0], best[item[0]][1])):
        entry["article_count"] = len(entry.pop("seen"))
        by_relation.setdefault(relation, []).append(entry)
    _add_sources(db, places)
    # the most common wording; on a tie the shorter, then the one of the best fact
    symptom = max(names, key=lambda n: (names[n], -len(n)))
    return SymptomSummary(symptom, key, len({r[7] for r in rows}), by_relation)


def _add_sources(db: sqlite_utils.Database, places: list[tuple[dict[str, Any], str, int | None]]) -> None:
    """Add each (entry, article, section) as a source of its entry: title, heading, anchor."""
    article_ids = list({p[1] for p in places})
    titles = dict(db.execute(
        f"select id, title from articles where id in ({', '.join('?' * len(article_ids))})",
        article_ids).fetchall()) if article_ids else {}
    section_ids = list({p[2] for p in places if p[2] is not None})
    sections = {r[0]: (r[1], r[2]) for r in db.execute(
        f"select id, heading, anchor from sections where id in ({', '.join('?' * len(section_ids))})",
        section_ids)} if section_ids else {}
    for entry, article_id, section_id in places:
        heading, anchor = sections.get(section_id, ("", None))
        entry["sources"].append({"article_id": article_id, "title": titles.get(article_id),
                                 "heading": heading or "", "anchor": anchor})
