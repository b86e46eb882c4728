"""The slash commands as a discord.py `CommandTree`, built from the core's declarations.

Each `bot.core.commands.CommandSpec` becomes one app command whose options have the declared
Discord types (string, integer with its range, boolean), lengths, required flags, descriptions and
autocomplete; commands that need Manage Channels are hidden from other members by default. The
callback only hands the options over to the answerer: the core checks everything again.

discord.py reads a command's options from its callback's signature (`inspect.signature`), so each
callback is given the signature its declaration describes (`__signature__`) instead of one written
by hand.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import app_commands

from bot.adapters.discord.client import BriefbotClient
from bot.core.commands import COMMAND_SPECS, CommandSpec, OptionSpec, Suggestion

log = logging.getLogger(__name__)

DESCRIPTION_MAX = 100
CHOICES_MAX = 25

# `suggest(option, typed, channel_id)`: autocomplete choices (`CommandCore.suggest` for one platform)
Suggest = Callable[[OptionSpec, str, str], Awaitable[list[Suggestion]]]


def option_type(option: OptionSpec) -> Any:
    """The annotation discord.py turns into the option's Discord type and limits."""
    if option.kind == "integer":
        lo = option.min_value if option.min_value is not None else 0
        hi = option.max_value if option.max_value is not None else 2**53
        annotation: Any = app_commands.Range[int, lo, hi]
    elif option.kind == "flag":
        annotation = bool
    elif option.max_length is not None:
        annotation = app_commands.Range[str, 1, option.max_length]
    else:
        annotation = str
    return annotation if option.required else annotation | None


def _signature(spec: CommandSpec) -> inspect.Signature:
    first = inspect.Parameter(
        "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
    )
    params = [first]
    for o in spec.options:
        default = inspect.Parameter.empty if o.required else None
        params.append(
            inspect.Parameter(
                o.name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=option_type(o)
            )
        )
    return inspect.Signature(params)


def build_command_tree(client: BriefbotClient, suggest: Suggest) -> app_commands.CommandTree:
    """A tree with one app command per declared command (see the module docstring)."""
    tree = app_commands.CommandTree(client)
    for spec in COMMAND_SPECS:
        tree.add_command(_app_command(client, spec, suggest))

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


def _app_command(
    client: BriefbotClient, spec: CommandSpec, suggest: Suggest
) -> app_commands.Command[Any, ..., None]:
    async def callback(interaction: discord.Interaction, **options: Any) -> None:
        answerer = client.answerer
        if answerer is None:
            raise RuntimeError("the Discord client has no answerer")
        await answerer.answer(interaction, spec.name, options, ephemeral=not spec.public)

    callback.__signature__ = _signature(spec)  # type: ignore[attr-defined]
    callback.__name__ = callback.__qualname__ = spec.name
    if spec.options:
        app_commands.describe(**{o.name: o.description[:DESCRIPTION_MAX] for o in spec.options})(callback)
    completing = {o.name: _completer(o, suggest) for o in spec.options if o.autocomplete}
    if completing:
        app_commands.autocomplete(**completing)(callback)
    if spec.needs_manage_channel:
        app_commands.default_permissions(manage_channels=True)(callback)
    return app_commands.Command(
        name=spec.name, description=spec.description[:DESCRIPTION_MAX], callback=callback
    )


def _completer(
    option: OptionSpec, suggest: Suggest
) -> Callable[[discord.Interaction, str], Awaitable[list[app_commands.Choice[str]]]]:
    async def complete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        found = await suggest(option, current, str(interaction.channel_id))
        return [app_commands.Choice(name=s.label[:100], value=s.value[:100]) for s in found[:CHOICES_MAX]]

    return complete
