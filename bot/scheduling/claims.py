"""What the scheduler needs from the database to run each delivery exactly once across replicas.

A delivery run is keyed by `(delivery, scheduled_for)`. The first process to INSERT that key owns
it for a lease; it marks the claim `posting` (renewing the lease) just before it posts and `posted`
with the platform's message ids after. A claim whose owner died (lease expired while `claimed` or
`posting`) may be taken over once, by an atomic conditional UPDATE. Polls are claimed the same way
per `(source, slot)` so two replicas do not fetch one source for the same due time.
A run that failed before anything reached the platform (the briefing could not be composed, or the
platform refused the first message) is marked `retry` with a time (kept in `lease_expires`) after
which any replica may take it over like an expired claim, up to `len(RETRY_DELAYS)` times.
`bot.store.claims.ClaimRepository` implements this on SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

__all__ = ["MAX_ATTEMPTS", "RETRY_DELAYS", "Claim", "ClaimStatus", "ClaimStore", "retry_delay"]

ClaimStatus = Literal["claimed", "posting", "posted", "skipped", "failed", "retry"]
MAX_ATTEMPTS = 2  # the first owner, plus one takeover of a claim whose owner died
# Waits before a failed run (nothing posted) is tried again: a platform outage of a few minutes
# delays the briefing instead of losing it, and a lasting one gives up after three tries.
RETRY_DELAYS: tuple[timedelta, ...] = (timedelta(minutes=2), timedelta(minutes=10))


def retry_delay(attempts: int) -> timedelta | None:
    """How long to wait before trying a run again after its `attempts`-th try failed; None: give up."""
    return RETRY_DELAYS[attempts - 1] if 1 <= attempts <= len(RETRY_DELAYS) else None


@dataclass
class Claim:
    """A delivery run this process now owns (or a row read back for inspection)."""

    delivery: str
    scheduled_for: datetime
    owner: str
    status: ClaimStatus
    attempts: int
    lease_expires: datetime
    message_ids: list[str] = field(default_factory=list)
    platform: str | None = None
    previous_status: ClaimStatus | None = None  # set on takeover: what the dead owner had reached
    previous_owner: str | None = None
    posted_at: datetime | None = None
    error: str | None = None

    @property
    def taken_over(self) -> bool:
        return self.previous_status is not None


class ClaimStore(Protocol):
    def claim(
        self, delivery: str, scheduled_for: datetime, owner: str, now: datetime, lease: timedelta
    ) -> Claim | None:
        """Insert the claim, else take over an expired one; None when someone else has it."""

    def start_posting(self, claim: Claim, now: datetime, lease: timedelta) -> bool:
        """Mark `posting` and renew the lease, only if still ours and unexpired; False if lost."""

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
        """Record the end of a run (posted, skipped, failed, or `retry` after `retry_at`); False if the
        claim is no longer ours."""

    def get(self, delivery: str, scheduled_for: datetime) -> Claim | None: ...

    def expired(self, now: datetime, not_before: datetime, limit: int = 100) -> list[Claim]:
        """Unfinished claims whose lease ran out, and `retry` runs whose time came, that may be taken over."""

    def runs_since(self, since: datetime) -> set[tuple[str, datetime]]:
        """Every (delivery, scheduled_for) with a claim row, whatever its status, since a time."""

    def release(self, owner: str) -> int:
        """Delete this owner's unposted claims (on shutdown) so another replica can run them now."""

    def posted_fingerprints(self, delivery: str, since: datetime) -> list[dict[str, Any]]:
        """Story fingerprints stored with this delivery's posts since a time (updates mode)."""

    def claim_poll(self, source: str, slot: str, owner: str, now: datetime, lease: timedelta) -> bool:
        """Claim one poll of a source; an older claim than `lease` on the same slot may be taken."""

    def prune(self, delivery_before: datetime, poll_before: datetime) -> int: ...
