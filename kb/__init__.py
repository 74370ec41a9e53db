"""kb: a Japanese-first, multilingual knowledge base of health articles.

Markdown articles are parsed into sections and Q&A pairs, analyzed with SudachiPy (Japanese) and
a Snowball stemmer (English), stored in SQLite with FTS5, and searched from Python, the ``kb``
command or Datasette.
"""

from .analysis import Analyzer, Token, get_analyzer
from .articles import parse_article, parse_article_file
from .errors import DuplicateArticleId, InvalidArticle, KbError, NoIndex
from .export import ExportFilter, export_schema, iter_articles, write_export
from .index import BuildFailed, BuildReport, build_index, open_db
from .ingest import ImportedPage, NoArticle, import_file, read_page
from .model import QA, Article, Fact, Section
from .search import Hit, SearchResult, search

__all__ = [
    "Analyzer", "Article", "BuildFailed", "BuildReport", "DuplicateArticleId", "ExportFilter",
    "Fact", "Hit", "ImportedPage", "InvalidArticle", "KbError", "NoArticle", "NoIndex", "QA",
    "SearchResult", "Section", "Token", "build_index", "export_schema", "get_analyzer",
    "import_file", "iter_articles", "open_db", "parse_article", "parse_article_file", "read_page",
    "search", "write_export",
]
