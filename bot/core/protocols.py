"""Interfaces between the bot core and its implementations.

The core (commands, briefing service, scheduling) talks only to these protocols; `bot.app` (the
composition root) wires concrete ingest, store and adapter classes to them. Nothing here imports discord or slack.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

from summarizer.engines.base import Summarizer
from summarizer.model import Briefing

__all__ = [
    "ChatAdapter",
    "CheckableSink",
    "FetchOutcome",
    "FetchedArticle",
    "PostResult",
    "Sink",
    "Source",
    "SourceState",
    "SourceStatus",
    "Store",
    "StoreResult",
    "StoredArticle",
    "Summarizer",
]


@dataclass
class FetchedArticle:
    """An article as ingest produced it, before deduplication in the store."""

    url: str  # as found (feed link, page URL or file:// URI)
    title: str
    text: str
    outlet: str
    published: datetime | None = None
    guid: str | None = None
    labels: list[str] = field(default_factory=list)
    source_name: str = ""
    # where `published` came from: "feed", "page" (its metadata), "text" (a date it prints), "file" (mtime)
    dated_by: str | None = None


FetchStatus = Literal["ok", "not_modified", "failed"]


@dataclass
class FetchOutcome:
    """What one poll of one source produced; never raised, always returned."""

    source_name: str
    status: FetchStatus
    articles: list[FetchedArticle] = field(default_factory=list)
    error: str | None = None  # one human line, no traceback, no secrets
    etag: str | None = None
    last_modified: str | None = None
    items_seen: int = 0
    items_skipped: int = 0  # over the per-feed item cap, or refused links
    warnings: list[str] = field(default_factory=list)
    started_at: datetime | None = None
    duration_s: float = 0.0
    retry_after_s: float | None = None


@dataclass
class SourceState:
    """What a source needs remembered between polls (conditional GET, backoff)."""

    name: str
    etag: str | None = None
    last_modified: str | None = None
    last_success: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    consecutive_failures: int = 0
    next_poll: datetime | None = None


@dataclass
class SourceStatus(SourceState):
    url: str = ""
    enabled: bool = True
    article_count: int = 0
    stale: bool = False
    last_new: int = 0


@dataclass
class StoreResult:
    new: int = 0
    duplicates: int = 0
    new_ids: list[int] = field(default_factory=list)  # store ids of the articles stored by this call


@dataclass
class StoredArticle:
    id: int
    url: str
    canonical_url: str
    title: str
    outlet: str
    published: datetime | None
    fetched_at: datetime
    text: str
    source_name: str
    labels: list[str] = field(default_factory=list)
    content_hash: str = ""
    embeddings: dict[str, Any] | None = None
    aliases: list[tuple[str, str]] = field(default_factory=list)  # (outlet, url) of copies seen elsewhere
    dated_by: str | None = None


@runtime_checkable
class Source(Protocol):
    """Something that can be polled: a feed URL, an article page, a local folder."""

    name: str

    async def fetch(self, state: SourceState) -> FetchOutcome: ...


@runtime_checkable
class Store(Protocol):
    def sync_sources(self, sources: Sequence[Any]) -> None:
        """Make the sources table match the config (add, update URL/outlet, mark removed disabled)."""

    def source_state(self, name: str) -> SourceState: ...

    def record_fetch(self, outcome: FetchOutcome, next_poll: datetime | None = None) -> StoreResult:
        """Store new articles (deduplicated), update the source state and the fetch log."""

    def articles(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        sources: Sequence[str] | None = None,
        limit: int | None = None,
        with_embeddings: bool = False,
    ) -> list[StoredArticle]: ...

    def save_embeddings(self, article_id: int, embeddings: dict[str, Any], model: str) -> None: ...

    def status(self, stale_after: int = 5) -> list[SourceStatus]: ...

    def size_bytes(self) -> int | None: ...


@dataclass
class PostResult:
    message_ids: list[str]
    platform: str


@runtime_checkable
class Sink(Protocol):
    """A place a briefing can be posted: a chat channel, a webhook, a file, the console."""

    platform: str

    async def post(
        self, briefing: Briefing, *, idempotency_key: str, note: str | None = None
    ) -> PostResult: ...


@runtime_checkable
class CheckableSink(Sink, Protocol):
    """A sink that can tell whether a run was already posted (the `file` sink scans its file), so a
    run that died while posting is finished without posting twice. `post` raises `PostError`."""

    async def already_posted(self, idempotency_key: str) -> PostResult | None: ...


@runtime_checkable
class ChatAdapter(Protocol):
    """A running connection to one chat platform (Discord, Slack) that answers the slash commands
    and posts scheduled briefings to its channels."""

    name: str

    async def start(self) -> None:
        """Log in and start answering in the background; returns once connected. Raises ChatAdapterError."""

    async def open_for_posting(self) -> None:
        """Connect only as far as posting needs (a `briefbot worker` posts; `run` keeps the gateways)."""

    async def close(self) -> None:
        """Stop answering and release every connection; safe to call twice or before `start`."""

    def sink(self, channel_id: str) -> Sink:
        """Where scheduled briefings for `channel_id` are posted (needs `start` first)."""
        ...
