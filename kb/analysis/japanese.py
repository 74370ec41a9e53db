"""The Japanese analyzer: SudachiPy (one dictionary per process), C units with their A-unit parts.

A word's term is Sudachi's normalized form (しびれ -> 痺れ), after the editable normalization rules
(kb/data/normalize.txt or ``$KB_NORMALIZE``, see kb/rules.py); its other forms are its noun forms
(a verb's 連用形, an adjective's stem), the dictionary's synonym group and the parts of a compound.
Latin words inside Japanese text go through the English analyzer.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from array import array
from bisect import bisect_left
from typing import Callable, Iterator, NamedTuple

from ..errors import KbError
from ..rules import NORMALIZE_FILE
from .english import EnglishAnalyzer
from .tokens import IndexedText, Token, encode_spans, index_readings

# Alternative term for a word's synonym group in SudachiDict (スマホ and スマートフォン share one).
SYNONYM_GROUP_PREFIX = "sudachisyn"

# Parts of speech that carry no meaning for search.
_DROP_POS = {"助詞", "助動詞", "補助記号", "空白", "記号", "代名詞", "連体詞", "接続詞", "感動詞"}
# Question words patients type (何科, 何歳): Sudachi tags 何 as a pronoun or a numeral by context,
# so it must be kept whatever the tag, or 何科 in a query and in an article would not meet.
_KEEP_PRONOUNS = {"何", "誰"}
# Function words that Sudachi tags as ordinary nouns (normalized forms).
_JA_STOP = {
    "事", "こと", "物", "もの", "為", "ため", "様", "よう", "所", "ところ", "訳", "わけ", "筈",
    # auxiliary-like verbs and adjectives (Sudachi's 非自立可能 also holds 回る, 見る: kept)
    "為る", "居る", "有る", "成る", "出来る", "来る", "行く", "置く", "仕舞う", "貰う", "呉れる",
    "遣る", "頂く", "下さる", "無い", "良い", "易い", "難い", "欲しい", "御",
}
# Godan verb endings and their 連用形 (the noun form: ふらつく -> ふらつき, 怒る -> 怒り).
_GODAN_RENYOU = {"く": "き", "ぐ": "ぎ", "す": "し", "つ": "ち", "ぬ": "に", "ぶ": "び", "む": "み",
                 "る": "り", "う": "い"}
# Word ids from this one up belong to unknown words (Sudachi's OOV dictionary number 0xF).
_OOV_WORD_ID = 0xF000_0000
_MISSING = object()
# Sudachi's input limit is in bytes; stay well below it.
_MAX_CHUNK = 8000
_SENTENCE_END = re.compile(r"(?<=[。!?！？\n])")
_KANJI = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々]+$")
_HAS_KANJI_OR_KATAKANA = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々\u30a1-\u30fa]")
_ASCII_PUNCT = re.compile(r"[\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]")
_HIRAGANA_ONLY = re.compile(r"^[\u3041-\u309f]+$")
_LATIN_ONLY = re.compile(r"^[A-Za-z0-9'’]+$")


class Morpheme(NamedTuple):
    """One morpheme as Sudachi cut it (C units), with its place in the text (a tuple: fact
    extraction makes many)."""

    surface: str
    start: int
    end: int
    pos: tuple[str, ...]  # Sudachi's part of speech: 名詞, 普通名詞, 一般, *, *, *
    dictionary_form: str  # 熱く -> 熱い
    normalized_form: str  # しびれ -> 痺れ
    term: str  # the index term ("" when the index drops the word)


class MorphemeSource:
    """The morphemes of a text that :meth:`JapaneseAnalyzer.index_text` already cut, read back
    by character range and built into :class:`Morpheme` objects only where asked.

    It keeps, per piece of text Sudachi cut, where each morpheme begins (two bytes each) and its
    dictionary data (a tuple shared by every use of the word), not Sudachi's morpheme lists:
    those hold a copy of the input with several arrays per character, and kept for a whole
    section they cost about a hundred times the text's size.
    """

    def __init__(self, pieces: list, terms: str = "") -> None:
        self._pieces = pieces  # (chunk start, chunk text, begins + [end], each morpheme's info)
        self.terms = terms  # the text's index terms, space-separated

    def between(self, start: int, end: int, offset: int | None = None) -> list[Morpheme]:
        """The morphemes that begin in text[start:end], offsets counted from ``offset``
        (default ``start``: as if that piece of text had been cut alone)."""
        offset = start if offset is None else offset
        out = []
        for chunk_start, chunk, begins, infos in self._pieces:
            lo = bisect_left(begins, start - chunk_start, 0, len(infos))
            hi = bisect_left(begins, end - chunk_start, 0, len(infos))
            shift = chunk_start - offset
            out += [Morpheme(chunk[begins[i]:begins[i + 1]], shift + begins[i],
                             shift + begins[i + 1], *infos[i])
                    for i in range(lo, hi)]
        return out



class JapaneseAnalyzer:
    """SudachiPy (one dictionary per process), C units with their A-unit parts.

    Latin words inside Japanese text go through the English analyzer, so "stretching" in a Japanese
    article and in an English query meet on the same stem.
    """

    def __init__(self, english: EnglishAnalyzer) -> None:
        from sudachipy import Dictionary, SplitMode

        self._dictionary = Dictionary(dict="core")
        # Each thread has its own tokenizers (a Sudachi tokenizer may not be used by two threads
        # at once; the dictionary is shared): no thread ever waits for another's analysis, and
        # Sudachi, which releases the GIL, cuts texts of several threads at the same time.
        self._per_thread = threading.local()
        self._alts_cache: dict[tuple[str, int], tuple[tuple[str, ...], str]] = {}
        self._entries: dict[int, tuple | None] = {}
        self._infos: dict[int, tuple] = {}  # word id -> (pos, dictionary form, normalized form, term)
        self._compound_cache: dict[str, tuple[str, ...]] = {}
        self._split_a = SplitMode.A
        self._split_c = SplitMode.C
        self._english = english
        self._pos = [self._dictionary.pos_of(i) for i in range(_pos_count(self._dictionary))]
        self._normalize = self._load_normalization()

    @property
    def _tokenizer(self):
        """This thread's tokenizer (C units)."""
        return self._thread_tokenizers()[0]

    @property
    def _lookup(self):
        """This thread's second tokenizer, for looking up base forms while the first one's
        results are in use."""
        return self._thread_tokenizers()[1]

    def _thread_tokenizers(self) -> tuple:
        pair = getattr(self._per_thread, "pair", None)
        if pair is None:
            mode = self._split_c
            pair = self._per_thread.pair = (self._dictionary.tokenizer(mode=mode),
                                            self._dictionary.tokenizer(mode=mode))
        return pair

    def tokens(self, text: str, keep: Callable[[Token], bool] | None = None) -> list[Token]:
        """The meaningful tokens of a Japanese (or mixed) text; with ``keep``, only those it
        accepts (judged on the word before its place in the text is read: faster)."""
        out: list[Token] = []
        tokenizer = self._tokenizer
        for chunk_start, chunk in _chunks(text):
            for m in tokenizer.tokenize(chunk):
                entry = self._entry_of(m)
                if entry is None:
                    continue
                if keep is not None and not keep(Token("", 0, 0, *entry[:5])):
                    continue
                out.append(Token(m.surface(), chunk_start + m.begin(),
                                 chunk_start + m.end(), *entry[:5]))
        return out

    def morphemes(self, text: str) -> list[Morpheme]:
        """Every morpheme of a text (particles included), for grammar-aware readers such as
        fact extraction; ``term`` is the index term, or "" for a word the index drops."""
        tokenizer = self._tokenizer
        return [self.morpheme(m, chunk_start) for chunk_start, chunk in _chunks(text)
                for m in tokenizer.tokenize(chunk)]

    def morpheme(self, m, offset: int = 0, begin: int | None = None, chunk: str | None = None,
                 end: int | None = None) -> Morpheme:
        """A Sudachi morpheme as a :class:`Morpheme`, its offsets shifted by ``offset``.

        What depends on the dictionary entry only (part of speech, forms, index term) is cached
        by word id: each call into Sudachi costs about half a microsecond. ``begin``, ``end`` and
        ``chunk`` (the text Sudachi cut), when known, spare three more."""
        info = self._infos.get(m.word_id()) or self._info(m, self._entry_of(m))
        if begin is None:
            begin = m.begin()
        if end is None:
            end = m.end()
        surface = chunk[begin:end] if chunk is not None else m.surface()
        return Morpheme(surface, offset + begin, offset + end, *info)

    def index_text(self, text: str, keep: list | None = None) -> IndexedText:
        """The index columns of a text, without building tokens (the build's hot path).

        With ``keep``, what :class:`MorphemeSource` needs of each morpheme is appended to it, so
        that a later reader need not cut the text again (Sudachi's own morpheme lists are let go
        piece by piece: memory stays flat however long the text)."""
        terms: list[str] = []
        alts: list[str] = []
        readings: list[str] = []
        spans: list[int] = []  # gap before each term and its length (snippets mark them)
        last_end = 0
        entries = self._entries
        known_infos = self._infos
        tokenizer = self._tokenizer
        for chunk_start, chunk in _chunks(text):
            morphemes = tokenizer.tokenize(chunk)
            # Sudachi's morphemes cover the text without gaps: each one ends where the next
            # begins, so one call per morpheme gives every place (a call costs ~0.5 µs)
            begins = [m.begin() for m in morphemes]
            begins.append(len(chunk))
            infos: list[tuple] | None = [] if keep is not None else None
            for i, m in enumerate(morphemes):
                word_id = m.word_id()
                entry = entries.get(word_id, _MISSING)  # inlined _entry_of: hot loop
                if entry is _MISSING:
                    entry = self._entry_of(m)
                if infos is not None:
                    infos.append(known_infos.get(word_id) or self._info(m, entry))
                if entry is not None:
                    terms.append(entry[0])
                    alts.extend(entry[5])
                    readings.extend(entry[6])
                    begin = chunk_start + begins[i]
                    end = chunk_start + begins[i + 1]
                    spans.append(begin - last_end)
                    spans.append(end - begin)
                    last_end = end
            if keep is not None:
                keep.append((chunk_start, chunk, array("H", begins), infos))
        return IndexedText(" ".join(terms), " ".join(alts), " ".join(readings),
                           encode_spans(spans))

    def _info(self, m, entry: tuple | None) -> tuple:
        """What a :class:`Morpheme` holds besides its place: part of speech, dictionary and
        normalized forms, index term (``entry``: the word's analysis). Cached by word id, except
        for unknown words (they share ids)."""
        info = (self._pos[m.part_of_speech_id()], m.dictionary_form(), m.normalized_form(),
                entry[0] if entry else "")
        word_id = m.word_id()
        if word_id < _OOV_WORD_ID and len(self._infos) < 1_000_000:
            self._infos[word_id] = info
        return info

    def _entry_of(self, m) -> tuple | None:
        """A word's analysis, cached by dictionary word id: it depends on the entry, not the place."""
        word_id = m.word_id()
        entry = self._entries.get(word_id, _MISSING)
        if entry is _MISSING:
            entry = self._analyze_word(m)
            # unknown words share ids, so they are not cached; the cache is bounded
            if word_id < _OOV_WORD_ID and len(self._entries) < 1_000_000:
                self._entries[word_id] = entry
        return entry

    def _analyze_word(self, m) -> tuple | None:
        """(term, alts, reading, parts, base reading, alts+parts, readings) or None to drop it."""
        pos = self._pos[m.part_of_speech_id()]
        if (pos[0] in _DROP_POS and m.normalized_form() not in _KEEP_PRONOUNS) or pos[1] == "助動詞語幹":
            return None
        surface = m.surface()
        if pos[0] in ("接尾辞", "接頭辞") and _HIRAGANA_ONLY.match(surface):
            return None  # お/ご, さ, っぽい, たち: grammar, not content
        if _LATIN_ONLY.match(unicodedata.normalize("NFKC", surface)):
            if self._english.is_stop_word(surface):
                return None
            stem, derived = self._english.stem(surface), self._english.derived_stem(surface)
            alts = (derived,) if derived != stem else ()  # as in English text
            return (stem, alts, "", (), "", alts, ())
        term = m.normalized_form()
        if term in _JA_STOP:
            return None
        term = _clean_term(self._normalize.get(term, term))
        if not term:
            return None
        alts, base_reading = self._inflection_alts(term, pos)
        groups = m.synonym_group_ids()
        if len(groups) == 1:  # the dictionary's synonym group, when the word has just one
            alts = (*alts, f"{SYNONYM_GROUP_PREFIX}{groups[0]}")
        parts: tuple[str, ...] = ()
        if len(term) > 2 and pos[0] == "名詞":
            units = m.split(self._split_a)
            if len(units) > 1:
                parts = tuple(
                    _clean_term(p.normalized_form())
                    for p in units
                    if p.normalized_form() not in _JA_STOP
                )
            else:
                parts = self._compound_parts(term)
        reading = m.reading_form()
        # Readings let kana queries find kanji; a word written in kana is found by its own term.
        readings = index_readings(surface, term, reading, base_reading)
        return (term, alts, reading, parts, base_reading, alts + parts, readings)

    def _load_normalization(self) -> dict[str, str]:
        """The ``variant, variant => word`` rules of the normalization file, each side as its
        Sudachi normalized form."""
        rules: dict[str, str] = {}
        for source, number, line in NORMALIZE_FILE.load(_normalization_lines):
            if "=>" not in line:
                raise KbError(f"{source}:{number}: a rule reads 'variant, variant => word'")
            variants, target = line.split("=>", 1)
            target_form = self._single_form(target.strip(), source, number)
            for variant in variants.split(","):
                if variant.strip():
                    rules[self._single_form(variant.strip(), source, number)] = target_form
        return rules

    def _single_form(self, word: str, source: str, number: int) -> str:
        morphemes = list(self._lookup.tokenize(word))
        if len(morphemes) != 1:
            raise KbError(f"{source}:{number}: {word!r} is not a single word for the analyzer")
        return morphemes[0].normalized_form()

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
        # hiragana-only words split into nonsense (ふらつき is not ふら + つき)
        if len(term) <= 12 and _HAS_KANJI_OR_KATAKANA.search(term):
            for i in range(1, len(term)):
                left, right = term[:i], term[i:]
                if not (_splittable_part(left) and _splittable_part(right)):
                    continue
                left_form, right_form = self._noun_form(left), self._noun_form(right)
                if left_form and right_form and min(i, len(term) - i) > best_balance:
                    best, best_balance = (left_form, right_form), min(i, len(term) - i)
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

    def _inflection_alts(self, term: str, pos: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
        """A verb's or adjective's other forms (its noun forms) and the reading of its base form.

        The conjugation Sudachi reports belongs to the surface word (眠れ is 眠れる, 下一段), not
        to its normalized form (眠る, 五段), so the normalized form is looked up again.
        """
        if pos[0] not in ("動詞", "形容詞") or len(term) < 2:
            return (), ""
        key = (term, 0 if pos[0] == "動詞" else 1)
        cached = self._alts_cache.get(key)
        if cached is None:
            base = list(self._lookup.tokenize(term))
            reading = base[0].reading_form() if len(base) == 1 else ""
            if pos[0] == "動詞":
                conj = self._pos[base[0].part_of_speech_id()][4] if len(base) == 1 else pos[4]
                cached = (_verb_noun_forms(term, conj), reading)
            else:
                cached = (_adjective_noun_forms(term), reading)
            self._alts_cache[key] = cached
        return cached


def _normalization_lines(text: str, source: str) -> tuple[tuple[str, int, str], ...]:
    """The rule lines of a normalization file (comments and blank lines dropped), each with the
    file's name and its line number; the analyzer reads their words with its dictionary."""
    lines = ((number, line.split("#", 1)[0].strip())
             for number, line in enumerate(text.splitlines(), start=1))
    return tuple((source, number, line) for number, line in lines if line)


def to_katakana(text: str) -> str:
    """Hiragana to katakana (width folded first), for matching readings."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" else c for c in text)


def _clean_term(term: str) -> str:
    """An index term as FTS5's ascii tokenizer keeps it whole: no ASCII punctuation, lower case."""
    if term.isascii() or _ASCII_PUNCT.search(term):
        term = _ASCII_PUNCT.sub("", term).lower()
    return term


def _splittable_part(part: str) -> bool:
    """A part of a compound must be a kanji word or at least two characters long."""
    return len(part) >= 2 or bool(_KANJI.match(part))


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
