"""Where kb's editable rule files are: shipped in kb/data/, or another file named by a variable."""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path


@lru_cache(maxsize=16)
def data_file(name: str) -> Path:
    """A file shipped with the package (kb/data/NAME)."""
    return Path(str(resources.files("kb") / "data" / name))


def file_fingerprint(path: Path) -> str:
    """A short hash of a file's bytes ("none" when it is missing): the index depends on it."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.exists() else "none"


def rule_file(variable: str, name: str) -> Path:
    """``$VARIABLE`` when it is set, else the shipped kb/data/NAME."""
    override = os.environ.get(variable)
    return Path(override) if override else data_file(name)
