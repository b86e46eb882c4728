"""A configured `url:` source: a feed (RSS/Atom/RDF/JSON Feed) or, failing that, an article page.

With `full_text: true` each item link is fetched (bounded in count and time, under the link
policy) and the page's main text replaces the feed summary when it is longer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from datetime import UTC, datetime, timedelta

from bot.config.schema import HttpConfig, SourceConfig
from bot.core.protocols import FetchedArticle, FetchOutcome, SourceState
from bot.ingest.errors import IngestError, LinkRefused, NotAFeed, RetryLater
from bot.ingest.extract import extract_page
from bot.ingest.feeds import parse_feed
from bot.ingest.http import HTML_ACCEPT, HttpClient
from bot.ingest.items import to_articles
from bot.ingest.pages import HTML_TYPES, host_outlet, read_article_page
from bot.ingest.safety import LinkPolicy

log = logging.getLogger(__name__)

FULL_TEXT_LIMIT = 30  # pages followed per poll
_SEEN_LINKS = 5000  # links remembered between polls so a page is read once per process


class WebSource:
    """Polls one URL; never raises for an expected failure (returns `status="failed"`)."""

    def __init__(
        self,
        config: SourceConfig,
        client: HttpClient,
        http: HttpConfig,
        *,
        full_text_limit: int = FULL_TEXT_LIMIT,
    ) -> None:
        assert config.url, "WebSource needs a url"
        self.config = config
        self.name = config.name
        self.url: str = config.url
        self.interval: timedelta = config.interval
        self.client = client
        self.http = http
        self.policy = LinkPolicy.for_source(config.url)
        self.full_text_limit = full_text_limit
        self._seen_links: OrderedDict[str, None] = OrderedDict()

    def __repr__(self) -> str:
        return f"WebSource({self.name!r}, {self.url!r})"

    async def fetch(self, state: SourceState) -> FetchOutcome:
        outcome = FetchOutcome(self.name, "failed", started_at=datetime.now(UTC))
        started = time.perf_counter()
        try:
            async with self.client.session():
                await self._fetch(state, outcome)
        except RetryLater as exc:
            outcome.status, outcome.error, outcome.retry_after_s = "failed", str(exc), exc.retry_after
        except IngestError as exc:
            outcome.status, outcome.error = "failed", str(exc)
        finally:
            outcome.duration_s = time.perf_counter() - started
        return outcome

    async def _fetch(self, state: SourceState, outcome: FetchOutcome) -> None:
        res = await self.client.get(
            self.url, policy=self.policy, etag=state.etag, last_modified=state.last_modified
        )
        if res.not_modified:
            outcome.status = "not_modified"
            outcome.etag = res.etag or state.etag
            outcome.last_modified = res.last_modified or state.last_modified
            return
        outcome.etag, outcome.last_modified = res.etag, res.last_modified
        ctype = res.headers.get("content-type")
        try:
            feed = await asyncio.to_thread(
                parse_feed, res.body, url=self.url, content_type=ctype, max_items=self.http.max_items
            )
        except NotAFeed as exc:
            if not exc.html:
                raise
            article = await asyncio.to_thread(
                read_article_page,
                res.body,
                url=res.url,
                outlet=self.config.outlet,
                labels=self.config.labels,
                source_name=self.name,
            )
            if article is None:
                raise NotAFeed("not a feed (got HTML)", html=True) from None
            outcome.articles, outcome.items_seen, outcome.status = [article], 1, "ok"
            return
        outlet = self.config.outlet or feed.title or host_outlet(self.url)
        outcome.articles = to_articles(
            feed, base_url=self.url, outlet=outlet, labels=self.config.labels, source_name=self.name
        )
        outcome.items_seen, outcome.items_skipped = feed.total, feed.skipped
        outcome.warnings.extend(feed.warnings)
        for w in feed.warnings:
            log.info("source %s: %s", self.name, w)
        if self.config.full_text and outcome.articles:
            await self._full_text(outcome)
        outcome.status = "ok"

    async def _full_text(self, outcome: FetchOutcome) -> None:
        """Replace summaries with page text; drop items whose link the policy refuses."""
        feed = self.url.split("#", 1)[0]  # items without a web link got `<feed url>#item-…`: not a page
        candidates = [
            a
            for a in outcome.articles
            if a.url.startswith(("http://", "https://"))
            and a.url.split("#", 1)[0] != feed
            and a.url not in self._seen_links
        ]
        todo = candidates[: self.full_text_limit]
        if len(candidates) > len(todo):
            outcome.warnings.append(
                f"full text: read {len(todo)} of {len(candidates)} new pages this poll; "
                "the rest keep the feed summary"
            )
        refused: list[FetchedArticle] = []

        async def one(article: FetchedArticle) -> None:
            try:
                res = await self.client.get(article.url, policy=self.policy, accept=HTML_ACCEPT)
            except LinkRefused as exc:
                refused.append(article)
                outcome.warnings.append(str(exc))
                return
            except IngestError as exc:
                log.info("source %s: full text of %s not read: %s", self.name, article.url, exc)
                return
            if res.content_type not in HTML_TYPES:
                return
            page = await asyncio.to_thread(extract_page, res.body, res.url)
            self._remember(article.url)
            if page is not None and len(page.text) > len(article.text):
                article.text = page.text
                article.published = article.published or page.published

        budget = max(3 * self.http.timeout.total_seconds(), 5.0)
        tasks = [asyncio.create_task(one(a)) for a in todo]
        if not tasks:
            return
        done, pending = await asyncio.wait(tasks, timeout=budget)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        if pending:
            outcome.warnings.append(
                f"full text: {len(pending)} page(s) not read within {budget:g} s; kept the feed summary"
            )
        for task in done:
            exc = task.exception()
            if exc is not None:
                log.warning("source %s: full text failed unexpectedly: %s", self.name, exc)
                log.info("trace of the full-text failure", exc_info=exc)
        if refused:
            gone = {id(a) for a in refused}
            outcome.articles = [a for a in outcome.articles if id(a) not in gone]
            outcome.items_skipped += len(refused)

    def _remember(self, url: str) -> None:
        self._seen_links[url] = None
        while len(self._seen_links) > _SEEN_LINKS:
            self._seen_links.popitem(last=False)
