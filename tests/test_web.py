"""The Datasette site, through Datasette's in-process client over a real index: every kb page,
the table search, the canned queries, the SQL functions, the languages, and that no article text
or query string can run in a browser or make a 500."""

from __future__ import annotations

import json
import re
import sqlite3
from urllib.parse import quote

import pytest

from kb.analysis import phrase_key
from kb.search import MAX_QUERY_CHARS
from kb.search import search
from kb.index import open_db
from kb.web import choose_language

from web_fixtures import SCRIPT, build_site, datasette_for, sql_metadata

HIT_KEYS = {"kind", "article_id", "article_title", "heading", "text", "snippet", "score", "url"}
ODD_QUERIES = [
    "", " ", "\u3000", '"', '""', "((", ")", "AND", "OR OR", "NOT", "*", "-", "- -", "背中 -",
    '"unclosed', "「閉じない", "NEAR(a b)", "heading:背中", "^背中", "a'b", "%", "%FF", "\\",
    "<script>alert(1)</script>", "😀🩺", "\ufffd", "背中が熱い" * 300, "x" * 5000, "/-/", "?q=1&",
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return build_site(tmp_path_factory.mktemp("site"))


@pytest.fixture
async def ds(site):
    return await datasette_for(site)


@pytest.fixture
async def sql_ds(site):
    """The site with arbitrary SQL allowed (the public site's metadata.yml refuses it)."""
    return await datasette_for(site, sql_metadata())


async def get(ds, path: str, status: int = 200):
    response = await ds.client.get(path)
    assert response.status_code == status, (path, response.status_code, response.text[-2000:])
    return response


def q(text: str) -> str:
    return quote(text, safe="")


def assert_no_live_markup(page: str) -> None:
    """Article text shows as text: no script from it runs, no handler or javascript: link."""
    assert SCRIPT not in page
    assert "<script>alert" not in page
    assert not re.search(r"<img[^>]*onerror", page)
    assert 'href="javascript:' not in page
    assert "<iframe" not in page


# --- the search page ------------------------------------------------------------------------------


async def test_search_page_ranks_the_hot_back_sections_first_with_the_symptom_panel(ds):
    page = (await get(ds, "/-/search?q=" + q("背中が熱い"))).text
    first = page.index('class="kb-hit ')
    assert "/-/articles/hirai-back-heat" in page[first : first + 800]
    assert "<mark>" in page
    panel = page[page.index('id="kb-symptom"'):]
    warning = panel.index("kb-warning")
    assert 'role="alert"' in panel[: warning + 200]
    assert warning < panel.index("kb-relation-cause")  # warnings before anything else
    assert "甲状腺機能亢進症" in panel and "内科" in panel
    assert "<html" in page and "app.css" in page  # Datasette's base template


async def test_search_json_is_the_design_contract_in_searchs_order(ds, site):
    data = (await get(ds, "/-/search.json?q=" + q("背中が熱い"))).json()
    assert data["query"] == "背中が熱い"
    assert data["hits"] and all(HIT_KEYS <= set(h) for h in data["hits"])
    scores = [h["score"] for h in data["hits"]]
    assert scores == sorted(scores, reverse=True)
    db = open_db(site)
    try:
        expected = search(db, "背中が熱い", limit=10)
    finally:
        db.close()
    assert [(h["kind"], h["section_id"]) for h in data["hits"]] == [
        (h.kind, h.section_id) for h in expected.hits]
    assert [h["snippet"] for h in data["hits"]] == [h.snippet for h in expected.hits]
    assert data["symptom"]["symptom"] == "背中が熱い"


async def test_search_json_keeps_japanese_unescaped(ds):
    body = (await get(ds, "/-/search.json?q=" + q("めまい"))).text
    assert "めまい" in body


@pytest.mark.parametrize("query", ODD_QUERIES)
async def test_any_query_gives_a_page_and_valid_json(ds, query):
    page = (await get(ds, "/-/search?q=" + q(query))).text
    assert "kb-search" in page
    assert "<script>alert(1)" not in page
    data = json.loads((await get(ds, "/-/search.json?q=" + q(query))).text)
    assert isinstance(data["hits"], list)


@pytest.mark.parametrize("raw", ["%FF%FE", "%E3%81", "%00", "%ZZ", "%", "q", "&&&", "%C0%AF"])
async def test_broken_escapes_in_the_query_string_give_a_page(ds, raw):
    await get(ds, "/-/search?q=" + raw)
    await get(ds, "/-/search.json?q=" + raw)
    await get(ds, "/-/analyze?text=" + raw)


async def test_a_very_long_query_is_cut_with_a_notice(ds):
    long = "背中が熱い " * 400
    page = (await get(ds, "/-/search?q=" + q(long))).text
    assert 'id="kb-truncated"' in page and str(MAX_QUERY_CHARS) in page
    data = (await get(ds, "/-/search.json?q=" + q(long))).json()
    assert data["truncated"] is True and len(data["query"]) == MAX_QUERY_CHARS
    assert data["hits"]
    short = (await get(ds, "/-/search?q=" + q("背中が熱い"))).text
    assert 'id="kb-truncated"' not in short


@pytest.mark.parametrize("args", ["page=abc", "page=-3", "page=99999999999999999999", "limit=x",
                                  "limit=100000", "offset=-1", "doc_lang=zz", "site=nowhere",
                                  "doc_lang=", "lang=fr", "page=1.5"])
async def test_bad_arguments_are_ignored_or_clamped(ds, args):
    await get(ds, "/-/search?q=" + q("めまい") + "&" + args)
    data = (await get(ds, "/-/search.json?q=" + q("めまい") + "&" + args)).json()
    assert len(data["hits"]) <= 50


async def test_paging_moves_through_the_ranking(ds):
    one = (await get(ds, "/-/search.json?q=" + q("しびれ") + "&page=1")).json()
    two = (await get(ds, "/-/search.json?q=" + q("しびれ") + "&page=2")).json()
    assert one["total"] > 10 and two["hits"]
    ids = lambda d: [(h["kind"], h["section_id"], h["heading"]) for h in d["hits"]]
    assert not set(ids(one)) & set(ids(two))
    page = (await get(ds, "/-/search?q=" + q("しびれ"))).text
    assert 'rel="next"' in page and "page=2" in page


async def test_language_and_site_filters(ds):
    data = (await get(ds, "/-/search.json?q=" + q("back heat") + "&doc_lang=en")).json()
    assert data["hits"] and {h["lang"] for h in data["hits"]} == {"en"}
    data = (await get(ds, "/-/search.json?q=" + q("首 熱い") + "&site=" + q("鍼灸院コモラボ"))).json()
    assert data["hits"] and {h["site"] for h in data["hits"]} == {"鍼灸院コモラボ"}
    page = (await get(ds, "/-/search?q=" + q("背中"))).text
    assert 'name="doc_lang"' in page and 'name="site"' in page


async def test_no_query_shows_the_box_and_a_hint(ds):
    page = (await get(ds, "/-/search")).text
    assert 'name="q"' in page and 'class="kb-hit ' not in page and "症状や質問を入力" in page


# --- languages ------------------------------------------------------------------------------------


@pytest.mark.parametrize("requested, header, expected", [
    (None, None, "ja"), (None, "en-US,en;q=0.9", "en"), (None, "ja,en;q=0.8", "ja"),
    (None, "en;q=0.5,ja;q=0.9", "ja"), (None, "fr,de", "ja"), (None, "fr, en-GB;q=0.3", "en"),
    ("en", "ja", "en"), ("ja", "en", "ja"), ("xx", "en", "en"), (None, "en;q=abc", "ja"),
    (None, ";;,,;q=", "ja"), (None, "EN", "en"),
])
def test_choose_language(requested, header, expected):
    assert choose_language(requested, header) == expected


async def test_the_page_speaks_english_when_asked(ds):
    ja = (await get(ds, "/-/search?q=" + q("めまい"))).text
    assert "症状から探す" in ja and 'lang="ja"' in ja and "lang=en" in ja
    en = (await get(ds, "/-/search?q=" + q("めまい") + "&lang=en")).text
    assert "Search by symptom" in en and 'lang="en"' in en
    assert 'name="lang" value="en"' in en  # the next search stays in English
    response = await ds.client.get("/-/search?q=" + q("めまい"),
                                   headers={"Accept-Language": "en-US,en;q=0.9,ja;q=0.5"})
    assert "Search by symptom" in response.text


async def test_a_hit_in_another_language_than_the_query_is_labelled(ds):
    label = re.compile(r'<span class="kb-other-lang" lang="(\w+)">([^<]+)</span>')
    en = (await get(ds, "/-/search?q=" + q("palpitations") + "&lang=en")).text
    assert ("ja", "Japanese article") in label.findall(en)  # no English article answers
    ja = (await get(ds, "/-/search?q=" + q("palpitations"))).text
    assert ("ja", "日本語の記事") in label.findall(ja)
    same = (await get(ds, "/-/search?q=" + q("動悸"))).text
    hits = same.count('class="kb-hit ')
    assert hits and label.findall(same).count(("ja", "日本語の記事")) == 0


# --- escaping -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [
    "/-/search?q=" + q("しびれ 危険"), "/-/search?q=" + q("血行不良 なぜ"),
    "/-/search?q=" + q("<script>alert('kb')</script>"), "/-/articles/evil",
    "/-/duplicates", "/-/duplicates?article=evil", "/-/boilerplate",
    "/-/analyze?text=" + q(SCRIPT + "しびれ"),
    "/kb/sections?_search=" + q("しびれ"), "/kb/qa?_search=" + q("しびれ"),
    "/kb/articles/evil", "/kb/search?q=" + q("しびれ"),
])
async def test_article_text_never_runs(ds, path):
    assert_no_live_markup((await get(ds, path)).text)


