"""Cause facts stated in sentences: cue patterns over SudachiPy morphemes
(kb/facts/cause_patterns.py) for Japanese, a few regular expressions for English. This module
decides which symptom a match is about (or whether it is a cause of one of its causes), leaves out
negated statements (ではない, 無関係) and questions, and marks a cause suggested when the sentence
hedges (可能性, 考えられる)."""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Sequence

from ..analysis import (
    LIGHT_WORDS, Morpheme, MorphemeSource, canonical_form, examples_before, get_analyzer,
    has_japanese, phrase_key, split_coordination,
)
from ..model import Fact, Section
from .article_symptoms import Symptom
from .cause_kinds import cause_kind
from .cause_patterns import BACK_REFERENCE, anaphoric, find_causes, may_state_a_cause
from .evidence import EN_STOP, NEGATION, QUESTION, SENTENCE, SUGGESTION, make_fact

# A sentence whose predicate is negated (関係していません, 原因ではない); かもしれません only hedges.
_NEGATED_END = re.compile(r"(?:(?<!しれ)ません|(?<!しれ)ない|ないです|ありません)(?:でした)?[。.!！]*\s*$")
# ...that says the opposite: 考慮しなければなりません (must), 否定できません (cannot be ruled
# out), 少なくありません (not rare)
_NOT_A_NEGATION = re.compile(r"(?:なければ|ねば|否定でき|少なく|珍しく|に違い|かもしれ)(?:なり)?(?:ません|ない)")


@dataclass
class PendingCause:
    """A cause of something that is not (named as) the article's symptom: kept in case that
    something is itself one of its causes (睡眠不足は自律神経の乱れの引き金: a cause of a cause)."""

    cause: str
    result: str
    section: Section
    evidence: str
    span: tuple[int, int]
    source: str
    pattern: str
    suggested: bool


def sentence_facts(section: Section, symptoms: list[Symptom], japanese: bool,
                   pending: list[PendingCause], stems: tuple[str, ...],
                   cut: MorphemeSource | None = None) -> list[Fact]:
    """Cause facts stated in the section's sentences (and its heading, read as one); causes of
    other things go to ``pending``. ``cut``: the section text as the index cut it."""
    if not japanese:
        return _sentence_facts_en(section, symptoms)
    facts: list[Fact] = []
    sources = [("heading", section.heading)] if section.heading else []
    sources.append(("text", section.text))
    topic = f"{' '.join(section.path)} {section.heading}"
    analyzer = get_analyzer().japanese

    known_terms: list[set[str]] = []

    def section_terms() -> set[str]:
        """The section text's words, once: from the index terms when the build gave them."""
        if not known_terms:
            words = cut.terms.split() if cut is not None and cut.terms else phrase_key(section.text).split()
            known_terms.append({canonical_form(t) for t in words})
        return known_terms[0]

    def morphemes_of(source: str, start: int, end: int, text: str) -> list[Morpheme]:
        if source == "text" and cut is not None:
            return cut.between(start, end)
        return analyzer.morphemes(text[start:end])

    for source, text in sources:
        previous_span = (0, 0)
        for m in SENTENCE.finditer(text):
            sentence = m.group()
            before_span, previous_span = previous_span, m.span()
            if QUESTION.search(sentence.strip()) or not may_state_a_cause(sentence, stems):
                continue  # analysing only sentences with a cue keeps the build fast
            before = text[before_span[0] : before_span[1]]
            back = bool(BACK_REFERENCE.match(sentence)) and bool(before)
            readings = _read_sentence(
                sentence, before if back else "",
                lambda: morphemes_of(source, m.start(), m.end(), text),
                lambda: morphemes_of(source, *before_span, text),
            )
            suggested = bool(SUGGESTION.search(sentence))
            for reading in readings:
                symptom = _anchor_reading(reading, topic, section_terms, symptoms)
                for cause, start, end in reading.members:
                    span = (m.start() + start, m.start() + end) if end else (0, 0)
                    if symptom is None:
                        pending.append(PendingCause(cause, reading.result, section, sentence.strip(),
                                                    span, source, reading.pattern, suggested))
                        continue
                    fact = make_fact("cause", symptom, cause, section, sentence.strip(), span, source,
                                     "weak" if reading.weak else "pattern", reading.pattern, suggested)
                    if fact is not None:
                        facts.append(fact)
    return facts


