"""Simulated days on an injected clock: each daily briefing exactly once per channel, in its zone.

The production code path is driven exactly as APScheduler drives it — every raw `CronTrigger` firing
(a repeated local hour fires twice) wakes `DeliveryService.run_due`, a start runs `catch_up`, and the
recovery job runs `recover` — but time comes from a `ManualClock`, so days pass in milliseconds. The
posts land in a real `file` sink, the claims in a real database.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pgserver import drop_database, fresh_database, pg_url  # noqa: F401
from recording_server import Answer, discord_ids, recording_server

from bot.adapters.file import FileSink
from bot.adapters.webhook import DiscordWebhookSink
from bot.core.protocols import Sink
from bot.scheduling.clock import ManualClock
from bot.scheduling.deliveries import DeliveryService
from bot.scheduling.jobs import DeliveryPlan, iso, raw_fire_times
from bot.store import open_store
from bot.store.claims import ClaimRepository
from summarizer.model import Briefing, Bullet, SourceRef, Story

GRACE = timedelta(hours=1)
LEASE = timedelta(seconds=60)
RECOVER_EVERY = timedelta(seconds=15)


@pytest.fixture(params=["sqlite", "postgresql"])
def claims(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ClaimRepository]:
    url = (
        f"sqlite:///{tmp_path / 'days.db'}"
        if request.param == "sqlite"
        else fresh_database(request.getfixturevalue("pg_url"))
    )
    store = open_store(url)
    try:
        yield ClaimRepository(store.engine)
    finally:
        store.close()
        if request.param != "sqlite":
            drop_database(url)


def compose(plan: DeliveryPlan, now: datetime) -> Briefing:
    """A stand-in summariser: one story naming the delivery (the claim logic is under test here)."""
    return Briefing(
        topic=None,
        generated_at=now,
        stories=[Story(f"News for {plan.name}", [Bullet("Something happened.", [1])], [], [1])],
        sources=[SourceRef(1, "Report", "https://example.org/r", "Example")],
    )


class World:
    """Plans, a shared clock and file, and the 'processes' (services) that come and go."""

    def __init__(
        self, claims: ClaimRepository, tmp: Path, plans: list[DeliveryPlan], start: datetime
    ) -> None:
        self.claims = claims
        self.clock = ManualClock(start)
        self.plans = {p.name: p for p in plans}
        self.out = tmp / "briefings.jsonl"
        self.sink = FileSink(self.out, clock=self.clock)
        self.counter = 0

    def sink_for(self, plan: DeliveryPlan) -> Sink:
        return self.sink

    def process(self) -> DeliveryService:
        self.counter += 1
        return DeliveryService(
            self.claims,
            compose,
            self.sink_for,
            self.clock,
            f"proc-{self.counter}",
            LEASE,
            crash_after_claim=False,
        )

    async def run(self, procs: list[DeliveryService], until: datetime) -> None:
        """Let time pass to `until`: every raw firing wakes every live process, as APScheduler would.
        The recovery job runs every 15 s; it is simulated for 3 minutes after the start and after
        each firing, the only times when a claim can be left behind to expire."""
        start = self.clock.now()
        events: list[tuple[datetime, int, str]] = []
        for plan in self.plans.values():
            events += [(raw.astimezone(UTC), 0, plan.name) for raw in raw_fire_times(plan, start, until)]
        for fired in [start] + [when for when, _, _ in events]:
            events += [(fired + k * RECOVER_EVERY, 1, "") for k in range(1, 13)]
        for when, kind, name in sorted(e for e in events if e[0] <= until):
            self.clock.set(when)
            for proc in procs:
                if kind == 0:
                    await proc.run_due(self.plans[name], GRACE)
                else:
                    await proc.recover(self.plans, GRACE)
        self.clock.set(until)

    async def start(self, proc: DeliveryService) -> None:
        for plan in self.plans.values():
            await proc.catch_up(plan, GRACE)

    def lines(self) -> list[dict[str, object]]:
        if not self.out.exists():
            return []
        return [json.loads(line) for line in self.out.read_text(encoding="utf-8").splitlines()]


def daily(name: str, zone: str, cron: str = "0 7 * * *") -> DeliveryPlan:
    return DeliveryPlan(name, "file", cron=cron, timezone=zone)


def local_seven(zone: str, d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 7, 0, tzinfo=ZoneInfo(zone)).astimezone(UTC)


# (first simulated day, the zone whose DST change falls inside the three days)
WINDOWS = [
    (date(2026, 3, 28), "Europe/Berlin"),
    (date(2026, 10, 24), "Europe/Berlin"),
    (date(2026, 3, 7), "America/New_York"),
    (date(2026, 10, 31), "America/New_York"),
]


@pytest.mark.parametrize(("first_day", "changing"), WINDOWS, ids=[d.isoformat() for d, _ in WINDOWS])
def test_two_days_with_a_restart_and_a_crash_post_each_briefing_once(
    claims: ClaimRepository, tmp_path: Path, first_day: date, changing: str
) -> None:
    """Berlin and New York at 07:00 local, over three days around a DST change. On the middle day
    the process is down from 06:50 to 07:20 Berlin time (the start catches the run up), and it dies
    right after claiming New York's run (a new process takes it over once the lease expires)."""
    berlin, new_york = daily("berlin", "Europe/Berlin"), daily("new-york", "America/New_York")
    start = datetime.combine(first_day, datetime.min.time(), UTC)
    world = World(claims, tmp_path, [berlin, new_york], start)
    middle = first_day + timedelta(days=1)
    down_at = local_seven("Europe/Berlin", middle) - timedelta(minutes=10)
    up_at = local_seven("Europe/Berlin", middle) + timedelta(minutes=20)
    ny_fire = local_seven("America/New_York", middle)

    async def scenario() -> None:
        p1 = world.process()
        await world.start(p1)
        await world.run([p1], down_at)  # day 1 and the night before the restart
        world.clock.set(up_at)
        p2 = world.process()  # restarted: a new owner
        await world.start(p2)
        await world.run([p2], ny_fire - timedelta(seconds=1))
        world.clock.set(ny_fire)  # p2 claims New York's run and dies at once
        assert world.claims.claim("new-york", ny_fire, "p2-crashed", ny_fire, LEASE) is not None
        world.clock.set(ny_fire + timedelta(seconds=20))
        p3 = world.process()  # restart within the lease: not yet
        await world.start(p3)
        await world.run([p3], start + timedelta(days=3))  # recovery sweeps take it over

    asyncio.run(scenario())
    lines = world.lines()
    runs = Counter((str(line["delivery"]), str(line["scheduled_for"])) for line in lines)
    expected = {
        (plan.name, iso(local_seven(plan.timezone, first_day + timedelta(days=i))))
        for plan in (berlin, new_york)
        for i in range(3)
    }
    assert set(runs) == expected, "every day's briefing, none skipped"
    assert set(runs.values()) == {1}, f"none doubled: {runs}"
    ny = world.claims.get("new-york", ny_fire)
    assert ny is not None and ny.status == "posted" and ny.attempts == 2 and ny.owner.startswith("proc-")
    for line in lines:  # and each at 07:00 local time of its own zone
        zone = "Europe/Berlin" if line["delivery"] == "berlin" else "America/New_York"
        when = datetime.fromisoformat(str(line["scheduled_for"]).replace("Z", "+00:00")).astimezone(
            ZoneInfo(zone)
        )
        assert (when.hour, when.minute) == (7, 0)
    name = "berlin" if changing == "Europe/Berlin" else "new-york"
    offsets = {
        datetime.fromisoformat(str(line["scheduled_for"]).replace("Z", "+00:00"))
        .astimezone(ZoneInfo(changing))
        .utcoffset()
        for line in lines
        if line["delivery"] == name
    }
    assert len(offsets) == 2, f"the window crosses the DST change of {changing}"


