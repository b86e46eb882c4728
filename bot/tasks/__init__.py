"""The background work of briefbot as task functions: one set, two ways to run them.

    tick              every minute: defer the polls and delivery runs that are due (queue `ticks`)
    poll              fetch one source and store what is new       (queue `polls`, one queued per source)
    maintain_stories  index newly stored articles into stories      (queue `stories`)
    compose           compose one delivery run's briefing           (queue `compose`)
    post              post one composed run, one at a time per channel (queue `posts`)

On PostgreSQL (`run.queue: procrastinate`, the default there) `briefbot worker` processes run them
with procrastinate (`bot.tasks.engine`): its periodic task, locks, queueing locks, retry strategy
and worker heartbeats. On SQLite `briefbot run` runs the same functions in its own process
(`bot.tasks.inline`), with the same locks and retry waits. Each body gets the process's services
(`bot.app.App`) and the attempt number (0 the first time).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.app import App

__all__ = ["QUEUES", "TASKS", "RetryLater", "RetryPolicy", "TaskSpec", "run_task"]

log = logging.getLogger(__name__)

QUEUES = ("ticks", "polls", "stories", "compose", "posts")


class RetryLater(Exception):
    """Raised by a task body when its work failed in a way worth trying again (nothing was posted)."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often and when a failed task is tried again: after `wait + linear_wait * attempt` seconds,
    for `max_attempts` more tries (procrastinate's `RetryStrategy` formula)."""

    max_attempts: int
    wait: int = 0
    linear_wait: int = 0

    def delay(self, attempt: int) -> timedelta | None:
        """The wait after try `attempt` (0-based) failed; None when it was the last."""
        if attempt >= self.max_attempts:
            return None
        return timedelta(seconds=self.wait + self.linear_wait * attempt)

    def last(self, attempt: int) -> bool:
        return attempt >= self.max_attempts


# A run that posted nothing is tried again 2 minutes later, then 10 minutes after that: a platform
# outage of a few minutes delays the briefing instead of losing it; three tries in all.
DELIVERY_RETRY = RetryPolicy(max_attempts=2, wait=120, linear_wait=480)
POLL_RETRY = RetryPolicy(max_attempts=0)  # a failed poll is not retried: backoff sets its next time


Body = Callable[["App", Mapping[str, Any], int], Awaitable[None]]


@dataclass(frozen=True)
class TaskSpec:
    name: str
    queue: str
    body: Body
    retry: RetryPolicy | None = None
    lock: Callable[[Mapping[str, Any]], str | None] = lambda _kw: None
    queueing_lock: Callable[[Mapping[str, Any]], str | None] = lambda _kw: None


def _run_key(kw: Mapping[str, Any]) -> str:
    return f"{kw['delivery']}@{kw['scheduled_for']}"


async def _tick(app: App, kw: Mapping[str, Any], attempt: int) -> None:
    stamp = kw.get("timestamp")
    now = datetime.fromtimestamp(stamp, UTC) if stamp is not None else app.clock.now()
    await app.ticker.tick(max(now, app.clock.now()) if stamp is None else now)


async def _poll(app: App, kw: Mapping[str, Any], attempt: int) -> None:
    new_ids = await app.polls.poll(str(kw["source"]))
    if new_ids:
        await app.queue.defer("maintain_stories", article_ids=new_ids)


async def _maintain_stories(app: App, kw: Mapping[str, Any], attempt: int) -> None:
    # The one call the story index owns (bot.app.App.stories): swap its body, not this task.
    await app.stories.maintain([int(i) for i in kw["article_ids"]])


async def _compose(app: App, kw: Mapping[str, Any], attempt: int) -> None:
    plan = await app.plan(str(kw["delivery"]))
    if plan is None:
        log.warning("delivery %s is no longer configured; its run is dropped", kw["delivery"])
        return
    when = datetime.fromisoformat(str(kw["scheduled_for"]))
    if await app.deliveries.compose(plan, when, attempt=attempt, last=DELIVERY_RETRY.last(attempt)):
        await app.queue.defer(
            "post", delivery=plan.name, scheduled_for=kw["scheduled_for"], channel=plan.channel_key
        )


async def _post(app: App, kw: Mapping[str, Any], attempt: int) -> None:
    plan = await app.plan(str(kw["delivery"]))
    if plan is None:
        log.warning("delivery %s is no longer configured; its run is dropped", kw["delivery"])
        return
    when = datetime.fromisoformat(str(kw["scheduled_for"]))
    await app.deliveries.post(plan, when, attempt=attempt, last=DELIVERY_RETRY.last(attempt))


def _channel_lock(kw: Mapping[str, Any]) -> str | None:
    # `channel` is the plan's `channel_key`: two posts to one channel never overlap.
    return f"channel:{kw['channel']}" if kw.get("channel") else None


TASKS: dict[str, TaskSpec] = {
    spec.name: spec
    for spec in (
        TaskSpec("tick", "ticks", _tick, queueing_lock=lambda _kw: "tick"),
        TaskSpec(
            "poll",
            "polls",
            _poll,
            POLL_RETRY,
            lock=lambda kw: f"source:{kw['source']}",
            queueing_lock=lambda kw: f"poll:{kw['source']}",
        ),
        TaskSpec("maintain_stories", "stories", _maintain_stories),
        TaskSpec(
            "compose", "compose", _compose, DELIVERY_RETRY, queueing_lock=lambda kw: f"compose:{_run_key(kw)}"
        ),
        TaskSpec(
            "post",
            "posts",
            _post,
            DELIVERY_RETRY,
            lock=_channel_lock,
            queueing_lock=lambda kw: f"post:{_run_key(kw)}",
        ),
    )
}


async def run_task(app: App, name: str, kwargs: Mapping[str, Any], attempt: int) -> None:
    """Run one task body; both executors call this."""
    await TASKS[name].body(app, kwargs, attempt)


def jittered(now: datetime, jitter: timedelta, rng: random.Random | None = None) -> datetime:
    """`now` plus a random wait of at most `jitter` (polls of many sources spread out)."""
    seconds = max(jitter.total_seconds(), 0.0)
    return now + timedelta(seconds=(rng or random).uniform(0, seconds)) if seconds else now
