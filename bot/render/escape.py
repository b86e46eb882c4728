"""Escaping and cutting of untrusted text for chat payloads.

Everything a briefing shows (titles, bullets, quotes, outlet names, URLs) comes from third-party
web pages, and command answers echo what users typed, so no such text reaches Discord or Slack
unescaped: it must never format, link or — worst — mention anyone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from urllib.parse import quote, urlsplit

from summarizer.model import Briefing

ZWSP = "\u200b"
ELLIPSIS = "…"

# `@everyone` / `@here` / `@channel` (any case) and `<@…>`, `<@&…>`, `<#…>`, `<!…>` forms.
_AT_WORD = re.compile(r"@(?=(everyone|here|channel)\b)", re.IGNORECASE)
_ANGLE_MENTION = re.compile(r"<(?=[@#!&])")
_DISCORD_MD = re.compile(r"([\\*_~`|>#\[\]()])")
_DISCORD_LIST = re.compile(r"^(\s*)(\d+)\.(?=\s)|^(\s*)([-+])(?=\s)", re.MULTILINE)
_URL_SAFE = ":/?=&%~+,;$*'#"
_MAX_URL = 1000


def neutralize_mentions(text: str) -> str:
    """Insert a zero-width space so no mention syntax stays intact (it still reads the same)."""
    return _ANGLE_MENTION.sub("<" + ZWSP, _AT_WORD.sub("@" + ZWSP, text))


def escape_discord(text: str) -> str:
    """For places Discord renders markdown (content, embed title/description/field values)."""
    text = _DISCORD_MD.sub(r"\\\1", neutralize_mentions(text))
    return _DISCORD_LIST.sub(
        lambda m: f"{m.group(1)}{m.group(2)}\\." if m.group(2) else f"{m.group(3)}\\{m.group(4)}", text
    )


def discord_plain(text: str) -> str:
    """For places Discord shows as plain text (footer, button label): mentions only."""
    return neutralize_mentions(text)


def escape_slack(text: str) -> str:
    """For Slack mrkdwn (and the message's `text` fallback): the three entities Slack decodes."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _AT_WORD.sub("@" + ZWSP, text)


def slack_plain(text: str) -> str:
    """For Slack plain_text objects (header, button text), which are shown as typed."""
    return neutralize_mentions(text)


def safe_url(url: str | None) -> str | None:
    """An http(s) URL safe inside a markdown link or a Slack `<url|text>`, else None.

    Characters that would end the link or look like mention syntax are percent-encoded.
    """
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
        return None
    rest = url[len(parts.scheme) + 3 + len(parts.netloc) :]
    host = re.sub(r"[^A-Za-z0-9.:\[\]-]", "", parts.netloc)
    if host != parts.netloc:
        return None
    clean = f"{parts.scheme.lower()}://{host}{quote(rest, safe=_URL_SAFE)}"
    return clean if len(clean) <= _MAX_URL else None


def truncate(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at a word boundary, ending in "…" when cut."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return ELLIPSIS[:limit]
    head = text[: limit - 1]
    cut = head.rstrip()
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space >= limit // 2:  # a word boundary not too far back; else one huge "word" (a URL, CJK)
        cut = cut[:space]
    return cut.rstrip(" \n,;:") + ELLIPSIS


def fit(raw: str, limit: int, escape: Callable[[str], str]) -> str:
    """`escape(raw)`, shortened at word boundaries so the escaped result has at most `limit` chars.

    Cutting before escaping never splits an escape sequence or an entity.
    """
    out = escape(raw)
    if len(out) <= limit:
        return out
    n = min(len(raw), limit)
    while n > 0:
        out = escape(truncate(raw, n))
        if len(out) <= limit:
            return out
        n = min(n - 1, n * limit // len(out))
    return ""


def citation_links(briefing: Briefing, ids: Iterable[int]) -> list[tuple[int, str | None]]:
    """Each cited source id with its link-safe URL (None when unknown or not http(s))."""
    out: list[tuple[int, str | None]] = []
    for i in ids:
        try:
            out.append((i, safe_url(briefing.source(i).url)))
        except KeyError:
            out.append((i, None))
    return out
