"""Sentence embeddings for the summariser: MiniLM in numpy by default, tf-idf as fallback.

Call `get_embedder(kind, model)` and wrap it in `CachedEncoder(embedder, cache)` to reuse vectors
stored at ingest. Rows are L2-normalised float32, so `cosine_matrix(a, b)` is `a @ b.T`.
Backends are imported lazily: importing this package loads neither torch nor sklearn.
"""

from summarizer.embed.base import (
    Embedder,
    EmbedderNotFitted,
    EmbeddingUnavailable,
    cosine_matrix,
    l2_normalize,
)
from summarizer.embed.cache import CachedEncoder
from summarizer.embed.files import MODEL_NAME, MiniLMFiles, find_model, minilm_available
from summarizer.embed.registry import KINDS, clear_embedder_cache, get_embedder

__all__ = [
    "KINDS",
    "MODEL_NAME",
    "CachedEncoder",
    "Embedder",
    "EmbedderNotFitted",
    "EmbeddingUnavailable",
    "MiniLMFiles",
    "clear_embedder_cache",
    "cosine_matrix",
    "find_model",
    "get_embedder",
    "l2_normalize",
    "minilm_available",
]


def __getattr__(name: str) -> object:
    """Lazy access to the backend classes without importing their dependencies up front."""
    if name == "NumpyMiniLM":
        from summarizer.embed.minilm_numpy import NumpyMiniLM

        return NumpyMiniLM
    if name == "TorchMiniLM":
        from summarizer.embed.minilm_torch import TorchMiniLM

        return TorchMiniLM
    if name == "TfidfEmbedder":
        from summarizer.embed.tfidf import TfidfEmbedder

        return TfidfEmbedder
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
