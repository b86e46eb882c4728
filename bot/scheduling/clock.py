"""The time source of the scheduling logic, injectable so tests can simulate days in milliseconds.

Production uses `SystemClock`; APScheduler only decides *when* a job wakes up, while every decision
(which fire time is due, whether a claim's lease has expired) asks a `Clock`. Tests pass a
`ManualClock` and move it by hand.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "ManualClock", "SystemClock", "as_utc"]


def as_utc(value: datetime) -> datetime:
    """An aware UTC datetime; a naive one is taken as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@runtime_checkable
class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def __call__(self) -> datetime:  # usable where a `Callable[[], datetime]` is expected
        return self.now()


class ManualClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        self._now = as_utc(start)

    def now(self) -> datetime:
        return self._now

    def __call__(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = as_utc(when)

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now
