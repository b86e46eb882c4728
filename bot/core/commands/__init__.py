"""The chat commands: declared once (`spec`), parsed from typed lines (`words`), checked (`checks`)
and answered (`core`) the same way for every platform. See `bot.core.commands.core`."""

from bot.core.commands.checks import StoryRef, clean_text, parse_time, parse_timezone
from bot.core.commands.core import (
    COMMAND_SPECS,
    COMMANDS,
    MANAGERS,
    MAX_HOURS,
    STORY_BUTTONS,
    TOPIC_MAX,
    ChatStore,
    CommandCore,
    Subscription,
    find_command,
    format_window,
    parse_command_line,
)
from bot.core.commands.spec import STORY_ID_FORM, CommandSpec, Invocation, OptionSpec, Suggestion, command
from bot.core.commands.words import LINE_MAX
from bot.errors import UserError

__all__ = [
    "COMMANDS",
    "COMMAND_SPECS",
    "LINE_MAX",
    "MANAGERS",
    "MAX_HOURS",
    "STORY_BUTTONS",
    "STORY_ID_FORM",
    "TOPIC_MAX",
    "ChatStore",
    "CommandCore",
    "CommandSpec",
    "Invocation",
    "OptionSpec",
    "StoryRef",
    "Subscription",
    "Suggestion",
    "UserError",
    "clean_text",
    "command",
    "find_command",
    "format_window",
    "parse_command_line",
    "parse_time",
    "parse_timezone",
]
