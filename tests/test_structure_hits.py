"""Issue 15's structure-aware results, on real indexes: synonym phrases marked as a unit,
facts grouped under their section, parent sections answered by their sub-sections, and
boilerplate told apart from content shared by sister sites."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.index.build import build_index
from kb.index.store import open_db
from kb.search import parse_query, search
from kb.search.snippets import make_snippet

from helpers import write_article

PLAIN = ("[", "]")


def _build(folder: Path, articles: dict[str, tuple[str, str]]) -> Path:
    """An index of the given articles (file name: (title, body)), built serially."""
    for name, (title, body) in articles.items():
        write_article(folder / "articles", name, title, body)
    path = folder / "kb.db"
    build_index(folder / "articles", path, workers=1)
    return path


# --- synonym highlighting -------------------------------------------------------------------

def test_a_synonym_phrase_is_marked_only_where_it_stands_whole():
    query = parse_query("めまい")
    assert ("目", "回る") in query.phrases()
    marked = make_snippet("目を閉じても目が回る感じがします。", query.forms(), query.readings(),
                          marker=PLAIN, phrases=query.phrases())
    assert marked == "目を閉じても[目が回る]感じがします。"
    alone = make_snippet("目を閉じて休みましょう。", query.forms(), query.readings(),
                         marker=PLAIN, phrases=query.phrases())
    assert alone == ""


def test_a_search_hit_marks_no_lone_word_of_a_synonym_phrase(tmp_path):
    body = ("## めまいの原因\n\n目を閉じてしばらく休んでも、目が回るような感覚が続くことがあります。"
            "めまいは耳の病気でも起こります。\n")
    db = open_db(_build(tmp_path, {"memai.md": ("めまいについて", body)}))
    hits = search(db, "めまい", marker=PLAIN).hits
    assert hits
    snippet = hits[0].snippet
    assert "[目が回る]" in snippet and "[目]を" not in snippet
