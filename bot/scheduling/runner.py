"""`briefbot run`: the chat gateways, /healthz and /metrics, and (embedded) the task functions.

With `run.queue: inline` (SQLite, the default) this one process also runs the task functions of
`bot.tasks` in its event loop: a tick every `run.tick_every` defers the due polls and delivery
runs (`Ticker`), and the `InlineQueue` runs them. On start, runs left unfinished by the last
process are handed to new jobs (`Ticker.resume`), and the first polls get up to a minute before
deliveries are composed, so a briefing caught up at start has today's news.

With `run.queue: procrastinate` (PostgreSQL) the work runs in `briefbot worker` processes; this
process keeps the Discord shards and Slack connections and answers commands.

On SIGTERM/SIGINT: no new ticks, running jobs get a few seconds, every client is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.core.protocols import ChatAdapter
from bot.health import HealthServer, HealthState
from bot.scheduling.jobs import iso, next_fire_time

if TYPE_CHECKING:
    from bot.app import App
    from bot.core.protocols import Source
    from bot.embeddings import EmbeddingStatus

__all__ = ["RunOptions", "Runner", "make_owner_id"]

log = logging.getLogger(__name__)

FIRST_POLLS_WAIT_S = 60.0  # longest the first delivery tick waits for the first round of polls
NEXT_DELIVERIES_SHOWN = 20
PRUNE_EVERY = timedelta(hours=1)


def make_owner_id() -> str:
    """This process in logs and /healthz: host and pid."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}"


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__


@dataclass
class RunOptions:
    health_port: int | None = None
    health_host: str = "127.0.0.1"
    shard_ids: Sequence[int] | None = None
    shard_count: int | None = None
    health_refresh_s: float = 5.0
    shutdown_grace_s: float = 5.0
    web_port: int | None = None  # serve the web face on this port (None: off)
    web_host: str | None = None  # default: web.host, $BRIEFBOT_WEB_HOST, 127.0.0.1


