"""Text analysis: Japanese with SudachiPy, English with a Snowball stemmer.

The same analyzer serves documents and queries, so a query matches whatever form the text used.
A :class:`Token` keeps the surface and its character offsets in the original text (snippets are cut
from the original; analysis only feeds the index) and carries:

- ``term``: the primary index term (Sudachi's normalized form, or the English stem);
- ``alts``: other forms that should match it (a verb's noun form, an adjective's stem,
  the A-unit parts of a compound);
- ``reading``: the katakana reading, so kana queries can match kanji text.

SQLite cannot load a Python tokenizer, so terms are stored as space-separated words that FTS5's
``unicode61`` tokenizer indexes as they are; queries are analyzed the same way in Python.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Iterator

from .language import has_japanese

# Bump when the terms an analyzer produces change: an index built with another version is rebuilt.
ANALYZER_VERSION = "2"

# Parts of speech that carry no meaning for search.
_DROP_POS = {"助詞", "助動詞", "補助記号", "空白", "記号", "代名詞", "連体詞", "接続詞", "感動詞"}
# Function words that Sudachi tags as ordinary nouns (normalized forms).
_JA_STOP = {"事", "こと", "物", "もの", "為", "ため", "様", "よう", "所", "ところ", "訳", "わけ", "筈"}
# Godan verb endings and their 連用形 (the noun form: ふらつく -> ふらつき, 怒る -> 怒り).
_GODAN_RENYOU = {"く": "き", "ぐ": "ぎ", "す": "し", "つ": "ち", "ぬ": "に", "ぶ": "び", "む": "み",
                 "る": "り", "う": "い"}
# Sudachi's input limit is in bytes; stay well below it.
_MAX_CHUNK = 8000
_SENTENCE_END = re.compile(r"(?<=[。!?！？\n])")

ENGLISH_STOP_WORDS = frozenset(
    """a about above after again against all am an and any are aren't as at be because been before
    being below between both but by can can't cannot could couldn't did didn't do does doesn't doing
    don't down during each few for from further had hadn't has hasn't have haven't having he her here
    hers herself him himself his how i if in into is isn't it it's its itself just let's me more most
    mustn't my myself no nor not of off on once only or other ought our ours ourselves out over own
    same shan't she should shouldn't so some such than that that's the their theirs them themselves
    then there there's these they this those through to too under until up very was wasn't we were
    weren't what when where which while who whom why will with won't would wouldn't you your yours
    yourself yourselves""".split()
)
_ENGLISH_WORD = re.compile(r"[A-Za-z0-9\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]+(?:['’][A-Za-z]+)?")
_HIRAGANA_ONLY = re.compile(r"^[\u3041-\u309f]+$")
_LATIN_ONLY = re.compile(r"^[A-Za-z0-9'’]+$")


@dataclass(slots=True)
class Token:
    """One meaningful word of a text, with where it stands and the forms it is indexed under."""

    surface: str
    start: int
    end: int
    term: str
    alts: tuple[str, ...] = ()
    reading: str = ""

    def forms(self) -> tuple[str, ...]:
        """Every form the token matches: its term first, then the alternatives."""
        return (self.term, *self.alts)


@dataclass(slots=True)
class IndexedText:
    """A text's analysis as FTS5 column values: primary terms, alternatives, readings."""

    terms: str
    alts: str
    readings: str


class EnglishAnalyzer:
    """Lower case, stop words dropped, Snowball (Porter 2) stems: stretching -> stretch."""

    def __init__(self) -> None:
        import snowballstemmer

        self._stemmer = snowballstemmer.stemmer("english")
        self._cache: dict[str, str] = {}

    def stem(self, word: str) -> str:
        """The stem of one word (lower-cased, width-folded); cached, words repeat a lot."""
        cached = self._cache.get(word)
        if cached is None:
            folded = unicodedata.normalize("NFKC", word).lower().replace("’", "'")
            if folded.endswith("'s"):
                folded = folded[:-2]
            cached = self._stemmer.stemWord(folded) if folded.isalpha() else folded
            if len(self._cache) < 200_000:
                self._cache[word] = cached
        return cached

    def is_stop_word(self, word: str) -> bool:
        return unicodedata.normalize("NFKC", word).lower().replace("’", "'") in ENGLISH_STOP_WORDS

    def tokens(self, text: str, offset: int = 0) -> list[Token]:
        """The tokens of an English text, offsets counted from ``offset``."""
        out = []
        for m in _ENGLISH_WORD.finditer(text):
            word = m.group()
            if self.is_stop_word(word):
                continue
            out.append(Token(word, offset + m.start(), offset + m.end(), self.stem(word)))
        return out


