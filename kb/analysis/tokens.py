"""What an analysis yields: :class:`Token` (a word, its place and its index forms),
:class:`IndexedText` (a text as the index columns kb stores), and the codec of where each term of
a text stands (snippets mark matched words from it without analyzing the text again).

A :class:`Token` keeps the surface and its character offsets in the original text (snippets are cut
from the original; analysis only feeds the index) and carries:

- ``term``: the primary index term (Sudachi's normalized form, or the English stem);
- ``alts``: other forms of the same word (a verb's noun form, an adjective's stem and nouns);
- ``parts``: the words a compound is made of (its A units, or two dictionary words), so a query
  for a part finds the compound;
- ``reading``/``base_reading``: the katakana reading as written and of the base form, so kana
  queries can match kanji text (あつい finds 熱く).

SQLite cannot load a Python tokenizer, so terms are stored as space-separated words that FTS5's
built-in ``ascii`` tokenizer indexes exactly as they are (terms hold no ASCII punctuation, see
``kb.analysis.japanese``); queries are analyzed the same way in Python.
"""

from __future__ import annotations

import re
import sys
from array import array
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

_HAS_KANJI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々]")


def index_readings(surface: str, term: str, reading: str, base_reading: str) -> tuple[str, ...]:
    """What the index stores as a word's readings: for a word written with kanji, its reading and
    its base form's, so kana queries find it (a word written in kana is found by its own term)."""
    if not _HAS_KANJI.search(surface):
        return ()
    return tuple(r for r in dict.fromkeys((reading, base_reading)) if r and r != term)


@dataclass(slots=True)
class Token:
    """One meaningful word of a text, with where it stands and the forms it is indexed under."""

    surface: str
    start: int
    end: int
    term: str
    alts: tuple[str, ...] = ()
    reading: str = ""
    parts: tuple[str, ...] = ()
    base_reading: str = ""

    def forms(self) -> tuple[str, ...]:
        """The forms the word itself takes: its term first, then its other forms."""
        return (self.term, *self.alts)

    def readings(self) -> tuple[str, ...]:
        """What the index stores as its readings (see :func:`index_readings`)."""
        return index_readings(self.surface, self.term, self.reading, self.base_reading)

    def to_dict(self) -> dict[str, Any]:
        """The token as ``kb analyze --json`` and ``/-/analyze.json`` show it: surface, index
        term, other forms, the parts of a compound, reading, and where it stands."""
        return {"surface": self.surface, "term": self.term, "alts": list(self.alts),
                "parts": list(self.parts), "reading": self.reading,
                "start": self.start, "end": self.end}


@dataclass(slots=True)
class IndexedText:
    """A text's analysis as FTS5 column values: primary terms, alternatives, readings; and where
    each primary term stands in the text (see :func:`encode_spans`)."""

    terms: str
    alts: str
    readings: str
    spans: bytes = b""


def encode_spans(gaps_and_lengths: list[int]) -> bytes:
    """Pack the places of a text's terms: for each term, the characters since the previous term
    ended and its own length. Nearly every number is under 256, so most texts take one byte a
    number (a leading 1); otherwise two (2) or four (4)."""
    try:
        return b"\x01" + bytes(gaps_and_lengths)
    except ValueError:
        typecode = "H" if max(gaps_and_lengths) < 65536 else "I"
        packed = array(typecode, gaps_and_lengths)
        if sys.byteorder == "big":
            packed.byteswap()  # stored little-endian
        return bytes([packed.itemsize]) + packed.tobytes()


def decode_spans(blob: bytes | None) -> list[tuple[int, int]]:
    """The (start, end) character offsets of a text's terms, from :func:`encode_spans`."""
    starts, ends = span_bounds(blob)
    return list(zip(starts.tolist(), ends.tolist()))


def span_bounds(blob: bytes | None) -> tuple[np.ndarray, np.ndarray]:
    """The start and end offsets of a text's terms as two arrays (see :func:`encode_spans`):
    the running sum of gaps and lengths gives them all at once."""
    if not blob:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    width = blob[0]
    dtype = np.uint8 if width == 1 else np.dtype("<u2") if width == 2 else np.dtype("<u4")
    numbers = np.frombuffer(blob, dtype=dtype, offset=1)
    bounds = np.cumsum(numbers[: len(numbers) // 2 * 2], dtype=np.int64)
    return bounds[0::2], bounds[1::2]


def to_index_text(tokens: Iterable[Token]) -> IndexedText:
    """Join tokens into the space-separated values of the ``terms``/``alts``/``readings`` columns."""
    terms: list[str] = []
    alts: list[str] = []
    readings: list[str] = []
    spans: list[int] = []
    last_end = 0
    for t in tokens:
        terms.append(t.term)
        alts.extend(t.alts)
        alts.extend(t.parts)
        readings.extend(t.readings())
        spans += (t.start - last_end, t.end - t.start)
        last_end = t.end
    return IndexedText(" ".join(terms), " ".join(alts), " ".join(readings), encode_spans(spans))

