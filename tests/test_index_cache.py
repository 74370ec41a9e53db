"""What search, fact lookup and the web keep from an index lasts until a build changes the file."""

from __future__ import annotations

import os

import sqlite_utils

from kb.index.cache import IndexCache, index_version


def test_a_value_is_kept_until_the_index_file_changes(tmp_path):
    path = tmp_path / "kb.db"
    db = sqlite_utils.Database(path)
    db["t"].insert({"x": 1})
    cache = IndexCache(limit=8)
    calls = []

    def compute() -> list[int]:
        calls.append(1)
        return [len(calls)]

    first = cache.get(db, "key", compute)
    assert cache.get(db, "key", compute) is first and len(calls) == 1
    assert cache.get(db, "other key", compute) == [2]
    stamp = path.stat().st_mtime_ns + 1_000_000  # as a build leaves it
    os.utime(path, ns=(stamp, stamp))
    assert index_version(db) == (str(path), stamp)
    assert cache.get(db, "key", compute) == [3]
    db.close()


def test_a_database_in_memory_is_never_cached():
    db = sqlite_utils.Database(memory=True)
    assert index_version(db) is None
    cache = IndexCache(limit=8)
    assert cache.get(db, "key", list) is not cache.get(db, "key", list)


def test_past_its_limit_the_cache_starts_again(tmp_path):
    db = sqlite_utils.Database(tmp_path / "kb.db")
    db["t"].insert({"x": 1})
    cache = IndexCache(limit=2)
    kept = [cache.get(db, n, list) for n in range(3)]
    assert cache.get(db, 2, list) is kept[2]
    cache.get(db, 3, list)  # a fourth value: the first three are let go
    assert cache.get(db, 0, list) is not kept[0]
