"""Briefings as Atom feeds (RFC 4287), from the same `Briefing` model as every other rendering.

- A topic's feed has one entry per story of the topic's briefing. Its id comes from the story's
  stable id, so a feed reader shows a developing story as one entry that is updated (its `updated`
  is the story's latest report), never as a new item each time.
- A delivery's feed has one entry per posted briefing, with an id made of the delivery's name and
  the run's time: the same run is the same entry however often the feed is read.

Entry ids are `urn:uuid:` names (UUID version 5) of those keys: valid IRIs that never change when
the site moves to another address. Links are absolute: built on `web.public_url`, else on the
address the feed was asked for.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.core.pages import DeliveryRecord, TopicBriefing
from bot.render.html import HtmlRenderer, path_part, slug
from bot.render.text import outlets_label
from summarizer.model import Briefing

__all__ = ["AtomEntry", "AtomFeed", "delivery_feed", "entry_id", "render_atom", "topic_feed"]

ATOM_TYPE = "application/atom+xml; charset=utf-8"
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:briefbot:feeds")  # briefbot's own UUID namespace


def entry_id(*key: str) -> str:
    """A stable `urn:uuid:` for a key ("story", "s3k9x…"), the same on every host and every read."""
    return "urn:uuid:" + str(uuid.uuid5(_NAMESPACE, "\x1f".join(key)))


@dataclass(frozen=True)
class AtomEntry:
    id: str
    title: str
    updated: datetime
    url: str
    html: str
    summary: str = ""
    published: datetime | None = None


@dataclass(frozen=True)
class AtomFeed:
    id: str
    title: str
    updated: datetime
    self_url: str
    html_url: str
    entries: list[AtomEntry] = field(default_factory=list)
    subtitle: str = ""


def render_atom(renderer: HtmlRenderer, feed: AtomFeed) -> str:
    return renderer.env.get_template("atom.xml").render(feed=feed)


def _one_story(briefing: Briefing, index: int) -> Briefing:
    return Briefing(briefing.topic, briefing.generated_at, [briefing.stories[index]], briefing.sources)


def topic_feed(renderer: HtmlRenderer, page: TopicBriefing, base: str) -> AtomFeed:
    """`/feeds/TOPIC.atom`: the stories of the topic's briefing, one entry each."""
    b = page.briefing
    entries = []
    for i, story in enumerate(b.stories):
        key = story.id or f"{page.topic}\x1f{story.title}"
        updated = page.updated.get(story.id or "", b.generated_at)
        url = f"{base}/story/{path_part(story.id)}" if story.id else f"{base}/#topic-{slug(page.topic)}"
        html = renderer.briefing_fragment(_one_story(b, i), base=base, story=story, heading=2)
        entries.append(
            AtomEntry(entry_id("story", key), story.title, updated, url, html, outlets_label(b, story))
        )
    updated = max((e.updated for e in entries), default=b.generated_at)
    return AtomFeed(
        id=entry_id("topic", page.topic),
        title=f"{renderer.site_title}: {page.topic}",
        subtitle=f"Stories about {page.topic}, each with every outlet that reported it",
        updated=updated,
        self_url=f"{base}/feeds/{path_part(page.topic)}.atom",
        html_url=f"{base}/#topic-{slug(page.topic)}",
        entries=entries,
    )


def delivery_feed(renderer: HtmlRenderer, name: str, records: list[DeliveryRecord], base: str) -> AtomFeed:
    """`/feeds/delivery/NAME.atom`: the delivery's posted briefings, newest first."""
    entries = []
    for r in records:
        if r.briefing is None:
            continue
        at = r.scheduled_for.astimezone(UTC)
        topic = f": {r.briefing.topic}" if r.briefing.topic else ""
        n = len(r.briefing.stories)
        entries.append(
            AtomEntry(
                id=entry_id("delivery", name, at.isoformat()),
                title=f"{name}{topic} — {at.strftime('%Y-%m-%d %H:%M UTC')}",
                updated=r.posted_at or at,
                published=r.posted_at or at,
                url=f"{base}/archive/{r.day.isoformat()}#{slug(name)}-{at.strftime('%H%M')}",
                html=renderer.briefing_fragment(r.briefing, base=base, heading=2),
                summary=f"{n} stor{'y' if n == 1 else 'ies'}: "
                + "; ".join(s.title for s in r.briefing.stories),
            )
        )
    updated = max((e.updated for e in entries), default=datetime.now(UTC))
    return AtomFeed(
        id=entry_id("delivery", name),
        title=f"{renderer.site_title}: {name}",
        subtitle=f"The briefings posted by the delivery {name}",
        updated=updated,
        self_url=f"{base}/feeds/delivery/{path_part(name)}.atom",
        html_url=f"{base}/archive/",
        entries=entries,
    )
