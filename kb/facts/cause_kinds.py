"""Kinds of causes: disease, lifestyle, mechanism or condition, from the cause's words.

The cue words are in an editable file (kb/data/cause_kinds.txt, the format of roles.txt).
"""

from __future__ import annotations

from pathlib import Path

from ..analysis import get_analyzer
from ..rules import rule_file
from ..analysis import RoleCues, load_cues

CAUSE_KINDS = ("disease", "lifestyle", "mechanism", "condition")


def cause_kinds_path() -> Path:
    """``$KB_CAUSE_KINDS`` when set, else kb/data/cause_kinds.txt shipped with the package."""
    return rule_file("KB_CAUSE_KINDS", "cause_kinds.txt")


def load_cause_kinds() -> RoleCues:
    """The cue words of each kind of cause."""
    return load_cues(cause_kinds_path(), CAUSE_KINDS[:-1], "cause kinds file")


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
