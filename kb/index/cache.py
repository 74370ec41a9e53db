"""Values computed from an index, kept until the index changes.

A build always writes a new file (it replaces kb.db whole, or updates it in place), so the
database file's path and modification time name one state of the index: what was read from that
state (document frequencies, symptom keys, a symptom panel) is kept under it and read again only
once a build has changed the file. A database in memory has no such name and is never cached.
"""

from __future__ import annotations

import os
from typing import Callable, Hashable, TypeVar

import sqlite_utils

T = TypeVar("T")
_MISSING = object()


def index_version(db: sqlite_utils.Database) -> tuple[str, int] | None:
    """(path, modification time) of a database's file, which a build always changes; None for a
    database in memory or a file that cannot be looked at."""
    path = db.execute("pragma database_list").fetchone()[2] or ""
    try:
        return (path, os.stat(path).st_mtime_ns) if path else None
    except OSError:
        return None


class IndexCache:
    """Values computed from an index, each under the index's version and a key of the caller's.

    Once more than ``limit`` values are kept they are all let go (old versions' values are
    never asked for again, and a bound keeps a long-running server's memory flat).
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._values: dict[tuple, object] = {}

    def get(self, db: sqlite_utils.Database, key: Hashable, compute: Callable[[], T]) -> T:
        """The value kept for ``key`` in this version of ``db``'s index, computed when missing
        (and every time for a database in memory)."""
        version = index_version(db)
        if version is None:
            return compute()
        full_key = (version, key)
        value = self._values.get(full_key, _MISSING)
        if value is _MISSING:
            value = compute()
            if len(self._values) > self.limit:
                self._values.clear()
            self._values[full_key] = value
        return value  # type: ignore[return-value]
