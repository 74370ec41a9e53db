"""Text analysis: the analyzer that picks Japanese (SudachiPy, kb/analysis/japanese.py) or
English (Snowball, kb/analysis/english.py) for a text, one per process, and the fingerprint of
what its index terms depend on.

The same analyzer serves documents and queries, so a query matches whatever form the text used.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any, Callable

from ..rules import ANALYZER_RULES, fingerprint
from .english import EnglishAnalyzer
from .japanese import JapaneseAnalyzer
from .language import has_japanese
from .tokens import IndexedText, Token, to_index_text

# Bump when the terms an analyzer produces change: an index built with another version is rebuilt.
ANALYZER_VERSION = "8"  # 8: English words also indexed under their derived stem


class Analyzer:
    """Picks the analyzer for a text: Japanese when it holds kana or kanji, else English."""

    def __init__(self) -> None:
        self.english = EnglishAnalyzer()
        self._japanese: JapaneseAnalyzer | None = None
        self._loading = threading.Lock()  # held only while the dictionary loads, once

    @property
    def japanese(self) -> JapaneseAnalyzer:
        if self._japanese is None:
            with self._loading:  # two threads' first Japanese texts load one dictionary
                if self._japanese is None:
                    self._japanese = JapaneseAnalyzer(self.english)
        return self._japanese

    def tokens(self, text: str, lang: str | None = None,
               keep: Callable[[Token], bool] | None = None) -> list[Token]:
        """Analyze a text; ``lang`` ('ja'/'en') skips detection, which is per text otherwise;
        ``keep`` keeps only the tokens it accepts."""
        if not text:
            return []
        if lang == "ja" or (lang != "en" and has_japanese(text)):
            return self.japanese.tokens(text, keep)
        tokens = self.english.tokens(text)
        return tokens if keep is None else [t for t in tokens if keep(t)]

    def index_text(self, text: str, lang: str | None = None, keep: list | None = None) -> IndexedText:
        """A text as the three FTS5 column values kb stores for it (``keep``: see
        :meth:`JapaneseAnalyzer.index_text`; an English text keeps nothing)."""
        if text and (lang == "ja" or has_japanese(text)):
            return self.japanese.index_text(text, keep)
        return to_index_text(self.tokens(text, lang))

    def terms(self, text: str, lang: str | None = None) -> list[str]:
        """The primary terms of a text, in order (what ``kb analyze`` and SQL functions show)."""
        return [t.term for t in self.tokens(text, lang)]


def analyzer_fingerprint() -> str:
    """What the index terms depend on: this code's version, the normalization rules (their
    part of the fingerprint, kb/rules.py), the dictionary's version."""
    rules = fingerprint(ANALYZER_RULES)
    try:
        from importlib.metadata import version

        dictionary = version("sudachidict-core")
    except Exception:  # pragma: no cover - the dictionary is a declared dependency
        dictionary = "unknown"
    return f"{ANALYZER_VERSION}-{rules}-{dictionary}"


def analysis_dict(text: str) -> dict[str, Any]:
    """How kb analyzes ``text``, as ``kb analyze --json`` and ``/-/analyze.json`` show it: the
    text, each token (:meth:`Token.to_dict`) and the index terms in order."""
    tokens = get_analyzer().tokens(text)
    return {"text": text, "tokens": [t.to_dict() for t in tokens],
            "terms": [t.term for t in tokens]}


@lru_cache(maxsize=1)
def get_analyzer() -> Analyzer:
    """The process's analyzer, one for all its threads (the Sudachi dictionary is loaded once,
    on first Japanese text)."""
    return Analyzer()

