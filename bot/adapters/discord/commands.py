"""The slash commands as a discord.py `CommandTree`; every callback just hands over to the answerer.

Names, descriptions and option texts come from `bot.core.commands.COMMAND_SPECS`, so Discord,
Slack and the console offer the same commands. Discord checks the integer ranges before we see
them; the core checks everything again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import discord
from discord import app_commands

from bot.adapters.discord.client import BriefbotClient
from bot.core.commands import COMMAND_SPECS, CommandSpec

log = logging.getLogger(__name__)

# Answers everyone in the channel may see; the rest are shown only to the person who asked.
PUBLIC_COMMANDS = frozenset({"brief", "more", "sources", "quote"})

_SPECS: dict[str, CommandSpec] = {c.name: c for c in COMMAND_SPECS}


def _limit(command: str, option: str) -> int:
    """An option's upper bound as the command's spec declares it (Discord checks it before we do)."""
    spec = next(o for o in _SPECS[command].options if o.name == option)
    assert spec.max_value is not None
    return spec.max_value


_HOURS_MAX = _limit("brief", "hours")
_STORY_MAX = _limit("more", "n")


def _description(name: str) -> str:
    return _SPECS[name].description[:100]


def _options(name: str) -> dict[str, str]:
    return {o.name: o.description[:100] for o in _SPECS[name].options}


def build_command_tree(
    client: BriefbotClient, topics: Callable[[str], list[str]]
) -> app_commands.CommandTree:
    """A tree with /brief, /more, /sources, /quote, /topics, /subscribe, /unsubscribe, /subscriptions, /help.

    `topics(prefix)` offers topic names for autocomplete (`CommandCore.autocomplete_topics`).
    """
    tree = app_commands.CommandTree(client)

    async def run(interaction: discord.Interaction, name: str, **args: object) -> None:
        answerer = client.answerer
        if answerer is None:
            raise RuntimeError("the Discord client has no answerer")
        await answerer.answer(interaction, name, args, ephemeral=name not in PUBLIC_COMMANDS)

    async def topic_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=t[:100], value=t[:100]) for t in topics(current)]

    @tree.command(name="brief", description=_description("brief"))
    @app_commands.describe(**_options("brief"))
    @app_commands.autocomplete(topic=topic_choices)
    async def brief(
        interaction: discord.Interaction,
        topic: str | None = None,
        hours: app_commands.Range[int, 1, _HOURS_MAX] | None = None,
    ) -> None:
        await run(interaction, "brief", topic=topic, hours=hours)

    @tree.command(name="more", description=_description("more"))
    @app_commands.describe(**_options("more"))
    async def more(interaction: discord.Interaction, n: app_commands.Range[int, 1, _STORY_MAX]) -> None:
        await run(interaction, "more", n=n)

    @tree.command(name="sources", description=_description("sources"))
    @app_commands.describe(**_options("sources"))
    async def sources(interaction: discord.Interaction, n: app_commands.Range[int, 1, _STORY_MAX]) -> None:
        await run(interaction, "sources", n=n)

    @tree.command(name="quote", description=_description("quote"))
    @app_commands.describe(**_options("quote"))
    async def quote(interaction: discord.Interaction, n: app_commands.Range[int, 1, _STORY_MAX]) -> None:
        await run(interaction, "quote", n=n)

    @tree.command(name="topics", description=_description("topics"))
    async def topics_(interaction: discord.Interaction) -> None:
        await run(interaction, "topics")

    @tree.command(name="subscribe", description=_description("subscribe"))
    @app_commands.describe(**_options("subscribe"))
    @app_commands.autocomplete(topic=topic_choices)
    @app_commands.default_permissions(manage_channels=True)
    async def subscribe(
        interaction: discord.Interaction, topic: str, time: str, timezone: str | None = None
    ) -> None:
        await run(interaction, "subscribe", topic=topic, time=time, timezone=timezone)

    @tree.command(name="unsubscribe", description=_description("unsubscribe"))
    @app_commands.describe(**_options("unsubscribe"))
    @app_commands.autocomplete(topic=topic_choices)
    @app_commands.default_permissions(manage_channels=True)
    async def unsubscribe(interaction: discord.Interaction, topic: str | None = None) -> None:
        await run(interaction, "unsubscribe", topic=topic)

    @tree.command(name="subscriptions", description=_description("subscriptions"))
    async def subscriptions(interaction: discord.Interaction) -> None:
        await run(interaction, "subscriptions")

    @tree.command(name="help", description=_description("help"))
    async def help_(interaction: discord.Interaction) -> None:
        await run(interaction, "help")

    @tree.error
    async def on_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        log.error("Discord command /%s failed", getattr(interaction.command, "name", "?"), exc_info=error)
        if not interaction.response.is_done():
            try:
                await interaction.response.send_message(
                    "Sorry, that failed on our side; the details are in the bot's log.",
                    ephemeral=True,
                    allowed_mentions=discord.AllowedMentions.none(),
                )
            except discord.HTTPException:
                pass

    return tree
