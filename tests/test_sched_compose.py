"""Plans that fire together and ask for the same briefing share one composition (StoreComposer)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.protocols import FetchedArticle, FetchOutcome
from bot.scheduling.deliveries import StoreComposer
from bot.scheduling.jobs import DeliveryPlan
from bot.store import SqlStore, open_store
from summarizer.engines import build_engine
from summarizer.engines.base import SummaryOptions
from summarizer.model import Briefing, Document, Topic
from tests.story_index import briefing_service, story_index

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
TOPICS = [Topic("taiwan", ("taipei",)), Topic("shipping", ("port", "tanker"))]


class Counting:
    """A real engine that counts its briefings (and can be told to fail the next one)."""

    def __init__(self) -> None:
        self.inner = build_engine("lead")
        self.calls = 0
        self.fail_next = False

    def summarize(
        self, documents: Sequence[Document], topic: Topic | None = None, options: SummaryOptions | None = None
    ) -> Briefing:
        self.calls += 1
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("the store went away")
        return self.inner.summarize(documents, topic, options)

    def summarize_stories(self, documents, stories, topic=None, options=None) -> Briefing:  # type: ignore[no-untyped-def]
        self.calls += 1
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("the store went away")
        return self.inner.summarize_stories(documents, stories, topic, options)


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[SqlStore]:
    s = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    articles = [
        FetchedArticle(
            url="https://a.example/1",
            title="Taipei protests destroyer manoeuvre",
            text="Taiwan protested on Monday after a Chinese destroyer crossed the bow of a coast guard "
            "cutter near Penghu, officials in Taipei said. The ministry counted 27 ships.",
            outlet="Northgate Times",
            published=NOW - timedelta(hours=3),
        ),
        FetchedArticle(
            url="https://b.example/2",
            title="Port of Valletta reopens after storm",
            text="The port of Valletta reopened on Monday after a storm closed it for two days. Tankers "
            "queued outside the harbour while crews cleared the berths.",
            outlet="Harbour Post",
            published=NOW - timedelta(hours=2),
        ),
    ]
    s.record_fetch(FetchOutcome(source_name="feed", status="ok", articles=articles))
    # what the poll's maintain_stories task does: compositions read the tracked stories only
    story_index(s, build_engine("lead"), TOPICS).catch_up()
    yield s
    s.close()


def plan(
    name: str, topics: tuple[str, ...] = ("taiwan",), since: timedelta = timedelta(hours=24)
) -> DeliveryPlan:
    return DeliveryPlan(name=name, platform="file", topics=topics, since=since)


def test_plans_firing_together_share_one_composition(store: SqlStore) -> None:
    engine = Counting()
    composer = StoreComposer(briefing_service(engine, TOPICS, store))  # type: ignore[arg-type]
    plans = [plan(f"guild-{i}") for i in range(8)]
    with ThreadPoolExecutor(4) as pool:  # as the runner's compose pool does
        results = list(pool.map(lambda p: composer(p, NOW + timedelta(seconds=plans.index(p))), plans))
    assert engine.calls == 1 and composer.compositions == 1
    assert all(r.stories for r in results)
    assert len({id(r) for r in results}) == len(results), "each plan gets its own copy"
    results[0].stories.clear()  # what updates mode does to its copy must not reach the others
    assert results[1].stories and results[1].to_dict() == results[2].to_dict()


def test_other_topics_windows_and_minutes_compose_again(store: SqlStore) -> None:
    engine = Counting()
    composer = StoreComposer(briefing_service(engine, TOPICS, store))  # type: ignore[arg-type]
    composer(plan("a"), NOW)
    composer(plan("b", topics=("shipping",)), NOW)
    composer(plan("c", since=timedelta(hours=6)), NOW)
    composer(plan("d"), NOW + timedelta(seconds=59))  # shares a's
    composer(plan("e"), NOW + timedelta(seconds=61))  # a minute later: new articles may have come
    assert composer.compositions == 4
    # each composition reads the stored stories: a story's summary is made once per version (taiwan's
    # for a, c and e; shipping's for b)
    assert engine.calls == 2


def test_a_failed_composition_fails_its_waiters_and_the_next_plan_tries_again(store: SqlStore) -> None:
    engine = Counting()
    composer = StoreComposer(briefing_service(engine, TOPICS, store))  # type: ignore[arg-type]
    engine.fail_next = True
    with pytest.raises(RuntimeError, match="went away"):
        composer(plan("a"), NOW)
    assert composer(plan("b"), NOW + timedelta(seconds=1)).stories
    assert engine.calls == 2
