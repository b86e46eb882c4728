"""JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1); feedparser does not read it."""

from __future__ import annotations

import json
from typing import Any

from bot.ingest.errors import FeedError, NotAFeed
from bot.ingest.extract import clean_line, clean_text, html_to_text, parse_date
from bot.ingest.items import FeedItem, ParsedFeed, finish

VERSION_PREFIX = "https://jsonfeed.org/version/"


def load_json(body: bytes) -> Any:
    """JSON from bytes in any UTF encoding; a mislabelled charset decodes lossily."""
    try:
        return json.loads(body)
    except UnicodeDecodeError:
        pass
    except json.JSONDecodeError as exc:
        raise FeedError(f"not valid JSON (line {exc.lineno}: {exc.msg})") from None
    try:
        return json.loads(body.decode("utf-8", "replace"))
    except json.JSONDecodeError as exc:
        raise FeedError(f"not valid JSON (line {exc.lineno}: {exc.msg})") from None


def is_json_feed(data: Any) -> bool:
    return isinstance(data, dict) and str(data.get("version", "")).startswith(VERSION_PREFIX)


def parse_json_feed(data: Any, *, max_items: int) -> ParsedFeed:
    if not is_json_feed(data):
        raise NotAFeed("JSON document is not a JSON Feed (no https://jsonfeed.org/version/ field)")
    raw_items = data.get("items")
    if not isinstance(raw_items, list):
        raise FeedError("JSON Feed has no 'items' list")
    feed = ParsedFeed(title=clean_line(str(data.get("title") or "")), version="json1")
    items = [_item(it) for it in raw_items if isinstance(it, dict)]
    if len(items) < len(raw_items):
        feed.warnings.append(f"{len(raw_items) - len(items)} JSON Feed item(s) are not objects")
    return finish(feed, items, max_items)


def _item(it: dict[str, Any]) -> FeedItem:
    if it.get("content_html"):
        text = html_to_text(str(it["content_html"]))
    elif it.get("content_text"):
        text = clean_text(str(it["content_text"]))
    else:
        text = clean_text(str(it.get("summary") or ""))
    link = it.get("url") or it.get("external_url")
    return FeedItem(
        title=clean_line(str(it.get("title") or "")),
        link=str(link) if link else None,
        guid=str(it["id"]) if it.get("id") is not None else None,
        published=parse_date(it.get("date_published") or it.get("date_modified")),
        text=text,
    )
