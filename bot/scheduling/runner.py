"""`briefbot run`: one asyncio process that polls sources, posts scheduled briefings and serves health.

APScheduler 3's `AsyncIOScheduler` is only the alarm clock. Every job has an explicit id and is
added with `replace_existing=True` and `coalesce=True`:

- `poll:<source>`: wakes at the source's stored due time plus jitter (`PollPlanner`), then moves
  its own next run to the time the poll returned;
- `deliver:<name>`: a `CronTrigger` in the delivery's time zone; it works out which canonical fire
  time is due and hands it to `DeliveryService.deliver` (claim → post → record);
- `claims:recover`: takes over runs whose owner died (lease expired), in this or another process;
- `subscriptions:sync`: picks up chat `/subscribe` changes made by any replica;
- `health:refresh`: rebuilds the /healthz snapshot off the event loop; `claims:prune`: upkeep.

On start, each delivery's latest fire time within `run.misfire_grace` is run once (a briefing
missed while the bot was down); older missed ones are logged as skipped. On SIGTERM/SIGINT the
scheduler stops taking jobs, running jobs get a few seconds to finish, unposted claims of this
process are released for other replicas, and every client is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
import socket
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.core.protocols import ChatAdapter
from bot.health import HealthServer, HealthState
from bot.scheduling.clock import Clock, SystemClock
from bot.scheduling.deliveries import DeliveryOutcome, DeliveryService, StoreComposer
from bot.scheduling.jobs import (
    DeliveryPlan,
    iso,
    plan_from_config,
    plan_from_subscription,
)
from bot.scheduling.metrics import Metrics
from bot.scheduling.polls import PollPlanner

if TYPE_CHECKING:
    from bot.adapters.registry import SinkRegistry
    from bot.app import App
    from bot.core.protocols import PostResult, Source
    from bot.store.claims import ClaimRepository
    from bot.store.sql import SqlStore
    from summarizer.model import Briefing

__all__ = ["RunOptions", "Runner", "make_owner_id"]

log = logging.getLogger(__name__)

MAX_ERRORS = 20
COMPOSE_THREADS = 2  # briefings composed at once (CPU-bound; more threads only contend for the GIL)
CLAIM_THREADS = 4
CATCH_UP_WAIT_S = 60.0  # longest a start-up catch-up waits for the first round of polls     # claim/record calls in flight at once, apart from the polls' store calls
NEXT_DELIVERIES_SHOWN = 20


def make_owner_id() -> str:
    """Who holds a claim: host, pid and a random tag (a restarted process is a new owner)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(3)}"


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
    subscriptions_every_s: float = 30.0
    recover_every_s: float | None = None  # default: a quarter of the claim lease, 1 s to 30 s
    shutdown_grace_s: float = 5.0
    sweep_every_s: float = 60.0  # look for due runs nobody claimed (a lost firing)
    prune_every_s: float = 3600.0


