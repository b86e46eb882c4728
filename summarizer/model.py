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
    dated_by: str | None = None  # "feed", "page", "text" or "file": where `published` came from
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

    # How `published` was found: "feed", "page", "text", or "file" (the file's modification time).
    dated_by: str | None = None

    def to_dict(self, internal: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "url": self.url,
            "outlet": self.outlet,
            "published": _iso(self.published),
            "labels": list(self.labels),
        }
        if self.dated_by is not None:
            out["dated_by"] = self.dated_by
        if internal:
            out["key"] = self.key
        return out


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


@dataclass(frozen=True)
class Member:
    """One report of a story: a document, or the sentences of one live-blog item of it."""

    doc_key: str
    sentences: tuple[int, ...] = ()  # indices into the document's segmented sentences; () = all of it


@dataclass(frozen=True)
class StoryGroup:
    """A story to summarise: its stable id and its reports (as the story assigner grouped them)."""

    id: str
    members: tuple[Member, ...]
    phase: str | None = None


@dataclass
class Story:
    title: str
    bullets: list[Bullet]
    quotes: list[Quote]
    sources: list[int]
    single_source: bool = False
    # How many bullets the summariser had before the per-story cap; `/more` shows the rest.
    extra_bullets: list[Bullet] = field(default_factory=list)
    id: str | None = None  # the stable story id (`/more`, `/sources`, buttons and links use it)
    phase: str | None = None  # "new", "developing" or "fading" (from the story's measured activity)
    url: str | None = None  # the story's own page (the web face), when the bot has a public address

    @property
    def outlet_count(self) -> int:
        return len(self.sources)

    def to_dict(self, internal: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "title": self.title,
            "bullets": [b.to_dict() for b in self.bullets],
            "quotes": [q.to_dict() for q in self.quotes],
            "sources": list(self.sources),
            "single_source": self.single_source,
        }
        if self.id is not None:
            out["id"] = self.id
        if self.phase is not None:
            out["phase"] = self.phase
        if self.url is not None:
            out["url"] = self.url
        if internal:
            out["extra_bullets"] = [b.to_dict() for b in self.extra_bullets]
        return out


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

    def source_index(self) -> dict[int, SourceRef]:
        """Every source by id, the first of a repeated id (as `source` finds): for many lookups at once."""
        refs: dict[int, SourceRef] = {}
        for ref in self.sources:
            refs.setdefault(ref.id, ref)
        return refs

    def to_dict(self, internal: bool = False) -> dict[str, Any]:
        """The JSON contract; `internal` adds what a cache needs to rebuild it exactly (extra bullets,
        document keys)."""
        return {
            "topic": self.topic,
            "generated_at": _iso(self.generated_at),
            "stories": [s.to_dict(internal) for s in self.stories],
            "sources": [s.to_dict(internal) for s in self.sources],
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
                    id=s.get("id"),
                    phase=s.get("phase"),
                    url=s.get("url"),
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
                    key=s.get("key", ""),
                    dated_by=s.get("dated_by"),
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


def combine(topic: str | None, generated_at: datetime, parts: list[Briefing]) -> Briefing:
    """One briefing from several (each story summarised on its own, e.g. from a cache): the stories in
    order, every source once (by its key), citations renumbered 1, 2, 3, ... in reading order."""
    sources: list[SourceRef] = []
    by_key: dict[str, int] = {}
    stories: list[Story] = []

    def renumber(refs: dict[int, SourceRef], ids: list[int]) -> list[int]:
        out = []
        for i in ids:
            ref = refs.get(i)
            if ref is None:
                continue
            key = ref.key or f"{ref.url}\0{ref.outlet}\0{ref.title}"
            if key not in by_key:
                by_key[key] = len(sources) + 1
                sources.append(
                    SourceRef(
                        by_key[key],
                        ref.title,
                        ref.url,
                        ref.outlet,
                        ref.published,
                        list(ref.labels),
                        ref.key,
                        ref.dated_by,
                    )
                )
            out.append(by_key[key])
        return out

    for part in parts:
        refs = part.source_index()
        for s in part.stories:
            bullets = [Bullet(b.text, renumber(refs, b.sources)) for b in s.bullets]
            quotes = [Quote(q.text, q.speaker, renumber(refs, q.sources)) for q in s.quotes]
            own = renumber(refs, s.sources)
            extra = [Bullet(b.text, renumber(refs, b.sources)) for b in s.extra_bullets]
            stories.append(Story(s.title, bullets, quotes, own, s.single_source, extra, s.id, s.phase, s.url))
    return Briefing(topic, generated_at, stories, sources)
