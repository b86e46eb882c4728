"""Discord: slash commands, persistent buttons and channel posts through discord.py (issue #5)."""

from bot.adapters.discord.adapter import DiscordAdapter
from bot.adapters.discord.buttons import StoryButton
from bot.adapters.discord.sink import DiscordChannelSink

__all__ = ["DiscordAdapter", "DiscordChannelSink", "StoryButton"]
