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

import re
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterator, Sequence

from ..analysis import Morpheme, MorphemeSource, get_analyzer
from .cause_kinds import cause_kind
from .cause_patterns import BACK_REFERENCE, anaphoric, find_causes, may_state_a_cause
from ..analysis import has_japanese
from ..model import Article, Fact, Section
from ..rules import data_file
from ..analysis import (
    LIGHT_WORDS, Phrase, canonical_form, examples_before, noun_phrase_after, noun_phrase_before,
    phrase_key, split_coordination,
)
from ..analysis import load_role_cues

# How sure each way of finding a fact is (a suggested cause counts a little less).
CONFIDENCE = {"structure": 0.9, "pattern": 0.85, "weak": 0.5, "curated": 1.0}
SUGGESTED = 0.9

_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]*")
_SUGGESTION = re.compile(r"可能性|考えられ|かもしれ|恐れ|おそれ|疑い|ことがあ|こともあ|場合があ|"
                         r"\b(?:may|might|can|could|possibl[ey])\b", re.I)
_NEGATION = re.compile(r"ではな|ではあり?ません|じゃな|無関係|関係(?:が|は)?な|関係(?:が|は)?ありません|"
                       r"とは限ら|わけではな|\bnot\b|n't\b", re.I)
# A sentence whose predicate is negated (関係していません, 原因ではない); かもしれません only hedges.
_NEGATED_END = re.compile(r"(?:(?<!しれ)ません|(?<!しれ)ない|ないです|ありません)(?:でした)?[。.!！]*\s*$")
# ...that says the opposite: 考慮しなければなりません (must), 否定できません (cannot be ruled
# out), 少なくありません (not rare)
_NOT_A_NEGATION = re.compile(r"(?:なければ|ねば|否定でき|少なく|珍しく|に違い|かもしれ)(?:なり)?(?:ません|ない)")
_QUESTION = re.compile(r"(?:か|の)?[?？]\s*$|ですか。?$|でしょうか。?$")
_NUMBERING = re.compile(r"^\s*(?:[0-9０-９]+[.．、)）]|[①-⑳]|Q[0-9０-９]*[.．:：]?)\s*")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+・]|[0-9]+[.)])\s+(.+)$")
# めまいの*種類*と原因: what a title says it covers about the symptom, not the symptom
_ASPECTS = frozenset("種類 原因 症状 特徴 対処 対処法 対策 治し方 治療 見分け方 正体 理由 仕組み 予防".split())
# A department: a run of kanji ending in 科 that no other kanji follows (内科, 脳神経内科; not 科学)
_DEPARTMENT = re.compile(r"[\u4e00-\u9fff々]+科(?![\u4e00-\u9fff々])")
_GENERIC_DEPARTMENTS = frozenset("診療科 何科 科 専門科 各科 該当科".split())
# A cause made only of these says nothing (特定の病気, 何らかの疾患).
_VAGUE = frozenset("病気 疾患 特定 何らか 様々 色々 他 原因 要因 不調 症状 問題 異常 影響 一つ 1 つ "
                   "体 身体 部分 部位 場合 こと 事 もの 物 記事 今回".split())


# --- the article's symptom ------------------------------------------------------------------


@dataclass(frozen=True)
class Symptom:
    """A symptom an article is about: as written, its key, and its head (the sensation)."""

    text: str
    key: str
    head: str


def make_symptom(text: str) -> Symptom | None:
    """A symptom from a phrase; None when it has no content word."""
    text = text.strip(" 　、。・:：")
    key = phrase_key(text)
    if not key:
        return None
    terms = [canonical_form(t.term) for t in get_analyzer().tokens(text)
             if t.term not in LIGHT_WORDS and t.surface not in LIGHT_WORDS]
    return Symptom(text, key, terms[-1] if terms else key.split()[-1])


def article_symptoms(article: Article) -> list[Symptom]:
    """The symptoms an article is about: ``symptom:`` in the front matter, else from its title."""
    given = article.meta.get("symptom") or article.meta.get("symptoms")
    if given:
        names = given if isinstance(given, list) else [given]
        found = [make_symptom(str(n)) for n in names]
    elif has_japanese(article.title):
        found = [make_symptom(s) for s in _title_symptoms_ja(article.title)]
    else:
        found = [make_symptom(s) for s in _title_symptoms_en(article.title)]
    unique: dict[str, Symptom] = {}
    for symptom in found:
        if symptom and symptom.key not in unique:
            unique[symptom.key] = symptom
    return list(unique.values())


