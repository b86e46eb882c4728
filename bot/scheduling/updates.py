"""`updates` mode: post only stories that are new, or that gained sources or points since last time.

A story's fingerprint is the set of its cited article URLs and the set of hashes of its bullet
texts. A story matches an earlier one when they share a URL or a bullet; it is dropped when it
brings nothing the matched ones did not have, and kept with "(updated: 2 new sources)" in its title
when it does. Fingerprints are stored with each post (`ClaimStore.finish`) as plain JSON.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from summarizer.model import Briefing, Story

__all__ = ["StoryPrint", "filter_updates", "story_print"]

_SPACE = re.compile(r"\s+")
_CITE = re.compile(r"\s*\[\d+(?:,\s*\d+)*\]")


def _bullet_hash(text: str) -> str:
    norm = _SPACE.sub(" ", _CITE.sub("", text)).strip().casefold()
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class StoryPrint:
    urls: frozenset[str]
    bullets: frozenset[str]

    def to_json(self) -> dict[str, Any]:
        return {"urls": sorted(self.urls), "bullets": sorted(self.bullets)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StoryPrint:
        return cls(frozenset(data.get("urls") or ()), frozenset(data.get("bullets") or ()))

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
    return StoryPrint(frozenset(urls), frozenset(_bullet_hash(b.text) for b in story.bullets))


def _note(new_urls: int, new_bullets: int) -> str:
    if new_urls:
        return f"updated: {new_urls} new source{'s' if new_urls != 1 else ''}"
    return f"updated: {new_bullets} new point{'s' if new_bullets != 1 else ''}"


def filter_updates(
    briefing: Briefing, previous: Iterable[StoryPrint | dict[str, Any]]
) -> tuple[Briefing | None, list[StoryPrint]]:
    """The briefing cut to new and updated stories (None when nothing is new), and their prints."""
    earlier = [p if isinstance(p, StoryPrint) else StoryPrint.from_json(p) for p in previous]
    kept: list[Story] = []
    prints: list[StoryPrint] = []
    for story in briefing.stories:
        current = story_print(briefing, story)
        matched = [p for p in earlier if current.overlaps(p)]
        if matched:
            seen_urls = frozenset().union(*(p.urls for p in matched))
            seen_bullets = frozenset().union(*(p.bullets for p in matched))
            new_urls, new_bullets = len(current.urls - seen_urls), len(current.bullets - seen_bullets)
            if not new_urls and not new_bullets:
                continue
            story = replace(story, title=f"{story.title} ({_note(new_urls, new_bullets)})")
        kept.append(story)
        prints.append(current)
    if not kept:
        return None, []
    return _with_stories(briefing, kept), prints


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
