"""Tf-idf sentence vectors: the fallback when the MiniLM weights are not installed.

Vectors depend on the corpus the vectorizer was fitted on, so they are only comparable
within one fit and must never be cached (`cacheable = False`). `encode` returns dense
float32 unit rows like every `Embedder`; the vocabulary is capped at `max_features`
terms (most frequent first) to bound that dense matrix. `encode_sparse` gives the same
rows as a scipy CSR matrix for callers with very many sentences.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from summarizer.embed.base import EmbedderNotFitted, empty_matrix, l2_normalize

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer


class TfidfEmbedder:
    """Word uni+bigram tf-idf (sublinear tf, English stop words) fitted on one corpus.

    Not shared between threads by `get_embedder`: each call gets its own instance to `fit`.
    """

    name = "tfidf-word-1-2"
    cacheable = False

    def __init__(self, max_features: int | None = 4096) -> None:
        self._max_features = max_features
        self._vectorizer: TfidfVectorizer | None = None
        self._dim: int | None = None

    def fit(self, corpus_sentences: Sequence[str]) -> TfidfEmbedder:
        """Learn vocabulary and idf from the sentences of one briefing; returns self."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectorizer = TfidfVectorizer(
            sublinear_tf=True,
            stop_words="english",
            ngram_range=(1, 2),
            max_features=self._max_features,
            dtype=np.float32,
        )
        try:
            vectorizer.fit([str(s) for s in corpus_sentences])
        except ValueError:
            # Empty corpus or only stop words / symbols: no vocabulary, every vector is zero.
            self._vectorizer, self._dim = None, 0
            return self
        self._vectorizer = vectorizer
        self._dim = len(vectorizer.vocabulary_)
        return self

    @property
    def fitted(self) -> bool:
        return self._dim is not None

    @property
    def dim(self) -> int:
        if self._dim is None:
            raise EmbedderNotFitted("TfidfEmbedder.fit(corpus_sentences) must be called before encode or dim")
        return self._dim

    def encode(self, sentences: Sequence[str]) -> np.ndarray:
        """Dense float32 unit rows; a sentence with no known term is an all-zero row (cosine 0)."""
        dim = self.dim
        if len(sentences) == 0:
            return empty_matrix(dim)
        if self._vectorizer is None:
            return np.zeros((len(sentences), 0), dtype=np.float32)
        return l2_normalize(self.encode_sparse(sentences).toarray())

    def encode_sparse(self, sentences: Sequence[str]) -> Any:
        """The same unit rows as a scipy.sparse CSR matrix (n, dim); `a @ b.T` gives cosines."""
        from scipy.sparse import csr_matrix

        dim = self.dim
        if self._vectorizer is None or len(sentences) == 0:
            return csr_matrix((len(sentences), dim), dtype=np.float32)
        return self._vectorizer.transform([str(s) for s in sentences])
