"""Pick and load an embedder once per process.

The default path never imports torch: "minilm" is the numpy implementation, which gives
the same vectors within float noise and starts in well under a second. "minilm-torch" is
there for bulk ingest in processes that already load torch.

"auto" is MiniLM when its files can be found (see `summarizer.embed.files.find_model`), else
tf-idf, which clusters real news markedly worse: that fallback is logged once per process as a
warning naming the fix. "minilm" never falls back: a missing model raises EmbeddingUnavailable.
"""

from __future__ import annotations

import logging
import threading

from summarizer.embed.base import Embedder, EmbeddingUnavailable
from summarizer.embed.files import find_model

KINDS = ("auto", "minilm", "minilm-torch", "tfidf")

log = logging.getLogger(__name__)

_lock = threading.Lock()
_loaded: dict[tuple[str, str | None], Embedder] = {}
_missing: dict[str | None, str] = {}  # model -> why it could not be loaded ("auto" asks once)


def get_embedder(kind: str = "auto", model: str | None = None) -> Embedder:
    """Return the embedder for `kind`; MiniLM backends are loaded once per model and shared (thread-safe).

    `model` names the MiniLM files (a directory or a Hugging Face id); None is the packaged
    all-MiniLM-L6-v2. "tfidf" returns a new, unfitted `TfidfEmbedder` on every call: it is
    fitted per corpus, so the caller must `fit(sentences)` it and never cache its vectors.
    """
    kind = kind.strip().lower()
    if kind not in KINDS:
        raise ValueError(f"unknown embedder {kind!r}; choose one of {', '.join(KINDS)}")
    model = model.strip() if model and model.strip() else None
    if kind == "auto":
        loaded = _loaded.get(("minilm", model))
        if loaded is not None:
            return loaded
        if model not in _missing:
            try:
                return get_embedder("minilm", model)
            except EmbeddingUnavailable as exc:
                _missing[model] = str(exc)
                log.warning(
                    "sentence embeddings fall back to tf-idf, which merges reports of one event far "
                    "less reliably: %s",
                    exc,
                )
        kind = "tfidf"
    if kind == "tfidf":
        from summarizer.embed.tfidf import TfidfEmbedder

        return TfidfEmbedder()
    with _lock:
        embedder = _loaded.get((kind, model))
        if embedder is None:
            embedder = _load_minilm(kind, model)
            _loaded[(kind, model)] = embedder
        return embedder


def clear_embedder_cache() -> None:
    """Forget loaded models and missing ones (tests, or to free ~90 MB of weights)."""
    with _lock:
        _loaded.clear()
        _missing.clear()


def _load_minilm(kind: str, model: str | None) -> Embedder:
    """Build a MiniLM backend; raises EmbeddingUnavailable naming what is missing."""
    files = find_model(model)
    if kind == "minilm-torch":
        from summarizer.embed.minilm_torch import TorchMiniLM

        return TorchMiniLM(files)
    from summarizer.embed.minilm_numpy import NumpyMiniLM

    return NumpyMiniLM(files)
