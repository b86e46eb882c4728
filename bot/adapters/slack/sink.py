"""`SlackChannelSink`: scheduled briefings posted to a channel with chat.postMessage (with buttons)."""

from __future__ import annotations

import logging

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.web import api_error
from bot.core.protocols import PostResult
from bot.core.replies import Reply
from bot.errors import PostError
from bot.render.slack import render_slack
from summarizer.model import Briefing

log = logging.getLogger(__name__)

_HINTS = {
    "not_in_channel": "invite the bot to the channel (/invite @briefbot), or add the chat:write.public scope",
    "channel_not_found": "check the channel id (e.g. C0123ABCD); a private channel needs the bot invited",
    "is_archived": "the channel is archived",
    "missing_scope": "add the chat:write scope and reinstall the app",
    "invalid_auth": "check SLACK_BOT_TOKEN",
    "restricted_action": "a workspace admin has restricted posting in that channel",
}


class SlackChannelSink:
    """Implements `Sink`; message ids are the messages' `ts`."""

    platform = "slack"

    def __init__(self, client: AsyncWebClient, channel_id: str) -> None:
        self.client = client
        self.channel_id = channel_id

    def __repr__(self) -> str:
        return f"<SlackChannelSink channel {self.channel_id}>"

    async def post(self, briefing: Briefing, *, idempotency_key: str, note: str | None = None) -> PostResult:
        messages = render_slack(Reply.of_briefing(briefing, note))
        ids: list[str] = []
        for i, message in enumerate(messages, 1):
            try:
                response = await self.client.chat_postMessage(
                    channel=self.channel_id,
                    text=message["text"],
                    blocks=message["blocks"],
                    unfurl_links=False,
                    unfurl_media=False,
                )
            except SlackApiError as exc:
                code = api_error(exc)
                hint = _HINTS.get(code)
                raise PostError(
                    f"Slack refused message {i} of {len(messages)} to channel {self.channel_id}: "
                    f"{code}" + (f" — {hint}" if hint else ""),
                    posted=ids,
                ) from None
            except (aiohttp.ClientError, TimeoutError) as exc:
                # A refused connection sent nothing; a timeout or a dropped answer may have posted it.
                raise PostError(
                    f"cannot reach Slack to post to channel {self.channel_id}: {type(exc).__name__}",
                    posted=ids,
                    nothing_posted=isinstance(exc, aiohttp.ClientConnectorError),
                ) from None
            ids.append(str(response.get("ts", "")))
        log.info("posted %d message(s) to Slack channel %s (%s)", len(ids), self.channel_id, idempotency_key)
        return PostResult(message_ids=ids, platform=self.platform)
