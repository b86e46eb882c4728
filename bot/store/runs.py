"""Delivery runs: the unique `(delivery, scheduled_for)` record that keeps posting exactly once.

The task engine (procrastinate, or the embedded queue) decides who runs what, retries and
recovers stalled work; this table is only the edge check. A run is inserted once (UNIQUE), its
composed briefing is stored with it, and just before posting it moves to `posting` by a
conditional UPDATE; the platform's message ids are stored after. A post job that finds the run
`posted` does nothing, and one that finds it `posting` (its predecessor died mid-post) asks the
platform first (`CheckableSink`) or gives up rather than post twice.

Statuses: queued → composing → composed → posting → posted; or skipped (updates mode, nothing
new), failed, retry (nothing was posted; the engine tries again at `next_try`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

from sqlalchemy import (
    JSON,
    Engine,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.pages import DeliveryRecord, is_public_delivery
from bot.store.base import Base
from bot.store.engine import READ_ONLY
from bot.store.models import SourceRow, UtcDateTime
from summarizer.model import Briefing

__all__ = ["FINISHED", "DeliveryRunRow", "Run", "RunRepository", "RunStatus"]

log = logging.getLogger(__name__)

RunStatus = Literal["queued", "composing", "composed", "posting", "posted", "skipped", "failed", "retry"]
FINISHED = ("posted", "skipped", "failed")


class DeliveryRunRow(Base):
    __tablename__ = "delivery_runs"
    __table_args__ = (
        UniqueConstraint("delivery", "scheduled_for", name="uq_delivery_runs_run"),
        Index("ix_delivery_runs_status", "status", "scheduled_for"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery: Mapped[str] = mapped_column(String(300))
    scheduled_for: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # compositions and posts tried
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    posted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    next_try: Mapped[datetime | None] = mapped_column(UtcDateTime)
    platform: Mapped[str | None] = mapped_column(String(32))
    message_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    fingerprints: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    briefing_json: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)


@dataclass
class Run:
    delivery: str
    scheduled_for: datetime
    status: RunStatus
    attempts: int = 0
    created_at: datetime | None = None
    posted_at: datetime | None = None
    next_try: datetime | None = None
    platform: str | None = None
    message_ids: list[str] = field(default_factory=list)
    composed: bool = False  # a briefing is stored: what is left is posting it
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


def _run(row: Any) -> Run:
    return Run(
        delivery=row.delivery,
        scheduled_for=row.scheduled_for,
        status=row.status,
        attempts=row.attempts,
        created_at=row.created_at,
        posted_at=row.posted_at,
        next_try=row.next_try,
        platform=row.platform,
        message_ids=list(row.message_ids or []),
        composed=row.briefing_json is not None,
        error=row.error,
    )


def _rowcount(result: Any) -> int:
    return int(result.rowcount or 0) if isinstance(result, CursorResult) else 0


class RunRepository:
    """Delivery runs on the article store's engine (its tables are created with the store's)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # SQLite: plain reads must not start with BEGIN IMMEDIATE (they would queue behind writers).
        self._reader = engine.execution_options(**{READ_ONLY: True})

    def _key(self, delivery: str, scheduled_for: datetime) -> Any:
        t = DeliveryRunRow
        return and_(t.delivery == delivery, t.scheduled_for == scheduled_for)

    def create(self, delivery: str, scheduled_for: datetime, now: datetime) -> bool:
        """Insert the run as `queued`; False when it exists already (another tick made it)."""
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(DeliveryRunRow).values(
                        delivery=delivery,
                        scheduled_for=scheduled_for,
                        status="queued",
                        attempts=0,
                        created_at=now,
                        updated_at=now,
                        message_ids=[],
                    )
                )
        except IntegrityError:
            return False
        return True

    def get(self, delivery: str, scheduled_for: datetime) -> Run | None:
        with self._reader.connect() as conn:
            row = conn.execute(select(DeliveryRunRow).where(self._key(delivery, scheduled_for))).first()
        return _run(row) if row is not None else None

    def briefing(self, delivery: str, scheduled_for: datetime) -> Briefing | None:
        """The composed briefing waiting to be posted."""
        t = DeliveryRunRow
        with self._reader.connect() as conn:
            text = conn.execute(select(t.briefing_json).where(self._key(delivery, scheduled_for))).scalar()
        return Briefing.from_dict(json.loads(text)) if text else None

    def move(
        self,
        delivery: str,
        scheduled_for: datetime,
        status: RunStatus,
        now: datetime,
        *,
        expect: Sequence[RunStatus],
        tried: bool = False,
        **values: Any,
    ) -> bool:
        """Set the status (and other columns) only if the run is in one of `expect`; False if not."""
        t = DeliveryRunRow
        changes: dict[str, Any] = {"status": status, "updated_at": now, **values}
        if tried:
            changes["attempts"] = t.attempts + 1
        with self.engine.begin() as conn:
            done = conn.execute(
                update(t)
                .where(self._key(delivery, scheduled_for), t.status.in_(list(expect)))
                .values(**changes)
            )
        return _rowcount(done) == 1

    def keys_since(self, since: datetime) -> set[tuple[str, datetime]]:
        """Every (delivery, scheduled_for) with a run, whatever its status, since a time."""
        t = DeliveryRunRow
        with self._reader.connect() as conn:
            return set(conn.execute(select(t.delivery, t.scheduled_for).where(t.scheduled_for >= since)))

    def unfinished(self, since: datetime, *, idle_before: datetime | None = None) -> list[Run]:
        """Runs since a time that have not ended (optionally: untouched since `idle_before`)."""
        t = DeliveryRunRow
        q = select(t).where(t.scheduled_for >= since, t.status.not_in(FINISHED))
        if idle_before is not None:
            q = q.where(t.updated_at < idle_before)
        with self._reader.connect() as conn:
            return [_run(r) for r in conn.execute(q.order_by(t.scheduled_for))]

    def runs(self, delivery: str | None = None) -> list[Run]:
        """Every run (optionally of one delivery), oldest first: for tests and `status`."""
        t = DeliveryRunRow
        q = select(t).order_by(t.scheduled_for, t.id)
        if delivery is not None:
            q = q.where(t.delivery == delivery)
        with self._reader.connect() as conn:
            return [_run(r) for r in conn.execute(q)]

    def latest_runs(self) -> list[Run]:
        """Each delivery's most recent run, by name: what `briefbot status` shows."""
        t = DeliveryRunRow
        newest = select(t.delivery, func.max(t.scheduled_for).label("at")).group_by(t.delivery).subquery()
        q = select(t).join(newest, and_(t.delivery == newest.c.delivery, t.scheduled_for == newest.c.at))
        with self._reader.connect() as conn:
            return [_run(r) for r in conn.execute(q.order_by(t.delivery))]

    def posted_days(self) -> list[tuple[date, int]]:
        """Each UTC day with posted runs of the config's deliveries (not chat subscriptions), newest
        first, with how many (the web archive's index)."""
        t = DeliveryRunRow
        q = select(t.delivery, t.posted_at, t.scheduled_for).where(t.status == "posted")
        counts: dict[date, int] = {}
        with self._reader.connect() as conn:
            for name, posted_at, scheduled_for in conn.execute(q):
                if is_public_delivery(name):
                    day = (posted_at or scheduled_for).astimezone(UTC).date()
                    counts[day] = counts.get(day, 0) + 1
        return sorted(counts.items(), reverse=True)

    def records(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        delivery: str | None = None,
        posted_only: bool = False,
        with_briefing: bool = False,
        limit: int | None = None,
    ) -> list[DeliveryRecord]:
        """Runs scheduled in [since, until), newest first, optionally with the briefing each stored
        (the web archive, the delivery feeds and the admin page's history)."""
        t = DeliveryRunRow
        cols = [
            t.delivery,
            t.scheduled_for,
            t.status,
            t.attempts,
            t.posted_at,
            t.next_try,
            t.platform,
            t.error,
        ]
        q = select(*cols, t.briefing_json if with_briefing else t.id)
        if since is not None:
            q = q.where(t.scheduled_for >= since)
        if until is not None:
            q = q.where(t.scheduled_for < until)
        if delivery is not None:
            q = q.where(t.delivery == delivery)
        if posted_only:
            q = q.where(t.status == "posted")
        q = q.order_by(t.scheduled_for.desc(), t.id.desc())
        if limit is not None:
            q = q.limit(limit)
        out = []
        with self._reader.connect() as conn:
            for name, at, status, attempts, posted_at, next_try, platform, error, extra in conn.execute(q):
                briefing = None
                if with_briefing and extra:
                    try:
                        briefing = Briefing.from_dict(json.loads(extra))
                    except (ValueError, KeyError, TypeError) as exc:
                        log.warning("the stored briefing of %s @ %s cannot be read: %s", name, at, exc)
                out.append(
                    DeliveryRecord(
                        name, at, status, attempts or 0, posted_at, next_try, platform, error, briefing
                    )
                )
        return out

    def posted_fingerprints(self, delivery: str, since: datetime) -> list[dict[str, Any]]:
        """Story fingerprints stored with this delivery's posts since a time (updates mode)."""
        t = DeliveryRunRow
        q = (
            select(t.fingerprints)
            .where(t.delivery == delivery, t.status == "posted", t.scheduled_for >= since)
            .order_by(t.scheduled_for)
        )
        found: list[dict[str, Any]] = []
        with self._reader.connect() as conn:
            for (prints,) in conn.execute(q):
                found.extend(prints or [])
        return found

    def due_sources(self, names: Sequence[str], now: datetime) -> list[str]:
        """Of these enabled sources, those never polled or whose stored next poll has come."""
        t = SourceRow
        q = select(t.name).where(
            t.name.in_(list(names)), t.enabled.is_(True), or_(t.next_poll.is_(None), t.next_poll <= now)
        )
        with self._reader.connect() as conn:
            due = set(conn.execute(q).scalars())
        known = self._known(names)
        return [n for n in names if n in due or n not in known]

    def _known(self, names: Sequence[str]) -> set[str]:
        with self._reader.connect() as conn:
            return set(conn.execute(select(SourceRow.name).where(SourceRow.name.in_(list(names)))).scalars())

    def prune(self, before: datetime) -> int:
        """Forget finished runs scheduled before a time (kept ≥ 8 days for updates-mode prints)."""
        t = DeliveryRunRow
        with self.engine.begin() as conn:
            done = conn.execute(delete(t).where(t.scheduled_for < before, t.status.in_(FINISHED)))
        return _rowcount(done)
