"""Facts: each cue pattern, each filter, structure, keys, curation, provenance and lookup."""

from __future__ import annotations

import json

import pytest

from kb.index import build_index
from kb.cli import cli
from kb.facts import article_symptoms, cause_kind, extract_facts
from kb.articles import parse_article
from kb.analysis import phrase_key
from kb.index import open_db
from kb.facts import find_facts
from kb.facts.lookup import summarize

from helpers import REPO_ROOT, article_text


def facts_of(body: str, title: str = "背中が熱いのはなぜ?原因を解説", **front) -> list:
    """The facts kb extracts from an article with this title and body."""
    text = article_text(title=title, body=body, **front)
    return extract_facts(parse_article(text.encode(), "test.md"))


def causes(body: str, **kw) -> set[str]:
    return {f.cause for f in facts_of(body, **kw) if f.relation == "cause"}


# --- one symptom, one key ----------------------------------------------------------------------


@pytest.mark.parametrize("wording", ["背中の熱さ", "背中の熱感", "背中が熱く感じる", "背中が熱くなる",
                                     "熱い背中"])
def test_wordings_of_one_symptom_share_a_key(wording):
    assert phrase_key(wording) == phrase_key("背中が熱い")


@pytest.mark.parametrize("a, b", [("自律神経の乱れ", "自律神経のバランスが崩れる"),
                                  ("手足のしびれ", "手足が痺れる"), ("めまい", "眩暈"),
                                  ("うなじが熱い", "首の後ろが熱い")])
def test_wordings_of_one_cause_or_symptom_meet(a, b):
    assert phrase_key(a) == phrase_key(b)


def test_a_noun_in_kan_keeps_its_word_unless_it_is_the_feeling_of_an_adjective():
    assert "交感" in phrase_key("交感神経").split()  # sympathetic, not a feeling of 交
    assert phrase_key("熱感") == phrase_key("熱い")


@pytest.mark.parametrize("a, b", [("背中が熱い", "背中が痛い"), ("首が熱い", "手が熱い")])
def test_different_symptoms_keep_different_keys(a, b):
    assert phrase_key(a) != phrase_key(b)


@pytest.mark.parametrize("title, symptom", [
    ("背中が熱いのは自律神経の乱れ?考えられる病気と原因", "背中が熱い"),
    ("手足のしびれの原因は?考えられる病気とセルフケア", "手足のしびれ"),
    ("めまいの種類と原因は?何科を受診すべきかを解説", "めまい"),
    ("首の後ろが熱くなる原因|首の後ろの熱感は自律神経失調症", "首の後ろが熱くなる"),
    ("Why your upper back feels hot - causes and self-care", "upper back feels hot"),
])
def test_the_symptom_comes_from_the_title(title, symptom):
    article = parse_article(article_text(title=title, body="本文です。\n").encode(), "t.md")
    assert article_symptoms(article)[0].text == symptom


def test_the_front_matter_can_name_the_symptom():
    article = parse_article(article_text(title="よくある質問", symptom="頭痛", body="本文。\n").encode(), "t.md")
    assert [s.text for s in article_symptoms(article)] == ["頭痛"]


# --- sentence patterns ---------------------------------------------------------------------------


