"""Run one scheduled delivery exactly once: claim, compose, check, post, record.

`DeliveryService.deliver(plan, scheduled_for)` is the whole protocol and takes its time from an
injected clock, so tests can walk through simulated days without APScheduler:

1. claim `(delivery, scheduled_for)` (INSERT; or take over an expired claim once);
2. on takeover, ask the platform whether the run already posted (the file sink scans its file;
   other sinks: the message ids stored in the claim); if the dead owner had started posting and the
   platform cannot tell, give up rather than risk a duplicate;
3. compose the briefing (in a worker thread), and in `updates` mode drop stories already posted;
4. mark the claim `posting` (renewing the lease: fails if another process took it over meanwhile);
5. post with idempotency key `"<delivery>@<UTC ISO time>"` and record the message ids.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Literal, Protocol, TypeVar

from bot.core.briefing import BriefingService, to_document
from bot.core.protocols import CheckableSink, PostResult, Sink
from bot.errors import PostError
from bot.scheduling.claims import RETRY_DELAYS, Claim, ClaimStore, retry_delay
from bot.scheduling.clock import Clock, as_utc
from bot.scheduling.jobs import DeliveryPlan, fire_times, idempotency_key, iso, latest_due
from bot.scheduling.metrics import Metrics
from bot.scheduling.updates import filter_updates
from summarizer.model import Briefing, Topic

__all__ = ["CRASH_AFTER_CLAIM_ENV", "DeliveryOutcome", "DeliveryService", "StoreComposer"]

log = logging.getLogger(__name__)

# Test-only: `os._exit(9)` right after a claim is taken, to test recovery of a run that died there.
CRASH_AFTER_CLAIM_ENV = "BRIEFBOT_TEST_CRASH_AFTER_CLAIM"
FINGERPRINT_WINDOW = timedelta(days=7)
CATCH_UP_LOOKBACK = timedelta(days=1)  # how far back a start-up looks for misses to report
SWEEP_SETTLE = timedelta(seconds=30)  # a sweep leaves runs this recent to their cron job

Result = Literal["posted", "skipped", "taken", "already_posted", "unknown", "lease_lost", "failed", "retry"]
Composer = Callable[[DeliveryPlan, datetime], Briefing]
SinkFor = Callable[[DeliveryPlan], Sink]
T = TypeVar("T")
# Called (in a worker thread) after a successful post, e.g. to remember a chat channel's last briefing.
AfterPost = Callable[[DeliveryPlan, Briefing, PostResult], None]


class AlreadyPostedCheck(Protocol):
    async def already_posted(self, idempotency_key: str) -> PostResult | None: ...


@dataclass
class DeliveryOutcome:
    """How one delivery run ended, for logs, metrics and tests."""

    delivery: str
    scheduled_for: datetime
    result: Result
    message_ids: list[str] = field(default_factory=list)
    detail: str = ""
    taken_over: bool = False


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:500] if text else type(exc).__name__


@dataclass
class _Shared:
    """One composition that plans firing together share (see `StoreComposer`)."""

    at: datetime
    done: threading.Event = field(default_factory=threading.Event)
    briefing: Briefing | None = None
    error: BaseException | None = None


class StoreComposer:
    """Compose a plan's briefing from the store: its topics over its look-back window.

    Subscriptions cluster at popular times (07:00 in a few zones), and many ask for the same topic
    over the same window. Plans that ask for the same briefing within `share_for` of each other get
    one composition between them (each its own copy, since `updates` mode and renderers change it);
    the others wait for it instead of composing it again.
    """

    SHARED_KEPT = 256  # recent compositions remembered (only those younger than share_for are used)

    def __init__(self, service: BriefingService, share_for: timedelta = timedelta(seconds=60)) -> None:
        if service.store is None:
            raise ValueError("scheduled deliveries need a store to read articles from")
        self.service = service
        self.share_for = share_for
        self.compositions = 0  # briefings actually composed (for metrics and tests)
        self._shared: dict[tuple[Any, ...], _Shared] = {}
        self._lock = threading.Lock()

    def topic(self, plan: DeliveryPlan) -> Topic | None:
        """One topic, or the configured topics merged into one (any of their terms is relevant)."""
        topics = [t for t in (self.service.resolve_topic(name) for name in plan.topics) if t is not None]
        if len(topics) <= 1:
            return topics[0] if topics else None
        terms: list[str] = []
        for t in topics:
            terms.extend(x for x in t.terms if x not in terms)
        return Topic(name=", ".join(t.name for t in topics), aliases=tuple(terms))

    def __call__(self, plan: DeliveryPlan, now: datetime) -> Briefing:
        topic = self.topic(plan)
        key = (topic.name, topic.aliases) if topic else None, plan.since, plan.max_stories
        with self._lock:
            shared = self._shared.get(key)
            mine = shared is None or not (timedelta(0) <= now - shared.at < self.share_for)
            if mine:
                shared = self._shared[key] = _Shared(now)
                while len(self._shared) > self.SHARED_KEPT:
                    del self._shared[next(iter(self._shared))]
        assert shared is not None
        if mine:
            try:
                shared.briefing = self._compose(plan, topic, now)
            except BaseException as exc:
                shared.error = exc  # for those already waiting; later plans try again
                with self._lock:
                    if self._shared.get(key) is shared:
                        del self._shared[key]
                raise
            finally:
                shared.done.set()
        else:
            shared.done.wait()
            if shared.error is not None:
                raise shared.error
            log.debug("%s shares the briefing composed at %s", plan.name, iso(shared.at))
        assert shared.briefing is not None
        return copy.deepcopy(shared.briefing)

    def _compose(self, plan: DeliveryPlan, topic: Topic | None, now: datetime) -> Briefing:
        store = self.service.store
        assert store is not None
        articles = store.articles(since=now - plan.since, until=now, with_embeddings=True)
        docs = [to_document(a) for a in articles]
        base = self.service.options
        options = replace(base, max_stories=plan.max_stories or base.max_stories, now=now)
        briefing = self.service.summarizer.summarize(docs, topic, options)
        briefing.generated_at = now
        with self._lock:
            self.compositions += 1
        return briefing


class DeliveryService:
    def __init__(
        self,
        claims: ClaimStore,
        compose: Composer,
        sink_for: SinkFor,
        clock: Clock,
        owner: str,
        lease: timedelta,
        *,
        metrics: Metrics | None = None,
        crash_after_claim: bool | None = None,
        compose_executor: Executor | None = None,
        db_executor: Executor | None = None,
        after_post: AfterPost | None = None,
        retry_within: timedelta = timedelta(hours=1),
    ) -> None:
        self.claims = claims
        self.compose = compose
        self.sink_for = sink_for
        self.clock = clock
        self.owner = owner
        self.lease = lease
        self.metrics = metrics
        # Composing is CPU work: a small pool of its own keeps claims and posts (short DB calls on the
        # default pool) from queueing behind it when many deliveries fire at the same minute.
        self.compose_executor = compose_executor
        # Claim calls get their own threads too, so that they never wait behind polls queued for the store.
        self.db_executor = db_executor
        self.after_post = after_post
        # A failed run is tried again only while it is that recent (run.misfire_grace): the recovery
        # job takes runs within the grace only, and a briefing much later than its time is stale.
        self.retry_within = retry_within
        if crash_after_claim is None:
            crash_after_claim = os.environ.get(CRASH_AFTER_CLAIM_ENV, "") not in ("", "0")
        self.crash_after_claim = crash_after_claim

    async def _db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(
            self.db_executor, partial(fn, *args, **kwargs)
        )

    # -- the three ways a run starts: on time, on start-up, or by taking over a dead owner's claim --

    async def run_due(self, plan: DeliveryPlan, grace: timedelta) -> DeliveryOutcome | None:
        """What the cron job does when it fires: deliver the latest fire time due within `grace`."""
        when = latest_due(plan, self.clock.now(), grace)
        if when is None:
            log.info("delivery %s woke with nothing due", plan.name)
            return None
        return await self.deliver(plan, when)

    async def catch_up(
        self, plan: DeliveryPlan, grace: timedelta, missed_until: datetime | None = None
    ) -> DeliveryOutcome | None:
        """On start: the latest fire time missed within `grace` runs once; an older miss is logged.

        `missed_until` (when the scheduler took over; default now) pins which run was missed: the
        start-up waits for the first polls, and a fire time that passes during that wait is the
        cron job's to post, not a reason to drop the one missed while the bot was down.
        """
        now = self.clock.now()
        start = as_utc(missed_until) if missed_until is not None else now
        before: list[datetime] = []
        for span in (timedelta(hours=1), CATCH_UP_LOOKBACK):  # a short window first: cheap for minute crons
            before = fire_times(plan, start - grace - span, start - grace)
            if before:
                break
        if before and await self._db(self.claims.get, plan.name, before[-1]) is None:
            log.warning(
                "delivery %s @ %s was missed by more than run.misfire_grace (%s); skipped",
                plan.name,
                iso(before[-1]),
                grace,
            )
        missed = latest_due(plan, start, grace)
        if missed is None:
            log.info("delivery %s: nothing missed before the start", plan.name)
            return None
        if missed <= now - grace:
            log.warning(
                "delivery %s @ %s fell out of run.misfire_grace (%s) while the start waited; skipped",
                plan.name,
                iso(missed),
                grace,
            )
            return None
        return await self.deliver(plan, missed)

    async def recover(self, plans: Mapping[str, DeliveryPlan], grace: timedelta) -> list[DeliveryOutcome]:
        """Take over runs whose owner died (lease expired) and that are still within `grace`."""
        now = self.clock.now()
        done = []
        for claim in await self._db(self.claims.expired, now, now - grace):
            plan = plans.get(claim.delivery)
            if plan is not None:
                done.append(await self.deliver(plan, claim.scheduled_for))
        return done

    async def sweep(
        self, plans: Mapping[str, DeliveryPlan], grace: timedelta, settle: timedelta = SWEEP_SETTLE
    ) -> list[DeliveryOutcome]:
        """Run fire times within `grace` that nobody claimed: the cron job's firing was lost (the
        database was down at that moment, the loop stalled past APScheduler's grace). Times newer
        than `settle` are left to the job that is firing for them right now."""
        now = self.clock.now()
        if grace <= settle:
            return []
        claimed = await self._db(self.claims.runs_since, now - grace)
        done = []
        for plan in plans.values():
            when = latest_due(plan, now - settle, grace - settle)
            if when is not None and (plan.name, when) not in claimed:
                log.warning(
                    "delivery %s @ %s was not claimed when it fell due; running it now", plan.name, iso(when)
                )
                done.append(await self.deliver(plan, when))
        return done

    async def deliver(self, plan: DeliveryPlan, scheduled_for: datetime) -> DeliveryOutcome:
        outcome = await self._deliver(plan, scheduled_for)
        if self.metrics is not None:
            self.metrics.delivery_runs.labels(outcome.result).inc()
        level = (
            logging.WARNING
            if outcome.result in ("failed", "retry", "unknown", "lease_lost")
            else logging.INFO
        )
        log.log(
            level,
            "delivery %s @ %s: %s%s",
            plan.name,
            iso(scheduled_for),
            outcome.result,
            f" ({outcome.detail})" if outcome.detail else "",
        )
        return outcome

    async def _deliver(self, plan: DeliveryPlan, scheduled_for: datetime) -> DeliveryOutcome:
        key = idempotency_key(plan.name, scheduled_for)
        t0 = time.perf_counter()
        claim = await self._db(
            self.claims.claim, plan.name, scheduled_for, self.owner, self.clock.now(), self.lease
        )
        if self.metrics is not None:
            self.metrics.claim_latency.observe(time.perf_counter() - t0)
        if claim is None:
            return DeliveryOutcome(plan.name, scheduled_for, "taken", detail="claimed by another run")
        if self.crash_after_claim:
            log.critical("%s is set: exiting right after claiming %s", CRASH_AFTER_CLAIM_ENV, key)
            os._exit(9)

        def end(result: Result, detail: str = "", ids: list[str] | None = None) -> DeliveryOutcome:
            return DeliveryOutcome(
                plan.name, scheduled_for, result, list(ids or []), detail, claim.taken_over
            )

        try:
            sink = self.sink_for(plan)
        except Exception as exc:
            await self._finish(claim, "failed", error=_one_line(exc))
            return end("failed", _one_line(exc))

        if claim.taken_over:
            found = await self._find_posted(claim, sink, key)
            if found is not None:
                await self._finish(claim, "posted", ids=found.message_ids, platform=found.platform)
                return end("already_posted", "the platform already had it", found.message_ids)
            if claim.previous_status == "posting" and not hasattr(sink, "already_posted"):
                detail = (
                    f"the previous owner {claim.previous_owner} died while posting and {sink.platform} "
                    "cannot tell whether it arrived; not posting again"
                )
                await self._finish(claim, "failed", error=detail)
                return end("unknown", detail)

        try:
            loop = asyncio.get_running_loop()
            briefing = await loop.run_in_executor(self.compose_executor, self.compose, plan, self.clock.now())
        except Exception as exc:
            log.info("trace of the failed composition of %s", key, exc_info=exc)
            return end(*await self._fail(claim, f"could not compose: {_one_line(exc)}"))

        prints: list[dict[str, Any]] | None = None
        if plan.mode == "updates":
            earlier = await self._db(
                self.claims.posted_fingerprints, plan.name, scheduled_for - FINGERPRINT_WINDOW
            )
            filtered, kept = filter_updates(briefing, earlier)
            if filtered is None:
                await self._finish(claim, "skipped", error="nothing new since the last post")
                return end("skipped", "nothing new since the last post")
            briefing, prints = filtered, [p.to_json() for p in kept]

        if not await self._db(self.claims.start_posting, claim, self.clock.now(), self.lease):
            return end("lease_lost", "the claim expired before posting and another run may have it")
        try:
            posted = await sink.post(briefing, idempotency_key=key)
        except Exception as exc:
            log.info("trace of the failed post of %s", key, exc_info=exc)
            # A PostError says whether nothing can have arrived; any other error leaves that open, and
            # then only a sink that can look for an earlier post (the takeover asks it first) may retry.
            ids = exc.posted if isinstance(exc, PostError) else []
            safe = exc.nothing_posted if isinstance(exc, PostError) else isinstance(sink, CheckableSink)
            if ids or not safe:
                # part of the briefing is (or may be) in the channel: trying again could post it twice
                await self._finish(claim, "failed", ids=ids, platform=sink.platform, error=_one_line(exc))
                return end("failed", _one_line(exc), ids)
            return end(*await self._fail(claim, _one_line(exc), platform=sink.platform))
        await self._finish(claim, "posted", ids=posted.message_ids, platform=posted.platform, prints=prints)
        if self.metrics is not None:
            self.metrics.briefings_posted.labels(posted.platform).inc()
        if self.after_post is not None:
            try:
                await self._db(self.after_post, plan, briefing, posted)
            except Exception as exc:
                log.warning("after posting %s: %s", key, _one_line(exc))
        return end("posted", f"{len(briefing.stories)} stories", posted.message_ids)

    async def _fail(
        self, claim: Claim, error: str, *, platform: str | None = None
    ) -> tuple[Literal["retry", "failed"], str]:
        """Finish a run that posted nothing: as `retry` while tries and the grace last, else `failed`.
        Returns the result and the detail to report."""
        now = self.clock.now()
        delay = retry_delay(claim.attempts)
        if delay is not None and now + delay < claim.scheduled_for + self.retry_within:
            retry_at = now + delay
            await self._finish(claim, "retry", platform=platform, error=error, retry_at=retry_at)
            return "retry", (
                f"{error}; trying again at {iso(retry_at)} "
                f"(try {claim.attempts + 1} of {len(RETRY_DELAYS) + 1})"
            )
        await self._finish(claim, "failed", platform=platform, error=error)
        return "failed", error if claim.attempts == 1 else f"{error} (gave up after {claim.attempts} tries)"

    async def _find_posted(self, claim: Claim, sink: Sink, key: str) -> PostResult | None:
        if claim.message_ids:
            return PostResult(list(claim.message_ids), claim.platform or sink.platform)
        checker = getattr(sink, "already_posted", None)
        if checker is None:
            return None
        try:
            found: PostResult | None = await checker(key)
        except Exception as exc:
            log.warning("could not check whether %s was already posted: %s", key, _one_line(exc))
            return None
        return found

    async def _finish(
        self,
        claim: Claim,
        status: Literal["posted", "skipped", "failed", "retry"],
        *,
        ids: list[str] | None = None,
        platform: str | None = None,
        prints: list[dict[str, Any]] | None = None,
        error: str | None = None,
        retry_at: datetime | None = None,
    ) -> None:
        try:
            await self._db(
                self.claims.finish,
                claim,
                status,
                self.clock.now(),
                message_ids=ids or [],
                platform=platform,
                fingerprints=prints,
                error=error,
                retry_at=retry_at,
            )
        except Exception as exc:  # the post (if any) stands; the claim will expire and be checked
            log.error(
                "could not record %s for delivery %s @ %s: %s",
                status,
                claim.delivery,
                iso(claim.scheduled_for),
                _one_line(exc),
            )
