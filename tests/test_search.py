"""`kb search` and `kb stats`: the JSON contract, ranking sanity, any string as a query."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kb.cli import cli
from kb.articles import parse_article_file
from kb.search import SearchResult, search

from helpers import ARTICLES, front_matter

HIT_KEYS = {"kind", "article_id", "article_title", "heading", "text", "snippet", "score", "url"}
QUERIES = {"senaka-atsukute-nemurenai": "背中が熱くて眠れない", "shibire": "しびれ", "hoteri": "ほてり",
           "nanika": "何科", "stretching": "stretching", "hot-flashes": "hot flashes",
           "kubi-no-ushiro": "首の後ろが熱い", "koujousen": "甲状腺"}


def run_search(runner, db_path, *args):
    result = runner.invoke(cli, ["search", *args, "--db", str(db_path), "--json"])
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.parametrize("query", QUERIES.values(), ids=QUERIES.keys())
def test_search_json_contract(runner, built_db, query):
    result = run_search(runner, built_db, query)
    doc = json.loads(result.stdout)
    assert {"query", "hits"} <= set(doc)
    assert doc["query"] == query
    assert doc["hits"], f"no hits for {query!r}"
    for hit in doc["hits"]:
        assert HIT_KEYS <= set(hit)
        assert hit["kind"] in ("section", "qa", "fact")
        assert isinstance(hit["score"], (int, float))
        assert all(isinstance(hit[k], str) for k in ("article_id", "article_title", "heading",
                                                     "text", "snippet"))
        assert hit["url"] is None or isinstance(hit["url"], str)
    scores = [h["score"] for h in doc["hits"]]
    assert scores == sorted(scores, reverse=True)
    assert any("<mark>" in h["snippet"] for h in doc["hits"])


MARK_QUERIES = {"senaka-atsukute-nemurenai": "背中が熱くて眠れない", "hoteri": "ほてり",
                "koujousen": "甲状腺", "kubi-no-ushiro": "首の後ろが熱い", "hot-flashes": "hot flashes"}


@pytest.mark.parametrize("query", MARK_QUERIES.values(), ids=MARK_QUERIES.keys())
def test_every_hit_snippet_marks_the_matched_words(runner, built_db, query):
    doc = json.loads(run_search(runner, built_db, query).stdout)
    unmarked = [(h["kind"], h["article_id"], h["heading"], h["snippet"][:40])
                for h in doc["hits"] if h["text"].strip() and "<mark>" not in h["snippet"]]
    assert unmarked == []


EMPTY_QUERIES = {"shibire": "しびれ", "nanika": "何科", "memai": "めまい", "hot-flashes": "hot flashes",
                 "senaka-ga-atsui": "背中が熱い", "hoteri": "ほてり"}


@pytest.mark.parametrize("query", EMPTY_QUERIES.values(), ids=EMPTY_QUERIES.keys())
def test_no_hit_is_a_section_without_text(db, query):
    # a heading whose content is all in its sub-sections has nothing to show a reader
    empty = [(h.article_id, h.heading) for h in search(db, query).hits if not h.text.strip()]
    assert empty == []


BILINGUAL = {"thyroid-koujousen": "thyroid 甲状腺", "stress-sutoresu": "stress ストレス",
             "stretch-sutoretchi": "ストレッチ stretching",
             "found-by-hypothesis": "10AAAAA熱"}


@pytest.mark.parametrize("query", BILINGUAL.values(), ids=BILINGUAL.keys())
def test_scores_never_increase_down_the_list_of_a_bilingual_query(db, query):
    scores = [h.score for h in search(db, query, limit=30).hits]
    assert scores and scores == sorted(scores, reverse=True)


def test_a_qa_hit_has_the_question_as_heading_and_the_answer_as_text(runner, built_db):
    doc = json.loads(run_search(runner, built_db, "触っても熱くない", "--kind", "qa").stdout)
    hit = doc["hits"][0]
    assert hit["kind"] == "qa"
    assert hit["heading"] == "背中が熱いのに、触っても熱くないのはなぜですか?"
    assert hit["text"].startswith("自律神経の乱れにより、熱を感知する神経が過敏になっているためです。")


@pytest.mark.parametrize("query", ["背中が熱い", "しびれ", "首の後ろ"], ids=["senaka", "shibire", "kubi"])
def test_japanese_is_unescaped_in_the_json(runner, built_db, query):
    stdout = run_search(runner, built_db, query).stdout
    assert "\\u" not in stdout
    assert query in stdout  # the query itself, as typed
    assert "背中" in stdout or "首" in stdout or "しびれ" in stdout


def test_back_heat_that_keeps_you_awake_finds_the_back_heat_article(runner, built_db):
    doc = json.loads(run_search(runner, built_db, "背中が熱くて眠れない").stdout)
    top3 = doc["hits"][:3]
    assert any(h["article_id"] == "hirai-back-heat" and h["kind"] == "section" for h in top3)


@pytest.mark.parametrize(
    "query, article_id",
    [("うなじが熱い", None), ("首の後ろが熱い", "comolab-neck-heat"), ("手足のしびれ", "hands-feet-numbness"),
     ("めまい", "dizziness"), ("upper back hot", "upper-back-heat-en"), ("stretches", "upper-back-heat-en")],
)
def test_the_best_hit_is_from_the_article_about_it(db, query, article_id):
    hits = search(db, query).hits
    if article_id is None:  # no article uses うなじ; any neck or back article will do
        assert hits and hits[0].article_id in ("comolab-neck-heat", "hirai-back-heat", "upper-back-heat-en")
    else:
        assert hits[0].article_id == article_id


@pytest.mark.parametrize("query", ["熱い", "熱く", "熱さ"])
def test_inflected_queries_find_the_same_sections(db, query):
    expected = {h.section_id for h in search(db, "熱い", limit=50).hits}
    assert {h.section_id for h in search(db, query, limit=50).hits} == expected


@pytest.mark.parametrize("kana, kanji", [("しびれ", "痺れ"), ("せなか", "背中")])
def test_kana_and_kanji_queries_find_the_same_sections(db, kana, kanji):
    a = {h.section_id for h in search(db, kana, limit=50).hits}
    b = {h.section_id for h in search(db, kanji, limit=50).hits}
    assert a and a == b


@pytest.mark.parametrize("option, value, check", [
    ("--kind", "qa", lambda h: h["kind"] == "qa"),
    ("--kind", "section", lambda h: h["kind"] == "section"),
    ("--article", "dizziness", lambda h: h["article_id"] == "dizziness"),
    ("--lang", "en", lambda h: h["article_id"] == "upper-back-heat-en"),
])
def test_search_filters(runner, built_db, option, value, check):
    doc = json.loads(run_search(runner, built_db, "背中 めまい heat 何科", option, value).stdout)
    assert doc["hits"] and all(check(h) for h in doc["hits"])


@pytest.mark.parametrize("limit", [1, 3, 7])
def test_search_limit(runner, built_db, limit):
    doc = json.loads(run_search(runner, built_db, "背中", "--limit", str(limit)).stdout)
    assert len(doc["hits"]) == limit


# --- any string is a valid query ---------------------------------------------------------------

FTS_SYNTAX = ['"', "*", "NEAR(", "NEAR", "(", ")", "-", "+", "^", "OR", "AND", "NOT", ":", "{", "}",
              "heading:", "sections_fts", "'", "\\", "背中", "熱い", "stretch", "\x00", " ", "　"]
queries = st.one_of(
    st.text(),
    st.lists(st.sampled_from(FTS_SYNTAX), max_size=12).map("".join),
    st.lists(st.sampled_from(FTS_SYNTAX), max_size=12).map(" ".join),
    st.text(min_size=1, max_size=20).map(lambda s: s * 400),  # very long strings
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=queries)
@example(query='"')
@example(query="NEAR(背中 熱い, 2)")
def test_any_string_is_a_valid_query(session_db, query):
    result = search(session_db, query)
    assert isinstance(result, SearchResult)
    doc = json.loads(json.dumps(result.to_dict(), ensure_ascii=False))
    assert doc["query"] == query
    for hit in doc["hits"]:
        assert hit["kind"] in ("section", "qa", "fact")
        assert isinstance(hit["snippet"], str) and isinstance(hit["score"], float)


@pytest.mark.parametrize("query", ['"', "*", "NEAR(背中", "背中 -熱い", "OR", "AND AND", ":", "x" * 5000,
                                   '"背中" OR "首"', "heading:背中", "背中*"])
def test_odd_queries_through_the_cli_exit_0(runner, built_db, query):
    doc = json.loads(run_search(runner, built_db, query).stdout)
    assert doc["query"] == query


# --- missing or foreign databases --------------------------------------------------------------

@pytest.mark.parametrize("command", [["search", "背中"], ["stats"]])
@pytest.mark.parametrize("kind", ["missing", "not-a-database", "not-a-kb-index"])
def test_reading_a_missing_or_foreign_db_is_a_clear_error(tmp_path, runner, command, kind):
    import sqlite3

    path = tmp_path / "kb.db"
    if kind == "not-a-database":
        path.write_text("these are not the bytes of an SQLite database\n" * 20)
    elif kind == "not-a-kb-index":
        sqlite3.connect(path).execute("create table other (x)").connection.close()
    result = runner.invoke(cli, [*command, "--db", str(path), "--json"])
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert str(path) in result.output
    assert "kb build" in result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    if kind == "missing":
        assert not path.exists()  # reading never creates the file


# --- stats -------------------------------------------------------------------------------------

def test_stats_json_counts_match_the_articles_folder(runner, built_db):
    result = runner.invoke(cli, ["stats", "--db", str(built_db), "--json"])
    assert result.exit_code == 0, result.output
    assert "\\u" not in result.stdout
    stats = json.loads(result.stdout)
    files = sorted(ARTICLES.glob("*.md"))
    fronts = [front_matter(p) for p in files]
    parsed = [parse_article_file(p) for p in files]
    assert stats["articles"] == len(files)
    assert stats["sections"] == sum(len(a.sections) for a in parsed)
    assert stats["qa"] == sum(len(a.qa) for a in parsed)
    assert {r["lang"]: r["articles"] for r in stats["by_language"]} == Counter(f["lang"] for f in fronts)
    assert {r["site"]: r["articles"] for r in stats["by_site"]} == Counter(f["site"] for f in fronts)
    for row in stats["by_language"]:
        of_lang = [a for a, f in zip(parsed, fronts) if f["lang"] == row["lang"]]
        assert row["sections"] == sum(len(a.sections) for a in of_lang)
        assert row["qa"] == sum(len(a.qa) for a in of_lang)


def test_stats_know_the_languages_and_sites_of_the_folder(runner, built_db):
    stats = json.loads(runner.invoke(cli, ["stats", "--db", str(built_db), "--json"]).stdout)
    assert {r["lang"] for r in stats["by_language"]} == {"ja", "en"}
    assert {"平井鍼灸院", "鍼灸院コモラボ"} <= {r["site"] for r in stats["by_site"]}


# --- snippets from stored term places ---------------------------------------------------------


@pytest.mark.parametrize("text", [
    "背中が熱くて眠れない。stretching the shoulder blades",
    "ｾﾅｶが熱い、首の後ろがジンジンする\n\n改行のあとの甲状腺機能亢進症",
    "Hot flashes often start in the chest 😀 and spread.",
    "あ" * 300 + "背中" + "い" * 70_000 + "熱い",  # gaps too long for one byte, texts in chunks
])
def test_stored_spans_point_at_each_terms_surface(analyzer, text):
    from kb.analysis import decode_spans

    indexed = analyzer.index_text(text)
    spans = decode_spans(indexed.spans)
    surfaces = [t.surface for t in analyzer.tokens(text)]
    assert len(spans) == len(indexed.terms.split()) == len(surfaces)
    assert [text[start:end] for start, end in spans] == surfaces


def test_snippets_from_stored_places_match_snippets_from_analysis(db):
    # The fast path (stored places, each term looked at alone) and analysing the hit's text
    # again must mark the same words, for every kind of variant in the query set.
    import yaml

    from kb.search import parse_query
    from kb.search import make_snippet

    from helpers import REPO_ROOT

    queries = yaml.safe_load((REPO_ROOT / "tests" / "search_queries.yml").read_text("utf-8"))
    compared = differ = 0
    for item in queries["queries"]:
        parsed = parse_query(item["query"])
        for hit in search(db, item["query"], kind="section").hits + search(db, item["query"], kind="qa").hits:
            again = make_snippet(hit.text, parsed.forms(), parsed.readings(),
                                 phrases=parsed.phrases())
            if again:
                compared += 1
                differ += again != hit.snippet
    assert compared > 300
    assert differ <= compared // 100, f"{differ} of {compared} snippets differ"
