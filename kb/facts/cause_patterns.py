"""Cause patterns: where a Japanese sentence says what causes what, read over Sudachi morphemes.

Matched on dictionary and normalized forms, so inflection does not matter: XがYの原因, Yの原因はX,
Yの原因としてX(、Z…), Xが原因でY, XによるY / XによってY, Xの影響でY, XがYを引き起こす / 誘発する
(and the passive), Xが関係している, Xのため(に) (never the purpose Vるために), XをきっかけにY,
XからくるY, 考えられる疾患としてはX…, そのため / これにより (the previous sentence), and XでY (weak).
:func:`find_causes` gives each match with the cause as a noun phrase and what it causes as text;
kb/facts/sentences.py decides which symptom that is, and which matches to keep.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from ..analysis import Morpheme
from .cause_kinds import cause_kind
from ..analysis import Phrase, list_after, noun_phrase_after, noun_phrase_before
from ..analysis import load_role_cues

# Words that say *when* or *for whom*, not *why*: 人によって, 場合によって.
NOT_CAUSES = frozenset("人 場合 時 個人 個人差 年齢 状況 季節 日 程度 部位 種類 方法 目的 検査 治療 "
                        "自宅 家 病院 医療機関 今回 今日 今 最近 中 間 前 後 一方 他 全身 体 身体 説明".split())


_CAUSE_NOUNS = frozenset("原因 要因 一因 引き金 理由".split())


DEMONSTRATIVES = frozenset("その この あの これ それ あれ これら それら こうした そうした こういう そういう 同様 同じ".split())


_CAUSE_CUES = re.compile(r"原因|要因|一因|理由|引き金|きっかけ|から(?:く|来)る|によ[るりっ]|の影響|引き起こ|誘発|招|"
                         r"もたら|関係し|関与|のため|の為|考えられる(?:疾患|病気)|これによ|その結果")


BACK_REFERENCE = re.compile(r"^\s*(?:[そこ]の(?:ため|為)|これ(?:に(?:より|よって))|その結果)")


def may_state_a_cause(sentence: str, stems: tuple[str, ...]) -> bool:
    if _CAUSE_CUES.search(sentence):
        return True
    return "で" in sentence and any(stem in sentence for stem in stems)


@dataclass
class Found:
    cause: Phrase
    result: str  # the text said to be caused ("" when the sentence does not say)
    pattern: str
    weak: bool = False
    previous: bool = False  # the cause stands in the previous sentence (そのため, これにより)


def anaphoric(phrase: Phrase, ms: Sequence[Morpheme]) -> bool:
    """その乱れ, この変化: the phrase points back at something said before; it names nothing."""
    first = phrase.morphemes[0]
    index = next((i for i, m in enumerate(ms) if m.start == first.start), 0)
    return index > 0 and ms[index - 1].surface in DEMONSTRATIVES


def _event_of(ms: Sequence[Morpheme], text: str) -> Phrase | None:
    """What a sentence says happened, as a noun phrase: its first subject, with the verbal noun
    that follows it (血管が拡張し -> 血管の拡張; エストロゲンの減少は… -> エストロゲンの減少)."""
    for i, m in enumerate(ms):
        if m.surface in ("が", "は") and m.pos[0] == "助詞":
            subject = noun_phrase_before(ms, i, text)
            if subject is None:
                continue
            j = i + 1
            while j < len(ms) and ms[j].surface == "、":
                j += 1
            if (j + 1 < len(ms) and ms[j].pos[0] == "名詞" and "サ変可能" in ms[j].pos[2]
                    and ms[j + 1].normalized_form == "為る"):
                return Phrase(f"{subject.text}の{ms[j].surface}", 0, 0, subject.morphemes + (ms[j],))
            return subject
    return None


def _subject_before(ms: Sequence[Morpheme], end: int, text: str) -> Phrase | None:
    """The noun phrase marked as subject (が, は, も) closest before morpheme ``end``."""
    for i in range(end - 1, -1, -1):
        if ms[i].surface in ("が", "は", "も") and ms[i].pos[0] == "助詞":
            phrase = noun_phrase_before(ms, i, text)
            if phrase is not None:
                return phrase
    return None


def _text_between(ms: Sequence[Morpheme], start: int, end: int, text: str) -> str:
    if start >= end or start >= len(ms):
        return ""
    return text[ms[start].start : ms[min(end, len(ms)) - 1].end]


def find_causes(ms: Sequence[Morpheme], text: str, previous: Sequence[Morpheme] = (),
                     previous_text: str = "") -> list[Found]:
    """Every cause pattern that matches a sentence."""
    found: list[Found] = []
    for k, m in enumerate(ms):
        form = m.normalized_form
        nxt = ms[k + 1].surface if k + 1 < len(ms) else ""
        if form in _CAUSE_NOUNS and m.pos[0] == "名詞":
            found += _cause_noun(ms, k, text, nxt)
        elif (form in ("疾患", "病気", "病") and nxt == "と" and k + 2 < len(ms)
              and ms[k + 2].normalized_form == "為る"
              and any(x.dictionary_form == "考える" for x in ms[max(0, k - 3) : k])):
            # 考えられる疾患としては、X や Y…
            found += [Found(c, "", "考えられる疾患としてX") for c in list_after(ms, _after_toshite(ms, k), text)]
        elif form in ("切っ掛け", "きっかけ") and k > 0 and ms[k - 1].surface in ("を", "が"):
            cause = noun_phrase_before(ms, k - 1, text)
            if cause:
                found.append(Found(cause, _text_between(ms, k + 1, len(ms), text), "XをきっかけにY"))
        elif m.dictionary_form in ("来る", "くる") and k > 0 and ms[k - 1].surface == "から":
            cause = noun_phrase_before(ms, k - 1, text)
            if cause and not _is_time(cause):
                found.append(Found(cause, "", "XからくるY"))
        elif (m.dictionary_form in ("よる", "因る") and k == 2 and ms[0].surface == "これ"
              and ms[1].surface == "に" and previous):
            cause = _event_of(previous, previous_text)  # これにより
            if cause:
                found.append(Found(cause, _text_between(ms, k + 1, len(ms), text), "これによりY",
                                    weak=True, previous=True))
        elif m.dictionary_form in ("よる", "因る") and k > 0 and ms[k - 1].surface == "に":
            cause = noun_phrase_before(ms, k - 1, text)
            if cause and cause.text not in NOT_CAUSES and not _is_time(cause):
                result = (noun_phrase_after(ms, k + 1, text) if m.surface == "よる" else None)
                found.append(Found(cause, result.text if result else _text_between(ms, k + 1, len(ms), text),
                                    "XによるY" if m.surface == "よる" else "XによってY"))
        elif form == "影響" and k > 0 and ms[k - 1].surface == "の" and nxt in ("で", "により", "に", "を"):
            cause = noun_phrase_before(ms, k - 1, text)
            if cause:
                found.append(Found(cause, _text_between(ms, k + 1, len(ms), text), "Xの影響でY"))
        elif form in ("引き起こす", "誘発", "招く", "もたらす") or (
            form == "起こす" and k > 0 and ms[k - 1].surface == "を"
        ):
            found += _causing_verb(ms, k, text)
        elif form in ("関係", "関与") and nxt in ("し", "する", "して", "しています"):
            cause = _subject_before(ms, k, text)
            if cause:
                topic = noun_phrase_before(ms, _index_of(ms, "は", k), text) if _index_of(ms, "は", k) else None
                found.append(Found(cause, topic.text if topic and topic != cause else "", "Xが関係している"))
        elif form == "為" and m.surface in ("ため", "為") and k > 0:
            before = ms[k - 1]
            if before.surface == "の" and before.pos[0] == "助詞":
                cause = noun_phrase_before(ms, k - 1, text)
                if cause:
                    found.append(Found(cause, _text_between(ms, k + 1, len(ms), text), "Xのため"))
            elif k == 1 and before.surface in ("その", "この") and previous:  # そのため
                cause = _event_of(previous, previous_text)
                if cause:
                    found.append(Found(cause, _text_between(ms, k + 1, len(ms), text), "そのため",
                                        weak=True, previous=True))
        elif (m.surface == "で" and m.pos[0] == "助詞" and m.pos[1] == "格助詞" and k > 0
              and (nxt not in ("は", "も", "の") or (nxt == "は" and _names_disease(ms, k, text)))):
            # では / でも / での say where, not why; but 胃炎では… says what a disease does
            cause = noun_phrase_before(ms, k, text)
            if (cause and cause.text not in NOT_CAUSES and not _is_time(cause) and not found
                    and not is_place(cause) and cause_kind(cause.text) != "condition"):
                # XでY is weak: only for an X that names a disease, a habit or a mechanism
                # (皮膚表面や内部で… says where)
                found.append(Found(cause, _text_between(ms, k + 1, len(ms), text), "XでY", weak=True))
    return found


def _index_of(ms: Sequence[Morpheme], surface: str, before: int) -> int:
    for i in range(before):
        if ms[i].surface == surface and ms[i].pos[0] == "助詞":
            return i
    return 0


def _names_disease(ms: Sequence[Morpheme], k: int, text: str) -> bool:
    phrase = noun_phrase_before(ms, k, text)
    return phrase is not None and cause_kind(phrase.text) == "disease"


def is_place(phrase: Phrase) -> bool:
    """整形外科や内科で相談: where, not why."""
    terms = [m.term for m in phrase.morphemes if m.term]
    return "department" in load_role_cues().roles(terms) or phrase.text.endswith(("院", "科"))


def _is_time(phrase: Phrase) -> bool:
    return any(m.pos[1] in ("数詞",) or m.pos[2] == "助数詞可能" or m.normalized_form in NOT_CAUSES
               for m in phrase.morphemes[-1:])


def _cause_noun(ms: Sequence[Morpheme], k: int, text: str, nxt: str) -> list[Found]:
    """原因 / 要因 / 理由 as the pivot: XがYの原因, Yの原因はX, Yの原因としてX, Xが原因でY."""
    before_noun = k - 1
    while before_noun >= 0 and ms[before_noun].surface in ("主な", "一番の", "大きな", "の", "最大の"):
        before_noun -= 1
    result = text[: ms[before_noun].end] if before_noun >= 0 else ""
    after = k + 1
    if nxt == "は":
        # Yの原因は X: X after は; Y before 原因
        cause = noun_phrase_after(ms, _skip_commas(ms, after + 1), text)
        return [Found(cause, result, "Yの原因はX")] if cause else []
    if nxt == "と" and k + 2 < len(ms) and ms[k + 2].normalized_form == "為る":
        # Yの原因として(は) X(、Z…)が挙げられる
        return [Found(c, result, "Yの原因としてX") for c in list_after(ms, _after_toshite(ms, k), text)]
    after_next = ms[k + 2].normalized_form if k + 2 < len(ms) else ""
    if nxt not in _PREDICATE_AFTER_CAUSE or (
        nxt in ("と", "に") and after_next not in ("成る", "考える", "言う", "為る", "見る", "思う")
    ):
        return []  # 原因から考えられる…, 原因について: the word is not what the sentence asserts
    subject = _subject_before(ms, k, text)
    if subject is None:
        return []
    if nxt == "で" and not (k + 2 < len(ms) and ms[k + 2].dictionary_form == "ある"):
        return [Found(subject, _text_between(ms, after + 1, len(ms), text), "Xが原因でY")]
    # XがYの原因(だ / となる / になる / の一つ): Y between the subject's particle and 原因
    between = text[subject.end : ms[before_noun].end] if before_noun >= 0 else ""
    return [Found(subject, re.sub(r"^[がはも、\s]+", "", between), "XがYの原因")]


# What may follow 原因 when a sentence says X is the cause: だ, です, で, と(なる), に(なる), の(一つ),
# も, や, end of sentence.
_PREDICATE_AFTER_CAUSE = frozenset(("", "だ", "です", "で", "と", "に", "の", "も", "。", "である", "か",
                                    "でし", "だっ", "かも"))


def _after_toshite(ms: Sequence[Morpheme], k: int) -> int:
    """The morpheme after 〜として(は) that follows morpheme k."""
    i = k + 3  # と し て
    if i < len(ms) and ms[i].surface == "て":
        i += 1
    return i


def _skip_commas(ms: Sequence[Morpheme], i: int) -> int:
    while i < len(ms) and ms[i].surface in ("、", ",", "，"):
        i += 1
    return i


def _causing_verb(ms: Sequence[Morpheme], k: int, text: str) -> list[Found]:
    """XがYを引き起こす / 誘発する, and the passive YがXで(によって)引き起こされる."""
    tail = "".join(m.surface for m in ms[k + 1 : k + 4])
    passive = bool(re.match(r"(?:さ)?れ|(?:さ)?せ", tail)) or "され" in tail
    if passive:
        for i in range(k - 1, -1, -1):
            if ms[i].surface == "で" or (ms[i].surface == "に" and i + 1 < k and ms[i + 1].dictionary_form == "よる"):
                cause = noun_phrase_before(ms, i, text)
                if cause:
                    subject = _subject_before(ms, i, text)
                    return [Found(cause, subject.text if subject else "", "YがXで誘発される")]
        return []
    cause = _subject_before(ms, k, text)
    if cause is None:
        return []
    result = ""
    for i in range(k - 1, -1, -1):
        if ms[i].surface == "を":
            phrase = noun_phrase_before(ms, i, text)
            result = phrase.text if phrase else ""
            break
    return [Found(cause, result, "XがYを引き起こす")]