class Runner:
    def __init__(
        self,
        app: App,
        options: RunOptions | None = None,
        *,
        chat_adapters: Sequence[ChatAdapter] | None = None,
    ) -> None:
        self.app = app
        self.config = app.config
        self.options = options or RunOptions()
        self.clock = app.clock
        self.owner = make_owner_id()
        self.metrics = app.metrics
        self.health = HealthState(max_age_s=max(60.0, 6 * self.options.health_refresh_s))
        self.started_at: datetime | None = None
        self.health_port: int | None = None
        self.sources: dict[str, Source] = {}
        self.plans: dict[str, Any] = {}
        self._embeddings: EmbeddingStatus | None = None
        self._exit = contextlib.AsyncExitStack()
        self._health_server: HealthServer | None = None
        self._web: Any = None
        self.web_address: tuple[str, int] | None = None
        self._given_chat = list(chat_adapters) if chat_adapters is not None else None
        self._chat: list[ChatAdapter] = []
        self._loops: list[asyncio.Task[None]] = []
        self._stopping = False
        self._last_prune: datetime | None = None

    @property
    def inline(self) -> bool:
        return self.app.queue_engine == "inline"

    # -- life cycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the store, start the chat adapters and health, and (inline) the task functions."""
        self.started_at = self.clock.now()
        await asyncio.to_thread(lambda: self.app.store)
        await self._exit.enter_async_context(self.app.http_client.session())
        chat = (
            self._given_chat
            if self._given_chat is not None
            else self.app.chat_adapters(
                shard_ids=self.options.shard_ids, shard_count=self.options.shard_count
            )
        )
        for adapter in chat:
            await adapter.start()
            self._exit.push_async_callback(self._close_adapter, adapter)
        self._chat = list(chat)
        self.app.attach_chat(chat)
        self._exit.push_async_callback(lambda: self.app.sink_registry.close())
        self.sources = dict(self.app.run_sources)
        self.plans = dict(await self.app.plans())
        self.metrics.sources.set(len(self.sources))
        self.metrics.deliveries.set(len(self.plans))
        await self.refresh_health()
        if self.options.health_port is not None:
            self._health_server = HealthServer(
                self.health, self.metrics.render, host=self.options.health_host, port=self.options.health_port
            )
            self.health_port = await self._health_server.start()
        if self.options.web_port is not None:
            self._web = self.app.web_face(port=self.options.web_port, host=self.options.web_host)
            self.web_address = await self._web.start()
        self._loops.append(self._every(self.options.health_refresh_s, self.refresh_health, "health refresh"))
        if self.inline:
            resumed = await self.app.ticker.resume(self.plans, self.clock.now())
            if resumed:
                log.info("handed %d unfinished delivery run(s) of the last process to new jobs", resumed)
            self._loops.append(
                asyncio.get_running_loop().create_task(self._tick_loop(), name="briefbot-ticks")
            )
        log.info(
            "briefbot run %s: %d sources, %d deliveries, work %s",
            self.owner,
            len(self.sources),
            len(self.plans),
            "in this process" if self.inline else "in `briefbot worker` processes (procrastinate)",
        )

    @property
    def chat_adapters(self) -> list[ChatAdapter]:
        """The chat adapters this process started."""
        return list(self._chat)

    async def stop(self) -> None:
        """Stop ticking, let running jobs finish briefly, close everything."""
        if self._stopping:
            return
        self._stopping = True
        self.health.stopping = True
        for loop in self._loops:
            loop.cancel()
        await asyncio.gather(*self._loops, return_exceptions=True)
        if self.inline and "queue" in self.app.__dict__:
            await self.app.queue.close(self.options.shutdown_grace_s)  # type: ignore[attr-defined]
        if self._health_server is not None:
            await self._health_server.close()
        if self._web is not None:
            await self._web.close()
        try:
            await asyncio.wait_for(self._exit.aclose(), 3.0)
        except Exception as exc:
            log.warning("closing clients: %s", _one_line(exc))
        store = self.app.__dict__.get("store")
        if store is not None:
            store.close()

    async def serve(
        self, stop: asyncio.Event | None = None, on_started: Callable[[Runner], None] | None = None
    ) -> None:
        """Start, run until SIGTERM/SIGINT (or `stop` is set), then stop."""
        from bot.scheduling.signals import on_stop_signals

        stop = stop or asyncio.Event()
        with on_stop_signals(stop.set):
            try:
                await self.start()
                if on_started is not None:
                    on_started(self)
                await stop.wait()
                log.info("stopping")
            finally:
                await self.stop()

    async def _close_adapter(self, adapter: ChatAdapter) -> None:
        try:
            await asyncio.wait_for(adapter.close(), 3.0)
        except Exception as exc:
            log.warning("closing the %s adapter: %s", adapter.name, _one_line(exc))

    # -- the embedded queue's clock ----------------------------------------------------------------

    async def _tick_loop(self) -> None:
        ticker, queue = self.app.ticker, self.app.queue
        tick = self.config.run.tick_every
        every = max(0.01, tick.total_seconds()) if tick is not None else 1.0
        try:  # the first polls first, so that a briefing caught up at start has today's news
            if await ticker.defer_polls(self.clock.now()):
                with contextlib.suppress(TimeoutError):
                    await queue.drain(FIRST_POLLS_WAIT_S)  # type: ignore[attr-defined]
        except Exception as exc:
            self._note("first polls", exc)
        while not self._stopping:
            try:
                await ticker.tick(self.clock.now())
                await self._prune()
            except Exception as exc:
                self._note("tick", exc)
            await asyncio.sleep(every)

    async def _prune(self) -> None:
        now = self.clock.now()
        if self._last_prune is not None and now - self._last_prune < PRUNE_EVERY:
            return
        self._last_prune = now
        await self.app.prune(now)

    def _note(self, what: str, exc: BaseException) -> None:
        self.app.note_error(what, _one_line(exc))
        log.error("%s failed: %s", what, _one_line(exc))
        log.info("trace of %s", what, exc_info=exc)

    def _every(self, seconds: float, job: Callable[[], Any], what: str) -> asyncio.Task[None]:
        async def loop() -> None:
            while True:
                await asyncio.sleep(seconds)
                try:
                    await job()
                except Exception as exc:
                    self._note(what, exc)

        return asyncio.get_running_loop().create_task(loop(), name=f"briefbot {what}")

    # -- health ----------------------------------------------------------------------------------

    async def refresh_health(self) -> None:
        """Rebuild the /healthz snapshot (the store is read in a worker thread)."""
        self.plans = dict(await self.app.plans())
        self.metrics.deliveries.set(len(self.plans))
        stale_after = self.config.run.stale_after
        statuses = await asyncio.to_thread(self.app.store.status, stale_after)
        now = self.clock.now()
        sources = []
        for s in statuses:
            if not s.enabled:
                continue
            sources.append(
                {
                    "name": s.name,
                    "fresh": bool(s.last_success) and not s.stale,
                    "stale": s.stale,
                    "last_success": iso(s.last_success) if s.last_success else None,
                    "age_s": round((now - s.last_success).total_seconds(), 1) if s.last_success else None,
                    "consecutive_failures": s.consecutive_failures,
                    "last_error": s.last_error,
                    "last_error_at": iso(s.last_error_at) if s.last_error_at else None,
                    "next_poll": iso(s.next_poll) if s.next_poll else None,
                    "articles": s.article_count,
                }
            )
        stale = [s["name"] for s in sources if s["stale"]]
        self.metrics.sources_stale.set(len(stale))
        if self._embeddings is None:  # found once: the model does not come or go while running
            from bot.embeddings import embedding_status

            self._embeddings = await asyncio.to_thread(embedding_status, self.app.loaded)
        self.health.publish(
            {
                "status": "degraded" if stale or self._embeddings.warning else "ok",
                "embeddings": self._embeddings.to_dict(),
                "owner": self.owner,
                "queue": self.app.queue_engine,
                "started_at": iso(self.started_at) if self.started_at else None,
                "generated_at": iso(now),
                "stale_after": stale_after,
                "stale_sources": stale,
                "sources": sources,
                "deliveries": len(self.plans),
                "next_deliveries": self._next_deliveries(now),
                "last_errors": list(self.app.errors),
            }
        )

    def _next_deliveries(self, now: datetime) -> list[dict[str, Any]]:
        found = []
        for plan in self.plans.values():
            at = next_fire_time(plan, now)
            if at is not None:
                found.append(
                    {
                        "delivery": plan.name,
                        "platform": plan.platform,
                        "at": iso(at),
                        "timezone": plan.timezone,
                    }
                )
        found.sort(key=lambda d: str(d["at"]))
        return found[:NEXT_DELIVERIES_SHOWN]
