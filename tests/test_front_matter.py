"""Front matter YAML that PyYAML turns into exceptions or explosions: an InvalidArticle with its line.

And the property behind them: any bytes at all give an Article or an InvalidArticle, never another
exception (a front-matter-shaped strategy makes sure the bytes reach YAML).
"""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.errors import InvalidArticle
from kb.articles import parse_article

BODY = "背中が熱いのは自律神経の乱れが原因です。\n"


def parse_front(front: str):
    return parse_article(f"---\n{front}\n---\n{BODY}".encode(), "articles/front.md")


def invalid(front: str) -> InvalidArticle:
    with pytest.raises(InvalidArticle) as info:
        parse_front(front)
    return info.value


# front matter (the title on file line 2), the file line(s) the error may name, words it must use
UNBUILDABLE = {
    "impossible-date": ("title: 背中\npublished: 2025-02-30", 3, ("2025-02-30", "date", "quotes")),
    "year-zero": ("title: 背中\nupdated: 0000-01-01", 3, ("0000-01-01", "date")),
    "hour-25": ("title: 背中\nupdated: 2025-01-01 25:00:00", 3, ("date",)),
    "timestamp-tag": ("title: 背中\nupdated: !!timestamp soon", 3, ("soon", "date")),
    "int-tag": ("title: 背中\nsite: x\ncount: !!int many", 4, ("many", "integer")),
    "float-tag": ("title: 背中\nweight: !!float heavy", 3, ("heavy", "number")),
    "bool-tag": ("title: 背中\ndraft: !!bool maybe", 3, ("maybe",)),
    "bad-base64": ("title: 背中\nimage: !!binary 'abc$'", 3, ("binary",)),
    "huge-binary-int": ("title: 背中\nid: 0b" + "1" * 20_000, 3, ("digits",)),
    "huge-sexagesimal-float": ("title: 背中\nx: 1:" + "59:" * 2_000 + "1.5", 3, ("number",)),
    "mapping-as-key": ("title: 背中\n? {a: 1}\n: x", 3, ("unhashable",)),
    "set-as-key": ("title: 背中\n? !!set {a}\n: x", 3, ()),
    "deep-flow": ("title: 背中\ntags: " + "[" * 900 + "]" * 900, 3, ("levels",)),
    "deeper-flow": ("title: 背中\ntags: " + "[" * 5000 + "]" * 5000, 3, ("depth",)),
    "deep-block": ("title: 背中\ntags:\n" + "".join(" " * i + "-\n" for i in range(300)) + " " * 300
                   + "- x", range(4, 304), ("levels",)),
}


@pytest.mark.parametrize("front, line, words", UNBUILDABLE.values(), ids=UNBUILDABLE.keys())
def test_a_value_yaml_cannot_build_is_an_invalid_article_at_its_line(front, line, words):
    error = invalid(front)
    assert error.line in (line if isinstance(line, range) else [line]), str(error)
    assert "front matter" in error.message
    for word in words:
        assert word in error.message, str(error)


def alias_bomb(levels: int, width: int = 9) -> tuple[str, list[int]]:
    """Front matter with a "billion laughs": each key an anchor that repeats the one above
    ``width`` times; returns it and each level's file line with its expanded number of values."""
    lines, sizes, size = ["title: 背中"], [], 1 + width
    lines.append(f"k0: &k0 [{', '.join(['lol'] * width)}]")
    sizes.append(size)
    for level in range(1, levels):
        lines.append(f"k{level}: &k{level} [{', '.join([f'*k{level - 1}'] * width)}]")
        size = 1 + width * size
        sizes.append(size)
    return "\n".join(lines), sizes


@pytest.mark.parametrize("levels", [6, 8, 9])
def test_an_alias_bomb_is_refused_at_once_at_its_line(levels):
    front, sizes = alias_bomb(levels)
    started = time.perf_counter()
    error = invalid(front)
    assert time.perf_counter() - started < 0.5
    assert "aliases" in error.message
    # the line named is a bomb's own, one whose value expands to thousands of values
    bomb_lines = range(3, 3 + levels)
    assert error.line in bomb_lines
    assert sizes[error.line - 3] > 1_000


@pytest.mark.parametrize(
    "front",
    ["title: 背中\ntags: &t [a, *t]", "title: 背中\nfacts: &f {symptom: *f}",
     "title: 背中\nk: &k\n  - x\n  - *k"],
    ids=["list", "mapping", "block"],
)
def test_a_value_that_contains_itself_is_refused(front):
    error = invalid(front)
    assert "contains itself" in error.message and error.line == 3


def test_a_long_chain_of_aliases_is_refused_for_its_depth():
    chain = "\n".join(["k0: &k0 [x]"] + [f"k{i}: &k{i} [*k{i - 1}]" for i in range(1, 200)])
    error = invalid(f"title: 背中\n{chain}")
    assert "levels" in error.message and 3 <= error.line <= 202


