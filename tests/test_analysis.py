"""The analyzers: the forms a word is indexed under, the words dropped, and token offsets."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.analysis import ENGLISH_STOP_WORDS
from kb.analysis import Token, get_analyzer

from helpers import ARTICLES


def forms(analyzer, text: str) -> set[str]:
    """Every form (term and alternatives) of every token of a text."""
    return {f for t in analyzer.tokens(text) for f in t.forms()}


def only_token(analyzer, text: str) -> Token:
    tokens = analyzer.tokens(text)
    assert len(tokens) == 1, [(t.surface, t.term) for t in tokens]
    return tokens[0]


def test_get_analyzer_is_one_per_process():
    assert get_analyzer() is get_analyzer()


@pytest.mark.parametrize("word", ["熱い", "熱く", "熱さ", "熱くて", "熱かった", "熱くない"])
def test_inflections_of_atsui_share_the_term_atsui(analyzer, word):
    assert analyzer.tokens(word)[0].term == "熱い"


@pytest.mark.parametrize(
    "sentence",
    ["背中が熱くて眠れない", "背中の熱さが気になる", "首の後ろが熱く感じる"],
)
def test_inflected_atsui_in_a_sentence_is_indexed_as_atsui(analyzer, sentence):
    assert "熱い" in [t.term for t in analyzer.tokens(sentence)]


@pytest.mark.parametrize(
    "a, b",
    [("しびれ", "痺れ"), ("せなか", "背中"), ("しびれる", "痺れる"), ("手足のしびれ", "手足の痺れ")],
    ids=["shibire", "senaka", "shibireru", "teashi-no-shibire"],
)
def test_kana_and_kanji_spellings_share_a_term(analyzer, a, b):
    assert forms(analyzer, a) & forms(analyzer, b)
    assert [t.term for t in analyzer.tokens(a)] == [t.term for t in analyzer.tokens(b)]


@pytest.mark.parametrize("verb", ["しびれる", "痺れる", "しびれて", "痺れた"])
def test_the_verb_shibireru_also_matches_its_noun_form(analyzer, verb):
    # 痺れ (the noun) is how articles name the symptom; the verb must reach it
    assert "痺れ" in analyzer.tokens(verb)[0].forms()


@pytest.mark.parametrize("word", ["スマホ", "ｽﾏﾎ", "スマートフォン"])
def test_sumaho_is_indexed_as_sumaatofon(analyzer, word):
    # kb/data/normalize.txt makes the abbreviation and the full word one index term
    token = only_token(analyzer, word)
    assert token.surface == word and token.term == "スマートフォン"


def test_words_of_one_sudachi_synonym_group_share_a_form(analyzer):
    # めまい (目眩) and 眩暈 are different terms but one synonym group in SudachiDict
    assert forms(analyzer, "めまい") & forms(analyzer, "眩暈")
    assert only_token(analyzer, "めまい").term != only_token(analyzer, "眩暈").term


@pytest.mark.parametrize(
    "text, stem",
    [("stretching", "stretch"), ("stretches", "stretch"), ("stretched", "stretch"),
     ("Stretching", "stretch"), ("ｓｔｒｅｔｃｈｉｎｇ", "stretch"),
     ("ストレッチ stretching", "stretch"), ("flashes", "flash"), ("heating", "heat")],
)
def test_english_words_are_stemmed(analyzer, text, stem):
    assert analyzer.tokens(text)[-1].term == stem


def test_stretch_forms_share_one_stem(analyzer):
    assert len({analyzer.tokens(w)[0].term for w in ("stretch", "stretches", "stretching")}) == 1


@pytest.mark.parametrize("word", ["the", "The", "and", "of", "is", "to", "when", "your", "it's"])
def test_english_stop_words_are_dropped(analyzer, word):
    assert word.lower() in ENGLISH_STOP_WORDS
    assert analyzer.tokens(word, "en") == []
    surfaces = [t.surface for t in analyzer.tokens(f"pain {word} heat", "en")]
    assert surfaces == ["pain", "heat"]


def test_english_sentence_keeps_only_content_words(analyzer):
    terms = analyzer.terms("Why does my back feel hot when the skin is not warm to the touch?")
    assert terms == ["back", "feel", "hot", "skin", "warm", "touch"]


@pytest.mark.parametrize(
    "sentence, content",
    [
        ("背中が熱い", ["背中", "熱い"]),
        ("首の後ろを冷やす", ["首", "後ろ", "冷やす"]),
        ("内科で相談する", ["内科", "相談"]),
        ("ストレスから神経へ", ["ストレス", "神経"]),
        ("肩や背中も", ["肩", "背中"]),
    ],
    ids=["ga", "no-wo", "de", "kara-he", "ya-mo"],
)
def test_particles_are_dropped(analyzer, sentence, content):
    tokens = analyzer.tokens(sentence)
    surfaces = [t.surface for t in tokens]
    assert not set(surfaces) & {"が", "の", "を", "で", "から", "へ", "や", "も", "は", "に"}
    for word in content:
        assert any(word in t.surface or word == t.term for t in tokens), (word, surfaces)


def test_compound_disease_name_yields_its_parts(analyzer):
    text = "甲状腺機能亢進症"
    assert "甲状腺" in forms(analyzer, text)
    assert any(t.surface == "甲状腺" or "甲状腺" in t.alts for t in analyzer.tokens(text))


@pytest.mark.parametrize("text", ["ｾﾅｶ", "ｾﾅｶがｱﾂｲ"])
def test_half_width_kana_reads_like_full_width(analyzer, text):
    token = analyzer.tokens(text)[0]
    assert token.surface == "ｾﾅｶ"
    assert token.reading == analyzer.tokens("せなか")[0].reading == "セナカ"


# --- offsets -----------------------------------------------------------------------------------

def _article_body(name: str) -> str:
    return (ARTICLES / name).read_text(encoding="utf-8").split("---\n", 2)[2]


HIRAI_BODY = _article_body("hirai-back-heat.md")
ENGLISH_BODY = _article_body("upper-back-heat-en.md")

OFFSET_TEXTS = {
    "japanese": "背中が熱くて眠れない。首の後ろが熱く感じる原因は自律神経の乱れです。",
    "english": "Stretching helps: roll your shoulders, and don't stretch to the point of pain.",
    "mixed": "ストレッチ(stretching)で背中の熱感が和らぐ。Hot flashes は更年期に多い。",
    "half-width-kana": "ｾﾅｶがｱﾂｸﾃﾈﾑﾚﾅｲ。ｽﾄﾚｯﾁ stretching ﾃﾞ背中をほぐす。",
    "full-width-latin": "ＳＴＲＥＴＣＨＩＮＧと１２３、Ｑ１.背中が熱い?",
    "emoji": "😀背中が熱い😀 stretching 🔥🔥 首が熱い",
    "markdown-source": HIRAI_BODY[:3000],
    "long-japanese": HIRAI_BODY * 4,
    "long-english": ENGLISH_BODY * 3,
    "long-mixed": (HIRAI_BODY[:2000] + ENGLISH_BODY[:2000] + "ｾﾅｶ😀") * 6,
    "long-without-sentence-ends": "背中が熱い、首が熱い、" * 2500,
    "long-one-line": ("背中が熱くてstretchingが効くｾﾅｶ" * 1500),
}


@pytest.mark.parametrize("text", OFFSET_TEXTS.values(), ids=OFFSET_TEXTS.keys())
def test_token_offsets_point_at_the_surface(analyzer, text):
    tokens = analyzer.tokens(text)
    assert tokens
    for t in tokens:
        assert text[t.start : t.end] == t.surface, t
    starts = [t.start for t in tokens]
    assert starts == sorted(starts)
    assert all(a.end <= b.start for a, b in zip(tokens, tokens[1:]))


@pytest.mark.parametrize(
    "name", [n for n in OFFSET_TEXTS if n.startswith("long")],
)
def test_long_texts_are_analyzed_to_the_end(analyzer, name):
    text = OFFSET_TEXTS[name]
    assert len(text) > 20_000
    tokens = analyzer.tokens(text)
    assert tokens[-1].end > len(text) - 100


@pytest.mark.parametrize("paragraph", [HIRAI_BODY, "背中が熱い。首が熱い。\n" * 10])
def test_a_long_text_gives_the_terms_of_its_parts(analyzer, paragraph):
    # cut at sentence ends, a repeated text is analyzed exactly like each copy of it
    copies = 20_000 // len(paragraph) + 2
    text = paragraph * copies
    assert len(text) > 20_000
    assert analyzer.terms(text) == analyzer.terms(paragraph) * copies


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_offsets_hold_for_any_text(text):
    for t in get_analyzer().tokens(text):
        assert text[t.start : t.end] == t.surface


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "。、!?", "---"])
def test_texts_without_words_give_no_tokens(analyzer, text):
    assert analyzer.tokens(text) == []


@pytest.mark.parametrize("numbers", [[0, 2, 1, 3], [0, 300, 5, 2], [70000, 4, 1, 1], []])
def test_term_places_survive_packing_at_every_width(numbers):
    """Gaps and lengths under 256, under 65,536 and above pack into 1, 2 and 4 bytes a number;
    decoding gives back each term's start and end."""
    from kb.analysis import decode_spans
    from kb.analysis import encode_spans

    expected, end = [], 0
    for gap, length in zip(numbers[0::2], numbers[1::2]):
        start = end + gap
        end = start + length
        expected.append((start, end))
    assert decode_spans(encode_spans(numbers)) == expected


