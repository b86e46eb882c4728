"""`DiscordWebhookSink`: a briefing posted to a Discord channel webhook, message by message."""

from __future__ import annotations

import logging

from bot.adapters.webhook.base import WebhookSink
from bot.adapters.webhook.poster import WebhookError, short_reason
from bot.core.protocols import PostResult
from bot.core.replies import Reply
from bot.render.discord import render_discord
from summarizer.model import Briefing

log = logging.getLogger(__name__)


class DiscordWebhookSink(WebhookSink):
    """Implements `Sink`. Posts with `?wait=true` so Discord answers with each message's id.

    Buttons are left out: a plain webhook has no bot behind it to answer the clicks.
    """

    platform = "discord"
    label = "Discord"

    async def post(self, briefing: Briefing, *, idempotency_key: str, note: str | None = None) -> PostResult:
        payloads = render_discord(Reply.of_briefing(briefing, note), buttons=False)
        ids: list[str] = []
        for i, payload in enumerate(payloads, 1):
            payload = {k: v for k, v in payload.items() if k != "components"}
            response = await self._send(payload, i, len(payloads), ids, params={"wait": "true"})
            if response.status_code >= 300:
                hint = (
                    " — check the webhook URL; it may have been deleted"
                    if response.status_code in (401, 404)
                    else ""
                )
                raise WebhookError(
                    f"Discord webhook at {self._poster.host} refused message {i} of "
                    f"{len(payloads)}: {short_reason(response)}{hint}",
                    posted=ids,
                )
            try:
                ids.append(str(response.json()["id"]))
            except (ValueError, KeyError, TypeError):
                raise WebhookError(
                    f"Discord webhook at {self._poster.host} accepted message {i} but sent no message id",
                    posted=ids,
                    nothing_posted=False,
                ) from None
        log.info(
            "posted %d message(s) to the Discord webhook at %s (%s)",
            len(ids),
            self._poster.host,
            idempotency_key,
        )
        return PostResult(message_ids=ids, platform=self.platform)
