"""The line reader for plain Markdown must give exactly what the CommonMark parser gives."""

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.articles.markdown import split_front_matter
from kb.articles.markdown import commonmark_events, sections_from_events, simple_events

ARTICLES = sorted((Path(__file__).parent.parent / "articles").glob("*.md"))

WORDS = ["背中が熱い", "首の後ろ", "しびれ", "stretch", "Q&A", "3つ", "?", "!", "。", "、", "x", " "]
INLINE = ["**強調**", "*斜体*", "_under_", "`code`", "[リンク](http://example.jp)", "![画像](a.png)",
          "<b>", "&amp;", "&copy;", "\\*", "a*b", "**「括弧」**です", "__x__", "http://example.jp"]
LINE_KINDS = [
    "", "## {t}", "### {t}", "# {t}", "#### {t} ###", "{t}", "  {t}", "- {t}", "+ {t}", "* {t}",
    "1. {t}", "2) {t}", "> {t}", "    {t}", "```", "~~~", "---", "***", "===", "[ref]: http://x",
    "<div>", "| a | b |", "#{t}", "{t}  ", "\t{t}", "  - {t}", "- - {t}", "- # {t}", "+ > {t}",
    "- 1. {t}", "- ```", "-    {t}", "- ---",
]


def _sections(body: str, events):
    lines = body.split("\n")
    return [vars(s) for s in sections_from_events(events, lines, 1)]


def _check(body: str) -> bool:
    """True when the line reader took the body (and then it must agree with CommonMark)."""
    simple = simple_events(body.split("\n"))
    if simple is None:
        return False
    assert _sections(body, simple) == _sections(body, commonmark_events(body))
    return True


@pytest.mark.parametrize("path", ARTICLES, ids=[p.stem for p in ARTICLES])
def test_the_articles_are_read_alike_by_both_parsers(path):
    _, body, _ = split_front_matter(path.read_text(encoding="utf-8"), str(path))
    assert _check(body), "the shipped articles are plain Markdown and should take the fast path"


text = st.lists(st.sampled_from(WORDS + INLINE), min_size=1, max_size=6).map("".join)
line = st.tuples(st.sampled_from(LINE_KINDS), text).map(lambda kt: kt[0].format(t=kt[1]))


@settings(max_examples=400, deadline=None)
@given(st.lists(line, max_size=14).map("\n".join))
def test_any_body_the_line_reader_takes_matches_commonmark(body):
    _check(body)


@pytest.mark.parametrize(
    "body",
    ["```\n# not a heading\n```", "Title\n=====", "> quoted", "1. one\n2. two", "    code",
     "[a]: http://x\n\n[a]", "---"],
)
def test_block_constructs_are_left_to_the_full_parser(body):
    assert simple_events(body.split("\n")) is None
