"""The index: building ``kb.db`` from ``articles/`` (incremental, atomic, parallel), its schema and
writes, and the champion lists that keep common terms fast.

The rest of kb uses :func:`build_index`, :func:`open_db` (and :func:`open_index`, the same for
a ``with`` block), :func:`index_stats`, and :class:`IndexCache` to keep what it reads from an
index until a build changes it. Its users import it from ``kb.index.cache``, which imports nothing else of kb: fact lookup can use it although the build
imports fact extraction.
"""

from __future__ import annotations

from .build import BuildFailed, BuildReport, build_index
from .cache import IndexCache, index_version
from .store import index_stats, open_db, open_index

__all__ = [
    "BuildFailed", "BuildReport", "IndexCache", "build_index", "index_stats", "index_version",
    "open_db", "open_index",
]
