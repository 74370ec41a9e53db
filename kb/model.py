"""The knowledge base's units: an article, its sections, Q&A pairs and facts.

These are plain data: parsing fills them, analysis and storing read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

# What a fact says of its symptom (the export schema's enum, checked by a test, lists the same).
RELATIONS = ("cause", "self_care", "department", "warning")
# The order listings show them in: what to do urgently first, then why, then what helps.
RELATION_ORDER = ("warning", "cause", "department", "self_care")


@dataclass(frozen=True)
class RelationWords:
    """What kb calls one relation where it shows facts (by language: "ja", "en")."""

    label: Mapping[str, str]  # a fact's relation in a word: 原因, Cause
    heading: Mapping[str, str]  # over a symptom's facts of the relation (web pages)
    search_label_ja: str  # in a fact found by search, in a Japanese article
    command_title: str  # over a symptom's facts of the relation in `kb facts`


RELATION_WORDS: dict[str, RelationWords] = {
    "cause": RelationWords({"ja": "原因", "en": "Cause"}, {"ja": "考えられる原因", "en": "Possible causes"},
                           "原因", "Possible causes (考えられる原因)"),
    "self_care": RelationWords({"ja": "セルフケア", "en": "Self-care"},
                               {"ja": "自分でできる対処法", "en": "What you can do yourself"},
                               "セルフケア", "Self-care (セルフケア)"),
    "department": RelationWords({"ja": "診療科", "en": "Department"},
                                {"ja": "受診する診療科の目安", "en": "Which department to see"},
                                "受診先", "Which department (受診先)"),
    "warning": RelationWords({"ja": "危険なサイン", "en": "Warning sign"},
                             {"ja": "すぐに医療機関を受診すべきサイン", "en": "Warning signs: see a doctor now"},
                             "危険なサイン", "Warning signs: see a doctor now (危険なサイン)"),
}


@dataclass
class Section:
    """One unit of an article: the introduction (level 0, no heading) or a heading with its text.

    ``path`` holds the headings above this one, outermost first; ``markdown`` the section's own
    source lines and ``text`` the same as plain text (what search shows and snippets are cut from).
    """

    position: int
    level: int
    heading: str
    path: list[str]
    text: str
    markdown: str
    line: int
    anchor: str = ""


@dataclass
class QA:
    """A question heading and the text of its section as the answer."""

    section_position: int
    question: str
    answer: str
    label: str = ""


@dataclass
class Fact:
    """A symptom-to-cause (or self-care, department, warning) statement with its source.

    ``cause`` holds the cause, remedy, department or warning sign, by ``relation``. The keys are
    the phrases' analyzed content words (kb/analysis/phrases.py), so differently worded facts meet.
    ``span`` is where the cause stands in ``evidence``'s source: the section's heading or text.
    """

    symptom: str
    cause: str
    relation: str
    section_position: int | None = None
    evidence: str = ""
    curated: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    symptom_key: str = ""
    cause_key: str = ""
    cause_kind: str = ""  # disease, lifestyle, mechanism, condition (relation cause only)
    certainty: str = ""  # stated or suggested (relation cause only)
    span: tuple[int, int] = (0, 0)
    source: str = ""  # heading, text, front_matter
    method: str = ""  # structure, pattern, curated
    pattern: str = ""
    confidence: float = 0.0


@dataclass
class Article:
    """A parsed article file: its metadata (front matter), sections and Q&A pairs."""

    id: str
    path: str
    title: str
    lang: str
    meta: dict[str, Any]
    sections: list[Section]
    qa: list[QA]
    facts: list[Fact]
    content_hash: str

    @property
    def site(self) -> str | None:
        return self.meta.get("site")