class JapaneseAnalyzer:
    """SudachiPy (one dictionary per process), C units with their A-unit parts.

    Latin words inside Japanese text go through the English analyzer, so "stretching" in a Japanese
    article and in an English query meet on the same stem.
    """

    def __init__(self, english: EnglishAnalyzer) -> None:
        from sudachipy import Dictionary, SplitMode

        self._dictionary = Dictionary(dict="core")
        self._tokenizer = self._dictionary.tokenizer(mode=SplitMode.C)
        # a second tokenizer for looking up base forms while the first one's results are in use
        self._lookup = self._dictionary.tokenizer(mode=SplitMode.C)
        self._alts_cache: dict[tuple[str, int], tuple[str, ...]] = {}
        self._compound_cache: dict[str, tuple[str, ...]] = {}
        self._split_a = SplitMode.A
        self._english = english
        self._pos = [self._dictionary.pos_of(i) for i in range(_pos_count(self._dictionary))]
        self._lock = threading.Lock()

    def tokens(self, text: str) -> list[Token]:
        """The meaningful tokens of a Japanese (or mixed) text."""
        out: list[Token] = []
        with self._lock:  # a Sudachi tokenizer is not safe to share between threads
            for chunk_start, chunk in _chunks(text):
                out.extend(self._chunk_tokens(chunk, chunk_start))
        return out

    def _chunk_tokens(self, chunk: str, base: int) -> Iterator[Token]:
        english = self._english
        for m in self._tokenizer.tokenize(chunk):
            pos = self._pos[m.part_of_speech_id()]
            if pos[0] in _DROP_POS or pos[1] == "非自立可能" or pos[1] == "助動詞語幹":
                continue
            surface = m.surface()
            if pos[0] in ("接尾辞", "接頭辞") and _HIRAGANA_ONLY.match(surface):
                continue  # お/ご, さ, っぽい, たち: grammar, not content
            if _LATIN_ONLY.match(unicodedata.normalize("NFKC", surface)):
                if english.is_stop_word(surface):
                    continue
                yield Token(surface, base + m.begin(), base + m.end(), english.stem(surface))
                continue
            term = m.normalized_form()
            if term in _JA_STOP:
                continue
            alts = self._inflection_alts(term, pos)
            if len(term) > 2 and pos[0] == "名詞":
                parts = m.split(self._split_a)
                if len(parts) > 1:
                    alts = alts + tuple(
                        p.normalized_form() for p in parts if p.normalized_form() not in _JA_STOP
                    )
                else:
                    alts = alts + self._compound_parts(term)
            yield Token(surface, base + m.begin(), base + m.end(), term, alts, m.reading_form())


    def _compound_parts(self, term: str) -> tuple[str, ...]:
        """Two dictionary nouns a compound the dictionary keeps whole is made of: 首凝り -> 首, 凝り.

        Sudachi has entries such as 首こり with no A-unit split; without this a query for こり would
        not find them. Only a split into two words both found in the dictionary counts, the most
        balanced one winning, and words of two characters are never split (背中 is not 背 + 中).
        """
        cached = self._compound_cache.get(term)
        if cached is not None:
            return cached
        best: tuple[str, ...] = ()
        best_balance = -1
        if len(term) <= 12 and not _LATIN_ONLY.match(term):
            for i in range(1, len(term)):
                left, right = self._noun_form(term[:i]), self._noun_form(term[i:])
                if left and right and min(i, len(term) - i) > best_balance:
                    best, best_balance = (left, right), min(i, len(term) - i)
        if len(self._compound_cache) < 500_000:
            self._compound_cache[term] = best
        return best

    def _noun_form(self, word: str) -> str | None:
        """The normalized form of a dictionary entry spelled exactly ``word`` (nouns first)."""
        entries = [e for e in self._dictionary.lookup(word) if e.surface() == word]
        if not entries:
            return None
        for e in entries:
            if self._pos[e.part_of_speech_id()][0] == "名詞":
                return e.normalized_form()
        first = self._pos[entries[0].part_of_speech_id()][0]
        return entries[0].normalized_form() if first in ("動詞", "形容詞") else None

    def _inflection_alts(self, term: str, pos: tuple[str, ...]) -> tuple[str, ...]:
        """Related forms a word should also match: a verb's noun form, an adjective's noun forms.

        The conjugation Sudachi reports belongs to the surface word (眠れ is 眠れる, 下一段), not
        to its normalized form (眠る, 五段), so verbs are looked up again by their normalized form.
        """
        if pos[0] not in ("動詞", "形容詞") or len(term) < 2:
            return ()
        key = (term, 0 if pos[0] == "動詞" else 1)
        cached = self._alts_cache.get(key)
        if cached is None:
            if pos[0] == "動詞":
                base = list(self._lookup.tokenize(term))
                conj = self._pos[base[0].part_of_speech_id()][4] if len(base) == 1 else pos[4]
                cached = _verb_noun_forms(term, conj)
            else:
                cached = _adjective_noun_forms(term)
            self._alts_cache[key] = cached
        return cached


