"""The one interface every summarisation engine implements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from summarizer.model import Briefing, Document, StoryGroup, Topic


@dataclass(frozen=True)
class SummaryOptions:
    max_stories: int = 5
    max_bullets: int = 4
    max_quotes: int = 3
    bullet_chars: int = 300
    # "now" for recency ranking; None means the newest document's date.
    now: datetime | None = None


@runtime_checkable
class Summarizer(Protocol):
    name: str

    def summarize(
        self,
        documents: Sequence[Document],
        topic: Topic | None = None,
        options: SummaryOptions | None = None,
    ) -> Briefing:
        """Turn articles into a briefing. Must never raise on odd text; empty input gives no stories."""
        ...

    def summarize_stories(
        self,
        documents: Sequence[Document],
        stories: Sequence[StoryGroup],
        topic: Topic | None = None,
        options: SummaryOptions | None = None,
    ) -> Briefing:
        """A briefing of stories already grouped (by the store's story tracking), in the order given;
        a story that yields no bullet is left out. Members name `documents` by key."""
        ...


class EngineError(RuntimeError):
    """An engine could not be built (missing optional dependency, unreadable model directory)."""