async def test_the_hostile_article_shows_its_text_as_text(ds):
    page = (await get(ds, "/-/articles/evil")).text
    assert "&lt;script&gt;" in page and "悪い&lt;b&gt;サイト&lt;/b&gt;" in page
    search_page = (await get(ds, "/-/search?q=" + q("しびれ 危険"))).text
    assert "/-/articles/evil" in search_page and "&lt;script&gt;" in search_page
    data = (await get(ds, "/-/search.json?q=" + q("しびれ 危険"))).json()
    evil = [h for h in data["hits"] if h["article_id"] == "evil"]
    assert evil and all("<script" not in h["snippet"] for h in evil)


async def test_a_snippet_column_shows_marks_but_never_other_markup(sql_ds):
    sql = "select '<mark>a</mark>b' as snippet, '<script>x</script><mark>c</mark>' as other"
    page = (await get(sql_ds, "/kb?sql=" + q(sql))).text
    assert "<mark>a</mark>b" in page and "<script>x" not in page
    sql = "select '<script>x</script><mark>c</mark>' as snippet"
    page = (await get(sql_ds, "/kb?sql=" + q(sql))).text
    assert "<script>x" not in page


# --- analyze --------------------------------------------------------------------------------------


async def test_analyze_shows_terms_and_readings(ds):
    data = (await get(ds, "/-/analyze.json?text=" + q("背中が熱くて眠れない"))).json()
    terms = [t["term"] for t in data["tokens"]]
    assert "背中" in terms and "熱い" in terms
    assert any(t["reading"] for t in data["tokens"])
    page = (await get(ds, "/-/analyze?text=" + q("背中が熱くて眠れない"))).text
    assert "熱い" in page and "kb-tokens" in page
    assert (await get(ds, "/-/analyze")).status_code == 200
    long = (await get(ds, "/-/analyze.json?text=" + q("あ" * 5000))).json()
    assert long["truncated"] is True


