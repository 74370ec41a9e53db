"""The two source articles, parsed, checked against the pages they were written from.

tests/fixtures/seeds/ holds the scraped text of the original pages (copied from the project's
seeds): each Markdown heading and each line of text must be a line of that page, in the same order.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kb.articles import parse_article_file
from kb.model import Article

from helpers import ARTICLES, SEEDS

HIRAI = "hirai-back-heat"
COMOLAB = "comolab-neck-heat"
SEED_OF = {HIRAI: "000_2032f91832cff632.txt", COMOLAB: "001_7221afbe6145a639.txt"}

# The outline as the pages show it: each level-2 heading and how many level-3 headings it holds.
OUTLINES = {
    HIRAI: [
        ("背中が熱く感じる主な原因は自律神経の乱れ", 3),
        ("背中の熱さから考えられる3つの病気", 3),
        ("今日から試せる!背中の熱を和らげる4つのセルフケア", 4),
        ("セルフケアで改善しない場合は専門家への相談も検討しよう", 2),
        ("こんな症状は要注意!すぐに病院を受診すべきサイン", 3),
        ("背中の熱に関するよくある質問", 3),
        ("まとめ", 0),
    ],
    COMOLAB: [
        ("急に首が熱くなる原因について解説します", 2),
        ("生活習慣によって首の後ろが熱くなる原因", 3),
        ("原因不明の首の後ろが熱さは首こりが原因", 1),
        ("首こりが首の後ろの熱感を引き起こす", 3),
        ("首の後ろが熱くなる症状は鍼灸治療で改善できます", 0),
    ],
}

HIRAI_FAQ = "背中の熱に関するよくある質問"
HIRAI_QUESTIONS = [
    ("Q1", "背中が熱いのに、触っても熱くないのはなぜですか?"),
    ("Q2", "ストレスが原因で背中だけが熱くなることはありますか?"),
    ("Q3", "背中が熱い場合、何科を受診すればよいですか?"),
]

both_articles = pytest.mark.parametrize("article_id", [HIRAI, COMOLAB])


@pytest.fixture(scope="module")
def parsed() -> dict[str, Article]:
    return {aid: parse_article_file(ARTICLES / f"{aid}.md", ARTICLES) for aid in SEED_OF}


def seed_lines(article_id: str) -> list[str]:
    text = (SEEDS / SEED_OF[article_id]).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines()]


@both_articles
def test_title_is_a_line_of_the_seed_page(parsed, article_id):
    assert parsed[article_id].title in seed_lines(article_id)


@both_articles
def test_every_heading_is_a_line_of_the_seed_page_in_order(parsed, article_id):
    lines = seed_lines(article_id)
    previous = -1
    for section in parsed[article_id].sections:
        if section.level == 0:
            continue
        assert section.heading in lines, f"heading {section.heading!r} is not on the seed page"
        index = lines.index(section.heading, previous + 1)
        assert index > previous, f"heading {section.heading!r} is out of order"
        previous = index


@both_articles
def test_every_line_of_text_is_a_line_of_the_seed_page(parsed, article_id):
    lines = set(seed_lines(article_id))
    for section in parsed[article_id].sections:
        for line in section.text.split("\n"):
            if line.strip():
                assert line.strip() in lines, f"{section.heading!r}: {line!r} not on the page"


@both_articles
def test_level_2_headings_and_their_level_3_children(parsed, article_id):
    sections = parsed[article_id].sections
    assert [s.heading for s in sections if s.level == 2] == [h for h, _ in OUTLINES[article_id]]
    for heading, children in OUTLINES[article_id]:
        under = [s for s in sections if s.path == [heading]]
        assert len(under) == children, heading
        assert all(s.level == 3 for s in under)


@both_articles
def test_every_heading_is_level_2_or_3_and_sits_under_its_level_2(parsed, article_id):
    sections = parsed[article_id].sections
    parent = None
    for s in sections:
        if s.level == 0:
            continue
        assert s.level in (2, 3), s.heading
        if s.level == 2:
            assert s.path == []
            parent = s.heading
        else:
            assert s.path == [parent]


def test_a_heading_the_page_numbers_has_that_many_children(parsed):
    # "背中の熱さから考えられる3つの病気" announces three diseases: three level-3 sections
    sections = parsed[HIRAI].sections
    heading = next(s for s in sections if s.heading == "背中の熱さから考えられる3つの病気")
    assert heading.level == 2
    assert [s.heading for s in sections if s.path == [heading.heading]] == [
        "更年期障害によるほてり(ホットフラッシュ)",
        "甲状腺機能亢進症(バセドウ病)の可能性",
        "内臓の不調が背中の熱感として現れることも",
    ]


def test_introduction_is_the_first_unit_with_level_0(parsed):
    sections = parsed[HIRAI].sections
    intro = sections[0]
    assert (intro.level, intro.heading, intro.path) == (0, "", [])
    assert intro.text.startswith("背中が熱いのは自律神経の乱れ?考えられる病気と原因、対処法を解説します。")
    assert intro.text.rstrip().endswith("自身の症状と照らし合わせ、適切な対応を取るための参考にしてください。")
    assert [s.level for s in sections].count(0) == 1


def test_article_that_starts_with_a_heading_has_no_introduction(parsed):
    sections = parsed[COMOLAB].sections
    assert sections[0].level == 2
    assert sections[0].heading == "急に首が熱くなる原因について解説します"
    assert all(s.level > 0 for s in sections)


@pytest.mark.parametrize("label, question", HIRAI_QUESTIONS)
def test_faq_questions_are_qa_pairs(parsed, label, question):
    article = parsed[HIRAI]
    pair = next((q for q in article.qa if q.question == question), None)
    assert pair is not None, f"{label} is not a Q&A pair"
    assert pair.label == label
    assert pair.answer.strip()
    section = article.sections[pair.section_position]
    assert section.heading == f"{label}.{question}"
    assert section.path == [HIRAI_FAQ]
    # the answer starts with the page's first line after the question
    lines = seed_lines(HIRAI)
    after = lines[lines.index(f"{label}.{question}") + 1 :]
    assert pair.answer.split("\n")[0] == next(line for line in after if line)


def test_back_heat_article_has_exactly_the_three_faq_pairs(parsed):
    assert [(q.label, q.question) for q in parsed[HIRAI].qa] == HIRAI_QUESTIONS


def test_neck_heat_article_asks_no_questions(parsed):
    assert parsed[COMOLAB].qa == []


@both_articles
def test_text_is_plain_text_without_markdown_markup(parsed, article_id):
    for s in parsed[article_id].sections:
        for value in (s.heading, s.text):
            assert not re.search(r"(?m)^\s*(#{1,6}\s|[-*+]\s|>\s|```)", value), value
            assert "**" not in value and "](" not in value and "`" not in value


@pytest.mark.parametrize(
    "article_id, site, author, published",
    [(HIRAI, "平井鍼灸院", "梅田俊", "2025-11-26"), (COMOLAB, "鍼灸院コモラボ", "鈴木貴之", "2025-04-16")],
)
def test_metadata_matches_the_page(parsed, article_id, site, author, published):
    article = parsed[article_id]
    assert article.meta["site"] == site
    assert article.meta["author"] == author
    assert article.meta["published"] == published
    assert article.lang == "ja"
    year, month, day = published.split("-")
    page = "\n".join(seed_lines(article_id))
    assert f"{year}年{month}月{day}日" in page
    if article_id == COMOLAB:  # the page names its author
        assert author in page


ALL_ARTICLES = sorted(ARTICLES.glob("*.md"))


@pytest.mark.parametrize("path", ALL_ARTICLES, ids=[p.stem for p in ALL_ARTICLES])
def test_every_article_parses_with_a_title_and_sections(path: Path):
    article = parse_article_file(path, ARTICLES)
    assert article.id == path.stem
    assert article.path == path.name
    assert isinstance(article.title, str) and article.title.strip()
    assert len([s for s in article.sections if s.level > 0]) >= 1
    assert article.lang in ("ja", "en")


@pytest.mark.parametrize("path", ALL_ARTICLES, ids=[p.stem for p in ALL_ARTICLES])
def test_section_line_numbers_point_at_their_headings(path: Path):
    source = path.read_text(encoding="utf-8").split("\n")
    for s in parse_article_file(path).sections:
        if s.level:
            assert source[s.line - 1] == "#" * s.level + " " + s.heading