def _title_symptoms_ja(title: str) -> list[str]:
    """The symptom phrases of a Japanese title: what each part says before は, の原因, 原因…

    背中が熱いのは自律神経の乱れ? -> 背中が熱い; 手足のしびれの原因は? -> 手足のしびれ;
    首の後ろが熱くなる原因|… -> 首の後ろが熱くなる.
    """
    cues = load_role_cues()
    out = []
    for part in re.split(r"[?？|｜!！。]", title):
        ms = get_analyzer().japanese.morphemes(part)
        end = len(ms)
        for i, m in enumerate(ms):
            cue = cues.roles([m.term]) if m.term else set()
            aspect = m.surface == "の" and i + 1 < len(ms) and ms[i + 1].normalized_form in _ASPECTS
            if m.surface in ("は", "、", "・", "と") or cue or aspect or m.pos[0] == "補助記号":
                end = i
                break
        while end > 0 and ms[end - 1].surface in ("の", "が", "主な", "を", "に"):
            end -= 1
        if end == 0 or any(cues.roles([m.term]) for m in ms[:end] if m.term):
            continue
        if ms[0].pos[0] not in ("名詞", "接頭辞", "代名詞") or ms[0].term in ("何",):
            continue
        out.append(part[ms[0].start : ms[end - 1].end])
    return out


def _title_symptoms_en(title: str) -> list[str]:
    """Why your upper back feels hot: causes… -> upper back feels hot."""
    head = re.split(r"[:?|–—-]", title, maxsplit=1)[0]
    head = re.sub(r"^\s*(?:why|what causes|what is|how to|when)\s+(?:does\s+|do\s+|is\s+)?"
                  r"(?:your|my|the|a)?\s*", "", head, flags=re.I)
    return [head.strip()] if head.strip() else []


# --- extraction ------------------------------------------------------------------------------


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
        extracted += _structure_facts(article, symptoms[0], japanese, heading_roles)
        pending: list[_Pending] = []
        stems = _symptom_stems(symptoms)
        for section in article.sections:
            source = (sources or {}).get(section.position)
            extracted += _sentence_facts(section, symptoms, japanese, pending, stems, source)
        extracted += _chained(pending, extracted, symptoms[0])
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


def _fact(relation: str, symptom: Symptom, cause: str, section: Section, evidence: str,
          span: tuple[int, int], source: str, method: str, pattern: str,
          suggested: bool = False) -> Fact | None:
    cause = cause.strip(" 　、。・:：「」『』\"'")
    key = phrase_key(cause)
    if not key or key == symptom.key:
        return None
    if relation == "cause" and (all(t in _VAGUE for t in key.split())
                                or set(key.split()) <= set(symptom.key.split())
                                or (symptom.head in key.split() and cause_kind(cause) != "disease")
                                or cause.endswith("科")):
        # 特定の病気 names nothing; 手足 in 手足がしびれる原因 is the symptom's own; 身体の熱感
        # is the symptom itself; a department is where to go
        return None
    confidence = CONFIDENCE[method] * (SUGGESTED if suggested else 1.0)
    return Fact(
        symptom=symptom.text, cause=cause, relation=relation, section_position=section.position,
        evidence=evidence, symptom_key=symptom.key, cause_key=key,
        cause_kind=cause_kind(cause) if relation == "cause" else "",
        certainty=("suggested" if suggested else "stated") if relation == "cause" else "",
        span=span, source=source, method="pattern" if method == "weak" else method,
        pattern=pattern, confidence=round(confidence, 3),
    )


# --- from structure --------------------------------------------------------------------------


def _structure_facts(article: Article, symptom: Symptom, japanese: bool,
                     heading_roles: dict[int, set[str]] | None = None) -> list[Fact]:
    """Facts named by headings under a role heading, and by the list items of role sections."""
    cues = load_role_cues()
    roles_of: dict[int, set[str]] = {}
    parents: list[tuple[int, Section]] = []  # (level, section) of the open headings
    facts: list[Fact] = []
    for section in article.sections:
        while parents and parents[-1][0] >= section.level:
            parents.pop()
        parent = parents[-1][1] if parents else None
        if heading_roles is not None and section.position in heading_roles:
            own = set(heading_roles[section.position])  # the build found them already
        else:
            own = cues.roles([t.term for t in get_analyzer().tokens(section.heading)]) if section.heading else set()
        if "warning" in own:
            own = {"warning"}  # すぐに病院を受診すべきサイン: a warning that names where to go
        roles_of[section.position] = own
        inherited = roles_of.get(parent.position, set()) if parent else set()
        heading = _NUMBERING.sub("", section.heading).strip()
        # a sub-heading names a cause / remedy / warning sign when the heading above it has
        # that one role and the sub-heading announces no other (専門家への相談: not a remedy)
        if (section.level and len(inherited) == 1
                and not (own - inherited) & {"self_care", "department"}
                and not _QUESTION.search(section.heading)):
            for role in sorted(inherited - {"department"}):
                facts += _named_by_heading(role, heading, section, symptom, japanese)
        for role in sorted(own | inherited):
            if role == "department":
                facts += _departments(section, symptom, japanese)
            elif role in own and role not in inherited and role in ("self_care", "warning"):
                # the list of a section that announces the role names one each; a list under a
                # remedy's own heading is that remedy's steps
                facts += _list_items(role, section, symptom)
        if section.level:
            parents.append((section.level, section))
    return [f for f in facts if f is not None]


