"""Duplicate detection: sections and paragraphs as units, MinHash signatures and LSH, exact and
near matches, clusters (boilerplate included), kept in the index incrementally.

The build calls :func:`update_duplicates` (the engine); every read of the duplicate tables (the
list, one article's duplicates, a draft's repeats, the web pages, the export) goes through the
functions exported here.
"""

from __future__ import annotations

from .clustering import boilerplate_setting
from .engine import check_draft, duplicate_sides, list_duplicates, match_filters
from .units import BOILERPLATE_ARTICLES, units_of

__all__ = [
    "BOILERPLATE_ARTICLES", "boilerplate_setting", "check_draft", "duplicate_sides",
    "list_duplicates", "match_filters", "units_of",
]
