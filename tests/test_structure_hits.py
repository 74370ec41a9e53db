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


# --- boilerplate is site chrome, not shared content -------------------------------------------

SISTERS = Path(__file__).resolve().parent.parent / "bench" / "data" / "devset" / "sisters"


def _section(markdown: str, heading: str) -> str:
    """The text under ``## heading`` in a Markdown file, up to the next ``## ``."""
    start = markdown.index(f"## {heading}\n") + len(heading) + 4
    end = markdown.find("\n## ", start)
    return markdown[start:] if end < 0 else markdown[start:end]


@pytest.fixture(scope="module")
def sister_sites(tmp_path_factory) -> tuple[Path, Path]:
    """The dev set's syndicated section (an exact copy between sister clinics) in three
    articles on ぎっくり腰, and the clinic's booking block in three articles on different
    subjects: built in full, and one article at a time (incrementally)."""
    sister = (SISTERS / "a-sister-gikkurigoshi.md").read_text("utf-8")
    copied = _section(sister, "ぎっくり腰になった直後の対処法").strip()
    booking = _section(sister, "ご予約・お問い合わせ").strip()
    own = {
        "one.md": ("ぎっくり腰の応急処置", "急に腰が痛くなったときの話です。"),
        "two.md": ("ぎっくり腰になったら", "重い物を持ち上げた瞬間に起こります。"),
        "three.md": ("ぎっくり腰の対処と予防", "再発を防ぐ体操を紹介します。"),
        "swelling.md": ("足のむくみの原因", "立ち仕事で夕方に足がむくむのは、ふくらはぎのポンプが働かないためです。"),
        "headache.md": ("頭痛の種類と治し方", "緊張型頭痛は肩や首のこりから起こります。"),
    }
    articles = {}
    for name, (title, intro) in own.items():
        middle = (f"## ぎっくり腰になった直後の対処法\n\n{copied}\n\n"
                  if "ぎっくり腰" in title else "")
        articles[name] = (title, f"{intro}\n\n{middle}## ご予約・お問い合わせ\n\n{booking}\n")
    root = tmp_path_factory.mktemp("sisters")
    full = _build(root / "full", articles)
    step = root / "step"
    names = list(articles)
    for n in range(2, len(names) + 1):  # two, then one more article each build
        _build(step, {name: articles[name] for name in names[:n]})
    return full, step / "kb.db"


def _marks(path: Path) -> set[tuple[str, str]]:
    db = open_db(path)
    try:
        return {(a, h) for a, h in db.execute(
            "select article_id, heading from sections where boilerplate").fetchall()}
    finally:
        db.close()


def test_a_section_sister_sites_copy_on_one_topic_is_a_duplicate_not_boilerplate(sister_sites):
    full, _ = sister_sites
    marked = _marks(full)
    assert not any(h == "ぎっくり腰になった直後の対処法" for _, h in marked)
    db = open_db(full)
    try:
        kinds = {k for (k,) in db.execute(
            "select kind from duplicate_clusters where articles >= 3")}
        assert kinds >= {"boilerplate"} and kinds & {"exact", "near"}  # still a duplicate
        hits = search(db, "ぎっくり腰 対処法", kind="section").hits
    finally:
        db.close()
    assert hits[0].heading == "ぎっくり腰になった直後の対処法"


def test_a_booking_block_on_articles_about_different_subjects_is_boilerplate(sister_sites):
    full, _ = sister_sites
    marked = _marks(full)
    assert {a for a, h in marked if h == "ご予約・お問い合わせ"} == {
        "one", "two", "three", "swelling", "headache"}


def test_telling_chrome_from_content_gives_the_same_index_built_in_steps(sister_sites):
    full, step = sister_sites
    assert _marks(step) == _marks(full)


# --- facts grouped under their section --------------------------------------------------------

def test_facts_of_one_section_make_one_hit(db):
    hits = search(db, "手足のしびれ", kind="fact", limit=50).hits
    sections = [h.section_id for h in hits]
    assert hits and len(sections) == len(set(sections))
    grouped = [h for h in hits if len(h.facts) > 1]
    assert grouped, "a section with several causes gives one hit with all of them"
    for hit in grouped:
        first = {k: v for k, v in hit.facts[0].items() if k != "evidence"}
        assert hit.fact == first
        assert all(f["cause"] in hit.snippet for f in hit.facts)
        assert all(f["evidence"] in hit.text for f in hit.facts)


def test_the_count_is_of_sections_and_qa_not_facts(db):
    result = search(db, "手足のしびれ", limit=1000)
    units = [h for h in result.hits if h.kind != "fact"]
    assert any(h.kind == "fact" for h in result.hits)
    assert result.total == len(units)
    assert result.ranked == len(result.hits) > result.total  # pages reach the facts' hits too


def test_a_grouped_fact_hit_keeps_the_json_contract(db):
    for hit in search(db, "手足のしびれ", limit=30).hits:
        data = hit.to_dict()
        assert {"kind", "article_id", "article_title", "heading", "text", "snippet", "score",
                "url"} <= set(data)
        assert ("facts" in data and "fact" in data) == (hit.kind == "fact")


# --- a heading answered by its sub-sections -----------------------------------------------------

CAUSES = """足のむくみは多くの人が経験します。夕方になると靴がきつく感じることもあります。

## 足のむくみの主な原因

### 塩分のとりすぎ

塩辛い食事が続くと、体は水分をため込みます。外食やインスタント食品が多い人は注意しましょう。

### 長時間の立ち仕事

立ったままの姿勢が続くと、ふくらはぎの筋肉が働かず、血液やリンパの流れが滞ります。

### 運動不足

歩く機会が少ないと、足の筋肉のポンプ作用が弱まり、水分が足にたまりやすくなります。

## 足のむくみを解消するセルフケア

寝る前に足を心臓より高くして休みましょう。ふくらはぎを下から上へさすると、むくみがとれやすくなります。
"""


@pytest.fixture(scope="module")
def causes_db(tmp_path_factory):
    database = open_db(_build(tmp_path_factory.mktemp("outline"), {
        "mukumi.md": ("足のむくみ", CAUSES)}))
    yield database
    database.close()


def test_a_heading_over_its_causes_comes_with_its_outline(causes_db):
    hits = search(causes_db, "むくみ 原因", marker=PLAIN).hits
    parent = next(h for h in hits if h.heading == "足のむくみの主な原因")
    assert parent is hits[0]
    assert [item["heading"] for item in parent.outline] == [
        "塩分のとりすぎ", "長時間の立ち仕事", "運動不足"]
    assert all(item["anchor"] for item in parent.outline)
    assert "outline" in parent.to_dict()
    assert all(h.outline is None and "outline" not in h.to_dict()
               for h in hits if h.heading != "足のむくみの主な原因")


def test_a_heading_that_holds_the_query_is_not_demoted_as_a_signpost(causes_db, monkeypatch):
    from kb.search import rank

    def parent_score() -> float:
        hits = search(causes_db, "むくみ 原因").hits
        return next(h.score for h in hits if h.heading == "足のむくみの主な原因")

    lifted = parent_score()
    monkeypatch.setattr(rank, "SIGNPOST_OUTLINE_LIFT", 0.0)
    assert parent_score() < lifted


def test_the_cli_shows_a_hit_outline(runner, causes_db):
    from kb.cli import cli

    path = causes_db.conn.execute("pragma database_list").fetchone()[2]
    result = runner.invoke(cli, ["search", "むくみ 原因", "--db", path, "--limit", "1"])
    assert result.exit_code == 0
    assert "› 塩分のとりすぎ · 長時間の立ち仕事 · 運動不足" in result.output