@pytest.mark.parametrize("sentence, cause, pattern", [
    ("ストレスが背中の熱さの原因です。", "ストレス", "XがYの原因"),
    ("背中が熱く感じる主な原因は自律神経の乱れです。", "自律神経の乱れ", "Yの原因はX"),
    ("背中の熱さの原因として、甲状腺機能亢進症が挙げられます。", "甲状腺機能亢進症", "Yの原因としてX"),
    ("ストレスが原因で背中が熱くなることがあります。", "ストレス", "Xが原因でY"),
    ("更年期障害による背中の熱感に悩む人もいます。", "更年期障害", "XによるY"),
    ("血行不良によって背中が熱くなります。", "血行不良", "XによってY"),
    ("ホルモンバランスの影響で背中が熱くなることがあります。", "ホルモンバランス", "Xの影響でY"),
    ("猫背が背中の熱感を引き起こします。", "猫背", "XがYを引き起こす"),
    ("背中の熱感が寝不足で誘発されることもあります。", "寝不足", "YがXで誘発される"),
    ("背中が熱いのは自律神経が関係しています。", "自律神経", "Xが関係している"),
    ("睡眠不足のため背中が熱くなることがあります。", "睡眠不足", "Xのため"),
    ("長時間のデスクワークで背中が熱くなる人もいます。", "長時間のデスクワーク", "XでY"),
    ("背中の熱さは、生活習慣の乱れからくるものです。", "生活習慣の乱れ", "XからくるY"),
    ("飲酒をきっかけに背中が熱くなることがあります。", "飲酒", "XをきっかけにY"),
])
def test_each_cue_pattern_finds_its_cause(sentence, cause, pattern):
    found = {f.cause: f.pattern for f in facts_of(sentence + "\n") if f.relation == "cause"}
    assert found.get(cause) == pattern, found


def test_a_list_after_toshite_gives_each_member_and_leaves_out_the_category():
    body = ("考えられる疾患としては、椎間板ヘルニアや脊柱管狭窄症といった整形外科の病気のほか、"
            "心筋梗塞など、命に関わる病気もあり、背中が熱くなります。\n")
    assert {"椎間板ヘルニア", "脊柱管狭窄症", "心筋梗塞"} <= causes(body)
    assert "命" not in causes(body)


def test_the_diseases_named_as_examples_are_causes_too():
    found = causes("狭心症や心筋梗塞といった心臓の病気が背中の熱さを引き起こすこともあります。\n")
    assert {"心臓の病気", "狭心症", "心筋梗塞"} <= found
    organs = causes("胃や食道といった内臓の不調が背中の熱さを引き起こすこともあります。\n")
    assert "内臓の不調" in organs and not {"胃", "食道"} & organs  # organs, not diseases


def test_sonotame_points_back_at_the_previous_sentence():
    body = "血管が拡張して血流が増えます。そのため背中が熱く感じられます。\n"
    found = {f.cause: f for f in facts_of(body) if f.relation == "cause"}
    assert "血管の拡張" in found and found["血管の拡張"].pattern == "そのため"


def test_a_cause_of_a_cause_is_a_cause():
    body = ("## 背中が熱い原因\n\n### 自律神経の乱れ\n\n自律神経が乱れると背中が熱くなります。\n"
            "睡眠不足は自律神経の乱れの引き金になります。\n")
    found = {f.cause: f.pattern for f in facts_of(body) if f.relation == "cause"}
    assert "睡眠不足" in found and "a cause of a cause" in found["睡眠不足"]


@pytest.mark.parametrize("sentence, cause", [
    ("体温の上昇は背中の熱さとは関係していません。", "体温の上昇"),  # negation
    ("背中の熱さは体温の上昇とは無関係で、ストレスが関係しています。", "体温の上昇"),  # negation
    ("背中が熱いのはストレスが原因ではありません。", "ストレス"),  # negation
    ("背中が熱いのはストレスが原因ですか?", "ストレス"),  # a question
    ("眠りの質を上げるために、寝る前のスマートフォンを控えると背中の熱さが和らぎます。", "眠りの質"),  # purpose
    ("人によって背中が熱くなる時間が違います。", "人"),  # when / for whom, not why
])
def test_filters_leave_out_what_is_not_a_cause(sentence, cause):
    assert cause not in causes(sentence + "\n")


def test_a_cause_is_a_whole_noun_phrase_without_demonstratives_or_nado():
    found = causes("甲状腺機能亢進症などが背中の熱さの原因になります。\nこの乱れが背中の熱さを引き起こします。\n")
    assert "甲状腺機能亢進症" in found
    assert not {"症", "乱れ", "この乱れ"} & found  # not a fragment, not an anaphor


