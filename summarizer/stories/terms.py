"""Words and names of a report as hashed counts, and how rare each is among the reports seen so far.

Story assignment weighs what two reports share by rarity (tf-idf for words, idf for names). The
rarity is measured on the reports the assigner has seen (the store, or the files of one
`brief --input`), so "Taiwan" counts for little in a store about Taiwan. Words are the content
words of `summarizer.rank` (the same tokens and stop words that judge repeated bullets), hashed
with CRC-32 (stdlib, the same in every process); names are hashed into a second range of one
document-frequency table, which stays a fixed size however many reports come. Hashing here rather
than with scikit-learn's `HashingVectorizer` keeps its import (about a second) off a cold `brief`.
"""

from __future__ import annotations

import math
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from summarizer.rank import content_words

TERM_SPACE = 1 << 20  # hashed word ids: [0, TERM_SPACE); hashed names: [TERM_SPACE, 2 * TERM_SPACE)
NAME_SALT = 17  # CRC-32 start value for names, so a name and the same word hash apart
_EMPTY_IDS = np.zeros(0, dtype=np.int32)
_EMPTY_COUNTS = np.zeros(0, dtype=np.float32)


@dataclass(frozen=True)
class TermCounts:
    """Sorted hashed word ids of one report and how often each occurs."""

    ids: np.ndarray  # int32, sorted, unique
    counts: np.ndarray  # float32, same length

    @classmethod
    def empty(cls) -> TermCounts:
        return cls(_EMPTY_IDS, _EMPTY_COUNTS)

    def to_bytes(self) -> bytes:
        return self.ids.astype("<i4").tobytes() + self.counts.astype("<f4").tobytes()

    @classmethod
    def from_bytes(cls, raw: bytes) -> TermCounts:
        n = len(raw) // 8
        ids = np.frombuffer(raw[: 4 * n], dtype="<i4").astype(np.int32)
        counts = np.frombuffer(raw[4 * n : 8 * n], dtype="<f4").astype(np.float32)
        return cls(ids, counts)


def _word_id(word: str) -> int:
    return zlib.crc32(word.encode("utf-8")) % TERM_SPACE


def _name_id(name: str) -> int:
    return TERM_SPACE + zlib.crc32(name.encode("utf-8"), NAME_SALT) % TERM_SPACE


def term_counts(texts: Sequence[str]) -> list[TermCounts]:
    """Hashed word counts of each text (lower-cased, stop words left out)."""
    out = []
    for text in texts:
        counts = Counter(_word_id(w) for w in content_words(text))
        if not counts:
            out.append(TermCounts.empty())
            continue
        ids = np.fromiter(counts.keys(), dtype=np.int32, count=len(counts))
        values = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
        order = np.argsort(ids)
        out.append(TermCounts(ids[order], values[order]))
    return out


def name_ids(names: Iterable[str]) -> np.ndarray:
    """Hashed ids of names, in the table's second range (sorted, unique)."""
    return np.array(sorted({_name_id(n) for n in names}), dtype=np.int64)


class TermStats:
    """Document frequencies of hashed words and names over the reports seen so far.

    `add` counts a report once per distinct word and name. Weights follow the smoothed idf of
    scikit-learn, `ln((1 + n) / (1 + df)) + 1`, so a word every report carries still weighs 1.
    """

    def __init__(self, df: np.ndarray | None = None, documents: int = 0) -> None:
        self.df = df if df is not None else np.zeros(2 * TERM_SPACE, dtype=np.int32)
        self.documents = documents

    def add(self, terms: TermCounts, names: Iterable[str]) -> None:
        self.df[terms.ids] += 1
        self.df[name_ids(names)] += 1
        self.documents += 1

    def idf(self, ids: np.ndarray) -> np.ndarray:
        return np.log((1.0 + self.documents) / (1.0 + self.df[ids])).astype(np.float32) + 1.0

    def name_weights(self, names: Iterable[str]) -> dict[str, float]:
        """Each name's idf (names hash one by one; a few dozen per report)."""
        listed = list(names)
        if not listed:
            return {}
        ids = np.array([_name_id(n) for n in listed])
        return dict(zip(listed, self.idf(ids).tolist(), strict=True))

    def weighted(self, terms: TermCounts) -> tuple[np.ndarray, np.ndarray]:
        """(ids, unit tf-idf weights) with sublinear tf: 1 + ln(count)."""
        if not len(terms.ids):
            return terms.ids, terms.counts
        w = (1.0 + np.log(terms.counts)) * self.idf(terms.ids)
        norm = float(math.sqrt(float(w @ w)))
        return terms.ids, (w / norm if norm > 0 else w).astype(np.float32)

    def to_bytes(self) -> bytes:
        header = np.array([self.documents], dtype="<i8").tobytes()
        return header + zlib.compress(self.df.astype("<i4").tobytes(), 1)

    @classmethod
    def from_bytes(cls, raw: bytes) -> TermStats:
        documents = int(np.frombuffer(raw[:8], dtype="<i8")[0])
        df = np.frombuffer(zlib.decompress(raw[8:]), dtype="<i4").astype(np.int32)
        if df.shape[0] != 2 * TERM_SPACE:
            raise ValueError("term statistics of another size")
        return cls(df, documents)


def cosine_sparse(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> float:
    """Dot product of two unit sparse vectors given as (sorted ids, weights)."""
    ia, wa = a
    ib, wb = b
    if not len(ia) or not len(ib):
        return 0.0
    _, xa, xb = np.intersect1d(ia, ib, assume_unique=True, return_indices=True)
    if not len(xa):
        return 0.0
    return float(wa[xa] @ wb[xb])
