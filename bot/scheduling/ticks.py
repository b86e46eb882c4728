"""What the per-minute `tick` task decides: which polls and delivery runs are due, deferred once each.

- A source is due when its stored next poll time has come (`sources.next_poll`, written after every
  poll with backoff after failures) or it was never polled; its `poll` job is deferred with the
  source's queueing lock, so a slow feed never has two polls queued, and a random wait of at most
  `run.jitter` (≤ half its interval) spreads many sources out.
- A delivery run is due at the latest canonical fire time of its plan within `run.misfire_grace`
  (`bot.scheduling.jobs`: DST-safe, a repeated hour fires once). The tick inserts the run record
  (UNIQUE: one tick wins) and defers its `compose` job. A miss older than the grace is logged and
  skipped; a briefing missed while nothing ran is posted once when the tick runs again.

Ticking is idempotent: a tick retried after its worker died, or two ticks in one minute, defer
nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.core.polling import DEFAULT_INTERVAL, PollResult, poll_one
from bot.core.protocols import Source, Store
from bot.scheduling.clock import Clock
from bot.scheduling.jobs import DeliveryPlan, fire_times, iso, latest_due, next_fire_time
from bot.scheduling.metrics import Metrics
from bot.store.runs import RunRepository
from bot.tasks import jittered

__all__ = ["Polls", "TaskQueue", "Ticker"]

log = logging.getLogger(__name__)

EARLY_TOLERANCE = timedelta(seconds=1)  # clocks of machines may differ a little
ORPHAN_AFTER = timedelta(minutes=2)  # a `queued` run untouched this long lost its job (tick died)


class TaskQueue(Protocol):
    name: str

    async def defer(self, task: str, *, schedule_at: datetime | None = None, **kwargs: Any) -> bool: ...


def _interval(source: Source) -> timedelta:
    value = getattr(source, "interval", None)
    return value if isinstance(value, timedelta) and value > timedelta(0) else DEFAULT_INTERVAL


class Polls:
    """The `poll` task's body: poll one source if it is (still) due, and record the outcome."""

    def __init__(
        self,
        store: Store,
        sources: Callable[[], Mapping[str, Source]],
        clock: Clock,
        *,
        max_backoff: timedelta,
        metrics: Metrics | None = None,
        on_result: Callable[[PollResult], None] | None = None,
    ) -> None:
        self.store = store
        self.sources = sources
        self.clock = clock
        self.max_backoff = max_backoff
        self.metrics = metrics
        self.on_result = on_result
        self.count = 0

    async def poll(self, name: str) -> list[int]:
        """Poll `name` once; the new articles' ids (empty when not due or unknown)."""
        source = self.sources().get(name)
        if source is None:
            return []
        state = await asyncio.to_thread(self.store.source_state, name)
        if state.next_poll is not None and state.next_poll > self.clock.now() + EARLY_TOLERANCE:
            if self.metrics is not None:
                self.metrics.polls_skipped.labels("not_due").inc()
            return []  # another job polled it meanwhile
        t0 = time.perf_counter()
        result = await poll_one(source, self.store, clock=self.clock.now, max_backoff=self.max_backoff)
        self.count += 1
        self._record(result, time.perf_counter() - t0)
        if self.on_result is not None:
            self.on_result(result)
        return list(result.stored.new_ids) if result.stored is not None else []

    def _record(self, result: PollResult, seconds: float) -> None:
        if self.metrics is None:
            return
        failed = result.outcome.status == "failed" or result.store_error is not None
        self.metrics.fetches.labels("failed" if failed else result.outcome.status).inc()
        if failed:
            self.metrics.fetch_failures.inc()
        if result.stored is not None:
            self.metrics.articles_stored.inc(result.stored.new)
        self.metrics.fetch_latency.observe(result.outcome.duration_s or seconds)


@dataclass
class _Seen:
    cron: str
    timezone: str
    next_fire: datetime | None


