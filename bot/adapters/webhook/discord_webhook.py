"""`DiscordWebhookSink`: a briefing posted to a Discord channel webhook, message by message."""

from __future__ import annotations

import logging

import httpx

from bot.adapters.webhook.poster import WebhookError, WebhookPoster, short_reason
from bot.core.protocols import PostResult
from bot.core.replies import Reply
from bot.render.discord import render_discord
from summarizer.model import Briefing

log = logging.getLogger(__name__)


class DiscordWebhookSink:
    """Implements `Sink`. Posts with `?wait=true` so Discord answers with each message's id.

    Buttons are left out: a plain webhook has no bot behind it to answer the clicks.
    """

    platform = "discord"

    def __init__(self, url: str, *, client: httpx.AsyncClient | None = None, timeout: float = 20.0,
                 attempts: int = 4, max_retry_after: float = 60.0, backoff: float = 0.5) -> None:
        self._poster = WebhookPoster(url, "Discord", client=client, timeout=timeout, attempts=attempts,
                                     max_retry_after=max_retry_after, backoff=backoff)

    def __repr__(self) -> str:
        return f"<DiscordWebhookSink at {self._poster.host}>"

    async def post(self, briefing: Briefing, *, idempotency_key: str, note: str | None = None) -> PostResult:
        payloads = render_discord(Reply.of_briefing(briefing, note), buttons=False)
        ids: list[str] = []
        for i, payload in enumerate(payloads, 1):
            payload = {k: v for k, v in payload.items() if k != "components"}
            try:
                response = await self._poster.post(payload, params={"wait": "true"})
            except WebhookError as exc:
                raise WebhookError(f"{exc} (message {i} of {len(payloads)})" if len(payloads) > 1 else str(exc), posted=ids,
                                   nothing_posted=exc.nothing_posted) from None
            if response.status_code >= 300:
                hint = " — check the webhook URL; it may have been deleted" if response.status_code in (401, 404) else ""
                raise WebhookError(f"Discord webhook at {self._poster.host} refused message {i} of "
                                   f"{len(payloads)}: {short_reason(response)}{hint}", posted=ids)
            try:
                ids.append(str(response.json()["id"]))
            except (ValueError, KeyError, TypeError):
                raise WebhookError(f"Discord webhook at {self._poster.host} accepted message {i} but sent no "
                                   "message id", posted=ids) from None
        log.info("posted %d message(s) to the Discord webhook at %s (%s)", len(ids), self._poster.host,
                 idempotency_key)
        return PostResult(message_ids=ids, platform=self.platform)
