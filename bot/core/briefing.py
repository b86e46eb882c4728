"""The briefing service: picks articles (from the store or from files) and asks the summariser."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot.core.protocols import FetchedArticle, Store, StoredArticle

if TYPE_CHECKING:
    from bot.core.stories import StoryIndex
from summarizer.engines.base import Summarizer, SummaryOptions
from summarizer.model import Briefing, Document, Topic

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class BriefRequest:
    topic: str | None = None
    since: timedelta = timedelta(hours=24)
    max_stories: int | None = None


def to_document(article: StoredArticle | FetchedArticle, key: str | None = None) -> Document:
    """Articles from either side of the store become the summariser's `Document`."""
    if isinstance(article, StoredArticle):
        return Document(
            key=key or str(article.id),
            title=article.title,
            text=article.text,
            url=article.url,
            outlet=article.outlet,
            published=article.published,
            labels=tuple(article.labels),
            dated_by=article.dated_by,
            embeddings=article.embeddings,
        )
    return Document(
        key=key or article.url,
        title=article.title,
        text=article.text,
        url=article.url,
        outlet=article.outlet,
        published=article.published,
        labels=tuple(article.labels),
        dated_by=article.dated_by,
    )


def expand_aliases(articles: Sequence[StoredArticle]) -> list[Document]:
    """One document per stored article, plus one per other outlet that carried the same text.

    The store keeps a syndicated copy once; the summariser's dedup step folds the copies back into
    one text while keeping every outlet as a supporting source.
    """
    docs: list[Document] = []
    for a in articles:
        doc = to_document(a)
        docs.append(doc)
        for n, (outlet, url) in enumerate(getattr(a, "aliases", None) or [], 1):
            if outlet and outlet.casefold() != (a.outlet or "").casefold():
                docs.append(replace(doc, key=f"{doc.key}~{n}", outlet=outlet, url=url or doc.url))
    return docs


class BriefingService:
    def __init__(
        self,
        summarizer: Summarizer,
        topics: Sequence[Topic],
        store: Store | None = None,
        options: SummaryOptions | None = None,
        clock: Callable[[], datetime] = utcnow,
        stories: StoryIndex | None = None,
        story_url: Callable[[str], str | None] | None = None,
    ) -> None:
        self.summarizer = summarizer
        self.story_url = story_url  # a story's page on the web face, when it has a public address
        self.topics = list(topics)
        self.store = store
        self.options = options or SummaryOptions()
        self.clock = clock
        self.stories = stories

    def resolve_topic(self, text: str | None) -> Topic | None:
        """A configured topic by name or alias, else free text as a topic of its own."""
        if not text or not text.strip():
            return None
        wanted = text.strip().casefold()
        for t in self.topics:
            if wanted == t.name.casefold() or any(wanted == a.casefold() for a in t.aliases):
                return t
        return Topic(name=text.strip(), aliases=())

    def _options(self, max_stories: int | None) -> SummaryOptions:
        o = self.options
        return SummaryOptions(
            max_stories=max_stories or o.max_stories,
            max_bullets=o.max_bullets,
            max_quotes=o.max_quotes,
            bullet_chars=o.bullet_chars,
            now=self.clock(),
        )

    def brief(self, request: BriefRequest) -> Briefing:
        """A briefing of the stored stories active within `request.since` (tracked at ingest)."""
        return self.brief_topic(self.resolve_topic(request.topic), request.since, request.max_stories)

    def brief_topic(
        self,
        topic: Topic | None,
        since: timedelta,
        max_stories: int | None = None,
        now: datetime | None = None,
        *,
        catch_up: bool = True,
    ) -> Briefing:
        """`brief` for a topic already resolved (a scheduled delivery's, maybe several merged), as of
        `now`; `catch_up=False` reads only the articles already tracked into stories."""
        if self.stories is None:
            raise RuntimeError("no story index configured")
        log.info("briefing %s from the stored stories", topic.name if topic else "(all)")
        options = self._options(max_stories)
        if now is not None:
            options = replace(options, now=now)
        return self._linked(self.stories.briefing(topic, since, options, catch_up=catch_up))

    def _linked(self, briefing: Briefing) -> Briefing:
        """Each story with its page's address (chat titles link to it), when the web face is public."""
        if self.story_url is not None:
            for s in briefing.stories:
                if s.id:
                    s.url = self.story_url(s.id)
        return briefing

    def story(self, story_id: str, topic: str | None = None) -> Briefing | None:
        """One stored story by its stable id, as it reads now (None when no story has that id)."""
        if self.stories is None:
            return None
        found = self.stories.story_briefing(story_id, self.resolve_topic(topic), self._options(1))
        return self._linked(found) if found is not None else None

    def resolve_story(self, story_id: str) -> str | None:
        """A story's current id (an id absorbed by a merge gives the story it joined)."""
        return self.stories.resolve(story_id) if self.stories is not None else None

    def brief_articles(
        self, articles: Sequence[FetchedArticle], topic: str | None = None, max_stories: int | None = None
    ) -> Briefing:
        """Summarise articles read directly (``brief --input``), whatever their date."""
        docs = [to_document(a, key=f"input:{i}") for i, a in enumerate(articles)]
        return self.summarizer.summarize(docs, self.resolve_topic(topic), self._options(max_stories))