class Runner:
    def __init__(
        self,
        app: App,
        options: RunOptions | None = None,
        *,
        clock: Clock | None = None,
        owner: str | None = None,
        chat_adapters: Sequence[ChatAdapter] | None = None,
    ) -> None:
        self.app = app
        self.config = app.config
        self.options = options or RunOptions()
        self.clock: Clock = clock or SystemClock()
        self.owner = owner or make_owner_id()
        self.metrics = Metrics()
        self.health = HealthState(max_age_s=max(60.0, 6 * self.options.health_refresh_s))
        self.errors: deque[dict[str, str]] = deque(maxlen=MAX_ERRORS)
        self.plans: dict[str, DeliveryPlan] = {}
        self.sources: dict[str, Source] = {}
        self.started_at: datetime | None = None
        self._cron_from: datetime | None = None
        self.health_port: int | None = None
        self._active: set[asyncio.Task[Any]] = set()
        self._exit = contextlib.AsyncExitStack()
        self._scheduler: AsyncIOScheduler | None = None
        self._health_server: HealthServer | None = None
        self._chat: list[ChatAdapter] = []
        self._given_chat = list(chat_adapters) if chat_adapters is not None else None
        self._store: SqlStore | None = None
        self._claims: ClaimRepository | None = None
        self._sinks: SinkRegistry | None = None
        self._deliveries: DeliveryService | None = None
        self._polls: PollPlanner | None = None
        self._chat_repo: Any = None
        self._first_polls = asyncio.Event()
        self._unpolled: set[str] = set()
        self._stopping = False

    # -- life cycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the store, start adapters and the scheduler, catch up missed deliveries."""
        from bot.ingest import HttpClient, build_sources
        from bot.store.claims import ClaimRepository

        run = self.config.run
        self.started_at = self.clock.now()
        store = await asyncio.to_thread(self._open_store)
        self._store = store
        self._claims = claims = await asyncio.to_thread(ClaimRepository, store.engine)
        client = HttpClient(self.config.http)
        await self._exit.enter_async_context(client.session())
        self.sources = {s.name: s for s in build_sources(self.app.loaded, client=client)}

        self._chat = (
            self._given_chat
            if self._given_chat is not None
            else self.app.chat_adapters(
                shard_ids=self.options.shard_ids, shard_count=self.options.shard_count
            )
        )
        for adapter in self._chat:
            await adapter.start()
            self._exit.push_async_callback(self._close_adapter, adapter)
        self._sinks = self.app.sinks(self._chat)
        self._exit.push_async_callback(self._sinks.close)

        composing = ThreadPoolExecutor(COMPOSE_THREADS, thread_name_prefix="briefbot-compose")
        claiming = ThreadPoolExecutor(CLAIM_THREADS, thread_name_prefix="briefbot-claims")
        for pool in (composing, claiming):
            self._exit.callback(pool.shutdown, wait=False, cancel_futures=True)
        self._deliveries = DeliveryService(
            claims,
            StoreComposer(self.app.briefing_service()),
            self._sinks,
            self.clock,
            self.owner,
            run.claim_lease,
            metrics=self.metrics,
            compose_executor=composing,
            db_executor=claiming,
            after_post=self._remember_in_channel,
            retry_within=run.misfire_grace,
        )
        self._polls = PollPlanner(
            store,
            claims,
            self.clock,
            self.owner,
            jitter=run.jitter,
            max_backoff=run.max_backoff,
            lease=run.claim_lease,
            metrics=self.metrics,
        )
        self.plans = {
            p.name: p
            for p in (plan_from_config(d, self.app.loaded.resolve_path) for d in self.config.deliveries)
        }
        self.plans.update({p.name: p for p in await asyncio.to_thread(self._subscription_plans)})

        self._scheduler = AsyncIOScheduler(timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1})
        self._add_jobs()
        self._cron_from = self.clock.now()  # fire times after this are the cron jobs'; up to it, catch-up's
        self._scheduler.start()
        self.metrics.sources.set(len(self.sources))
        self.metrics.deliveries.set(len(self.plans))
        await self.refresh_health()
        if self.options.health_port is not None:
            self._health_server = HealthServer(
                self.health, self.metrics.render, host=self.options.health_host, port=self.options.health_port
            )
            self.health_port = await self._health_server.start()
        self._unpolled = set(self.sources)
        if not self._unpolled:
            self._first_polls.set()
        for plan in list(self.plans.values()):
            self._spawn(self.catch_up(plan), f"catch-up {plan.name}")
        log.info("briefbot run %s: %d sources, %d deliveries", self.owner, len(self.sources), len(self.plans))

    def _open_store(self) -> SqlStore:
        """The app's store (its `sync_sources` lets replicas that start together take turns)."""
        return self.app.store  # type: ignore[return-value]

    async def stop(self) -> None:
        """Stop taking jobs, let running ones finish briefly, release claims, close everything."""
        if self._stopping:
            return
        self._stopping = True
        self.health.stopping = True
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.pause()
        running = {t for t in self._active if not t.done()}
        if running:
            log.info(
                "waiting up to %.0f s for %d running job(s)", self.options.shutdown_grace_s, len(running)
            )
            _done, pending = await asyncio.wait(running, timeout=self.options.shutdown_grace_s)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=1.0)
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        if self._claims is not None:
            try:
                released = await asyncio.wait_for(asyncio.to_thread(self._claims.release, self.owner), 3.0)
                if released:
                    log.info("released %d unposted claim(s) for other replicas", released)
            except Exception as exc:
                log.warning(
                    "could not release claims (they expire after run.claim_lease): %s", _one_line(exc)
                )
        if self._health_server is not None:
            await self._health_server.close()
        try:
            await asyncio.wait_for(self._exit.aclose(), 3.0)
        except Exception as exc:
            log.warning("closing clients: %s", _one_line(exc))
        if self._store is not None:
            self._store.close()

    async def serve(
        self, stop: asyncio.Event | None = None, on_started: Callable[[Runner], None] | None = None
    ) -> None:
        """Start, run until SIGTERM/SIGINT (or `stop` is set), then stop."""
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        handled: list[signal.Signals] = []
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, stop.set)
                handled.append(sig)
        try:
            await self.start()
            if on_started is not None:
                on_started(self)
            await stop.wait()
            log.info("stopping")
        finally:
            await self.stop()
            for sig in handled:
                loop.remove_signal_handler(sig)

    async def _close_adapter(self, adapter: ChatAdapter) -> None:
        try:
            await asyncio.wait_for(adapter.close(), 3.0)
        except Exception as exc:
            log.warning("closing the %s adapter: %s", getattr(adapter, "name", "chat"), _one_line(exc))

    # -- jobs ------------------------------------------------------------------------------------

    def _add_jobs(self) -> None:
        sched = self._scheduler
        assert sched is not None and self._polls is not None
        run = self.config.run
        for source in self.sources.values():
            interval = self._polls.interval(source)
            sched.add_job(
                self._poll_job,
                IntervalTrigger(seconds=(interval + run.max_backoff).total_seconds()),
                args=[source.name],
                id=f"poll:{source.name}",
                name=f"poll {source.name}",
                replace_existing=True,
                coalesce=True,
                misfire_grace_time=None,
                next_run_time=self._polls.first_wake(source),
            )
        for plan in self.plans.values():
            self._add_delivery_job(plan)
        recover = self.options.recover_every_s or min(30.0, max(1.0, run.claim_lease.total_seconds() / 4))
        now = self.clock.now()
        for job_id, func, every in (
            ("claims:recover", self._recover_job, recover),
            ("claims:sweep", self._sweep_job, self.options.sweep_every_s),
            ("subscriptions:sync", self._subscriptions_job, self.options.subscriptions_every_s),
            ("health:refresh", self.refresh_health, self.options.health_refresh_s),
            ("claims:prune", self._prune_job, self.options.prune_every_s),
        ):
            sched.add_job(
                func,
                IntervalTrigger(seconds=every),
                id=job_id,
                name=job_id,
                replace_existing=True,
                coalesce=True,
                misfire_grace_time=None,
                next_run_time=now + timedelta(seconds=every),
            )

    def _add_delivery_job(self, plan: DeliveryPlan) -> None:
        assert self._scheduler is not None
        self._scheduler.add_job(
            self._delivery_job,
            plan.trigger,
            args=[plan.name],
            id=plan.job_id,
            name=f"deliver {plan.name}",
            replace_existing=True,
            coalesce=True,
            misfire_grace_time=max(1, int(self.config.run.misfire_grace.total_seconds())),
        )

    def _spawn(self, coro: Awaitable[Any], what: str) -> None:
        async def guarded() -> None:
            await self._guard(coro, what)

        task = asyncio.get_running_loop().create_task(guarded())
        self._active.add(task)
        task.add_done_callback(self._active.discard)

    async def _guard(self, coro: Awaitable[Any], what: str) -> Any:
        """Run a job body: tracked for shutdown, and an exception is logged, never lost."""
        task = asyncio.current_task()
        if task is not None:
            self._active.add(task)
        try:
            return await coro
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.note_error(what, _one_line(exc))
            log.error("%s failed: %s", what, _one_line(exc))
            log.info("trace of %s", what, exc_info=exc)
            return None
        finally:
            if task is not None:
                self._active.discard(task)

    def note_error(self, where: str, error: str) -> None:
        self.errors.append({"at": iso(self.clock.now()), "where": where, "error": error})

    async def _poll_job(self, name: str) -> None:
        if self._stopping:
            return
        await self._guard(self._poll(name), f"poll {name}")

    async def _poll(self, name: str) -> None:
        assert self._polls is not None and self._scheduler is not None
        source = self.sources.get(name)
        if source is None:
            return
        try:
            turn = await self._polls.turn(source)
        finally:
            self._unpolled.discard(name)
            if not self._unpolled:
                self._first_polls.set()
        if turn.result is not None:
            r = turn.result
            if r.outcome.status == "failed" or r.store_error:
                self.note_error(f"source {name}", r.store_error or r.outcome.error or "failed")
            if r.stored is not None and r.stored.new_ids:
                # Encode at ingest so the scheduled briefings only look vectors up; a failure here
                # only costs re-encoding at brief time.
                try:
                    await asyncio.to_thread(self.app.indexer.index, r.stored.new_ids)
                except Exception as exc:
                    log.warning("caching embeddings of %s failed: %s", name, _one_line(exc))
        job = self._scheduler.get_job(f"poll:{name}")
        if job is not None and not self._stopping:
            job.modify(next_run_time=turn.wake_at)

    async def _delivery_job(self, name: str) -> None:
        if self._stopping:
            return
        plan = self.plans.get(name)
        if plan is None:
            return
        assert self._deliveries is not None
        self._note(
            await self._guard(
                self._deliveries.run_due(plan, self.config.run.misfire_grace), f"delivery {name}"
            )
        )

    async def catch_up(self, plan: DeliveryPlan) -> None:
        """On start, after the sources due then had a turn (so the briefing has today's news); the
        missed run is the one before the start, even when the next one falls due during the wait."""
        assert self._deliveries is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._first_polls.wait(), CATCH_UP_WAIT_S)
        self._note(await self._deliveries.catch_up(plan, self.config.run.misfire_grace, self._cron_from))

    def _note(self, outcome: DeliveryOutcome | None) -> None:
        if outcome is not None and outcome.result in ("failed", "retry", "unknown", "lease_lost"):
            self.note_error(
                f"delivery {outcome.delivery} @ {iso(outcome.scheduled_for)}",
                outcome.detail or outcome.result,
            )

    async def _recover_job(self) -> None:
        """Take over runs whose owner died, and failed runs whose time to try again has come."""
        assert self._deliveries is not None
        await self._claims_job(self._deliveries.recover, "claims recovery")

    async def _sweep_job(self) -> None:
        assert self._deliveries is not None
        await self._claims_job(self._deliveries.sweep, "claims sweep")

    async def _claims_job(self, job: Callable[..., Awaitable[list[DeliveryOutcome]]], what: str) -> None:
        if self._stopping:
            return
        outcomes = await self._guard(job(self.plans, self.config.run.misfire_grace), what)
        for outcome in outcomes or []:
            self._note(outcome)

    def _remember_in_channel(self, plan: DeliveryPlan, briefing: Briefing, _posted: PostResult) -> None:
        """A scheduled briefing in a chat channel becomes its last one, so /more and /sources refer to it."""
        if plan.platform not in ("discord", "slack") or not plan.channel:
            return
        repo = self._chat_repository()
        if repo is not None:
            repo.save_last_briefing(plan.platform, plan.channel, briefing)

    def _chat_repository(self) -> Any:
        if self._chat_repo is None:
            try:
                from bot.store.chat import ChatRepository
            except ModuleNotFoundError as exc:
                if exc.name != "bot.store.chat":
                    raise
                return None
            assert self._store is not None  # its tables were created with the store's (bot.store.tables)
            self._chat_repo = ChatRepository(self._store.engine, create_tables=False)
        return self._chat_repo

    def _subscription_plans(self) -> list[DeliveryPlan]:
        repo = self._chat_repository()
        subs = repo.subscriptions() if repo is not None else []
        plans = []
        for sub in subs:
            try:
                plans.append(plan_from_subscription(sub, self.config.summarizer.since))
            except (ValueError, KeyError) as exc:
                log.warning(
                    "subscription of %s/%s to %r is unusable: %s",
                    sub.platform,
                    sub.channel_id,
                    sub.topic,
                    exc,
                )
        return plans

    async def _subscriptions_job(self) -> None:
        if self._stopping:
            return
        await self._guard(self.sync_subscriptions(), "subscriptions sync")

    async def sync_subscriptions(self) -> None:
        """Add, change and drop `sub:` delivery jobs to match the stored subscriptions."""
        assert self._scheduler is not None and self._sinks is not None
        wanted = {p.name: p for p in await asyncio.to_thread(self._subscription_plans)}
        current = {n: p for n, p in self.plans.items() if p.origin == "subscription"}
        for name in current.keys() - wanted.keys():
            self.plans.pop(name, None)
            self._sinks.forget(name)
            with contextlib.suppress(Exception):
                self._scheduler.remove_job(f"deliver:{name}")
        for name, plan in wanted.items():
            old = current.get(name)
            if old is None or (old.cron, old.timezone) != (plan.cron, plan.timezone):
                self.plans[name] = plan
                self._add_delivery_job(plan)
        self.metrics.deliveries.set(len(self.plans))

    async def _prune_job(self) -> None:
        assert self._claims is not None
        now = self.clock.now()
        keep = max(self.config.storage.retention, timedelta(days=8))
        await self._guard(asyncio.to_thread(self._claims.prune, now - keep, now - timedelta(days=1)), "prune")
        if self.config.storage.retention > timedelta(0) and self._store is not None:
            # Retention of articles, their aliases and cached embeddings (storage.retention).
            await self._guard(
                asyncio.to_thread(self._store.prune, now - self.config.storage.retention), "article retention"
            )

    # -- health ----------------------------------------------------------------------------------

    async def refresh_health(self) -> None:
        """Rebuild the /healthz snapshot (the store is read in a worker thread)."""
        await self._guard(self._refresh_health(), "health refresh")

    async def _refresh_health(self) -> None:
        assert self._store is not None
        upcoming = self._next_deliveries()
        stale_after = self.config.run.stale_after
        statuses = await asyncio.to_thread(self._store.status, stale_after)
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
        self.health.publish(
            {
                "status": "degraded" if stale else "ok",
                "owner": self.owner,
                "started_at": iso(self.started_at) if self.started_at else None,
                "generated_at": iso(now),
                "stale_after": stale_after,
                "stale_sources": stale,
                "sources": sources,
                "deliveries": len(self.plans),
                "next_deliveries": upcoming,
                "last_errors": list(self.errors),
            }
        )

    def _next_deliveries(self) -> list[dict[str, Any]]:
        if self._scheduler is None:
            return []
        found = []
        for job in self._scheduler.get_jobs():
            if not job.id.startswith("deliver:") or job.next_run_time is None:
                continue
            plan = self.plans.get(job.id.removeprefix("deliver:"))
            if plan is not None:
                found.append(
                    {
                        "delivery": plan.name,
                        "platform": plan.platform,
                        "at": iso(job.next_run_time),
                        "timezone": plan.timezone,
                    }
                )
        found.sort(key=lambda d: str(d["at"]))
        return found[:NEXT_DELIVERIES_SHOWN]
