"""Files kb reads and writes by name: bounded reads, safe names, whole writes, the build's lock.

- :func:`read_article_bytes` reads an article file within ``KB_MAX_ARTICLE_BYTES``, refusing
  what is not a regular file; :func:`read_limited` reads a file the user names (a page to
  import) within a size limit, and :func:`open_for_reading` never waits on a FIFO nobody writes
  to: ``/dev/zero`` stops at the limit with a message, an abandoned FIFO reads as empty.
- :func:`safe_name` and :func:`safe_relative_path` are the one check of every file name that
  comes from outside (an export's ids and paths, a page's URL or file name): a plain name, or a
  clear :class:`UnsafeName`.
- :func:`write_article_files` writes articles under an output folder (``kb import --out``):
  never through a symbolic link, never outside the folder, each file whole.
- :func:`write_output` writes the file an export is sent to (``kb export -o``): a regular file is
  replaced whole at the end, a FIFO or a device (``/dev/stdout``, ``/dev/null``) is written
  through and never replaced by a regular file.
- :func:`exclusive_lock`: one build at a time per database, through ``flock`` on a lock file
  next to it (``.kb.db.lock``); a second build waits for the first, saying so.
- :func:`durable_replace`: the finished index is synced to disk before it replaces the database,
  and the folder after, so a power loss or a crash of the machine leaves either the old index
  or the new one (what SQLite's own commit promises for a database it writes in place); a
  rename alone may reach the disk before the file's bytes do.

Every failure is a :class:`~kb.errors.KbError` naming the path (a full disk, a read-only folder).
"""

from __future__ import annotations

import errno
import fcntl
import os
import secrets
import stat
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Callable, Iterator, Sequence, TextIO, TypeVar

from .errors import InvalidArticle, KbError
from .terminal import visible

T = TypeVar("T")

MAX_NAME_BYTES = 255  # the longest file name Linux and macOS file systems take (NAME_MAX)
MAX_FOLDERS = 32  # the deepest relative path an article may be written to
# Names Windows keeps for its devices, with any extension (nul.md cannot be opened there)
_DEVICE_NAMES = {"con", "prn", "aux", "nul", *(f"com{n}" for n in range(1, 10)),
                 *(f"lpt{n}" for n in range(1, 10))}


class InputTooLarge(KbError):
    """A file to read that is larger than the limit set for it."""


class UnsafeName(KbError):
    """A name from outside that cannot be a file name under an output folder (says why)."""


class UnwritableFile(KbError):
    """A file kb will not or cannot write: it exists already (and overwriting was not asked
    for), it is a symbolic link or not a regular file, or writing it failed (names the path)."""


# --- reading -------------------------------------------------------------------------------


def byte_limit(variable: str, default: int) -> int:
    """The number of bytes the environment variable ``variable`` sets, else ``default``."""
    value = os.environ.get(variable, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) == 0:
        raise KbError(f"{variable}={value!r}: not a number of bytes (a whole number above 0)")
    return int(value)