def _named_by_heading(role: str, heading: str, section: Section, symptom: Symptom,
                      japanese: bool) -> list[Fact | None]:
    """A sub-heading under a cause / self-care / warning heading names one of them."""
    span = (0, len(section.heading))
    if role != "cause":
        return [_fact(role, symptom, heading, section, section.heading, span, "heading",
                      "structure", f"heading under a {role} heading")]
    if not japanese:
        members = [_EN_STOP.sub("", m) for m in re.split(r"\s+and\s+|,\s*", heading)]
        return [_fact("cause", symptom, m, section, section.heading, span, "heading", "structure",
                      "heading under a cause heading") for m in members if m]
    if _NEGATION.search(heading):
        return []  # 体温上昇とは無関係: says what it is not
    ms = get_analyzer().japanese.morphemes(heading)
    found = find_causes(ms, heading)
    phrases = [f.cause for f in found] if found else []
    for item in found:
        # 悪い姿勢による*血行不良*, ストレスの蓄積で*交感神経*が過剰に働いている: under a cause
        # heading what X leads to is a cause of the symptom too
        result_ms = get_analyzer().japanese.morphemes(item.result) if item.result else []
        result = noun_phrase_after(result_ms, 0, item.result) if result_ms else None
        after = result_ms[len(result.morphemes)] if result and len(result_ms) > len(result.morphemes) else None
        if result is not None and not (after is not None and after.pos[0] == "動詞"):  # 誘発される
            start = heading.find(result.text)
            phrases.append(Phrase(result.text, start, start + len(result.text), result.morphemes))
    if not phrases:
        phrase = noun_phrase_before(ms, _head_end(ms), heading)
        phrases = split_coordination(phrase, heading) if phrase else []
    suggested = bool(_SUGGESTION.search(heading))
    return [_fact("cause", symptom, p.text, section, section.heading, (p.start, p.end), "heading",
                  "structure", "heading under a cause heading", suggested) for p in phrases]


def _head_end(ms: Sequence[Morpheme]) -> int:
    """Where a heading's leading noun phrase ends: before の可能性 / が… / で… and the like."""
    for i, m in enumerate(ms):
        following = ms[i + 1] if i + 1 < len(ms) else None
        if m.surface in ("や", "と", "、", "・") and following is not None and following.pos[0] in (
            "名詞", "接頭辞", "形状詞"
        ):
            continue  # 気温や気圧の急激な変化: one phrase of two causes
        if m.surface == "な" and i > 0 and ms[i - 1].pos[0] in ("形状詞", "名詞"):
            continue  # 急激な変化
        if m.pos[0] in ("助詞", "動詞", "助動詞") and m.surface != "の":
            return i
        if m.surface == "の" and i + 1 < len(ms) and ms[i + 1].normalized_form in (
            "可能性", "疑い", "恐れ", "影響", "症状", "サイン"
        ):
            return i
    return len(ms)


def _list_items(role: str, section: Section, symptom: Symptom) -> list[Fact | None]:
    facts = []
    for item in _items(section):
        text = item.split(":", 1)[0] if role == "cause" else item
        start = section.text.find(item)
        span = (start, start + len(item)) if start >= 0 else (0, 0)
        facts.append(_fact(role, symptom, _first_clause(text, role), section, item, span, "text",
                           "structure", f"list item of a {role} section"))
    return facts


def _first_clause(text: str, role: str) -> str:
    """A list item as a fact: a warning sign or remedy whole, up to its first full stop."""
    text = re.split(r"[。.](?:\s|$)", text, maxsplit=1)[0]
    return text.strip()


def _items(section: Section) -> list[str]:
    return [m.group(1).strip() for m in map(_LIST_ITEM.match, section.markdown.splitlines()) if m]


