"""`DiscordAdapter`: slash commands and buttons → `Invocation` → `CommandCore` → rendered messages.

Every interaction is deferred at once (Discord allows 3 s for the first answer; a briefing can
take longer), then each rendered payload is sent as a follow-up. Answers the core marks
ephemeral are shown only to the asker. Nothing here decides what to answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp
import discord

from bot.adapters.discord.buttons import StoryButton
from bot.adapters.discord.client import BriefbotClient
from bot.adapters.discord.commands import build_command_tree
from bot.adapters.discord.payloads import message_kwargs
from bot.adapters.discord.sink import DiscordChannelSink
from bot.config.schema import DiscordConfig
from bot.core.commands import CommandCore, Invocation, OptionSpec, Suggestion
from bot.core.replies import Reply
from bot.errors import ChatAdapterError
from bot.render.discord import render_discord

log = logging.getLogger(__name__)

READY_TIMEOUT = 30.0
TOKEN_HINT = (
    "check DISCORD_TOKEN (Developer Portal → your application → Bot → Reset Token, then copy it again)"
)

CoreProvider = Callable[[], CommandCore]


class DiscordAdapter:
    """Implements `bot.core.protocols.ChatAdapter` for a Discord bot user."""

    name = "discord"

    def __init__(
        self,
        token: str,
        core: CommandCore | CoreProvider,
        *,
        guild_ids: list[int] | None = None,
        shard_ids: list[int] | None = None,
        shard_count: int | None = None,
    ) -> None:
        if not token.strip():
            raise ChatAdapterError("discord.token is empty: set DISCORD_TOKEN to the bot token")
        if shard_ids is not None and shard_count is None:
            raise ChatAdapterError(
                "Discord shard ids need a shard count (the total number of shards) as well"
            )
        if (
            shard_ids is not None
            and shard_count is not None
            and any(not 0 <= i < shard_count for i in shard_ids)
        ):
            raise ChatAdapterError(
                f"Discord shard ids must be from 0 to {shard_count - 1} when the shard count is {shard_count}"
            )
        self._token = token.strip()
        self._core_provider: CoreProvider = (lambda: core) if isinstance(core, CommandCore) else core
        self._core: CommandCore | None = None
        self.guild_ids = list(guild_ids or [])
        self.client = BriefbotClient(shard_ids=shard_ids, shard_count=shard_count)
        self.client.answerer = self
        self.client.add_dynamic_items(StoryButton)
        self.tree = build_command_tree(self.client, self._suggest)
        self._gateway: asyncio.Task[None] | None = None

    @classmethod
    def from_config(
        cls,
        config: DiscordConfig,
        core: CommandCore | CoreProvider,
        *,
        shard_ids: list[int] | None = None,
        shard_count: int | None = None,
    ) -> DiscordAdapter:
        return cls(
            config.token.get_secret_value(),
            core,
            guild_ids=config.guild_ids,
            shard_ids=shard_ids,
            shard_count=shard_count,
        )

    @property
    def core(self) -> CommandCore:
        if self._core is None:
            self._core = self._core_provider()
        return self._core

    # --- lifecycle ---

    async def login(self) -> None:
        """Log in over HTTP only (no gateway): enough to sync commands and post to channels."""
        try:
            await self.client.login(self._token)
        except BaseException as exc:
            await self.client.close()
            if isinstance(exc, discord.LoginFailure):
                raise ChatAdapterError(f"Discord rejected the bot token (HTTP 401): {TOKEN_HINT}") from None
            if isinstance(exc, aiohttp.ClientError | OSError):
                raise ChatAdapterError(
                    f"cannot reach Discord to log in: {type(exc).__name__}: {exc}"
                ) from None
            if isinstance(exc, discord.HTTPException):
                raise ChatAdapterError(
                    f"Discord refused the login: HTTP {exc.status} {exc.text[:200]}"
                ) from None
            raise

    async def open_for_posting(self) -> None:
        """Log in over HTTP only: enough for a worker to post scheduled briefings (no gateway)."""
        await self.login()

    async def start(self) -> None:
        """Log in, connect to the gateway in the background and wait (a while) for READY."""
        if self._core is None:
            self._core = await asyncio.to_thread(self._core_provider)
        await self.login()
        await self._warn_if_unsynced()
        self._gateway = asyncio.create_task(self.client.connect(reconnect=True), name="discord-gateway")
        ready = asyncio.create_task(self.client.wait_until_ready())
        done, _ = await asyncio.wait(
            {self._gateway, ready}, timeout=READY_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
        )
        if self._gateway in done:
            ready.cancel()
            exc = self._gateway.exception()
            await self.close()
            if isinstance(exc, discord.LoginFailure) or getattr(exc, "code", None) == 4004:
                raise ChatAdapterError(f"Discord refused the gateway login: {TOKEN_HINT}") from None
            reason = f"{type(exc).__name__}: {exc}" if exc is not None else "closed by Discord"
            raise ChatAdapterError(f"the Discord gateway connection ended before READY ({reason})") from None
        if not done:
            ready.cancel()
            log.warning("Discord: not READY after %.0f s; still connecting in the background", READY_TIMEOUT)
        else:
            user = self.client.user
            log.info("Discord: connected as %s (%s shard(s))", user, self.client.shard_count)

    async def close(self) -> None:
        if not self.client.is_closed():
            await self.client.close()
        task, self._gateway = self._gateway, None
        if task is not None:
            done, _ = await asyncio.wait({task}, timeout=10)
            if not done:
                task.cancel()
                await asyncio.wait({task})
            if not task.cancelled() and task.exception() is not None:
                log.debug("Discord gateway task ended with %r", task.exception())

    def sink(self, channel_id: str) -> DiscordChannelSink:
        return DiscordChannelSink(self.client, channel_id)

    async def _warn_if_unsynced(self) -> None:
        """A bot whose commands were never registered answers nothing; say how to fix that."""
        guild = discord.Object(self.guild_ids[0]) if self.guild_ids else None
        try:
            registered = await self.tree.fetch_commands(guild=guild)
        except discord.HTTPException as exc:
            log.warning("Discord: could not list the registered commands (HTTP %s)", exc.status)
            return
        missing = {c.name for c in self.tree.get_commands()} - {c.name for c in registered}
        if missing:
            log.warning(
                "Discord: commands not registered yet: /%s — run `briefbot discord sync`",
                ", /".join(sorted(missing)),
            )

    async def sync(self, guild_id: int | None = None) -> dict[str, list[str]]:
        """Register the commands (globally, or in each guild); {"global" or guild id: command names}."""
        guilds = [guild_id] if guild_id is not None else self.guild_ids
        result: dict[str, list[str]] = {}
        try:
            if not guilds:
                result["global"] = [c.name for c in await self.tree.sync()]
            for gid in guilds:
                guild = discord.Object(gid)
                self.tree.clear_commands(guild=guild)
                self.tree.copy_global_to(guild=guild)
                result[str(gid)] = [c.name for c in await self.tree.sync(guild=guild)]
        except discord.Forbidden as exc:
            raise ChatAdapterError(
                f"Discord refused to register the commands (HTTP 403 {exc.text[:120]}): invite "
                "the bot with the applications.commands scope"
            ) from None
        except discord.HTTPException as exc:
            raise ChatAdapterError(
                f"Discord refused to register the commands: HTTP {exc.status} {exc.text[:200]}"
            ) from None
        return result

    # --- interactions ---

    async def _suggest(self, option: OptionSpec, typed: str, channel_id: str) -> list[Suggestion]:
        return await self.core.suggest(option, typed, "discord", channel_id)

    async def answer(
        self, interaction: discord.Interaction, name: str, args: Mapping[str, Any], *, ephemeral: bool
    ) -> None:
        """Defer at once, ask the core, send what the renderer made of the reply."""
        try:
            await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        except discord.HTTPException as exc:  # e.g. 10062 Unknown interaction: more than 3 s went by
            log.warning("Discord: could not acknowledge /%s in time (HTTP %s)", name, exc.status)
            return
        inv = Invocation(
            name=name,
            args={k: v for k, v in args.items() if v is not None},
            user_id=str(interaction.user.id),
            channel_id=str(interaction.channel_id),
            workspace_id=str(interaction.guild_id) if interaction.guild_id else None,
            platform="discord",
            can_manage_channel=interaction.permissions.manage_channels,
        )
        reply = await self.core.handle(inv)
        await self._send(interaction, reply, ephemeral)

    async def _send(self, interaction: discord.Interaction, reply: Reply, deferred_ephemeral: bool) -> None:
        ephemeral = deferred_ephemeral
        if reply.ephemeral and not deferred_ephemeral:
            # The first follow-up would fill the public "thinking…" message; remove it to answer privately.
            try:
                await interaction.delete_original_response()
            except discord.HTTPException as exc:
                log.info("Discord: could not remove the deferred message (HTTP %s)", exc.status)
            ephemeral = True
        payloads = render_discord(reply)
        for i, payload in enumerate(payloads, 1):
            try:
                await interaction.followup.send(**message_kwargs(payload), ephemeral=ephemeral)
            except discord.HTTPException as exc:
                log.error(
                    "Discord refused message %d of %d for /%s: HTTP %s %s",
                    i,
                    len(payloads),
                    getattr(interaction.command, "name", "?"),
                    exc.status,
                    exc.text[:300],
                )
                await self._apologise(interaction)
                return

    async def _apologise(self, interaction: discord.Interaction) -> None:
        try:
            await interaction.followup.send(
                "Sorry, Discord refused that answer; the details are in the bot's log.",
                ephemeral=True,
                allowed_mentions=discord.AllowedMentions.none(),
            )
        except discord.HTTPException:
            pass
