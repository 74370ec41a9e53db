"""Search quality on the real articles: the judged query set and the variants patients type.

``tests/search_queries.yml`` holds queries with graded relevance judgments (see its header);
``bench/search_quality.py`` prints the full figures, against baselines. Here the judged set is
checked for typos and kb's nDCG@10 on it is held above a floor, and each kind of variant from the
issue (inflection, verb/noun, script, kana, compound part, width) is checked on its own: the query
must find a section that holds only the spelling the query did not use.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from kb.index import build_index
from kb.search import search
from kb.index import open_db

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # ``bench`` is a folder of the repository, not an installed package
    sys.path.insert(0, str(ROOT))

from bench.metrics import KINDS, load_queries, mean, score_queries  # noqa: E402

ARTICLES = ROOT / "articles"
QUERIES = ROOT / "tests" / "search_queries.yml"
NDCG_FLOOR = 0.88  # the target is 0.90; below the floor ranking has regressed
TOP = 10


@pytest.fixture(scope="module")
def quality_db(tmp_path_factory: pytest.TempPathFactory):
    """An index of the real articles/ folder, built in a temporary directory."""
    path = tmp_path_factory.mktemp("quality") / "kb.db"
    build_index(ARTICLES, path, workers=1)
    db = open_db(path)
    yield db
    db.close()


@pytest.fixture(scope="module")
def sections(quality_db) -> dict[int, tuple[str, str, str]]:
    """section id -> (article id, heading, heading and text) for every section."""
    rows = quality_db.execute(
        "select id, article_id, coalesce(heading, ''), coalesce(text, '') from sections"
    ).fetchall()
    return {r[0]: (r[1], r[2], f"{r[2]}\n{r[3]}") for r in rows}


@pytest.fixture(scope="module")
def queries():
    return load_queries(QUERIES)


def test_query_set_is_large_and_covers_every_kind(queries):
    assert len(queries) >= 45
    assert {q.kind for q in queries} == set(KINDS)
    assert len({q.query for q in queries}) == len(queries), "a query is listed twice"


def test_every_judged_section_exists(queries, sections):
    keys = [(article, heading) for article, heading, _ in sections.values()]
    known = set(keys)
    ambiguous = {k for k in known if keys.count(k) > 1}
    problems = [
        f"{q.query!r}: {key} is not a section{' (heading not unique)' if key in ambiguous else ''}"
        for q in queries for key in q.grades if key not in known or key in ambiguous
    ]
    assert not problems, "\n".join(problems)


def test_kb_ndcg_on_judged_queries(quality_db, queries, sections):
    rankings = [
        [sections[h.section_id][:2] for h in search(quality_db, q.query, limit=50).hits]
        for q in queries
    ]
    scores = score_queries(queries, rankings)
    overall = mean(s.ndcg for s in scores)
    worst = sorted(scores, key=lambda s: s.ndcg)[:8]
    detail = "\n".join(f"  {s.ndcg:.3f} [{s.query.kind}] {s.query.query}" for s in worst)
    assert overall >= NDCG_FLOOR, f"nDCG@10 {overall:.3f} < {NDCG_FLOOR}; worst queries:\n{detail}"


# (query, the spelling it must find, the spelling it used) as regular expressions. A section
# counts only when it holds the variant and, once the variant is taken out, not the typed spelling,
# so the test fails unless the variant itself was matched.
_KOKI = r"(?<!起)こり"  # こり (stiffness), not the こり of 起こり
VARIANTS = [
    pytest.param("熱く", "熱い", "熱く", id="inflection-熱く->熱い"),
    pytest.param("熱さ", "熱い", "熱さ", id="inflection-熱さ->熱い"),
    pytest.param("熱くて", "熱い", "熱くて", id="inflection-熱くて->熱い"),
    pytest.param("ほてる", "ほてり|火照り", "ほてる|火照る", id="verb-noun-ほてる->ほてり"),
    pytest.param("しびれる", "しびれ", "しびれる", id="verb-noun-しびれる->しびれ"),
    pytest.param("怒る", "怒り", "怒る", id="verb-noun-怒る->怒り"),
    pytest.param("ふらつく", "ふらつき", "ふらつく", id="verb-noun-ふらつく->ふらつき"),
    pytest.param("ふらつき", "ふらつく", "ふらつき", id="verb-noun-ふらつき->ふらつく"),
    pytest.param("冷える", "冷え", "冷える", id="verb-noun-冷える->冷え"),
    pytest.param("痺れ", "しびれ", "痺れ", id="script-痺れ->しびれ"),
    pytest.param("凝り", _KOKI, "凝り", id="script-凝り->こり"),
    pytest.param("スマホ", "スマートフォン", "スマホ", id="script-スマホ->スマートフォン"),
    pytest.param("スマートフォン", "スマホ", "スマートフォン", id="script-スマートフォン->スマホ"),
    pytest.param("せなか", "背中", "せなか", id="kana-せなか->背中"),
    pytest.param("甲状腺", "甲状腺機能亢進症", "甲状腺", id="compound-甲状腺->甲状腺機能亢進症"),
    pytest.param("こり", "首こり", _KOKI, id="compound-こり->首こり"),
    pytest.param("ｾﾅｶ", "背中", "ｾﾅｶ|セナカ", id="width-ｾﾅｶ->背中"),
]


def _holds_only_variant(text: str, variant: str, typed: str) -> bool:
    return bool(re.search(variant, text)) and not re.search(typed, re.sub(variant, "", text))


@pytest.mark.parametrize("query, variant, typed", VARIANTS)
def test_query_finds_the_spelling_it_did_not_use(quality_db, sections, query, variant, typed):
    candidates = {i for i, (_, _, text) in sections.items()
                  if _holds_only_variant(text, variant, typed)}
    assert candidates, f"test case: no section holds /{variant}/ without /{typed}/"
    hits = search(quality_db, query, limit=TOP).hits
    found = [h for h in hits if h.section_id in candidates]
    shown = [f"{h.article_id}: {h.heading}" for h in hits]
    assert found, f"{query!r}: no hit among the top {TOP} holds /{variant}/ alone; hits: {shown}"


def test_one_character_word_is_matched_as_a_word(quality_db, sections):
    """首 finds the neck sections, and 首 inside 手首/足首 does not count as the neck."""
    def neck(section_id: int) -> bool:
        return "首" in re.sub("手首|足首", "", sections[section_id][2])

    hits = search(quality_db, "首", limit=TOP).hits
    assert len(hits) >= 5, [h.heading for h in hits]
    not_neck = [h.heading for h in hits[:5] if not neck(h.section_id)]
    assert not not_neck, f"sections with only 手首/足首 in the top 5: {not_neck}"
    assert any(h.article_id == "comolab-neck-heat" for h in hits[:3])


DEVSET = ROOT / "bench" / "data" / "devset"


@pytest.fixture(scope="module")
def devset_articles(tmp_path_factory: pytest.TempPathFactory):
    """The development set's articles, indexed, as the benchmark resolves judgments against them."""
    from bench.search_quality import indexed_articles

    path = tmp_path_factory.mktemp("devset") / "kb.db"
    build_index(DEVSET / "articles", path, workers=1)
    db = open_db(path)
    yield indexed_articles(db)
    db.close()


@pytest.mark.parametrize("part", ["a", "b"])
def test_every_devset_judgment_names_one_unit(devset_articles, part):
    from bench.metrics import load_devset_queries

    articles = [a for a in devset_articles if a.id.startswith(f"{part}-")]
    queries = load_devset_queries(DEVSET / f"{part}-queries.yml", articles)  # raises on a typo
    assert len(queries) == 50
    for q in queries:
        assert {article for article, _ in q.grades} <= q.pool
        assert all(a.startswith(f"{part}-") for a in q.pool)


def test_hits_outside_a_querys_pool_do_not_change_its_score():
    from bench.metrics import JudgedQuery

    judged = JudgedQuery("q", "fragment", {("a-x", "h1"): 2, ("a-x", "h2"): 1},
                         pool=frozenset({"a-x", "a-y"}))
    plain = [("a-y", "h"), ("a-x", "h1"), ("a-x", "h2")]
    crowded = [("ours", "h"), ("a-y", "h"), ("b-z", "h"), ("a-x", "h1"), ("ours", "g"), ("a-x", "h2")]
    first, second = score_queries([judged, judged], [plain, crowded])
    assert (first.ndcg, first.rr) == (second.ndcg, second.rr)
    assert first.rr == 0.5
