"""kb: a Japanese-first, multilingual knowledge base of health articles.

Markdown articles are parsed into sections and Q&A pairs, analyzed with SudachiPy (Japanese) and
a Snowball stemmer (English), stored in SQLite with FTS5, and searched from Python, the ``kb``
command or Datasette.
"""

from .analysis import Analyzer, Token, get_analyzer
from .build import BuildFailed, BuildReport, build_index
from .errors import DuplicateArticleId, InvalidArticle, KbError, NoIndex
from .markdown import parse_article, parse_article_file
from .model import QA, Article, Fact, Section
from .search import Hit, SearchResult, search
from .store import open_db

__all__ = [
    "Analyzer", "Article", "BuildFailed", "BuildReport", "DuplicateArticleId", "Fact", "Hit",
    "InvalidArticle", "KbError", "NoIndex", "QA", "SearchResult", "Section", "Token",
    "build_index", "get_analyzer", "open_db", "parse_article", "parse_article_file", "search",
]
