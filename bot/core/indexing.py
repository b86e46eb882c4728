"""Encode and store the sentence vectors of the articles of a story about to be shown.

Encoding every sentence costs ~1/170 s each on two cores, too much to spend at ingest on every
article (story assignment needs only one lead vector per report). The sentences of a story's
articles are encoded the first time the story is composed and kept, so composing it again after
it grows encodes only its new articles. Corpus-fitted embedders (tf-idf) have no stable vectors
and are skipped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.core.briefing import to_document
from bot.core.protocols import StoredArticle

log = logging.getLogger(__name__)


class _IndexStore(Protocol):
    def articles_by_id(self, ids: Sequence[int], with_embeddings: bool = False) -> list[StoredArticle]: ...

    def save_many_embeddings(self, by_article: Any, model: str) -> None: ...


@dataclass
class IndexReport:
    articles: int = 0
    sentences: int = 0
    seconds: float = 0.0
    model: str | None = None
    skipped_reason: str | None = None


class EmbeddingIndexer:
    """Encodes the sentences `summarizer.pipeline.sentences_for_cache` names and stores them."""

    def __init__(
        self, store: _IndexStore, embeddings: str = "auto", batch_articles: int = 64, model: str | None = None
    ) -> None:
        self.store = store
        self.kind = embeddings
        self.model = model
        self.batch_articles = batch_articles
        self._embedder: Any = None

    def _get_embedder(self) -> Any:
        if self._embedder is None:
            from summarizer.embed import get_embedder

            self._embedder = get_embedder(self.kind, self.model)
        return self._embedder

    def missing(self, article_ids: Sequence[int]) -> list[int]:
        """Those of these articles whose sentences have no vectors stored yet (or lack some)."""
        from summarizer.pipeline import sentences_for_cache

        out = []
        for a in self.store.articles_by_id(list(article_ids), with_embeddings=True):
            have = a.embeddings or {}
            if not have or any(s not in have for s in sentences_for_cache(to_document(a))):
                out.append(a.id)
        return out

    def index(self, article_ids: Sequence[int]) -> IndexReport:
        report = IndexReport()
        if not article_ids:
            return report
        t0 = time.perf_counter()
        try:
            embedder = self._get_embedder()
        except Exception as exc:  # missing weights: briefings fall back to encoding at brief time
            report.skipped_reason = f"no embedder: {exc}"
            log.info("not caching embeddings: %s", exc)
            return report
        if not getattr(embedder, "cacheable", True):
            report.skipped_reason = "tf-idf vectors are fitted per briefing; nothing to cache"
            return report
        from summarizer.pipeline import sentences_for_cache

        report.model = embedder.name
        ids = list(article_ids)
        for start in range(0, len(ids), self.batch_articles):
            chunk = self.store.articles_by_id(ids[start : start + self.batch_articles])
            per_article = {a.id: sentences_for_cache(to_document(a)) for a in chunk}
            flat = [s for sents in per_article.values() for s in sents]
            if not flat:
                continue
            vectors = embedder.encode(flat)
            by_article: dict[int, dict[str, Any]] = {}
            i = 0
            for aid, sents in per_article.items():
                by_article[aid] = {s: vectors[i + k] for k, s in enumerate(sents)}
                i += len(sents)
            self.store.save_many_embeddings(by_article, embedder.name)
            report.articles += len(by_article)
            report.sentences += len(flat)
        report.seconds = time.perf_counter() - t0
        log.info(
            "cached %d sentence vectors of %d articles in %.1f s",
            report.sentences,
            report.articles,
            report.seconds,
        )
        return report
