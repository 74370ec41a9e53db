"""Every editable rule file kb reads, in one registry: where it is, the variable that names
another file, its part of the index fingerprint, and a load that reads it again only when it
changed.

=====================  ==================  ============================================
file (kb/data/)        variable            read by
=====================  ==================  ============================================
normalize.txt          ``KB_NORMALIZE``    the Japanese analyzer (index terms)
roles.txt              ``KB_ROLES``        section roles (index tokens, fact structure)
cause_kinds.txt        ``KB_CAUSE_KINDS``  the kind stored with each cause fact
synonyms.txt           ``KB_SYNONYMS``     queries, and the keys stored with facts
departments.txt        (none)              English department facts
patient_words.txt      ``KB_PATIENT_WORDS``     queries: patients' Japanese words -> articles'
patient_words_en.txt   ``KB_PATIENT_WORDS_EN``  queries: patients' English words -> articles'
bilingual.txt          ``KB_BILINGUAL``         queries: English words <-> Japanese words
=====================  ==================  ============================================

The index depends on the first five, so each has a part of the fingerprint a build compares to
decide whether an index can be updated or must be built again (:func:`fingerprint`). The patient
lexicons and the bilingual lexicon are read at query time only (like the synonyms' expansions),
so they have no part of the fingerprint: an edit applies to the next search, with no rebuild.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterable, TypeVar

from .errors import KbError

T = TypeVar("T")

# A parser of a rule file: its text and the name its error messages give it, then its own
# arguments (hashable: they are part of the cache key).
Parse = Callable[..., T]


@lru_cache(maxsize=16)
def data_file(name: str) -> Path:
    """A file shipped with the package (kb/data/NAME)."""
    return Path(str(resources.files("kb") / "data" / name))


def file_fingerprint(path: Path) -> str:
    """A short hash of a file's bytes ("none" when it is missing): the index depends on it."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.exists() else "none"


@dataclass(frozen=True)
class RuleFile:
    """One editable rule file: shipped as kb/data/``name``, replaced by the file ``$variable``
    names when it is set."""

    name: str
    variable: str | None  # None: only the shipped file (no variable has ever named another)
    what: str  # what error messages call it: "role file"
    optional: bool = False  # a missing file is read as empty instead of an error
    # how long a load trusts its last look at the file (0: it looks on every call); for a file
    # asked for so often that even the look costs
    recheck_seconds: float = 0.0

    def path(self) -> Path:
        """``$variable`` when it is set, else the shipped kb/data/``name``."""
        override = os.environ.get(self.variable) if self.variable else None
        return Path(override) if override else data_file(self.name)

    def fingerprint(self) -> str:
        """This file's part of the index fingerprint: a short hash of its bytes, or "none"."""
        return file_fingerprint(self.path())

    def load(self, parse: Parse[T], *args: Any, path: str | Path | None = None) -> T:
        """``parse(text, source, *args)`` of the file (or of ``path``), cached until the file
        changes; a missing file is a :class:`KbError` naming it (an empty text when optional)."""
        return load_rule_file(Path(path) if path else self.path(), self.what, parse, *args,
                              optional=self.optional, recheck_seconds=self.recheck_seconds)


NORMALIZE_FILE = RuleFile("normalize.txt", "KB_NORMALIZE", "normalization file", optional=True)
ROLES_FILE = RuleFile("roles.txt", "KB_ROLES", "role file")
CAUSE_KINDS_FILE = RuleFile("cause_kinds.txt", "KB_CAUSE_KINDS", "cause kinds file")
# fact extraction asks for the synonyms for every fact it keys
SYNONYMS_FILE = RuleFile("synonyms.txt", "KB_SYNONYMS", "synonym file", recheck_seconds=1.0)
DEPARTMENTS_FILE = RuleFile("departments.txt", None, "department file")
# Query-time lexicons (no part of the fingerprint): read by every query, so looked at once a second.
PATIENT_WORDS_FILE = RuleFile("patient_words.txt", "KB_PATIENT_WORDS", "patient word file",
                              optional=True, recheck_seconds=1.0)
PATIENT_WORDS_EN_FILE = RuleFile("patient_words_en.txt", "KB_PATIENT_WORDS_EN",
                                 "English patient word file", optional=True, recheck_seconds=1.0)
BILINGUAL_FILE = RuleFile("bilingual.txt", "KB_BILINGUAL", "bilingual lexicon", optional=True,
                          recheck_seconds=1.0)
QUERY_RULES: tuple[RuleFile, ...] = (PATIENT_WORDS_FILE, PATIENT_WORDS_EN_FILE, BILINGUAL_FILE)

# The index fingerprint is ``{analyzer version}-{normalize}-{dictionary}`` (the analyzer's, see
# kb.analysis.analyzer_fingerprint), then one part per file of INDEX_RULES in this order. A new
# rule file goes at the end: the parts before it keep their places, so an index built before
# is built again once (its string lacks the new part), never because the others moved.
ANALYZER_RULES: tuple[RuleFile, ...] = (NORMALIZE_FILE,)
INDEX_RULES: tuple[RuleFile, ...] = (ROLES_FILE, CAUSE_KINDS_FILE, SYNONYMS_FILE, DEPARTMENTS_FILE)
RULE_FILES: tuple[RuleFile, ...] = ANALYZER_RULES + INDEX_RULES + QUERY_RULES


def fingerprint(files: Iterable[RuleFile]) -> str:
    """The fingerprint parts of ``files``, joined by "-" in their order."""
    return "-".join(f.fingerprint() for f in files)


@dataclass
class _Loaded:
    stamp: tuple[int, int]  # the file's modification time (ns) and size when it was read
    value: Any
    looked_at: float  # time.monotonic() of the last stat


# (path, parse, args) -> what parse made of the file
_LOADED: dict[tuple, _Loaded] = {}
_LOADED_KEPT = 32


def load_rule_file(path: Path, what: str, parse: Parse[T], *args: Any, optional: bool = False,
                   recheck_seconds: float = 0.0) -> T:
    """``parse(text, str(path), *args)``, read again only when the file's modification time or
    size changed (or, with ``recheck_seconds``, looked at no more often than that).

    A file that cannot be read is a :class:`KbError` naming it, or, when ``optional`` and it is
    missing, ``parse("", ...)``.
    """
    key = (str(path), parse, args)
    loaded = _LOADED.get(key)
    now = time.monotonic()
    if loaded is not None and recheck_seconds and now - loaded.looked_at < recheck_seconds:
        return loaded.value
    try:
        status = path.stat()
    except OSError as e:
        if optional and isinstance(e, FileNotFoundError):
            return parse("", str(path), *args)
        raise KbError(f"{path}: cannot read the {what} ({e.strerror or e})") from e
    stamp = (status.st_mtime_ns, status.st_size)
    if loaded is None or loaded.stamp != stamp:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as e:
            raise KbError(f"{path}: cannot read the {what} ({e.strerror or e})") from e
        loaded = _Loaded(stamp, parse(text, str(path), *args), now)
        if len(_LOADED) >= _LOADED_KEPT:
            _LOADED.clear()
        _LOADED[key] = loaded
    loaded.looked_at = now
    return loaded.value
