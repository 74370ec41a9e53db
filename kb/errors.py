"""Exceptions kb raises, named for the condition. The CLI turns them into clear messages.

Every kb exception survives pickling with its class, message and attributes whatever its
constructor takes: a build analyzes articles in worker processes, and an error raised there is
sent to the process that writes the index (see :meth:`KbError.__reduce__`).
"""

from __future__ import annotations

from typing import Any


class KbError(Exception):
    """Base class of every error kb reports to its user."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception's own pickling calls ``cls(*self.args)``, which fails for any subclass whose
        # constructor takes other arguments than its message (InvalidArticle(path, message,
        # line)); rebuilding from the args and the attributes, without calling __init__, fits all.
        return _rebuild, (type(self), self.args, self.__dict__)


def _rebuild(cls: type[KbError], args: tuple[Any, ...], state: dict[str, Any]) -> KbError:
    """A pickled :class:`KbError` again: same class, args and attributes."""
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class InvalidArticle(KbError):
    """An article file that cannot be read: names the file and, where known, the line."""

    def __init__(self, path: str, message: str, line: int | None = None):
        self.path = path
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


class DuplicateArticleId(InvalidArticle):
    """Two article files that resolve to the same article id."""


class AnalysisFailed(InvalidArticle):
    """Analyzing an article raised an unexpected error (a fault in kb, or no memory left): the
    message names the file and the error, so the article can be reported or set aside."""


class NoIndex(KbError):
    """The database file is missing or was not built by kb."""


class TextTooLong(KbError, OverflowError):
    """A text longer than a function accepts. An OverflowError too, so that SQLite reports it
    from a SQL function as its own "string or blob too big"."""


class StatementTooLong(KbError):
    """A SQL statement that ran past its time limit (see kb/web/sql_functions.py)."""
