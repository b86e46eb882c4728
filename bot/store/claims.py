"""Tables and repository behind exactly-once scheduling (see `bot.scheduling.claims`).

Every decision is one statement the database arbitrates: a UNIQUE `(delivery, scheduled_for)`
INSERT decides who runs a delivery, and conditional UPDATEs (checked by rowcount) decide who may
take over an expired claim, post, or finish. The same SQL works on SQLite and PostgreSQL.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

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
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from bot.scheduling.claims import MAX_ATTEMPTS, Claim, ClaimStatus
from bot.store.base import Base
from bot.store.engine import READ_ONLY
from bot.store.models import UtcDateTime

__all__ = ["ClaimRepository", "DeliveryClaimRow", "PollClaimRow"]

log = logging.getLogger(__name__)

UNFINISHED = ("claimed", "posting")
RETRY = "retry"  # failed with nothing posted; `lease_expires` holds when it may be tried again


def _may_take_over(status: str, attempts: int) -> bool:
    return status == RETRY or (status in UNFINISHED and attempts < MAX_ATTEMPTS)


class DeliveryClaimRow(Base):
    __tablename__ = "delivery_claims"
    __table_args__ = (
        UniqueConstraint("delivery", "scheduled_for", name="uq_delivery_claims_run"),
        Index("ix_delivery_claims_status_lease", "status", "lease_expires"),
        Index("ix_delivery_claims_owner", "owner"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery: Mapped[str] = mapped_column(String(300))
    scheduled_for: Mapped[datetime] = mapped_column(UtcDateTime)
    owner: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    lease_expires: Mapped[datetime] = mapped_column(UtcDateTime)
    posted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    platform: Mapped[str | None] = mapped_column(String(32))
    message_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    fingerprints: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)


class PollClaimRow(Base):
    __tablename__ = "poll_claims"
    __table_args__ = (
        UniqueConstraint("source", "slot", name="uq_poll_claims_slot"),
        Index("ix_poll_claims_claimed_at", "claimed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(200))
    slot: Mapped[str] = mapped_column(String(64))
    owner: Mapped[str] = mapped_column(String(200))
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime)


def _rowcount(result: Any) -> int:
    return int(result.rowcount or 0) if isinstance(result, CursorResult) else 0


def _claim(row: Any, **extra: Any) -> Claim:
    return Claim(
        delivery=row.delivery,
        scheduled_for=row.scheduled_for,
        owner=row.owner,
        status=row.status,
        attempts=row.attempts,
        lease_expires=row.lease_expires,
        message_ids=list(row.message_ids or []),
        platform=row.platform,
        posted_at=row.posted_at,
        error=row.error,
        **extra,
    )


class ClaimRepository:
    """`ClaimStore` on a SQLAlchemy engine (the article store's `engine`). Safe across threads."""

    def __init__(self, engine: Engine, *, create_tables: bool = True) -> None:
        self.engine = engine
        # SQLite: plain reads must not start with BEGIN IMMEDIATE (they would queue behind writers).
        self._reader = engine.execution_options(**{READ_ONLY: True})
        if create_tables:
            tables = [
                Base.metadata.tables[DeliveryClaimRow.__tablename__],
                Base.metadata.tables[PollClaimRow.__tablename__],
            ]
            try:
                Base.metadata.create_all(engine, tables=tables)
            except DBAPIError:  # another process created them at the same moment
                Base.metadata.create_all(engine, tables=tables)

    # -- deliveries ------------------------------------------------------------------------------

    def claim(
        self, delivery: str, scheduled_for: datetime, owner: str, now: datetime, lease: timedelta
    ) -> Claim | None:
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(DeliveryClaimRow).values(
                        delivery=delivery,
                        scheduled_for=scheduled_for,
                        owner=owner,
                        status="claimed",
                        attempts=1,
                        claimed_at=now,
                        lease_expires=now + lease,
                        message_ids=[],
                    )
                )
            return Claim(delivery, scheduled_for, owner, "claimed", 1, now + lease)
        except IntegrityError:
            pass
        return self._take_over(delivery, scheduled_for, owner, now, lease)

    def _take_over(
        self, delivery: str, scheduled_for: datetime, owner: str, now: datetime, lease: timedelta
    ) -> Claim | None:
        t = DeliveryClaimRow
        with self.engine.begin() as conn:
            row = conn.execute(
                select(t).where(t.delivery == delivery, t.scheduled_for == scheduled_for)
            ).first()
            if row is None or row.lease_expires >= now or not _may_take_over(row.status, row.attempts):
                return None
            # Conditional on everything read: if another replica got there first, nothing changes.
            done = conn.execute(
                update(t)
                .where(
                    t.id == row.id,
                    t.owner == row.owner,
                    t.status == row.status,
                    t.attempts == row.attempts,
                    t.lease_expires < now,
                )
                .values(
                    owner=owner,
                    status="claimed",
                    attempts=row.attempts + 1,
                    claimed_at=now,
                    lease_expires=now + lease,
                )
            )
            if _rowcount(done) != 1:
                return None
        if row.status == RETRY:
            log.info(
                "trying delivery %s @ %s again (attempt %d; it failed before: %s)",
                delivery,
                scheduled_for.isoformat(),
                row.attempts + 1,
                row.error or "no detail",
            )
        else:
            log.warning(
                "took over delivery %s @ %s from %s (it had reached %r; lease expired %s)",
                delivery,
                scheduled_for.isoformat(),
                row.owner,
                row.status,
                row.lease_expires.isoformat(),
            )
        return Claim(
            delivery,
            scheduled_for,
            owner,
            "claimed",
            row.attempts + 1,
            now + lease,
            message_ids=list(row.message_ids or []),
            platform=row.platform,
            previous_status=row.status,
            previous_owner=row.owner,
        )

    def start_posting(self, claim: Claim, now: datetime, lease: timedelta) -> bool:
        t = DeliveryClaimRow
        with self.engine.begin() as conn:
            done = conn.execute(
                update(t)
                .where(
                    t.delivery == claim.delivery,
                    t.scheduled_for == claim.scheduled_for,
                    t.owner == claim.owner,
                    t.status == "claimed",
                    t.lease_expires >= now,
                )
                .values(status="posting", lease_expires=now + lease)
            )
        if _rowcount(done) != 1:
            return False
        claim.status, claim.lease_expires = "posting", now + lease
        return True

    def finish(
        self,
        claim: Claim,
        status: ClaimStatus,
        now: datetime,
        *,
        message_ids: Sequence[str] = (),
        platform: str | None = None,
        fingerprints: list[dict[str, Any]] | None = None,
        error: str | None = None,
        retry_at: datetime | None = None,
    ) -> bool:
        t = DeliveryClaimRow
        if status == RETRY and retry_at is None:
            raise ValueError("a run marked for retry needs retry_at")
        extra = {"lease_expires": retry_at} if status == RETRY else {}
        with self.engine.begin() as conn:
            done = conn.execute(
                update(t)
                .where(
                    t.delivery == claim.delivery,
                    t.scheduled_for == claim.scheduled_for,
                    t.owner == claim.owner,
                    t.status.in_(UNFINISHED),
                )
                .values(
                    status=status,
                    posted_at=now if status == "posted" else None,
                    platform=platform,
                    message_ids=list(message_ids),
                    fingerprints=fingerprints,
                    error=error,
                    **extra,
                )
            )
        if _rowcount(done) != 1:
            log.error(
                "delivery %s @ %s: the claim was no longer ours when recording %r",
                claim.delivery,
                claim.scheduled_for.isoformat(),
                status,
            )
            return False
        claim.status = status
        return True

    def get(self, delivery: str, scheduled_for: datetime) -> Claim | None:
        t = DeliveryClaimRow
        with self._reader.connect() as conn:
            row = conn.execute(
                select(t).where(t.delivery == delivery, t.scheduled_for == scheduled_for)
            ).first()
        return _claim(row) if row is not None else None

    def claims(self, delivery: str | None = None) -> list[Claim]:
        """Every claim row (optionally of one delivery), oldest first: for tests and `status`."""
        t = DeliveryClaimRow
        q = select(t).order_by(t.scheduled_for, t.id)
        if delivery is not None:
            q = q.where(t.delivery == delivery)
        with self._reader.connect() as conn:
            return [_claim(r) for r in conn.execute(q)]

    def latest_runs(self) -> list[Claim]:
        """Each delivery's most recent run, by name: what `briefbot status` shows."""
        t = DeliveryClaimRow
        newest = select(t.delivery, func.max(t.scheduled_for).label("at")).group_by(t.delivery).subquery()
        q = (
            select(t)
            .join(newest, and_(t.delivery == newest.c.delivery, t.scheduled_for == newest.c.at))
            .order_by(t.delivery)
        )
        with self._reader.connect() as conn:
            return [_claim(r) for r in conn.execute(q)]

    def expired(self, now: datetime, not_before: datetime, limit: int = 100) -> list[Claim]:
        t = DeliveryClaimRow
        q = (
            select(t)
            .where(
                or_(and_(t.status.in_(UNFINISHED), t.attempts < MAX_ATTEMPTS), t.status == RETRY),
                t.lease_expires < now,
                t.scheduled_for >= not_before,
            )
            .order_by(t.scheduled_for)
            .limit(limit)
        )
        with self._reader.connect() as conn:
            return [_claim(r) for r in conn.execute(q)]

    def runs_since(self, since: datetime) -> set[tuple[str, datetime]]:
        t = DeliveryClaimRow
        with self._reader.connect() as conn:
            return {
                (d, when)
                for d, when in conn.execute(
                    select(t.delivery, t.scheduled_for).where(t.scheduled_for >= since)
                )
            }

    def release(self, owner: str) -> int:
        t = DeliveryClaimRow
        with self.engine.begin() as conn:
            done = conn.execute(delete(t).where(t.owner == owner, t.status == "claimed"))
        return _rowcount(done)

    def posted_fingerprints(self, delivery: str, since: datetime) -> list[dict[str, Any]]:
        t = DeliveryClaimRow
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

    # -- polls -----------------------------------------------------------------------------------

    def claim_poll(self, source: str, slot: str, owner: str, now: datetime, lease: timedelta) -> bool:
        t = PollClaimRow
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(t).values(source=source, slot=slot, owner=owner, claimed_at=now))
            return True
        except IntegrityError:
            pass
        with self.engine.begin() as conn:  # the claimer may have died mid-poll: steal after a lease
            done = conn.execute(
                update(t)
                .where(t.source == source, t.slot == slot, t.claimed_at < now - lease)
                .values(owner=owner, claimed_at=now)
            )
        return _rowcount(done) == 1

    # -- upkeep ----------------------------------------------------------------------------------

    def prune(self, delivery_before: datetime, poll_before: datetime) -> int:
        """Forget finished delivery runs scheduled before one time and poll claims before another."""
        with self.engine.begin() as conn:
            a = conn.execute(
                delete(DeliveryClaimRow).where(
                    DeliveryClaimRow.scheduled_for < delivery_before,
                    DeliveryClaimRow.status.not_in(UNFINISHED),
                )
            )
            b = conn.execute(delete(PollClaimRow).where(PollClaimRow.claimed_at < poll_before))
        return _rowcount(a) + _rowcount(b)
