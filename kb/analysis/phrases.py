"""Noun phrases in Sudachi morphemes, and keys that make differently worded phrases meet.

Fact extraction needs whole noun phrases (甲状腺機能亢進症, not 症; 自律神経の乱れ, not 乱れ) and a
way to tell that 背中が熱い, 背中の熱さ and 背中が熱く感じる are one symptom. A phrase is read
backwards or forwards from a particle; its key is its content words, each mapped to one form of
its family (熱さ and 熱く to 熱い; 痺れ and しびれ to 痺れ; synonyms to one member).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

from .analyzer import get_analyzer
from .japanese import Morpheme
from .synonyms import Synonyms, load_synonyms
from ..unionfind import UnionFind

# Words that carry no content of their own in a symptom or a cause: 熱く*感じる*, 熱く*なる*.
LIGHT_WORDS = frozenset(
    "感じる 成る なる 為る する 起こる 起きる 出る 現れる 生じる 覚える 続く 伴う 場合 状態 "
    "症状 感覚 現象 こと 事 もの 物 時 とき 様 よう 方 急 急に 主 特 特に 等 など 感 "
    "feel feels get gets become becomes make makes".split()
)
# Leading words dropped from a phrase (この熱感 -> 熱感), trailing ones too (乱れなど -> 乱れ).
_LEADING_DROP = frozenset("この その あの こうした そうした こういう そういう これら それら 同じ 主な 様々な 色々な 大きな".split())
_TRAILING_DROP = frozenset("こと 事 など 等 もの 物 ため 為 の 場合 とき 時 一つ 1つ ひとつ 一因 ほか 他 以外 "
                           "可能性 疑い 恐れ おそれ".split())
# A comma after these ends a clause, not a list item: 多くの場合、…
_CLAUSE_ENDS = frozenset("場合 時 とき 中 際 後 前 間 為 ため 結果 一方 例".split())
_COORDINATORS = frozenset("や と 及び および または 又は ・ 、".split())


@dataclass(frozen=True)
class Phrase:
    """A span of a text: its characters and the morphemes it covers."""

    text: str
    start: int
    end: int
    morphemes: tuple[Morpheme, ...]


def _is_nominal(m: Morpheme, following: Morpheme | None = None) -> bool:
    """A noun, or what works as one: a な-word, a verb's noun form (ほてり, しびれ) before a particle."""
    if m.pos[0] in ("名詞", "接尾辞", "接頭辞", "代名詞"):
        return True
    if m.pos[0] == "形状詞":
        return m.pos[1] != "助動詞語幹"
    if m.pos[0] == "動詞" and m.pos[5].startswith("連用形") and m.surface != m.dictionary_form:
        # 更年期障害による*ほてり*: Sudachi reads the noun as the verb's stem form
        return following is None or following.pos[0] in ("助詞", "補助記号")
    return m.pos[0] == "補助記号" and m.surface in "ー〜~"


def _is_latin_word(m: Morpheme) -> bool:
    return m.surface.isascii() and m.surface.strip().isalnum()


def noun_phrase_before(ms: Sequence[Morpheme], end: int, text: str) -> Phrase | None:
    """The noun phrase that ends just before morpheme ``end`` (a particle, usually).

    Takes nouns and their suffixes and prefixes, の between nouns (自律神経の乱れ), adjectives
    and な-words in front of a noun (悪い姿勢, 過度なストレス) and coordinations (ストレスや緊張:
    one phrase, see :func:`split_coordination`); skips a closing parenthesis group.
    """
    i = end - 1
    if i >= 0 and ms[i].surface in ("など", "等", "なんか"):
        i -= 1  # 甲状腺機能亢進症などが…: the phrase is what the examples name
    # 甲状腺機能亢進症(バセドウ病)の…: the phrase is what stands before the parenthesis
    if i >= 0 and ms[i].surface in ")）":
        while i >= 0 and ms[i].surface not in "(（":
            i -= 1
        i -= 1
    last = i
    first = None
    while i >= 0:
        m = ms[i]
        if _is_nominal(m, ms[i + 1] if i + 1 < len(ms) else None) or _is_latin_word(m):
            first = i
            i -= 1
            continue
        if first is None:
            break
        prev = ms[i - 1] if i > 0 else None
        if m.surface == "の" and m.pos[0] == "助詞" and prev is not None and (
            _is_nominal(prev) or prev.surface in ")）"
        ):
            i -= 1
            continue
        if m.surface in _COORDINATORS and prev is not None and _is_nominal(prev) and not (
            m.surface == "、" and prev.normalized_form in _CLAUSE_ENDS
        ):
            i -= 1
            continue
        if m.pos[0] == "形容詞" or m.pos[0] == "連体詞" and m.surface not in _LEADING_DROP:
            first = i
            i -= 1
            continue
        if m.surface == "な" and prev is not None and prev.pos[0] in ("形状詞", "名詞"):
            first = i - 1
            i -= 2
            continue
        if m.pos[0] == "補助記号" and m.surface in ")）" and i - 1 >= 0:
            # a parenthesis inside the phrase: (ホットフラッシュ) in 更年期障害によるほてり(…)の…
            j = i
            while j >= 0 and ms[j].surface not in "(（":
                j -= 1
            i = j - 1
            continue
        break
    if first is None or last < first:
        return None
    return _trimmed(ms, first, last + 1, text)


