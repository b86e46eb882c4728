"""A `Reply` as Discord message payloads (plain dicts in the shape of Discord's HTTP API).

Pure: no discord.py import. An adapter sends each dict as one message (discord.py:
`discord.Embed.from_dict` per embed; buttons become a persistent view keyed by the custom_id
`briefbot:more:<story id>` / `briefbot:sources:<story id>`, one per command declared with a
button); a webhook posts the dicts as they are. A story's phase is a small label above its title.

Every message carries `allowed_mentions: {"parse": []}` and all third-party and user text is
escaped (markdown) and has its mention syntax broken with a zero-width space, so nothing pings.
Discord's limits are respected by construction; a long answer is split across messages.
`reply.ephemeral` is left to the adapter (interaction responses only).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.core.commands import STORY_BUTTONS
from bot.core.replies import Reply
from bot.render.escape import citation_links, discord_plain, escape_discord, fit, safe_url, truncate
from bot.render.text import (
    all_bullets,
    briefing_heading,
    outlets_label,
    phase_label,
    published_date,
    quote_line,
    story_heading,
    story_label,
    story_ref,
    story_sources,
)
from summarizer.model import Briefing, Bullet, Quote, SourceRef, Story

TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000  # per message, summed over its embeds
EMBEDS_PER_MESSAGE = 10
CONTENT_MAX = 2000
ACTION_ROWS_MAX = 5
BUTTONS_PER_ROW = 5
LABEL_MAX = 80

COLOR = 0x2B6CB0
BULLET_MAX = 1000  # one bullet inside a briefing embed
LINE_MAX = 3900  # one line of a /more, /sources or /quote embed
FOOTER_USED = 500  # we keep footers short; they are plain text

Payload = dict[str, Any]
Embed = dict[str, Any]


def render_discord(reply: Reply, *, buttons: bool = True) -> list[Payload]:
    """The messages to send for `reply`, in order. `buttons=False` for webhooks (no one to click)."""
    if reply.kind == "briefing" and reply.briefing is not None:
        return _briefing(reply.briefing, reply.text, buttons)
    if reply.kind in ("story", "sources", "quotes") and reply.briefing is not None:
        return _story_reply(reply)
    if reply.kind in ("topics", "subscriptions") and reply.items:
        title = "Topics" if reply.kind == "topics" else "Subscriptions in this channel"
        lines = [
            f"• **{fit(i.title, 300, escape_discord)}**"
            + (f" — {fit(i.detail, 1500, escape_discord)}" if i.detail else "")
            for i in reply.items
        ]
        embeds = _line_embeds(title, lines, footer=reply.text)
        return _pack([(e, None) for e in embeds])
    return [_message(content=fit(reply.text or "", CONTENT_MAX, escape_discord) or "\u2014")]


# --- briefings ---


def _briefing(briefing: Briefing, note: str | None, buttons: bool) -> list[Payload]:
    header = f"**{fit(briefing_heading(briefing), 300, escape_discord)}**"
    if not briefing.stories:
        header += "\nNo stories found."
    if note:
        header = fit(note, CONTENT_MAX - len(header) - 1, escape_discord) + "\n" + header
    if not briefing.stories:
        return [_message(content=header)]
    units = [
        (_story_embed(briefing, story, n), _buttons_row(n, story_ref(story, n)) if buttons else None)
        for n, story in enumerate(briefing.stories, 1)
    ]
    return _pack(units, content=header)


def _story_embed(briefing: Briefing, story: Story, n: int) -> Embed:
    embed: Embed = {"title": fit(f"{n}. {story.title}", TITLE_MAX, escape_discord), "color": COLOR}
    if phase_label(story):
        embed["author"] = {"name": phase_label(story).capitalize()}
    lines: list[str] = []
    used = 0
    shown = 0
    for b in story.bullets:
        line = _bullet(briefing, b, BULLET_MAX)
        if used + len(line) + 1 > DESCRIPTION_MAX - 60:  # room for the "more" note
            break
        lines.append(line)
        used += len(line) + 1
        shown += 1
    hidden = len(story.bullets) - shown + len(story.extra_bullets)
    if hidden:
        lines.append(f"*+{hidden} more point{'s' if hidden != 1 else ''}: /more {n}*")
    if lines:
        embed["description"] = "\n".join(lines)
    quotes = _fit_lines([_quote(briefing, q, FIELD_VALUE_MAX) for q in story.quotes], FIELD_VALUE_MAX)
    if quotes:
        embed["fields"] = [{"name": "Quotes", "value": quotes, "inline": False}]
    embed["footer"] = {"text": fit(outlets_label(briefing, story), FOOTER_USED, discord_plain)}
    first = story_sources(briefing, story)
    url = safe_url(story.url or "") or (safe_url(first[0].url) if first else None)
    if url:  # the story's own page when the web face is public, else its first source
        embed["url"] = url
    return embed


def _buttons_row(n: int, ref: str) -> dict[str, Any]:
    """One button per command declared with one (More, Sources), naming the story by `ref`."""
    return {
        "type": 1,
        "components": [
            {"type": 2, "style": 2, "label": f"{c.button} · {n}", "custom_id": f"briefbot:{c.name}:{ref}"}
            for c in STORY_BUTTONS
        ],
    }


def _cites(briefing: Briefing, ids: Iterable[int], budget: int) -> str:
    """Citation numbers as links to their articles; plain numbers if the links would not fit."""
    ids = list(ids)
    text = " ".join(f"[[{i}]]({url})" if url else f"\\[{i}\\]" for i, url in citation_links(briefing, ids))
    if len(text) <= budget:
        return text
    return fit(", ".join(str(i) for i in ids), max(1, budget - 4), lambda t: f"\\[{t}\\]")


def _bullet(briefing: Briefing, b: Bullet, limit: int) -> str:
    cites = _cites(briefing, b.sources, limit // 3)
    return (
        "• " + fit(b.text, max(20, limit - len(cites) - 3), escape_discord) + (f" {cites}" if cites else "")
    )


def _quote(briefing: Briefing, q: Quote, limit: int) -> str:
    cites = _cites(briefing, q.sources, limit // 3)
    return (
        "> "
        + fit(quote_line(q), max(20, limit - len(cites) - 3), escape_discord)
        + (f" {cites}" if cites else "")
    )


def _fit_line(line: str, limit: int = LINE_MAX) -> str:
    """An already escaped line kept under `limit` (rarely needed: inputs are fitted before escaping)."""
    return truncate(line, limit)


def _fit_lines(lines: list[str], limit: int) -> str:
    """As many whole lines as fit in `limit` characters."""
    out: list[str] = []
    for line in lines:
        if len("\n".join([*out, line])) > limit:
            break
        out.append(line)
    return "\n".join(out)


# --- /more, /sources, /quote ---


def _story_reply(reply: Reply) -> list[Payload]:
    briefing, story, n = reply.briefing, reply.story, reply.story_index
    assert briefing is not None and n is not None
    heading = story_heading(story, n if reply.numbered else None)
    if reply.kind == "story":
        title = heading
        lines = [_bullet(briefing, b, LINE_MAX) for b in all_bullets(story)]
        lines += [_quote(briefing, q, LINE_MAX) for q in story.quotes]
    elif reply.kind == "sources":
        title = f"Sources · {heading}"
        lines = [_source(s) for s in story_sources(briefing, story)] or [
            "No sources are listed for this story."
        ]
    else:
        title = f"Quotes · {heading}"
        lines = [_quote(briefing, q, LINE_MAX) for q in story.quotes] or ["No direct quotes in this story."]
    embeds = _line_embeds(title, lines, footer=story_label(briefing, story))
    return _pack([(e, None) for e in embeds])


def _source(s: SourceRef) -> str:
    labels = f" ({', '.join(s.labels)})" if s.labels else ""
    head = fit(f"{s.outlet or '?'}{labels}", 300, escape_discord)
    title = fit(s.title or "(untitled)", 600, escape_discord)
    url = safe_url(s.url)
    linked = f"[{title}]({url})" if url else title
    return f"**\\[{s.id}\\] {head}** — {linked} · {published_date(s)}"


# --- shared layout ---


def _line_embeds(title: str, lines: list[str], *, footer: str | None = None) -> list[Embed]:
    """Lines packed into embeds of at most DESCRIPTION_MAX; later embeds say "(continued)"."""
    embeds: list[Embed] = []
    chunk: list[str] = []
    used = 0

    def flush() -> None:
        label = title if not embeds else f"{title} (continued)"
        embeds.append(
            {"title": fit(label, TITLE_MAX, escape_discord), "color": COLOR, "description": "\n".join(chunk)}
        )

    for line in (_fit_line(x) for x in lines):
        if chunk and used + 1 + len(line) > DESCRIPTION_MAX:
            flush()
            chunk, used = [], 0
        used += len(line) + (1 if chunk else 0)
        chunk.append(line)
    if chunk or not embeds:
        flush()
    if footer:
        embeds[-1]["footer"] = {"text": fit(footer, FOOTER_USED, discord_plain)}
    return embeds


def embed_size(embed: Embed) -> int:
    """Characters Discord counts toward the 6,000 per message."""
    size = len(embed.get("title", "")) + len(embed.get("description", ""))
    size += len(embed.get("footer", {}).get("text", "")) + len(embed.get("author", {}).get("name", ""))
    size += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
    return size


def _pack(units: list[tuple[Embed, dict[str, Any] | None]], content: str | None = None) -> list[Payload]:
    """Embeds (each with an optional action row) into as few messages as the limits allow."""
    messages: list[Payload] = []
    embeds: list[Embed] = []
    rows: list[dict[str, Any]] = []
    total = 0
    for embed, row in units:
        size = embed_size(embed)
        full = (
            len(embeds) >= EMBEDS_PER_MESSAGE
            or total + size > EMBED_TOTAL_MAX
            or (row is not None and len(rows) >= ACTION_ROWS_MAX)
        )
        if embeds and full:
            messages.append(_message(content if not messages else None, embeds, rows))
            embeds, rows, total = [], [], 0
        embeds.append(embed)
        total += size
        if row is not None:
            rows.append(row)
    if embeds or not messages:
        messages.append(_message(content if not messages else None, embeds, rows))
    return messages


def _message(
    content: str | None = None, embeds: list[Embed] | None = None, rows: list[dict[str, Any]] | None = None
) -> Payload:
    msg: Payload = {}
    if content:
        msg["content"] = content
    msg["embeds"] = embeds or []
    msg["allowed_mentions"] = {"parse": []}
    msg["components"] = rows or []
    return msg
