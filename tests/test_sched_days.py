"""Simulated days on an injected clock: each daily briefing exactly once per channel, in its zone.

The production task functions (`bot.tasks`: tick, compose, post) run as the engine runs them —
a tick each minute on one of the live processes, jobs with their queueing locks, `RetryLater`
retried after the task's wait, a dead worker's job run again once its heartbeat is stale — but
time comes from a `ManualClock`, so days pass in milliseconds. The posts land in a real `file`
sink, the delivery runs in a real database (SQLite and PostgreSQL).
"""

from __future__ import annotations

import asyncio
import heapq
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pgserver import drop_database, fresh_database, pg_url  # noqa: F401
from recording_server import Answer, discord_ids, recording_server

from bot.adapters.file import FileSink
from bot.adapters.webhook import DiscordWebhookSink
from bot.scheduling.clock import ManualClock
from bot.scheduling.deliveries import DeliveryService
from bot.scheduling.jobs import DeliveryPlan, iso, raw_fire_times
from bot.scheduling.ticks import Ticker
from bot.store import open_store
from bot.store.runs import RunRepository
from bot.tasks import TASKS, RetryLater, run_task
from summarizer.model import Briefing, Bullet, SourceRef, Story

GRACE = timedelta(hours=1)
STALLED = timedelta(seconds=30)  # a dead worker's job is run again this long after it died


@pytest.fixture(params=["sqlite", "postgresql"])
def runs(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunRepository]:
    url = (
        f"sqlite:///{tmp_path / 'days.db'}"
        if request.param == "sqlite"
        else fresh_database(request.getfixturevalue("pg_url"))
    )
    store = open_store(url)
    try:
        yield RunRepository(store.engine)
    finally:
        store.close()
        if request.param != "sqlite":
            drop_database(url)


def compose(plan: DeliveryPlan, now: datetime) -> Briefing:
    """A stand-in summariser: one story naming the delivery (the run protocol is under test here)."""
    return Briefing(
        topic=None,
        generated_at=now,
        stories=[Story(f"News for {plan.name}", [Bullet("Something happened.", [1])], [], [1])],
        sources=[SourceRef(1, "Report", "https://example.org/r", "Example")],
    )


@dataclass(order=True)
class Job:
    at: datetime
    seq: int
    task: str = field(compare=False)
    kwargs: dict[str, Any] = field(compare=False)
    attempt: int = field(default=0, compare=False)


class SimQueue:
    """The engine as the task functions see it, on the simulated clock: queueing locks, retries of
    `RetryLater` after the task's RetryPolicy wait, jobs that outlive the process that deferred them."""

    name = "simulated"

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.jobs: list[Job] = []
        self.seq = 0

    async def defer(self, task: str, *, schedule_at: datetime | None = None, **kwargs: Any) -> bool:
        lock = TASKS[task].queueing_lock(kwargs)
        if lock is not None and any(TASKS[j.task].queueing_lock(j.kwargs) == lock for j in self.jobs):
            return False
        self.seq += 1
        heapq.heappush(self.jobs, Job(schedule_at or self.clock.now(), self.seq, task, dict(kwargs)))
        return True

    def due(self) -> Job | None:
        if self.jobs and self.jobs[0].at <= self.clock.now():
            return heapq.heappop(self.jobs)
        return None

    def again(self, job: Job, at: datetime) -> None:
        self.seq += 1
        heapq.heappush(self.jobs, Job(at, self.seq, job.task, job.kwargs, job.attempt + 1))


class Proc:
    """One worker process: its own ticker and delivery service (what `bot.tasks` bodies call)."""

    def __init__(self, world: World, name: str, composer: Any = compose, sink: Any = None) -> None:
        self.world, self.name, self.clock, self.queue = world, name, world.clock, world.queue
        self.deliveries = DeliveryService(
            world.runs,
            composer,
            lambda _p: sink or world.sink,
            world.clock,
            grace=GRACE,
            crash_after_claim=False,
        )

        async def plans() -> dict[str, DeliveryPlan]:
            return world.plans

        self.ticker = Ticker(
            world.runs, world.queue, plans, dict, world.clock, grace=GRACE, jitter=timedelta(0)
        )

    async def plan(self, name: str) -> DeliveryPlan | None:
        return self.world.plans.get(name)