@dataclass(frozen=True)
class _Reading:
    """What one sentence says causes something, whatever article it stands in (so it is cached:
    sister sites repeat sentences)."""

    members: tuple[tuple[str, int, int], ...]  # each cause, its span in the sentence (0, 0: before)
    result: str
    pattern: str
    weak: bool
    result_named: bool  # the caused text has a noun (else the sentence's topic is asked)
    result_terms: frozenset[str]
    sentence_terms: frozenset[str]


_READINGS: OrderedDict[tuple[str, str], tuple[_Reading, ...]] = OrderedDict()
_READINGS_KEPT = 20_000


def _read_sentence(sentence: str, before: str, morphemes: Callable[[], list[Morpheme]],
                   previous_morphemes: Callable[[], list[Morpheme]]) -> tuple[_Reading, ...]:
    """The cause patterns of a sentence (``before``: the previous one, when it points back)."""
    key = (sentence, before)
    cached = _READINGS.get(key)
    if cached is not None:
        _READINGS.move_to_end(key)
        return cached
    ms = morphemes()
    previous = previous_morphemes() if before else []
    readings = []
    for item in find_causes(ms, sentence, previous, before):
        own = previous if item.previous else ms
        if not item.previous and anaphoric(item.cause, ms):
            continue
        tail = sentence[item.cause.end :] if not item.previous else sentence
        if (NEGATION.search(tail[:40]) or NEGATION.search(item.result)
                or (_NEGATED_END.search(sentence) and not _NOT_A_NEGATION.search(sentence))):
            continue
        own_text = before if item.previous else sentence
        members = split_coordination(item.cause, own_text) if item.cause.end else [item.cause]
        # 脳梗塞や脳出血などの脳の病気: the named diseases count too (not 胃や食道といった内臓)
        members += [e for e in examples_before(item.cause, own, own_text)
                    if cause_kind(e.text) == "disease"]
        named, result_terms = _result_terms(item.result, sentence, None if item.previous else ms)
        readings.append(_Reading(
            tuple((p.text, *((p.start, p.end) if not item.previous else (0, 0))) for p in members),
            item.result, item.pattern, item.weak, named, result_terms,
            frozenset(canonical_form(m.term) for m in ms if m.term),
        ))
    _READINGS[key] = result = tuple(readings)
    if len(_READINGS) > _READINGS_KEPT:
        _READINGS.popitem(last=False)
    return result


def _result_terms(result: str, sentence: str,
                  ms: Sequence[Morpheme] | None) -> tuple[bool, frozenset[str]]:
    """Whether the caused text names something (has a noun), and its words."""
    start = sentence.find(result) if result and ms is not None else -1
    if start >= 0:
        inside = [m for m in ms if start <= m.start < start + len(result)
                  and m.term and m.term not in LIGHT_WORDS]
        return (any(m.pos[0] == "名詞" for m in inside),
                frozenset(canonical_form(m.term) for m in inside))
    if not result:
        return False, frozenset()
    named = not has_japanese(result) or any(
        m.pos[0] == "名詞" and m.term and m.term not in LIGHT_WORDS
        for m in get_analyzer().japanese.morphemes(result))
    return named, frozenset(phrase_key(result).split())


@lru_cache(maxsize=4096)
def _topic_terms(topic: str) -> frozenset[str]:
    """The words of a section's headings (asked for each sentence of the section: cached)."""
    return frozenset(phrase_key(topic).split())


def _anchor_reading(reading: _Reading, topic: str, section_terms: Callable[[], set[str]],
                    symptoms: list[Symptom]) -> Symptom | None:
    """Which of the article's symptoms a sentence's cause is of (None: of something else).

    The caused text names it (by its head: 熱い for 背中が熱い), or, when the sentence does not
    say what is caused (or says it without a noun: 起こりやすい), the sentence, its section's
    headings or its section's text do.
    """
    if reading.result_named:
        candidates = [lambda: reading.result_terms]
    else:
        candidates = [lambda: reading.sentence_terms, lambda: _topic_terms(topic), section_terms]
    for terms_of in candidates:
        terms = terms_of()
        for symptom in symptoms:
            if symptom.head in terms:
                return symptom
    return None