def test_one_threads_analysis_never_waits_for_anothers(analyzer):
    # a thread stopped in the middle of analysing a text (its ``keep`` filter waits) must not
    # hold up another thread's analysis: a web request never waits for another's
    import threading

    inside, release = threading.Event(), threading.Event()

    def stop_inside(token) -> bool:
        inside.set()
        release.wait(10)
        return True

    slow = threading.Thread(target=analyzer.tokens, args=("背中が熱い。" * 50,),
                            kwargs={"keep": stop_inside})
    slow.start()
    try:
        assert inside.wait(10)
        done: list = []
        other = threading.Thread(target=lambda: done.append(analyzer.terms("手足のしびれ")))
        other.start()
        other.join(2)
        assert done == [["手足", "痺れ"]], "the second thread waited for the first"
    finally:
        release.set()
        slow.join(10)
    assert not slow.is_alive()


def test_english_stems_are_the_same_from_several_threads_at_once():
    # a Snowball stemmer keeps its word in itself while it works: threads must not share one
    import itertools
    import threading

    from kb.analysis import EnglishAnalyzer

    words = ["".join(p) + end for p in itertools.product("bcdfglmprst", "aeiou", "nrst")
             for end in ("ing", "ed", "ness", "ational", "fulness", "ically")]
    expected = [EnglishAnalyzer().stem(w) for w in words]
    shared = EnglishAnalyzer()  # fresh: nothing cached yet
    results: dict[int, list[str]] = {}

    def stem_all(n: int) -> None:
        order = words[n * 97 % len(words):] + words[: n * 97 % len(words)]
        stems = dict(zip(order, (shared.stem(w) for w in order)))
        results[n] = [stems[w] for w in words]

    threads = [threading.Thread(target=stem_all, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == [0, 1, 2, 3], "a thread failed"
    assert all(stems == expected for stems in results.values())
