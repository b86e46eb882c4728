"""What the web face shows, gathered from the services: one dataclass per page, no HTML.

The pages read what the chat reads: today's briefing of each topic comes from the same
`BriefingService` as `/brief`, a story page from the story index (its cached summary, its reports as
a dated timeline), the archive and the delivery feeds from the delivery runs (the briefing stored
with each posted run, exactly as it was posted), and the admin page from the store's source status
and fetch log. Rendering is `bot.render.html` and `bot.render.atom`; HTTP is `bot.adapters.web`.

Chat subscriptions (`sub:platform:channel:topic` runs) stay off the public archive and feeds: their
names carry private channel ids. The admin page lists them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol

from bot.core.briefing import BriefingService, BriefRequest
from bot.core.protocols import SourceStatus, StoredArticle
from bot.core.stories import RankedStory, ReportInfo, StoryIndex, StoryInfo
from summarizer.engines.base import SummaryOptions
from summarizer.model import Briefing, Story
from summarizer.stories.timeline import phase_of

__all__ = [
    "ArchiveDay",
    "ArchiveIndex",
    "DeliveryRecord",
    "FrontPage",
    "OutletInfo",
    "PageService",
    "SourceHealth",
    "SourcesPage",
    "StoryPage",
    "TimelineEntry",
    "TopicBriefing",
    "is_public_delivery",
]

CHART_DAYS = 14
HISTORY_DAYS = 14
HISTORY_MAX = 200  # delivery runs listed on the admin page
FEED_ENTRIES = 20
STORY_ID = re.compile(r"[A-Za-z0-9_-]{1,24}")
SUBSCRIPTION_PREFIX = "sub:"


def is_public_delivery(name: str) -> bool:
    """A delivery of the config (named by the admin), not a chat channel's `/subscribe`."""
    return not name.startswith(SUBSCRIPTION_PREFIX)


@dataclass(frozen=True)
class DeliveryRecord:
    """One delivery run as the pages show it: the briefing stored with it, when it was composed."""

    delivery: str
    scheduled_for: datetime
    status: str
    attempts: int = 0
    posted_at: datetime | None = None
    next_try: datetime | None = None
    platform: str | None = None
    error: str | None = None
    briefing: Briefing | None = None

    @property
    def day(self) -> date:
        """The UTC day it belongs to in the archive: when it was posted, else when it was due."""
        return (self.posted_at or self.scheduled_for).astimezone(UTC).date()


class RunHistory(Protocol):
    """What the pages read of the delivery runs (bot.store.runs.RunRepository)."""

    def posted_days(self) -> list[tuple[date, int]]: ...
    def records(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        delivery: str | None = None,
        posted_only: bool = False,
        with_briefing: bool = False,
        limit: int | None = None,
    ) -> list[DeliveryRecord]: ...


class HealthStore(Protocol):
    """What the admin page reads of the article store (bot.store.sql.SqlStore)."""

    def status(self, stale_after: int = 5) -> list[SourceStatus]: ...
    def new_per_day(self, since: datetime) -> dict[str, dict[date, int]]: ...


class StoryReader(Protocol):
    """What a story page reads of the stored stories (bot.store.stories.StoryRepository)."""

    def resolve(self, story_id: str) -> str | None: ...
    def story(self, story_id: str) -> StoryInfo | None: ...
    def reports(self, story_ids: Sequence[str]) -> dict[str, list[ReportInfo]]: ...


# -- page models -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TopicBriefing:
    topic: str
    briefing: Briefing
    updated: dict[str, datetime] = field(default_factory=dict)  # story id -> its last report


@dataclass(frozen=True)
class FrontPage:
    generated_at: datetime
    since: timedelta
    topics: list[TopicBriefing]


@dataclass(frozen=True)
class OutletInfo:
    name: str
    labels: tuple[str, ...]
    reports: int
    first: datetime | None
    url: str  # its first report's link


@dataclass(frozen=True)
class TimelineEntry:
    published: datetime | None
    dated_by: str | None
    joined_at: datetime
    outlet: str
    labels: tuple[str, ...]
    title: str
    url: str
    lead: str
    part: int = 0  # 0: the article; n: the n-th item of a live blog