def test_two_replicas_and_a_repeated_hour_never_double(claims: ClaimRepository, tmp_path: Path) -> None:
    """Two live processes both wake for every firing, including APScheduler's second 02:30 on the
    night clocks go back; one replica restarts mid-way."""
    plans = [
        daily("berlin", "Europe/Berlin"),
        daily("night", "Europe/Berlin", "30 2 * * *"),
        daily("new-york", "America/New_York"),
        DeliveryPlan("half-hourly", "file", cron="*/30 * * * *", timezone="Europe/Berlin"),
    ]
    start = datetime(2026, 10, 24, 0, 0, tzinfo=UTC)
    world = World(claims, tmp_path, plans, start)

    async def scenario() -> None:
        a, b = world.process(), world.process()
        await world.start(a)
        await world.start(b)
        await world.run([a, b], datetime(2026, 10, 25, 12, tzinfo=UTC))
        a2 = world.process()
        await world.start(a2)
        await world.run([a2, b], start + timedelta(days=2))

    asyncio.run(scenario())
    runs = Counter((line["delivery"], line["scheduled_for"]) for line in world.lines())
    assert set(runs.values()) == {1}
    per_plan = Counter(name for name, _ in runs)
    assert per_plan["berlin"] == 2 and per_plan["night"] == 2 and per_plan["new-york"] == 2
    # the 25th has 25 hours in Berlin; the repeated 02:00 and 02:30 map to one run each
    assert per_plan["half-hourly"] == 48 + 48 - 2 + 1, "every half hour of two days, repeated wall times once"
    assert ("night", "2026-10-25T00:30:00Z") in runs


