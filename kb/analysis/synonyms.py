"""The synonym file: groups of words and phrases that mean the same to a patient.

Synonyms are applied to queries, not to the index, so editors can extend the file and search uses
it at once, without a rebuild. Members are analyzed like any text, so one spelling covers its
inflections and scripts.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .analyzer import get_analyzer
from ..errors import KbError
from ..rules import rule_file

Phrase = tuple[str, ...]  # the primary terms of a word or phrase, in order


@dataclass
class Synonyms:
    """Maps each member (as its terms) to the other members of its groups."""

    groups: list[list[Phrase]]
    index: dict[Phrase, set[Phrase]]
    longest: int

    def expansions(self, phrase: Phrase) -> set[Phrase]:
        """The other members of every group ``phrase`` belongs to."""
        return self.index.get(phrase, set())


def default_synonyms_path() -> Path:
    """``$KB_SYNONYMS`` when set, else the file shipped with the package (kb/data/synonyms.txt)."""
    return rule_file("KB_SYNONYMS", "synonyms.txt")


def parse_synonyms(text: str, source: str = "synonyms") -> Synonyms:
    """Parse synonym groups: one a line, members separated by commas, # for comments."""
    analyzer = get_analyzer()
    groups: list[list[Phrase]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip() if not line.lstrip().startswith("#") else ""
        if not line:
            continue
        members = [m.strip() for m in line.replace("、", ",").replace("，", ",").split(",")]
        phrases = []
        for member in filter(None, members):
            terms = tuple(t.term for t in analyzer.tokens(member))
            if not terms:
                raise KbError(f"{source}:{number}: {member!r} has no word to search for")
            phrases.append(terms)
        if len(set(phrases)) > 1:
            groups.append(list(dict.fromkeys(phrases)))
    index: dict[Phrase, set[Phrase]] = {}
    for group in groups:
        for member in group:
            index.setdefault(member, set()).update(m for m in group if m != member)
    longest = max((len(p) for p in index), default=0)
    return Synonyms(groups, index, longest)


def load_synonyms(path: str | Path | None = None) -> Synonyms:
    """Load a synonym file (the default one when ``path`` is None); cached until it changes."""
    key = str(path) if path else os.environ.get("KB_SYNONYMS", "")
    seen = _LAST_CHECK.get(key)
    now = time.monotonic()
    if seen is not None and now - seen[0] < _RECHECK_SECONDS:
        return seen[1]  # checked for changes under a second ago (fact extraction asks often)
    path = Path(path) if path else default_synonyms_path()
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as e:
        raise KbError(f"{path}: cannot read the synonym file ({e.strerror or e})") from e
    synonyms = _load(str(path), mtime)
    _LAST_CHECK[key] = (now, synonyms)
    return synonyms


_RECHECK_SECONDS = 1.0
_LAST_CHECK: dict[str, tuple[float, Synonyms]] = {}


@lru_cache(maxsize=8)
def _load(path: str, mtime: int) -> Synonyms:
    return parse_synonyms(Path(path).read_text(encoding="utf-8"), path)
