"""MinHash signatures and LSH banding, vectorized with numpy.

A text's shingles (runs of k analyzed words) are hashed to integers once; a signature is, for
each of ``permutations`` multiply-shift hash functions (the high 32 bits of ``a * x + b`` mod
2**64), the smallest value over the shingles. Two texts agree in a signature position with probability equal to the
Jaccard similarity of their shingle sets. LSH cuts signatures into ``bands`` of ``rows``: texts
that agree on a whole band become candidates, which callers then verify exactly.

numpy does the arithmetic for all shingles and all permutations at once (one matrix per text),
which is what makes 100,000 sections take seconds rather than minutes in Python.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .arrays import ranges, runs, sorted_unique

_MASK32 = np.uint64(0xFFFFFFFF)
_SHIFT = np.uint64(32)


_TERM_IDS: dict[str, int] = {}
# Odd 64-bit multipliers that mix the k term hashes of a shingle into one (wrapping arithmetic).
_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5],
                dtype=np.uint64)


def shingle_hashes(terms: Sequence[str], k: int = 3) -> np.ndarray:
    """The distinct hashes of a text's shingles (runs of ``k`` terms), computed for all of them
    at once: each term is hashed once per process (stably, unlike ``hash``) and a shingle's hash
    mixes its terms' hashes. The same as hashing the joined shingle text, without joining."""
    return hashes_of_ids(term_ids(terms), k)


def term_ids(terms: Sequence[str]) -> np.ndarray:
    """Each term's stable 64-bit hash (cached per process; new terms hashed once each)."""
    table = _TERM_IDS
    for term in set(terms).difference(table):
        _term_id(term)
    if len(table) > 2_000_000:  # bounded: the table is a cache
        return np.fromiter((_term_id(t) for t in terms), dtype=np.uint64, count=len(terms))
    return np.array([table[t] for t in terms], dtype=np.uint64)


def hashes_of_ids(ids: np.ndarray, k: int = 3, unique: bool = True) -> np.ndarray:
    """:func:`shingle_hashes` from term hashes (a slice of a longer text's: no hashing again);
    ``unique=False`` keeps repeats (a MinHash signature does not mind them, and it is faster)."""
    if not len(ids):
        return np.zeros(0, dtype=np.uint32)
    if len(ids) < k:  # a text shorter than a shingle is one shingle
        windows = [ids[i : i + 1] for i in range(len(ids))]
        k = len(ids)
    else:
        windows = [ids[i : len(ids) - k + 1 + i] for i in range(k)]
    with np.errstate(over="ignore"):
        mixed = windows[0] * _MIX[0]
        for i in range(1, k):
            mixed = mixed + windows[i] * _MIX[i]
    # the well-mixed high half, 32 bits like a signature (and half the memory of 64)
    mixed = (mixed >> np.uint64(32)).astype(np.uint32)
    return sorted_unique(mixed) if unique else mixed


def _term_id(term: str) -> int:
    value = _TERM_IDS.get(term)
    if value is None:
        value = int.from_bytes(hashlib.blake2b(term.encode(), digest_size=8).digest(), "little")
        if len(_TERM_IDS) < 2_000_000:
            _TERM_IDS[term] = value
    return value


