"""The default engine: extractive, cited briefings from sentence embeddings (see summarizer.pipeline).

The embedder (MiniLM, or with `embeddings="auto"` tf-idf and a warning when the model is
missing) is built on first use and shared by every call in the process.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from summarizer.engines.base import SummaryOptions
from summarizer.model import Briefing, Document, StoryGroup, Topic

log = logging.getLogger(__name__)


def _build_embedder(kind: str, model: str | None) -> Any:
    from summarizer.embed import get_embedder

    return get_embedder(kind, model)


class ExtractiveSummarizer:
    """Clusters articles into stories and picks central, corroborated sentences as bullets.

    `strict=True` lets unexpected errors propagate (tests); by default a failure is logged and
    an empty briefing returned, because a chat bot must answer even when one article is odd.
    """

    name = "extractive"

    def __init__(
        self,
        embeddings: str = "auto",
        strict: bool = False,
        embedder: Any = None,
        embedding_model: str | None = None,
    ) -> None:
        self.embeddings = embeddings
        self.embedding_model = embedding_model
        self.strict = strict
        self._embedder = embedder
        self._injected = embedder is not None
        self._lock = threading.Lock()
        # Vectors of sentences encoded by earlier briefings (files read with --input, chat re-asks).
        self._memo: dict[str, Any] = {}

    @property
    def embedder(self) -> Any:
        """The shared sentence embedder, loaded once per engine (MiniLM weights once per process).

        A corpus-fitted embedder (tf-idf) is fitted per briefing, so each call gets a fresh one.
        """
        if self._embedder is None:
            with self._lock:
                if self._embedder is None:
                    self._embedder = _build_embedder(self.embeddings, self.embedding_model)
        if not self._injected and not getattr(self._embedder, "cacheable", True):
            return _build_embedder(self.embeddings, self.embedding_model)
        return self._embedder

    def summarize(
        self,
        documents: Sequence[Document],
        topic: Topic | None = None,
        options: SummaryOptions | None = None,
    ) -> Briefing:
        from summarizer.pipeline import summarize

        opts = options or SummaryOptions()
        docs = [d for d in documents or () if isinstance(d, Document)]
        if not docs:
            return Briefing(topic.name if topic else None, opts.now or datetime.now(UTC), [], [])
        try:
            return summarize(docs, topic, opts, self.embedder, self._memo)
        except Exception:
            if self.strict:
                raise
            log.exception("the extractive summariser failed on %d documents; returning no stories", len(docs))
            return Briefing(topic.name if topic else None, opts.now or datetime.now(UTC), [], [])

    def summarize_stories(
        self,
        documents: Sequence[Document],
        stories: Sequence[StoryGroup],
        topic: Topic | None = None,
        options: SummaryOptions | None = None,
    ) -> Briefing:
        from summarizer.pipeline import BriefingPipeline

        opts = options or SummaryOptions()
        docs = [d for d in documents or () if isinstance(d, Document)]
        empty = Briefing(topic.name if topic else None, opts.now or datetime.now(UTC), [], [])
        if not docs or not stories:
            return empty
        try:
            return BriefingPipeline(self.embedder, docs, topic, opts, self._memo).run_groups(stories)
        except Exception:
            if self.strict:
                raise
            log.exception(
                "the extractive summariser failed on %d stories; returning no stories", len(stories)
            )
            return empty
