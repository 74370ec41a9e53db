"""Snippets: an excerpt of the original text around the words a query matched, marked.

Matches are found by analyzing the text again, so a word is marked whatever form it took
(熱く for 熱い, 痺れ for しびれ), and the excerpt is cut from the text as written.
"""

from __future__ import annotations

import html
from functools import lru_cache
from typing import Collection, NamedTuple, Sequence

from ..analysis import Token, get_analyzer
from ..terminal import visible

HTML_MARKER = ("<mark>", "</mark>")


def make_snippet(
    text: str,
    forms: set[str],
    readings: set[str] = frozenset(),  # type: ignore[assignment]
    *,
    width: int = 120,
    marker: tuple[str, str] = HTML_MARKER,
    terms: Sequence[str] | None = None,
    spans: Sequence[tuple[int, int]] | None = None,
    phrases: Collection[tuple[str, ...]] = (),
) -> str:
    """An excerpt of the original text around the densest run of matched words, marked.

    With the HTML marker the text is HTML-escaped; with another (a terminal's) the characters a
    terminal would obey are made visible (:func:`escape`).
    Given the text's index ``terms`` and their ``spans`` (stored at build time), the text is not
    analyzed again: each distinct term is looked at once, and its place is known.
    ``phrases`` (a synonym or lexicon entry of several words, as terms) are marked as a unit,
    only where all their words stand in a row: 目が回る marks nothing in 目を閉じて.
    """
    if terms is not None and spans is not None and len(terms) == len(spans) and spans:
        tokens: list = [_Span(*span) for term, span in zip(terms, spans)
                        if _term_matches(term, forms, readings)]
        if phrases:
            tokens = _merge(tokens, _phrase_spans(list(terms), [_Span(*s) for s in spans], phrases))
    elif phrases:
        every = get_analyzer().tokens(text)
        tokens = [_Span(t.start, t.end) for t in every if _token_matches(t, forms, readings)]
        tokens = _merge(tokens, _phrase_spans([t.term for t in every], every, phrases))
    else:
        tokens = get_analyzer().tokens(text, keep=lambda t: _token_matches(t, forms, readings))
    if not tokens:
        return ""
    start = _best_window(tokens, width)
    end = min(len(text), start + width)
    pieces = []
    cursor = start
    for t in tokens:
        if t.start < start or t.end > end:
            continue
        pieces.append(escape(text[cursor : t.start], marker))
        pieces.append(marker[0] + escape(text[t.start : t.end], marker) + marker[1])
        cursor = t.end
    pieces.append(escape(text[cursor:end], marker))
    snippet = "".join(pieces).replace("\n", " ")
    return ("…" if start > 0 else "") + snippet + ("…" if end < len(text) else "")


def _token_matches(token: Token, forms: set[str], readings: set[str]) -> bool:
    if token.term in forms or any(a in forms for a in token.alts) or any(
        p in forms for p in token.parts
    ):
        return True
    return bool(readings) and (
        token.reading in readings or token.base_reading in readings or token.term in readings
    )


class _Span(NamedTuple):
    start: int
    end: int


def _phrase_spans(terms: list[str], spans: Sequence, phrases: Collection[tuple[str, ...]]
                  ) -> list[_Span]:
    """One span for each place where a phrase's words stand in a row, from its first word's
    start to its last word's end (the particles between them included)."""
    found = []
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        by_first.setdefault(phrase[0], []).append(phrase)
    for i, term in enumerate(terms):
        for phrase in by_first.get(term, ()):
            if tuple(terms[i : i + len(phrase)]) == phrase:
                found.append(_Span(spans[i].start, spans[i + len(phrase) - 1].end))
    return found


def _merge(tokens: list, extra: list[_Span]) -> list[_Span]:
    """Matched spans in text order, with no span overlapping one before it (a word inside a
    marked phrase is not marked again)."""
    merged: list[_Span] = []
    for span in sorted([_Span(t.start, t.end) for t in tokens] + extra,
                       key=lambda s: (s.start, -s.end)):
        if merged and span.start < merged[-1].end:
            continue
        merged.append(span)
    return merged


def _term_matches(term: str, forms: set[str], readings: set[str]) -> bool:
    """Whether an index term is one of the query's forms, holds one as a part, or reads as one."""
    if term in forms:
        return True
    other_forms, term_readings = _term_info(term)
    return not other_forms.isdisjoint(forms) or bool(readings and not term_readings.isdisjoint(readings))


@lru_cache(maxsize=100_000)
def _term_info(term: str) -> tuple[frozenset[str], frozenset[str]]:
    """A term's other forms and parts, and its readings, from analyzing the term itself."""
    tokens = get_analyzer().tokens(term)
    if len(tokens) != 1:
        return frozenset(), frozenset({term})
    t = tokens[0]
    # a single kanji reads differently by context (日: ニチ, ひ, ジツ): only longer words by reading
    readings = (t.reading, t.base_reading) if len(term) > 1 else ()
    return frozenset((*t.alts, *t.parts)), frozenset((*readings, t.term)) - {""}


def _best_window(tokens: list[Token], width: int) -> int:
    """Start of the window of ``width`` characters holding the most matched tokens."""
    best_start, best_count = tokens[0].start, 0
    j = 0
    for i, t in enumerate(tokens):
        while tokens[j].end <= t.end - width:
            j += 1
        count = i - j + 1
        if count > best_count:
            best_count, best_start = count, tokens[j].start
    return max(0, best_start - width // 4)


def escape(text: str, marker: tuple[str, str]) -> str:
    """Text to put between markers: HTML-escaped when the marker is HTML, else (a terminal's)
    with the characters a terminal would obey written as escapes (kb.terminal.visible)."""
    return html.escape(text, quote=False) if marker[0].startswith("<") else visible(text)