# --- the article page -----------------------------------------------------------------------------


async def test_article_page_reads_like_the_article(ds):
    page = (await get(ds, "/-/articles/hirai-back-heat")).text
    assert "<h1>背中が熱いのは自律神経の乱れ" in page
    assert '<h3>ストレスの蓄積で交感神経が過剰に働いている' in page
    assert 'id="s1"' in page and "kb-qa" in page and 'id="kb-facts"' in page
    assert page.index("背中が熱く感じる主な原因") < page.index("背中の熱さから考えられる3つの病気")
    assert "/kb/articles/hirai-back-heat" in page  # the row in Datasette


async def test_article_page_links_to_its_duplicates(ds):
    page = (await get(ds, "/-/articles/copy-one.md".replace(".md", ""))).text
    assert "/-/duplicates?article=copy-one" in page


@pytest.mark.parametrize("article_id", ["nothing-here", "%E3%81%82", "a%2Fb", "%00", "%FF"])
async def test_an_unknown_article_is_a_404_page(ds, article_id):
    page = (await get(ds, "/-/articles/" + article_id, status=404)).text
    assert "kb-notice" in page


# --- duplicates and boilerplate ---------------------------------------------------------------------


async def test_duplicates_are_side_by_side_with_the_differences_marked(ds):
    page = (await get(ds, "/-/duplicates?article=dizziness")).text
    assert page.count('class="kb-side"') >= 2 and "kb-same" in page
    assert "/-/articles/dizziness" in page
    copies = (await get(ds, "/-/duplicates?article=copy-one&kind=exact")).text
    assert "exact" in copies and "kb-same" in copies and "/-/articles/copy-two" in copies
    near = (await get(ds, "/-/duplicates?kind=near")).text
    assert "kb-diff" in near  # a light rewrite differs somewhere


