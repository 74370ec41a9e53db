"""Language of a text, from its script: Japanese when kana or kanji carry it, else English."""

from __future__ import annotations

import re

_KANA = re.compile(r"[\u3040-\u30ff\uff66-\uff9f]")
_KANJI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z\uff21-\uff3a\uff41-\uff5a]")

def detect_language(text: str) -> str:
    """'ja' or 'en' for a text (an article or a query); kana decide, kanji alone count as Japanese."""
    sample = text[:20000]
    kana = len(_KANA.findall(sample))
    kanji = len(_KANJI.findall(sample))
    latin = len(_LATIN.findall(sample))
    if kana or kanji:
        # a Japanese letter stands for a word of several Latin ones
        return "ja" if (kana + kanji) * 4 >= latin or kana > 20 else "en"
    return "en"


def has_japanese(text: str) -> bool:
    """True when the text holds kana or kanji (it then goes to the Japanese analyzer)."""
    return bool(_KANA.search(text) or _KANJI.search(text))
