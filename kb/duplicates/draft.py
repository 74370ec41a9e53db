"""Checking a draft against the published articles before it is published: what ``kb check``
does, for a Python caller too."""

from __future__ import annotations

from pathlib import Path

from ..articles import parse_article_file
from .report import check_draft
from .units import NEAR_THRESHOLD, units_of


def check_file(path: str | Path, db_path: str | Path,
               threshold: float = NEAR_THRESHOLD) -> list[dict]:
    """Which published sections and paragraphs the article file at ``path`` repeats, in the
    index at ``db_path``: :func:`check_draft`'s list, most similar first (empty when it repeats
    nothing at ``threshold``).

    Raises :class:`kb.errors.KbError` when the draft cannot be read or parsed or the index does
    not exist (:class:`kb.errors.NoIndex`), and ``sqlite3.DatabaseError`` when the index is
    damaged.
    """
    # imported here: the index's build and writer import this package
    from ..index import open_index

    path = Path(path)
    article = parse_article_file(path, path.parent)
    with open_index(db_path) as db:
        return check_draft(db, units_of(article), threshold)
