"""Symptom-to-cause facts: what may cause a symptom, what helps, which department, when to hurry.

Clinic articles say it in two ways, and both are read:

- **Structure.** The title names the symptom (背中が熱いのは…); a heading announces a role
  (kb/analysis/roles.py: 考えられる3つの病気, セルフケア, 何科, すぐに救急車を呼ぶべき…) and the headings or
  list items under it name one cause, remedy, department or warning sign each.
- **Sentences.** Cue patterns over SudachiPy morphemes (kb/facts/cause_patterns.py). This module
  decides which symptom a match is about (or whether it is a cause of one of its causes),
  leaves out negated statements (ではない, 無関係) and questions, and marks a cause suggested
  when the sentence hedges (可能性, 考えられる).

Every fact keeps its source (section, the sentence or heading, the character span), how it was
found (method, pattern) and a confidence. Facts an editor lists in the front matter are added as
written (``curated``); ``exclude:`` there drops extracted ones.
"""

from __future__ import annotations

from ..analysis import MorphemeSource, has_japanese, phrase_key
from ..model import Article, Fact
from .article_symptoms import article_symptoms
from .cause_kinds import cause_kind
from .evidence import CONFIDENCE
from .sentences import PendingCause, chained_causes, sentence_facts, symptom_stems
from .structure import structure_facts


def extract_facts(article: Article, sources: dict[int, MorphemeSource] | None = None,
                  heading_roles: dict[int, set[str]] | None = None) -> list[Fact]:
    """The article's facts: extracted ones (best evidence per fact) and curated ones.

    ``sources`` (section position -> its text as the index already cut it) and ``heading_roles``
    (section position -> the roles its heading announces) spare analysing again what the build
    has analysed; without them it is done here.
    """
    symptoms = article_symptoms(article)
    extracted: list[Fact] = []
    if symptoms:
        japanese = article.lang == "ja" or has_japanese(article.title)
        extracted += structure_facts(article, symptoms[0], japanese, heading_roles)
        pending: list[PendingCause] = []
        stems = symptom_stems(symptoms)
        for section in article.sections:
            source = (sources or {}).get(section.position)
            extracted += sentence_facts(section, symptoms, japanese, pending, stems, source)
        extracted += chained_causes(pending, extracted, symptoms[0])
    facts = _best_per_fact(extracted)
    excluded = _exclusions(article)
    facts = [f for f in facts if (f.relation, f.cause_key) not in excluded
             and ("*", f.cause_key) not in excluded]
    return facts + [_curated(f) for f in article.facts]


def _best_per_fact(facts: list[Fact]) -> list[Fact]:
    """One fact per relation, symptom and cause: the most confident evidence, with a count."""
    best: dict[tuple[str, str, str], Fact] = {}
    counts: dict[tuple[str, str, str], int] = {}
    for fact in facts:
        key = (fact.relation, fact.symptom_key, fact.cause_key)
        counts[key] = counts.get(key, 0) + 1
        if key not in best or fact.confidence > best[key].confidence:
            best[key] = fact
    for key, fact in best.items():
        fact.extra["mentions"] = counts[key]
    return list(best.values())


def _exclusions(article: Article) -> set[tuple[str, str]]:
    raw = article.meta.get("exclude") or []
    out = set()
    for item in raw if isinstance(raw, list) else [raw]:
        if isinstance(item, dict):
            out.add((str(item.get("relation", "*")), phrase_key(str(item.get("cause", "")))))
        else:
            out.add(("*", phrase_key(str(item))))
    return out


def _curated(fact: Fact) -> Fact:
    fact.symptom_key = fact.symptom_key or phrase_key(fact.symptom)
    fact.cause_key = fact.cause_key or phrase_key(fact.cause)
    fact.method, fact.pattern, fact.source = "curated", "front matter", "front_matter"
    fact.confidence, fact.curated = CONFIDENCE["curated"], True
    if fact.relation == "cause" and not fact.cause_kind:
        fact.cause_kind = str(fact.extra.get("kind") or cause_kind(fact.cause))
    return fact