def noun_phrase_after(ms: Sequence[Morpheme], start: int, text: str) -> Phrase | None:
    """The noun phrase that starts at morpheme ``start`` (after による, say): modifiers, nouns
    and の between nouns, up to the first word of another kind."""
    i = start
    last = None
    while i < len(ms):
        m = ms[i]
        following = ms[i + 1] if i + 1 < len(ms) else None
        if (_is_nominal(m, following) or _is_latin_word(m)
                or (m.pos[0] == "形容詞" and last is None)):
            last = i
            i += 1
            continue
        nxt = ms[i + 1] if i + 1 < len(ms) else None
        if m.surface == "の" and last is not None and nxt is not None and _is_nominal(nxt):
            i += 1
            continue
        if m.surface == "な" and last is not None and nxt is not None and _is_nominal(nxt):
            i += 1
            continue
        break
    if last is None:
        return None
    return _trimmed(ms, start, last + 1, text)


def _trimmed(ms: Sequence[Morpheme], first: int, end: int, text: str) -> Phrase | None:
    while first < end and (ms[first].surface in _LEADING_DROP or ms[first].surface in _COORDINATORS
                           or ms[first].surface == "の"):
        first += 1
    while end > first and (ms[end - 1].surface in _TRAILING_DROP or ms[end - 1].surface in _COORDINATORS):
        end -= 1
    if end <= first:
        return None
    start_char, end_char = ms[first].start, ms[end - 1].end
    return Phrase(text[start_char:end_char], start_char, end_char, tuple(ms[first:end]))


def split_coordination(phrase: Phrase, text: str) -> list[Phrase]:
    """ストレスや緊張 -> ストレス, 緊張 (each coordinated member as its own phrase)."""
    members: list[list[Morpheme]] = [[]]
    for m in phrase.morphemes:
        if m.surface in _COORDINATORS and m.pos[0] in ("助詞", "補助記号", "接続詞"):
            members.append([])
        else:
            members[-1].append(m)
    out = []
    for member in members:
        if member:
            trimmed = _trimmed(member, 0, len(member), text)
            if trimmed is not None:
                out.append(trimmed)
    return out or [phrase]


# --- keys ------------------------------------------------------------------------------------


def phrase_key(text: str) -> str:
    """A phrase's content words, each as one form of its family, sorted: the key under which
    differently worded phrases meet (背中が熱い, 背中の熱さ, 背中が熱く感じる -> 熱い 背中)."""
    return " ".join(_key_terms(text))


@lru_cache(maxsize=20_000)
def _key_terms(text: str) -> tuple[str, ...]:
    terms = [t.term for t in get_analyzer().tokens(text)]
    synonyms = load_synonyms()
    out: list[str] = []
    i = 0
    while i < len(terms):
        # a phrase of the synonym file (首の後ろ, 自律神経のバランスが崩れる) stands for its group
        for length in range(min(synonyms.longest, len(terms) - i), 1, -1):
            head = _phrase_head(tuple(terms[i : i + length]), synonyms)
            if head:
                out.extend(head)
                i += length
                break
        else:
            if terms[i] not in LIGHT_WORDS:
                out.append(canonical_form(terms[i]))
            i += 1
    return tuple(sorted(set(out)))


def _phrase_head(phrase: tuple[str, ...], synonyms: Synonyms) -> tuple[str, ...] | None:
    if phrase not in synonyms.index:
        return None
    for group in synonyms.groups:
        if phrase in group:
            single = [m for m in group if len(m) == 1]
            return (canonical_form(single[0][0]),) if single else group[0]
    return None


def canonical_form(term: str) -> str:
    """One form for a word's family: its inflected and nominalized forms (熱さ, 熱 -> 熱い), its
    spellings, and the members of its synonym groups, joined across groups that share a word;
    a group's first member stands for all (the synonym file decides, so editors can)."""
    now = time.monotonic()
    if now - _CHECKED[0] < 1.0 and _FORMS_OF[0] is not None:  # the file was checked just now
        form = _FORMS.get(term)
        if form is not None:
            return form
    _CHECKED[0] = now
    synonyms = load_synonyms()
    _FORMS_OF[0] = synonyms
    heads = _HEADS.get(id(synonyms))
    if heads is None or heads[0] is not synonyms:
        _HEADS.clear()
        _FORMS.clear()
        heads = _HEADS[id(synonyms)] = (synonyms, _synonym_heads(synonyms))
    form = _FORMS.get(term)
    if form is None:
        form = _FORMS[term] = _canonical(term, id(synonyms))
    return form


_FORMS: dict[str, str] = {}  # term -> its canonical form, for the current synonym file
_CHECKED = [0.0]  # when the synonym file was last checked for changes
_FORMS_OF: list[Synonyms | None] = [None]


