"""Chat state in the database: channel subscriptions, each channel's last briefing, and what each
channel was shown of each topic.

The last briefing is kept as its JSON (`Briefing.to_dict()` plus each story's `extra_bullets`) so
/more, /sources and /quote keep working after the bot restarts. With it, the prints of what it
showed (`bot.core.updates.StoryPrint`) are added to the channel's memory of its topic, kept for
`REMEMBER_FOR`, so ``/brief TOPIC new`` shows only what changed. `ChatRepository` implements
`bot.core.commands.ChatStore`.
"""

from __future__ import annotations

import contextlib
import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, Engine, Integer, String, Text, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import StaticPool

from bot.core.commands import Subscription
from bot.core.updates import REMEMBER_FOR, story_prints, topic_key
from bot.store.base import Base
from summarizer.model import Briefing


class SubscriptionRow(Base):
    __tablename__ = "chat_subscriptions"
    __table_args__ = (UniqueConstraint("platform", "channel_id", "topic", name="uq_chat_subscription"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(32))
    workspace_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    channel_id: Mapped[str] = mapped_column(String(64))
    topic: Mapped[str] = mapped_column(String(100))
    time: Mapped[str] = mapped_column(String(5))
    timezone: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LastBriefingRow(Base):
    __tablename__ = "chat_last_briefings"

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    briefing_json: Mapped[str] = mapped_column(Text)
    saved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ShownRow(Base):
    """What one channel was shown of one topic: story prints, each with the time it was shown."""

    __tablename__ = "chat_shown"

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    topic: Mapped[str] = mapped_column(String(200), primary_key=True)
    prints_json: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


SHOWN_MAX = 2000  # prints kept per channel and topic (about a week of hourly ten-story briefings)

CHAT_TABLES = [
    Base.metadata.tables[SubscriptionRow.__tablename__],
    Base.metadata.tables[LastBriefingRow.__tablename__],
    Base.metadata.tables[ShownRow.__tablename__],
]


def briefing_to_json(briefing: Briefing) -> str:
    """`Briefing.to_dict()` with the stories' extra bullets, which `to_dict` leaves out."""
    data: dict[str, Any] = briefing.to_dict()
    for story, out in zip(briefing.stories, data["stories"], strict=True):
        out["extra_bullets"] = [b.to_dict() for b in story.extra_bullets]
    return json.dumps(data, ensure_ascii=False)


def _utc(value: datetime) -> datetime:
    """SQLite forgets the zone: values are stored as UTC and given it back on the way out."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _recent(
    prints: list[dict[str, Any]], now: datetime, keep: timedelta = REMEMBER_FOR
) -> list[dict[str, Any]]:
    """The prints shown within `keep` of now (each carries its ISO time as "at")."""
    since = now - keep
    out = []
    for p in prints:
        try:
            at = _utc(datetime.fromisoformat(str(p.get("at"))))
        except ValueError:
            continue
        if at >= since:
            out.append(p)
    return out


def _to_sub(row: SubscriptionRow) -> Subscription:
    return Subscription(
        row.platform,
        row.workspace_id,
        row.channel_id,
        row.topic,
        row.time,
        row.timezone,
        row.created_by,
        _utc(row.created_at),
    )


class ChatRepository:
    """Subscriptions and last briefings on any SQLAlchemy engine (the store's `engine`)."""

    def __init__(self, engine: Engine, *, create_tables: bool = True) -> None:
        self.engine = engine
        if create_tables:
            Base.metadata.create_all(engine, tables=CHAT_TABLES)
        self._session = sessionmaker(engine, expire_on_commit=False)
        # One shared connection (an in-memory SQLite database) must not be used by two threads at once.
        self._one_at_a_time: contextlib.AbstractContextManager[Any] = (
            threading.Lock() if isinstance(engine.pool, StaticPool) else contextlib.nullcontext()
        )

    @classmethod
    def in_memory(cls) -> ChatRepository:
        """Subscriptions and last briefings for a session that uses no database (``chat --input``)."""
        import sqlalchemy

        engine = sqlalchemy.create_engine(
            "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
        return cls(engine)

    def _now(self) -> datetime:
        return datetime.now(UTC)

    # last briefing

    def save_last_briefing(self, platform: str, channel_id: str, briefing: Briefing) -> None:
        """The channel's last briefing, and what it showed added to the channel's memory of its topic."""
        payload = briefing_to_json(briefing)
        now = self._now()
        with self._one_at_a_time, self._session.begin() as s:
            row = s.get(LastBriefingRow, (platform, channel_id))
            if row is None:
                s.add(
                    LastBriefingRow(
                        platform=platform, channel_id=channel_id, briefing_json=payload, saved_at=now
                    )
                )
            else:
                row.briefing_json = payload
                row.saved_at = now
            key = (platform, channel_id, topic_key(briefing.topic))
            shown = s.get(ShownRow, key)
            kept = _recent(json.loads(shown.prints_json) if shown is not None else [], now)
            at = now.isoformat()
            kept += [{**p.to_json(), "at": at} for p in story_prints(briefing)]
            data = json.dumps(kept[-SHOWN_MAX:], ensure_ascii=False)
            if shown is None:
                s.add(
                    ShownRow(
                        platform=key[0], channel_id=key[1], topic=key[2], prints_json=data, updated_at=now
                    )
                )
            else:
                shown.prints_json, shown.updated_at = data, now

    def shown(self, platform: str, channel_id: str, topic: str) -> list[dict[str, Any]]:
        with self._one_at_a_time, Session(self.engine) as s:
            row = s.get(ShownRow, (platform, channel_id, topic_key(topic)))
            return _recent(json.loads(row.prints_json), self._now()) if row is not None else []

    def last_briefing(self, platform: str, channel_id: str) -> Briefing | None:
        with self._one_at_a_time, Session(self.engine) as s:
            row = s.get(LastBriefingRow, (platform, channel_id))
            return Briefing.from_dict(json.loads(row.briefing_json)) if row is not None else None

    # subscriptions

    def subscribe(self, sub: Subscription) -> bool:
        """Insert, or update the time and zone of the same channel's topic; True when new."""
        for _ in range(2):  # a concurrent insert of the same key loses the race once, then updates
            try:
                with self._one_at_a_time, self._session.begin() as s:
                    row = s.scalars(
                        select(SubscriptionRow).where(
                            SubscriptionRow.platform == sub.platform,
                            SubscriptionRow.channel_id == sub.channel_id,
                            SubscriptionRow.topic == sub.topic,
                        )
                    ).one_or_none()
                    if row is not None:
                        row.time, row.timezone, row.workspace_id = sub.time, sub.timezone, sub.workspace_id
                        return False
                    s.add(
                        SubscriptionRow(
                            platform=sub.platform,
                            workspace_id=sub.workspace_id,
                            channel_id=sub.channel_id,
                            topic=sub.topic,
                            time=sub.time,
                            timezone=sub.timezone,
                            created_by=sub.created_by,
                            created_at=_utc(sub.created_at),
                        )
                    )
                return True
            except IntegrityError:
                continue
        raise RuntimeError(f"could not save the subscription to {sub.topic!r}")

    def unsubscribe(self, platform: str, channel_id: str, topic: str | None = None) -> int:
        stmt = delete(SubscriptionRow).where(
            SubscriptionRow.platform == platform, SubscriptionRow.channel_id == channel_id
        )
        if topic is not None:
            stmt = stmt.where(SubscriptionRow.topic == topic)
        with self._one_at_a_time, self._session.begin() as s:
            return int(s.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]

    def subscriptions(self, platform: str | None = None, channel_id: str | None = None) -> list[Subscription]:
        """A channel's subscriptions, or every one (for the scheduler) when no filter is given."""
        stmt = select(SubscriptionRow).order_by(
            SubscriptionRow.platform, SubscriptionRow.channel_id, SubscriptionRow.time, SubscriptionRow.topic
        )
        if platform is not None:
            stmt = stmt.where(SubscriptionRow.platform == platform)
        if channel_id is not None:
            stmt = stmt.where(SubscriptionRow.channel_id == channel_id)
        with self._one_at_a_time, Session(self.engine) as s:
            return [_to_sub(r) for r in s.scalars(stmt)]
