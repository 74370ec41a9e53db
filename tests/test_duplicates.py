"""Duplicates: exact copies, light rewrites, boilerplate clusters, and what is not a copy.

The texts are built into a real index (kb's build, as ``kb build`` does) and their matches read
back as ``kb duplicates`` reads them: what is checked is the code that production runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kb.analysis import get_analyzer
from kb.duplicates import list_duplicates
from kb.duplicates.minhash import MinHasher, bands_for, lsh_pairs, shingle_hashes
from kb.duplicates.units import normalized
from kb.index import build_index, open_db

from helpers import write_article

ORIGINAL = ("背中が熱く感じる主な理由として、自律神経の乱れが挙げられます。"
            "自律神経は体温調節や血流をコントロールする役割を担っています。"
            "ストレスや不規則な生活が続くとこのバランスが崩れ、交感神経が過剰に働きやすくなります。"
            "その結果、筋肉が緊張して血行が悪くなり、背中が熱くなるという感覚が生じるのです。"
            "当院ではこうした症状に対して鍼灸治療を行っています。")

REWRITES = {
    "reordered": ("自律神経は体温調節や血流をコントロールする役割を担っています。"
                  "背中が熱く感じる主な理由として、自律神経の乱れが挙げられます。"
                  "ストレスや不規則な生活が続くとこのバランスが崩れ、交感神経が過剰に働きやすくなります。"
                  "その結果、筋肉が緊張して血行が悪くなり、背中が熱くなるという感覚が生じるのです。"
                  "当院ではこうした症状に対して鍼灸治療を行っています。"),
    "sentence dropped": ("背中が熱く感じる主な理由として、自律神経の乱れが挙げられます。"
                         "自律神経は体温調節や血流をコントロールする役割を担っています。"
                         "ストレスや不規則な生活が続くとこのバランスが崩れ、交感神経が過剰に働きやすくなります。"
                         "その結果、筋肉が緊張して血行が悪くなり、背中が熱くなるという感覚が生じるのです。"),
    "words swapped": ("背中が熱く感じる主な要因として、自律神経の乱れが挙げられる。"
                      "自律神経は体温調節や血流をコントロールする役割を担っている。"
                      "ストレスや不規則な生活が続くとこのバランスが崩れ、とくに交感神経が過剰に働きやすくなる。"
                      "その結果、筋肉が緊張して血行が悪くなり、背中が熱くなるという感覚が生じるのである。"
                      "当院ではこうした症状に対して鍼灸治療を行っている。"),
    "clinic renamed, kana for kanji": (
        "背中が熱く感じる主な理由として、自律神経のみだれが挙げられます。"
        "自律神経は体温調節や血流をコントロールする役割を担っています。"
        "ストレスや不規則な生活が続くとこのバランスが崩れ、交感神経が過剰にはたらきやすくなります。"
        "その結果、筋肉が緊張して血行が悪くなり、背中が熱くなるという感覚が生じるのです。"
        "さくら整骨院ではこうした症状に対して鍼灸治療を行っています。"),
}

INDEPENDENT = ("交感神経は、体を活動的にする神経で、緊張や興奮したときに強く働きます。"
               "一方の副交感神経は、眠っているときや食後にくつろいでいるときに優位になります。"
               "この二つがシーソーのように切り替わることで、心拍や血圧、汗の量が整えられています。"
               "夜更かしが続くと切り替えがうまくいかず、寝つきが悪くなることもあります。")


def duplicates_of(folder: Path, articles: dict[str, list[str]]) -> list[dict]:
    """Index articles (id -> its sections' texts, each under a heading of its own) and list
    their duplicates as ``kb duplicates`` does."""
    for article_id, texts in articles.items():
        body = "".join(f"## 見出し{n}\n\n{text}\n\n" for n, text in enumerate(texts, 1))
        write_article(folder / "articles", f"{article_id}.md", title=f"記事{article_id}", body=body)
    build_index(folder / "articles", folder / "kb.db", workers=1)
    db = open_db(folder / "kb.db")
    try:
        return list_duplicates(db)
    finally:
        db.close()


def lsh_candidates(signatures, bands: int, rows: int, **options) -> set[tuple[int, int]]:
    """:func:`lsh_pairs` as a set of ``(a, b)`` tuples."""
    found = lsh_pairs(signatures, bands, rows, **options)
    return set(zip(found[:, 0].tolist(), found[:, 1].tolist()))


def test_normalized_text_ignores_width_punctuation_and_space():
    assert normalized("ｾﾅｶが、熱い！ ") == normalized("セナカが熱い")


def test_an_exact_copy_is_exact(tmp_path):
    matches = duplicates_of(tmp_path, {"a": [ORIGINAL], "b": [ORIGINAL.replace("。", "。 ")]})
    assert [(m["kind"], m["similarity"]) for m in matches] == [("exact", 1.0)]


@pytest.mark.parametrize("rewrite", REWRITES.values(), ids=REWRITES.keys())
def test_a_light_rewrite_is_a_near_copy_with_its_true_score(tmp_path, rewrite):
    matches = duplicates_of(tmp_path, {"a": [ORIGINAL], "b": [rewrite]})
    assert len(matches) == 1 and matches[0]["kind"] == "near"
    a, b = (set(shingle_hashes(get_analyzer().terms(t)).tolist()) for t in (ORIGINAL, rewrite))
    assert matches[0]["similarity"] == round(len(a & b) / len(a | b), 4)  # verified, not estimated
    assert matches[0]["similarity"] >= 0.5 or matches[0]["containment"] >= 0.8


def test_two_texts_written_independently_on_one_topic_are_not_copies(tmp_path):
    assert duplicates_of(tmp_path, {"a": [ORIGINAL], "b": [INDEPENDENT]}) == []


def test_a_block_in_three_articles_is_one_boilerplate_cluster(tmp_path):
    block = ("ご予約はお電話またはLINEで承っております。受付時間は平日9時から19時、土曜は17時までです。"
             "日曜・祝日は休診となります。駐車場は院の裏に3台分ございます。")
    found = duplicates_of(tmp_path, {"a": [ORIGINAL, block], "b": [INDEPENDENT, block],
                                     "c": [block], "d": [block]})
    assert len(found) == 1
    assert found[0]["kind"] == "boilerplate"
    assert {p["article_id"] for p in found[0]["places"]} == {"a", "b", "c", "d"}


def test_a_copy_in_two_articles_is_a_pair_not_boilerplate(tmp_path):
    found = duplicates_of(tmp_path, {"a": [ORIGINAL], "b": [REWRITES["reordered"]]})
    assert [c["kind"] for c in found] == ["near"] and "places" not in found[0]  # a pair:
    assert {found[0]["a"]["article_id"], found[0]["b"]["article_id"]} == {"a", "b"}  # two places


def test_minhash_estimates_jaccard():
    hasher = MinHasher(permutations=256)
    a = [f"w{i}" for i in range(100)]
    b = [f"w{i}" for i in range(50, 150)]  # Jaccard 1/3
    sa, sb = (hasher.signature(shingle_hashes(s, k=1)) for s in (a, b))
    estimate = float(np.mean(sa == sb))
    assert abs(estimate - 1 / 3) < 0.1


@pytest.mark.parametrize("aim", [0.4, 0.5])
def test_bands_find_pairs_above_the_threshold_and_few_far_below_it(aim):
    bands, rows = bands_for(aim, 128)
    assert bands * rows <= 128

    def candidate(jaccard: float) -> float:
        return 1 - (1 - jaccard**rows) ** bands

    assert candidate(aim + 0.05) >= 0.95 and candidate(aim / 2) <= 0.5 and candidate(aim / 4) <= 0.1


def test_signatures_of_many_sets_equal_one_at_a_time():
    from kb.duplicates.minhash import signatures_of

    hasher = MinHasher()
    sets = [shingle_hashes(get_analyzer().terms(t)) for t in (ORIGINAL, INDEPENDENT, "", "短い")]
    together = signatures_of(hasher, sets, chunk=7)  # small chunks: sets cut across chunks
    for signature, items in zip(together, sets):
        assert (signature == hasher.signature(items).astype(np.uint32)).all()


def test_lsh_stars_give_linear_pairs_for_a_text_in_many_places():
    same = np.arange(128, dtype=np.uint32)
    signatures = [same.copy() for _ in range(50)]
    assert len(lsh_candidates(signatures, 32, 4)) == 50 * 49 // 2
    assert lsh_candidates(signatures, 32, 4, star=True) == {(0, b) for b in range(1, 50)}


@pytest.mark.parametrize("terms", [[], ["首"], ["首", "熱い"], ["首", "熱い", "冷やす"]])
def test_short_texts_have_at_most_one_shingle(terms):
    assert len(shingle_hashes(terms)) == min(len(terms), 1)


def test_lsh_can_look_only_at_the_buckets_of_some_signatures():
    rng = np.random.default_rng(0)
    signatures = [rng.integers(0, 2**32, 128, dtype=np.uint64).astype(np.uint32) for _ in range(6)]
    signatures[3] = signatures[0].copy()
    signatures[5] = signatures[1].copy()
    assert lsh_candidates(signatures, 32, 4) == {(0, 3), (1, 5)}
    assert lsh_candidates(signatures, 32, 4, only=[3]) == {(0, 3)}
    assert lsh_candidates(signatures, 32, 4, only=[2]) == set()


@pytest.mark.parametrize("star,up_to", [(False, 2), (True, 2), (True, 4)])
def test_lsh_matches_a_plain_bucket_count(star, up_to):
    """The vectorized banding gives what grouping each band's rows in a dict gives."""
    from collections import defaultdict

    rng = np.random.default_rng(3)
    signatures = rng.integers(0, 4, (40, 8), dtype=np.uint64).astype(np.uint32)  # many buckets
    expected: set[tuple[int, int]] = set()
    for band in range(4):
        buckets = defaultdict(list)
        for i, s in enumerate(signatures):
            buckets[s[band * 2 : band * 2 + 2].tobytes()].append(i)
        for members in buckets.values():
            if star and len(members) > up_to:
                expected |= {(members[0], b) for b in members[1:]}
            else:
                expected |= {(a, b) for n, a in enumerate(members) for b in members[n + 1 :]}
    assert expected and lsh_candidates(list(signatures), 4, 2, star=star, all_pairs_up_to=up_to) == expected


def test_lsh_query_gives_the_query_stored_pairs_a_plain_bucket_count_gives():
    from kb.duplicates.minhash import lsh_query

    rng = np.random.default_rng(8)
    stored = rng.integers(0, 3, (80, 8), dtype=np.uint64).astype(np.uint32)
    stored[:50, 0:2] = 7  # a big bucket in band 0
    queries = rng.integers(0, 3, (6, 8), dtype=np.uint64).astype(np.uint32)
    queries[0, 0:2] = 7
    expected = {(q, s) for q in range(len(queries)) for s in range(len(stored))
                if any((queries[q][b * 2 : b * 2 + 2] == stored[s][b * 2 : b * 2 + 2]).all()
                       for b in range(4))}
    found = lsh_query(queries, stored, 4, 2)
    assert expected and set(map(tuple, found.tolist())) == expected
    assert lsh_query(queries[:0], stored, 4, 2).shape == (0, 2)