def test_a_miss_longer_than_the_grace_is_skipped_not_posted_late(
    claims: ClaimRepository, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    berlin = daily("berlin", "Europe/Berlin")
    start = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
    world = World(claims, tmp_path, [berlin], start)

    async def scenario() -> None:
        p1 = world.process()
        await world.start(p1)
        await world.run([p1], datetime(2026, 6, 2, 3, 0, tzinfo=UTC))  # down at 05:00 CEST on the 2nd
        world.clock.set(datetime(2026, 6, 2, 7, 0, tzinfo=UTC))  # back at 09:00 CEST: 2 h late
        p2 = world.process()
        with caplog.at_level("WARNING", logger="bot.scheduling.deliveries"):
            await world.start(p2)
        await world.run([p2], datetime(2026, 6, 4, 0, 0, tzinfo=UTC))

    asyncio.run(scenario())
    days = sorted(str(line["scheduled_for"])[:10] for line in world.lines())
    assert days == ["2026-06-01", "2026-06-03"]
    assert "2026-06-02T05:00:00Z was missed by more than run.misfire_grace" in caplog.text


def test_the_run_missed_before_a_start_is_posted_even_when_the_next_falls_due_during_the_wait(
    claims: ClaimRepository, tmp_path: Path
) -> None:
    """A minute cron; the process starts at 12:00:58 and its first polls end at 12:01:01. The catch-up
    still posts 12:00 (missed while down) and the cron job posts 12:01: one line each."""
    plan = DeliveryPlan("minutely", "file", cron="* * * * *", timezone="UTC")
    started = datetime(2026, 6, 1, 12, 0, 58, tzinfo=UTC)
    world = World(claims, tmp_path, [plan], started)

    async def scenario() -> None:
        proc = world.process()
        world.clock.set(started + timedelta(seconds=3))  # the wait for the first polls crossed 12:01
        await proc.run_due(plan, GRACE)  # the cron job's own firing at 12:01
        await proc.catch_up(plan, GRACE, missed_until=started)
        await world.run([proc], datetime(2026, 6, 1, 12, 2, 30, tzinfo=UTC))

    asyncio.run(scenario())
    posted = Counter(str(line["scheduled_for"]) for line in world.lines())
    assert posted == {"2026-06-01T12:00:00Z": 1, "2026-06-01T12:01:00Z": 1, "2026-06-01T12:02:00Z": 1}


def test_a_run_that_died_while_posting_is_checked_against_the_file(
    claims: ClaimRepository, tmp_path: Path
) -> None:
    """The dead owner wrote the line but not the claim: the takeover finds the line, posts nothing."""
    plan = daily("berlin", "Europe/Berlin")
    fire = local_seven("Europe/Berlin", date(2026, 6, 1))
    world = World(claims, tmp_path, [plan], fire)

    async def scenario() -> None:
        dead = world.claims.claim("berlin", fire, "dead", fire, LEASE)
        assert dead is not None and world.claims.start_posting(dead, fire, LEASE)
        await world.sink.post(compose(plan, fire), idempotency_key=f"berlin@{iso(fire)}")
        world.clock.set(fire + 2 * LEASE)
        outcomes = await world.process().recover(world.plans, GRACE)
        assert [o.result for o in outcomes] == ["already_posted"]

    asyncio.run(scenario())
    assert len(world.lines()) == 1
    claim = world.claims.get("berlin", fire)
    assert claim is not None and claim.status == "posted" and claim.message_ids == ["file:0"]


class _NoCheckSink:
    platform = "discord"

    def __init__(self) -> None:
        self.posts: list[str] = []

    async def post(self, briefing: Briefing, *, idempotency_key: str, note: str | None = None):  # type: ignore[no-untyped-def]
        from bot.core.protocols import PostResult

        self.posts.append(idempotency_key)
        return PostResult([f"msg-{len(self.posts)}"], self.platform)


def test_without_a_platform_check_a_run_that_died_while_posting_is_not_repeated(
    claims: ClaimRepository, tmp_path: Path
) -> None:
    plan = DeliveryPlan("chat", "discord", channel="1")
    fire = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)
    sink = _NoCheckSink()
    clock = ManualClock(fire)

    async def scenario() -> list[str]:
        dead = claims.claim("chat", fire, "dead", fire, LEASE)
        assert dead is not None and claims.start_posting(dead, fire, LEASE)
        clock.set(fire + 2 * LEASE)
        svc = DeliveryService(claims, compose, lambda p: sink, clock, "next", LEASE, crash_after_claim=False)
        return [o.result for o in await svc.recover({"chat": plan}, GRACE)]

    assert asyncio.run(scenario()) == ["unknown"]
    assert sink.posts == []
    # ...while one that died before posting is posted by the takeover
    fire2 = fire + timedelta(days=1)
    assert claims.claim("chat", fire2, "dead", fire2, LEASE) is not None
    clock.set(fire2 + 2 * LEASE)
    svc = DeliveryService(claims, compose, lambda p: sink, clock, "next", LEASE, crash_after_claim=False)
    assert [o.result for o in asyncio.run(svc.recover({"chat": plan}, GRACE))] == ["posted"]
    assert sink.posts == [f"chat@{iso(fire2)}"]


