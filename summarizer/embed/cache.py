"""Reuse sentence vectors computed at ingest so a briefing encodes only new sentences."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from summarizer.embed.base import Embedder


class CachedEncoder:
    """Encode sentences, taking vectors from `cache` (keyed by exact sentence text) when present.

    Only misses reach the embedder (each distinct text once). Vectors it computed are in
    `new_vectors` for the caller to persist, and are reused by later `encode` calls on this
    object. The given cache is never modified. A cached vector of the wrong shape counts as a
    miss. Embedders with `cacheable = False` (tf-idf) bypass the cache entirely and leave
    `new_vectors` empty, since their vectors mean nothing outside one fit.
    """

    def __init__(self, embedder: Embedder, cache: Mapping[str, np.ndarray] | None = None) -> None:
        self.embedder = embedder
        self._cache: Mapping[str, np.ndarray] = cache if cache is not None and embedder.cacheable else {}
        self.new_vectors: dict[str, np.ndarray] = {}
        self.hits = 0
        self.misses = 0

    def encode(self, sentences: Sequence[str]) -> np.ndarray:
        """Return (len(sentences), dim) float32 unit rows in input order."""
        if not self.embedder.cacheable:
            self.misses += len(sentences)
            return self.embedder.encode(sentences)
        dim = self.embedder.dim
        out = np.empty((len(sentences), dim), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        for i, text in enumerate(sentences):
            vector = self._lookup(text, dim)
            if vector is None:
                missing.setdefault(text, []).append(i)
            else:
                out[i] = vector
                self.hits += 1
        if missing:
            texts = list(missing)
            encoded = self.embedder.encode(texts)
            self.misses += len(texts)
            for text, vector in zip(texts, encoded, strict=True):
                self.new_vectors[text] = vector
                out[missing[text]] = vector
        return out

    def _lookup(self, text: str, dim: int) -> np.ndarray | None:
        vector = self.new_vectors.get(text)
        if vector is None:
            vector = self._cache.get(text)
        if vector is None:
            return None
        vector = np.asarray(vector, dtype=np.float32)
        return vector if vector.shape == (dim,) else None