class World:
    """Plans, a shared clock, queue and file, and the processes that come and go."""

    def __init__(self, runs: RunRepository, tmp: Path, plans: list[DeliveryPlan], start: datetime) -> None:
        self.runs = runs
        self.clock = ManualClock(start)
        self.queue = SimQueue(self.clock)
        self.plans = {p.name: p for p in plans}
        self.out = tmp / "briefings.jsonl"
        self.sink: Any = FileSink(self.out, clock=self.clock)
        self.counter = 0
        self.outcomes: list[str] = []

    def process(self, **kw: Any) -> Proc:
        self.counter += 1
        return Proc(self, f"proc-{self.counter}", **kw)

    async def work(self, procs: list[Proc]) -> None:
        """Run every job that is due now, round-robin over the live processes (as workers would)."""
        turn = 0
        while (job := self.queue.due()) is not None:
            proc = procs[turn % len(procs)]
            turn += 1
            try:
                await run_task(proc, job.task, job.kwargs, job.attempt)  # type: ignore[arg-type]
            except RetryLater:
                delay = TASKS[job.task].retry.delay(job.attempt)  # type: ignore[union-attr]
                if delay is not None:
                    self.queue.again(job, self.clock.now() + delay)

    async def run(self, procs: list[Proc], until: datetime) -> None:
        """Let time pass to `until`: the per-minute tick runs on one live process each minute (it
        is simulated at each raw firing and for 15 minutes after it, the only minutes anything falls
        due), and the jobs run when they are due (retries and recovered jobs at their time)."""
        start = self.clock.now()
        moments: set[datetime] = {start} | {start + timedelta(minutes=k) for k in range(16)}
        for plan in self.plans.values():
            for raw in raw_fire_times(plan, start, until):
                minute = raw.astimezone(UTC).replace(second=0, microsecond=0)
                moments.update(minute + timedelta(minutes=k) for k in range(16))
        last: datetime | None = None
        turn = 0
        while True:
            future = [m for m in moments if (last is None or m > last) and m <= until]
            future += [j.at for j in self.queue.jobs if (last is None or j.at > last) and j.at <= until]
            if not future:
                break
            when = min(future)
            self.clock.set(when)
            if when in moments:
                await run_task(procs[turn % len(procs)], "tick", {}, 0)  # type: ignore[arg-type]
                turn += 1
            await self.work(procs)
            last = when
        self.clock.set(until)

    async def start(self, proc: Proc) -> None:
        await proc.ticker.resume(self.plans, self.clock.now())

    def die_after_taking(self, delivery: str, when: datetime) -> None:
        """A worker took this run's compose job, marked it composing and died: its job is stalled,
        and the engine runs it again once the dead worker's heartbeat is `STALLED` old."""
        job = next(j for j in self.queue.jobs if j.task == "compose" and j.kwargs["delivery"] == delivery)
        self.queue.jobs.remove(job)
        heapq.heapify(self.queue.jobs)
        assert self.runs.move(delivery, when, "composing", self.clock.now(), expect=("queued",), tried=True)
        self.queue.again(job, self.clock.now() + STALLED)

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
def test_three_days_with_a_restart_and_a_crash_post_each_briefing_once(
    runs: RunRepository, tmp_path: Path, first_day: date, changing: str
) -> None:
    """Berlin and New York at 07:00 local, over three days around a DST change. On the middle day
    nothing runs from 06:50 to 07:20 Berlin time (the next tick catches the run up), and the worker
    that takes New York's run dies right after taking it (the engine runs its job again)."""
    berlin, new_york = daily("berlin", "Europe/Berlin"), daily("new-york", "America/New_York")
    start = datetime.combine(first_day, datetime.min.time(), UTC)
    world = World(runs, tmp_path, [berlin, new_york], start)
    middle = first_day + timedelta(days=1)
    down_at = local_seven("Europe/Berlin", middle) - timedelta(minutes=10)
    up_at = local_seven("Europe/Berlin", middle) + timedelta(minutes=20)
    ny_fire = local_seven("America/New_York", middle)

    async def scenario() -> None:
        p1 = world.process()
        await world.start(p1)
        await world.run([p1], down_at)  # day 1 and the night before the restart
        world.clock.set(up_at)
        p2 = world.process()  # restarted: a new process
        await world.start(p2)
        await world.run([p2], ny_fire - timedelta(seconds=1))
        world.clock.set(ny_fire)
        await run_task(p2, "tick", {}, 0)  # type: ignore[arg-type]
        world.die_after_taking("new-york", ny_fire)  # the worker holding it dies
        world.clock.set(ny_fire + timedelta(seconds=20))
        p3 = world.process()
        await world.start(p3)
        await world.run([p3], start + timedelta(days=3))

    asyncio.run(scenario())
    lines = world.lines()
    counted = Counter((str(line["delivery"]), str(line["scheduled_for"])) for line in lines)
    expected = {
        (plan.name, iso(local_seven(plan.timezone, first_day + timedelta(days=i))))
        for plan in (berlin, new_york)
        for i in range(3)
    }
    assert set(counted) == expected, "every day's briefing, none skipped"
    assert set(counted.values()) == {1}, f"none doubled: {counted}"
    ny = world.runs.get("new-york", ny_fire)
    assert ny is not None and ny.status == "posted" and ny.attempts == 3  # died composing, composed, posted
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


