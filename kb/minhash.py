"""MinHash signatures and LSH banding, vectorized with numpy.

A text's shingles (runs of k analyzed words) are hashed to 64-bit integers once; a signature is,
for each of ``permutations`` universal hash functions ``(a * x + b) mod p``, the smallest value
over the shingles. Two texts agree in a signature position with probability equal to the
Jaccard similarity of their shingle sets. LSH cuts signatures into ``bands`` of ``rows``: texts
that agree on a whole band become candidates, which callers then verify exactly.

numpy does the arithmetic for all shingles and all permutations at once (one matrix per text),
which is what makes 100,000 sections take seconds rather than minutes in Python.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

# A Mersenne prime above 2**32: products of 32-bit coefficients and hashes stay inside 64 bits.
_PRIME = np.uint64((1 << 61) - 1)
_MASK32 = np.uint64(0xFFFFFFFF)


def shingles(terms: Sequence[str], k: int = 3) -> set[str]:
    """The runs of ``k`` consecutive terms (the whole text when it is shorter)."""
    if len(terms) < k:
        return {" ".join(terms)} if terms else set()
    return {" ".join(terms[i : i + k]) for i in range(len(terms) - k + 1)}


def hash_shingles(items: Iterable[str]) -> np.ndarray:
    """Stable 32-bit hashes of shingles (the same in every process, unlike ``hash``)."""
    return np.fromiter(
        (int.from_bytes(hashlib.blake2b(s.encode(), digest_size=4).digest(), "little") for s in items),
        dtype=np.uint64,
    )


@dataclass(frozen=True)
class MinHasher:
    """``permutations`` hash functions, drawn from a fixed seed (signatures are comparable)."""

    permutations: int = 128
    seed: int = 1

    def __post_init__(self) -> None:
        rng = np.random.default_rng(self.seed)
        object.__setattr__(self, "_a", rng.integers(1, 1 << 31, self.permutations, dtype=np.uint64))
        object.__setattr__(self, "_b", rng.integers(0, 1 << 31, self.permutations, dtype=np.uint64))

    def signature(self, hashes: np.ndarray) -> np.ndarray:
        """The MinHash signature of a set of shingle hashes (all 2**32 - 1 for an empty set)."""
        if hashes.size == 0:
            return np.full(self.permutations, _MASK32, dtype=np.uint64)
        values = (np.outer(hashes & _MASK32, self._a) + self._b) % _PRIME  # shingles x permutations
        return (values & _MASK32).min(axis=0)


def lsh_candidates(signatures: Sequence[np.ndarray], bands: int, rows: int) -> set[tuple[int, int]]:
    """Pairs of indexes whose signatures agree on at least one whole band."""
    pairs: set[tuple[int, int]] = set()
    for band in range(bands):
        buckets: dict[bytes, list[int]] = defaultdict(list)
        start = band * rows
        for index, signature in enumerate(signatures):
            buckets[signature[start : start + rows].tobytes()].append(index)
        for members in buckets.values():
            if len(members) > 1:
                for i, a in enumerate(members):
                    for b in members[i + 1 :]:
                        pairs.add((a, b))
    return pairs


def bands_for(threshold: float, permutations: int) -> tuple[int, int]:
    """Bands and rows (dividing ``permutations``) that make most pairs at ``threshold`` candidates
    and few pairs at half of it (candidates are verified exactly afterwards, so recall counts
    more than a few extra candidates)."""
    best = (permutations, 1)
    best_error = float("inf")
    for rows in range(1, permutations + 1):
        if permutations % rows:
            continue
        bands = permutations // rows
        # probability that a pair at the threshold becomes a candidate: aim high (>= 0.95)
        at_threshold = 1 - (1 - threshold**rows) ** bands
        # ...while a pair at half the threshold rarely does
        below = 1 - (1 - (threshold / 2) ** rows) ** bands
        error = max(0.0, 0.95 - at_threshold) * 10 + below
        if error < best_error:
            best, best_error = (bands, rows), error
    return best
