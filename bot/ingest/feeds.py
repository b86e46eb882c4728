"""Feed documents (RSS, Atom, RDF via feedparser; JSON Feed) to `ParsedFeed`.

Parsing is synchronous and CPU-bound: callers in async code run it in a thread.
"""

from __future__ import annotations

import calendar
import io
import logging
import re
import time
from datetime import UTC, datetime
from typing import Any

import feedparser
import lxml.etree

from bot.ingest.errors import EntityRefused, FeedError, NotAFeed
from bot.ingest.extract import clean_line, clean_text, html_to_text, parse_date
from bot.ingest.items import FeedItem, ParsedFeed, finish
from bot.ingest.jsonfeed import is_json_feed, load_json, parse_json_feed

log = logging.getLogger(__name__)

_ENTITY_RE = re.compile(rb"<!ENTITY", re.IGNORECASE)
_HTML_START = re.compile(
    rb"^(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.IGNORECASE | re.DOTALL
)
_FEED_ROOT = re.compile(rb"<(?:rss|feed|rdf:rdf|channel)[\s>]", re.IGNORECASE)
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_ITEM_TAGS = frozenset({"item", "entry"})
_DATE_TAGS = ("pubDate", "published", "updated", "date", "issued", "modified")
# Bozo reasons that only describe the HTTP labelling, not a broken document.
_HARMLESS_BOZO = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


def _ascii_head(body: bytes, size: int = 4096) -> bytes:
    """The start of the document with NULs (UTF-16/32 padding) and BOMs removed, for sniffing."""
    head = body[: size * 4].replace(b"\x00", b"")
    for bom in _BOMS:
        head = head.removeprefix(bom)
    return head.lstrip()[:size]


def looks_like_html(body: bytes, content_type: str | None = None) -> bool:
    head = _ascii_head(body)
    if _FEED_ROOT.search(head):
        return False
    if _HTML_START.match(head):
        return True
    return bool(
        content_type
        and content_type.split(";")[0].strip().lower() in ("text/html", "application/xhtml+xml")
        and not head.startswith(b"<?xml")
    )


def check_entities(body: bytes) -> None:
    """Refuse any `<!ENTITY` declaration before feedparser sees the bytes.

    feedparser expands internal entities itself: a 110 kB feed became 2.9 GB. NULs are dropped
    first so the check also sees UTF-16 and UTF-32 documents.
    """
    if _ENTITY_RE.search(body) or (b"\x00" in body and _ENTITY_RE.search(body.replace(b"\x00", b""))):
        raise EntityRefused(
            "refused: the document declares XML entities (<!ENTITY>), which can "
            "expand to gigabytes; feeds have no need for them"
        )


def parse_feed(body: bytes, *, url: str, content_type: str | None = None, max_items: int = 200) -> ParsedFeed:
    """Read a feed document; raises `FeedError` (or `NotAFeed` with `.html`) with a one-line reason."""
    head = _ascii_head(body, 64)
    if not head.strip():
        raise FeedError("empty document: no feed found")
    ctype = (content_type or "").split(";")[0].strip().lower()
    if head.startswith((b"{", b"[")) or ctype in ("application/feed+json", "application/json"):
        data = load_json(body)
        if not is_json_feed(data):
            raise NotAFeed("not a feed (got JSON that is not a JSON Feed)")
        return parse_json_feed(data, max_items=max_items)
    check_entities(body)
    if looks_like_html(body, content_type):
        raise NotAFeed("not a feed (got HTML)", html=True)
    body, cut_item = _drop_cut_item(body)
    trimmed = _keep_newest(body, max_items)
    if trimmed is not None:
        body, total = trimmed
        content_type = "application/xml"  # re-serialised as UTF-8 with an XML declaration
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    started = time.perf_counter()
    try:
        d = feedparser.parse(io.BytesIO(body), response_headers=headers)
    except (UnicodeError, LookupError) as exc:  # e.g. a non-ASCII byte inside encoding="…" (fuzz-found)
        raise FeedError(
            f"not a readable feed: cannot decode it ({type(exc).__name__}: "
            f"{' '.join(str(exc).split())[:120]})"
        ) from None
    log.debug("feedparser read %s in %.2f s", url, time.perf_counter() - started)
    version = d.get("version") or ""
    entries = d.get("entries") or []
    if not version and not entries:
        if d.get("bozo"):
            raise FeedError(f"not a readable feed: {_bozo_line(d)}")
        raise NotAFeed("not a feed (no RSS, Atom or RDF document found)")
    feed = ParsedFeed(title=clean_line(d.get("feed", {}).get("title", "")), version=version or "unknown")
    if d.get("bozo") and not isinstance(d.get("bozo_exception"), _HARMLESS_BOZO):
        feed.warnings.append(f"not well-formed XML ({_bozo_line(d)}); read what could be read")
    feed = finish(feed, [_item(e) for e in entries], max_items)
    if cut_item:
        feed.warnings.append("the document ends inside an item; that item was skipped until it arrives whole")
    if trimmed is not None:
        dropped = total - len(entries)
        feed.total += dropped
        feed.skipped += dropped
        feed.warnings.append(
            f"read the newest {max_items} of {total} items; {feed.skipped} skipped (http.max_items)"
        )
    return feed