def test_two_workers_and_a_repeated_hour_never_double(runs: RunRepository, tmp_path: Path) -> None:
    """Two live workers take turns at the ticks and jobs, including APScheduler's second 02:30 on
    the night clocks go back; one worker restarts mid-way."""
    plans = [
        daily("berlin", "Europe/Berlin"),
        daily("night", "Europe/Berlin", "30 2 * * *"),
        daily("new-york", "America/New_York"),
        DeliveryPlan("half-hourly", "file", cron="*/30 * * * *", timezone="Europe/Berlin"),
    ]
    start = datetime(2026, 10, 24, 0, 0, tzinfo=UTC)
    world = World(runs, tmp_path, plans, start)

    async def scenario() -> None:
        a, b = world.process(), world.process()
        await world.start(a)
        await world.start(b)
        await world.run([a, b], datetime(2026, 10, 25, 12, tzinfo=UTC))
        a2 = world.process()
        await world.start(a2)
        await world.run([a2, b], start + timedelta(days=2))

    asyncio.run(scenario())
    counted = Counter((line["delivery"], line["scheduled_for"]) for line in world.lines())
    assert set(counted.values()) == {1}
    per_plan = Counter(name for name, _ in counted)
    assert per_plan["berlin"] == 2 and per_plan["night"] == 2 and per_plan["new-york"] == 2
    # the 25th has 25 hours in Berlin; the repeated 02:00 and 02:30 map to one run each
    assert per_plan["half-hourly"] == 48 + 48 - 2 + 1, "every half hour of two days, repeated wall times once"
    assert ("night", "2026-10-25T00:30:00Z") in counted


