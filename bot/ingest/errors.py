"""Errors of ingest: each carries one line a user can act on, never a traceback.

Pollers catch `IngestError` as an expected per-source failure; anything else is a bug and is
logged with its trace at `-v`.
"""

from __future__ import annotations

from bot.errors import BriefbotError


class IngestError(BriefbotError):
    """A source could not be read; `str(exc)` is the one-line reason shown to the user."""


class FetchError(IngestError):
    """The HTTP exchange failed (network, status, size, time)."""


class FetchTimeout(FetchError):
    pass


class BodyTooLarge(FetchError):
    pass


class HttpStatusError(FetchError):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class RetryableStatus(HttpStatusError):
    """429 or 5xx: worth another attempt, after `retry_after` seconds if the server said so."""

    def __init__(self, message: str, status: int, retry_after: float | None = None) -> None:
        super().__init__(message, status)
        self.retry_after = retry_after


class RetryLater(FetchError):
    """The server asked us to wait longer than one poll may; try again at the next poll."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class LinkRefused(FetchError):
    """A URL was refused by the link policy (non-http scheme, private or metadata address)."""


class FeedError(IngestError):
    """The document could not be read as a feed."""


class NotAFeed(FeedError):
    def __init__(self, message: str, *, html: bool = False) -> None:
        super().__init__(message)
        self.html = html


class EntityRefused(FeedError):
    pass


class UnknownSourceError(IngestError, ValueError):
    """`--source NAME` named no configured source."""


class ConnectFailed(FetchError):
    """No TCP/TLS connection could be made (retried with backoff)."""
