"""Query syntax, the synonym file and the normalization file, against a real index."""

from __future__ import annotations

import json

import pytest

from kb.analysis import analyzer_fingerprint, get_analyzer
from kb.index import build_index
from kb.cli import cli
from kb.errors import KbError
from kb.search import MAX_QUERY_CHARS, parse_query
from kb.search import search
from kb.analysis.synonyms import parse_synonyms

from helpers import build_after_rule_change, write_article


def headings(db, query: str, **kw) -> list[str]:
    kw.setdefault("limit", 50)
    return [h.heading for h in search(db, query, **kw).hits]


def texts(db, query: str, **kw) -> list[str]:
    return [h.heading + "\n" + h.text for h in search(db, query, limit=50, **kw).hits]


def test_a_quoted_phrase_must_stand_together(session_db):
    phrase = texts(session_db, '"交感神経が過剰"')
    loose = texts(session_db, "交感神経 過剰")
    assert phrase and len(phrase) < len(loose)
    analyzer = get_analyzer()
    for text in phrase:  # 交感神経 then 過剰 as neighbours (particles in between are dropped)
        terms = analyzer.terms(text)
        pairs = list(zip(terms, terms[1:]))
        assert any(a == "交感" or a == "神経" for a, _ in pairs)
        assert any(b == "過剰" and a in ("神経", "交感神経") for a, b in pairs)


@pytest.mark.parametrize("query, excluded", [("めまい -耳", "耳"), ("背中 -ストレス", "ストレス")])
def test_minus_excludes_a_word(session_db, query, excluded):
    without = texts(session_db, query)
    # counted in full: with the lexicons a common word matches more than a page of 50
    totals = [search(session_db, text).total for text in (query, query.split(" -")[0])]
    assert without and totals[0] < totals[1]
    analyzer = get_analyzer()
    for text in without:  # the word, in any of its forms, is in none of them
        forms = {f for t in analyzer.tokens(text) for f in (*t.forms(), *t.parts)}
        assert excluded not in forms


def test_or_joins_two_words_into_one(session_db):
    everything = {"limit": 1000}  # every match, not a page: the sets must nest
    either = set(headings(session_db, "めまい OR 痺れ", **everything))
    assert set(headings(session_db, "めまい", **everything)) <= either
    assert set(headings(session_db, "痺れ", **everything)) <= either
    assert len(parse_query("めまい OR 痺れ").groups) == 1


@pytest.mark.parametrize(
    "query", ['"', '"unclosed', "-", "--", "OR", "OR OR", "- OR -", '"" -"" OR', "「", "」",
              "NEAR(a b)", "a:b", "*", "^x", "(", ")", "背中 AND 熱い NOT 首"],
)
def test_syntax_characters_alone_or_misplaced_are_harmless(session_db, query):
    result = search(session_db, query)
    assert isinstance(result.hits, list)


def test_a_long_query_is_cut_and_says_so(session_db):
    query = "背中が熱い " * 800
    result = search(session_db, query)
    assert result.truncated and len(query) > MAX_QUERY_CHARS
    assert result.hits  # the part that was kept still searches
    assert result.to_dict()["truncated"] is True


def test_the_cli_says_when_a_query_was_cut(runner, built_db):
    result = runner.invoke(cli, ["search", "首 " * 900, "--db", str(built_db)])
    assert result.exit_code == 0
    assert "cut" in result.output


# --- synonyms --------------------------------------------------------------------------------


def test_a_synonym_finds_what_the_other_word_says(session_db):
    # うなじ appears in no article; 首の後ろ does
    assert "うなじ" not in " ".join(texts(session_db, "首の後ろ"))
    found = texts(session_db, "うなじ")
    assert found and any("首の後ろ" in t for t in found)


def test_the_word_typed_ranks_above_its_synonym(tmp_path):
    folder = tmp_path / "articles"
    write_article(folder, "a.md", title="記事A", body="## 見出しA\n\n首の後ろが熱いと感じることがあります。\n")
    write_article(folder, "b.md", title="記事B", body="## 見出しB\n\nうなじが熱いと感じることがあります。\n")
    db_path = tmp_path / "kb.db"
    build_index(folder, db_path)
    from kb.index import open_db

    db = open_db(db_path)
    try:
        assert [h.article_id for h in search(db, "うなじ").hits] == ["b", "a"]
        assert [h.article_id for h in search(db, "首の後ろ").hits] == ["a", "b"]
    finally:
        db.close()


