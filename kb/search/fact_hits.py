"""Facts as search hits: the facts of the symptom a query names, from the sections it found,
one hit per section (its facts listed under it, not one card each)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlite_utils

from ..analysis import TOKEN_PREFIX as ROLE_TOKEN_PREFIX
from ..analysis import canonical_form
from ..model import RELATION_WORDS
from .hits import Hit
from .query import Group, Query
from .snippets import escape

# How much of its section's score a fact gets (by its confidence too): just below the section.
FACT_SHARE = 0.9


@dataclass
class FactCandidate:
    """The facts the query found in one section, best first; scored by the best of them."""

    rows: list[tuple]  # rows of the query in fact_candidates
    score: float

    @property
    def section_id(self) -> int:
        return self.rows[0][1]


def fact_candidates(db: sqlite_utils.Database, query: Query,
                    scores: dict[int, float]) -> list[FactCandidate]:
    """Facts of the symptom the query names, from the sections the query found (``scores``:
    their scores by section id).

    A fact counts as much as its section did (a little less, by its confidence), so it stands
    just below the text it comes from and never outranks it. The relation is what the query
    asks for (何科: departments; 危ない: warnings) and causes when it asks for nothing.
    """
    if not scores:
        return []
    words = {canonical_form(a.terms[0]) for g in query.groups if not asks_for_role(g)
             for a in g.alternatives[:1] if len(a.terms) == 1}
    if not words:
        return []
    relations = query.roles or {"cause"}
    marks = ", ".join("?" * len(scores))
    rows = db.execute(
        f"""select f.id, f.section_id, f.symptom, f.cause, f.relation, f.symptom_key,
                   f.cause_key, f.confidence, f.evidence, f.cause_kind, f.certainty
            from facts f where f.section_id in ({marks})""",
        list(scores),
    ).fetchall()
    best: dict[tuple[str, str], tuple[float, tuple]] = {}  # each fact once, where it scores best
    for row in rows:
        symptom = set(row[5].split())
        if row[4] not in relations or not symptom or not (symptom <= words or words <= symptom):
            continue
        score = scores[row[1]] * FACT_SHARE * (row[7] or 0.5)
        key = (row[4], row[6])
        if key not in best or score > best[key][0]:
            best[key] = (score, row)
    return _by_section(best.values())


def _by_section(scored: Any) -> list[FactCandidate]:
    """(score, fact row) pairs as one candidate per section, best first, its facts best first."""
    sections: dict[int, FactCandidate] = {}
    for score, row in sorted(scored, key=lambda pair: -pair[0]):
        found = sections.get(row[1])
        if found is None:
            sections[row[1]] = FactCandidate([row], score)
        else:
            found.rows.append(row)
    return sorted(sections.values(), key=lambda c: -c.score)


def asks_for_role(group: Group) -> bool:
    """Whether a query word asks for a role (a cause, a department…) rather than names a thing."""
    return any(a.terms[0].startswith(ROLE_TOKEN_PREFIX) for a in group.alternatives)


def fact_hit(row: tuple, candidate: FactCandidate, marker: tuple[str, str]) -> Hit:
    """A section's facts as one hit: the section, their sentences, the facts (the first also as
    ``fact``); the snippet names the symptom once and every cause."""
    facts = [_fact_dict(fact) for fact in candidate.rows]
    first = facts[0]
    heading = row[10] if row[5] and row[10] else (row[2] or row[7])
    words = RELATION_WORDS.get(first["relation"])
    japanese = row[6] == "ja"
    label = words.search_label_ja if words and japanese else first["relation"]
    causes = ("、" if japanese else ", ").join(
        f"{marker[0]}{escape(f['cause'], marker)}{marker[1]}" for f in facts)
    snippet = (f"{escape(first['symptom'], marker)} → {causes}"
               f" ({escape(label, marker)}) — {escape(first['evidence'][:100], marker)}")
    evidence = "\n".join(dict.fromkeys(f["evidence"] for f in facts))
    return Hit(
        kind="fact", article_id=row[1], article_title=row[7], heading=heading, text=evidence,
        snippet=snippet, score=round(candidate.score, 4), url=row[8], section_id=row[0],
        anchor=row[4], lang=row[6], site=row[9],
        fact={k: v for k, v in first.items() if k != "evidence"}, facts=facts,
    )


def _fact_dict(fact: tuple) -> dict[str, Any]:
    """A fact row of fact_candidates as the hit's JSON shows it."""
    _, _, symptom, cause, relation, _, _, _, evidence, cause_kind, certainty = fact
    return {"symptom": symptom, "cause": cause, "relation": relation,
            "cause_kind": cause_kind, "certainty": certainty, "evidence": evidence}
