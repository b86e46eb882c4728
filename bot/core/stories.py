"""Story tracking at ingest, and briefings read from the tracked stories.

`StoryIndex.track` runs after each poll that stored articles (the `maintain_stories` task): it
computes each new report's signature, assigns it to a story with the story assigner (loaded once
from the store and kept in memory, reloaded when another process has assigned since), merges
stories that turn out to be one event, scores each report for the configured topics, and writes
all of it in one transaction. Past reports never change story, except by a merge, which keeps
the old id as an alias.

`StoryIndex.briefing` picks stories by topic relevance, ranks them by distinct outlets, recency
and growth, and summarises only those it shows, caching each story's summary by its version.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from bot.core.briefing import expand_aliases, to_document
from bot.core.protocols import StoredArticle
from bot.errors import StoryConflict
from summarizer.engines.base import Summarizer, SummaryOptions
from summarizer.model import Briefing, Member, StoryGroup, Topic, combine
from summarizer.rank import story_score
from summarizer.relevance import RELEVANT, TopicMatcher, report_relevance
from summarizer.stories import Signature, StoryAssigner, StoryState, build_signatures, outlet_words
from summarizer.stories.timeline import phase_of

log = logging.getLogger(__name__)

KEEP_RELEVANCE = 0.2  # a report's relevance to a topic is stored from here (selection asks RELEVANT)
CANDIDATE_FACTOR = 3  # stories ranked per story shown (some compose to nothing, e.g. all chrome)
WINDOW = timedelta(days=30)  # stories with a report this recent are matched against (or storage.retention)
PARSED_SUMMARIES = 64  # summaries kept decoded in memory (a briefing shows a few; a big story's is ~100 KB)


class StoryStore(Protocol):
    """What the story index needs of the store (implemented by bot.store.stories.StoryRepository)."""

    def term_stats(self) -> Any: ...
    def epoch(self) -> tuple[int, int]: ...
    def known_articles(self, article_ids: Sequence[int]) -> set[int]: ...
    def untracked(self, since: datetime | None, limit: int = 100_000) -> list[int]: ...
    def mark_empty(self, article_ids: Sequence[int]) -> None: ...
    def load_open(self, since: datetime | None) -> tuple[list[StoryState], list[Any], dict[str, str]]: ...
    def save(self, changes: Any) -> None: ...
    def blob(self, name: str) -> bytes | None: ...
    def set_blob(self, name: str, data: bytes) -> None: ...
    def reports_for_scoring(self, since: datetime | None, batch: int = 2000) -> Any: ...
    def replace_topics(self, relevance: Any, topics: Any) -> None: ...
    def resolve(self, story_id: str) -> str | None: ...
    def active(self, since: datetime, topic: str | None = None, min_relevance: float = 0.0) -> list[Any]: ...
    def story(self, story_id: str) -> Any: ...
    def reports(self, story_ids: Sequence[str]) -> dict[str, list[Any]]: ...
    def summary(self, story_id: str, view: str, version: int) -> dict[str, Any] | None: ...
    def save_summary(self, story_id: str, view: str, version: int, briefing: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class StoryInfo:
    """What ranking and rendering need of a story, without its reports."""

    id: str
    title: str
    version: int
    size: int
    outlets: tuple[str, ...]
    first_seen: datetime | None
    last_seen: datetime | None
    recent: int = 0  # reports that joined within the window asked for
    relevance: float = 1.0  # its most relevant report's relevance to the topic asked for


@dataclass(frozen=True)
class ReportInfo:
    """One report of a story, for composing it and for its timeline."""

    article_id: int
    part: int
    key: str
    sentences: tuple[int, ...]
    published: datetime | None
    joined_at: datetime
    outlet: str
    title: str
    lead: str


@dataclass
class Changes:
    """What one round of assignment changed, written in one transaction."""

    stories: list[StoryState]
    titles: dict[str, str]
    reports: list[tuple[int, Signature, str, float]]  # (article id, signature, story id, probability)
    merged: list[tuple[str, str]]  # (absorbed id, kept id)
    topics: dict[str, dict[str, float]]  # signature key -> topic -> relevance
    stats: Any


@dataclass
class TrackReport:
    reports: int = 0
    opened: int = 0
    joined: int = 0
    merged: int = 0
    skipped: int = 0
    stories: list[str] = field(default_factory=list)  # ids of the stories that changed


@dataclass(frozen=True)
class RankedStory:
    id: str
    title: str
    version: int
    outlets: int
    size: int
    recent: int
    first_seen: datetime | None
    last_seen: datetime | None
    relevance: float
    score: float
    phase: str


def _hours(a: datetime, b: datetime | None) -> float:
    return (a - b).total_seconds() / 3600.0 if b is not None else math.nan


class StoryIndex:
    def __init__(
        self,
        repo: StoryStore,
        articles: Callable[[Sequence[int]], list[StoredArticle]],  # by id, with cached sentence vectors
        embedder: Callable[[], Any],
        summarizer: Summarizer,
        topics: Sequence[Topic],
        outlets: Sequence[str] = (),
        options: SummaryOptions | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        window: timedelta = WINDOW,
        cache_sentences: Callable[[Sequence[int]], Any] | None = None,
        since: timedelta = timedelta(hours=24),
    ) -> None:
        self.repo = repo
        self.articles = articles
        self._embedder = embedder
        self.summarizer = summarizer
        self.topics = list(topics)
        self.exclude = outlet_words(list(outlets))
        self.options = options or SummaryOptions()
        self.clock = clock
        self.window = window
        self.since = since  # the default window of a briefing (summarizer.since), for `prepare`
        self._lock = threading.RLock()
        self._assigner: StoryAssigner | None = None
        self._epoch: tuple[int, int] | None = None
        self._topic_vectors: dict[str, Any] = {}
        self._matchers: dict[str, TopicMatcher] = {}
        # encodes and stores the sentence vectors of articles about to be composed (EmbeddingIndexer.index)
        self.cache_sentences = cache_sentences
        # (story, view, version) -> its stored summary decoded: valid as long as the stored one (a story's
        # summary is kept by its version), read without decoding its JSON again for each briefing
        self._parsed: OrderedDict[tuple[str, str, int], Briefing] = OrderedDict()
        self._parsed_lock = threading.Lock()

    # -- tracking -----------------------------------------------------------------------------------

    def _load(self) -> StoryAssigner:
        """The assigner with the open stories, reloaded when another process has written since."""
        epoch = self.repo.epoch()
        if self._assigner is not None and epoch == self._epoch:
            return self._assigner
        since = self.clock() - self.window
        stats = self.repo.term_stats()
        assigner = StoryAssigner(stats=stats, new_id=new_story_id)
        stories, recent, _aliases = self.repo.load_open(since)
        assigner.load(stories)
        for sig in recent:
            assigner.neighbours.add(sig)
        self._assigner, self._epoch = assigner, epoch
        log.info("story index: %d open stories, %d recent reports", len(stories), len(recent))
        return assigner

    def track(self, article_ids: Sequence[int]) -> TrackReport:
        """Assign newly stored articles to stories (articles assigned before are skipped).

        Another process (a worker, `briefbot web`, a chat `/brief`) may track the same articles at the
        same moment: when its write lands first, this one reloads the stories and tries once more,
        skipping what the other assigned."""
        try:
            return self._track(article_ids)
        except StoryConflict as exc:
            log.info("%s; reloading the stories and trying again", exc)
            with self._lock:
                self._assigner, self._epoch = None, None
            return self._track(article_ids)

    def _track(self, article_ids: Sequence[int]) -> TrackReport:
        report = TrackReport()
        if not article_ids:
            return report
        with self._lock:
            self._check_topics()
            assigner = self._load()
            known = self.repo.known_articles(list(article_ids))
            todo = [i for i in dict.fromkeys(article_ids) if i not in known]
            report.skipped = len(article_ids) - len(todo)
            stored = self.articles(todo)
            if not stored:
                return report
            docs = [to_document(a) for a in stored]
            sigs = build_signatures(docs, self._embedder(), exclude=self.exclude)
            self.repo.mark_empty(sorted({a.id for a in stored} - {int(s.doc_key) for s in sigs}))
            floor = datetime.max.replace(tzinfo=UTC)
            sigs.sort(key=lambda s: (s.published or floor, s.key))
            touched: dict[str, None] = {}
            bridges: list[tuple[str, str]] = []
            rows: list[tuple[int, Signature, str, float]] = []
            topic_rel: dict[str, dict[str, float]] = {}
            vectors = self._vectors_of_topics()
            for sig in sigs:
                a = assigner.ingest(sig)
                touched[a.story] = None
                bridges.extend((a.story, other) for other in a.also)
                report.opened += a.opened
                report.joined += not a.opened
                rows.append((int(sig.doc_key), sig, a.story, a.probability))
                topic_rel[sig.key] = self._relevance(sig, vectors)
                sig.text = ""  # only needed while scoring
            merges = assigner.merge(pairs=bridges)
            for m in merges:
                touched.pop(m.absorbed, None)
                touched[m.kept] = None
            rows = [(aid, sig, assigner.resolve(sid), p) for aid, sig, sid, p in rows]
            changed = [assigner.stories[sid] for sid in touched if sid in assigner.stories]
            self.repo.save(
                Changes(
                    stories=changed,
                    titles={st.id: consensus_title(st) for st in changed},
                    reports=rows,
                    merged=[(m.absorbed, m.kept) for m in merges],
                    topics=topic_rel,
                    stats=assigner.stats,
                )
            )
            self._epoch = self.repo.epoch()
            report.reports, report.merged, report.stories = len(sigs), len(merges), [s.id for s in changed]
        log.info(
            "stories: %d reports, %d opened a story, %d joined one, %d merges",
            report.reports,
            report.opened,
            report.joined,
            report.merged,
        )
        return report

    def catch_up(self) -> TrackReport:
        """Track the stored articles of the window that have no story yet (a store from before story
        tracking, or articles stored while tracking failed)."""
        missing = self.repo.untracked(self.clock() - self.window)
        if missing:
            log.info("story index: tracking %d stored articles that have no story yet", len(missing))
        return self.track(missing)

    async def maintain(self, new_article_ids: Sequence[int]) -> None:
        """What the `maintain_stories` task runs for newly stored articles."""
        import asyncio

        if new_article_ids:
            await asyncio.to_thread(self.track, list(new_article_ids))
            await asyncio.to_thread(self.prepare)

    def prepare(self, since: timedelta | None = None) -> int:
        """Compose, ahead of time, the summaries the next briefings will show: the top stories overall
        and of each configured topic (only stories whose version changed are composed again).
        Returns how many summaries were composed or found cached."""
        since = since or self.since
        done = 0
        for topic in [None, *self.topics]:
            try:
                done += len(self.briefing(topic, since, self.options, catch_up=False).stories)
            except Exception:  # a summary that fails now is composed (or fails) again when asked for
                log.exception("could not prepare the %s briefing", topic.name if topic else "untopiced")
        return done

    # -- topics ---------------------------------------------------------------------------------------

    def _vectors_of_topics(self) -> dict[str, Any]:
        embedder = self._embedder()
        for t in self.topics:
            if t.name not in self._topic_vectors:
                m = embedder.encode(list(t.terms))
                import numpy as np

                m = np.asarray(m, dtype=np.float32)
                self._topic_vectors[t.name] = m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)
        return self._topic_vectors

    def _relevance(self, sig: Any, vectors: dict[str, Any]) -> dict[str, float]:
        out = {}
        for t in self.topics:
            matcher = self._matchers.get(t.name)
            if matcher is None:
                matcher = self._matchers[t.name] = TopicMatcher(t)
            rel = report_relevance(
                sig.text or sig.lead,
                sig.vector,
                matcher,
                vectors.get(t.name),
                title=sig.title or None,
            )
            if rel >= KEEP_RELEVANCE:
                out[t.name] = rel
        return out

    def _fingerprint(self) -> bytes:
        data = json.dumps([[t.name, list(t.aliases)] for t in self.topics], sort_keys=True)
        return hashlib.sha256(data.encode()).hexdigest().encode()

    def _check_topics(self) -> None:
        """Score the stored reports again when the configured topics changed (a new alias, a new topic)."""
        now = self._fingerprint()
        if self.repo.blob("topics") == now:
            return
        vectors = self._vectors_of_topics() if self.topics else {}
        count = 0
        for batch in self.repo.reports_for_scoring(self.clock() - self.window):
            texts = {
                a.id: f"{a.title}\n{a.text}"
                for a in self.articles(sorted({int(s.doc_key) for _, s in batch}))
            }
            relevance = {}
            for rid, sig in batch:
                sig.text = texts.get(int(sig.doc_key), sig.lead) if sig.part == 0 else sig.lead
                relevance[rid] = self._relevance(sig, vectors)
            self.repo.replace_topics(relevance, [t.name for t in self.topics])
            count += len(batch)
        self.repo.set_blob("topics", now)
        if count:
            log.info("topics changed: %d stored reports scored again", count)

    # -- reading --------------------------------------------------------------------------------------

    def resolve(self, story_id: str) -> str | None:
        return self.repo.resolve(story_id)

    def ranked(self, topic: Topic | None, since: timedelta, now: datetime | None = None) -> list[RankedStory]:
        """Stories active within `since`, relevant to `topic`, best first."""
        now = now or self.clock()
        configured = topic is not None and any(t.name == topic.name for t in self.topics)
        if topic is None or configured:
            infos = self.repo.active(now - since, topic.name if topic else None, RELEVANT)
        else:
            infos = self._adhoc(topic, now - since)
        out = []
        for info in infos:
            age = _hours(now, info.last_seen)
            score = story_score(
                len(info.outlets), age, info.relevance if topic is not None else 1.0, size=info.recent
            )
            out.append(
                RankedStory(
                    info.id,
                    info.title,
                    info.version,
                    len(info.outlets),
                    info.size,
                    info.recent,
                    info.first_seen,
                    info.last_seen,
                    info.relevance,
                    score,
                    phase_of(info.first_seen, info.last_seen, now),
                )
            )
        out.sort(key=lambda s: (-s.score, s.id))
        return out

    def _adhoc(self, topic: Topic, since: datetime) -> list[Any]:
        """A topic that is not configured: matched on the reports' titles, leads and lead embeddings."""
        from dataclasses import replace

        infos = self.repo.active(since)
        if not infos:
            return []
        matcher = TopicMatcher(topic)
        import numpy as np

        m = np.asarray(self._embedder().encode(list(topic.terms)), dtype=np.float32)
        vectors = m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)
        reports = self.repo.reports([i.id for i in infos])
        out = []
        for info in infos:
            best = 0.0
            for r in reports.get(info.id, []):
                best = max(
                    best, report_relevance(f"{r.title}\n{r.lead}", None, matcher, None, title=r.title or None)
                )
            if best < RELEVANT and vectors is not None:
                best = max(best, self._lead_similarity(info.id, vectors))
            if best >= RELEVANT:
                out.append(replace(info, relevance=best))
        return out

    def _lead_similarity(self, story_id: str, topic_vectors: Any) -> float:
        assigner = self._assigner
        if assigner is None or story_id not in assigner.stories:
            return 0.0
        from summarizer.relevance import _graded

        st = assigner.stories[story_id]
        return 0.8 * float(_graded(st.centroid()[None, :], topic_vectors)[0])

    def view(self, topic: Topic | None, options: SummaryOptions) -> str:
        """The summary cache's key for a topic and options."""
        raw = json.dumps(
            [
                topic.name if topic else None,
                list(topic.aliases) if topic else None,
                options.max_bullets,
                options.max_quotes,
                options.bullet_chars,
                getattr(self.summarizer, "name", ""),
            ]
        )
        return hashlib.sha1(raw.encode()).hexdigest()[:24]

    def summarize(self, story: RankedStory, topic: Topic | None, options: SummaryOptions) -> Briefing:
        """One story's summary: from the cache while its version holds, else composed and cached."""
        view = self.view(topic, options)
        key = (story.id, view, story.version)
        with self._parsed_lock:
            b = self._parsed.get(key)
            if b is not None:
                self._parsed.move_to_end(key)
        if b is None:
            cached = self.repo.summary(story.id, view, story.version)
            if cached is not None:
                b = Briefing.from_dict(cached)
                self._remember(key, b)
        if b is not None:  # the caller's own stories (it may set their phase, id), the rest shared
            return Briefing(
                b.topic, b.generated_at, [replace(s, phase=story.phase) for s in b.stories], b.sources
            )
        reports = self.repo.reports([story.id]).get(story.id, [])
        ids = sorted({r.article_id for r in reports})
        if self.cache_sentences is not None:  # sentences are encoded once, when a story is first shown
            self.cache_sentences(ids)
        stored = self.articles(ids)
        docs = expand_aliases(stored)
        members = [Member(str(r.article_id), r.sentences) for r in reports]
        copies = [Member(d.key) for d in docs if "~" in d.key]  # other outlets' copies of a member
        group = StoryGroup(story.id, tuple(members + copies), story.phase)
        opts = SummaryOptions(
            max_stories=1,
            max_bullets=options.max_bullets,
            max_quotes=options.max_quotes,
            bullet_chars=options.bullet_chars,
            now=options.now,
        )
        briefing = self.summarizer.summarize_stories(docs, [group], topic, opts)
        data = briefing.to_dict(internal=True)
        self.repo.save_summary(story.id, view, story.version, data)
        self._remember(key, Briefing.from_dict(data))  # as read back from the store next time
        return briefing

    def _remember(self, key: tuple[str, str, int], briefing: Briefing) -> None:
        with self._parsed_lock:
            self._parsed[key] = briefing
            while len(self._parsed) > PARSED_SUMMARIES:
                self._parsed.popitem(last=False)

    def story_briefing(self, story_id: str, topic: Topic | None, options: SummaryOptions) -> Briefing | None:
        """A briefing of one story, by any id it ever had (merges followed), summarised at its current
        version (from the cache while that holds); None when there is no such story."""
        current = self.resolve(story_id)
        info = self.repo.story(current) if current is not None else None
        if info is None:
            return None
        now = options.now or self.clock()
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
            phase_of(info.first_seen, info.last_seen, now),
        )
        part = self.summarize(ranked, topic, options)
        return combine(topic.name if topic else None, now, [part]) if part.stories else None

    def briefing(
        self, topic: Topic | None, since: timedelta, options: SummaryOptions, catch_up: bool = True
    ) -> Briefing:
        now = options.now or self.clock()
        if catch_up:
            self.catch_up()
        ranked = self.ranked(topic, since, now)
        parts: list[Briefing] = []
        for story in ranked[: options.max_stories * CANDIDATE_FACTOR]:
            if len(parts) >= options.max_stories:
                break
            part = self.summarize(story, topic, options)
            if part.stories:
                parts.append(part)
        return combine(topic.name if topic else None, now, parts)


def consensus_title(story: StoryState) -> str:
    """The title of the member closest to the story's centre (ties: the earliest)."""
    members = [s for s in story.compared() if s.title]
    if not members or story.vector_sum is None:
        return ""
    centre = story.centroid()
    return max(members, key=lambda s: float(s.vector @ centre)).title


def new_story_id() -> str:
    """A short random id (`s` and 10 base32 letters): stable, unguessable enough for links."""
    import base64
    import secrets

    return "s" + base64.b32encode(secrets.token_bytes(7)).decode().rstrip("=").lower()[:10]
