"""Kinds of causes: disease, lifestyle, mechanism or condition, from the cause's words.

The cue words are in an editable file (kb/data/cause_kinds.txt, the format of roles.txt).
"""

from __future__ import annotations

from pathlib import Path

from ..analysis import RoleCues, get_analyzer, parse_role_cues
from ..rules import CAUSE_KINDS_FILE

CAUSE_KINDS = ("disease", "lifestyle", "mechanism", "condition")


def load_cause_kinds(path: str | Path | None = None) -> RoleCues:
    """The cue words of each kind of cause (of the cause kinds file, kb/rules.py, when ``path``
    is None), cached until the file changes."""
    return CAUSE_KINDS_FILE.load(parse_role_cues, CAUSE_KINDS[:-1], path=path)


def cause_kind(cause: str) -> str:
    """disease, lifestyle, mechanism or condition (the default), from the cause's words."""
    cues = load_cause_kinds()
    cache = _KINDS.get(id(cues))
    if cache is None or cache[0] is not cues:  # a new object when the file changes
        _KINDS.clear()
        cache = _KINDS[id(cues)] = (cues, {})
    kind = cache[1].get(cause)
    if kind is None:
        found = cues.roles([t.term for t in get_analyzer().tokens(cause)])
        kind = cache[1][cause] = next((k for k in CAUSE_KINDS if k in found), "condition")
    return kind


_KINDS: dict[int, tuple[RoleCues, dict[str, str]]] = {}