def open_for_reading(path: Path) -> BinaryIO:
    """The file at ``path`` opened for reading (binary) without waiting for a writer: a FIFO
    nobody writes to reads as empty instead of blocking for ever; a pipe with a writer, such as
    ``<(curl ...)``, is read as it comes. OSError is the caller's to report."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_limited(path: Path, limit: int, setting: str) -> bytes:
    """The bytes of the file at ``path`` (:func:`open_for_reading`); :class:`InputTooLarge`
    (naming ``setting``, what sets the limit) when there are more than ``limit``, without
    reading further: a device that never ends (``/dev/zero``) is refused at the limit."""
    with open_for_reading(path) as f:
        info = os.fstat(f.fileno())
        if stat.S_ISREG(info.st_mode) and info.st_size > limit:
            raise InputTooLarge(_too_large(path, limit, setting))
        data = f.read(limit + 1)
    if len(data) > limit:
        raise InputTooLarge(_too_large(path, limit, setting))
    return data


def _too_large(path: Path, limit: int, setting: str) -> str:
    return (f"{path}: larger than {limit:,} bytes, the most kb reads ({setting} sets the limit); "
            "nothing read")


MAX_ARTICLE_BYTES_VARIABLE = "KB_MAX_ARTICLE_BYTES"
DEFAULT_MAX_ARTICLE_BYTES = 10_000_000  # a thousand times a long article; analysis is linear
_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))


def max_article_bytes() -> int:
    """The largest article file kb reads: ``$KB_MAX_ARTICLE_BYTES``, else 10 MB (10,000,000)."""
    return byte_limit(MAX_ARTICLE_BYTES_VARIABLE, DEFAULT_MAX_ARTICLE_BYTES)


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



# --- names ---------------------------------------------------------------------------------


def _name_problem(name: object) -> str | None:
    """Why ``name`` is not a plain file name kb may create, or None."""
    if not isinstance(name, str):
        return "is not text"
    if not name:
        return "is empty"
    if "/" in name or "\\" in name:
        return "holds a folder separator (/ or \\)"
    if name in (".", ".."):
        return "names a folder (. or ..)"
    if name.startswith("."):
        return "is hidden (starts with a dot)"
    if "\t" in name or "\n" in name or visible(name) != name:
        return "holds a control character"
    if name.endswith((".", " ")):
        return "ends with a dot or a space"
    if name.split(".")[0].strip().lower() in _DEVICE_NAMES:
        return "is a device name on Windows (CON, NUL, COM1, ...)"
    if len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        return f"is longer than {MAX_NAME_BYTES} bytes"
    return None


def safe_name(name: object) -> str:
    """``name`` when it is a plain file name, else :class:`UnsafeName` saying why.

    Plain: text, no folder separator (``/`` or ``\\``), not ``.`` or ``..``, not hidden (a
    leading dot), no control character (NUL, escapes, bidirectional overrides), no trailing dot
    or space, not a device name on Windows, at most 255 bytes in UTF-8.
    """
    problem = _name_problem(name)
    if problem:
        raise UnsafeName(f"{name!r} is not a plain file name: it {problem}")
    return name  # type: ignore[return-value]


def safe_relative_path(path: object) -> PurePosixPath:
    """``path`` (``sub/name.md``) when each of its parts is a plain file name (:func:`safe_name`)
    and it is at most ``MAX_FOLDERS`` deep, else :class:`UnsafeName`: never absolute, never
    ``..``, so it stays under the folder it is joined to."""
    if not isinstance(path, str) or not path:
        problem = "is not text" if not isinstance(path, str) else "is empty"
        raise UnsafeName(f"{path!r} is not a relative path: it {problem}")
    parts = path.split("/")
    if len(parts) > MAX_FOLDERS + 1:
        raise UnsafeName(f"{path!r} is more than {MAX_FOLDERS} folders deep")
    for part in parts:
        problem = "is absolute" if part == "" and path.startswith("/") else _name_problem(part)
        if problem:
            raise UnsafeName(f"{path!r} is not a plain relative path: "
                             f"{part!r} {problem}")
    return PurePosixPath(*parts)


# --- writing articles under a folder -------------------------------------------------------


def write_article_files(out_dir: Path, files: Sequence[tuple[PurePosixPath, str]],
                        force: bool = False) -> list[Path]:
    """Write each ``(relative path, text)`` under ``out_dir``; return the paths written.

    Every target is checked before anything is written: one that exists already (unless
    ``force``), a symbolic link, or anything but a regular file stops the whole write. Then each
    file is written whole (a temporary file renamed into place, so a full disk never leaves half
    an article), in subfolders opened without following symbolic links: a link under
    ``out_dir``, planted or not, never redirects a write. ``out_dir`` itself is the user's
    choice and may be a link. Relative paths come from :func:`safe_relative_path`.
    """
    out_dir = Path(out_dir)
    existing = [out_dir / rel for rel, _ in files if _target_exists(out_dir, rel)]
    if existing and not force:
        more = f" ({len(existing)} of the articles do)" if len(files) > 1 else ""
        raise UnwritableFile(f"{existing[0]}: exists already{more}; "
                             f"use --force to overwrite {'them' if more else 'it'}")
    written = []
    for rel, text in files:
        target = out_dir / rel
        folder = _folder_of(out_dir, rel, create=True)
        try:
            _write_whole(folder, rel.name, lambda out, text=text: out.write(text), force, target)
        except OSError as e:
            raise UnwritableFile(_write_error(target, e)) from e
        finally:
            os.close(folder)  # type: ignore[arg-type]
        written.append(target)
    return written


def _target_exists(out_dir: Path, rel: PurePosixPath) -> bool:
    """Whether the article file exists (a regular file); a link or a special file in its
    place, or on the way to it, is an :class:`UnwritableFile`. Nothing is created."""
    folder = _folder_of(out_dir, rel, create=False)
    if folder is None:
        return False
    target = out_dir / rel
    try:
        info = os.stat(rel.name, dir_fd=folder, follow_symlinks=False)
    except FileNotFoundError:
        return False
    except OSError as e:
        raise UnwritableFile(_write_error(target, e)) from e
    finally:
        os.close(folder)
    _check_replaceable(info, target)
    return True


_FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC


def _folder_of(out_dir: Path, rel: PurePosixPath, create: bool) -> int | None:
    """The folder ``rel`` goes in, open (the caller closes it): ``out_dir`` (followed, it is the
    user's choice), then each subfolder opened without following a link, and created when
    ``create``; None when a folder is missing and not created."""
    shown = out_dir
    try:
        if create:
            out_dir.mkdir(parents=True, exist_ok=True)
        folder = os.open(out_dir, _FOLDER_FLAGS)
    except FileNotFoundError as e:
        if not create:
            return None
        raise UnwritableFile(_write_error(out_dir, e)) from e
    except OSError as e:
        raise UnwritableFile(_write_error(out_dir, e)) from e
    try:
        for part in rel.parts[:-1]:
            shown = shown / part
            if create:
                try:
                    os.mkdir(part, dir_fd=folder)
                except FileExistsError:
                    pass
            inner = os.open(part, _FOLDER_FLAGS | os.O_NOFOLLOW, dir_fd=folder)
            os.close(folder)
            folder = inner
    except FileNotFoundError as e:
        os.close(folder)
        if create:
            raise UnwritableFile(_write_error(shown, e)) from e
        return None
    except OSError as e:
        problem = _not_a_folder(folder, shown.name) if e.errno in (errno.ENOTDIR, errno.ELOOP) else ""
        os.close(folder)
        raise UnwritableFile(f"{shown}: {problem}" if problem else _write_error(shown, e)) from e
    return folder


def _not_a_folder(parent: int, name: str) -> str:
    """Why ``name`` in the folder ``parent`` could not be opened as a folder."""
    try:
        is_link = stat.S_ISLNK(os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode)
    except OSError:
        is_link = False
    return LINK_REFUSED if is_link else "is not a folder"


LINK_REFUSED = "is a symbolic link; kb writes no file through a link"


def _check_replaceable(info: os.stat_result, path: Path) -> None:
    if stat.S_ISLNK(info.st_mode):
        raise UnwritableFile(f"{path}: {LINK_REFUSED}")
    if not stat.S_ISREG(info.st_mode):
        raise UnwritableFile(f"{path}: is not a regular file; kb does not replace it")


def _write_error(path: Path, error: OSError) -> str:
    if error.errno == errno.ENOTDIR:
        return f"{path}: a part of this path is not a folder"
    return f"{path}: cannot be written: {error.strerror or error}"


def _write_whole(folder: int, name: str, write: Callable[[TextIO], T], replace: bool,
                 shown: Path) -> T:
    """Write the file ``name`` in the folder ``folder`` whole: into a new temporary file, synced,
    then renamed over it (``replace``) or linked to its name (which fails if it exists). A
    failed write leaves the old file, if any, as it was, and no temporary file."""
    temporary, fd = _temporary_file(folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            result = write(out)
            out.flush()
            os.fsync(out.fileno())
        try:
            old = os.stat(name, dir_fd=folder, follow_symlinks=False)
        except FileNotFoundError:
            old = None
        if old is not None and not replace:
            raise UnwritableFile(f"{shown}: exists already; use --force to overwrite it")
        if old is not None:
            _check_replaceable(old, shown)
            os.chmod(temporary, stat.S_IMODE(old.st_mode), dir_fd=folder)
            os.rename(temporary, name, src_dir_fd=folder, dst_dir_fd=folder)
        else:
            _link_new(folder, temporary, name)
        temporary = ""
        return result
    finally:
        if temporary:
            try:
                os.unlink(temporary, dir_fd=folder)
            except OSError:
                pass  # the error being raised says what went wrong


def _link_new(folder: int, temporary: str, name: str) -> None:
    """Give the temporary file its name, failing if something took the name meanwhile."""
    try:
        os.link(temporary, name, src_dir_fd=folder, dst_dir_fd=folder, follow_symlinks=False)
    except OSError as e:
        if e.errno == errno.EEXIST:
            raise
        # a file system without hard links: the name was free a moment ago
        os.rename(temporary, name, src_dir_fd=folder, dst_dir_fd=folder)
        return
    os.unlink(temporary, dir_fd=folder)


def _temporary_file(folder: int) -> tuple[str, int]:
    """A new file in ``folder`` under a random hidden name, opened for writing; made with
    O_EXCL, so no file or link of that name can be there first. Its mode follows the umask."""
    for _ in range(100):
        name = f".kb-{secrets.token_hex(8)}.tmp"
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
            return name, os.open(name, flags, 0o666, dir_fd=folder)
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary file name")


# --- writing an output file by name --------------------------------------------------------


def write_output(path: Path, write: Callable[[TextIO], T]) -> T:
    """Call ``write`` with a UTF-8 text stream to the file at ``path``; return its result.

    A regular file, new or existing, also where a symbolic link leads, is written whole: into a
    temporary file in its folder, synced, renamed over it at the end, keeping its mode, so a
    failed write (a full disk) leaves the old file as it was. Anything else the path names is
    written through, as the shell's ``>`` would: a FIFO, a terminal, a device (``/dev/null``),
    ``/dev/stdout`` when it is a pipe. A special file is never replaced by a regular one.
    """
    path = Path(path)
    try:
        target, whole = _output_target(path)
        if not whole:
            with open(target, "w", encoding="utf-8", newline="") as out:
                return write(out)
        folder = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            return _write_whole(folder, target.name, write, True, path)
        finally:
            os.close(folder)
    except OSError as e:
        raise UnwritableFile(_write_error(path, e)) from e


def _output_target(path: Path) -> tuple[Path, bool]:
    """Where to write for ``path`` and whether to write it whole (a regular file or a new one,
    at its real place when ``path`` is a link) or through (anything else)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return Path(os.path.realpath(path)), True
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, "is a folder")
    if not stat.S_ISREG(info.st_mode):
        return path, False
    real = Path(os.path.realpath(path))
    try:  # a link the kernel resolves by itself (/proc/self/fd/1) has no real path to replace
        same = os.path.samestat(os.stat(real), info)
    except OSError:
        same = False
    return (real, True) if same else (path, False)


# --- the build's lock and its durable replace of the index --------------------------------


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


__all__ = ["InputTooLarge", "UnsafeName", "UnwritableFile", "byte_limit", "durable_replace",
           "exclusive_lock", "lock_path", "max_article_bytes", "open_for_reading",
           "read_article_bytes", "read_limited", "safe_name", "safe_relative_path",
           "write_article_files", "write_output"]
