"""Sliding-window rate limits for expensive commands (/brief summarises on the CPU).

In memory and per process: limits protect the machine from a burst of requests, not a billing
quota, so losing them on restart is fine.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Hashable, Sequence


class RateLimiter:
    """At most `limit` events per `window` seconds for each key."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a rate limit needs limit >= 1 and a positive window")
        self.limit = limit
        self.window = float(window)
        self.clock = clock
        self._events: dict[Hashable, deque[float]] = {}

    def _recent(self, key: Hashable, now: float) -> deque[float]:
        events = self._events.get(key)
        if events is None:
            return deque()
        while events and events[0] <= now - self.window:
            events.popleft()
        if not events:
            del self._events[key]
        return events

    def retry_after(self, key: Hashable) -> float:
        """Seconds until `key` may act again; 0 when it may act now."""
        now = self.clock()
        events = self._recent(key, now)
        if len(events) < self.limit:
            return 0.0
        return max(0.0, events[-self.limit] + self.window - now)

    def hit(self, key: Hashable) -> None:
        now = self.clock()
        self._recent(key, now)
        self._events.setdefault(key, deque()).append(now)
        if len(self._events) > 10_000:  # forget idle keys so memory stays bounded
            for k in list(self._events):
                self._recent(k, now)


def acquire(checks: Sequence[tuple[RateLimiter, Hashable]]) -> int:
    """Record one event against every (limiter, key) if all allow it.

    Returns 0 on success, else the whole seconds to wait (at least 1); nothing is recorded then,
    so a refused request does not extend the wait.
    """
    wait = max((lim.retry_after(key) for lim, key in checks), default=0.0)
    if wait > 0:
        return max(1, math.ceil(wait))
    for lim, key in checks:
        lim.hit(key)
    return 0
