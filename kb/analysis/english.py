"""The English analyzer: lower case, stop words dropped, Snowball (Porter 2) stems, and a second,
more aggressive stem as each word's other form.

Snowball keeps apart words a patient uses for one thing (itchy/itching, achy/ache,
sleepless/sleep, tiredness/tired, breathless/breath): :func:`derived_stem` strips the adjective and
noun suffix families (-ness, -less, -ful, -en, -y) before stemming, and a word whose derived stem
differs from its stem is indexed and queried under both (like a Japanese verb and its noun).

Latin words inside Japanese text go through it too, so "stretching" in a Japanese article and in
an English query meet on the same stem.
"""

from __future__ import annotations

import re
import threading
import unicodedata

from .tokens import Token

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
# Suffix families stripped by derived_stem, longest first, with the shortest stem each leaves
# (a short stem is a different word: early is not ear, listen is not list).
_DERIVING_SUFFIXES = (("ness", 4), ("less", 4), ("ful", 4), ("en", 5), ("y", 4), ("i", 4))
_ENGLISH_WORD = re.compile(r"[A-Za-z0-9\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]+(?:['’][A-Za-z]+)?")


class EnglishAnalyzer:
    """Lower case, stop words dropped, Snowball (Porter 2) stems: stretching -> stretch."""

    def __init__(self) -> None:
        self._per_thread = threading.local()  # a Snowball stemmer keeps state while it works
        self._cache: dict[str, str] = {}
        self._derived: dict[str, str] = {}

    @property
    def _stemmer(self):
        """This thread's stemmer (two threads stemming with one get each other's words)."""
        stemmer = getattr(self._per_thread, "stemmer", None)
        if stemmer is None:
            import snowballstemmer

            stemmer = self._per_thread.stemmer = snowballstemmer.stemmer("english")
        return stemmer

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

    def derived_stem(self, word: str) -> str:
        """The stem of a word stripped of its suffix families first: sleeplessness -> sleep,
        itchy -> itch, tiredness -> tire (as tired), painful -> pain. A rule, not a word list:
        irregular forms (swollen/swell) are the patient lexicon's job."""
        cached = self._derived.get(word)
        if cached is None:
            folded = unicodedata.normalize("NFKC", word).lower().replace("’", "'")
            if folded.endswith("'s"):
                folded = folded[:-2]
            cached = self.stem(_strip_derivations(folded)) if folded.isalpha() else folded
            if len(self._derived) < 200_000:
                self._derived[word] = cached
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
            term = self.stem(word)
            derived = self.derived_stem(word)
            alts = (derived,) if derived != term else ()
            out.append(Token(word, offset + m.start(), offset + m.end(), term, alts))
        return out


def _strip_derivations(word: str) -> str:
    """A word without its derivational suffixes, outermost first (sleeplessness -> sleepless ->
    sleep; dizziness -> dizzi -> dizz), each only when the stem left is long enough."""
    for _ in range(3):
        for suffix, shortest in _DERIVING_SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= shortest:
                word = word[: -len(suffix)]
                break
        else:
            break
    return word