def test_a_suggested_cause_is_marked_and_counts_less():
    fact = next(f for f in facts_of("ストレスが背中の熱さの原因である可能性があります。\n")
                if f.cause == "ストレス")
    stated = next(f for f in facts_of("ストレスが背中の熱さの原因です。\n") if f.cause == "ストレス")
    assert fact.certainty == "suggested" and stated.certainty == "stated"
    assert fact.confidence < stated.confidence


@pytest.mark.parametrize("cause, kind", [("甲状腺機能亢進症", "disease"), ("猫背", "lifestyle"),
                                         ("自律神経の乱れ", "mechanism"), ("首こり", "condition")])
def test_the_kind_of_a_cause(cause, kind):
    assert cause_kind(cause) == kind


# --- structure -----------------------------------------------------------------------------------

STRUCTURED = """## 背中が熱くなる3つの病気

### 更年期障害によるほてり

本文。

### 甲状腺機能亢進症(バセドウ病)の可能性

本文。

## 背中の熱を和らげるセルフケア

### ぬるめのお風呂に浸かる

本文。

## 何科を受診すればよいか

まずは内科、痛みが強ければ整形外科を受診してください。

## すぐに救急車を呼ぶべきサイン

- 突然の激しい胸の痛みを伴う
- 意識がもうろうとする
"""


def test_headings_and_lists_under_role_headings_name_facts():
    found = {(f.relation, f.cause) for f in facts_of(STRUCTURED)}
    assert {("cause", "更年期障害"), ("cause", "甲状腺機能亢進症"),
            ("self_care", "ぬるめのお風呂に浸かる"), ("department", "内科"),
            ("department", "整形外科"), ("warning", "突然の激しい胸の痛みを伴う"),
            ("warning", "意識がもうろうとする")} <= found


def test_every_fact_keeps_its_provenance():
    article = parse_article(article_text(title="背中が熱いのはなぜ?", body=STRUCTURED).encode(), "t.md")
    for fact in extract_facts(article):
        section = next(s for s in article.sections if s.position == fact.section_position)
        source = section.heading if fact.source == "heading" else section.text
        start, end = fact.span
        assert fact.method and fact.pattern and 0 < fact.confidence <= 1
        if end:  # the span points at the cause (or, for a list item, at the item) in its source
            assert source[start:end] in (fact.cause, fact.evidence) or fact.cause in source[start:end]


# --- curation ------------------------------------------------------------------------------------


def test_curated_facts_are_added_as_written_and_marked():
    front = {"facts": [{"symptom": "背中が熱い", "cause": "帯状疱疹", "relation": "cause"}]}
    facts = facts_of("本文です。\n", **front)
    curated = [f for f in facts if f.curated]
    assert [(f.cause, f.method, f.confidence) for f in curated] == [("帯状疱疹", "curated", 1.0)]


def test_exclude_removes_a_wrong_extracted_fact():
    body = "ストレスが背中の熱さの原因です。猫背が背中の熱感を引き起こします。\n"
    assert {"ストレス", "猫背"} <= causes(body)
    assert causes(body, exclude=["猫背"]) == {"ストレス"}
    assert causes(body, exclude=[{"relation": "cause", "cause": "ストレス"}]) == {"猫背"}


# --- lookup --------------------------------------------------------------------------------------