def test_a_miss_longer_than_the_grace_is_skipped_not_posted_late(
    runs: RunRepository, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    berlin = daily("berlin", "Europe/Berlin")
    start = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
    world = World(runs, tmp_path, [berlin], start)

    async def scenario() -> None:
        p1 = world.process()
        await world.run([p1], datetime(2026, 6, 2, 3, 0, tzinfo=UTC))  # down at 05:00 CEST on the 2nd
        world.clock.set(datetime(2026, 6, 2, 7, 0, tzinfo=UTC))  # back at 09:00 CEST: 2 h late
        p2 = world.process()
        with caplog.at_level("WARNING", logger="bot.scheduling.ticks"):
            await run_task(p2, "tick", {}, 0)  # type: ignore[arg-type]
        await world.run([p2], datetime(2026, 6, 4, 0, 0, tzinfo=UTC))

    asyncio.run(scenario())
    days = sorted(str(line["scheduled_for"])[:10] for line in world.lines())
    assert days == ["2026-06-01", "2026-06-03"]
    assert "2026-06-02T05:00:00Z was missed by more than run.misfire_grace" in caplog.text


def test_a_tick_retried_or_doubled_defers_each_run_once(runs: RunRepository, tmp_path: Path) -> None:
    """Two ticks for one minute (a tick job run again after its worker died) make one run."""
    plan = DeliveryPlan("minutely", "file", cron="* * * * *", timezone="UTC")
    at = datetime(2026, 6, 1, 12, 0, 5, tzinfo=UTC)
    world = World(runs, tmp_path, [plan], at)

    async def scenario() -> None:
        a, b = world.process(), world.process()
        await run_task(a, "tick", {}, 0)  # type: ignore[arg-type]
        await run_task(b, "tick", {}, 0)  # type: ignore[arg-type]
        await run_task(a, "tick", {}, 0)  # type: ignore[arg-type]
        assert [j.task for j in world.queue.jobs] == ["compose"]
        await world.run([a, b], datetime(2026, 6, 1, 12, 2, 30, tzinfo=UTC))

    asyncio.run(scenario())
    posted = Counter(str(line["scheduled_for"]) for line in world.lines())
    assert posted == {"2026-06-01T12:00:00Z": 1, "2026-06-01T12:01:00Z": 1, "2026-06-01T12:02:00Z": 1}


def test_a_run_that_died_while_posting_is_checked_against_the_file(
    runs: RunRepository, tmp_path: Path
) -> None:
    """The dead worker wrote the line but not the message ids: its post job, run again, finds the
    line and posts nothing."""
    plan = daily("berlin", "Europe/Berlin")
    fire = local_seven("Europe/Berlin", date(2026, 6, 1))
    world = World(runs, tmp_path, [plan], fire)

    async def scenario() -> None:
        p = world.process()
        await run_task(p, "tick", {}, 0)  # type: ignore[arg-type]
        job = world.queue.due()
        assert job is not None and job.task == "compose"
        await run_task(p, "compose", job.kwargs, 0)  # type: ignore[arg-type]
        post = world.queue.due()
        assert post is not None and post.task == "post"
        assert world.runs.move("berlin", fire, "posting", fire, expect=("composed",), tried=True)
        await world.sink.post(compose(plan, fire), idempotency_key=f"berlin@{iso(fire)}")  # then it died
        world.clock.set(fire + STALLED)
        outcome = await p.deliveries.post(plan, fire, attempt=1)
        assert outcome.result == "already_posted"

    asyncio.run(scenario())
    assert len(world.lines()) == 1
    run = world.runs.get("berlin", fire)
    assert run is not None and run.status == "posted" and run.message_ids == ["file:0"]


class _NoCheckSink:
    platform = "discord"

    def __init__(self) -> None:
        self.posts: list[str] = []

    async def post(self, briefing: Briefing, *, idempotency_key: str, note: str | None = None):  # type: ignore[no-untyped-def]
        from bot.core.protocols import PostResult

        self.posts.append(idempotency_key)
        return PostResult([f"msg-{len(self.posts)}"], self.platform)


def test_without_a_platform_check_a_run_that_died_while_posting_is_not_repeated(
    runs: RunRepository, tmp_path: Path
) -> None:
    plan = DeliveryPlan("chat", "discord", channel="1")
    fire = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)
    sink = _NoCheckSink()
    world = World(runs, tmp_path, [plan], fire)
    proc = world.process(sink=sink)

    async def composed(when: datetime) -> None:
        assert runs.create("chat", when, when)
        assert await proc.deliveries.compose(plan, when)

    asyncio.run(composed(fire))
    assert runs.move("chat", fire, "posting", fire, expect=("composed",))  # ...and the worker died
    assert asyncio.run(proc.deliveries.post(plan, fire, attempt=1)).result == "unknown"
    assert sink.posts == []
    # ...while one that died before posting is posted when its job runs again
    fire2 = fire + timedelta(days=1)
    world.clock.set(fire2)
    asyncio.run(composed(fire2))
    assert asyncio.run(proc.deliveries.post(plan, fire2, attempt=1)).result == "posted"
    assert sink.posts == [f"chat@{iso(fire2)}"]


