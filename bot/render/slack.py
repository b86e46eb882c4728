"""A `Reply` as Slack messages: `{"text": fallback, "blocks": [...]}` (Block Kit), pure dicts.

An adapter passes each dict to `chat.postMessage` / `respond`; an incoming webhook posts it as
is. All third-party and user text is escaped (`&`, `<`, `>`) in mrkdwn, and mrkdwn objects are
`verbatim` so Slack does not turn bare names into links or mentions; in plain_text objects the
mention syntax is broken with a zero-width space. Block Kit limits hold by construction; long
answers are split across messages. Buttons carry `action_id` `briefbot_<command>` (one per command
declared with a button: more, sources) and the story's stable id (its number when it has none) as
`value`. A story's phase follows its title. `reply.ephemeral` is left to the adapter.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.core.commands import STORY_BUTTONS
from bot.core.replies import Reply
from bot.render.escape import citation_links, escape_slack, fit, safe_url, slack_plain
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
from summarizer.model import Briefing, Bullet, Quote, SourceRef

BLOCKS_PER_MESSAGE = 50
SECTION_TEXT_MAX = 3000
HEADER_MAX = 150
CONTEXT_ELEMENTS_MAX = 10
BUTTON_TEXT_MAX = 75
FALLBACK_MAX = 3000

BULLET_MAX = 1000  # one bullet in a briefing
LINE_MAX = 2900  # one line of a /more, /sources or /quote answer

Block = dict[str, Any]
Message = dict[str, Any]


def render_slack(reply: Reply, *, buttons: bool = True) -> list[Message]:
    """The messages to send for `reply`, in order. `buttons=False` for incoming webhooks."""
    if reply.kind == "briefing" and reply.briefing is not None:
        return _briefing(reply.briefing, reply.text, buttons)
    if reply.kind in ("story", "sources", "quotes") and reply.briefing is not None:
        return _story_reply(reply)
    if reply.kind in ("topics", "subscriptions") and reply.items:
        title = "Topics" if reply.kind == "topics" else "Subscriptions in this channel"
        lines = [
            f"• *{fit(i.title, 300, escape_slack)}*"
            + (f" — {fit(i.detail, 1500, escape_slack)}" if i.detail else "")
            for i in reply.items
        ]
        blocks = [_header(title), *_sections(lines)]
        if reply.text:
            blocks.append(_context([fit(reply.text, 1000, escape_slack)]))
        return _pack([blocks], title)
    text = reply.text or "—"
    return [
        {
            "text": fit(text, FALLBACK_MAX, escape_slack),
            "blocks": [_section(fit(text, SECTION_TEXT_MAX, escape_slack))],
        }
    ]


# --- blocks ---


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _section(text: str) -> Block:
    return {"type": "section", "text": _mrkdwn(text)}


def _header(raw: str) -> Block:
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": fit(raw, HEADER_MAX, slack_plain), "emoji": True},
    }


def _context(texts: list[str]) -> Block:
    return {"type": "context", "elements": [_mrkdwn(t) for t in texts[:CONTEXT_ELEMENTS_MAX]]}


def _actions(n: int, ref: str) -> Block:
    """One button per command declared with one (More, Sources), naming the story by `ref`."""

    def button(label: str, action: str) -> dict[str, Any]:
        return {
            "type": "button",
            "text": {"type": "plain_text", "text": label[:BUTTON_TEXT_MAX], "emoji": True},
            "action_id": action,
            "value": ref,
        }

    return {
        "type": "actions",
        "block_id": f"briefbot_story_{n}",
        "elements": [button(f"{c.button} · {n}", f"briefbot_{c.name}") for c in STORY_BUTTONS],
    }


def _sections(lines: Iterable[str]) -> list[Block]:
    """Lines packed into as few sections as the 3,000-character limit allows."""
    blocks: list[Block] = []
    chunk: list[str] = []
    for line in lines:
        line = line if len(line) <= SECTION_TEXT_MAX else fit(line, SECTION_TEXT_MAX, lambda t: t)
        if chunk and len("\n".join([*chunk, line])) > SECTION_TEXT_MAX:
            blocks.append(_section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(_section("\n".join(chunk)))
    return blocks


def _cites(briefing: Briefing, ids: Iterable[int], budget: int) -> str:
    ids = list(ids)
    text = " ".join(
        f"<{escape_slack(url)}|[{i}]>" if url else f"[{i}]" for i, url in citation_links(briefing, ids)
    )
    if len(text) <= budget:
        return text
    return fit(", ".join(str(i) for i in ids), max(1, budget - 2), lambda t: f"[{t}]")


def _bullet(briefing: Briefing, b: Bullet, limit: int) -> str:
    cites = _cites(briefing, b.sources, limit // 3)
    return (
        "• "
        + fit(b.text.strip(), max(20, limit - len(cites) - 3), escape_slack)
        + (f" {cites}" if cites else "")
    )


def _quote(briefing: Briefing, q: Quote, limit: int) -> str:
    cites = _cites(briefing, q.sources, limit // 3)
    return (
        "> "
        + fit(quote_line(q), max(20, limit - len(cites) - 3), escape_slack)
        + (f" {cites}" if cites else "")
    )


def _source(s: SourceRef) -> str:
    labels = f" ({', '.join(s.labels)})" if s.labels else ""
    head = fit(f"[{s.id}] {s.outlet or '?'}{labels}", 300, escape_slack)
    title = fit(s.title or "(untitled)", 600, escape_slack)
    url = safe_url(s.url)
    linked = f"<{escape_slack(url)}|{title.replace('|', '¦')}>" if url else title
    return f"*{head}* — {linked} · {published_date(s)}"


# --- replies ---


def _briefing(briefing: Briefing, note: str | None, buttons: bool) -> list[Message]:
    heading = briefing_heading(briefing)
    head: list[Block] = [_header(heading)]
    if note:
        head.append(_section(fit(note, SECTION_TEXT_MAX, escape_slack)))
    if not briefing.stories:
        head.append(_section("No stories found."))
        return _pack([head], heading)
    units: list[list[Block]] = [head]
    for n, story in enumerate(briefing.stories, 1):
        title = f"*{fit(f'{n}. {story.title}', 500, escape_slack)}*"
        page = safe_url(story.url or "")
        if page:  # the story's own page on the web face
            title = f"*<{page}|{fit(f'{n}. {story.title}', 500, escape_slack)}>*"
        if phase_label(story):
            title += f"  _{phase_label(story)}_"
        lines = [title, *(_bullet(briefing, b, BULLET_MAX) for b in story.bullets)]
        if story.extra_bullets:
            lines.append(f"_+{len(story.extra_bullets)} more: /more {n}_")
        unit = _sections(lines)
        if story.quotes:
            unit += _sections([_quote(briefing, q, BULLET_MAX) for q in story.quotes])
        unit.append(_context([fit(outlets_label(briefing, story), 1000, escape_slack)]))
        if buttons:
            unit.append(_actions(n, story_ref(story, n)))
        unit.append({"type": "divider"})
        units.append(unit)
    count = len(briefing.stories)
    return _pack(units, f"{heading} — {count} stor{'y' if count == 1 else 'ies'}")


def _story_reply(reply: Reply) -> list[Message]:
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
    blocks = [
        _header(title),
        *_sections(lines),
        _context([fit(story_label(briefing, story), 1000, escape_slack)]),
    ]
    return _pack([blocks], title)


def _pack(units: list[list[Block]], fallback: str) -> list[Message]:
    """Units of blocks (a story stays whole when it can) into messages of at most 50 blocks."""
    messages: list[list[Block]] = []
    current: list[Block] = []
    for unit in units:
        if current and len(current) + len(unit) > BLOCKS_PER_MESSAGE:
            messages.append(current)
            current = []
        for block in unit:
            if len(current) >= BLOCKS_PER_MESSAGE:
                messages.append(current)
                current = []
            current.append(block)
    if current or not messages:
        messages.append(current)
    text = fit(fallback, FALLBACK_MAX - len(" (continued)"), escape_slack)
    return [
        {"text": text if i == 0 else f"{text} (continued)", "blocks": blocks}
        for i, blocks in enumerate(messages)
    ]