def test_updates_mode_posts_only_what_is_new(claims: ClaimRepository, tmp_path: Path) -> None:
    plan = DeliveryPlan("updates", "file", cron="0 * * * *", mode="updates")
    start = datetime(2026, 6, 1, 0, 30, tzinfo=UTC)
    world = World(claims, tmp_path, [plan], start)
    stories = {"sources": ["https://a/1"]}

    def varying(p: DeliveryPlan, now: datetime) -> Briefing:
        refs = [SourceRef(i + 1, f"t{i}", u, f"o{i}") for i, u in enumerate(stories["sources"])]
        return Briefing(
            None, now, [Story("Talks", [Bullet("Ministers met.", [1])], [], [r.id for r in refs])], refs
        )

    async def scenario() -> None:
        svc = DeliveryService(
            world.claims, varying, world.sink_for, world.clock, "p", LEASE, crash_after_claim=False
        )
        await world.run([svc], datetime(2026, 6, 1, 2, 10, tzinfo=UTC))  # 01:00 posts, 02:00 has nothing new
        stories["sources"] = ["https://a/1", "https://a/2", "https://a/3"]
        await world.run([svc], datetime(2026, 6, 1, 3, 10, tzinfo=UTC))  # 03:00: two more sources

    asyncio.run(scenario())
    lines = world.lines()
    assert [line["scheduled_for"] for line in lines] == ["2026-06-01T01:00:00Z", "2026-06-01T03:00:00Z"]
    titles = [line["briefing"]["stories"][0]["title"] for line in lines]  # type: ignore[index]
    assert titles == ["Talks", "Talks (updated: 2 new sources)"]
    skipped = world.claims.get("updates", datetime(2026, 6, 1, 2, 0, tzinfo=UTC))
    assert skipped is not None and skipped.status == "skipped"


