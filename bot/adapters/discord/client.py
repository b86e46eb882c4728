"""The discord.py client briefbot runs: no privileged intents, and a hook for the button callbacks."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Mapping
from typing import Any, Protocol

import discord
import discord.http

API_URL_ENV = "DISCORD_API_URL"


class InteractionAnswerer(Protocol):
    """What answers a slash command or a button click (the `DiscordAdapter`)."""

    def answer(
        self, interaction: discord.Interaction, name: str, args: Mapping[str, Any], *, ephemeral: bool
    ) -> Awaitable[None]: ...


def bot_intents() -> discord.Intents:
    """Guilds only: interactions need no intent, and nothing privileged is asked for."""
    intents = discord.Intents.none()
    intents.guilds = True
    return intents


def use_api_url_from_env() -> None:
    """Point discord.py's REST calls at $DISCORD_API_URL when set (a local fake API in tests)."""
    url = os.environ.get(API_URL_ENV, "").strip().rstrip("/")
    if url:
        discord.http.Route.BASE = url


class BriefbotClient(discord.AutoShardedClient):
    """An `AutoShardedClient` that knows who answers its interactions (for the persistent buttons)."""

    def __init__(self, *, shard_ids: list[int] | None = None, shard_count: int | None = None) -> None:
        # briefbot never joins voice: skip discord.py's start-up warnings about voice libraries
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        shards: dict[str, Any] = {"shard_ids": shard_ids, "shard_count": shard_count}
        super().__init__(intents=bot_intents(), allowed_mentions=discord.AllowedMentions.none(), **shards)
        use_api_url_from_env()
        self.answerer: InteractionAnswerer | None = None
