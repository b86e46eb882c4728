"""Plain-text and markdown renderings of a briefing (terminal, files, logs)."""

from __future__ import annotations

import textwrap

from summarizer.model import Briefing, SourceRef, Story


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
    label = "single source" if story.single_source else f"{n} sources"
    return f"{label}: {', '.join(names)}" if names else label


def _source_line(s: SourceRef) -> str:
    date = s.published.strftime("%Y-%m-%d") if s.published else "undated"
    labels = f" ({', '.join(s.labels)})" if s.labels else ""
    return f"[{s.id}] {s.outlet or '?'}{labels} — {s.title or '(untitled)'} — {date} — {s.url}"


def render_text(briefing: Briefing, width: int = 100) -> str:
    head = f"Briefing: {briefing.topic}" if briefing.topic else "Briefing"
    when = briefing.generated_at.strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"{head} — {when}", ""]
    if not briefing.stories:
        lines.append("No stories found." + (f" Nothing about {briefing.topic!r} in this window." if briefing.topic else ""))
        return "\n".join(lines)
    wrap = textwrap.TextWrapper(width=width, initial_indent="  • ", subsequent_indent="    ")
    qwrap = textwrap.TextWrapper(width=width, initial_indent="  “", subsequent_indent="    ")
    for n, story in enumerate(briefing.stories, 1):
        lines.append(f"{n}. {story.title}  ({_outlets(briefing, story)})")
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
        lines.append(f"_{_outlets(briefing, story)}_")
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
        lines.append(f"{s.id}. [{s.outlet or s.url}]({s.url}) — {s.title}"
                     + (f" ({', '.join(s.labels)})" if s.labels else ""))
    return "\n".join(lines)


def _has(b: Briefing, sid: int) -> bool:
    try:
        b.source(sid)
        return True
    except KeyError:
        return False
