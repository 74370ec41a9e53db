"""Article files: bytes in, :class:`~kb.model.Article` out (front matter, sections, Q&A pairs),
with the encoding named when a file is not UTF-8.

The rest of kb uses :func:`parse_article_file` and :func:`parse_article`; the importer uses
:func:`decode_page` for pages in any encoding.
"""

from __future__ import annotations

from .encoding import UnreadablePage, decode_page
from .markdown import parse_article, parse_article_file

__all__ = [
    "UnreadablePage", "decode_page", "parse_article", "parse_article_file",
]
