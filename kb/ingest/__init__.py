"""Importing pages: scraped text and HTML pages become Markdown articles (the article found amid
the page's chrome, its title, headings and metadata), and an export becomes articles again.

The CLI uses :func:`import_file`, :func:`write_imported` and :func:`write_from_export`.
"""

from __future__ import annotations

from .from_export import write_from_export
from .importer import ImportedPage, NoArticle, import_file, read_page, write_imported

__all__ = [
    "ImportedPage", "NoArticle", "import_file", "read_page", "write_from_export", "write_imported",
]
