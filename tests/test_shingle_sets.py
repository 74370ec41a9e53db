"""Shingle sets compared in batches give what Python sets give, pair by pair."""

from __future__ import annotations

import numpy as np
import pytest

from kb.duplicates.arrays import batches, ranges, sorted_unique
from kb.duplicates.shingle_sets import ShingleSets


def _texts(seed: int, count: int = 40, base: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    # few values: texts share many of them; some texts empty; repeats within a text
    return [base + rng.integers(0, 30, rng.integers(0, 25), dtype=np.uint64) for _ in range(count)]


@pytest.mark.parametrize("chunk", [1, 7, 4_000_000])  # a batch per pair, small ones, one batch
@pytest.mark.parametrize("base", [0, 2**32 - 30])  # values at the top of 32 bits too
def test_intersections_and_common_positions_equal_python_sets(chunk, base):
    texts = _texts(1, base=base)
    sets = ShingleSets(texts)
    rng = np.random.default_rng(2)
    a, b = rng.integers(0, len(texts), 300), rng.integers(0, len(texts), 300)
    assert sets.sizes().tolist() == [len(set(t.tolist())) for t in texts]
    expected = [len(set(texts[i].tolist()) & set(texts[j].tolist())) for i, j in zip(a, b)]
    assert sets.intersection_sizes(a, b, chunk=chunk).tolist() == expected
    pairs, places = sets.common_positions(a, b, chunk=chunk)
    got = sorted(zip(pairs.tolist(), places.tolist()))
    want = [(n, p) for n, (i, j) in enumerate(zip(a, b)) for p, value in enumerate(texts[i].tolist())
            if value in set(texts[j].tolist())]
    assert got == want and pairs.tolist() == sorted(pairs.tolist())


def test_each_text_keeps_its_positions_and_its_sorted_set():
    texts = _texts(3, 10)
    sets = ShingleSets(texts)
    for n, text in enumerate(texts):
        assert sets.positions_of(n).tolist() == text.tolist()
        assert sets.distinct_of(n).tolist() == sorted(set(text.tolist()))


def test_sorted_unique_equals_numpy_unique():
    values = np.random.default_rng(6).integers(0, 50, 1000, dtype=np.uint64)
    assert sorted_unique(values).tolist() == np.unique(values).tolist()
    assert sorted_unique(values[:1]).tolist() == values[:1].tolist()
    assert sorted_unique(values[:0]).tolist() == []


def test_ranges_and_batches():
    assert ranges(np.array([5, 0, 9]), np.array([2, 0, 3])).tolist() == [5, 6, 9, 10, 11]
    weights = np.array([3, 3, 10, 1, 1, 1])
    runs = batches(weights, 4)
    assert runs[0][0] == 0 and runs[-1][1] == len(weights)
    assert all(end > start for start, end in runs)
    assert all(b[1] == c[0] for b, c in zip(runs, runs[1:]))
    assert batches(np.array([], dtype=np.int64), 4) == []