def test_facts_gather_under_one_symptom_across_articles(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.md").write_text(article_text(
        title="背中が熱いのはなぜ?", body="ストレスが背中の熱さの原因です。\n"), encoding="utf-8")
    (folder / "b.md").write_text(article_text(
        title="背中の熱感の原因とは", body="猫背が背中の熱感を引き起こします。\nストレスが背中の熱感の原因になります。\n"),
        encoding="utf-8")
    db_path = tmp_path / "kb.db"
    build_index(folder, db_path, workers=1)
    db = open_db(db_path)
    try:
        rows = find_facts(db, "背中の熱さ", relation="cause")
        assert {(r.cause, r.article_id) for r in rows} == {
            ("ストレス", "a"), ("ストレス", "b"), ("猫背", "b")}
        assert rows[0].cause == "ストレス"  # said by two articles: first
        summary = summarize(db, "背中が熱く感じる")
        stress = next(c for c in summary.by_relation["cause"] if c["name"] == "ストレス")
        assert summary.articles == 2 and sorted(stress["articles"]) == ["a", "b"]
        view = db.execute("select articles, causes from symptoms").fetchall()
        assert view == [(2, 3)]
    finally:
        db.close()


def test_kb_facts_json_contract(runner, built_db):
    result = runner.invoke(cli, ["facts", "しびれ", "--db", str(built_db), "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows and "手足" in rows[0]["symptom"]
    for row in rows:
        assert {"symptom", "cause", "relation", "article_id", "article_title", "heading",
                "evidence"} <= set(row)
        assert row["relation"] in ("cause", "self_care", "department", "warning")
    assert "\\u" not in result.stdout  # Japanese unescaped


def test_kb_facts_listing_and_an_unknown_symptom(runner, built_db):
    listed = runner.invoke(cli, ["facts", "めまい", "--db", str(built_db)])
    assert listed.exit_code == 0 and "メニエール病" in listed.output and "Warning" in listed.output
    unknown = runner.invoke(cli, ["facts", "存在しない症状xyz", "--db", str(built_db), "--json"])
    assert unknown.exit_code == 0 and json.loads(unknown.stdout) == []


# --- quality floor ---------------------------------------------------------------------------------


def test_cause_extraction_keeps_its_quality_on_the_gold_set():
    import sys

    sys.path.insert(0, str(REPO_ROOT))
    from bench.facts_quality import evaluate

    main = evaluate()["relations"]["main"]["cause"]
    assert main.precision >= 0.9 and main.recall >= 0.8, (main.wrong, main.missed)


# --- facts as search hits ----------------------------------------------------------------------


def test_facts_of_the_symptom_a_query_names_join_its_hits(db):
    from kb.search import search

    hits = search(db, "めまい 何科", limit=20).hits
    facts = [h for h in hits if h.kind == "fact"]
    assert facts and all(f["relation"] == "department" for h in facts for f in h.facts)
    assert {"耳鼻咽喉科", "脳神経内科"} <= {f["cause"] for h in facts for f in h.facts}
    for fact in facts:  # never above the section it comes from
        section_rank = next(i for i, h in enumerate(hits)
                            if h.kind != "fact" and h.section_id == fact.section_id)
        assert section_rank < hits.index(fact)


def test_a_bare_symptom_brings_its_causes_and_kind_filters_them(db):
    from kb.search import search

    causes = search(db, "手足のしびれ", kind="fact", limit=50).hits
    assert causes and {h.kind for h in causes} == {"fact"}
    assert {f["relation"] for h in causes for f in h.facts} == {"cause"}
    assert "糖尿病" in {f["cause"] for h in causes for f in h.facts}
    assert all(h.kind != "fact" for h in search(db, "手足のしびれ", kind="section").hits)
    assert all(h.kind != "fact" for h in search(db, "背中が熱い", kind="qa").hits)


def test_a_fact_hit_follows_the_json_contract(runner, built_db):
    result = runner.invoke(cli, ["search", "めまい 危ない", "--db", str(built_db), "--json"])
    hits = json.loads(result.stdout)["hits"]
    facts = [h for h in hits if h["kind"] == "fact"]
    assert facts
    for hit in facts:
        assert {"article_id", "article_title", "heading", "text", "snippet", "score", "url"} <= set(hit)
        assert hit["fact"]["relation"] == "warning" and hit["fact"]["cause"] in hit["snippet"]
    assert all("fact" not in h for h in hits if h["kind"] != "fact")
