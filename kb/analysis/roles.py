"""Section roles: whether a section tells a patient a cause, self-care, a department or a warning.

Clinic articles announce what a section is about in its heading (めまいの主な原因, 何科を受診すれば
よいか, すぐに救急車を呼ぶべきめまい), and the sections under such a heading share its role. The
cue words live in an editable file (kb/data/roles.txt). Roles are stored in the index as tokens
(``kbrolecause``…) in the heading column (the section's own heading) or the context column (a
heading above it), so a query asking for a role (めまい 病院) reaches sections whose headings say it
in other words (何科), through FTS5 like any term.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from ..errors import KbError
from ..model import RELATIONS
from ..rules import ROLES_FILE
from .analyzer import get_analyzer

# A section's role is the relation its facts have to the article's symptom.
ROLES = RELATIONS
TOKEN_PREFIX = "kbrole"  # FTS5's ascii tokenizer keeps letters together: kbroleselfcare


def role_token(role: str) -> str:
    """The index term that stands for a role."""
    return TOKEN_PREFIX + role.replace("_", "")


_ROLE_OF_TOKEN = {role_token(r): r for r in ROLES}


def role_of_token(term: str) -> str | None:
    """The role an index term stands for, if it is a role token."""
    return _ROLE_OF_TOKEN.get(term)


@dataclass(frozen=True)
class RoleCues:
    """The cues of each role: whole words, phrases (runs of terms) and word endings."""

    words: dict[str, frozenset[str]]  # term -> roles
    phrases: dict[tuple[str, ...], frozenset[str]]  # runs of two or more terms -> roles
    endings: tuple[tuple[str, str], ...]  # (ending, role)
    longest: int

    def roles_at(self, terms: Sequence[str]) -> list[set[str]]:
        """For each term, the roles of every cue that covers it."""
        found: list[set[str]] = [set() for _ in terms]
        for i, term in enumerate(terms):
            found[i] |= self.words.get(term, frozenset())
            for ending, role in self.endings:
                if term.endswith(ending):
                    found[i].add(role)
            for length in range(2, min(self.longest, len(terms) - i) + 1):
                roles = self.phrases.get(tuple(terms[i : i + length]))
                if roles:
                    for j in range(i, i + length):
                        found[j] |= roles
        return found

    def roles(self, terms: Sequence[str]) -> set[str]:
        """The roles a run of terms (a heading's) holds cues for."""
        return set().union(*self.roles_at(terms)) if terms else set()


def parse_role_cues(text: str, source: str = "roles", labels: Sequence[str] = ROLES) -> RoleCues:
    """Parse cue lines (``label: cue, cue, *ending``); # starts a comment line.

    The same format serves other cue files (the kinds of causes, kb/facts/cause_kinds.py):
    ``labels`` are the names a line may start with.
    """
    analyzer = get_analyzer()
    words: dict[str, set[str]] = {}
    phrases: dict[tuple[str, ...], set[str]] = {}
    endings: list[tuple[str, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        role, colon, cues = line.partition(":")
        role = role.strip()
        if not colon or role not in labels:
            raise KbError(
                f"{source}:{number}: expected 'LABEL: cue, cue', LABEL one of {', '.join(labels)}"
            )
        for cue in (c.strip() for c in cues.replace("、", ",").split(",")):
            if not cue:
                continue
            if cue.startswith("*") and len(cue) > 1:
                endings.append((cue[1:], role))
                continue
            terms = tuple(t.term for t in analyzer.tokens(cue))
            if not terms:
                raise KbError(f"{source}:{number}: {cue!r} has no word to recognise")
            if len(terms) == 1:
                words.setdefault(terms[0], set()).add(role)
            else:
                phrases.setdefault(terms, set()).add(role)
    return RoleCues(
        {k: frozenset(v) for k, v in words.items()},
        {k: frozenset(v) for k, v in phrases.items()},
        tuple(endings),
        max((len(p) for p in phrases), default=1),
    )


def load_role_cues(path: str | Path | None = None) -> RoleCues:
    """The role cues (of the role file, kb/rules.py, when ``path`` is None), cached until the
    file changes."""
    return ROLES_FILE.load(parse_role_cues, ROLES, path=path)


def tokens_of(roles: Iterable[str]) -> str:
    """Role tokens for an index column, space-separated, in a stable order."""
    return " ".join(role_token(r) for r in ROLES if r in set(roles))