@pytest.mark.parametrize("args", ["kind=zzz", "page=x", "page=999", "article=" + q("<b>"), "article="])
async def test_duplicates_page_takes_any_arguments(ds, args):
    await get(ds, "/-/duplicates?" + args)


async def test_boilerplate_report_lists_each_block_with_its_places(ds):
    page = (await get(ds, "/-/boilerplate")).text
    assert "ご予約はお電話" in page
    assert "定型文(3 つ以上の記事にある文章)" in page  # the build's setting, named
    for article_id in ("evil", "copy-one", "copy-two"):
        assert f"/-/articles/{article_id}" in page
    assert (await get(ds, "/-/boilerplate?page=2")).status_code == 200
    assert (await get(ds, "/-/boilerplate?page=x")).status_code == 200


async def test_an_articles_duplicates_page_lists_its_boilerplate_as_a_group(ds):
    page = (await get(ds, "/-/duplicates?article=evil")).text
    groups = page[page.index('id="kb-groups"'):]
    assert "ご予約はお電話" in groups and "/-/articles/copy-two" in groups
    only = (await get(ds, "/-/duplicates?kind=boilerplate")).text
    assert 'id="kb-groups"' in only and 'class="kb-pair"' not in only


# --- Datasette's own pages: table search, canned queries, SQL functions -----------------------------


async def test_table_search_analyzes_japanese(ds):
    rows = (await get(ds, "/kb/sections.json?_search=" + q("背中が熱い") + "&_shape=array")).json()
    headings = {r["heading"] for r in rows}
    assert "背中が熱く感じる主な原因は自律神経の乱れ" in headings
    assert all(r["article_id"] != "dizziness" or "背中" in r["text"] for r in rows)
    inflected = (await get(ds, "/kb/sections.json?_search=" + q("背中が熱くて") + "&_shape=array")).json()
    assert {r["id"] for r in inflected} & {r["id"] for r in rows}
    qa = (await get(ds, "/kb/qa.json?_search=" + q("背中 熱い") + "&_shape=array")).json()
    assert qa and any("背中" in r["question"] for r in qa)


async def test_table_search_requires_every_word_like_datasettes_own(ds):
    async def count(text: str) -> int:
        data = (await get(ds, "/kb/sections.json?_search=" + q(text) + "&_size=1")).json()
        return data["filtered_table_rows_count"]

    both, stress, dizzy = await count("ストレス めまい"), await count("ストレス"), await count("めまい")
    assert 0 < both < min(stress, dizzy)
    assert await count("めまい -めまい") == 0