@dataclass(frozen=True)
class MinHasher:
    """``permutations`` hash functions, drawn from a fixed seed (signatures are comparable)."""

    permutations: int = 128
    seed: int = 1

    def __post_init__(self) -> None:
        # multiply-shift hashing: (a * x + b) mod 2**64, its high 32 bits; a odd (no division:
        # several times faster than a modulus over a prime, and as good for MinHash)
        rng = np.random.default_rng(self.seed)
        a = rng.integers(0, 2**63, self.permutations, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
        object.__setattr__(self, "_a", a)
        object.__setattr__(self, "_b", rng.integers(0, 2**63, self.permutations, dtype=np.uint64))

    def permute(self, hashes: np.ndarray) -> np.ndarray:
        """Every hash under every permutation: a shingles x permutations matrix of 32-bit values."""
        with np.errstate(over="ignore"):
            return (np.outer(hashes, self._a) + self._b) >> _SHIFT

    def permute_rows(self, hashes: np.ndarray) -> np.ndarray:
        """:meth:`permute` laid out the other way: a permutations x shingles matrix (uint32)."""
        with np.errstate(over="ignore"):
            values = np.multiply.outer(self._a, hashes)
            values += self._b[:, None]
            values >>= _SHIFT
        return values.astype(np.uint32)

    def signature(self, hashes: np.ndarray) -> np.ndarray:
        """The MinHash signature of a set of shingle hashes (all 2**32 - 1 for an empty set)."""
        if hashes.size == 0:
            return np.full(self.permutations, _MASK32, dtype=np.uint64)
        return self.permute(hashes).min(axis=0)


def signatures_of(hasher: "MinHasher", sets: Sequence[np.ndarray], chunk: int = 20_000) -> np.ndarray:
    """The signatures of many shingle-hash sets at once (one row each, uint32), computed a chunk
    of shingles at a time with ``np.minimum.reduceat`` instead of one numpy call per set. The
    permuted values are laid out a permutation to a row, each set's shingles side by side, so
    the minimum of a set runs over contiguous memory (several times faster than down columns)."""
    out = np.full((hasher.permutations, len(sets)), 0xFFFFFFFF, dtype=np.uint32)
    if not sets:
        return out.T.copy()
    lengths = np.array([len(s) for s in sets])
    flat = np.concatenate([np.asarray(s, dtype=np.uint64) for s in sets]) if lengths.sum() else np.zeros(0, np.uint64)
    owners = np.repeat(np.arange(len(sets)), lengths)
    for start in range(0, len(flat), chunk):
        part, who = flat[start : start + chunk], owners[start : start + chunk]
        values = hasher.permute_rows(part)
        firsts = np.flatnonzero(np.r_[True, who[1:] != who[:-1]])
        mins = np.minimum.reduceat(values, firsts, axis=1)
        rows = who[firsts]
        out[:, rows] = np.minimum(out[:, rows], mins)
    return np.ascontiguousarray(out.T)


# An odd 64-bit multiplier that mixes a band's rows into one key.
_ROW_MIX = np.uint64(0x100000001B3)


def band_keys(matrix: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One 64-bit key per band and signature (a ``bands`` x signatures array), mixed from the
    band's rows: signatures that agree on a band share its key."""
    keys = np.zeros((bands, len(matrix)), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for band in range(bands):
            columns = matrix[:, band * rows : band * rows + rows].astype(np.uint64)  # one copy a band
            for column in range(rows):
                keys[band] = keys[band] * _ROW_MIX + columns[:, column]
    return keys


def lsh_pairs(signatures: Sequence[np.ndarray], bands: int, rows: int,
              star: bool = False, only: Sequence[int] | None = None,
              all_pairs_up_to: int = 2) -> np.ndarray:
    """Pairs of indexes ``(a, b)``, ``a < b``, whose signatures agree on at least one whole band,
    as an array of two columns, in order (an array, not Python tuples: millions of pairs fit).

    With ``star``, a bucket of more than ``all_pairs_up_to`` signatures gives n - 1 pairs (each
    with the bucket's first) instead of all n(n-1)/2: enough to group a text copied to many
    places, in linear time; a smaller bucket still gives all its pairs (its members need not be
    alike enough to be grouped through the first). With ``only``, just the buckets that hold one
    of those indexes (an incremental update).

    Two bands' rows mixed into one 64-bit key may collide; that only adds a candidate, and
    candidates are verified.
    """
    if len(signatures) < 2 or (only is not None and not len(only)):
        return np.zeros((0, 2), dtype=np.int64)
    matrix = np.asarray(signatures)
    n = len(matrix)
    keys = band_keys(matrix, bands, rows)
    wanted = np.asarray(sorted(only), dtype=np.int64) if only is not None else None
    found: list[np.ndarray] = []
    for band in range(bands):
        key = keys[band]
        if wanted is not None:  # the signatures sharing a key with one of ``only``
            theirs = np.sort(key[wanted])
            place = np.minimum(np.searchsorted(theirs, key), len(theirs) - 1)
            members = np.flatnonzero(theirs[place] == key)
        else:
            members = np.arange(n)
        limit = all_pairs_up_to if star else n
        found.extend(_bucket_pairs(members, key[members], limit, n))
        if sum(len(f) for f in found) > 4_000_000:  # bounded memory: drop repeats as we go
            found = [sorted_unique(np.concatenate(found))]
    flat = sorted_unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)
    return np.stack([flat // n, flat % n], axis=1)


def lsh_query(queries: np.ndarray, signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """Pairs ``(q, s)`` of a query signature and a stored one that agree on at least one whole
    band (as two columns, in order): each band's stored keys sorted once, each query's key
    looked up among them, so only query-stored pairs are made however big a bucket is."""
    if not len(queries) or not len(signatures):
        return np.zeros((0, 2), dtype=np.int64)
    mine, theirs = band_keys(queries, bands, rows), band_keys(signatures, bands, rows)
    found = []
    for band in range(bands):
        order = np.argsort(theirs[band], kind="stable")
        keys = theirs[band][order]
        first = np.searchsorted(keys, mine[band], "left")
        last = np.searchsorted(keys, mine[band], "right")
        stored = order[ranges(first, last - first)]
        found.append(np.repeat(np.arange(len(queries)), last - first) * len(signatures) + stored)
    flat = sorted_unique(np.concatenate(found))
    return np.stack([flat // len(signatures), flat % len(signatures)], axis=1)


def _bucket_pairs(members: np.ndarray, member_keys: np.ndarray, limit: int, n: int) -> list[np.ndarray]:
    """The pairs (as ``a * n + b``, ``a < b``) of the buckets ``member_keys`` make: all pairs of
    a bucket of up to ``limit`` members, a star (each with the first) for a bigger one."""
    order = np.argsort(member_keys, kind="stable")  # stable: a bucket lists indexes in order
    members, member_keys = members[order], member_keys[order]
    starts, ends = runs(member_keys)
    sizes = ends - starts
    small = (sizes > 1) & (sizes <= limit)
    out = _pairs_in_small_buckets(members, starts[small], sizes[small], n)
    big = sizes > limit
    if big.any():
        heads = np.repeat(members[starts[big]], sizes[big] - 1)
        rest = ranges(starts[big] + 1, sizes[big] - 1)
        out.append(heads * n + members[rest])
    return out


def _pairs_in_small_buckets(members: np.ndarray, starts: np.ndarray, sizes: np.ndarray,
                            n: int) -> list[np.ndarray]:
    """Every pair (as ``a * n + b``, ``a < b``) of each bucket, given as runs of ``members``
    (their starts and sizes): one numpy step per bucket size."""
    out = []
    for size in sorted_unique(sizes).tolist():
        chosen = starts[sizes == size]
        block = np.sort(members[chosen[:, None] + np.arange(size)], axis=1)
        first, second = np.triu_indices(size, 1)  # every pair of columns at once
        out.append((block[:, first] * n + block[:, second]).ravel())
    return out


def bands_for(threshold: float, permutations: int) -> tuple[int, int]:
    """Bands and rows (``bands * rows <= permutations``; positions left over are not banded)
    that make most pairs at ``threshold`` candidates and few pairs at half of it (candidates
    are verified exactly afterwards, so recall counts more than a few extra candidates)."""
    best = (permutations, 1)
    best_error = float("inf")
    for rows in range(1, permutations + 1):
        bands = permutations // rows
        # probability that a pair at the threshold becomes a candidate: aim high (>= 0.95)
        at_threshold = 1 - (1 - threshold**rows) ** bands
        # ...while a pair at half the threshold rarely does
        below = 1 - (1 - (threshold / 2) ** rows) ** bands
        error = max(0.0, 0.95 - at_threshold) * 10 + below
        if error < best_error:
            best, best_error = (bands, rows), error
    return best