class _DatabaseDown:
    """The claim store during an outage: every call fails as a dropped connection would."""

    def __getattr__(self, name: str) -> object:
        def fail(*args: object, **kwargs: object) -> object:
            raise ConnectionError("database unavailable")

        return fail


def test_a_firing_lost_to_a_database_outage_is_swept_up_once(claims: ClaimRepository, tmp_path: Path) -> None:
    plan = daily("berlin", "Europe/Berlin")
    fire = local_seven("Europe/Berlin", date(2026, 6, 1))
    world = World(claims, tmp_path, [plan], fire)

    async def scenario() -> list[str]:
        down = DeliveryService(
            _DatabaseDown(),
            compose,
            world.sink_for,
            world.clock,
            "p",
            LEASE,  # type: ignore[arg-type]
            crash_after_claim=False,
        )
        with pytest.raises(ConnectionError):
            await down.run_due(plan, GRACE)  # the 07:00 firing happens while the database is down
        up = DeliveryService(
            world.claims, compose, world.sink_for, world.clock, "p", LEASE, crash_after_claim=False
        )
        results = []
        for minutes in (0.2, 1, 2, 30, 59, 61):  # sweeps every so often; only the first runs it
            world.clock.set(fire + timedelta(minutes=minutes))
            results += [o.result for o in await up.sweep(world.plans, GRACE)]
        return results

    assert asyncio.run(scenario()) == ["posted"]
    assert [line["scheduled_for"] for line in world.lines()] == [iso(fire)]


# --- a platform outage: runs that posted nothing are tried again, within the grace ---

OUTAGE = Answer(503, b'{"message": "upstream unavailable"}', {"Content-Type": "application/json"})


def webhook_world(claims: ClaimRepository, tmp: Path, url: str) -> tuple[World, DeliveryPlan, datetime]:
    plan = daily("berlin", "Europe/Berlin")
    fire = local_seven("Europe/Berlin", date(2026, 6, 1))
    world = World(claims, tmp, [plan], fire)
    world.sink = DiscordWebhookSink(url, attempts=2, backoff=0.01)  # type: ignore[assignment]
    return world, plan, fire


def test_a_briefing_refused_during_an_outage_is_posted_by_a_retry(
    claims: ClaimRepository, tmp_path: Path
) -> None:
    """Discord answers 503 at 07:00 (the sink's own two tries fail); the run is marked for retry, the
    outage ends, and the recovery job of another replica posts it once, two minutes later."""
    with recording_server() as server:
        server.default = OUTAGE
        world, plan, fire = webhook_world(claims, tmp_path, server.url("/api/webhooks/1/tok"))

        async def scenario() -> None:
            first, other = world.process(), world.process()
            outcome = await first.run_due(plan, GRACE)
            assert outcome is not None and outcome.result == "retry"
            assert "trying again at 2026-06-01T05:02:00Z (try 2 of 3)" in outcome.detail
            world.clock.set(fire + timedelta(minutes=1))
            assert await other.recover(world.plans, GRACE) == []  # not yet
            server.default = discord_ids  # type: ignore[assignment]
            world.clock.set(fire + timedelta(minutes=2, seconds=1))
            done = await other.recover(world.plans, GRACE)
            assert [o.result for o in done] == ["posted"]
            assert await first.recover(world.plans, GRACE) == []

        asyncio.run(scenario())
    assert len(server.seen) == 3  # two refused tries, one post
    row = claims.get("berlin", fire)
    assert row is not None and row.status == "posted" and row.attempts == 2 and row.message_ids == ["1003"]


