"""Many texts' shingles in two flat numpy arrays, compared a batch of pairs at a time.

Duplicate detection verifies hundreds of thousands of candidate pairs and shows, for each match,
the passages both sides hold. Done pair by pair in Python that is most of its time; here every
text's shingle hashes are kept in word order (``positions``) and as a sorted set (``distinct``),
all texts end to end with offsets, so a batch of pairs is one gather and one ``searchsorted``:
a value tagged with its pair's number is looked up among the other side's tagged values.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .arrays import batches, ranges, sorted_unique

_LOW32 = np.uint64(0xFFFFFFFF)
_SHIFT = np.uint64(32)


def _tagged(tags: np.ndarray, values: np.ndarray) -> np.ndarray:
    """One 64-bit key per value: its tag in the high half, the (32-bit) value in the low."""
    return (tags.astype(np.uint64) << _SHIFT) | values.astype(np.uint64)


class ShingleSets:
    """The shingle hashes (32-bit values) of many texts, by number: each text's in word order
    (one per position, repeats kept) and its distinct ones, sorted."""

    def __init__(self, texts: Sequence[np.ndarray]) -> None:
        lengths = np.array([len(t) for t in texts], dtype=np.int64)
        self.positions = (np.concatenate(texts).astype(np.uint32) if lengths.sum()
                          else np.zeros(0, dtype=np.uint32))
        self.position_offsets = np.r_[0, np.cumsum(lengths)]
        owners = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
        keys = sorted_unique(_tagged(owners, self.positions))  # sorted by text, then by value
        self.distinct = (keys & _LOW32).astype(np.uint32)
        self.distinct_offsets = np.searchsorted(keys >> _SHIFT, np.arange(len(texts) + 1), "left")

    def __len__(self) -> int:
        return len(self.position_offsets) - 1

    def sizes(self) -> np.ndarray:
        """How many distinct shingles each text has (the size of its set)."""
        return np.diff(self.distinct_offsets)

    def lengths(self) -> np.ndarray:
        """How many shingle positions each text has."""
        return np.diff(self.position_offsets)

    def distinct_of(self, text: int) -> np.ndarray:
        """A text's distinct shingles, sorted."""
        return self.distinct[self.distinct_offsets[text] : self.distinct_offsets[text + 1]]

    def positions_of(self, text: int) -> np.ndarray:
        """A text's shingles in word order, repeats kept."""
        return self.positions[self.position_offsets[text] : self.position_offsets[text + 1]]

    def _distinct_keys(self, texts: np.ndarray) -> np.ndarray:
        """The distinct values of ``texts[i]`` tagged with i, end to end: sorted."""
        sizes = self.sizes()[texts]
        values = self.distinct[ranges(self.distinct_offsets[texts], sizes)]
        return _tagged(np.repeat(np.arange(len(texts)), sizes), values)

    def intersection_sizes(self, a: np.ndarray, b: np.ndarray, chunk: int = 4_000_000) -> np.ndarray:
        """``len(set(a[i]) & set(b[i]))`` for every pair i of text numbers, a batch of pairs
        (about ``chunk`` values) at a time."""
        out = np.zeros(len(a), dtype=np.int64)
        for first, last in batches(self.sizes()[a] + self.sizes()[b], chunk):
            mine = self._distinct_keys(a[first:last])
            theirs = self._distinct_keys(b[first:last])
            if not len(mine) or not len(theirs):
                continue
            found = np.minimum(np.searchsorted(mine, theirs), len(mine) - 1)
            hit = mine[found] == theirs
            out[first:last] = np.bincount((theirs[hit] >> _SHIFT).astype(np.int64),
                                          minlength=last - first)
        return out

    def common_positions(self, a: np.ndarray, b: np.ndarray,
                         chunk: int = 4_000_000) -> tuple[np.ndarray, np.ndarray]:
        """For each pair i, the positions of ``a[i]``'s shingles that ``b[i]`` holds too: two
        arrays, the pair numbers (ascending) and the positions (ascending within a pair)."""
        pairs, places = [], []
        for first, last in batches(self.lengths()[a] + self.sizes()[b], chunk):
            lengths = self.lengths()[a[first:last]]
            numbers = np.repeat(np.arange(first, last), lengths)
            where = ranges(self.position_offsets[a[first:last]], lengths)
            mine = _tagged(numbers - first, self.positions[where])
            theirs = self._distinct_keys(b[first:last])
            if not len(mine) or not len(theirs):
                continue
            found = np.minimum(np.searchsorted(theirs, mine), len(theirs) - 1)
            hit = theirs[found] == mine
            pairs.append(numbers[hit])
            places.append(where[hit] - self.position_offsets[a[numbers[hit]]])
        if not pairs:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(pairs), np.concatenate(places)

