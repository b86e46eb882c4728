"""Due-time computation of scheduled deliveries: APScheduler's CronTrigger made DST-safe.

The expected times are computed independently of APScheduler: every local wall-clock minute that
matches the cron fires once, at the first instant showing it (a wall time skipped by a spring-forward
fires at the offset in force before the change).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.commands import Subscription
from bot.scheduling.jobs import (
    DeliveryPlan,
    canonical_fire_time,
    fire_times,
    idempotency_key,
    latest_due,
    next_fire_time,
    plan_from_subscription,
    raw_fire_times,
)


def _field_matches(spec: str, value: int) -> bool:
    if spec == "*":
        return True
    if spec.startswith("*/"):
        return value % int(spec[2:]) == 0
    if "-" in spec:
        lo, hi = (int(x) for x in spec.split("-"))
        return lo <= value <= hi
    return value in {int(x) for x in spec.split(",")}


def expected_fires(cron: str, zone: str, after: datetime, until: datetime) -> list[datetime]:
    minute, hour, *_ = cron.split()
    tz = ZoneInfo(zone)
    found: set[datetime] = set()
    wall = datetime.combine(after.astimezone(tz).date() - timedelta(days=1), datetime.min.time())
    end = datetime.combine(until.astimezone(tz).date() + timedelta(days=2), datetime.min.time())
    while wall < end:
        if _field_matches(minute, wall.minute) and _field_matches(hour, wall.hour):
            t = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
            if after < t <= until:
                found.add(t)
        wall += timedelta(minutes=1)
    return sorted(found)


DST_DAYS = [
    ("Europe/Berlin", date(2026, 3, 29)),  # 02:00 -> 03:00
    ("Europe/Berlin", date(2026, 10, 25)),  # 03:00 -> 02:00
    ("America/New_York", date(2026, 3, 8)),
    ("America/New_York", date(2026, 11, 1)),
]
CRONS = ["0 7 * * *", "30 2 * * *", "0 2 * * *", "45 1 * * *", "*/30 * * * *", "15 1-3 * * *", "59 * * * *"]


@pytest.mark.parametrize(("zone", "day"), DST_DAYS, ids=[f"{z}-{d}" for z, d in DST_DAYS])
@pytest.mark.parametrize("cron", CRONS)
def test_fire_times_match_wall_clock_semantics_across_dst(zone: str, day: date, cron: str) -> None:
    plan = DeliveryPlan("d", "file", cron=cron, timezone=zone)
    base = datetime(day.year, day.month, day.day, tzinfo=UTC)
    everything = expected_fires(cron, zone, base - timedelta(days=1), base + timedelta(days=2))
    # windows starting every 15 minutes around the change, including inside a repeated or skipped hour
    for quarter in range(-8, 44):
        after = base + timedelta(minutes=15 * quarter)
        until = after + timedelta(hours=5)
        expected = [t for t in everything if after < t <= until]
        assert fire_times(plan, after, until) == expected, (after, until)


@pytest.mark.parametrize(
    ("zone", "start"),
    [
        ("Europe/Berlin", date(2026, 3, 27)),
        ("Europe/Berlin", date(2026, 10, 23)),
        ("America/New_York", date(2026, 3, 6)),
        ("America/New_York", date(2026, 10, 30)),
    ],
)
def test_a_daily_briefing_fires_once_a_day_at_local_seven_through_a_dst_change(
    zone: str, start: date
) -> None:
    plan = DeliveryPlan("d", "file", cron="0 7 * * *", timezone=zone)
    after = datetime(start.year, start.month, start.day, tzinfo=UTC)
    times = fire_times(plan, after, after + timedelta(days=4))
    local = [t.astimezone(ZoneInfo(zone)) for t in times]
    assert [lt.date() for lt in local] == [start + timedelta(days=i) for i in range(4)]
    assert {(lt.hour, lt.minute) for lt in local} == {(7, 0)}
    offsets = {lt.utcoffset() for lt in local}
    assert len(offsets) == 2, "the window should straddle the DST change"


def test_apscheduler_fires_twice_in_a_repeated_hour_but_both_map_to_one_run() -> None:
    plan = DeliveryPlan("d", "file", cron="30 2 * * *", timezone="Europe/Berlin")
    after, until = datetime(2026, 10, 24, 12, tzinfo=UTC), datetime(2026, 10, 25, 12, tzinfo=UTC)
    raw = raw_fire_times(plan, after, until)
    assert len(raw) == 2, "APScheduler 3 runs 02:30 CEST and 02:30 CET (the reason for canonical times)"
    canonical = {canonical_fire_time(r, plan.zone) for r in raw}
    assert canonical == {datetime(2026, 10, 25, 0, 30, tzinfo=UTC)}
    # The job woken by the second firing finds the first run (already claimed) as the latest due time,
    # or nothing due at all when the grace is just one hour.
    assert latest_due(plan, raw[1], timedelta(hours=2)) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert latest_due(plan, raw[1], timedelta(hours=1)) is None


def test_a_wall_time_skipped_by_spring_forward_still_fires_that_day() -> None:
    plan = DeliveryPlan("d", "file", cron="30 2 * * *", timezone="Europe/Berlin")
    times = fire_times(plan, datetime(2026, 3, 28, 12, tzinfo=UTC), datetime(2026, 3, 29, 12, tzinfo=UTC))
    assert times == [datetime(2026, 3, 29, 1, 30, tzinfo=UTC)]  # 03:30 CEST, the first moment after 02:30 CET


def test_latest_due_and_next_fire_time() -> None:
    plan = DeliveryPlan("d", "file", cron="0 7 * * *", timezone="Europe/Berlin")
    seven = datetime(2026, 6, 1, 5, 0, tzinfo=UTC)  # 07:00 CEST
    assert latest_due(plan, seven, timedelta(hours=1)) == seven
    assert latest_due(plan, seven + timedelta(minutes=59), timedelta(hours=1)) == seven
    assert latest_due(plan, seven + timedelta(minutes=61), timedelta(hours=1)) is None
    assert latest_due(plan, seven - timedelta(seconds=1), timedelta(hours=1)) is None
    assert next_fire_time(plan, seven) == seven + timedelta(days=1)
    assert next_fire_time(plan, seven - timedelta(seconds=1)) == seven


def test_idempotency_key_is_delivery_at_utc_time() -> None:
    when = datetime(2026, 3, 29, 7, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert idempotency_key("morning@berlin", when) == "morning@berlin@2026-03-29T05:00:00Z"


def test_subscription_becomes_a_daily_plan_in_its_zone() -> None:
    sub = Subscription(
        "discord", "g1", "123", "Taiwan", "07:30", "America/New_York", "u1", datetime(2026, 1, 1, tzinfo=UTC)
    )
    plan = plan_from_subscription(sub, timedelta(hours=12))
    assert plan.name == "sub:discord:123:taiwan"
    assert (plan.cron, plan.timezone, plan.topics, plan.channel, plan.origin) == (
        "30 7 * * *",
        "America/New_York",
        ("Taiwan",),
        "123",
        "subscription",
    )
    fires = fire_times(plan, datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 3, tzinfo=UTC))
    assert [f.astimezone(ZoneInfo("America/New_York")).strftime("%d %H:%M") for f in fires] == [
        "01 07:30",
        "02 07:30",
    ]


def test_fire_times_of_a_minute_cron_are_every_minute() -> None:
    plan = DeliveryPlan("d", "file", cron="* * * * *")
    t0 = datetime(2026, 5, 1, 12, 0, 30, tzinfo=UTC)
    times = fire_times(plan, t0, t0 + timedelta(minutes=10))
    assert times == [datetime(2026, 5, 1, 12, m, tzinfo=UTC) for m in range(1, 11)]
