"""The index: building ``kb.db`` from ``articles/`` (incremental, atomic, parallel), its schema and
writes, and the champion lists that keep common terms fast.

The rest of kb uses :func:`build_index` and :func:`open_db`.
"""

from __future__ import annotations

from .build import BuildFailed, BuildReport, build_index
from .store import open_db

__all__ = [
    "BuildFailed", "BuildReport", "build_index", "open_db",
]