def test_updates_mode_posts_only_what_is_new(runs: RunRepository, tmp_path: Path) -> None:
    plan = DeliveryPlan("updates", "file", cron="0 * * * *", mode="updates")
    start = datetime(2026, 6, 1, 0, 30, tzinfo=UTC)
    stories = {"sources": ["https://a/1"]}

    def varying(p: DeliveryPlan, now: datetime) -> Briefing:
        refs = [SourceRef(i + 1, f"t{i}", u, f"o{i}") for i, u in enumerate(stories["sources"])]
        return Briefing(
            None, now, [Story("Talks", [Bullet("Ministers met.", [1])], [], [r.id for r in refs])], refs
        )

    world = World(runs, tmp_path, [plan], start)

    async def scenario() -> None:
        proc = world.process(composer=varying)
        # 00:00 is caught up at the start, 01:00 and 02:00 have nothing new
        await world.run([proc], datetime(2026, 6, 1, 2, 10, tzinfo=UTC))
        stories["sources"] = ["https://a/1", "https://a/2", "https://a/3"]
        await world.run([proc], datetime(2026, 6, 1, 3, 10, tzinfo=UTC))  # 03:00: two more sources

    asyncio.run(scenario())
    lines = world.lines()
    assert [line["scheduled_for"] for line in lines] == ["2026-06-01T00:00:00Z", "2026-06-01T03:00:00Z"]
    titles = [line["briefing"]["stories"][0]["title"] for line in lines]  # type: ignore[index]
    assert titles == ["Talks", "Talks (updated: 2 new sources: o1, o2, no new points)"]
    assert [b["text"] for b in lines[1]["briefing"]["stories"][0]["bullets"]] == []  # type: ignore[index]
    skipped = world.runs.get("updates", datetime(2026, 6, 1, 2, 0, tzinfo=UTC))
    assert skipped is not None and skipped.status == "skipped"


def test_a_run_whose_tick_died_before_deferring_it_gets_a_job(runs: RunRepository, tmp_path: Path) -> None:
    """The tick inserted the run and died before deferring its compose job: a later tick does it."""
    plan = daily("berlin", "Europe/Berlin")
    fire = local_seven("Europe/Berlin", date(2026, 6, 1))
    world = World(runs, tmp_path, [plan], fire)
    assert runs.create("berlin", fire, fire)  # ...and no job

    async def scenario() -> None:
        await world.run([world.process()], fire + timedelta(minutes=15))

    asyncio.run(scenario())
    assert [line["scheduled_for"] for line in world.lines()] == [iso(fire)]


# --- a platform outage: runs that posted nothing are tried again by the engine, within the grace ---

OUTAGE = Answer(503, b'{"message": "upstream unavailable"}', {"Content-Type": "application/json"})


