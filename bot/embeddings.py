"""Which sentence-embedding model a config gets, told to the operator by `status`, `/healthz` and the
config check.

`summarizer.embedding_model` (else $BRIEFBOT_EMBEDDING_MODEL) names a directory or a Hugging Face id;
unset means the all-MiniLM-L6-v2 that comes with briefbot. With `summarizer.embeddings: auto` a
missing model degrades briefings to tf-idf, so every place an operator looks says so, with the fix;
with `embeddings: minilm` it is a config error.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any

from bot.config import ConfigIssue, LoadedConfig

__all__ = ["ENV_VAR", "EmbeddingStatus", "config_issue", "embedding_status", "model_spec"]

ENV_VAR = "BRIEFBOT_EMBEDDING_MODEL"


@dataclass(frozen=True)
class EmbeddingStatus:
    """What briefings will embed sentences with; `warning` is set when that is a degraded fallback."""

    setting: str  # summarizer.embeddings: auto, minilm or tfidf
    backend: str  # minilm or tfidf
    model: str | None = None  # the cache name of the MiniLM model found
    location: str | None = None  # where it was found
    warning: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        """One line for `briefbot status`."""
        if self.backend == "minilm":
            return f"Embeddings: {self.model} ({self.location})"
        if self.warning:
            return f"Embeddings: tf-idf FALLBACK, stories merge far less reliably: {self.warning}"
        return "Embeddings: tf-idf (summarizer.embeddings: tfidf)"


def model_spec(loaded: LoadedConfig) -> str | None:
    """The configured MiniLM files: a path-like value is taken relative to the config file."""
    value = loaded.config.summarizer.embedding_model or os.environ.get(ENV_VAR) or None
    if value and value.strip().startswith((".", "~", "/")):
        return str(loaded.resolve_path(value.strip()))
    return value.strip() if value else None


def embedding_status(loaded: LoadedConfig) -> EmbeddingStatus:
    """Find (not load) the model the config asks for: file checks only, a few milliseconds."""
    from summarizer.embed import EmbeddingUnavailable, find_model

    setting = loaded.config.summarizer.embeddings
    if setting == "tfidf":
        return EmbeddingStatus(setting, "tfidf")
    try:
        files = find_model(model_spec(loaded))
    except EmbeddingUnavailable as exc:
        return EmbeddingStatus(setting, "tfidf", warning=str(exc))
    return EmbeddingStatus(setting, "minilm", model=files.name, location=files.origin)


def config_issue(loaded: LoadedConfig) -> ConfigIssue | None:
    """`summarizer.embeddings: minilm` with no model to be found is an error, not a quiet fallback."""
    if loaded.config.summarizer.embeddings != "minilm":
        return None
    status = embedding_status(loaded)
    if status.warning is None:
        return None
    return ConfigIssue(
        str(loaded.path),
        None,
        "summarizer.embeddings",
        f"minilm is required but cannot be loaded: {status.warning}",
    )
