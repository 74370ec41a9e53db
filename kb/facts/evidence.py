"""A fact as extraction finds it: the cues that mark a sentence hedged, negated or a question,
how sure each way of finding a fact is, and :func:`make_fact`, which every found fact goes
through (it drops causes that name nothing or only the symptom itself)."""

from __future__ import annotations

import re

from ..analysis import phrase_key
from ..model import Fact, Section
from .article_symptoms import Symptom
from .cause_kinds import cause_kind

# How sure each way of finding a fact is (a suggested cause counts a little less).
CONFIDENCE = {"structure": 0.9, "pattern": 0.85, "weak": 0.5, "curated": 1.0}
SUGGESTED = 0.9

SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]*")
SUGGESTION = re.compile(r"可能性|考えられ|かもしれ|恐れ|おそれ|疑い|ことがあ|こともあ|場合があ|"
                        r"\b(?:may|might|can|could|possibl[ey])\b", re.I)
NEGATION = re.compile(r"ではな|ではあり?ません|じゃな|無関係|関係(?:が|は)?な|関係(?:が|は)?ありません|"
                      r"とは限ら|わけではな|\bnot\b|n't\b", re.I)
QUESTION = re.compile(r"(?:か|の)?[?？]\s*$|ですか。?$|でしょうか。?$")
# A cause made only of these says nothing (特定の病気, 何らかの疾患).
_VAGUE = frozenset("病気 疾患 特定 何らか 様々 色々 他 原因 要因 不調 症状 問題 異常 影響 一つ 1 つ "
                   "体 身体 部分 部位 場合 こと 事 もの 物 記事 今回".split())
EN_STOP = re.compile(r"^(?:the|a|an|your|my|this|that|these|those|it|which|what|and|or)\s+", re.I)


def make_fact(relation: str, symptom: Symptom, cause: str, section: Section, evidence: str,
              span: tuple[int, int], source: str, method: str, pattern: str,
              suggested: bool = False) -> Fact | None:
    """A found fact of ``symptom``, with its evidence and confidence; None when what was found
    names nothing (特定の病気), only the symptom's own words, or, for a cause, a department."""
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