@dataclass
class Ticker:
    runs: RunRepository
    queue: TaskQueue
    plans: Callable[[], Awaitable[Mapping[str, DeliveryPlan]]]
    sources: Callable[[], Mapping[str, Source]]
    clock: Clock
    grace: timedelta
    jitter: timedelta
    rng: random.Random = field(default_factory=random.Random)
    _seen: dict[str, _Seen] = field(default_factory=dict)
    _warned: bool = False
    _orphans_checked: datetime | None = None

    async def tick(self, now: datetime | None = None) -> None:
        now = now or self.clock.now()
        await self.defer_polls(now)
        await self.defer_deliveries(now)

    async def defer_polls(self, now: datetime) -> int:
        sources = self.sources()
        due = await asyncio.to_thread(self.runs.due_sources, list(sources), now)
        deferred = 0
        for name in due:
            spread = min(self.jitter, _interval(sources[name]) / 2)
            if await self.queue.defer("poll", source=name, schedule_at=jittered(now, spread, self.rng)):
                deferred += 1
        return deferred

    async def defer_deliveries(self, now: datetime) -> list[tuple[str, datetime]]:
        plans = await self.plans()
        wanted: list[tuple[DeliveryPlan, datetime]] = []
        for plan in plans.values():
            seen = self._seen.get(plan.name)
            unchanged = seen is not None and (seen.cron, seen.timezone) == (plan.cron, plan.timezone)
            if unchanged and (seen.next_fire is None or seen.next_fire > now):  # type: ignore[union-attr]
                continue  # nothing fell due since this plan was last looked at
            when = latest_due(plan, now, self.grace)
            self._seen[plan.name] = _Seen(plan.cron, plan.timezone, next_fire_time(plan, now))
            if when is not None:
                wanted.append((plan, when))
        if not self._warned:
            self._warned = True
            await self._warn_about_old_misses(plans.values(), now)
        if not wanted:
            await self._requeue_orphans(plans, now)
            return []
        have = await asyncio.to_thread(self.runs.keys_since, now - self.grace)
        deferred = []
        for plan, when in wanted:
            if (plan.name, when) in have:
                continue
            if await asyncio.to_thread(self.runs.create, plan.name, when, now):
                await self.queue.defer("compose", delivery=plan.name, scheduled_for=when.isoformat())
                deferred.append((plan.name, when))
        await self._requeue_orphans(plans, now)
        return deferred

    async def _requeue_orphans(self, plans: Mapping[str, DeliveryPlan], now: datetime) -> None:
        """A `queued` run whose tick died before deferring its job (or whose queue lost it) gets one."""
        if self._orphans_checked is not None and now - self._orphans_checked < ORPHAN_AFTER / 2:
            return
        self._orphans_checked = now
        stale = await asyncio.to_thread(
            self.runs.unfinished, now - self.grace, idle_before=now - ORPHAN_AFTER
        )
        for run in stale:
            if run.status == "queued" and run.delivery in plans:
                await self.queue.defer(
                    "compose", delivery=run.delivery, scheduled_for=run.scheduled_for.isoformat()
                )

    async def resume(self, plans: Mapping[str, DeliveryPlan], now: datetime) -> int:
        """Hand every unfinished run within the grace to a new job: the embedded queue's jobs died
        with the last process (on PostgreSQL, procrastinate's stalled-job recovery does this)."""
        count = 0
        for run in await asyncio.to_thread(self.runs.unfinished, now - self.grace):
            plan = plans.get(run.delivery)
            if plan is None:
                continue
            when = run.scheduled_for.isoformat()
            at = run.next_try if run.status == "retry" and run.next_try and run.next_try > now else None
            if run.composed:
                await self.queue.defer(
                    "post",
                    delivery=run.delivery,
                    scheduled_for=when,
                    channel=plan.channel_key,
                    schedule_at=at,
                )
            else:
                await self.queue.defer("compose", delivery=run.delivery, scheduled_for=when, schedule_at=at)
            count += 1
        return count

    async def _warn_about_old_misses(self, plans: Sequence[DeliveryPlan] | Any, now: datetime) -> None:
        have = await asyncio.to_thread(self.runs.keys_since, now - self.grace - timedelta(days=1))
        for plan in plans:
            before: list[datetime] = []
            for span in (
                timedelta(hours=1),
                timedelta(days=1),
            ):  # a short window first: cheap for minute crons
                before = fire_times(plan, now - self.grace - span, now - self.grace)
                if before:
                    break
            if before and (plan.name, before[-1]) not in have:
                log.warning(
                    "delivery %s @ %s was missed by more than run.misfire_grace (%s); skipped",
                    plan.name,
                    iso(before[-1]),
                    self.grace,
                )
