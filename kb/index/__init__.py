"""The index: building ``kb.db`` from ``articles/`` (incremental, atomic, parallel), its schema and
writes, and the champion lists that keep common terms fast.

The rest of kb uses :func:`build_index` and :func:`open_db`, and :class:`IndexCache` to keep
what it reads from an index until a build changes it. Its users import it from
``kb.index.cache``, which imports nothing else of kb: fact lookup can use it although the build
imports fact extraction.
"""

from __future__ import annotations

from .build import BuildFailed, BuildReport, build_index
from .cache import IndexCache, index_version
from .store import open_db

__all__ = [
    "BuildFailed", "BuildReport", "IndexCache", "build_index", "index_version", "open_db",
]