@dataclass(frozen=True)
class StoryPage:
    id: str
    asked: str  # the id asked for (an old id of a merged story resolves to `id`)
    title: str
    phase: str
    first_seen: datetime | None
    last_seen: datetime | None
    briefing: Briefing  # one story, its bullets (all of them) and quotes cite `briefing.sources`
    outlets: list[OutletInfo]
    timeline: list[TimelineEntry]
    generated_at: datetime

    @property
    def story(self) -> Story | None:
        return self.briefing.stories[0] if self.briefing.stories else None


@dataclass(frozen=True)
class ArchiveIndex:
    days: list[tuple[date, int]]  # newest first: each day with posted briefings, and how many


@dataclass(frozen=True)
class ArchiveDay:
    day: date
    records: list[DeliveryRecord]
    previous: date | None
    next: date | None


@dataclass(frozen=True)
class SourceHealth:
    status: SourceStatus
    per_day: list[tuple[date, int]]  # the last CHART_DAYS days, oldest first


@dataclass(frozen=True)
class SourcesPage:
    generated_at: datetime
    sources: list[SourceHealth]
    history: list[DeliveryRecord]  # newest first
    stale_after: int
    days: list[date] = field(default_factory=list)


# -- the service ------------------------------------------------------------------------------------


class PageService:
    """Gathers each page's data (blocking: the web adapter calls it in a worker thread)."""

    def __init__(
        self,
        briefings: BriefingService,
        stories: StoryIndex,
        story_reader: StoryReader,
        articles: Callable[[Sequence[int]], list[StoredArticle]],
        runs: RunHistory,
        store: HealthStore,
        topics: Sequence[str],
        *,
        since: timedelta,
        options: SummaryOptions,
        stale_after: int = 5,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.briefings = briefings
        self.stories = stories
        self.story_reader = story_reader
        self.articles = articles
        self.runs = runs
        self.store = store
        self.topics = list(topics)
        self.since = since
        self.options = options
        self.stale_after = stale_after
        self.clock = clock

    # -- today and the topic feeds -----------------------------------------------------------------

    def topic_names(self) -> list[str]:
        return list(self.topics)

    def topic(self, name: str) -> str | None:
        """A configured topic by name (any case); feeds are only made for those."""
        for t in self.topics:
            if t.casefold() == name.casefold():
                return t
        return None

    def topic_briefing(self, name: str | None) -> TopicBriefing:
        briefing = self.briefings.brief(BriefRequest(name, self.since))
        updated: dict[str, datetime] = {}
        for s in briefing.stories:
            info = self.story_reader.story(s.id) if s.id else None
            if info is not None and s.id:
                updated[s.id] = info.last_seen or info.first_seen or briefing.generated_at
        return TopicBriefing(name or "", briefing, updated)

    def front(self) -> FrontPage:
        """Today's briefing of each configured topic (of every story when no topic is configured)."""
        names: list[str | None] = list(self.topics) or [None]
        return FrontPage(self.clock(), self.since, [self.topic_briefing(n) for n in names])

    # -- a story ------------------------------------------------------------------------------------

    def story(self, asked: str) -> StoryPage | None:
        if not STORY_ID.fullmatch(asked):
            return None
        story_id = self.story_reader.resolve(asked)
        info = self.story_reader.story(story_id) if story_id else None
        if info is None:
            return None
        now = self.clock()
        phase = phase_of(info.first_seen, info.last_seen, now)
        ranked = RankedStory(
            info.id,
            info.title,
            info.version,
            len(info.outlets),
            info.size,
            0,
            info.first_seen,
            info.last_seen,
            1.0,
            0.0,
            phase,
        )
        briefing = self.stories.summarize(ranked, None, self.options)
        for s in briefing.stories:
            s.id, s.phase = info.id, phase
        reports = self.story_reader.reports([info.id]).get(info.id, [])
        by_id = {a.id: a for a in self.articles(sorted({r.article_id for r in reports}))}
        timeline = [_entry(r, by_id.get(r.article_id)) for r in reports]
        for a in by_id.values():  # syndicated copies carried by other outlets
            for outlet, url in a.aliases:
                if outlet and outlet.casefold() != (a.outlet or "").casefold():
                    timeline.append(
                        TimelineEntry(
                            a.published, a.dated_by, a.fetched_at, outlet, (), a.title, url or a.url, ""
                        )
                    )
        timeline.sort(key=lambda e: (e.published or e.joined_at, e.joined_at, e.outlet))
        title = info.title or (briefing.stories[0].title if briefing.stories else "") or "(untitled story)"
        return StoryPage(
            info.id,
            asked,
            title,
            phase,
            info.first_seen,
            info.last_seen,
            briefing,
            _outlets(timeline),
            timeline,
            now,
        )

    # -- the archive and the delivery feeds ---------------------------------------------------------

    def archive_index(self) -> ArchiveIndex:
        return ArchiveIndex(self.runs.posted_days())

    def archive_day(self, day: date) -> ArchiveDay | None:
        start = datetime.combine(day, time(), tzinfo=UTC)
        records = [
            r
            for r in self.runs.records(
                since=start - timedelta(days=1),  # a run due late yesterday and posted today
                until=start + timedelta(days=1),
                posted_only=True,
                with_briefing=True,
            )
            if r.day == day and is_public_delivery(r.delivery)
        ]
        days = [d for d, _ in self.runs.posted_days()]
        if not records:
            return None
        older = [d for d in days if d < day]
        newer = [d for d in days if d > day]
        records.sort(key=lambda r: (r.posted_at or r.scheduled_for, r.delivery))
        return ArchiveDay(day, records, max(older) if older else None, min(newer) if newer else None)

    def public_deliveries(self) -> list[str]:
        """The configured deliveries that have posted (each has a feed)."""
        seen: dict[str, None] = {}
        for r in self.runs.records(posted_only=True, limit=5000):
            if is_public_delivery(r.delivery):
                seen.setdefault(r.delivery, None)
        return sorted(seen)

    def delivery_feed(self, name: str) -> list[DeliveryRecord] | None:
        """The delivery's last posted briefings, newest first; None for an unknown or private one."""
        if not is_public_delivery(name):
            return None
        records = self.runs.records(delivery=name, posted_only=True, with_briefing=True, limit=FEED_ENTRIES)
        return records if records else None

    # -- the admin page -----------------------------------------------------------------------------

    def sources(self) -> SourcesPage:
        now = self.clock()
        today = now.astimezone(UTC).date()
        days = [today - timedelta(days=n) for n in range(CHART_DAYS - 1, -1, -1)]
        start = datetime.combine(days[0], time(), tzinfo=UTC)
        counts = self.store.new_per_day(start)
        health = [
            SourceHealth(s, [(d, counts.get(s.name, {}).get(d, 0)) for d in days])
            for s in self.store.status(self.stale_after)
        ]
        history = self.runs.records(since=now - timedelta(days=HISTORY_DAYS), limit=HISTORY_MAX)
        return SourcesPage(now, health, history, self.stale_after, days)


def _entry(r: ReportInfo, article: StoredArticle | None) -> TimelineEntry:
    title = r.title or (article.title if article is not None else "")
    lead = r.lead.strip()
    if title and lead.startswith(title):  # a report's lead starts with its title
        lead = lead[len(title) :].lstrip(" .:-–—\n")
    return TimelineEntry(
        published=r.published,
        dated_by=article.dated_by if article is not None else None,
        joined_at=r.joined_at,
        outlet=(article.outlet if article is not None else "") or r.outlet,
        labels=tuple(article.labels) if article is not None else (),
        title=title,
        url=article.url if article is not None else "",
        lead=lead,
        part=r.part,
    )


def _outlets(timeline: Sequence[TimelineEntry]) -> list[OutletInfo]:
    """Every outlet of the story once, in the order it first reported, with its labels."""
    found: dict[str, dict[str, Any]] = {}
    for e in timeline:
        key = e.outlet.casefold()
        o = found.setdefault(key, {"name": e.outlet, "labels": [], "reports": 0, "first": None, "url": e.url})
        o["reports"] += 1
        o["labels"].extend(x for x in e.labels if x not in o["labels"])
        when = e.published or e.joined_at
        if o["first"] is None or when < o["first"]:
            o["first"] = when
    return [
        OutletInfo(o["name"], tuple(o["labels"]), o["reports"], o["first"], o["url"]) for o in found.values()
    ]
