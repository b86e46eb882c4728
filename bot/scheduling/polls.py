"""Poll one source when it is due, at most once per due time across replicas.

A source's next due time lives in the store (`SourceState.next_poll`, written after every poll with
exponential backoff on failure, see `bot.core.polling.next_poll_time`). Each replica wakes at that
time plus its own random jitter, claims `(source, due time)` in the database, and only the winner
fetches. A replica that finds the source not yet due (another one polled it, or it is backing off)
just sleeps until the stored time.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.core.polling import DEFAULT_INTERVAL, PollResult, poll_one
from bot.core.protocols import Source, Store
from bot.scheduling.claims import ClaimStore
from bot.scheduling.clock import Clock
from bot.scheduling.metrics import Metrics

__all__ = ["PollPlanner", "PollTurn", "slot_key"]

log = logging.getLogger(__name__)

EARLY_TOLERANCE = timedelta(seconds=1)  # clocks of replicas may differ a little
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def slot_key(due: datetime | None, now: datetime, interval: timedelta) -> str:
    """The poll's identity shared by replicas: the stored due time, or (never polled) the interval
    slot `now` falls in, counted from the epoch."""
    if due is not None:
        return due.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    seconds = max(interval.total_seconds(), 0.001)
    return f"init:{int((now - _EPOCH).total_seconds() // seconds)}"


@dataclass
class PollTurn:
    """What one wake-up of a source's job did, and when it should wake next."""

    source: str
    action: str  # "polled", "not_due", "claimed_elsewhere"
    wake_at: datetime
    result: PollResult | None = None


class PollPlanner:
    def __init__(
        self,
        store: Store,
        claims: ClaimStore,
        clock: Clock,
        owner: str,
        *,
        jitter: timedelta,
        max_backoff: timedelta,
        lease: timedelta,
        metrics: Metrics | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.claims = claims
        self.clock = clock
        self.owner = owner
        self.jitter = jitter
        self.max_backoff = max_backoff
        self.lease = lease
        self.metrics = metrics
        self.rng = rng or random.Random()

    def interval(self, source: Source) -> timedelta:
        value = getattr(source, "interval", None)
        return value if isinstance(value, timedelta) and value > timedelta(0) else DEFAULT_INTERVAL

    def spread(self, source: Source) -> timedelta:
        """Random extra wait: at most `run.jitter`, and at most half the source's interval."""
        cap = min(self.jitter, self.interval(source) / 2)
        return timedelta(seconds=self.rng.uniform(0, max(cap.total_seconds(), 0.0)))

    def first_wake(self, source: Source) -> datetime:
        return self.clock.now() + self.spread(source)

    async def turn(self, source: Source) -> PollTurn:
        state = await asyncio.to_thread(self.store.source_state, source.name)
        now = self.clock.now()
        interval = self.interval(source)
        due = state.next_poll
        if due is not None and due > now + EARLY_TOLERANCE:
            self._skipped("not_due")
            return PollTurn(source.name, "not_due", due + self.spread(source))
        slot = slot_key(due, now, interval)
        won = await asyncio.to_thread(self.claims.claim_poll, source.name, slot, self.owner, now, self.lease)
        if not won:
            self._skipped("claimed_elsewhere")
            # The winner stores the next due time when it is done; look again after one interval.
            return PollTurn(source.name, "claimed_elsewhere", now + interval + self.spread(source))
        t0 = time.perf_counter()
        result = await poll_one(source, self.store, clock=self.clock.now, max_backoff=self.max_backoff)
        self._record(result, time.perf_counter() - t0)
        return PollTurn(source.name, "polled", result.next_poll + self.spread(source), result)

    def _skipped(self, reason: str) -> None:
        if self.metrics is not None:
            self.metrics.polls_skipped.labels(reason).inc()

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
