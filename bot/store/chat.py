"""Chat state in the database: channel subscriptions and each channel's last briefing.

The last briefing is kept as its JSON (`Briefing.to_dict()` plus each story's `extra_bullets`) so
/more, /sources and /quote keep working after the bot restarts. `ChatRepository` implements
`bot.core.commands.ChatStore`.
"""

from __future__ import annotations

import contextlib
import json
import threading
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, Integer, String, Text, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import StaticPool

from bot.core.commands import Subscription
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


CHAT_TABLES = [
    Base.metadata.tables[SubscriptionRow.__tablename__],
    Base.metadata.tables[LastBriefingRow.__tablename__],
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

    def _now(self) -> datetime:
        return datetime.now(UTC)

    # last briefing

    def save_last_briefing(self, platform: str, channel_id: str, briefing: Briefing) -> None:
        payload = briefing_to_json(briefing)
        with self._one_at_a_time, self._session.begin() as s:
            row = s.get(LastBriefingRow, (platform, channel_id))
            if row is None:
                s.add(
                    LastBriefingRow(
                        platform=platform, channel_id=channel_id, briefing_json=payload, saved_at=self._now()
                    )
                )
            else:
                row.briefing_json = payload
                row.saved_at = self._now()

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
