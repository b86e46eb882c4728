"""`DiscordChannelSink`: scheduled briefings posted to a channel by the bot user (with buttons)."""

from __future__ import annotations

import logging

import discord

from bot.adapters.discord.payloads import message_kwargs
from bot.core.protocols import PostResult
from bot.core.replies import Reply
from bot.errors import PostError
from bot.render.discord import render_discord
from summarizer.model import Briefing

log = logging.getLogger(__name__)

_HINTS = {
    403: "give the bot View Channel, Send Messages and Embed Links in that channel",
    404: "check the channel id; the channel may be deleted or the bot removed from the server",
}


class DiscordChannelSink:
    """Implements `Sink` over the bot's HTTP session (the adapter must be started or logged in)."""

    platform = "discord"

    def __init__(self, client: discord.Client, channel_id: str) -> None:
        self.client = client
        self.channel_id = channel_id

    def __repr__(self) -> str:
        return f"<DiscordChannelSink channel {self.channel_id}>"

    async def post(self, briefing: Briefing, *, idempotency_key: str, note: str | None = None) -> PostResult:
        try:
            channel = self.client.get_partial_messageable(int(self.channel_id))
        except ValueError:
            raise PostError(
                f"{self.channel_id!r} is not a Discord channel id (a number such as 123456789012345678)"
            ) from None
        if self.client.user is None:
            raise PostError("the Discord adapter is not started, so it cannot post yet")
        payloads = render_discord(Reply.of_briefing(briefing, note))
        ids: list[str] = []
        for i, payload in enumerate(payloads, 1):
            try:
                message = await channel.send(**message_kwargs(payload))
            except discord.HTTPException as exc:
                hint = _HINTS.get(exc.status, "")
                raise PostError(
                    f"Discord refused message {i} of {len(payloads)} to channel {self.channel_id}: "
                    f"HTTP {exc.status} {exc.text[:200]}" + (f" — {hint}" if hint else ""),
                    posted=ids,
                ) from None
            ids.append(str(message.id))
        log.info(
            "posted %d message(s) to Discord channel %s (%s)", len(ids), self.channel_id, idempotency_key
        )
        return PostResult(message_ids=ids, platform=self.platform)
