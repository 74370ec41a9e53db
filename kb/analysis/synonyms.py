"""The synonym file: groups of words and phrases that mean the same to a patient.

Synonyms are applied to queries, not to the index, so editors can extend the file and search uses
it at once, without a rebuild. Members are analyzed like any text, so one spelling covers its
inflections and scripts.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ..errors import KbError
from ..rules import SYNONYMS_FILE
from .analyzer import get_analyzer

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

    @cached_property
    def phrase_starts(self) -> frozenset[str]:
        """The first terms of the members of two or more terms: a query looks for a phrase
        only where one of them stands (most words start none)."""
        return frozenset(member[0] for member in self.index if len(member) > 1)


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
    """The synonym groups (of the synonym file, kb/rules.py, when ``path`` is None), cached until
    the file changes."""
    return SYNONYMS_FILE.load(parse_synonyms, path=path)
