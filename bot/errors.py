"""Every error briefbot raises on purpose, under one root, as httpx's `_exceptions.py` does.

    BriefbotError
    ├── ConfigError          the config file cannot be used (bot.config.loader)
    ├── StoreError           the database cannot be opened or used
    ├── IngestError          a source could not be read (bot.ingest.errors has the subtree)
    ├── UserError            a chat command argument the user can fix
    ├── ChatAdapterError     a chat platform refused to start (bad token, port in use)
    ├── QueueError           the task queue cannot be reached or set up
    ├── ServerBindError      a server cannot listen on its address (bot.net; also an OSError)
    └── PostError            a briefing could not be posted; says whether anything was
        └── SinkUnavailable  nothing to post with (no adapter, no URL): nothing was posted

Each message is one line a user can act on, without secrets or tracebacks. The summariser has
its own root (`summarizer.engines.base.EngineError` and friends): it imports nothing of bot.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "BriefbotError",
    "ChatAdapterError",
    "PostError",
    "QueueError",
    "SinkUnavailable",
    "StoreError",
    "UserError",
]


class BriefbotError(Exception):
    """Root of every error briefbot raises on purpose."""


class StoreError(BriefbotError):
    """The database cannot be opened or used; the message says what to do."""


class StoryConflict(StoreError):
    """Another process assigned the same articles to stories first (the story index reloads and retries)."""


class UserError(BriefbotError):
    """A problem the user can fix; its message is shown to them as is (one line)."""


class ChatAdapterError(BriefbotError):
    """A chat platform refused to start (bad token, missing setting, port in use): one line, no secret."""


class QueueError(BriefbotError):
    """The task queue (procrastinate on PostgreSQL) cannot be reached or set up."""


class PostError(BriefbotError):
    """A briefing could not be (fully) posted.

    `posted` lists the ids of the messages that did arrive. `nothing_posted` is True only when no
    message of the briefing can have reached the channel, so posting it again cannot double it (a
    refused connection, an error answer to the first message); a timeout after sending, or a
    failure after the first message, is False.
    """

    def __init__(
        self, message: str, posted: Sequence[str] = (), *, nothing_posted: bool | None = None
    ) -> None:
        super().__init__(message)
        self.posted = [str(i) for i in posted]
        self.nothing_posted = (
            (not self.posted) if nothing_posted is None else (nothing_posted and not self.posted)
        )


class SinkUnavailable(PostError):
    """A delivery's platform cannot be reached from this process (no adapter, no URL, no path)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, nothing_posted=True)