def test_a_lasting_outage_gives_up_after_three_tries_and_a_partial_post_is_not_repeated(
    claims: ClaimRepository, tmp_path: Path
) -> None:
    with recording_server() as server:
        server.default = OUTAGE
        world, plan, fire = webhook_world(claims, tmp_path, server.url("/api/webhooks/1/tok"))

        async def scenario() -> list[tuple[str, str]]:
            proc = world.process()
            outcome = await proc.run_due(plan, GRACE)
            ends = [(outcome.result, outcome.detail)] if outcome else []
            for minutes in (2, 13):  # the retry times: +2 min, then +10 min after that try
                world.clock.set(fire + timedelta(minutes=minutes, seconds=1))
                ends += [(o.result, o.detail) for o in await proc.recover(world.plans, GRACE)]
            world.clock.set(fire + timedelta(minutes=59))
            assert await proc.recover(world.plans, GRACE) == []
            return ends

        ends = asyncio.run(scenario())
    assert [r for r, _ in ends] == ["retry", "retry", "failed"], ends
    assert ends[-1][1].endswith("(gave up after 3 tries)")
    row = claims.get("berlin", fire)
    assert row is not None and row.status == "failed" and row.attempts == 3 and row.message_ids == []
    assert len(server.seen) == 6

    # A briefing that needs two Discord messages: the first arrives, the second is refused. Trying
    # again would post the first twice, so the run ends failed with the id it has.
    with recording_server() as server:
        server.script = [discord_ids(1)]
        server.default = OUTAGE
        world, plan, fire = webhook_world(claims, tmp_path / "partial", server.url("/api/webhooks/1/tok"))
        plan = DeliveryPlan("partial", "file", cron="0 8 * * *", timezone="UTC")
        big = Briefing(
            topic=None,
            generated_at=fire,
            stories=[Story(f"Story {i}", [Bullet("Something happened.", [1])], [], [1]) for i in range(12)],
            sources=[SourceRef(1, "Report", "https://example.org/r", "Example")],
        )
        proc = DeliveryService(
            claims,
            lambda _p, _now: big,
            world.sink_for,
            world.clock,
            "proc-x",
            LEASE,
            crash_after_claim=False,
        )
        when = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
        world.clock.set(when)
        outcome = asyncio.run(proc.run_due(plan, GRACE))
    assert outcome is not None and outcome.result == "failed" and outcome.message_ids == ["1001"]
    row = claims.get("partial", when)
    assert row is not None and row.status == "failed" and row.message_ids == ["1001"]


class UnsureSink:
    """A sink whose error says nothing about what arrived, and that cannot look for an earlier post."""

    platform = "example"

    async def post(self, briefing: Briefing, *, idempotency_key: str, note: str | None = None) -> Any:
        raise TimeoutError("no answer within 20 s")


def test_an_error_that_does_not_say_nothing_was_posted_is_not_retried_without_a_check(
    claims: ClaimRepository, tmp_path: Path
) -> None:
    plan = daily("berlin", "Europe/Berlin")
    fire = local_seven("Europe/Berlin", date(2026, 6, 1))
    world = World(claims, tmp_path, [plan], fire)
    proc = DeliveryService(
        claims,
        compose,
        lambda _p: UnsureSink(),
        world.clock,
        "proc-1",
        LEASE,  # type: ignore[arg-type,return-value]
        crash_after_claim=False,
    )
    outcome = asyncio.run(proc.run_due(plan, GRACE))
    assert outcome is not None and outcome.result == "failed" and "trying again" not in outcome.detail
    row = claims.get("berlin", fire)
    assert row is not None and row.status == "failed"
