"""Exceptions kb raises, named for the condition. The CLI turns them into clear messages."""

from __future__ import annotations


class KbError(Exception):
    """Base class of every error kb reports to its user."""


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


class NoIndex(KbError):
    """The database file is missing or was not built by kb."""


class TextTooLong(KbError, OverflowError):
    """A text longer than a function accepts. An OverflowError too, so that SQLite reports it
    from a SQL function as its own "string or blob too big"."""


class StatementTooLong(KbError):
    """A SQL statement that ran past its time limit (see kb/sql_functions.py)."""
