"""Data that crosses the summariser's boundary.

`Document` goes in (one article, already extracted to plain text); `Briefing` comes out.
Both are plain dataclasses so that the bot, the adapters and the tests share one shape
and `Briefing.to_dict()` is the JSON contract of `briefbot brief --format json`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class Document:
    """One article as the summariser sees it.

    `key` is any stable identifier chosen by the caller (store id, file path); the
    summariser never interprets it, it only carries it into `SourceRef.key`.
    """

    key: str
    title: str
    text: str
    url: str = ""
    outlet: str = ""
    published: datetime | None = None
    labels: tuple[str, ...] = ()
    # Optional cached sentence embeddings keyed by sentence text (see summarizer.embed).
    # Filled by the store so that a briefing over stored articles does no re-encoding.
    embeddings: dict[str, Any] | None = field(default=None, compare=False, hash=False, repr=False)


@dataclass(frozen=True)
class Topic:
    """A topic from the config: its name and the aliases that mark a sentence as relevant."""

    name: str
    aliases: tuple[str, ...] = ()

    @property
    def terms(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for t in (self.name, *self.aliases):
            t = t.strip()
            if t and t.lower() not in (s.lower() for s in seen):
                seen[t] = None
        return tuple(seen)


@dataclass
class SourceRef:
    """One cited article. `id` is 1-based and local to the briefing."""

    id: int
    title: str
    url: str
    outlet: str
    published: datetime | None = None
    labels: list[str] = field(default_factory=list)
    key: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "url": self.url,
            "outlet": self.outlet,
            "published": _iso(self.published),
            "labels": list(self.labels),
        }


@dataclass
class Bullet:
    text: str
    sources: list[int]

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "sources": list(self.sources)}


@dataclass
class Quote:
    """A verbatim span of every cited source; `speaker` is None when attribution is unsure."""

    text: str
    speaker: str | None
    sources: list[int]

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "speaker": self.speaker, "sources": list(self.sources)}


@dataclass
class Story:
    title: str
    bullets: list[Bullet]
    quotes: list[Quote]
    sources: list[int]
    single_source: bool = False
    # How many bullets the summariser had before the per-story cap; `/more` shows the rest.
    extra_bullets: list[Bullet] = field(default_factory=list)

    @property
    def outlet_count(self) -> int:
        return len(self.sources)

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "bullets": [b.to_dict() for b in self.bullets],
            "quotes": [q.to_dict() for q in self.quotes],
            "sources": list(self.sources),
            "single_source": self.single_source,
        }


@dataclass
class Briefing:
    topic: str | None
    generated_at: datetime
    stories: list[Story]
    sources: list[SourceRef]

    def source(self, source_id: int) -> SourceRef:
        for s in self.sources:
            if s.id == source_id:
                return s
        raise KeyError(source_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "generated_at": _iso(self.generated_at),
            "stories": [s.to_dict() for s in self.stories],
            "sources": [s.to_dict() for s in self.sources],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Briefing:
        """Inverse of `to_dict`, used to keep a channel's last briefing for `/more` and `/sources`."""
        return cls(
            topic=data.get("topic"),
            generated_at=_parse_iso(data.get("generated_at")) or datetime.now(UTC),
            stories=[
                Story(
                    title=s["title"],
                    bullets=[Bullet(b["text"], list(b["sources"])) for b in s.get("bullets", [])],
                    quotes=[
                        Quote(q["text"], q.get("speaker"), list(q["sources"])) for q in s.get("quotes", [])
                    ],
                    sources=list(s.get("sources", [])),
                    single_source=bool(s.get("single_source", False)),
                    extra_bullets=[Bullet(b["text"], list(b["sources"])) for b in s.get("extra_bullets", [])],
                )
                for s in data.get("stories", [])
            ],
            sources=[
                SourceRef(
                    id=int(s["id"]),
                    title=s.get("title", ""),
                    url=s.get("url", ""),
                    outlet=s.get("outlet", ""),
                    published=_parse_iso(s.get("published")),
                    labels=list(s.get("labels", [])),
                )
                for s in data.get("sources", [])
            ],
        )


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