async def test_table_search_page_shows_the_best_matches_first(ds, site):
    page = (await get(ds, "/kb/sections?_search=" + q("背中が熱い"))).text
    assert 'id="_search"' in page and 'value="背中が熱い"' in page  # Datasette's own box
    ranked = page[page.index('id="kb-ranked"'):]
    db = open_db(site)
    try:
        best = search(db, "背中が熱い", limit=1, kind="section").hits[0]
    finally:
        db.close()
    assert re.search(r'data-row="(\d+)"', ranked).group(1) == str(best.section_id)
    plain = (await get(ds, "/kb/sections")).text
    assert 'id="_search"' in plain and "kb-ranked" not in plain


@pytest.mark.parametrize("query", ODD_QUERIES[:24])
async def test_table_search_takes_any_string(ds, query):
    await get(ds, "/kb/sections?_search=" + q(query))
    await get(ds, "/kb/qa.json?_search=" + q(query))


async def test_canned_search_ranks_and_highlights(ds):
    rows = (await get(ds, "/kb/search.json?_shape=array&q=" + q("背中が熱い"))).json()
    assert rows and rows[0]["article"].startswith("背中が熱いのは")
    assert all("<mark>" in r["snippet"] for r in rows[:3])
    scores = [r["score"] for r in rows]
    assert scores == sorted(scores, reverse=True)
    page = (await get(ds, "/kb/search?q=" + q("背中が熱い"))).text
    assert "<mark>背中</mark>" in page
    for query in ("", '"', "((", "-"):
        assert (await get(ds, "/kb/search.json?_shape=array&q=" + q(query))).json() == []


async def test_canned_causes_of_a_symptom_in_any_wording(ds):
    for wording in ("背中の熱さ", "背中が熱い"):
        rows = (await get(ds, "/kb/causes.json?_shape=array&symptom=" + q(wording))).json()
        assert "甲状腺機能亢進症" in {r["cause"] for r in rows}
    assert (await get(ds, "/kb/causes.json?_shape=array&symptom=" + q("<>"))).json() == []


async def test_canned_outline_and_duplicates_of_an_article(ds):
    outline = (await get(ds, "/kb/outline.json?_shape=array&article_id=dizziness")).json()
    assert [r["position"] for r in outline] == sorted(r["position"] for r in outline)
    assert outline[0]["heading"] == "(introduction)" and outline[1]["level"] == 2
    dups = (await get(ds, "/kb/article_duplicates.json?_shape=array&article_id=copy-one")).json()
    assert any("copy-two" in (r["a_article_id"], r["b_article_id"]) for r in dups)
    assert (await get(ds, "/kb/article_duplicates.json?_shape=array&article_id=x'--")).json() == []


async def test_sql_functions_analyze_like_the_index(sql_ds, site):
    sql = ("select kb_terms('背中が熱くて') as terms, kb_query('背中が熱い') as expr, "
           "kb_highlight('背中が熱く感じる', 'せなか 熱い') as hl, "
           f"kb_symptom_match('{phrase_key('背中が熱い')}', '背中の熱さ') as m, "
           "kb_symptom_match('熱い 背中', '') as empty")
    row = (await get(sql_ds, "/kb.json?_shape=array&sql=" + q(sql))).json()[0]
    assert row["terms"] == "背中 熱い" and row["m"] == 1 and row["empty"] == 0
    assert row["hl"].startswith("<mark>背中</mark>")
    conn = sqlite3.connect(f"file:{site}?mode=ro", uri=True)
    try:
        ids = [r[0] for r in conn.execute(
            "select rowid from sections_fts where sections_fts match ?", [row["expr"]])]
    finally:
        conn.close()
    assert ids


async def test_fts_shadow_and_internal_tables_are_hidden(ds):
    tables = (await get(ds, "/kb.json")).json()["tables"]
    shown = {t["name"] for t in tables if not t["hidden"]}
    assert {"articles", "sections", "qa", "facts", "duplicates"} <= shown
    assert not {n for n in shown if "_fts" in n or n in ("kb_meta", "term_spans", "dup_signatures")}


async def test_menu_links_to_the_kb_pages(ds):
    page = (await get(ds, "/")).text
    for path in ("/-/search", "/-/duplicates", "/-/boilerplate", "/-/analyze"):
        assert f'href="{path}"' in page


