"""Scheduled deliveries as plain data, and which of their fire times fall between two instants.

Fire times come from APScheduler's `CronTrigger` in the delivery's own time zone, then are made
*canonical*: the local wall-clock time with `fold=0`, in UTC. APScheduler 3 fires a daily job at
an hour that repeats when clocks go back (e.g. 02:30 in Europe/Berlin on the last Sunday of
October) twice; both firings map to the same canonical instant, so the claim on
`(delivery, scheduled_for)` lets only one through. A wall time skipped when clocks go forward fires
at the UTC offset in force before the change (02:30 → 03:30 local), so no day is skipped either.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot.scheduling.clock import as_utc

if TYPE_CHECKING:
    from pathlib import Path

    from bot.config.schema import DeliveryConfig
    from bot.core.commands import Subscription

__all__ = [
    "DeliveryPlan",
    "canonical_fire_time",
    "fire_times",
    "idempotency_key",
    "iso",
    "latest_due",
    "next_fire_time",
    "plan_from_config",
    "plan_from_subscription",
    "raw_fire_times",
    "subscription_plan_name",
]

log = logging.getLogger(__name__)

_TICK = timedelta(microseconds=1)
MAX_FIRES = 200_000  # fire times listed in one call: a minute cron over ~4 months
SHIFT_MARGIN = timedelta(hours=2)  # more than any DST shift: a raw firing is at most this after its wall time


@dataclass(frozen=True)
class DeliveryPlan:
    """One scheduled briefing: where it goes, what it covers and when (a cron in a time zone)."""

    name: str
    platform: str
    cron: str = "0 7 * * *"
    timezone: str = "UTC"
    topics: tuple[str, ...] = ()
    since: timedelta = timedelta(hours=24)
    mode: Literal["digest", "updates"] = "digest"
    max_stories: int | None = None
    channel: str | None = None
    path: Path | None = None
    webhook: str | None = field(default=None, repr=False, compare=False)
    origin: Literal["config", "subscription"] = "config"

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def trigger(self) -> CronTrigger:
        """The trigger APScheduler runs this plan on (no jitter: every replica must agree on times)."""
        return CronTrigger.from_crontab(self.cron, timezone=self.zone)

    @property
    def channel_key(self) -> str:
        """Where it posts, as the lock that keeps two posts to one place from overlapping."""
        if self.channel:
            return f"{self.platform}:{self.channel}"
        if self.path is not None:
            return f"file:{self.path}"
        if self.webhook:
            import hashlib

            return f"{self.platform}:{hashlib.sha256(self.webhook.encode()).hexdigest()[:16]}"
        return f"{self.platform}:{self.name}"


def plan_from_config(d: DeliveryConfig, resolve_path: Callable[[str], Path]) -> DeliveryPlan:
    return DeliveryPlan(
        name=d.name,
        platform=d.platform,
        cron=d.cron,
        timezone=d.timezone,
        topics=tuple(d.topics),
        since=d.since,
        mode=d.mode,
        max_stories=d.max_stories,
        channel=d.channel,
        path=resolve_path(d.path) if d.path else None,
        webhook=d.webhook.get_secret_value() if d.webhook is not None else None,
    )


def subscription_plan_name(sub: Subscription) -> str:
    """Stable across replicas and restarts, so claims from every process meet on the same key."""
    return f"sub:{sub.platform}:{sub.channel_id}:{sub.topic.casefold()}"


def plan_from_subscription(sub: Subscription, since: timedelta = timedelta(hours=24)) -> DeliveryPlan:
    """A chat `/subscribe` (topic at HH:MM local time, daily) as a plan."""
    hour, minute = (int(x) for x in sub.time.split(":", 1))
    return DeliveryPlan(
        name=subscription_plan_name(sub),
        platform=sub.platform,
        cron=f"{minute} {hour} * * *",
        timezone=sub.timezone,
        topics=(sub.topic,),
        since=since,
        channel=sub.channel_id,
        origin="subscription",
    )


def iso(value: datetime) -> str:
    """UTC ISO 8601 with a Z, as in the briefing contract."""
    return as_utc(value).isoformat().replace("+00:00", "Z")


def idempotency_key(delivery: str, scheduled_for: datetime) -> str:
    """`<delivery>@<UTC ISO time>`: what a platform can recognise a delivery run by."""
    return f"{delivery}@{iso(scheduled_for)}"


def canonical_fire_time(fire: datetime, zone: ZoneInfo) -> datetime:
    """The first instant showing `fire`'s local wall-clock time (so a repeated hour maps to one)."""
    wall = fire.astimezone(zone).replace(tzinfo=None)
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)


def _raw_fires(trigger: CronTrigger, after: datetime) -> Iterable[datetime]:
    """APScheduler's own sequence of fire times after `after`, as its scheduler walks it.

    Each step passes the previous fire time, as `BaseScheduler` does: called with only `now`,
    APScheduler 3 can step backwards inside a repeated hour.
    Times are compared in UTC: aware datetimes sharing a tzinfo compare by wall time, fold ignored.
    """
    fire = trigger.get_next_fire_time(None, after + _TICK)
    while fire is not None:
        yield fire
        following = trigger.get_next_fire_time(fire, fire)
        if following is not None and as_utc(following) <= as_utc(fire):  # never loop on a stuck trigger
            following = trigger.get_next_fire_time(None, as_utc(fire) + timedelta(seconds=1))
            if following is not None and as_utc(following) <= as_utc(fire):
                log.error("cron trigger %s does not advance past %s; stopping", trigger, fire)
                return
        fire = following


def raw_fire_times(plan: DeliveryPlan, after: datetime, until: datetime) -> list[datetime]:
    """APScheduler's own firings in `(after, until]`, before canonicalising: what wakes the job."""
    found: list[datetime] = []
    for raw in _raw_fires(plan.trigger, as_utc(after)):
        if as_utc(raw) > as_utc(until) or len(found) >= MAX_FIRES:
            break
        if as_utc(raw) > as_utc(after):
            found.append(raw)
    return found


def fire_times(plan: DeliveryPlan, after: datetime, until: datetime) -> list[datetime]:
    """Canonical fire times `t` with `after < t <= until`, ascending, each once."""
    after, until = as_utc(after), as_utc(until)
    found: list[datetime] = []
    seen: set[datetime] = set()
    # A raw firing is never before its canonical time and at most one DST shift after it. The walk
    # starts a margin early: a wall time skipped by a spring-forward only fires (shifted) when the
    # walk comes from before the gap, and a first unguided step inside a repeated hour can misstep.
    for raw in _raw_fires(plan.trigger, after - SHIFT_MARGIN):
        if as_utc(raw) > until + SHIFT_MARGIN:
            break
        t = canonical_fire_time(raw, plan.zone)
        if after < t <= until and t not in seen:
            seen.add(t)
            found.append(t)
        if len(found) >= MAX_FIRES:
            log.warning(
                "delivery %s: more than %d fire times in one window; listing stops", plan.name, MAX_FIRES
            )
            break
    found.sort()
    return found


def latest_due(plan: DeliveryPlan, now: datetime, within: timedelta) -> datetime | None:
    """The newest canonical fire time in `(now - within, now]`, if any."""
    times = fire_times(plan, as_utc(now) - within, now)
    return times[-1] if times else None


def next_fire_time(plan: DeliveryPlan, now: datetime) -> datetime | None:
    """The next canonical fire time after `now` (what /healthz shows as the next delivery)."""
    for raw in _raw_fires(plan.trigger, as_utc(now)):
        t = canonical_fire_time(raw, plan.zone)
        if t > as_utc(now):
            return t
    return None
