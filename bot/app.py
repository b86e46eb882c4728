"""The composition root: the one place that turns a loaded config into concrete services.

Store, story index, sources, sinks, chat adapters, command core, delivery and poll services, and
the task queue are all built here, lazily, so that `briefbot config check` loads no model and
opens no database, and `briefbot brief --input` opens no database. The CLI, the runner and the
task functions receive these services; nothing else constructs implementations.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from bot.config import LoadedConfig
from bot.core.briefing import BriefingService
from bot.platforms import CHAT_PLATFORMS
from bot.scheduling.clock import Clock, SystemClock
from summarizer.engines import SummaryOptions, build_engine
from summarizer.model import Topic

if TYPE_CHECKING:
    from bot.adapters.registry import SinkRegistry
    from bot.adapters.web import WebFace
    from bot.core.commands import ChatStore, CommandCore
    from bot.core.indexing import EmbeddingIndexer
    from bot.core.pages import PageService
    from bot.core.polling import PollResult
    from bot.core.protocols import ChatAdapter, FetchedArticle, PostResult, Source, Store
    from bot.core.stories import StoryIndex
    from bot.ingest.http import HttpClient
    from bot.scheduling.deliveries import DeliveryService
    from bot.scheduling.jobs import DeliveryPlan
    from bot.scheduling.metrics import Metrics
    from bot.scheduling.ticks import Polls, TaskQueue, Ticker
    from bot.store.runs import RunRepository
    from summarizer.engines.base import Summarizer
    from summarizer.model import Briefing

log = logging.getLogger(__name__)

COMPOSE_THREADS = 2  # briefings composed at once (CPU-bound; more threads only contend for the GIL)
MAX_ERRORS = 20
PLANS_FRESH_S = 5.0  # chat subscriptions made on any replica are picked up this soon


class App:
    def __init__(self, loaded: LoadedConfig, *, clock: Clock | None = None) -> None:
        self.loaded = loaded
        self.config = loaded.config
        self.clock: Clock = clock or SystemClock()
        self._chat: list[ChatAdapter] = []
        self.errors: deque[dict[str, str]] = deque(maxlen=MAX_ERRORS)  # the last failures, for /healthz
        self._plans: tuple[float, dict[str, DeliveryPlan]] | None = None

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
            return build_engine(
                "transformers", model=model, embeddings=s.embeddings, embedding_model=self.embedding_model
            )
        if s.engine == "extractive":
            return build_engine("extractive", embeddings=s.embeddings, embedding_model=self.embedding_model)
        return build_engine(s.engine)

    @cached_property
    def embedding_model(self) -> str | None:
        """The MiniLM files the config names (see `bot.embeddings`); None: the packaged model."""
        from bot.embeddings import model_spec

        return model_spec(self.loaded)

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
            stories=self.stories if with_store else None,
            story_url=self._story_url,
        )

    def _story_url(self, story_id: str) -> str | None:
        """`web.public_url`/story/ID: the story's page on the web face (None without a public address)."""
        base = self.config.web.public_url
        return f"{base.rstrip('/')}/story/{story_id}" if base else None

    def sources(self, only: str | None = None) -> list[Source]:
        from bot.ingest import build_sources

        return build_sources(self.loaded, only=only)

    @cached_property
    def indexer(self) -> EmbeddingIndexer:
        from bot.core.indexing import EmbeddingIndexer

        return EmbeddingIndexer(
            self.store,  # type: ignore[arg-type]
            embeddings=self.config.summarizer.embeddings,
            model=self.embedding_model,
        )

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
            await self.stories.maintain(new_ids)
        retention = self.config.storage.retention
        if retention.total_seconds() > 0:
            await asyncio.to_thread(self.store.prune, datetime.now(UTC) - retention)  # type: ignore[attr-defined]
        return results

    def local_sources(self) -> list[Source]:
        """The enabled `path:` sources: cheap to re-read, so `brief` refreshes them itself."""
        names = {s.name for s in self.config.sources if s.enabled and s.path}
        if not names:  # no folder to re-read: do not build (or import) the web sources
            return []
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

    def console_core(self, articles: Sequence[FetchedArticle] | None = None) -> CommandCore:
        """The command core of `briefbot chat`: the person at the terminal runs the bot, so no rate
        limit; with `articles` (``--input``) /brief summarises those and nothing is stored."""
        from bot.config.schema import LimitsConfig
        from bot.core.commands import CommandCore

        if articles is None:
            service, chat_store = self.briefing_service(), self.chat_store
        else:
            from bot.store.chat import ChatRepository

            service, chat_store = self.briefing_service(with_store=False), ChatRepository.in_memory()
        return CommandCore(
            service,
            chat_store,
            self.topics,
            LimitsConfig(brief_per_user=1_000_000, brief_per_channel=1_000_000),
            default_since=self.config.summarizer.since,
            articles=articles,
        )

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

    # -- the scheduled work: what the task functions (bot.tasks) run ---------------------------------

    @cached_property
    def stories(self) -> StoryIndex:
        """The story index: `maintain(new_article_ids)` after each poll that stored articles, and the
        stories that briefings read."""
        from bot.core.stories import WINDOW, StoryIndex
        from bot.store.stories import StoryRepository

        retention = self.config.storage.retention
        return StoryIndex(
            StoryRepository(self.store.engine),  # type: ignore[attr-defined]
            lambda ids: self.store.articles_by_id(ids, with_embeddings=True),  # type: ignore[attr-defined]
            self.story_embedder,
            self.summarizer,
            self.topics,
            outlets=[s.outlet or s.name for s in self.config.sources],
            options=self.summary_options(),
            window=retention if retention > timedelta(0) else WINDOW,
            cache_sentences=lambda ids: self.indexer.index(self.indexer.missing(ids)),
            since=self.config.summarizer.since,
        )

    def story_embedder(self) -> Any:
        """The embedder of the reports' leads: MiniLM, or a stable stand-in when it cannot be had."""
        from summarizer.embed import get_embedder
        from summarizer.stories import stable_embedder

        return stable_embedder(get_embedder(self.config.summarizer.embeddings, self.embedding_model))

    # -- the web face -------------------------------------------------------------------------------

    @cached_property
    def pages(self) -> PageService:
        """What the web pages show, read from the same services as the chat (see `bot.core.pages`)."""
        from bot.core.pages import PageService
        from bot.store.stories import StoryRepository

        return PageService(
            self.briefing_service(),
            self.stories,
            StoryRepository(self.store.engine),  # type: ignore[attr-defined]
            lambda ids: self.store.articles_by_id(ids),  # type: ignore[attr-defined]
            self.runs,
            self.store,  # type: ignore[arg-type]
            [t.name for t in self.topics],
            since=self.config.summarizer.since,
            options=self.summary_options(),
            stale_after=self.config.run.stale_after,
            clock=self.clock.now,
        )

    def web_host(self, host: str | None = None) -> str:
        """--web-host, else web.host, else $BRIEFBOT_WEB_HOST, else 127.0.0.1."""
        import os

        return host or self.config.web.host or os.environ.get("BRIEFBOT_WEB_HOST") or "127.0.0.1"

    def web_face(self, *, port: int, host: str | None = None) -> WebFace:
        """The web pages on a hardened server of their own (not started)."""
        from bot.adapters.web import WebFace
        from bot.logs import Redactor, redact
        from bot.render.html import HtmlRenderer

        own = Redactor(self.loaded.secrets)  # this config's secrets, registered globally or not
        web = self.config.web
        return WebFace(
            self.pages,
            HtmlRenderer(web.title, web.public_url),
            host=self.web_host(host),
            port=port,
            admin_token=web.admin_token.get_secret_value() if web.admin_token else None,
            cache_s=web.cache.total_seconds(),
            redactor=lambda text: own(redact(text)),
        )

    @cached_property
    def metrics(self) -> Metrics:
        from bot.scheduling.metrics import Metrics

        return Metrics()

    @cached_property
    def runs(self) -> RunRepository:
        from bot.store.runs import RunRepository

        return RunRepository(self.store.engine)  # type: ignore[attr-defined]

    @cached_property
    def http_client(self) -> HttpClient:
        """One client for every web source, so per-host limits hold across them (open its session)."""
        from bot.ingest.http import HttpClient

        return HttpClient(self.config.http)

    @cached_property
    def run_sources(self) -> dict[str, Source]:
        """The enabled sources, sharing `http_client`, by name."""
        from bot.ingest import build_sources

        return {s.name: s for s in build_sources(self.loaded, client=self.http_client)}

    @property
    def queue_engine(self) -> str:
        """`inline` (inside `briefbot run`) or `procrastinate` (`briefbot worker`s on PostgreSQL)."""
        choice = self.config.run.queue
        if choice != "auto":
            return choice
        from bot.store.engine import resolve_url

        return (
            "procrastinate"
            if resolve_url(self.config.storage.url).get_backend_name() == "postgresql"
            else "inline"
        )

    @cached_property
    def queue(self) -> TaskQueue:
        if self.queue_engine == "procrastinate":
            from bot.tasks.engine import ProcrastinateQueue

            return ProcrastinateQueue(self)
        from bot.tasks.inline import InlineQueue

        return InlineQueue(self)

    def attach_chat(self, adapters: Sequence[ChatAdapter]) -> None:
        """The started chat adapters that chat deliveries post through (before any post runs)."""
        self._chat = list(adapters)
        self.__dict__.pop("sink_registry", None)

    @cached_property
    def sink_registry(self) -> SinkRegistry:
        return self.sinks(self._chat)

    @cached_property
    def composer(self) -> Callable[..., Any]:
        from bot.scheduling.deliveries import StoreComposer

        return StoreComposer(self.briefing_service())

    @cached_property
    def deliveries(self) -> DeliveryService:
        from bot.scheduling.deliveries import DeliveryService

        executor = ThreadPoolExecutor(COMPOSE_THREADS, thread_name_prefix="briefbot-compose")
        return DeliveryService(
            self.runs,
            self.composer,
            lambda plan: self.sink_registry(plan),
            self.clock,
            grace=self.config.run.misfire_grace,
            metrics=self.metrics,
            compose_executor=executor,
            after_post=self._remember_in_channel,
            note_error=self.note_error,
            resolve_story=lambda story_id: self.stories.resolve(story_id),
        )

    @cached_property
    def polls(self) -> Polls:
        from bot.scheduling.ticks import Polls

        return Polls(
            self.store,
            lambda: self.run_sources,
            self.clock,
            max_backoff=self.config.run.max_backoff,
            metrics=self.metrics,
            on_result=self._note_poll,
        )

    @cached_property
    def ticker(self) -> Ticker:
        from bot.scheduling.ticks import Ticker

        run = self.config.run
        return Ticker(
            self.runs,
            self.queue,
            self.plans,
            lambda: self.run_sources,
            self.clock,
            grace=run.misfire_grace,
            jitter=run.jitter,
        )

    async def plans(self, *, fresh: bool = False) -> dict[str, DeliveryPlan]:
        """Every delivery plan: the config's and the chat subscriptions' (re-read every few seconds)."""
        now = time.monotonic()
        if not fresh and self._plans is not None and now - self._plans[0] < PLANS_FRESH_S:
            return self._plans[1]
        plans = await asyncio.to_thread(self._read_plans)
        self._plans = (now, plans)
        return plans

    async def plan(self, name: str) -> DeliveryPlan | None:
        plans = await self.plans()
        if name not in plans and self._plans is not None:
            self._plans = None  # a subscription made a moment ago: read again
            plans = await self.plans()
        return plans.get(name)

    def _read_plans(self) -> dict[str, DeliveryPlan]:
        from bot.scheduling.jobs import plan_from_config, plan_from_subscription

        plans = {
            p.name: p for p in (plan_from_config(d, self.loaded.resolve_path) for d in self.config.deliveries)
        }
        for sub in self.chat_store.subscriptions():
            try:
                plan = plan_from_subscription(sub, self.config.summarizer.since)
            except (ValueError, KeyError) as exc:
                log.warning(
                    "subscription of %s/%s to %r is unusable: %s",
                    sub.platform,
                    sub.channel_id,
                    sub.topic,
                    exc,
                )
                continue
            plans[plan.name] = plan
        return plans

    def _remember_in_channel(self, plan: DeliveryPlan, briefing: Briefing, _posted: PostResult) -> None:
        """A scheduled briefing in a chat channel becomes its last one, so /more and /sources refer to it."""
        if plan.platform in CHAT_PLATFORMS and plan.channel:
            self.chat_store.save_last_briefing(plan.platform, plan.channel, briefing)

    def note_error(self, where: str, error: str) -> None:
        from bot.scheduling.jobs import iso

        self.errors.append({"at": iso(self.clock.now()), "where": where, "error": error})

    def _note_poll(self, result: PollResult) -> None:
        if result.outcome.status == "failed" or result.store_error:
            self.note_error(
                f"source {result.outcome.source_name}", result.store_error or result.outcome.error or "failed"
            )

    async def prune(self, now: datetime) -> None:
        """Upkeep: finished delivery runs after max(retention, 8 days); articles after storage.retention."""
        retention = self.config.storage.retention
        await asyncio.to_thread(self.runs.prune, now - max(retention, timedelta(days=8)))
        if retention > timedelta(0):
            await asyncio.to_thread(self.store.prune, now - retention)  # type: ignore[attr-defined]

    async def posting_adapters(self) -> list[ChatAdapter]:
        """The chat adapters, connected only for posting: what a worker needs to post to channels."""
        adapters = self.chat_adapters()
        for adapter in adapters:
            await adapter.open_for_posting()
        return adapters