def test_an_edited_synonym_file_is_used_at_once(tmp_path, monkeypatch, session_db):
    assert not search(session_db, "ぬくぬく").hits
    synonyms = tmp_path / "synonyms.txt"
    synonyms.write_text("# test\nぬくぬく, ホットフラッシュ\n", encoding="utf-8")
    monkeypatch.setenv("KB_SYNONYMS", str(synonyms))
    found = texts(session_db, "ぬくぬく")
    assert found and any("ホットフラッシュ" in t for t in found)


def test_synonym_members_are_analyzed_like_text():
    synonyms = parse_synonyms("しびれ, ジンジン\n")
    assert synonyms.expansions(("痺れ",)) == {tuple(t.term for t in get_analyzer().tokens("ジンジン"))}


def test_a_synonym_member_with_no_word_is_an_error_naming_the_line(tmp_path):
    with pytest.raises(KbError) as info:
        parse_synonyms("首, うなじ\n\nを, の\n", "synonyms.txt")
    assert "synonyms.txt:3" in str(info.value)


def test_a_changed_synonym_file_rebuilds_the_facts_keys(tmp_path, monkeypatch):
    """Facts are stored with keys that join a synonym group's words: after an edit of the file
    the next build analyzes everything again, rather than find nothing to do."""
    _, report = build_after_rule_change(tmp_path, monkeypatch, "KB_SYNONYMS", "首, うなじ\n",
                                        "## 原因\n\n首のこりの原因は姿勢です。\n")
    assert report.analyzed == 1 and report.full


# --- normalization ---------------------------------------------------------------------------


def test_a_changed_normalization_file_rebuilds_everything(tmp_path, monkeypatch):
    folder = tmp_path / "articles"
    write_article(folder, "a.md", title="記事A", body="パソコンの使いすぎで首がこる。\n")
    write_article(folder, "b.md", title="記事B", body="スマホを見る時間を減らす。\n")
    db_path = tmp_path / "kb.db"
    build_index(folder, db_path)
    assert build_index(folder, db_path).analyzed == 0
    rules = tmp_path / "normalize.txt"
    rules.write_text("パソコン => パーソナルコンピューター\n", encoding="utf-8")
    monkeypatch.setenv("KB_NORMALIZE", str(rules))
    before = analyzer_fingerprint()
    assert before != ""
    get_analyzer.cache_clear()
    try:
        report = build_index(folder, db_path)
        assert report.analyzed == 2 and report.full
    finally:
        monkeypatch.delenv("KB_NORMALIZE")
        get_analyzer.cache_clear()


# --- filters ---------------------------------------------------------------------------------


@pytest.mark.parametrize("option, value, field", [("--category", "全身のお悩み", "article_id"),
                                                  ("--lang", "en", "lang")])
def test_filters_through_the_cli(runner, built_db, option, value, field):
    result = runner.invoke(cli, ["search", "首 背中 neck back", "--db", str(built_db), option,
                                 value, "--json"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.output)["hits"]
    assert hits
    if option == "--lang":
        assert {h["lang"] for h in hits} == {"en"}
    else:
        assert {h["article_id"] for h in hits} == {"comolab-neck-heat"}


@pytest.mark.parametrize("rule, problem", [("スマホ スマートフォン", "=>"),
                                           ("スマホ => 首の後ろ", "single word")])
def test_a_bad_normalization_rule_names_its_line(tmp_path, monkeypatch, rule, problem):
    rules = tmp_path / "normalize.txt"
    rules.write_text(f"# rules\n{rule}\n", encoding="utf-8")
    monkeypatch.setenv("KB_NORMALIZE", str(rules))
    get_analyzer.cache_clear()
    try:
        with pytest.raises(KbError) as info:
            get_analyzer().tokens("背中が熱い")
        assert "normalize.txt:2" in str(info.value) and problem in str(info.value)
    finally:
        monkeypatch.delenv("KB_NORMALIZE")
        get_analyzer.cache_clear()
