"""Files a build touches: article files read within bounds, a lock per database, and a durable
replace of the database.

- :func:`read_article_bytes`: an article file's bytes, refusing what is not a regular file (a
  FIFO would block for ever, ``/dev/zero`` never ends) and what is larger than
  ``KB_MAX_ARTICLE_BYTES`` (10 MB unless set), without ever reading more than that;
- :func:`exclusive_lock`: one build at a time per database, through ``flock`` on a lock file
  next to it (``.kb.db.lock``); a second build waits for the first, saying so.
- :func:`durable_replace`: the finished file is synced to disk before it replaces the database,
  and the folder after, so a power loss or a crash of the machine leaves either the old index
  or the new one (what SQLite's own commit promises for a database it writes in place); a
  rename alone may reach the disk before the file's bytes do.
"""

from __future__ import annotations

import fcntl
import os
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from .errors import InvalidArticle, KbError

MAX_ARTICLE_BYTES_VARIABLE = "KB_MAX_ARTICLE_BYTES"
DEFAULT_MAX_ARTICLE_BYTES = 10_000_000  # a thousand times a long article; analysis is linear
_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))


def max_article_bytes() -> int:
    """The largest article file kb reads: ``$KB_MAX_ARTICLE_BYTES``, else 10 MB (10,000,000)."""
    value = os.environ.get(MAX_ARTICLE_BYTES_VARIABLE)
    if not value:
        return DEFAULT_MAX_ARTICLE_BYTES
    try:
        limit = int(value.replace("_", ""))
    except ValueError:
        limit = 0
    if limit <= 0:
        raise KbError(f"{MAX_ARTICLE_BYTES_VARIABLE}={value!r}: give the largest article size "
                      "in bytes, a positive whole number")
    return limit


def read_article_bytes(path: Path, limit: int | None = None) -> bytes:
    """The bytes of an article file, at most ``limit`` (default :func:`max_article_bytes`).

    Raises :class:`InvalidArticle` naming the file when it cannot be read, is not a regular
    file (a FIFO, a device such as ``/dev/zero``, also behind a symlink) or is larger than the
    limit. The file is opened without blocking and never read past the limit.
    """
    limit = max_article_bytes() if limit is None else limit
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as e:
        raise InvalidArticle(str(path), f"cannot be read: {e.strerror or e}") from e
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            kind = next((name for test, name in _KINDS if test(status.st_mode)), "special")
            raise InvalidArticle(str(path), f"is {kind}, not a regular file (an article is a text file)")
        # a file that says it is too large is not read; one that grows is read up to the limit
        data = _read_up_to(fd, status.st_size, limit) if status.st_size <= limit else None
    except OSError as e:
        raise InvalidArticle(str(path), f"cannot be read: {e.strerror or e}") from e
    finally:
        os.close(fd)
    if data is None or len(data) > limit:
        raise InvalidArticle(str(path), f"is larger than {limit:,} bytes, the limit for an article "
                             f"(set {MAX_ARTICLE_BYTES_VARIABLE} to allow more)")
    return data


def _read_up_to(fd: int, size: int, limit: int) -> bytes:
    """A file's bytes to its end or to one past ``limit``: one read for a file of the ``size``
    it had when opened (and one more that finds its end)."""
    parts = [os.read(fd, size + 1)]
    total = len(parts[0])
    while parts[-1] and total <= limit:
        parts.append(os.read(fd, min(1 << 20, limit + 1 - total)))
        total += len(parts[-1])
    return parts[0] if len(parts) == 2 and not parts[1] else b"".join(parts)


_held_locks: set[int] = set()  # descriptors of the locks this process holds


def _forget_locks_in_child() -> None:
    """In a forked child: close its copies of the parent's lock descriptors. An ``flock`` lives
    as long as any copy of its descriptor, so a child that outlived a killed parent (an analysis
    worker) would otherwise keep the database locked; the parent's lock itself is unaffected."""
    for fd in _held_locks:
        try:
            os.close(fd)
        except OSError:
            pass
    _held_locks.clear()


os.register_at_fork(after_in_child=_forget_locks_in_child)


def lock_path(db_path: Path) -> Path:
    """The lock file of a database: ``.NAME.lock`` in the same folder (kept between builds)."""
    return db_path.with_name(f".{db_path.name}.lock")


@contextmanager
def exclusive_lock(path: Path, waiting: Callable[[int | None], None] | None = None) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created if need be) for the ``with`` block.

    Raises :class:`KbError` naming the folder when the file cannot be created there. When
    another process holds it, ``waiting`` is called with that process's id (None when it
    cannot be read) and this one waits until the lock is free. The lock goes with the process:
    a killed holder frees it, and nothing is left to clean up (processes it forked do not
    inherit it).
    """
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as e:
        raise KbError(f"{path.parent}: cannot write in this folder ({e.strerror or e}); a build "
                      f"writes its lock file {path.name} and the new index there") from e
    _held_locks.add(fd)
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
        _held_locks.discard(fd)
        os.close(fd)  # releases the lock


def _holder(fd: int) -> int | None:
    """The process id written in a lock file by its holder, if it is there yet."""
    text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else None


def durable_replace(source: Path, target: Path) -> None:
    """Rename ``source`` over ``target`` so that, whatever happens to the machine, ``target`` is
    the old file or the whole new one: ``source``'s bytes are on disk before the rename, and the
    rename itself is on disk (the folder synced) before this returns."""
    sync_file(source)
    os.replace(source, target)
    sync_folder(target.parent)


def sync_file(path: Path) -> None:
    """Wait until a file's bytes are on disk (``fsync``)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_folder(folder: Path) -> None:
    """Wait until a folder's entries (a rename into it) are on disk."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
