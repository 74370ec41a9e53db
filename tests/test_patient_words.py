"""Patient words, cross-language search and English derived forms, over a real index of articles
written for these tests, with the real analyzer and the shipped lexicons (kb/data/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.analysis import get_analyzer, parse_bilingual, parse_patient_words
from kb.cli import cli
from kb.errors import KbError
from kb.index import build_index, open_db
from kb.search import parse_query, search
from kb.search.query import WEIGHT_LEXICON, WEIGHT_SYNONYM, WEIGHT_TYPED, Lexicon

from helpers import write_article

# Each Japanese section names one thing the way an article does; none says it the patient's way
# except the one section that holds ガンガン as written.
JA_BODY = """はじめに、体の不調について説明します。

## 頭痛が起こる理由
頭痛は肩や首の筋肉の緊張や、血管の拡張によって起こります。

## 便通を整える食事
便通を整えるには、食物繊維と水分をしっかりとることが大切です。

## 後頭部を温める方法
後頭部を蒸しタオルで温めると、筋肉がゆるみます。

## 不眠の原因
不眠は、ストレスや生活リズムの乱れで起こります。

## 肩こりをほぐす体操
肩こりには、肩甲骨を大きく回す体操が役立ちます。

## 仕事中に気をつけること
長時間のパソコン作業のあと、頭がガンガンすることがあります。こまめに休憩しましょう。

## 休日に気をつけること
休日に長い時間寝すぎたあと、頭痛がすることがあります。寝る時間をそろえましょう。
"""

EN_BODY = """An introduction to sleep.

## Why insomnia happens
Insomnia often follows stress, late screens and irregular hours.

## Coughing at night
A cough that gets worse at night can come from a postnasal drip.

## Swelling of the ankles
Swelling of the ankles after a long day is usually harmless.

## Itching skin in winter
Itching is common when the air is dry.

