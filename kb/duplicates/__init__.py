"""Duplicate detection: sections and paragraphs as units, MinHash signatures and LSH, exact and
near matches, clusters (boilerplate included), kept in the index incrementally.

The engine, for the index build: the duplicate tables (:func:`create_tables`), signing the
units of the sections a build writes (:func:`sign_sections`, :func:`store_signatures`),
forgetting an article (:func:`delete_article`), finding and grouping the matches
(:func:`update_duplicates`) and classing the clusters again for a new boilerplate setting
(:func:`classify_again`, :func:`boilerplate_setting`).

The report (kb/duplicates/report.py), for the command, the web pages and the export: every read
of the duplicate tables — the list (:func:`list_duplicates`), a draft's repeats
(:func:`check_draft` of :func:`units_of`), the pages' pairs and groups (:func:`pairs_page`,
:func:`groups_page`, :func:`matches_by_section`) and an article's matches as exported
(:func:`article_duplicates`). :func:`check_file` (kb/duplicates/draft.py) checks a draft's file
against an index, as ``kb check`` does.
"""

from __future__ import annotations

from .clustering import boilerplate_setting, classify_again
from .draft import check_file
from .engine import create_tables, delete_article, update_duplicates
from .report import (
    article_duplicates, check_draft, groups_page, list_duplicates, matches_by_section, pairs_page,
)
from .signing import SignedUnits, sign_sections, store_signatures
from .units import BOILERPLATE_ARTICLES, units_of

__all__ = [
    "BOILERPLATE_ARTICLES", "SignedUnits", "article_duplicates", "boilerplate_setting",
    "check_draft", "check_file", "classify_again", "create_tables", "delete_article", "groups_page",
    "list_duplicates", "matches_by_section", "pairs_page", "sign_sections", "store_signatures",
    "units_of", "update_duplicates",
]
