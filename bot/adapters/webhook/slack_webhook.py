"""`SlackWebhookSink`: a briefing posted to a Slack incoming webhook, message by message."""

from __future__ import annotations

import logging

from bot.adapters.webhook.base import WebhookSink
from bot.adapters.webhook.poster import WebhookError, short_reason
from bot.core.protocols import PostResult
from bot.core.replies import Reply
from bot.render.slack import render_slack
from summarizer.model import Briefing

log = logging.getLogger(__name__)

_HINTS = {
    "no_service": "the webhook was removed or its URL is wrong",
    "channel_is_archived": "the channel is archived",
    "action_prohibited": "a workspace admin has restricted posting to this channel",
    "invalid_token": "the webhook URL is wrong",
}


class SlackWebhookSink(WebhookSink):
    """Implements `Sink`. Slack answers `ok` and no message id, so `PostResult.message_ids` is empty.

    Buttons are left out: an incoming webhook has no bot behind it to answer the clicks.
    """

    platform = "slack"
    label = "Slack"

    async def post(self, briefing: Briefing, *, idempotency_key: str, note: str | None = None) -> PostResult:
        payloads = render_slack(Reply.of_briefing(briefing, note), buttons=False)
        for i, payload in enumerate(payloads, 1):
            # Slack's webhooks return no message ids: only "message 1 failed" means nothing was posted.
            response = await self._send(payload, i, len(payloads), [])
            body = response.text.strip()
            if response.status_code >= 300 or body != "ok":
                hint = _HINTS.get(body)
                raise WebhookError(
                    f"Slack webhook at {self._poster.host} refused message {i} of {len(payloads)}: "
                    f"{short_reason(response)}" + (f" — {hint}" if hint else ""),
                    nothing_posted=i == 1 and response.status_code >= 300,
                )
        log.info(
            "posted %d message(s) to the Slack webhook at %s (%s)",
            len(payloads),
            self._poster.host,
            idempotency_key,
        )
        return PostResult(message_ids=[], platform=self.platform)