def test_a_briefing_refused_during_an_outage_is_posted_by_a_retry(
    runs: RunRepository, tmp_path: Path
) -> None:
    """Discord answers 503 at 07:00 (the sink's own two tries fail); the post job raises RetryLater,
    the outage ends, and the engine's retry two minutes later (on another worker) posts it once."""
    with recording_server() as server:
        server.default = OUTAGE
        plan = daily("berlin", "Europe/Berlin")
        fire = local_seven("Europe/Berlin", date(2026, 6, 1))
        world = World(runs, tmp_path, [plan], fire)
        world.sink = DiscordWebhookSink(server.url("/api/webhooks/1/tok"), attempts=2, backoff=0.01)

        async def scenario() -> None:
            first, other = world.process(), world.process()
            await run_task(first, "tick", {}, 0)  # type: ignore[arg-type]
            await world.work([first])
            run = world.runs.get("berlin", fire)
            assert run is not None and run.status == "retry"
            assert run.next_try == fire + timedelta(minutes=2)
            assert [(j.task, j.at) for j in world.queue.jobs] == [("post", fire + timedelta(minutes=2))]
            server.default = discord_ids  # type: ignore[assignment]
            await world.run([other, first], fire + timedelta(minutes=30))

        asyncio.run(scenario())
    assert len(server.seen) == 3  # two refused tries, one post
    row = runs.get("berlin", fire)
    assert row is not None and row.status == "posted" and row.message_ids == ["1003"]


def test_a_lasting_outage_gives_up_after_three_tries_and_a_partial_post_is_not_repeated(
    runs: RunRepository, tmp_path: Path
) -> None:
    with recording_server() as server:
        server.default = OUTAGE
        plan = daily("berlin", "Europe/Berlin")
        fire = local_seven("Europe/Berlin", date(2026, 6, 1))
        world = World(runs, tmp_path, [plan], fire)
        world.sink = DiscordWebhookSink(server.url("/api/webhooks/1/tok"), attempts=2, backoff=0.01)
        asyncio.run(world.run([world.process()], fire + timedelta(minutes=59)))
    row = runs.get("berlin", fire)
    assert row is not None and row.status == "failed" and row.message_ids == []
    assert row.error is not None and "503" in row.error
    assert len(server.seen) == 6, "three tries of two requests each, at +0, +2 and +12 minutes"

    # A briefing that needs two Discord messages: the first arrives, the second is refused. Trying
    # again would post the first twice, so the run ends failed with the id it has.
    with recording_server() as server:
        server.script = [discord_ids(1)]
        server.default = OUTAGE
        when = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
        plan = DeliveryPlan("partial", "file", cron="0 8 * * *", timezone="UTC")
        big = Briefing(
            topic=None,
            generated_at=when,
            stories=[Story(f"Story {i}", [Bullet("Something happened.", [1])], [], [1]) for i in range(12)],
            sources=[SourceRef(1, "Report", "https://example.org/r", "Example")],
        )
        world = World(runs, tmp_path / "partial", [plan], when)
        world.sink = DiscordWebhookSink(server.url("/api/webhooks/1/tok"), attempts=2, backoff=0.01)
        asyncio.run(world.run([world.process(composer=lambda _p, _now: big)], when + timedelta(minutes=30)))
    row = runs.get("partial", when)
    assert row is not None and row.status == "failed" and row.message_ids == ["1001"]


class UnsureSink:
    """A sink whose error says nothing about what arrived, and that cannot look for an earlier post."""

    platform = "example"

    async def post(self, briefing: Briefing, *, idempotency_key: str, note: str | None = None) -> Any:
        raise TimeoutError("no answer within 20 s")


def test_an_error_that_does_not_say_nothing_was_posted_is_not_retried_without_a_check(
    runs: RunRepository, tmp_path: Path
) -> None:
    plan = daily("berlin", "Europe/Berlin")
    fire = local_seven("Europe/Berlin", date(2026, 6, 1))
    world = World(runs, tmp_path, [plan], fire)
    asyncio.run(world.run([world.process(sink=UnsureSink())], fire + timedelta(minutes=30)))
    row = runs.get("berlin", fire)
    assert row is not None and row.status == "failed" and row.attempts == 2  # one composition, one post
    assert not world.queue.jobs
