"""Stories kept in the store: tracked at ingest, stable across ingests and processes, merged with aliases,
pruned with their articles, and read by briefings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.core.protocols import FetchedArticle, FetchOutcome
from bot.store import open_store
from bot.store.stories import StoryRepository
from summarizer.engines.base import SummaryOptions
from summarizer.engines.lead import LeadSummarizer
from summarizer.model import Topic
from tests.story_cases import COMET, STRIKE, T0, VOTE
from tests.story_index import story_index

NOW = T0 + timedelta(hours=12)
TOPICS = [Topic("ports", ("port", "dockers", "strike")), Topic("space", ("comet", "astronomers"))]


def fetched(event: list[tuple[str, str, str]], key: str, start: datetime) -> list[FetchedArticle]:
    return [
        FetchedArticle(
            url=f"https://{outlet}.example/{key}{n}",
            title=title,
            text=body,
            outlet=outlet,
            published=start + timedelta(hours=n),
            source_name="wire",
            dated_by="feed",
        )
        for n, (outlet, title, body) in enumerate(event)
    ]


@pytest.fixture
def store(tmp_path: Path):
    s = open_store(f"sqlite:///{tmp_path / 'stories.db'}")
    yield s
    s.close()


def put(store, articles: list[FetchedArticle]) -> list[int]:
    return store.record_fetch(FetchOutcome(source_name="wire", status="ok", articles=articles)).new_ids


def story_of(store) -> dict[int, str]:
    with store.engine.connect() as c:
        return {int(a): s for a, s in c.execute(text("SELECT article_id, story_id FROM story_reports"))}


def test_story_ids_are_stable_across_two_ingests_and_a_restart(store) -> None:
    index = story_index(store, LeadSummarizer(), TOPICS, clock=lambda: NOW)
    first = put(store, fetched(STRIKE[:2], "strike", T0) + fetched(COMET[:2], "comet", T0))
    report = index.track(first)
    assert report.reports == 4 and report.opened == 2
    before = story_of(store)
    assert len(set(before.values())) == 2

    # a new process (a new index over the same store) gets the rest of both events and a new one
    again = story_index(store, LeadSummarizer(), TOPICS, clock=lambda: NOW)
    second = put(
        store, fetched(STRIKE[2:], "strike-late", T0 + timedelta(hours=3)) + fetched(VOTE, "vote", T0)
    )
    again.track(second)
    after = story_of(store)
    assert {a: after[a] for a in before} == before  # past articles kept their story
    strike_story = before[first[0]]
    assert after[second[0]] == strike_story  # the late strike report joined the strike's story
    assert len({after[a] for a in second[1:]}) == 1 and after[second[1]] not in before.values()
    assert again.track(second).skipped == len(second)  # tracked once only


def test_a_merge_keeps_the_old_id_working(store) -> None:
    index = story_index(store, LeadSummarizer(), TOPICS, clock=lambda: NOW)
    ids = put(store, fetched(STRIKE, "strike", T0))
    index.track(ids)
    repo = StoryRepository(store.engine)
    (story,) = set(story_of(store).values())
    # another process had opened the same event as a second story before the merge: simulate it
    with store.engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO stories (id, title, version, size, outlets, vector_sum, created_at, updated_at)"
                " SELECT 'sOLD', title, 1, 1, outlets, vector_sum, created_at, updated_at FROM stories"
            )
        )
        c.execute(text("UPDATE story_reports SET story_id = 'sOLD' WHERE article_id = :a"), {"a": ids[0]})
    fresh = story_index(store, LeadSummarizer(), TOPICS, clock=lambda: NOW)
    fourth = [
        (
            "coast-radio",
            "Rotterdam strike: dockers reject 3.1 percent offer",
            "The FNV Havens union's 2,400 dockers stayed out in Rotterdam on Monday after rejecting a 3.1 "
            "percent pay offer, union leader Marco Bakker said. Thirty-four container ships were waiting to "
            "berth at the Maasvlakte terminals, the port authority said.",
        )
    ]
    more = put(store, fetched(fourth, "strike-more", T0 + timedelta(hours=1)))
    fresh.track(more)
    stories = set(story_of(store).values())
    assert len(stories) == 1, stories  # one event, one story again
    kept = stories.pop()
    gone = ({"sOLD", story} - {kept}).pop()
    assert repo.resolve(gone) == kept and fresh.resolve(gone) == kept
    assert repo.resolve("sNEVER") is None


def test_briefings_read_stories_and_cache_each_summary_by_version(store) -> None:
    class Counting(LeadSummarizer):
        calls = 0

        def summarize_stories(self, documents, stories, topic=None, options=None):  # type: ignore[no-untyped-def]
            Counting.calls += 1
            return super().summarize_stories(documents, stories, topic, options)

    engine = Counting()
    index = story_index(store, engine, TOPICS, clock=lambda: NOW)
    index.track(put(store, fetched(STRIKE[:2], "strike", T0) + fetched(COMET, "comet", T0)))
    opts = SummaryOptions(now=NOW)
    ports = index.briefing(TOPICS[0], timedelta(days=2), opts)
    assert [len(s.sources) for s in ports.stories] == [2] and ports.stories[0].id
    calls = Counting.calls
    assert index.briefing(TOPICS[0], timedelta(days=2), opts).to_dict() == ports.to_dict()
    assert Counting.calls == calls  # cached: the story's version has not changed
    index.track(put(store, fetched(STRIKE[2:], "strike-late", T0 + timedelta(hours=2))))
    grown = index.briefing(TOPICS[0], timedelta(days=2), opts)
    assert Counting.calls == calls + 1 and len(grown.stories[0].sources) == 3
    everything = index.briefing(None, timedelta(days=2), opts)
    assert len(everything.stories) == 2


def test_stored_articles_without_a_story_are_tracked_on_the_next_briefing(store) -> None:
    put(store, fetched(STRIKE, "strike", T0))  # stored by a briefbot before story tracking
    index = story_index(store, LeadSummarizer(), TOPICS, clock=lambda: NOW)
    b = index.briefing(None, timedelta(days=2), SummaryOptions(now=NOW))
    assert len(b.stories) == 1 and len(b.stories[0].sources) == 3


def test_an_article_stored_after_a_briefing_found_none_untracked_is_tracked_on_the_next(store) -> None:
    index = story_index(store, LeadSummarizer(), TOPICS, clock=lambda: NOW)
    index.track(put(store, fetched(STRIKE[:2], "strike", T0)))
    first = index.briefing(None, timedelta(days=2), SummaryOptions(now=NOW))
    assert [len(s.sources) for s in first.stories] == [2]
    put(store, fetched(STRIKE[2:], "strike-late", T0 + timedelta(hours=2)))  # stored, tracking failed
    b = index.briefing(None, timedelta(days=2), SummaryOptions(now=NOW))
    assert [len(s.sources) for s in b.stories] == [3]


def test_a_topic_counts_the_same_recent_reports_as_all_stories(store) -> None:
    index = story_index(store, LeadSummarizer(), TOPICS, clock=lambda: NOW)
    index.track(put(store, fetched(STRIKE, "strike", T0) + fetched(COMET, "comet", T0 - timedelta(days=3))))
    since = T0 + timedelta(hours=1)  # the first strike report and every comet one are older
    repo = StoryRepository(store.engine)
    everything = {i.id: i.recent for i in repo.active(since)}
    ports = repo.active(since, "ports", 0.45)
    assert len(everything) == 1 and [(i.id, i.recent) for i in ports] == list(everything.items())
    assert [i.recent for i in ports] == [len(STRIKE) - 1] and repo.active(since, "space", 0.45) == []


def test_pruning_articles_drops_their_reports_and_empty_stories(store) -> None:
    index = story_index(store, LeadSummarizer(), TOPICS, clock=lambda: NOW)
    index.track(put(store, fetched(STRIKE, "strike", T0 - timedelta(days=40)) + fetched(COMET, "comet", T0)))
    store.prune(datetime.now(UTC) + timedelta(days=1))  # every article is older (fetched today)
    with store.engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM story_reports")).scalar() == 0
        assert c.execute(text("SELECT count(*) FROM stories")).scalar() == 0


def test_a_changed_topic_scores_the_stored_reports_again(store) -> None:
    index = story_index(store, LeadSummarizer(), TOPICS, clock=lambda: NOW)
    index.track(put(store, fetched(VOTE, "vote", T0)))
    geneva = Topic("geneva", ("Geneva", "Annemasse"))
    with store.engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM report_topics WHERE topic = 'geneva'")).scalar() == 0
    changed = story_index(store, LeadSummarizer(), [*TOPICS, geneva], clock=lambda: NOW)
    changed.track(put(store, fetched(STRIKE[:1], "strike", T0)))  # the topics' fingerprint changed
    with store.engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM report_topics WHERE topic = 'geneva'")).scalar() == 3
    b = changed.briefing(geneva, timedelta(days=2), SummaryOptions(now=NOW))
    assert len(b.stories) == 1 and len(b.stories[0].sources) == 3


def test_two_processes_tracking_the_same_articles_at_once_store_each_once(store) -> None:
    """A worker and a chat /brief both track new articles; the one whose write lands second reloads."""
    ids = put(store, fetched(STRIKE, "strike", T0))
    other = story_index(store, LeadSummarizer(), TOPICS, clock=lambda: NOW)

    class Racing(StoryRepository):
        raced = False

        def save(self, changes):  # type: ignore[no-untyped-def]
            if not Racing.raced:  # the other process writes the same reports first
                Racing.raced = True
                other.track(ids)
            super().save(changes)

    index = story_index(store, LeadSummarizer(), TOPICS, clock=lambda: NOW)
    index.repo = Racing(store.engine)
    report = index.track(ids)
    assert Racing.raced and report.skipped == len(ids)
    with store.engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM story_reports")).scalar() == len(ids)
        assert c.execute(text("SELECT count(*) FROM stories")).scalar() == 1