def _departments(section: Section, symptom: Symptom, japanese: bool) -> list[Fact | None]:
    """Department names in a which-department section: words ending in 科, or the specialties
    of kb/data/departments.txt for English."""
    facts: list[Fact | None] = []
    if japanese:
        for source, text in (("heading", section.heading), ("text", section.text)):
            for m in _DEPARTMENT.finditer(text):
                name = m.group()
                if name in _GENERIC_DEPARTMENTS or name.startswith(("何", "各", "専門", "該当")):
                    continue
                evidence, span = _sentence_around(text, m.start(), m.end())
                facts.append(_fact("department", symptom, name, section, evidence, span, source,
                                   "structure", "department named in a department section"))
        return facts
    for name, start, end in _english_departments(section.text):
        evidence, span = _sentence_around(section.text, start, end)
        facts.append(_fact("department", symptom, name, section, evidence, span, "text",
                           "structure", "department named in a department section"))
    return facts


def _english_departments(text: str) -> Iterator[tuple[str, int, int]]:
    names = _department_names()
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
                         + r")\b", re.I)
    for m in pattern.finditer(text):
        yield m.group(1), m.start(1), m.end(1)


def _department_names() -> list[str]:
    path = data_file("departments.txt")
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _sentence_around(text: str, start: int, end: int) -> tuple[str, tuple[int, int]]:
    """The sentence (or list item) holding text[start:end], and the span within it."""
    for m in _SENTENCE.finditer(text):
        if m.start() <= start < m.end():
            return m.group().strip(), (start - m.start(), end - m.start())
    return text[start:end], (0, end - start)


# --- from sentences --------------------------------------------------------------------------


@dataclass
class _Pending:
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


def _sentence_facts(section: Section, symptoms: list[Symptom], japanese: bool,
                    pending: list[_Pending], stems: tuple[str, ...],
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
        for m in _SENTENCE.finditer(text):
            sentence = m.group()
            before_span, previous_span = previous_span, m.span()
            if _QUESTION.search(sentence.strip()) or not may_state_a_cause(sentence, stems):
                continue  # analysing only sentences with a cue keeps the build fast
            before = text[before_span[0] : before_span[1]]
            back = bool(BACK_REFERENCE.match(sentence)) and bool(before)
            readings = _read_sentence(
                sentence, before if back else "",
                lambda: morphemes_of(source, m.start(), m.end(), text),
                lambda: morphemes_of(source, *before_span, text),
            )
            suggested = bool(_SUGGESTION.search(sentence))
            for reading in readings:
                symptom = _anchor_reading(reading, topic, section_terms, symptoms)
                for cause, start, end in reading.members:
                    span = (m.start() + start, m.start() + end) if end else (0, 0)
                    if symptom is None:
                        pending.append(_Pending(cause, reading.result, section, sentence.strip(),
                                                span, source, reading.pattern, suggested))
                        continue
                    fact = _fact("cause", symptom, cause, section, sentence.strip(), span, source,
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
        if (_NEGATION.search(tail[:40]) or _NEGATION.search(item.result)
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


def _chained(pending: list[_Pending], facts: list[Fact], symptom: Symptom) -> list[Fact]:
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
        fact = _fact("cause", symptom, item.cause, item.section, item.evidence, item.span,
                     item.source, "weak", f"{item.pattern} (a cause of a cause)", item.suggested)
        if fact is not None:
            out.append(fact)
    return out


def _symptom_stems(symptoms: list[Symptom]) -> tuple[str, ...]:
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
_EN_STOP = re.compile(r"^(?:the|a|an|your|my|this|that|these|those|it|which|what|and|or)\s+", re.I)


def _sentence_facts_en(section: Section, symptoms: list[Symptom]) -> list[Fact]:
    facts: list[Fact] = []
    topic = f"{' '.join(section.path)} {section.heading}"

    def section_terms() -> set[str]:
        return set(phrase_key(section.text).split())

    for m in _SENTENCE.finditer(section.text):
        sentence = m.group()
        if _QUESTION.search(sentence.strip()) or _NEGATION.search(sentence):
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
                    cause = _EN_STOP.sub("", cause.strip())
                    if not cause:
                        continue
                    start = m.start() + found.start("cause") + max(listed.find(cause), 0)
                    fact = _fact("cause", symptom, cause, section, sentence.strip(),
                                 (start, start + len(cause)), "text", "pattern", name,
                                 bool(_SUGGESTION.search(sentence)))
                    if fact is not None:
                        facts.append(fact)
    return facts