_HEADS: dict[int, tuple[Synonyms, dict[str, str]]] = {}


@lru_cache(maxsize=50_000)
def _canonical(term: str, synonyms_id: int) -> str:
    heads = _HEADS[synonyms_id][1]
    family = _family(term)
    found = [heads[f] for f in family if f in heads]
    return min(found) if found else min(family, key=lambda f: (len(f), f))


def _synonym_heads(synonyms: Synonyms) -> dict[str, str]:
    """Each single word of the synonym groups (and its family) -> the head of its component."""
    groups: UnionFind[str] = UnionFind()
    order: dict[str, int] = {}
    for group in synonyms.groups:
        words = [m[0] for m in group if len(m) == 1]
        members = set()
        for word in words:
            order.setdefault(word, len(order))
            members |= _family(word)
        members = sorted(members)
        for other in members[1:]:
            groups.union(members[0], other)
    # the head of a component: its word that comes first in the file
    best: dict[str, str] = {}
    for word, rank in order.items():
        root = groups.find(word)
        if root not in best or rank < order[best[root]]:
            best[root] = word
    return {word: best.get(groups.find(word), word) for word in list(groups.parent)}


def _family(term: str) -> set[str]:
    """A word and its other forms: inflections and nouns of an adjective (熱い: 熱, 熱さ, 熱み),
    and the adjective of a noun (熱さ, 熱感 -> 熱い: 熱感 is the feeling of 熱)."""
    family = {term}
    tokens = get_analyzer().tokens(term)
    if len(tokens) == 1:
        family |= {a for a in tokens[0].alts if not a.startswith("sudachisyn")}
    stems = [term]
    if len(term) >= 2 and term[-1] in "さみ感":
        stems.append(term[:-1])
    for stem in stems:
        adjective = _adjective_of(stem)
        if adjective:
            family.add(adjective)
            if stem != term:  # 熱感 -> 熱 (only when 熱 is an adjective's stem: not 交感 -> 交)
                family.add(stem)
    return family


@lru_cache(maxsize=20_000)
def _adjective_of(stem: str) -> str | None:
    """熱 -> 熱い, when 熱い is a word whose forms include the stem (or its noun in さ)."""
    tokens = get_analyzer().tokens(stem + "い")
    if len(tokens) != 1 or not tokens[0].term.endswith("い"):
        return None
    forms = tokens[0].alts
    return tokens[0].term if stem in forms or stem + "さ" in forms else None


# --- lists -----------------------------------------------------------------------------------

# What stands between the members of a list: 腎盂腎炎などの感染症や、甲状腺機能亢進症、さらには…
_LIST_GLUE = frozenset("、 , ， や と など 等 の ほか 他 さらに 更に は また 及び および または 又は ・ "
                       "といった いっ た".split())


def _index_at(ms: Sequence[Morpheme], start: int) -> int:
    return next((i for i, m in enumerate(ms) if m.start >= start), len(ms))


def list_after(ms: Sequence[Morpheme], i: int, text: str) -> list[Phrase]:
    """The members of a list that starts at morpheme ``i``: として、AやB、さらにはC(がん)の可能性.

    A member named only as the category of examples before it (腎盂腎炎などの*感染症*) is left
    out, and so is a phrase that a verb takes as its object (命*に*関わる).
    """
    out: list[Phrase] = []
    category = False
    while i < len(ms):
        while i < len(ms) and (ms[i].surface in _LIST_GLUE or ms[i].surface in "(（"):
            if ms[i].surface in ("など", "等", "いっ"):
                category = True  # the next phrase names the kind of what came before
            if ms[i].surface in "(（":  # a parenthesis after a member: its other name
                while i < len(ms) and ms[i].surface not in ")）":
                    i += 1
            i += 1
        phrase = noun_phrase_after(ms, i, text)
        if phrase is None:
            break
        i = _index_at(ms, phrase.end)
        argument = i < len(ms) and ms[i].surface in ("に", "を", "で", "へ", "から")
        if not category and not argument:
            out.extend(split_coordination(phrase, text))
        category = False
        if argument:
            break
    return out


def examples_before(phrase: Phrase, ms: Sequence[Morpheme], text: str) -> list[Phrase]:
    """The examples a phrase is the category of: 脳梗塞や脳出血などの*脳の病気*,
    狭心症や心筋梗塞といった*心臓の病気* -> 脳梗塞, 脳出血 / 狭心症, 心筋梗塞."""
    i = _index_at(ms, phrase.start)
    end = None
    if i >= 2 and ms[i - 1].surface == "の" and ms[i - 2].surface in ("など", "等"):
        end = i - 2
    elif i >= 3 and ms[i - 1].surface == "た" and ms[i - 2].surface == "いっ" and ms[i - 3].surface == "と":
        end = i - 3
    if end is None:
        return []
    examples = noun_phrase_before(ms, end, text)
    return split_coordination(examples, text) if examples else []
