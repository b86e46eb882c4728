"""The embedder interface and the small helpers every backend shares.

An `Embedder` turns sentences into L2-normalised float32 rows, so cosine similarity
is a plain dot product (`cosine_matrix`). `name` is the cache key: two embedders with
the same name must give the same vectors (within float noise) for the same sentence.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np


class EmbeddingUnavailable(RuntimeError):
    """The embedding backend asked for cannot be built here (package, weights or torch missing)."""


class EmbedderNotFitted(RuntimeError):
    """A corpus-fitted embedder (tf-idf) was used before `fit` was called."""


@runtime_checkable
class Embedder(Protocol):
    """Sentences in, one L2-normalised float32 row per sentence out.

    `cacheable` is False for embedders whose vectors depend on the corpus they were fitted
    on (tf-idf): such vectors must never be stored or reused across calls.
    """

    name: str
    cacheable: bool

    @property
    def dim(self) -> int: ...

    def encode(self, sentences: Sequence[str]) -> np.ndarray:
        """Return shape (len(sentences), dim), float32, unit rows; empty input gives (0, dim)."""
        ...


def l2_normalize(matrix: np.ndarray) -> np.ndarray:
    """Scale rows to unit length; all-zero rows stay zero instead of becoming NaN."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    np.maximum(norms, np.float32(1e-12), out=norms)
    return (matrix / norms).astype(np.float32, copy=False)


def cosine_matrix(a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """Pairwise cosine similarity of two sets of normalised rows (b defaults to a)."""
    b = a if b is None else b
    return np.asarray(a @ b.T, dtype=np.float32)


def empty_matrix(dim: int) -> np.ndarray:
    return np.zeros((0, dim), dtype=np.float32)


def available_cpus() -> int:
    """CPUs this process may run on (respects taskset/cgroup affinity, unlike os.cpu_count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