_ITEM_CLOSE = re.compile(rb"</(?:item|entry)\s*>|<(?:item|entry)\b[^>]*/>")


def _drop_cut_item(body: bytes) -> tuple[bytes, bool]:
    """Cut a document that ends inside an item (a broken transfer) before that item.

    feedparser would read the half item, and the store, which keys articles by URL, would keep its
    half text for good; whole, it comes with the next poll. (Soak-found.)
    """
    if b"\x00" in body[:64]:  # UTF-16/32: leave it to feedparser
        return body, False
    start = len(body)
    while True:
        start = max(body.rfind(b"<item", 0, start), body.rfind(b"<entry", 0, start))
        if start < 0:
            return body, False
        after = body[start + (5 if body.startswith(b"<item", start) else 6) : start + 7][:1]
        if after in (b">", b" ", b"\t", b"\r", b"\n", b"/", b""):
            break
    if _ITEM_CLOSE.search(body, start):
        return body, False
    return body[:start], True


def _keep_newest(body: bytes, max_items: int) -> tuple[bytes, int] | None:
    """Cut a long feed to its newest `max_items` items before feedparser reads it.

    feedparser takes about 1 ms per item (20 s for 20,000); lxml finds and dates the items in a
    fraction of that. Returns (smaller document, items found), or None to leave the body alone
    (few items, or nothing lxml can read even in recovery mode).
    """
    view = body.replace(b"\x00", b"") if b"\x00" in body[:64] else body
    if view.count(b"<item") + view.count(b"<entry") <= max_items:
        return None
    root = None
    for recover in (False, True):  # recovery reads what an ill-formed feed still holds
        parser = lxml.etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, recover=recover
        )
        try:
            root = lxml.etree.fromstring(body, parser)
        except (lxml.etree.XMLSyntaxError, ValueError):
            continue
        if root is not None:
            break
    if root is None:
        return None
    items = [
        el for el in root.iter() if isinstance(el.tag, str) and lxml.etree.QName(el).localname in _ITEM_TAGS
    ]
    if len(items) <= max_items:
        return None
    order = sorted(range(len(items)), key=lambda i: _item_date_key(items[i], i), reverse=True)
    for i in order[max_items:]:
        parent = items[i].getparent()
        if parent is not None:
            parent.remove(items[i])
    return lxml.etree.tostring(root.getroottree(), xml_declaration=True, encoding="utf-8"), len(items)


def _item_date_key(el: Any, index: int) -> tuple[bool, datetime, int]:
    for child in el:
        if isinstance(child.tag, str) and lxml.etree.QName(child).localname in _DATE_TAGS:
            when = parse_date((child.text or "").strip())
            if when is not None:
                return (True, when, -index)
    return (False, datetime.min.replace(tzinfo=UTC), -index)


def _bozo_line(d: Any) -> str:
    exc = d.get("bozo_exception")
    if exc is None:
        return "unknown problem"
    if hasattr(exc, "getLineNumber") and hasattr(exc, "getMessage"):  # expat's SAXParseException
        return f"line {exc.getLineNumber()}: {exc.getMessage()}"[:200]
    text = " ".join(str(exc).split())
    return (text or type(exc).__name__)[:200]


def _item(e: Any) -> FeedItem:
    title = e.get("title", "") or ""
    if (e.get("title_detail") or {}).get("type") in ("text/html", "application/xhtml+xml"):
        title = html_to_text(title)
    return FeedItem(
        title=clean_line(title),
        link=_link(e),
        guid=clean_line(e.get("id")) or None,
        published=_when(e.get("published_parsed") or e.get("updated_parsed") or e.get("created_parsed")),
        text=_text(e),
    )


def _link(e: Any) -> str | None:
    link = e.get("link")
    if not link:
        for candidate in e.get("links") or []:
            if candidate.get("rel", "alternate") == "alternate" and candidate.get("href"):
                link = candidate["href"]
                break
    return clean_line(link) or None


def _text(e: Any) -> str:
    """The longest of the item's contents, else its summary, as plain text."""
    candidates: list[tuple[str, str]] = [
        (c.get("value") or "", c.get("type") or "text/html") for c in e.get("content") or []
    ]
    if not candidates or not any(v.strip() for v, _ in candidates):
        detail = e.get("summary_detail") or {}
        candidates = [(e.get("summary") or "", detail.get("type") or "text/html")]
    value, kind = max(candidates, key=lambda c: len(c[0]))
    return clean_text(value) if kind == "text/plain" else html_to_text(value)


def _when(parsed: time.struct_time | None) -> datetime | None:
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (OverflowError, ValueError, OSError, TypeError):
        return None
