"""Poll sources and record what they bring: concurrently, and one failure never stops the rest.

Sources report expected failures in their `FetchOutcome`; anything they raise is caught here
and becomes a failed outcome with one clear line (the trace goes to the log at `-v`). Store calls
are synchronous: they run in a worker thread, one at a time per store (a thread lock, so it also
holds across event loops and scheduler jobs), and the event loop keeps serving the other fetches.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from bot.core.protocols import FetchOutcome, Source, SourceState, Store, StoreResult
from bot.logs import redact

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = timedelta(minutes=15)
DEFAULT_MAX_BACKOFF = timedelta(hours=6)
Clock = Callable[[], datetime]
T = TypeVar("T")

_STORE_LOCKS: weakref.WeakKeyDictionary[Any, threading.Lock] = weakref.WeakKeyDictionary()
_FALLBACK_LOCK = threading.Lock()
_LOCKS_GUARD = threading.Lock()


def _lock_for(store: Store) -> threading.Lock:
    with _LOCKS_GUARD:
        try:
            return _STORE_LOCKS.setdefault(store, threading.Lock())
        except TypeError:  # not weak-referenceable
            return _FALLBACK_LOCK


async def _in_store(store: Store, fn: Callable[..., T], *args: Any) -> T:
    lock = _lock_for(store)

    def call() -> T:
        with lock:
            return fn(*args)

    return await asyncio.to_thread(call)


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class PollResult:
    """One source's poll: what it fetched, what the store kept, and when to poll it next."""

    outcome: FetchOutcome
    stored: StoreResult | None
    next_poll: datetime
    store_error: str | None = None


def next_poll_time(
    outcome: FetchOutcome,
    state: SourceState,
    interval: timedelta,
    now: datetime,
    max_backoff: timedelta = DEFAULT_MAX_BACKOFF,
) -> datetime:
    """After success: one interval. After failure: the interval doubled per consecutive failure
    (capped at `max_backoff`), and never before a server's Retry-After."""
    if outcome.status != "failed":
        delay = interval
    else:
        failures = state.consecutive_failures + 1
        delay = min(interval * (2 ** min(failures - 1, 16)), max(max_backoff, interval))
    if outcome.retry_after_s:
        delay = max(delay, timedelta(seconds=outcome.retry_after_s))
    return now + delay


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__


async def _fetch_safely(source: Source, state: SourceState, clock: Clock) -> FetchOutcome:
    started_at = clock()
    t0 = time.perf_counter()
    try:
        outcome = await source.fetch(state)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a bug in a source must not stop the others
        log.warning("source %s failed unexpectedly: %s", source.name, _one_line(exc))
        log.info("trace of the unexpected failure of source %s", source.name, exc_info=exc)
        outcome = FetchOutcome(source.name, "failed", error=f"unexpected error: {_one_line(exc)}")
    if outcome.started_at is None:
        outcome.started_at = started_at
    if not outcome.duration_s:
        outcome.duration_s = time.perf_counter() - t0
    if not outcome.source_name:
        outcome.source_name = source.name
    # Errors and warnings are shown by `fetch` and kept for `status`: no configured secret (a key in a
    # feed URL, say) may ride along in them.
    if outcome.error:
        outcome.error = redact(outcome.error)
    outcome.warnings = [redact(w) for w in outcome.warnings]
    # Nor in what is stored and briefed: a page or a file that quotes a secret shows it as ***.
    for a in outcome.articles:
        a.url, a.title, a.text, a.outlet = redact(a.url), redact(a.title), redact(a.text), redact(a.outlet)
    return outcome


async def _poll(source: Source, store: Store, clock: Clock, max_backoff: timedelta) -> PollResult:
    try:
        state = await _in_store(store, store.source_state, source.name)
    except Exception as exc:
        log.warning("source %s: cannot read its state from the store: %s", source.name, _one_line(exc))
        state = SourceState(name=source.name)
    outcome = await _fetch_safely(source, state, clock)
    if outcome.status == "failed":
        log.warning("source %s failed: %s", source.name, outcome.error)
    interval = getattr(source, "interval", None) or DEFAULT_INTERVAL
    when = next_poll_time(outcome, state, interval, clock(), max_backoff)
    stored: StoreResult | None = None
    store_error: str | None = None
    try:
        stored = await _in_store(store, store.record_fetch, outcome, when)
    except Exception as exc:
        store_error = redact(_one_line(exc))
        log.error("source %s: could not store the fetch: %s", source.name, store_error)
        log.info("trace of the store failure", exc_info=exc)
    return PollResult(outcome, stored, when, store_error)


async def poll_sources(
    sources: Sequence[Source],
    store: Store,
    *,
    clock: Clock | None = None,
    concurrency: int = 8,
    max_backoff: timedelta = DEFAULT_MAX_BACKOFF,
) -> list[PollResult]:
    """Poll every source once, at most `concurrency` at a time; results in the sources' order."""
    clock = clock or _utcnow
    gate = asyncio.Semaphore(max(1, concurrency))

    async def run(source: Source) -> PollResult:
        async with gate:
            return await _poll(source, store, clock, max_backoff)

    return list(await asyncio.gather(*(run(s) for s in sources)))


async def poll_all(
    sources: Sequence[Source],
    store: Store,
    *,
    clock: Clock | None = None,
    concurrency: int = 8,
) -> list[FetchOutcome]:
    """Poll every source once and record each outcome; never raises for a failing source."""
    results = await poll_sources(sources, store, clock=clock, concurrency=concurrency)
    return [r.outcome for r in results]


async def poll_one(
    source: Source,
    store: Store,
    *,
    clock: Clock | None = None,
    max_backoff: timedelta = DEFAULT_MAX_BACKOFF,
) -> PollResult:
    """Poll one source (the scheduler's job); `.outcome`, `.stored` and `.next_poll` tell how it went."""
    return await _poll(source, store, clock or _utcnow, max_backoff)