async def test_without_a_kb_index_the_pages_say_so(tmp_path):
    from datasette.app import Datasette

    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("create table t (x)").connection.close()
    ds = Datasette([str(other)])
    await ds.invoke_startup()
    assert (await ds.client.get("/-/search?q=a")).status_code == 404
    assert (await ds.client.get("/-/search.json?q=a")).json()["error"]
    assert (await ds.client.get("/-/articles/a")).status_code == 404


async def test_an_articles_row_links_to_the_article_page(ds):
    page = (await get(ds, "/kb/articles/hirai-back-heat")).text
    assert 'href="/-/articles/hirai-back-heat"' in page
    assert 'href="/-/duplicates?article=hirai-back-heat"' in page
    assert "/-/articles/" not in (await get(ds, "/kb/sections/1")).text


def test_any_string_is_a_valid_query_for_the_pages(site):
    # Hypothesis drives its own examples; each one goes through a page and its JSON
    import asyncio

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    async def check(ds, text: str) -> None:
        for path in ("/-/search?q=", "/-/search.json?q=", "/kb/sections.json?_search="):
            response = await ds.client.get(path + q(text))
            assert response.status_code == 200, (path, text)

    loop = asyncio.new_event_loop()
    try:
        ds = loop.run_until_complete(datasette_for(site))

        @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)
               | st.sampled_from(['"', "OR", "NEAR(", "-", "*", "「", "^", ":"]).map(lambda s: s * 3))
        def run(text: str) -> None:
            loop.run_until_complete(check(ds, text))

        run()
    finally:
        loop.close()


async def test_another_databases_tables_of_the_same_names_are_left_alone(site, tmp_path):
    from datasette.app import Datasette

    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("create table sections (id integer primary key, heading text)")
    conn.execute("create table articles (id text primary key, title text)")
    conn.execute("insert into sections values (1, '背中')")
    conn.execute("insert into articles values ('a', 'x')")
    conn.commit()
    conn.close()
    ds = Datasette([str(site), str(other)])
    await ds.invoke_startup()
    assert (await ds.client.get("/other/sections.json?_search=" + q("背中"))).status_code == 200
    assert "kb-ranked" not in (await ds.client.get("/other/sections?_search=x")).text
    assert "/-/articles/" not in (await ds.client.get("/other/articles/a")).text
    data = (await ds.client.get("/-/search.json?q=" + q("背中が熱い"))).json()
    assert data["hits"]


async def test_a_hit_with_sub_sections_lists_them_under_it(ds, site):
    db = open_db(site)
    try:
        expected = [h for h in search(db, "手足 原因", limit=10).hits if h.outline]
    finally:
        db.close()
    assert expected
    page = (await get(ds, "/-/search?q=" + q("手足 原因"))).text
    outline = page[page.index('class="kb-outline"'):]
    outline = outline[: outline.index("</ul>")]
    for item in expected[0].outline:
        assert f"#{item['anchor']}\">{item['heading']}</a>" in outline
    data = (await get(ds, "/-/search.json?q=" + q("手足 原因"))).json()
    assert any(h.get("outline") == expected[0].outline for h in data["hits"])


async def test_kbs_templates_come_between_a_template_dir_and_datasettes_own(site, tmp_path):
    # Datasette finds the plugin package's templates/ itself: a --template-dir page comes first,
    # kb's pages next, and kb's table.html still extends Datasette's own
    from datasette.app import Datasette

    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "kb_analyze.html").write_text("<p>the operator's own analyze page</p>", "utf-8")
    ds = Datasette(immutables=[str(site)], template_dir=str(templates))
    await ds.invoke_startup()
    assert "the operator's own analyze page" in (await get(ds, "/-/analyze")).text
    assert "kb-search" in (await get(ds, "/-/search?q=" + q("めまい"))).text
    table = (await get(ds, "/kb/sections?_search=" + q("背中が熱い"))).text
    assert "kb-ranked" in table and "app.css" in table
    plugins = (await get(ds, "/-/plugins.json")).json()
    assert any(p["templates"] for p in plugins if p["name"] == "kb")
