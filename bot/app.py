"""Wiring: the one place that turns a loaded config into concrete implementations.

Everything is built lazily so that `briefbot config check` loads no model and opens no database,
and `briefbot brief --input` opens no database.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from bot.config import LoadedConfig
from bot.core.briefing import BriefingService
from summarizer.engines import SummaryOptions, build_engine
from summarizer.model import Topic

if TYPE_CHECKING:
    from bot.core.protocols import Source, Store
    from summarizer.engines.base import Summarizer


class App:
    def __init__(self, loaded: LoadedConfig) -> None:
        self.loaded = loaded
        self.config = loaded.config

    @cached_property
    def store(self) -> Store:
        from bot.store import open_store

        store = open_store(self.config.storage.url, base_dir=self.loaded.base_dir)
        store.sync_sources(self.config.sources)
        return store

    @cached_property
    def summarizer(self) -> Summarizer:
        s = self.config.summarizer
        if s.engine == "transformers":
            return build_engine("transformers", model=s.model)
        if s.engine == "extractive":
            return build_engine("extractive", embeddings=s.embeddings)
        return build_engine(s.engine)

    @cached_property
    def topics(self) -> list[Topic]:
        return [Topic(t.name, tuple(t.aliases)) for t in self.config.topics]

    def summary_options(self) -> SummaryOptions:
        s = self.config.summarizer
        return SummaryOptions(max_stories=s.max_stories, max_bullets=s.max_bullets, max_quotes=s.max_quotes)

    def briefing_service(self, with_store: bool = True) -> BriefingService:
        return BriefingService(
            summarizer=self.summarizer,
            topics=self.topics,
            store=self.store if with_store else None,
            options=self.summary_options(),
        )

    def sources(self, only: str | None = None) -> list[Source]:
        from bot.ingest import build_sources

        return build_sources(self.loaded, only=only)
