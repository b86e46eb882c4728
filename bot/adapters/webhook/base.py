"""What the Discord and Slack webhook sinks share: one poster per URL, and errors that say which message
of a briefing failed and whether anything of it can have reached the channel."""

from __future__ import annotations

from typing import Any, ClassVar

import httpx

from bot.adapters.webhook.poster import WebhookError, WebhookPoster


class WebhookSink:
    platform: ClassVar[str]
    label: ClassVar[str]  # the service's name in messages ("Discord", "Slack")

    def __init__(
        self,
        url: str,
        *,
        client: httpx.AsyncClient | None = None,
        timeout: float = 20.0,
        attempts: int = 4,
        max_retry_after: float = 60.0,
        backoff: float = 0.5,
    ) -> None:
        self._poster = WebhookPoster(
            url,
            self.label,
            client=client,
            timeout=timeout,
            attempts=attempts,
            max_retry_after=max_retry_after,
            backoff=backoff,
        )

    def __repr__(self) -> str:  # never the URL
        return f"<{type(self).__name__} at {self._poster.host}>"

    async def _send(
        self,
        payload: dict[str, Any],
        number: int,
        total: int,
        posted: list[str],
        params: dict[str, str] | None = None,
    ) -> httpx.Response:
        """POST message `number` of `total`; a failure is safe to repeat only when it was the first."""
        try:
            return await self._poster.post(payload, params=params)
        except WebhookError as exc:
            raise WebhookError(
                f"{exc} (message {number} of {total})" if total > 1 else str(exc),
                posted=posted,
                nothing_posted=exc.nothing_posted and number == 1,
            ) from None
