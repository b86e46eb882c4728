"""Syndicated copies and near-copies: one text to read, every outlet that carried it to cite.

Word-shingle MinHash signatures go into datasketch's LSH index; candidates it returns are
confirmed with the signatures' Jaccard estimate. Shingles are hashed with CRC32 (fast,
stable across processes) instead of datasketch's per-item SHA-1. A few texts (one story's
articles) are simply compared pair by pair: the exact test decides either way, and datasketch
(which imports scipy) would cost more to import than the comparisons take.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from summarizer.disjoint import DisjointSets

if TYPE_CHECKING:
    from datasketch import MinHash

_PUNCT = str.maketrans({c: " " for c in ".,;:!?\"'“”‘’()[]{}<>—–-…/|*#"})
NUM_PERM = 64
_LSH_THRESHOLD = 0.5  # candidates only; `containment` decides
_MIN_JACCARD = 0.5
_MIN_ESTIMATE = 0.4  # MinHash estimate below which a Jaccard of 0.5 or more is unlikely
PAIRWISE_MAX = 32  # up to this many texts, every pair is compared exactly (no LSH)


@dataclass
class DedupGroups:
    """`groups[g]` lists document indices, representative first; `rep[i]` is i's representative."""

    groups: list[list[int]]
    rep: list[int]

    def members(self, i: int) -> list[int]:
        """Every document carrying the same text as document i (i included)."""
        return self.groups[self._group_of[self.rep[i]]]

    def __post_init__(self) -> None:
        self._group_of = {g[0]: n for n, g in enumerate(self.groups)}


_WORD_HASH: dict[str, int] = {}
_PRIME = np.uint64((1 << 61) - 1)
_MASK32 = np.uint64(0xFFFFFFFF)
_MIX = np.array([0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D, 0x27D4EB2F, 0x165667B1], dtype=np.uint64)


def _word_hashes(words: list[str]) -> np.ndarray:
    cache = _WORD_HASH
    if len(cache) > 500_000:
        cache.clear()
    for w in set(words).difference(cache):
        cache[w] = zlib.crc32(w.encode())
    return np.fromiter(map(cache.__getitem__, words), dtype=np.uint64, count=len(words))


def shingles(text: str, k: int = 5) -> np.ndarray:
    """Sorted unique 32-bit hashes of the k-word shingles of a text (all of it if shorter than k words)."""
    words = text.casefold().translate(_PUNCT).split()
    if not words:
        return np.zeros(0, dtype=np.uint64)
    k = min(k, len(words))
    wh = _word_hashes(words)
    n = len(words) - k + 1
    acc = np.zeros(n, dtype=np.uint64)
    for j in range(k):
        acc = (acc * np.uint64(31) + wh[j : j + n] * _MIX[j]) & _MASK32
    return np.unique(acc)


@lru_cache(maxsize=4)
def _permutations(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(1)
    a = rng.randint(1, 1 << 31, size=num_perm, dtype=np.int64).astype(np.uint64)
    b = rng.randint(0, 1 << 31, size=num_perm, dtype=np.int64).astype(np.uint64)
    return a, b


def signature(hashes: np.ndarray, num_perm: int = NUM_PERM) -> MinHash:
    """A datasketch MinHash of pre-hashed shingles: min over (a·h + b) mod p, computed in numpy."""
    from datasketch import MinHash

    a, b = _permutations(num_perm)
    if len(hashes):
        phv = ((hashes[:, None] * a[None, :] + b[None, :]) % _PRIME) & _MASK32
        values = phv.min(axis=0)
    else:
        values = np.full(num_perm, _MASK32, dtype=np.uint64)
    return MinHash(num_perm=num_perm, hashvalues=values, permutations=(a, b), scheme="legacy")


def near_duplicate_groups(
    texts: Sequence[str],
    threshold: float = 0.8,
    prefer: Callable[[int], tuple] | None = None,
    num_perm: int = NUM_PERM,
) -> DedupGroups:
    """Group texts that are copies of each other: one holds at least `threshold` of the other's shingles.

    LSH (at a looser Jaccard) proposes candidates; the exact shingle containment confirms them,
    so a short syndicated copy with a new byline and a changed word still matches. The
    representative of a group is the member with the smallest `prefer(i)` (default: the
    longest text, then the earliest index).
    """
    n = len(texts)
    sets = DisjointSets(n)
    find, union = sets.find, sets.union

    exact: dict[int, int] = {}
    kept: dict[int, np.ndarray] = {}

    def is_copy(sh: np.ndarray, other: np.ndarray) -> bool:
        # a short excerpt inside a long article is not a copy of it (Jaccard stays low)
        return containment(sh, other) >= threshold and jaccard(sh, other) >= _MIN_JACCARD

    pairwise = n <= PAIRWISE_MAX
    if not pairwise:
        from datasketch import MinHashLSH

        lsh = MinHashLSH(threshold=_LSH_THRESHOLD, num_perm=num_perm)
        sigs: dict[int, np.ndarray] = {}
    for i, text in enumerate(texts):
        sh = shingles(text)
        if not len(sh):
            continue
        fp = hash(sh.tobytes())
        if fp in exact:
            union(exact[fp], i)
            continue
        exact[fp] = i
        if pairwise:
            for j, other in kept.items():
                if find(i) != find(j) and is_copy(sh, other):
                    union(j, i)
            kept[i] = sh
            continue
        sig = signature(sh, num_perm)
        values = sig.hashvalues
        for j in lsh.query(sig):
            # the signatures' estimate first (cheap); the exact shingle sets decide
            if np.count_nonzero(values == sigs[j]) < _MIN_ESTIMATE * num_perm:
                continue
            if is_copy(sh, kept[j]):
                union(j, i)
        kept[i] = sh
        sigs[i] = values
        lsh.insert(i, sig)

    key = prefer or (lambda i: (-len(texts[i]), i))
    groups = [sorted(g, key=key) for g in sets.groups()]
    groups.sort(key=lambda g: min(g))
    rep = [0] * n
    for g in groups:
        for i in g:
            rep[i] = g[0]
    return DedupGroups(groups, rep)


def containment(a: np.ndarray, b: np.ndarray) -> float:
    """Share of the smaller shingle set found in the other (a copy with additions scores 1.0)."""
    if not len(a) or not len(b):
        return 0.0
    return len(np.intersect1d(a, b, assume_unique=True)) / min(len(a), len(b))


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Exact Jaccard similarity of two `shingles` arrays."""
    if not len(a) or not len(b):
        return 0.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)
