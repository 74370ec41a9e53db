"""The query-time lexicons: patients' words mapped to the words articles use, and English words
mapped to Japanese ones (and back).

- ``kb/data/patient_words.txt`` and ``patient_words_en.txt``: one mapping a line,
  ``patient expression, another => article word, another``; a query holding a left-side
  expression also looks for the right-side words (one way: 頭痛 does not look for ガンガン).
- ``kb/data/bilingual.txt``: ``english, english = 日本語, 日本語``; a query holding a word of
  one side also looks for every word of the other side (both ways).

Both read into the :class:`~kb.analysis.synonyms.Synonyms` shape (a member's terms -> the phrases
it expands to), so queries apply them with the synonyms' own code; each kind has its weight in
kb/search/query.py. Expressions are analyzed like any text, so one spelling covers its
inflections and scripts. Nothing here reaches the index: an edit applies to the next search.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import KbError
from ..rules import BILINGUAL_FILE, PATIENT_WORDS_EN_FILE, PATIENT_WORDS_FILE
from .analyzer import get_analyzer
from .japanese import SYNONYM_GROUP_PREFIX
from .synonyms import Phrase, Synonyms

_COMMAS = str.maketrans({"、": ",", "，": ","})


def _lines(text: str) -> list[tuple[int, str]]:
    """The numbered lines that hold a rule (comments after # and blank lines dropped)."""
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if line:
            out.append((number, line))
    return out


def _phrases(side: str, source: str, number: int, forms: bool = False) -> list[Phrase]:
    """The analyzed members of one side of a rule: comma-separated words or phrases; with
    ``forms``, a one-word member's other forms too (お通じ alone is 通じる, in a sentence 通じ:
    a query meets the member in either), never its dictionary synonym group (too broad)."""
    analyzer = get_analyzer()
    phrases = []
    for member in filter(None, (m.strip() for m in side.translate(_COMMAS).split(","))):
        tokens = analyzer.tokens(member)
        if not tokens:
            raise KbError(f"{source}:{number}: {member!r} has no word to search for")
        phrases.append(tuple(t.term for t in tokens))
        if forms and len(tokens) == 1:
            phrases += [(f,) for f in tokens[0].alts if not f.startswith(SYNONYM_GROUP_PREFIX)]
    return list(dict.fromkeys(phrases))


def _table(pairs: list[tuple[list[Phrase], list[Phrase]]]) -> Synonyms:
    """A directed expansion table: each phrase of a left side expands to its right side."""
    index: dict[Phrase, set[Phrase]] = {}
    for left, right in pairs:
        for member in left:
            index.setdefault(member, set()).update(p for p in right if p != member)
    index = {member: found for member, found in index.items() if found}
    longest = max((len(p) for p in index), default=0)
    return Synonyms([left + right for left, right in pairs], index, longest)


def _split(line: str, arrow: str, source: str, number: int) -> tuple[str, str]:
    left, found, right = line.partition(arrow)
    if not found or not left.strip() or not right.strip():
        raise KbError(f"{source}:{number}: expected 'words {arrow} words', got {line!r}")
    return left, right


def parse_patient_words(text: str, source: str = "patient words") -> Synonyms:
    """Parse ``patient expression, ... => article word, ...`` lines (one way)."""
    pairs = []
    for number, line in _lines(text):
        left, right = _split(line, "=>", source, number)
        pairs.append((_phrases(left, source, number, forms=True), _phrases(right, source, number)))
    return _table(pairs)


def parse_bilingual(text: str, source: str = "bilingual lexicon") -> Synonyms:
    """Parse ``english, ... = 日本語, ...`` lines (both ways: each side expands to the other)."""
    pairs = []
    for number, line in _lines(text):
        if "=>" in line:
            raise KbError(f"{source}:{number}: the bilingual lexicon joins sides with '=', not '=>'")
        left, right = _split(line, "=", source, number)
        english, japanese = _phrases(left, source, number), _phrases(right, source, number)
        pairs += [(_phrases(left, source, number, forms=True), japanese),
                  (_phrases(right, source, number, forms=True), english)]
    return _table(pairs)


def load_patient_words(path: str | Path | None = None) -> Synonyms:
    """The Japanese and English patient lexicons as one table (or the file ``path``), cached until
    a file changes."""
    if path is not None:
        return PATIENT_WORDS_FILE.load(parse_patient_words, path=path)
    return _merge(PATIENT_WORDS_FILE.load(parse_patient_words),
                  PATIENT_WORDS_EN_FILE.load(parse_patient_words))


def load_bilingual(path: str | Path | None = None) -> Synonyms:
    """The bilingual lexicon (of kb/rules.py, or the file ``path``), cached until it changes."""
    return BILINGUAL_FILE.load(parse_bilingual, path=path)


_MERGED: list[tuple[Synonyms, Synonyms, Synonyms]] = []  # (a, b, a and b as one)


def _merge(a: Synonyms, b: Synonyms) -> Synonyms:
    """Two tables as one (kept while both loaded tables are the same objects)."""
    if _MERGED and _MERGED[0][0] is a and _MERGED[0][1] is b:
        return _MERGED[0][2]
    index = {m: set(found) for m, found in a.index.items()}
    for member, found in b.index.items():
        index.setdefault(member, set()).update(found)
    merged = Synonyms(a.groups + b.groups, index, max(a.longest, b.longest))
    _MERGED[:] = [(a, b, merged)]
    return merged
