"""HTML to plain text: feed snippets with lxml, whole pages with trafilatura.

Everything ingest emits goes through `clean_text`, so the store and the summariser only ever see
valid Unicode without control characters, with one paragraph per blank-line-separated block.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import lxml.etree
import lxml.html

log = logging.getLogger(__name__)

_BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "tr",
        "table",
        "section",
        "article",
        "header",
        "footer",
        "figure",
        "figcaption",
        "dd",
        "dt",
        "hr",
        "aside",
    }
)
_DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "object")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_TRAFILATURA_DATE = {"outputformat": "%Y-%m-%dT%H:%M:%S%z", "extensive_search": True, "original_date": True}


def clean_text(text: str) -> str:
    """Valid Unicode, no control characters, single spaces, paragraphs separated by one blank line."""
    if not text:
        return ""
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates -> '?'
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    paragraphs = [_SPACES.sub(" ", p).strip() for p in re.split(r"\n", text)]
    return "\n\n".join(p for p in paragraphs if p)


def clean_line(text: str | None) -> str:
    """A title or name: one line, cleaned."""
    return " ".join(clean_text(text or "").split())


def html_to_text(fragment: str) -> str:
    """Text of an HTML snippet (a feed item's summary or content), one paragraph per block element."""
    if not fragment:
        return ""
    if "<" not in fragment and "&" not in fragment:
        return clean_text(fragment)
    # lxml parses U+FFFF, C0 controls and lone surrogates but refuses them when we set .text below.
    fragment = _CONTROL.sub("", fragment.encode("utf-8", "replace").decode("utf-8"))
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        try:
            root = lxml.html.fromstring(fragment)
        except (lxml.etree.ParserError, ValueError):
            return clean_text(re.sub(r"<[^>]*>", " ", fragment))
    for el in list(root.iter(*_DROP_TAGS)):
        el.drop_tree()
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.lower() in _BLOCK_TAGS:
            el.tail = "\n" + (el.tail or "")
            el.text = "\n" + (el.text or "")
    return clean_text(root.text_content())


def resolve_date(
    given: object, kind: str, text: str, fallback: datetime | None = None, fallback_kind: str = "file"
) -> tuple[datetime | None, str | None]:
    """An article's date and where it came from: `given` (of `kind`, the feed's or the page's), else a
    date the text prints at its top, else `fallback` (a file's modification time)."""
    from summarizer.dates import date_in_text

    when = parse_date(given)
    if when is not None:
        return when, kind
    when = date_in_text(text)
    if when is not None:
        return when, "text"
    return (fallback, fallback_kind) if fallback is not None else (None, None)


def parse_date(value: object) -> datetime | None:
    """ISO 8601 or RFC 2822 text (or a datetime) as an aware UTC datetime; None if unreadable."""
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            try:
                dt = parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError):
                return None
    else:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


@dataclass
class PageExtract:
    """What trafilatura found on an article page."""

    title: str
    text: str
    published: datetime | None
    sitename: str


MAX_EXTRACT_BYTES = 2_000_000  # trafilatura takes ~1.5 s and ~50 MB per MB of HTML (60 MB: 6 min, 1.8 GB)
_SCRIPT_OPEN = re.compile(rb"<(script|style|template|svg)\b", re.IGNORECASE)


def slim_html(html: bytes, limit: int = MAX_EXTRACT_BYTES) -> bytes:
    """A page small enough to extract in seconds: without script/style/svg blocks, then cut at `limit`.

    One forward pass (an unclosed block ends the page, as it does for a browser), so hostile markup
    cannot make it quadratic. Article text is never megabytes; what bloats pages is inline code.
    """
    if len(html) <= limit:
        return html
    parts: list[bytes] = []
    pos = 0
    lower = html.lower()
    while (m := _SCRIPT_OPEN.search(html, pos)) is not None:
        parts.append(html[pos : m.start()])
        end = lower.find(b"</" + m.group(1).lower(), m.end())
        if end < 0:
            pos = len(html)
            break
        close = html.find(b">", end)
        pos = len(html) if close < 0 else close + 1
    parts.append(html[pos:])
    slim = b"".join(parts)
    if len(slim) > limit:
        log.info(
            "page has %d bytes of markup after removing scripts; extracting from the first %d",
            len(slim),
            limit,
        )
        slim = slim[:limit]
    return slim


def extract_page(html: bytes | str, url: str | None = None) -> PageExtract | None:
    """Main text and metadata of a page, or None when it holds no article text.

    Bytes are passed through so trafilatura can detect a mislabelled charset itself. Pages over
    `MAX_EXTRACT_BYTES` are slimmed first (`slim_html`), so extraction stays bounded in time and memory.
    """
    if len(html) > MAX_EXTRACT_BYTES:
        html = slim_html(html.encode("utf-8", "replace") if isinstance(html, str) else html)
    try:
        import trafilatura  # 0.1 s to import; only pages need it, not feeds or local text files

        doc = trafilatura.bare_extraction(
            html,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            date_extraction_params=_TRAFILATURA_DATE,
        )
    except (ValueError, TypeError, lxml.etree.LxmlError) as exc:
        log.info("could not extract text from %s: %s", url or "page", exc)
        return None
    if doc is None:
        return None
    text = clean_text(getattr(doc, "text", "") or "")
    if not text:
        return None
    return PageExtract(
        title=clean_line(getattr(doc, "title", "")),
        text=text,
        published=parse_date(getattr(doc, "date", None)),
        sitename=clean_line(getattr(doc, "sitename", "")),
    )


def looks_like_article(page: PageExtract, min_chars: int = 280) -> bool:
    """Enough running text to brief on, not a home page or an error page."""
    return len(page.text) >= min_chars and len(page.text.split()) >= 40
