"""Facts named by an article's structure: the headings and list items under a heading that
announces a role (考えられる3つの病気, セルフケア, 何科, すぐに救急車を呼ぶべき…; kb/analysis/roles.py),
and the departments a which-department section names."""

from __future__ import annotations

import re
from typing import Iterator, Sequence

from ..analysis import (
    Morpheme, Phrase, get_analyzer, load_role_cues, noun_phrase_after, noun_phrase_before,
    split_coordination,
)
from ..model import Article, Fact, Section
from ..rules import DEPARTMENTS_FILE
from .article_symptoms import Symptom
from .cause_patterns import find_causes
from .evidence import EN_STOP, NEGATION, QUESTION, SENTENCE, SUGGESTION, make_fact

_NUMBERING = re.compile(r"^\s*(?:[0-9０-９]+[.．、)）]|[①-⑳]|Q[0-9０-９]*[.．:：]?)\s*")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+・]|[0-9]+[.)])\s+(.+)$")
# A department: a run of kanji ending in 科 that no other kanji follows (内科, 脳神経内科; not 科学)
_DEPARTMENT = re.compile(r"[\u4e00-\u9fff々]+科(?![\u4e00-\u9fff々])")
_GENERIC_DEPARTMENTS = frozenset("診療科 何科 科 専門科 各科 該当科".split())


def structure_facts(article: Article, symptom: Symptom, japanese: bool,
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
                and not QUESTION.search(section.heading)):
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
        return [make_fact(role, symptom, heading, section, section.heading, span, "heading",
                          "structure", f"heading under a {role} heading")]
    if not japanese:
        members = [EN_STOP.sub("", m) for m in re.split(r"\s+and\s+|,\s*", heading)]
        return [make_fact("cause", symptom, m, section, section.heading, span, "heading", "structure",
                          "heading under a cause heading") for m in members if m]
    if NEGATION.search(heading):
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
    suggested = bool(SUGGESTION.search(heading))
    return [make_fact("cause", symptom, p.text, section, section.heading, (p.start, p.end), "heading",
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
        facts.append(make_fact(role, symptom, _first_clause(text, role), section, item, span, "text",
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
                facts.append(make_fact("department", symptom, name, section, evidence, span, source,
                                       "structure", "department named in a department section"))
        return facts
    for name, start, end in _english_departments(section.text):
        evidence, span = _sentence_around(section.text, start, end)
        facts.append(make_fact("department", symptom, name, section, evidence, span, "text",
                               "structure", "department named in a department section"))
    return facts


def _english_departments(text: str) -> Iterator[tuple[str, int, int]]:
    for m in DEPARTMENTS_FILE.load(_department_pattern).finditer(text):
        yield m.group(1), m.start(1), m.end(1)


def _department_pattern(text: str, source: str) -> re.Pattern[str]:
    """The names of a department file (one a line, # starts a comment line) as one pattern,
    longest first (a name that holds a shorter one wins over it)."""
    lines = text.splitlines()
    names = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    return re.compile(r"\b(" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
                      + r")\b", re.I)


def _sentence_around(text: str, start: int, end: int) -> tuple[str, tuple[int, int]]:
    """The sentence (or list item) holding text[start:end], and the span within it."""
    for m in SENTENCE.finditer(text):
        if m.start() <= start < m.end():
            return m.group().strip(), (start - m.start(), end - m.start())
    return text[start:end], (0, end - start)