def chained_causes(pending: list[PendingCause], facts: list[Fact], symptom: Symptom) -> list[Fact]:
    """Causes of the symptom's causes: X is the 引き金 of 自律神経の乱れ, a cause of めまい."""
    known = [frozenset(f.cause_key.split()) for f in facts if f.relation == "cause"]
    out = []
    for item in pending:
        result = frozenset(phrase_key(item.result).split())
        if not result:
            continue
        # the caused thing is a known cause, or holds one (体にストレスを与え: ストレス)
        via = next((k for k in known if k and (k <= result or (
            result <= k and len(k & result) / len(k | result) >= 0.5))), None)
        if via is None:
            continue
        fact = make_fact("cause", symptom, item.cause, item.section, item.evidence, item.span,
                         item.source, "weak", f"{item.pattern} (a cause of a cause)", item.suggested)
        if fact is not None:
            out.append(fact)
    return out


def symptom_stems(symptoms: list[Symptom]) -> tuple[str, ...]:
    """Short pieces of the symptoms as written (背中, 熱 for 背中が熱い): a sentence with none of
    them is not worth reading for the weak XでY."""
    stems = set()
    for symptom in symptoms:
        for token in get_analyzer().tokens(symptom.text):
            if token.term not in LIGHT_WORDS:
                stems.add(token.surface[:2] if len(token.surface) > 2 else token.surface[:1])
    return tuple(sorted(stems))


# --- English sentences -----------------------------------------------------------------------

_EN_PATTERNS = (
    (re.compile(r"(?P<result>[\w\s'-]{3,60}?)\s+(?:is|are|can be|may be)\s+caused by\s+(?P<cause>[\w\s'-]{3,60})", re.I), "Y is caused by X"),
    (re.compile(r"(?P<cause>[\w\s'-]{3,60}?)\s+(?:(?:can|may|often|also|sometimes|usually)\s+)*(?:causes?|triggers?|leads? to)(?!\s+of\b)\s+(?P<result>[\w\s,'-]{3,80})", re.I), "X causes Y"),
    (re.compile(r"(?P<result>[\w\s'-]{3,60}?)\s+(?:comes?|stems?|results?)\s+from\s+(?P<cause>[\w\s,'-]{3,80})", re.I), "Y comes from X"),
    (re.compile(r"(?P<result>[\w\s'-]{3,60}?)\s+(?:due to|because of)\s+(?P<cause>[\w\s'-]{3,60})", re.I), "Y due to X"),
)


def _sentence_facts_en(section: Section, symptoms: list[Symptom]) -> list[Fact]:
    facts: list[Fact] = []
    topic = f"{' '.join(section.path)} {section.heading}"

    def section_terms() -> set[str]:
        return set(phrase_key(section.text).split())

    for m in SENTENCE.finditer(section.text):
        sentence = m.group()
        if QUESTION.search(sentence.strip()) or NEGATION.search(sentence):
            continue
        for pattern, name in _EN_PATTERNS:
            for found in pattern.finditer(sentence):
                result = found.group("result")
                reading = _Reading((), result, name, False, bool(result.strip()),
                                   frozenset(phrase_key(result).split()),
                                   frozenset(phrase_key(sentence).split()))
                symptom = _anchor_reading(reading, topic, section_terms, symptoms)
                if symptom is None:
                    continue
                listed = found.group("cause").strip()
                listed = re.split(r"\s+(?:which|that|when|because|in|on|at|to|rather than)\s+", listed)[0]
                for cause in re.split(r",\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+", listed):
                    cause = EN_STOP.sub("", cause.strip())
                    if not cause:
                        continue
                    start = m.start() + found.start("cause") + max(listed.find(cause), 0)
                    fact = make_fact("cause", symptom, cause, section, sentence.strip(),
                                     (start, start + len(cause)), "text", "pattern", name,
                                     bool(SUGGESTION.search(sentence)))
                    if fact is not None:
                        facts.append(fact)
    return facts
