"""What changed since a topic was last shown: new stories, and new facts in old ones.

`updates` deliveries and ``/brief TOPIC new`` both filter a fresh briefing against the prints of
what was shown before (a delivery's earlier posts; a channel's earlier briefings of the topic). A
story's print holds its stable id, its cited URLs, and hashes of the bullets shown, of every
bullet it had (shown, or behind /more) and of the quotes shown.

A story is matched to earlier prints by its id (an id absorbed by a merge resolves to the story it
joined), and, for prints made before stories had ids, by a shared URL or bullet. Then:

- a story seen for the first time is shown whole;
- a story seen before shows only the bullets it never had before; its earlier bullets stay behind
  /more (`extra_bullets`) and its title says what changed ("updated: 1 new point, 2 new sources");
- a story seen before with new outlets but no new bullet says so, with no bullet;
- a story with nothing new is left out.

A bullet (or quote) shown before, in any story, is never shown again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from summarizer.model import Briefing, Bullet, Quote, Story

__all__ = [
    "REMEMBER_FOR",
    "StoryPrint",
    "Updates",
    "filter_updates",
    "story_print",
    "story_prints",
    "topic_key",
]

REMEMBER_FOR = timedelta(days=7)  # how far back what was shown counts (deliveries' runs, channels)

_SPACE = re.compile(r"\s+")
_CITE = re.compile(r"\s*\[\d+(?:,\s*\d+)*\]")


def topic_key(topic: str | None) -> str:
    """What a channel's memory of a topic is filed under: the briefing's topic ("" for everything)."""
    return " ".join((topic or "").split()).casefold()[:200]


def _hash(text: str) -> str:
    norm = _SPACE.sub(" ", _CITE.sub("", text)).strip().casefold()
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:16]


def bullet_hash(b: Bullet) -> str:
    return _hash(b.text)


def quote_hash(q: Quote) -> str:
    return _hash(f"{q.text}\0{q.speaker or ''}")


@dataclass(frozen=True)
class StoryPrint:
    """What one post showed of one story (stored as plain JSON with the post)."""

    urls: frozenset[str]
    bullets: frozenset[str]  # hashes of the bullets shown
    story: str | None = None  # the story's stable id
    known: frozenset[str] = frozenset()  # hashes of every bullet the story had, shown or behind /more
    quotes: frozenset[str] = frozenset()  # hashes of the quotes shown

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"urls": sorted(self.urls), "bullets": sorted(self.bullets)}
        if self.story:
            out["story"] = self.story
        if self.known - self.bullets:
            out["known"] = sorted(self.known - self.bullets)
        if self.quotes:
            out["quotes"] = sorted(self.quotes)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StoryPrint:
        bullets = frozenset(data.get("bullets") or ())
        return cls(
            frozenset(data.get("urls") or ()),
            bullets,
            data.get("story") or None,
            bullets | frozenset(data.get("known") or ()),
            frozenset(data.get("quotes") or ()),
        )

    def overlaps(self, other: StoryPrint) -> bool:
        return bool(self.urls & other.urls or self.bullets & other.bullets)


def story_print(briefing: Briefing, story: Story) -> StoryPrint:
    urls: set[str] = set()
    for sid in story.sources:
        try:
            url = briefing.source(sid).url.strip()
        except KeyError:
            continue
        if url:
            urls.add(url)
    shown = frozenset(bullet_hash(b) for b in story.bullets)
    return StoryPrint(
        frozenset(urls),
        shown,
        story.id,
        shown | frozenset(bullet_hash(b) for b in story.extra_bullets),
        frozenset(quote_hash(q) for q in story.quotes),
    )


def story_prints(briefing: Briefing) -> list[StoryPrint]:
    """The prints of everything a briefing shows (what a channel or a delivery remembers of it)."""
    return [story_print(briefing, s) for s in briefing.stories]


@dataclass
class Updates:
    """A briefing cut to what changed (None when nothing did), with the prints of what it shows."""

    briefing: Briefing | None
    prints: list[StoryPrint] = field(default_factory=list)
    new: int = 0  # stories shown for the first time
    updated: int = 0  # stories shown before, with new points or sources

    def summary(self) -> str:
        parts = []
        if self.new:
            parts.append(f"{self.new} new stor{'y' if self.new == 1 else 'ies'}")
        if self.updated:
            parts.append(f"{self.updated} updated")
        return ", ".join(parts) or "nothing new"


def _note(new_points: int, new_outlets: Sequence[str], new_urls: int) -> str:
    parts = []
    if new_points:
        parts.append(f"{new_points} new point{'s' if new_points != 1 else ''}")
    if new_urls:
        names = f": {', '.join(new_outlets)}" if new_outlets and len(new_outlets) <= 3 else ""
        parts.append(f"{new_urls} new source{'s' if new_urls != 1 else ''}{names}")
        if not new_points:
            parts.append("no new points")
    return "updated: " + ", ".join(parts)


def filter_updates(
    briefing: Briefing,
    previous: Iterable[StoryPrint | dict[str, Any]],
    resolve: Callable[[str], str | None] | None = None,
) -> Updates:
    """The briefing cut to new stories and new facts (see the module docstring).

    `resolve` maps a story id to its current id (`StoryIndex.resolve`), so that prints made before
    a merge still match the story that absorbed theirs.
    """
    ids: dict[str, str] = {}

    def canonical(story_id: str | None) -> str | None:
        if not story_id or resolve is None:
            return story_id
        if story_id not in ids:
            ids[story_id] = resolve(story_id) or story_id
        return ids[story_id]

    earlier = [p if isinstance(p, StoryPrint) else StoryPrint.from_json(p) for p in previous]
    earlier = [replace(p, story=canonical(p.story)) for p in earlier]
    shown_before = frozenset().union(*(p.bullets for p in earlier))
    quoted_before = frozenset().union(*(p.quotes for p in earlier))
    kept: list[Story] = []
    new = updated = 0
    for story in briefing.stories:
        current = story_print(briefing, story)
        sid = canonical(story.id)
        matched = [p for p in earlier if (p.story == sid if sid and p.story else current.overlaps(p))]
        quotes = [q for q in story.quotes if quote_hash(q) not in quoted_before]
        everything = [*story.bullets, *story.extra_bullets]
        if not matched:
            bullets = [b for b in story.bullets if bullet_hash(b) not in shown_before]
            extra = [b for b in story.extra_bullets if bullet_hash(b) not in shown_before]
            if everything and not bullets and not extra:
                continue  # every point of it was shown before, under another story
            kept.append(replace(story, bullets=bullets, extra_bullets=extra, quotes=quotes))
            new += 1
            continue
        known = frozenset().union(*(p.known | p.bullets for p in matched)) | shown_before
        fresh = [b for b in everything if bullet_hash(b) not in known]
        new_urls = current.urls - frozenset().union(*(p.urls for p in matched))
        if not fresh and not new_urls:
            continue
        shown = fresh[: max(len(story.bullets), 1)]
        behind = [b for b in everything if all(b is not s for s in shown)]
        outlets = list(
            dict.fromkeys(
                s.outlet for s in briefing.sources if s.url.strip() in new_urls and s.id in story.sources
            )
        )
        title = f"{story.title} ({_note(len(fresh), outlets, len(new_urls))})"
        kept.append(replace(story, title=title, bullets=shown, extra_bullets=behind, quotes=quotes))
        updated += 1
    if not kept:
        return Updates(None)
    out = _with_stories(briefing, kept)
    return Updates(out, story_prints(out), new, updated)


def _with_stories(briefing: Briefing, stories: Sequence[Story]) -> Briefing:
    """The briefing with only these stories and the sources they cite (ids unchanged)."""
    cited: set[int] = set()
    for s in stories:
        cited.update(s.sources)
        for b in [*s.bullets, *s.extra_bullets]:
            cited.update(b.sources)
        for q in s.quotes:
            cited.update(q.sources)
    return Briefing(
        topic=briefing.topic,
        generated_at=briefing.generated_at,
        stories=list(stories),
        sources=[s for s in briefing.sources if s.id in cited],
    )