## When to see a general practitioner
A general practitioner can examine you and refer you to a specialist.
"""


@pytest.fixture(scope="module")
def lexicon_db(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("lexicon") / "articles"
    write_article(folder, "ja-body.md", "体の不調のいろいろ", JA_BODY, lang="ja")
    write_article(folder, "en-sleep.md", "Sleep and other everyday complaints", EN_BODY, lang="en")
    path = folder.parent / "kb.db"
    build_index(folder, path, workers=1)
    return path


@pytest.fixture
def db(lexicon_db):
    database = open_db(lexicon_db)
    yield database
    database.close()


def headings(db, query: str, limit: int = 10) -> list[str]:
    return [h.heading for h in search(db, query, limit=limit).hits if h.kind != "fact"]


# --- the patient lexicon ----------------------------------------------------------------------

@pytest.mark.parametrize("query, heading", [
    ("頭がズキズキする", "頭痛が起こる理由"),  # onomatopoeia
    ("お通じが気になる", "便通を整える食事"),  # everyday word
    ("頭の後ろを温めたい", "後頭部を温める方法"),  # everyday name of a body part
    ("寝れない", "不眠の原因"),  # colloquial verb
    ("かたこり", "肩こりをほぐす体操"),  # kana spelling
], ids=["onomatopoeia", "everyday-word", "body-part", "colloquial-verb", "kana-spelling"])
def test_each_kind_of_patient_word_finds_the_article_words_section(db, query, heading):
    assert headings(db, query)[:1] == [heading]


def test_without_the_lexicon_a_patient_word_misses_the_section(db, tmp_path, monkeypatch):
    assert "便通を整える食事" in headings(db, "お通じ")
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n", encoding="utf-8")
    monkeypatch.setenv("KB_PATIENT_WORDS", str(empty))
    assert "便通を整える食事" not in headings(db, "お通じ")


def test_the_patients_word_as_written_ranks_above_a_lexicon_only_match(db):
    # two sections alike but for the word: ガンガン as written, or the lexicon's 頭痛
    found = headings(db, "頭がガンガン")
    assert found.index("仕事中に気をつけること") < found.index("休日に気をつけること")


def test_a_lexicon_match_counts_less_than_the_word_as_typed_and_a_synonym():
    assert WEIGHT_LEXICON < WEIGHT_SYNONYM < WEIGHT_TYPED
    group = parse_query("ズキズキ").groups[0]
    weights = {a.terms: a.weight for a in group.alternatives}
    assert weights[("痛み",)] == WEIGHT_LEXICON
    assert max(weights.values()) == WEIGHT_TYPED


def test_expressions_match_on_analyzed_terms_so_inflections_meet():
    lexicon = [Lexicon(parse_patient_words("ほてる => 熱感\n"), WEIGHT_LEXICON)]
    for query in ("ほてる", "ほてって", "ほてった"):
        terms = {a.terms for g in parse_query(query, lexicons=lexicon).groups for a in g.alternatives}
        assert ("熱感",) in terms, query


def test_a_phrase_expression_joins_every_word_it_covers(analyzer):
    lexicon = [Lexicon(parse_patient_words("足がパンパン => むくみ\n"), WEIGHT_LEXICON)]
    groups = parse_query("夕方 足がパンパン", lexicons=lexicon).groups
    swelling = tuple(analyzer.terms("むくみ"))  # the analyzed form: 浮腫み
    joined = [g.surface for g in groups if any(a.terms == swelling for a in g.alternatives)]
    assert joined == ["足", "パンパン"]


def test_the_patient_lexicon_is_one_way():
    table = parse_patient_words("ガンガン => 頭痛\n")
    assert table.expansions(("がんがん",)) == {("頭痛",)}
    assert table.expansions(("頭痛",)) == set()


@pytest.mark.parametrize("text", ["ガンガン 頭痛", "=> 頭痛", "ガンガン =>", "ガンガン, => 。"])
def test_a_bad_lexicon_line_is_an_error_naming_its_line(text):
    with pytest.raises(KbError, match=r"words:1: "):
        parse_patient_words(text, "words")


# --- cross-language ---------------------------------------------------------------------------

def test_the_bilingual_lexicon_goes_both_ways():
    table = parse_bilingual("headache, head pain = 頭痛\n")
    assert table.expansions(("headach",)) == {("頭痛",)}
    assert table.expansions(("頭痛",)) == {("headach",), ("head", "pain")}
    with pytest.raises(KbError, match="'='"):
        parse_bilingual("headache => 頭痛\n")


def test_an_english_query_finds_a_japanese_section_when_no_english_article_answers(db):
    hits = search(db, "headache").hits
    assert hits and hits[0].heading == "頭痛が起こる理由" and hits[0].lang == "ja"


def test_a_japanese_query_finds_the_english_section_after_the_japanese_ones(db):
    hits = [h for h in search(db, "不眠", limit=20).hits if h.kind != "fact"]
    langs = [h.lang for h in hits]
    assert hits[0].heading == "不眠の原因"
    assert "Why insomnia happens" in [h.heading for h in hits]
    assert langs == sorted(langs, key=lambda lang: lang != "ja")  # Japanese first, then English


def test_the_cli_marks_a_hit_in_another_language(runner, lexicon_db):
    result = runner.invoke(cli, ["search", "不眠", "--db", str(lexicon_db)])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line[:1].isdigit()]
    assert any("Why insomnia happens" in line and line.endswith("[en]") for line in lines)
    assert any("不眠の原因" in line and "[en]" not in line and "[ja]" not in line for line in lines)
    data = json.loads(runner.invoke(cli, ["search", "不眠", "--db", str(lexicon_db), "--json"]).stdout)
    assert {"ja", "en"} <= {h["lang"] for h in data["hits"]}


# --- English analysis -------------------------------------------------------------------------

@pytest.mark.parametrize("a, b", [
    ("coughing", "cough"), ("sleepless", "sleeplessness"), ("painful", "pain"),
    ("aching", "ache"), ("numbness", "numb"), ("dizzy", "dizziness"), ("itchy", "itching"),
    ("tiredness", "tired"), ("breathless", "breath"), ("sleepless", "sleep"),
])
def test_derived_english_forms_meet(analyzer, a, b):
    [ta], [tb] = analyzer.tokens(a, "en"), analyzer.tokens(b, "en")
    assert set(ta.forms()) & set(tb.forms())


@pytest.mark.parametrize("a, b", [("early", "ear"), ("listen", "list"), ("body", "bod")])
def test_a_short_stem_is_never_stripped(analyzer, a, b):
    [ta], [tb] = analyzer.tokens(a, "en"), analyzer.tokens(b, "en")
    assert not set(ta.forms()) & set(tb.forms())


@pytest.mark.parametrize("query, heading", [
    ("itchy skin", "Itching skin in winter"),  # derived form (rule)
    ("swollen ankles", "Swelling of the ankles"),  # irregular form (lexicon)
    ("can't sleep", "Why insomnia happens"),  # everyday word -> clinical word
    ("GP", "When to see a general practitioner"),  # abbreviation
    ("coughing", "Coughing at night"),
])
def test_english_variants_find_the_section(db, query, heading):
    assert headings(db, query)[:1] == [heading]


# --- any string ---------------------------------------------------------------------------------

@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=40))
def test_any_string_is_still_a_valid_query_with_the_lexicons(db, text):
    result = search(db, text, limit=5)
    assert all(h.heading is not None for h in result.hits)
    get_analyzer()  # the analyzer survives whatever the lexicons were asked
