"""Build a StoryIndex over a test's store (what bot.app.App.stories does for the real bot)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from bot.core.briefing import BriefingService
from bot.core.stories import StoryIndex
from bot.store.stories import StoryRepository
from summarizer.engines.base import SummaryOptions
from summarizer.model import Topic


def embedder() -> Any:
    from summarizer.embed import get_embedder
    from summarizer.stories import stable_embedder

    return stable_embedder(get_embedder("auto"))


def story_index(
    store: Any,
    summarizer: Any,
    topics: Sequence[Topic],
    clock: Callable[[], datetime] | None = None,
    options: SummaryOptions | None = None,
) -> StoryIndex:
    return StoryIndex(
        StoryRepository(store.engine),
        store.articles_by_id,
        embedder,
        summarizer,
        topics,
        options=options,
        clock=clock or (lambda: datetime.now(UTC)),
    )


def briefing_service(
    summarizer: Any,
    topics: Sequence[Topic],
    store: Any,
    options: SummaryOptions | None = None,
    clock: Callable[[], datetime] | None = None,
) -> BriefingService:
    """A BriefingService reading the store's stories, as the bot's composition root builds it."""
    kw = {"clock": clock} if clock is not None else {}
    return BriefingService(
        summarizer,
        topics,
        store,
        options,
        stories=story_index(store, summarizer, topics, clock, options),
        **kw,
    )
