"""Files a build touches: a lock per database, and a durable replace of the database.

- :func:`exclusive_lock`: one build at a time per database, through ``flock`` on a lock file
  next to it (``.kb.db.lock``); a second build waits for the first, saying so.
- :func:`durable_replace`: the finished file is synced to disk before it replaces the database,
  and the folder after, so a power loss leaves either the old index or the new one (what
  SQLite's own commit promises for a database it writes in place).
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator


def lock_path(db_path: Path) -> Path:
    """The lock file of a database: ``.NAME.lock`` in the same folder (kept between builds)."""
    return db_path.with_name(f".{db_path.name}.lock")


@contextmanager
def exclusive_lock(path: Path, waiting: Callable[[int | None], None] | None = None) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created if need be) for the ``with`` block.

    When another process holds it, ``waiting`` is called with that process's id (None when it
    cannot be read) and this one waits until the lock is free. The lock goes with the process:
    a killed holder frees it, and nothing is left to clean up.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting is not None:
                waiting(_holder(fd))
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)  # who holds it, for the message of the next one who waits
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def _holder(fd: int) -> int | None:
    """The process id written in a lock file by its holder, if it is there yet."""
    text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else None
