"""A configured source that cannot be built (its URL cannot be used): reported at every poll.

`build_sources` puts one in place of a source whose construction failed, so `fetch`, `run` and
`status` show the reason in that source's row while every other source goes on.
"""

from __future__ import annotations

from datetime import timedelta

from bot.core.protocols import FetchOutcome, SourceState


class UnusableSource:
    def __init__(self, name: str, url: str, reason: str, interval: timedelta) -> None:
        self.name = name
        self.url = url
        self.reason = reason
        self.interval = interval

    def __repr__(self) -> str:
        return f"UnusableSource({self.name!r})"

    async def fetch(self, state: SourceState) -> FetchOutcome:
        return FetchOutcome(self.name, "failed", error=self.reason)
