"""Feed items as every reader (RSS/Atom/RDF, JSON Feed, local files) produces them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.core.protocols import FetchedArticle
from bot.ingest.extract import clean_line, resolve_date

_EPOCH = datetime.min.replace(tzinfo=UTC)


@dataclass
class FeedItem:
    title: str
    link: str | None
    guid: str | None
    published: datetime | None
    text: str


@dataclass
class ParsedFeed:
    """A feed after the item cap: `items` newest first, `total` as found in the document."""

    title: str
    version: str
    items: list[FeedItem] = field(default_factory=list)
    total: int = 0
    skipped: int = 0
    warnings: list[str] = field(default_factory=list)


def item_url(item: FeedItem, base: str) -> str:
    """The item's own http(s) link, else a stable URL under the feed's (so the store can dedup)."""
    for candidate in (item.link, item.guid):
        if candidate and candidate.startswith(("http://", "https://")):
            return candidate
    key = item.guid or item.link or f"{item.title}\n{item.text[:500]}"
    return f"{base.split('#', 1)[0]}#item-{hashlib.sha1(key.encode('utf-8', 'replace')).hexdigest()[:16]}"


def finish(feed: ParsedFeed, raw: list[FeedItem], max_items: int) -> ParsedFeed:
    """Drop empty items, keep the newest `max_items` (undated ones last, in document order)."""
    usable = [it for it in raw if it.title or it.text]
    feed.total = len(raw)
    empty = len(raw) - len(usable)
    if empty:
        feed.warnings.append(f"{empty} item(s) without title or text ignored")
    usable.sort(key=lambda it: (it.published is not None, it.published or _EPOCH), reverse=True)
    feed.items = usable[:max_items]
    over = len(usable) - len(feed.items)
    if over:
        feed.warnings.append(
            f"read the newest {max_items} of {len(usable)} items; {over} skipped (http.max_items)"
        )
    feed.skipped = empty + over
    return feed


def title_or_excerpt(title: str, text: str) -> str:
    if title:
        return title
    words = text.split()
    return " ".join(words[:12]) + ("…" if len(words) > 12 else "") if words else "(untitled)"


def to_articles(
    feed: ParsedFeed,
    *,
    base_url: str,
    outlet: str,
    labels: list[str],
    source_name: str,
) -> list[FetchedArticle]:
    out = []
    for it in feed.items:
        text = it.text or clean_line(it.title)
        published, dated_by = resolve_date(it.published, "feed", text)
        out.append(
            FetchedArticle(
                url=item_url(it, base_url),
                title=title_or_excerpt(clean_line(it.title), it.text),
                text=text,
                outlet=outlet,
                published=published,
                guid=it.guid,
                labels=list(labels),
                source_name=source_name,
                dated_by=dated_by,
            )
        )
    return out
