"""One delivery run in two steps, each a task: compose the briefing, then post it exactly once.

`compose(plan, when)` (queue `compose`): compose the plan's briefing from the store (in a worker
thread), drop in `updates` mode what was posted before, and store the briefing with the run.
`post(plan, when)` (queue `posts`, one at a time per channel): move the run to `posting` by a
conditional UPDATE, post with idempotency key `"<delivery>@<UTC ISO time>"`, store the message ids.

Exactly-once is checked here, at the edge, on the unique run record (`bot.store.runs`): a post
that finds the run `posted` does nothing; one that finds it `posting` (the job before it died
mid-post, and the engine gave the job to another worker) asks the platform whether it arrived
(`CheckableSink`: the file sink scans its file) and gives up rather than risk a duplicate when
the platform cannot tell. A run that posted nothing raises `RetryLater`, so the engine tries again
(2 min, then 10 min later), never past `run.misfire_grace` after its time.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Literal, TypeVar

from bot.core.briefing import BriefingService
from bot.core.protocols import CheckableSink, PostResult, Sink
from bot.core.updates import REMEMBER_FOR, filter_updates
from bot.errors import PostError
from bot.scheduling.clock import Clock
from bot.scheduling.jobs import DeliveryPlan, idempotency_key, iso
from bot.scheduling.metrics import Metrics
from bot.store.runs import RunRepository
from bot.tasks import DELIVERY_RETRY, RetryLater
from summarizer.model import Briefing, Topic

__all__ = ["CRASH_AFTER_CLAIM_ENV", "DeliveryOutcome", "DeliveryService", "StoreComposer"]

log = logging.getLogger(__name__)

# Test-only: `os._exit(9)` right after a run is taken for composing, to test that the engine's
# recovery (or the embedded queue's resume at start) finishes it exactly once.
CRASH_AFTER_CLAIM_ENV = "BRIEFBOT_TEST_CRASH_AFTER_CLAIM"
# Test-only: seconds to sleep inside each composition and each post (a window to SIGKILL a worker in).
SLOW_TASKS_ENV = "BRIEFBOT_TEST_SLOW_TASKS"

Result = Literal["posted", "skipped", "already_posted", "unknown", "failed", "retry", "not_ours"]
Composer = Callable[[DeliveryPlan, datetime], Briefing]
SinkFor = Callable[[DeliveryPlan], Sink]
T = TypeVar("T")
# Called (in a worker thread) after a successful post, e.g. to remember a chat channel's last briefing.
AfterPost = Callable[[DeliveryPlan, Briefing, PostResult], None]


@dataclass
class DeliveryOutcome:
    """How one step of a delivery run ended, for logs, metrics and tests."""

    delivery: str
    scheduled_for: datetime
    result: Result
    message_ids: list[str] = field(default_factory=list)
    detail: str = ""


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:500] if text else type(exc).__name__


def _slow(step: str) -> float:
    """The test-only pause of `step` ("compose" or "post") from BRIEFBOT_TEST_SLOW_TASKS."""
    for part in os.environ.get(SLOW_TASKS_ENV, "").split(","):
        name, _, seconds = part.partition("=")
        if name.strip() == step:
            try:
                return float(seconds)
            except ValueError:
                return 0.0
    return 0.0


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
        """The plan's briefing from the stored stories (so each story keeps its stable id). Articles
        are tracked into stories by the maintain_stories task of the poll that stored them; a
        composition does not track any itself (several workers would track the same ones at once)."""
        briefing = self.service.brief_topic(topic, plan.since, plan.max_stories, now, catch_up=False)
        briefing.generated_at = now
        with self._lock:
            self.compositions += 1
        return briefing


class DeliveryService:
    def __init__(
        self,
        runs: RunRepository,
        compose: Composer,
        sink_for: SinkFor,
        clock: Clock,
        *,
        grace: timedelta = timedelta(hours=1),
        metrics: Metrics | None = None,
        crash_after_claim: bool | None = None,
        compose_executor: Executor | None = None,
        after_post: AfterPost | None = None,
        note_error: Callable[[str, str], None] | None = None,
        resolve_story: Callable[[str], str | None] | None = None,
    ) -> None:
        self.runs = runs
        self.composer = compose
        self.sink_for = sink_for
        self.clock = clock
        # A run is tried (and tried again) only while it is that recent (run.misfire_grace): a
        # briefing much later than its time is stale.
        self.grace = grace
        self.metrics = metrics
        # Composing is CPU work: a small pool of its own keeps store calls from queueing behind it.
        self.compose_executor = compose_executor
        self.after_post = after_post
        self.note_error = note_error
        # a story's current id (`StoryIndex.resolve`): updates mode matches stories across merges
        self.resolve_story = resolve_story
        if crash_after_claim is None:
            crash_after_claim = os.environ.get(CRASH_AFTER_CLAIM_ENV, "") not in ("", "0")
        self.crash_after_claim = crash_after_claim

    async def _db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.to_thread(partial(fn, *args, **kwargs))

    def _report(self, outcome: DeliveryOutcome) -> DeliveryOutcome:
        if self.note_error is not None and outcome.result in ("failed", "retry", "unknown"):
            self.note_error(
                f"delivery {outcome.delivery} @ {iso(outcome.scheduled_for)}",
                outcome.detail or outcome.result,
            )
        if self.metrics is not None:
            self.metrics.delivery_runs.labels(outcome.result).inc()
        level = logging.WARNING if outcome.result in ("failed", "retry", "unknown") else logging.INFO
        detail = f" ({outcome.detail})" if outcome.detail else ""
        log.log(
            level,
            "delivery %s @ %s: %s%s",
            outcome.delivery,
            iso(outcome.scheduled_for),
            outcome.result,
            detail,
        )
        return outcome

    # -- step 1: compose ---------------------------------------------------------------------------

    async def compose(
        self, plan: DeliveryPlan, when: datetime, *, attempt: int = 0, last: bool = False
    ) -> bool:
        """Compose and store the run's briefing; True when it is ready to post (defer the post)."""
        now = self.clock.now()
        run = await self._db(self.runs.get, plan.name, when)
        if run is None:
            await self._db(self.runs.create, plan.name, when, now)
        elif run.finished:
            return False
        elif run.composed:
            return True  # composed before (the job that did it died before deferring the post)
        if now >= when + self.grace:
            await self._end(
                plan,
                when,
                "failed",
                expect=("queued", "composing", "retry"),
                error=f"too late: more than run.misfire_grace ({self.grace}) after its time",
            )
            return False
        if not await self._db(
            self.runs.move,
            plan.name,
            when,
            "composing",
            now,
            expect=("queued", "composing", "retry"),
            tried=True,
            next_try=None,
        ):
            return False  # finished meanwhile by another job
        if self.crash_after_claim:
            log.critical(
                "%s is set: exiting right after taking %s",
                CRASH_AFTER_CLAIM_ENV,
                idempotency_key(plan.name, when),
            )
            os._exit(9)
        log.info("composing %s", idempotency_key(plan.name, when))
        try:
            loop = asyncio.get_running_loop()
            briefing = await loop.run_in_executor(self.compose_executor, self.composer, plan, now)
            if _slow("compose"):
                await asyncio.sleep(_slow("compose"))
        except Exception as exc:
            log.info("trace of the failed composition of %s", idempotency_key(plan.name, when), exc_info=exc)
            await self._failed(
                plan, when, f"could not compose: {_one_line(exc)}", attempt, last, ("composing",)
            )
            return False
        prints: list[dict[str, Any]] | None = None
        if plan.mode == "updates":
            earlier = await self._db(self.runs.posted_fingerprints, plan.name, when - REMEMBER_FOR)
            updates = await self._db(filter_updates, briefing, earlier, self.resolve_story)
            if updates.briefing is None:
                await self._end(
                    plan, when, "skipped", expect=("composing",), error="nothing new since the last post"
                )
                return False
            briefing, prints = updates.briefing, [p.to_json() for p in updates.prints]
        from bot.store.chat import briefing_to_json

        return await self._db(
            self.runs.move,
            plan.name,
            when,
            "composed",
            self.clock.now(),
            expect=("composing",),
            briefing_json=briefing_to_json(briefing),
            fingerprints=prints,
            error=None,
        )

    # -- step 2: post ------------------------------------------------------------------------------

    async def post(
        self, plan: DeliveryPlan, when: datetime, *, attempt: int = 0, last: bool = False
    ) -> DeliveryOutcome:
        """Post the composed run once (the caller holds the channel's lock)."""
        key = idempotency_key(plan.name, when)

        def end(result: Result, detail: str = "", ids: list[str] | None = None) -> DeliveryOutcome:
            return self._report(DeliveryOutcome(plan.name, when, result, list(ids or []), detail))

        run = await self._db(self.runs.get, plan.name, when)
        if run is None or not run.composed:
            return DeliveryOutcome(plan.name, when, "not_ours", detail="nothing composed to post")
        if run.finished:
            return DeliveryOutcome(
                plan.name,
                when,
                "already_posted" if run.status == "posted" else run.status,  # type: ignore[arg-type]
                run.message_ids,
                "finished before",
            )
        try:
            sink = self.sink_for(plan)
        except PostError as exc:
            await self._end(
                plan, when, "failed", expect=("composed", "posting", "retry"), error=_one_line(exc)
            )
            return end("failed", _one_line(exc))
        if run.status == "posting":  # the job before this one died while posting
            found = await self._find_posted(run.message_ids, run.platform, sink, key)
            if found is not None:
                await self._end(
                    plan, when, "posted", expect=("posting",), ids=found.message_ids, platform=found.platform
                )
                return end("already_posted", "the platform already had it", found.message_ids)
            if not isinstance(sink, CheckableSink):
                detail = (
                    f"a post of this run was cut off and {sink.platform} cannot tell whether it arrived; "
                    "not posting again"
                )
                await self._end(plan, when, "failed", expect=("posting",), error=detail)
                return end("unknown", detail)
        briefing = await self._db(self.runs.briefing, plan.name, when)
        if briefing is None or not await self._db(
            self.runs.move,
            plan.name,
            when,
            "posting",
            self.clock.now(),
            expect=("composed", "retry", "posting"),
            tried=True,
            next_try=None,
        ):
            return DeliveryOutcome(plan.name, when, "not_ours", detail="taken by another job")
        log.info("posting %s", key)
        try:
            if _slow("post"):
                await asyncio.sleep(_slow("post"))
            posted = await sink.post(briefing, idempotency_key=key)
        except Exception as exc:
            log.info("trace of the failed post of %s", key, exc_info=exc)
            # A PostError says whether nothing can have arrived; any other error leaves that open, and
            # then only a sink that can look for an earlier post (a retry asks it first) may try again.
            ids = exc.posted if isinstance(exc, PostError) else []
            safe = exc.nothing_posted if isinstance(exc, PostError) else isinstance(sink, CheckableSink)
            if ids or not safe:
                # part of the briefing is (or may be) in the channel: trying again could post it twice
                await self._end(
                    plan,
                    when,
                    "failed",
                    expect=("posting",),
                    ids=ids,
                    platform=sink.platform,
                    error=_one_line(exc),
                )
                return end("failed", _one_line(exc), ids)
            return end(
                *await self._failed(
                    plan,
                    when,
                    _one_line(exc),
                    attempt,
                    last,
                    ("posting",),
                    platform=sink.platform,
                    composed=True,
                )
            )
        await self._end(
            plan, when, "posted", expect=("posting",), ids=posted.message_ids, platform=posted.platform
        )
        if self.metrics is not None:
            self.metrics.briefings_posted.labels(posted.platform).inc()
        if self.after_post is not None:
            try:
                await self._db(self.after_post, plan, briefing, posted)
            except Exception as exc:
                log.warning("after posting %s: %s", key, _one_line(exc))
        return end("posted", f"{len(briefing.stories)} stories", posted.message_ids)

    async def _failed(
        self,
        plan: DeliveryPlan,
        when: datetime,
        error: str,
        attempt: int,
        last: bool,
        expect: tuple[Any, ...],
        *,
        platform: str | None = None,
        composed: bool = False,
    ) -> tuple[Literal["retry", "failed"], str]:
        """A try that posted nothing: `retry` (and raise RetryLater for the engine) while tries and
        the grace last, else `failed`."""
        now = self.clock.now()
        delay = DELIVERY_RETRY.delay(attempt)
        if not last and delay is not None and now + delay < when + self.grace:
            at = now + delay
            await self._db(
                self.runs.move,
                plan.name,
                when,
                "retry",
                now,
                expect=expect,
                next_try=at,
                platform=platform,
                error=error,
            )
            detail = (
                f"{error}; trying again at {iso(at)} (try {attempt + 2} of {DELIVERY_RETRY.max_attempts + 1})"
            )
            self._report(DeliveryOutcome(plan.name, when, "retry", detail=detail))
            raise RetryLater(detail)
        await self._end(plan, when, "failed", expect=expect, platform=platform, error=error)
        detail = error if attempt == 0 else f"{error} (gave up after {attempt + 1} tries)"
        if not composed:
            self._report(DeliveryOutcome(plan.name, when, "failed", detail=detail))
        return "failed", detail

    async def _find_posted(
        self, ids: list[str], platform: str | None, sink: Sink, key: str
    ) -> PostResult | None:
        if ids:
            return PostResult(list(ids), platform or sink.platform)
        if not isinstance(sink, CheckableSink):
            return None
        try:
            return await sink.already_posted(key)
        except Exception as exc:
            log.warning("could not check whether %s was already posted: %s", key, _one_line(exc))
            return None

    async def _end(
        self,
        plan: DeliveryPlan,
        when: datetime,
        status: Literal["posted", "skipped", "failed"],
        *,
        expect: tuple[Any, ...],
        ids: list[str] | None = None,
        platform: str | None = None,
        error: str | None = None,
    ) -> None:
        now = self.clock.now()
        values: dict[str, Any] = {"error": error, "next_try": None}
        if status == "posted":
            values.update(posted_at=now, message_ids=list(ids or []), platform=platform)
        elif ids:
            values.update(message_ids=list(ids), platform=platform)
        elif platform:
            values["platform"] = platform
        if not await self._db(self.runs.move, plan.name, when, status, now, expect=expect, **values):
            log.error(
                "delivery %s @ %s: could not record %r (the run had moved on)", plan.name, iso(when), status
            )