class Analyzer:
    """Picks the analyzer for a text: Japanese when it holds kana or kanji, else English."""

    def __init__(self) -> None:
        self.english = EnglishAnalyzer()
        self._japanese: JapaneseAnalyzer | None = None

    @property
    def japanese(self) -> JapaneseAnalyzer:
        if self._japanese is None:
            self._japanese = JapaneseAnalyzer(self.english)
        return self._japanese

    def tokens(self, text: str, lang: str | None = None) -> list[Token]:
        """Analyze a text; ``lang`` ('ja'/'en') skips detection, which is per text otherwise."""
        if not text:
            return []
        if lang == "ja" or (lang is None and has_japanese(text)):
            return self.japanese.tokens(text)
        if lang not in (None, "en") and has_japanese(text):
            return self.japanese.tokens(text)
        return self.english.tokens(text)

    def index_text(self, text: str, lang: str | None = None) -> IndexedText:
        """A text as the three FTS5 column values kb stores for it."""
        return to_index_text(self.tokens(text, lang))

    def terms(self, text: str, lang: str | None = None) -> list[str]:
        """The primary terms of a text, in order (what ``kb analyze`` and SQL functions show)."""
        return [t.term for t in self.tokens(text, lang)]


def to_index_text(tokens: Iterable[Token]) -> IndexedText:
    """Join tokens into the space-separated values of the ``terms``/``alts``/``readings`` columns."""
    terms: list[str] = []
    alts: list[str] = []
    readings: list[str] = []
    for t in tokens:
        terms.append(t.term)
        alts.extend(t.alts)
        if t.reading:
            readings.append(t.reading)
    return IndexedText(" ".join(terms), " ".join(alts), " ".join(readings))


@lru_cache(maxsize=1)
def get_analyzer() -> Analyzer:
    """The process's analyzer (the Sudachi dictionary is loaded once, on first Japanese text)."""
    return Analyzer()


def to_katakana(text: str) -> str:
    """Hiragana to katakana (width folded first), for matching readings."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" else c for c in text)


def _verb_noun_forms(term: str, conj: str) -> tuple[str, ...]:
    """A verb's 連用形, which Japanese uses as its noun: 痺れる -> 痺れ, ふらつく -> ふらつき."""
    if conj.startswith(("下一段", "上一段")) and term.endswith("る"):
        return (term[:-1],)
    if conj.startswith("五段") and term[-1] in _GODAN_RENYOU:
        return (term[:-1] + _GODAN_RENYOU[term[-1]],)
    return ()


def _adjective_noun_forms(term: str) -> tuple[str, ...]:
    """An adjective's stem and its さ/み nouns: 熱い -> 熱, 熱さ; 痛い -> 痛み."""
    if not term.endswith("い"):
        return ()
    stem = term[:-1]
    return (stem, stem + "さ", stem + "み")


def _chunks(text: str) -> Iterator[tuple[int, str]]:
    """Cut a long text at sentence ends into pieces Sudachi accepts, with their offsets."""
    if len(text) <= _MAX_CHUNK:
        yield 0, text
        return
    start = 0
    piece_start = 0
    for m in _SENTENCE_END.finditer(text):
        end = m.end()
        if end - piece_start > _MAX_CHUNK:
            if start > piece_start:
                yield piece_start, text[piece_start:start]
                piece_start = start
            while end - piece_start > _MAX_CHUNK:  # one sentence longer than a chunk
                yield piece_start, text[piece_start : piece_start + _MAX_CHUNK]
                piece_start += _MAX_CHUNK
        start = end
    if piece_start < len(text):
        rest = text[piece_start:]
        while len(rest) > _MAX_CHUNK:
            yield piece_start, rest[:_MAX_CHUNK]
            piece_start += _MAX_CHUNK
            rest = rest[_MAX_CHUNK:]
        yield piece_start, rest


def _pos_count(dictionary) -> int:
    n = 0
    while True:
        try:
            dictionary.pos_of(n)
        except (IndexError, ValueError, OverflowError):
            return n
        n += 1
        if n > 100_000:  # a guard; the core dictionary has about 1,500
            return n
