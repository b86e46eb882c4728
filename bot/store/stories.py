"""Stories kept in the store: each story, its reports (articles and live-blog items), old ids of merged
stories, each report's relevance to the configured topics, cached summaries, and word statistics.

A report's row holds its signature (what the story assigner matched it on), so a process that starts
later can load the open stories and go on assigning without recomputing anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from bot.core.stories import Changes, ReportInfo, StoryInfo
from bot.errors import StoryConflict
from bot.store.base import Base
from bot.store.models import UtcDateTime, utcnow
from summarizer.relevance import story_relevance
from summarizer.stories import Signature, StoryState, TermStats
from summarizer.stories.assigner import COMPARE, COMPARE_FIRST

CHUNK = 500


class StoryRow(Base):
    __tablename__ = "stories"

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    title: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=0)
    size: Mapped[int] = mapped_column(Integer, default=0)
    outlets: Mapped[list[str]] = mapped_column(JSON, default=list)
    first_seen: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_seen: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    vector_sum: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class StoryAliasRow(Base):
    """The id of a story that was merged into another: links to it keep working."""

    __tablename__ = "story_aliases"

    alias: Mapped[str] = mapped_column(String(24), primary_key=True)
    story_id: Mapped[str] = mapped_column(String(24), index=True)
    merged_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ReportRow(Base):
    """One report of a story (an article, or the n-th item of a live blog) and its signature."""

    __tablename__ = "story_reports"
    __table_args__ = (
        Index("ix_story_reports_story_joined", "story_id", "id"),
        # a story's recent reports counted from the index alone (revision 0005)
        Index("ix_story_reports_story_window", "story_id", "published", "joined_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    part: Mapped[int] = mapped_column(Integer, default=0)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    story_id: Mapped[str] = mapped_column(String(24), index=True)
    joined_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    probability: Mapped[float] = mapped_column(Float, default=0.0)
    published: Mapped[datetime | None] = mapped_column(UtcDateTime)
    outlet: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(Text, default="")
    lead: Mapped[str] = mapped_column(Text, default="")
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    terms: Mapped[bytes] = mapped_column(LargeBinary)
    names: Mapped[list[str]] = mapped_column(JSON, default=list)
    lead_names: Mapped[list[str]] = mapped_column(JSON, default=list)
    figures: Mapped[list[str]] = mapped_column(JSON, default=list)
    years: Mapped[list[int] | None] = mapped_column(JSON, default=list)  # None: stored before revision 0004
    density: Mapped[list[float]] = mapped_column(JSON, default=list)
    sentences: Mapped[list[int]] = mapped_column(JSON, default=list)


class ReportTopicRow(Base):
    """How relevant a report is to a configured topic (only relevant reports have a row)."""

    __tablename__ = "report_topics"
    __table_args__ = (Index("ix_report_topics_topic", "topic", "relevance"),)

    report_id: Mapped[int] = mapped_column(
        ForeignKey("story_reports.id", ondelete="CASCADE"), primary_key=True
    )
    topic: Mapped[str] = mapped_column(String(200), primary_key=True)
    relevance: Mapped[float] = mapped_column(Float)


class StorySummaryRow(Base):
    """A story's summary for one topic and set of options, valid while the story keeps its version."""

    __tablename__ = "story_summaries"

    story_id: Mapped[str] = mapped_column(String(24), primary_key=True)
    view: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    briefing: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class StoryBlobRow(Base):
    """State of the story index kept whole: the word statistics, the topics' fingerprint."""

    __tablename__ = "story_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class StoryRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        # (articles' newest id and count, since) when `untracked` last found none
        self._none_untracked: tuple[tuple[int, int], datetime | None] | None = None

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._sessions.begin() as s:
            yield s

    # -- the assigner's state --------------------------------------------------------------------

    def term_stats(self) -> TermStats | None:
        with self._session() as s:
            raw = s.scalar(select(StoryBlobRow.data).where(StoryBlobRow.name == "term_stats"))
        return TermStats.from_bytes(raw) if raw else None

    def epoch(self) -> tuple[int, int]:
        """(reports, aliases) now: another process assigned or merged when it changed."""
        with self._session() as s:
            reports = int(s.scalar(select(func.max(ReportRow.id))) or 0)
            aliases = int(s.scalar(select(func.count()).select_from(StoryAliasRow)) or 0)
        return reports, aliases

    def known_articles(self, article_ids: Sequence[int]) -> set[int]:
        """The articles among these that already have reports (assigned before)."""
        found: set[int] = set()
        with self._session() as s:
            for chunk in _chunks(list(article_ids)):
                found.update(s.scalars(select(ReportRow.article_id).where(ReportRow.article_id.in_(chunk))))
        return found

    def untracked(self, since: datetime | None, limit: int = 100_000) -> list[int]:
        """Stored articles (newer than `since`) that have no report yet: stored before story tracking
        existed, or while it failed (not those that have nothing to report, see `mark_empty`).

        Asked before every briefing: when none were found last time and no article was stored or deleted
        since (articles' newest id and count unchanged; only a prune deletes reports, and with their
        articles), none are found again without scanning the window's articles."""
        from bot.store.models import Article

        with self._session() as s:
            # two statements: each is answered from a b-tree alone, together they would scan the table
            top = s.scalar(select(func.max(Article.id)))
            count = s.scalar(select(func.count()).select_from(Article))
        state = (int(top or 0), int(count or 0))
        seen = self._none_untracked
        if (
            seen is not None
            and seen[0] == state
            and (seen[1] is None or (since is not None and since >= seen[1]))
        ):
            return []
        empty = set(self._empty())
        with self._session() as s:
            q = select(Article.id).where(~Article.id.in_(select(ReportRow.article_id).distinct()))
            if since is not None:
                q = q.where(Article.window_at >= since)
            found = [i for i in s.scalars(q.order_by(Article.id).limit(limit + len(empty))) if i not in empty]
        self._none_untracked = None if found else (state, since)
        return found[:limit]

    def _empty(self) -> list[int]:
        raw = self.blob("empty_articles")
        return [int(x) for x in raw.decode().split(",") if x] if raw else []

    def mark_empty(self, article_ids: Sequence[int]) -> None:
        """Articles with no text to report (all page chrome): not tried again by `untracked`."""
        if article_ids:
            known = set(self._empty()) | set(article_ids)
            self.set_blob("empty_articles", ",".join(str(i) for i in sorted(known)[-50_000:]).encode())

    def load_open(self, since: datetime | None) -> tuple[list[StoryState], list[Signature], dict[str, str]]:
        """Stories seen since `since` (or undated) with the members they are compared on, the reports
        that joined since then (the neighbourhood densities are measured against), and every alias."""
        with self._session() as s:
            q = select(StoryRow)
            if since is not None:
                q = q.where((StoryRow.last_seen >= since) | (StoryRow.last_seen.is_(None)))
            rows = list(s.scalars(q))
            by_id = {r.id: r for r in rows}
            members: dict[str, list[ReportRow]] = {r.id: [] for r in rows}
            for chunk in _chunks(list(by_id)):
                for rep in s.scalars(
                    select(ReportRow).where(ReportRow.story_id.in_(chunk)).order_by(ReportRow.id)
                ):
                    members[rep.story_id].append(rep)
            recent_q = select(ReportRow).order_by(ReportRow.id)
            if since is not None:
                recent_q = recent_q.where(ReportRow.joined_at >= since)
            recent = [_signature(r) for r in s.scalars(recent_q)]
            aliases = {a.alias: a.story_id for a in s.scalars(select(StoryAliasRow))}
        by_key = {sig.key: sig for sig in recent}
        stories = []
        for sid, row in by_id.items():
            reps = members[sid]
            if not reps:
                continue
            st = StoryState(
                sid,
                members=[r.key for r in reps],
                version=row.version,
                vector_sum=np.frombuffer(row.vector_sum, dtype="<f4").astype(np.float32),
                first_seen=row.first_seen,
                last_seen=row.last_seen,
                outlets=set(row.outlets or ()),
            )
            compared = reps[:COMPARE_FIRST], reps[COMPARE_FIRST:][-(COMPARE - COMPARE_FIRST) :]
            st.first = [by_key.get(r.key) or _signature(r) for r in compared[0]]
            st.recent = [by_key.get(r.key) or _signature(r) for r in compared[1]]
            st.aliases = [a for a, target in aliases.items() if target == sid]
            stories.append(st)
        return stories, recent, aliases

    def save(self, changes: Changes) -> None:
        """Write one round of assignment in one transaction; StoryConflict when another process has
        written reports of the same articles meanwhile (nothing of this round is then written)."""
        from sqlalchemy.exc import IntegrityError

        try:
            self._save(changes)
        except IntegrityError as exc:
            raise StoryConflict(f"stories changed under this process: {exc.orig}") from None

    def _save(self, changes: Changes) -> None:
        now = utcnow()
        with self._session() as s:
            for absorbed, kept in changes.merged:
                s.execute(update(ReportRow).where(ReportRow.story_id == absorbed).values(story_id=kept))
                s.execute(
                    update(StoryAliasRow).where(StoryAliasRow.story_id == absorbed).values(story_id=kept)
                )
                s.merge(StoryAliasRow(alias=absorbed, story_id=kept, merged_at=now))
                s.execute(delete(StoryRow).where(StoryRow.id == absorbed))
                s.execute(delete(StorySummaryRow).where(StorySummaryRow.story_id == absorbed))
            ids: dict[str, int] = {}
            for article_id, sig, story_id, p in changes.reports:
                rec = sig.to_record()
                row = ReportRow(
                    article_id=article_id,
                    part=sig.part,
                    key=sig.key,
                    story_id=story_id,
                    joined_at=now,
                    probability=p,
                    published=sig.published,
                    outlet=sig.outlet,
                    title=sig.title,
                    lead=sig.lead,
                    vector=rec["vector"],
                    terms=rec["terms"],
                    names=rec["names"],
                    lead_names=rec["lead_names"],
                    figures=rec["figures"],
                    years=rec["years"],
                    density=rec["density"],
                    sentences=rec["sentences"],
                )
                s.add(row)
                s.flush()
                ids[sig.key] = row.id
            for key, topics in changes.topics.items():
                for topic, rel in topics.items():
                    if key in ids:
                        s.add(ReportTopicRow(report_id=ids[key], topic=topic, relevance=rel))
            for st in changes.stories:
                assert st.vector_sum is not None
                existing = s.get(StoryRow, st.id)
                values = dict(
                    title=changes.titles.get(st.id, existing.title if existing else ""),
                    version=st.version,
                    size=st.size,
                    outlets=sorted(st.outlets),
                    first_seen=st.first_seen,
                    last_seen=st.last_seen,
                    vector_sum=st.vector_sum.astype("<f4").tobytes(),
                    updated_at=now,
                )
                if existing is None:
                    s.add(StoryRow(id=st.id, created_at=now, **values))
                else:
                    for k, v in values.items():
                        setattr(existing, k, v)
            if changes.stats is not None:
                s.merge(StoryBlobRow(name="term_stats", data=changes.stats.to_bytes(), updated_at=now))

    # -- topics ------------------------------------------------------------------------------------

    def blob(self, name: str) -> bytes | None:
        with self._session() as s:
            return s.scalar(select(StoryBlobRow.data).where(StoryBlobRow.name == name))

    def set_blob(self, name: str, data: bytes) -> None:
        with self._session() as s:
            s.merge(StoryBlobRow(name=name, data=data, updated_at=utcnow()))

    def reports_for_scoring(
        self, since: datetime | None, batch: int = 2000
    ) -> Iterator[list[tuple[int, Signature]]]:
        """(report id, signature) of every report joined since `since`, in batches (topics re-scored)."""
        last = 0
        while True:
            with self._session() as s:
                q = select(ReportRow).where(ReportRow.id > last).order_by(ReportRow.id).limit(batch)
                if since is not None:
                    q = q.where(ReportRow.joined_at >= since)
                rows = list(s.scalars(q))
            if not rows:
                return
            last = rows[-1].id
            yield [(r.id, _signature(r)) for r in rows]

    def replace_topics(self, relevance: Mapping[int, Mapping[str, float]], topics: Iterable[str]) -> None:
        """Set the relevance rows of these reports for these topics (others are left alone)."""
        names = list(topics)
        with self._session() as s:
            ids = list(relevance)
            for chunk in _chunks(ids):
                s.execute(
                    delete(ReportTopicRow)
                    .where(ReportTopicRow.report_id.in_(chunk))
                    .where(ReportTopicRow.topic.in_(names))
                )
            for rid, by_topic in relevance.items():
                for topic, rel in by_topic.items():
                    s.add(ReportTopicRow(report_id=rid, topic=topic, relevance=rel))

    # -- reading stories -----------------------------------------------------------------------------

    def resolve(self, story_id: str) -> str | None:
        """The current id of a story (following merges), or None when there is no such story."""
        with self._session() as s:
            for _ in range(16):
                if s.get(StoryRow, story_id) is not None:
                    return story_id
                target = s.scalar(select(StoryAliasRow.story_id).where(StoryAliasRow.alias == story_id))
                if target is None:
                    return None
                story_id = target
        return None

    def active(
        self, since: datetime, topic: str | None = None, min_relevance: float = 0.0
    ) -> list[StoryInfo]:
        """Stories with a report published (or, undated, joined) since `since`; for a topic, only those
        with a report at least `min_relevance` relevant to it, with the story's relevance
        (`summarizer.relevance.story_relevance`)."""
        window = (ReportRow.published >= since) | (
            (ReportRow.published.is_(None)) & (ReportRow.joined_at >= since)
        )
        with self._session() as s:
            found: dict[str, tuple[float, int]] = {}  # story -> (best relevance, relevant reports)
            if topic is not None:
                # the topic's stories first (its relevant reports, by index), so that only their reports
                # are counted: the cost follows the topic's stories, not the whole store
                best = (
                    select(ReportRow.story_id, func.max(ReportTopicRow.relevance), func.count())
                    .join(ReportTopicRow, ReportTopicRow.report_id == ReportRow.id)
                    .where(ReportTopicRow.topic == topic, ReportTopicRow.relevance >= min_relevance)
                    .group_by(ReportRow.story_id)
                )
                found = {sid: (float(r), int(n)) for sid, r, n in s.execute(best)}
                if not found:
                    return []
            cols = (
                StoryRow.id,
                StoryRow.title,
                StoryRow.version,
                StoryRow.size,
                StoryRow.outlets,
                StoryRow.first_seen,
                StoryRow.last_seen,
            )  # not the stories' vectors
            out = []
            for chunk in _chunks(sorted(found)) if topic is not None else [None]:
                recent = select(ReportRow.story_id, func.count().label("n")).where(window)
                if chunk is not None:
                    recent = recent.where(ReportRow.story_id.in_(chunk))
                sub = recent.group_by(ReportRow.story_id).subquery()
                q = select(*cols, sub.c.n).join(sub, sub.c.story_id == StoryRow.id)
                for sid, title, version, size, outlets, first, last, n in s.execute(q):
                    relevance = 1.0
                    if topic is not None:
                        relevance = story_relevance(found[sid][0], found[sid][1], size)
                    info = (sid, title, version, size, tuple(outlets or ()), first, last)
                    out.append(StoryInfo(*info, int(n), relevance))
        return out

    def story(self, story_id: str) -> StoryInfo | None:
        with self._session() as s:
            r = s.get(StoryRow, story_id)
            if r is None:
                return None
            return StoryInfo(
                r.id, r.title, r.version, r.size, tuple(r.outlets or ()), r.first_seen, r.last_seen
            )

    def reports(self, story_ids: Sequence[str]) -> dict[str, list[ReportInfo]]:
        """Each story's reports in the order they joined."""
        out: dict[str, list[ReportInfo]] = {sid: [] for sid in story_ids}
        cols = (
            ReportRow.story_id,
            ReportRow.article_id,
            ReportRow.part,
            ReportRow.key,
            ReportRow.sentences,
            ReportRow.published,
            ReportRow.joined_at,
            ReportRow.outlet,
            ReportRow.title,
            ReportRow.lead,
        )
        with self._session() as s:
            for chunk in _chunks(list(story_ids)):
                q = select(*cols).where(ReportRow.story_id.in_(chunk)).order_by(ReportRow.id)
                for sid, aid, part, key, sents, pub, joined, outlet, title, lead in s.execute(q):
                    out[sid].append(
                        ReportInfo(aid, part, key, tuple(sents or ()), pub, joined, outlet, title, lead)
                    )
        return out

    def summary(self, story_id: str, view: str, version: int) -> dict[str, Any] | None:
        with self._session() as s:
            row = s.get(StorySummaryRow, (story_id, view))
            if row is None or row.version != version:
                return None
            return dict(row.briefing)

    def save_summary(self, story_id: str, view: str, version: int, briefing: dict[str, Any]) -> None:
        with self._session() as s:
            s.merge(
                StorySummaryRow(
                    story_id=story_id, view=view, version=version, briefing=briefing, created_at=utcnow()
                )
            )

    # -- upkeep ------------------------------------------------------------------------------------

    @staticmethod
    def prune(session: Session, old_articles: Any) -> None:
        """Within the store's prune: drop the reports of pruned articles, then stories left empty."""
        no_sync = {"synchronize_session": False}
        old_reports = select(ReportRow.id).where(ReportRow.article_id.in_(old_articles))
        session.execute(
            delete(ReportTopicRow)
            .where(ReportTopicRow.report_id.in_(old_reports))
            .execution_options(**no_sync)
        )
        session.execute(
            delete(ReportRow).where(ReportRow.article_id.in_(old_articles)).execution_options(**no_sync)
        )
        alive = select(ReportRow.story_id).distinct()
        session.execute(
            delete(StorySummaryRow).where(StorySummaryRow.story_id.not_in(alive)).execution_options(**no_sync)
        )
        session.execute(
            delete(StoryAliasRow).where(StoryAliasRow.story_id.not_in(alive)).execution_options(**no_sync)
        )
        session.execute(delete(StoryRow).where(StoryRow.id.not_in(alive)).execution_options(**no_sync))


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _signature(r: ReportRow) -> Signature:
    return Signature.from_record(
        {
            "key": r.key,
            "doc_key": str(r.article_id),
            "part": r.part,
            "vector": r.vector,
            "terms": r.terms,
            "names": r.names or [],
            "lead_names": r.lead_names or [],
            "figures": r.figures or [],
            "years": r.years or [],
            "published": r.published,
            "outlet": r.outlet,
            "title": r.title,
            "lead": r.lead,
            "sentences": r.sentences or [],
            "density": r.density or (0.0, 0.0, 0.0),
        }
    )


__all__ = ["StoryRepository"]
