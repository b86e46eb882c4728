"""Plain-text and markdown renderings of a briefing (terminal, files, logs) and of chat replies."""

from __future__ import annotations

import textwrap

from bot.core.replies import Reply
from summarizer.model import Briefing, Bullet, Quote, SourceRef, Story


def _cite(ids: list[int]) -> str:
    return "[" + ", ".join(str(i) for i in ids) + "]" if ids else ""


def _outlets(briefing: Briefing, story: Story) -> str:
    names: list[str] = []
    for sid in story.sources:
        try:
            o = briefing.source(sid).outlet
        except KeyError:
            continue
        if o and o not in names:
            names.append(o)
    n = len(story.sources)
    label = "single source" if story.single_source else f"{n} source{'s' if n != 1 else ''}"
    return f"{label}: {', '.join(names)}" if names else label


def outlets_label(briefing: Briefing, story: Story) -> str:
    """ "3 sources: A, B, C" (or "single source: A"), shared by every renderer."""
    return _outlets(briefing, story)


PHASES = {"new": "new", "developing": "developing", "fading": "fading"}


def phase_label(story: Story) -> str:
    """The story's phase as a reader sees it ("new", "developing", "fading"), or "" when unknown."""
    return PHASES.get(story.phase or "", "")


def story_ref(story: Story, n: int) -> str:
    """What a button or link names a story by: its stable id, else its number in the briefing."""
    return story.id or str(n)


def story_heading(story: Story, n: int | None) -> str:
    """ "2. Title" (no number for a story shown on its own, outside its briefing)."""
    return f"{n}. {story.title}" if n is not None else story.title


def story_label(briefing: Briefing, story: Story) -> str:
    """ "developing · 3 sources: A, B, C": the small label after a story's heading."""
    phase = phase_label(story)
    return f"{phase} · {_outlets(briefing, story)}" if phase else _outlets(briefing, story)


def story_sources(briefing: Briefing, story: Story) -> list[SourceRef]:
    """The story's cited sources in citation order, skipping ids the briefing does not list."""
    found: list[SourceRef] = []
    for sid in story.sources:
        try:
            found.append(briefing.source(sid))
        except KeyError:
            continue
    return found


def all_bullets(story: Story) -> list[Bullet]:
    """What /more shows: the bullets of the briefing and the ones the per-story cap left out."""
    return [*story.bullets, *story.extra_bullets]


def published_date(s: SourceRef) -> str:
    """The source's date; a file's modification time says so, since it may not be when it was written."""
    if not s.published:
        return "undated"
    day = s.published.strftime("%Y-%m-%d")
    return f"file modified {day}" if s.dated_by == "file" else day


def quote_line(q: Quote) -> str:
    who = f" — {q.speaker}" if q.speaker else ""
    return f"“{q.text}”{who}"


def briefing_heading(briefing: Briefing) -> str:
    head = f"Briefing: {briefing.topic}" if briefing.topic else "Briefing"
    return f"{head} — {briefing.generated_at.strftime('%Y-%m-%d %H:%M UTC')}"


def _source_line(s: SourceRef) -> str:
    date = published_date(s)
    labels = f" ({', '.join(s.labels)})" if s.labels else ""
    return f"[{s.id}] {s.outlet or '?'}{labels} — {s.title or '(untitled)'} — {date} — {s.url}"


def render_text(briefing: Briefing, width: int = 100) -> str:
    head = f"Briefing: {briefing.topic}" if briefing.topic else "Briefing"
    when = briefing.generated_at.strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"{head} — {when}", ""]
    if not briefing.stories:
        lines.append(
            "No stories found."
            + (f" Nothing about {briefing.topic!r} in this window." if briefing.topic else "")
        )
        return "\n".join(lines)
    wrap = textwrap.TextWrapper(width=width, initial_indent="  • ", subsequent_indent="    ")
    qwrap = textwrap.TextWrapper(width=width, initial_indent="  “", subsequent_indent="    ")
    for n, story in enumerate(briefing.stories, 1):
        lines.append(f"{n}. {story.title}  ({story_label(briefing, story)})")
        for b in story.bullets:
            lines.append(wrap.fill(f"{b.text} {_cite(b.sources)}"))
        for q in story.quotes:
            who = f" — {q.speaker}" if q.speaker else ""
            lines.append(qwrap.fill(f"{q.text}”{who} {_cite(q.sources)}"))
        lines.append("")
    lines.append("Sources")
    lines.extend(_source_line(s) for s in briefing.sources)
    return "\n".join(lines)


def render_markdown(briefing: Briefing) -> str:
    head = f"# Briefing: {briefing.topic}" if briefing.topic else "# Briefing"
    lines = [head, f"_{briefing.generated_at.strftime('%Y-%m-%d %H:%M UTC')}_", ""]
    if not briefing.stories:
        lines.append("No stories found.")
        return "\n".join(lines)
    for n, story in enumerate(briefing.stories, 1):
        lines.append(f"## {n}. {story.title}")
        lines.append(f"_{story_label(briefing, story)}_")
        lines.append("")
        for b in story.bullets:
            refs = " ".join(f"[[{i}]]({briefing.source(i).url})" for i in b.sources if _has(briefing, i))
            lines.append(f"- {b.text} {refs}".rstrip())
        for q in story.quotes:
            who = f" — {q.speaker}" if q.speaker else ""
            lines.append(f"> “{q.text}”{who} {_cite(q.sources)}")
        lines.append("")
    lines.append("## Sources")
    for s in briefing.sources:
        lines.append(
            f"{s.id}. [{s.outlet or s.url}]({s.url}) — {s.title}"
            + (f" ({', '.join(s.labels)})" if s.labels else "")
        )
    return "\n".join(lines)


def _has(b: Briefing, sid: int) -> bool:
    try:
        b.source(sid)
        return True
    except KeyError:
        return False


def render_reply_text(reply: Reply, width: int = 100) -> str:
    """A chat reply as plain text (console, logs, `preview --platform text`)."""
    if reply.kind == "briefing" and reply.briefing is not None:
        body = render_text(reply.briefing, width)
        return f"{reply.text}\n\n{body}" if reply.text else body
    if reply.kind in ("story", "sources", "quotes"):
        return _story_reply_text(reply, width)
    lines = [reply.text] if reply.text and reply.kind not in ("topics", "subscriptions") else []
    for item in reply.items:
        lines.append(f"• {item.title}" + (f" — {item.detail}" if item.detail else ""))
    if reply.text and reply.kind in ("topics", "subscriptions"):
        lines.append(reply.text)
    return "\n".join(lines)


def _story_reply_text(reply: Reply, width: int) -> str:
    briefing, story, n = reply.briefing, reply.story, reply.story_index
    assert briefing is not None
    lines = [f"{story_heading(story, n if reply.numbered else None)}  ({story_label(briefing, story)})"]
    wrap = textwrap.TextWrapper(width=width, initial_indent="  • ", subsequent_indent="    ")
    qwrap = textwrap.TextWrapper(width=width, initial_indent="  ", subsequent_indent="    ")
    if reply.kind == "story":
        lines.extend(wrap.fill(f"{b.text} {_cite(b.sources)}") for b in all_bullets(story))
    if reply.kind in ("story", "quotes"):
        lines.extend(qwrap.fill(f"{quote_line(q)} {_cite(q.sources)}") for q in story.quotes)
        if reply.kind == "quotes" and not story.quotes:
            lines.append("  No direct quotes in this story.")
    if reply.kind == "sources":
        lines.extend("  " + _source_line(s) for s in story_sources(briefing, story))
    return "\n".join(lines)
