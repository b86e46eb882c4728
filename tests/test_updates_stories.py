"""`updates` mode on stored stories, composed for real a day apart: the story keeps its id, the second
post shows only the new fact, and no bullet is ever posted twice (issue 13, item 6).

A real SQLite store, the story index tracking what is stored, the extractive summariser, the
delivery service's compose and post steps, and the file sink; the reports are written for this
test (a follow-up repeats the first report's sentences word for word, as wire write-throughs do).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.adapters.file import FileSink, read_lines
from bot.core.protocols import FetchedArticle, FetchOutcome
from bot.scheduling.clock import ManualClock
from bot.scheduling.deliveries import DeliveryService, StoreComposer
from bot.scheduling.jobs import DeliveryPlan
from bot.store import SqlStore, open_store
from bot.store.runs import RunRepository
from summarizer.engines import build_engine
from tests.story_index import briefing_service

DAY1 = datetime(2026, 5, 11, 7, 0, tzinfo=UTC)

FIRST = (
    "A magnitude 6.4 earthquake struck the island of Keravan on Monday morning, the national "
    "seismology office said. Governor Teodor Valsi said twelve people were killed in Port Ilmen. "
    "Rescue teams from the mainland reached the harbour of Port Ilmen by ferry before noon."
)
SECOND = (
    "Governor Teodor Valsi said twelve people were killed in Port Ilmen. "
    "A magnitude 6.4 earthquake struck the island of Keravan on Monday morning, the national "
    "seismology office said. The quake damaged the only bridge between Port Ilmen and the airport."
)
NEW_FACT = (
    "The death toll on Keravan rose to thirty-one on Tuesday after rescuers searched a collapsed school."
)
FOLLOW_UP = (
    f"{NEW_FACT} Governor Teodor Valsi said twelve people were killed in Port Ilmen. "
    "A magnitude 6.4 earthquake struck the island of Keravan on Monday morning, the national "
    "seismology office said."
)
THIRD_FACT = "Engineers reopened the bridge between Port Ilmen and the airport on Wednesday after repairs to Keravan roads."
LATER = (
    f"{THIRD_FACT} The death toll on Keravan rose to thirty-one on Tuesday after rescuers searched a "
    "collapsed school. Governor Teodor Valsi said twelve people were killed in Port Ilmen."
)


def article(slug: str, outlet: str, text: str, published: datetime) -> FetchedArticle:
    return FetchedArticle(
        url=f"https://{outlet.lower().replace(' ', '')}.example/{slug}",
        title=f"Earthquake on Keravan: {slug.replace('-', ' ')}",
        text=text,
        outlet=outlet,
        published=published,
    )


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[SqlStore]:
    s = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    yield s
    s.close()


def test_updates_post_only_the_new_fact_and_never_a_bullet_twice(store: SqlStore, tmp_path: Path) -> None:
    clock = ManualClock(DAY1)
    service = briefing_service(build_engine("extractive"), [], store, clock=clock)
    out = tmp_path / "posts.jsonl"
    plan = DeliveryPlan("quake", "file", topics=(), since=timedelta(hours=72), mode="updates")
    deliveries = DeliveryService(
        RunRepository(store.engine),
        StoreComposer(service),
        lambda _plan: FileSink(out),
        clock,
        resolve_story=service.resolve_story,
    )
    days = [
        [
            article("first-report", "Harbor Ledger", FIRST, DAY1 - timedelta(hours=2)),
            article("second-report", "Meridian Wire", SECOND, DAY1 - timedelta(hours=1)),
        ],
        [article("toll-rises", "Northgate Times", FOLLOW_UP, DAY1 + timedelta(hours=22))],
        [article("bridge-reopens", "Koraline Radio", LATER, DAY1 + timedelta(hours=46))],
    ]

    async def run_day(n: int) -> None:
        when = DAY1 + timedelta(days=n)
        clock.set(when)
        store.record_fetch(FetchOutcome(source_name="wire", status="ok", articles=days[n]))
        service.stories.catch_up()  # what the poll's maintain_stories task does
        assert await deliveries.compose(plan, when)
        assert (await deliveries.post(plan, when)).result == "posted"

    for n in range(3):
        asyncio.run(run_day(n))

    posts = [line["briefing"] for _, line in read_lines(out)]
    assert len(posts) == 3
    ids = {s["id"] for p in posts for s in p["stories"]}
    assert len(ids) == 1, "one event is one story, under one id, on all three days"
    bullets = [[b["text"] for s in p["stories"] for b in s["bullets"]] for p in posts]
    assert bullets[1] == [NEW_FACT], bullets[1]  # the only new fact of day two
    assert bullets[2] == [THIRD_FACT], bullets[2]
    posted = [b for day in bullets for b in day]
    assert len(posted) == len(set(posted)), "a bullet was posted twice"
    titles = [s["title"] for p in posts for s in p["stories"]]
    assert "updated: 1 new point, 1 new source: Northgate Times" in titles[1]