def test_anchors_aliases_and_merge_keys_still_work():
    article = parse_front(
        "title: 背中\n"
        "common: &common {relation: cause, source: clinic}\n"
        "facts:\n"
        "  - {<<: *common, symptom: 背中が熱い, cause: 自律神経の乱れ}\n"
        "  - {<<: *common, symptom: 背中が熱い, cause: 冷え}\n"
        "tags: &tags [背中, 熱]\n"
        "category: *tags"
    )
    assert [(f.cause, f.relation, f.extra) for f in article.facts] == [
        ("自律神経の乱れ", "cause", {"source": "clinic"}), ("冷え", "cause", {"source": "clinic"})]
    assert article.meta["category"] == ["背中", "熱"]


def test_front_matter_values_are_json_data():
    article = parse_front("title: 背中\ntags: !!set {首: null, 背中: null}\norder: !!omap [a: 1, b: 2]\n"
                          "published: 2025-02-28\nupdated: 2025-03-01 10:00:00")
    assert json.loads(json.dumps(article.meta, ensure_ascii=False)) == article.meta
    assert article.meta["tags"] == ["背中", "首"] or article.meta["tags"] == ["首", "背中"]
    assert article.meta["order"] == [["a", 1], ["b", 2]]
    assert article.meta["published"] == "2025-02-28"


# --- any bytes: an Article or an InvalidArticle ------------------------------------------------

KEYS = ["title", "id", "lang", "tags", "facts", "published", "updated", "site", "category", "x",
        "<<", "? [a]", "? {a: 1}", "-", "&a k", "*a", "!!str k", "'q'", "1", "~", "2025-01-01"]
VALUES = [
    "背中が熱い", "", "2025-02-30", "2025-01-01", "2025-01-01 25:61:00", "0000-01-01", "!!binary abc$",
    "!!binary aGVsbG8=", "!!int x", "!!float x", "!!timestamp x", "!!bool maybe", "!!set {a, b}",
    "!!omap [a: 1]", "!!omap [1]", "!!pairs [a: 1]", "!!python/object:os.system {}", "!foo bar",
    "&a [x, x, x]", "*a", "[*a, *a, *a, *a]", "&b [*a, *a, *a, *a]", "[*b, *b, *b, *b]",
    "{<<: *a}", "&c {k: *c}", "&d [*d]", "0b" + "1" * 15_000, "0x" + "f" * 4_000, "1:2:3",
    "1:" + "59:" * 500 + "1.5", ".nan", "-.inf", "~", "null", "yes", "{a: [b, {c: d}]}",
    "[" * 40 + "]" * 40, "[" * 1100, "{" * 60 + "}" * 60, "'unclosed", '"\\ud800"', '"\\x00\\t"',
    "|", ">-", "{? [a]: b}", "[{symptom: s, cause: c, relation: x}]",
    "[{symptom: s, cause: c}]", "- a", ": :", "%YAML 1.1", "--- x", "...", "\t", "!!str", "[a, b",
]
INDENTS = ["", "", "", "", "", " ", "  ", "\t"]
BODY_LINES = ["", "# 見出し", "## Q1. 背中が熱いのは?", "本文。", "- 項目", "  - 入れ子", "> 引用",
              "```", "[リンク](http://example.jp)", "**強調**", "Title\n=====", "| a | b |",
              "1. 一", "[" * 300, "> " * 50 + "深い", "<div>"]

front_line = st.builds(lambda indent, key, value: f"{indent}{key}: {value}",
                       st.sampled_from(INDENTS), st.sampled_from(KEYS), st.sampled_from(VALUES))
# mostly well-formed front matter with a title, so that most examples reach YAML's constructors
front_lines = st.builds(lambda title, lines: title + lines,
                        st.sampled_from([["title: 背中"], ["title: 背中"], ["title: 背中"], []]),
                        st.lists(st.one_of(front_line, front_line, front_line, st.sampled_from(VALUES)),
                                 max_size=6))
article_bytes = st.builds(
    lambda lines, close, body: ("---\n" + "\n".join(lines) + close + "\n".join(body)).encode(),
    front_lines,
    st.sampled_from(["\n---\n"] * 4 + ["\n...\n", "\n", "\n---"]),
    st.lists(st.sampled_from(BODY_LINES) | st.text(max_size=30), max_size=6),
)


def flip_bytes(data: bytes, flips: list[tuple[int, int]]) -> bytes:
    out = bytearray(data)
    for position, value in flips:
        if out:
            out[position % len(out)] = value
    return bytes(out)


any_bytes = st.one_of(
    st.binary(max_size=200),
    article_bytes,
    st.builds(flip_bytes, article_bytes, st.lists(st.tuples(st.integers(0, 10_000),
                                                            st.integers(0, 255)), max_size=3)),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_bytes)
def test_any_bytes_give_an_article_or_an_invalid_article(data):
    try:
        article = parse_article(data, "articles/any.md")
    except InvalidArticle as e:
        assert e.path == "articles/any.md" and e.message
        return
    json.dumps(article.meta, ensure_ascii=False)  # what the index stores must be JSON data
    assert article.title and article.id
