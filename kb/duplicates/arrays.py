"""Small numpy helpers shared by duplicate detection's vectorized steps."""

from __future__ import annotations

from itertools import pairwise

import numpy as np


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted. ``np.unique`` of numpy 2 hashes integer arrays first and is
    many times slower on millions of values (28 s against 0.4 s for 20 million) than sorting."""
    values = np.sort(values)
    if len(values) < 2:
        return values
    keep = np.empty(len(values), dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The indexes ``starts[i] .. starts[i] + lengths[i] - 1`` of every i, end to end."""
    lengths = np.asarray(lengths, dtype=np.int64)
    total = int(lengths.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    before = np.cumsum(lengths) - lengths  # where each range begins in the output
    return np.repeat(np.asarray(starts, dtype=np.int64) - before, lengths) + np.arange(total)


def runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end of each run of equal values."""
    if not len(values):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
    return starts, np.r_[starts[1:], len(values)]


def batches(weights: np.ndarray, limit: int) -> list[tuple[int, int]]:
    """Consecutive runs of items whose weights add up to about ``limit`` (at least one each)."""
    if not len(weights):
        return []
    ends = np.searchsorted(np.cumsum(weights), np.arange(limit, int(weights.sum()) + limit, limit),
                           "right")
    bounds = [0]
    for end in ends.tolist():
        end = max(end, bounds[-1] + 1)
        if end >= len(weights):
            break
        bounds.append(end)
    bounds.append(len(weights))
    return list(pairwise(bounds))
