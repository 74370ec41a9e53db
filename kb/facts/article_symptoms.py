"""The symptoms an article is about: ``symptom:`` in its front matter, else what its title names
(背中が熱いのは自律神経の乱れ? -> 背中が熱い), each with its key and its head (the sensation)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..analysis import LIGHT_WORDS, canonical_form, get_analyzer, has_japanese, load_role_cues, phrase_key
from ..model import Article

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


# めまいの*種類*と原因: what a title says it covers about the symptom, not the symptom
_ASPECTS = frozenset("種類 原因 症状 特徴 対処 対処法 対策 治し方 治療 見分け方 正体 理由 仕組み 予防".split())


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
