"""Wiring: the one place that turns a loaded config into concrete implementations.

Everything is built lazily so that `briefbot config check` loads no model and opens no database,
and `briefbot brief --input` opens no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING

from bot.config import LoadedConfig
from bot.core.briefing import BriefingService
from summarizer.engines import SummaryOptions, build_engine
from summarizer.model import Topic

if TYPE_CHECKING:
    from bot.adapters.registry import SinkRegistry
    from bot.core.commands import ChatStore, CommandCore
    from bot.core.indexing import EmbeddingIndexer
    from bot.core.polling import PollResult
    from bot.core.protocols import ChatAdapter, Source, Store
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
            model = s.model
            if model and (model.startswith((".", "~", "/"))):
                model = str(self.loaded.resolve_path(model))  # a local directory, relative to the config
            return build_engine("transformers", model=model, embeddings=s.embeddings)
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

    @cached_property
    def indexer(self) -> EmbeddingIndexer:
        from bot.core.indexing import EmbeddingIndexer

        return EmbeddingIndexer(self.store, embeddings=self.config.summarizer.embeddings)  # type: ignore[arg-type]

    async def poll(self, sources: list[Source], concurrency: int = 8) -> list[PollResult]:
        """Poll sources once, store what is new, cache its sentence embeddings, apply retention."""
        import asyncio
        from datetime import UTC, datetime

        from bot.core.polling import poll_sources

        results = await poll_sources(
            sources, self.store, concurrency=concurrency, max_backoff=self.config.run.max_backoff
        )
        new_ids = [i for r in results if r.stored for i in r.stored.new_ids]
        if new_ids:
            await asyncio.to_thread(self.indexer.index, new_ids)
        retention = self.config.storage.retention
        if retention.total_seconds() > 0:
            await asyncio.to_thread(self.store.prune, datetime.now(UTC) - retention)  # type: ignore[attr-defined]
        return results

    def local_sources(self) -> list[Source]:
        """The enabled `path:` sources: cheap to re-read, so `brief` refreshes them itself."""
        names = {s.name for s in self.config.sources if s.enabled and s.path}
        return [s for s in self.sources() if s.name in names]

    @cached_property
    def chat_store(self) -> ChatStore:
        """Subscriptions and each channel's last briefing, in the article store's database."""
        from bot.store.chat import ChatRepository

        return ChatRepository(self.store.engine)  # type: ignore[attr-defined]

    @cached_property
    def _command_core(self) -> CommandCore:
        from bot.core.commands import CommandCore

        return CommandCore(
            self.briefing_service(),
            self.chat_store,
            self.topics,
            self.config.limits,
            default_since=self.config.summarizer.since,
        )

    def command_core(self) -> CommandCore:
        """The one command core every chat adapter of this process shares (rate limits are per process)."""
        return self._command_core

    def chat_adapters(
        self, *, shard_ids: Sequence[int] | None = None, shard_count: int | None = None
    ) -> list[ChatAdapter]:
        """The Discord and Slack adapters the config asks for (not started); see `bot.adapters.registry`."""
        from bot.adapters.registry import build_chat_adapters

        return build_chat_adapters(
            self.config, self.command_core, shard_ids=shard_ids, shard_count=shard_count
        )

    def sinks(self, chat: Sequence[ChatAdapter] = ()) -> SinkRegistry:
        """Where each delivery plan posts: chat platforms through the running `chat` adapters."""
        from bot.adapters.registry import SinkRegistry

        return SinkRegistry(chat)
