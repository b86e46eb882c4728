"""How a chat command is declared: once, next to its handler, as discord.py's `ext/commands` does.

A `CommandSpec` (name, description, options with their kinds and limits, help, who may run it,
whether it is rate-limited, whether its answer is public) is attached to its handler with
`@command(...)`. Everything else is derived from the declarations: the parser of typed lines
(`bot.core.commands.words`), the argument checks (`bot.core.commands.checks`), `/help`, the Discord
app-command tree, the Slack slash commands and buttons, and the test that slack/manifest.yaml
lists exactly these commands.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

OptionKind = Literal["text", "topic", "integer", "time", "timezone", "story", "flag"]

# A story as a typed word: its number in the channel's last briefing, or its stable id.
STORY_NUMBER = re.compile(r"^#?(\d{1,6})$")
STORY_ID_FORM = r"s[a-z0-9]{5,23}"  # bot.core.stories.new_story_id: "s" and 10 base32 letters
STORY_ID = re.compile(rf"^{STORY_ID_FORM}$")
_TIME = re.compile(r"^\d{1,2}:\d{2}$")


@dataclass(frozen=True)
class OptionSpec:
    """One argument of a command; `name` is its key in `Invocation.args` and its Discord option name.

    kinds: ``text`` (any words), ``topic`` (words, with autocomplete of the configured topics),
    ``integer`` (a whole number from `min_value` to `max_value`; `unit` may follow it, e.g. 12h),
    ``time`` (HH:MM), ``timezone`` (an IANA name), ``story`` (a story's number in the channel's last
    briefing or its id, with autocomplete of that briefing's stories), ``flag`` (the option's own
    name as a word, e.g. ``new``; a boolean on Discord).
    """

    name: str
    description: str  # ≤ 100 characters (Discord's limit)
    required: bool = False
    kind: OptionKind = "text"
    min_value: int | None = None
    max_value: int | None = None
    max_length: int | None = None  # characters, for the text kinds
    unit: str = ""  # a suffix a typed integer may carry ("h": 12h)
    placeholder: str | None = None  # how /help and Slack's usage hint write it (default: the name)

    @property
    def typed(self) -> bool:
        """A word of a recognisable form (number, time, story, flag) rather than free words."""
        return self.kind in ("integer", "time", "story", "flag")

    @property
    def autocomplete(self) -> bool:
        return self.kind in ("topic", "story")

    def matches(self, word: str) -> bool:
        """Whether a typed word has this option's form (only typed options have one)."""
        w = word.strip()
        if self.kind == "integer":
            unit = re.escape(self.unit)
            return (
                re.fullmatch(rf"\d{{1,6}}\s*(?:{unit})?" if unit else r"\d{1,6}", w, re.IGNORECASE)
                is not None
            )
        if self.kind == "time":
            return _TIME.match(w) is not None
        if self.kind == "story":
            return STORY_NUMBER.match(w) is not None or STORY_ID.match(w.casefold()) is not None
        if self.kind == "flag":
            return w.casefold() == self.name.casefold()
        return False

    @property
    def usage(self) -> str:
        shown = self.placeholder or self.name
        return f"<{shown}>" if self.required else f"[{shown}]"


Handler = Callable[..., Awaitable[Any]]
H = TypeVar("H", bound=Handler)


@dataclass(frozen=True)
class CommandSpec:
    """A chat command, declared once (see the module docstring)."""

    name: str
    description: str  # ≤ 100 characters (Discord's limit); also Slack's manifest description
    options: tuple[OptionSpec, ...] = ()
    help: str | None = None  # the /help sentence (default: the description); "{window}" is filled in
    aliases: tuple[str, ...] = ()  # other names a typed line may use (/quotes)
    needs_manage_channel: bool = False  # Discord hides it from members without Manage Channels
    public: bool = False  # the answer is posted for the whole channel (else only the asker sees it)
    rate_limited: bool = False  # counts against limits.brief_per_user / brief_per_channel
    button: str | None = None  # a story button under each briefing story opens this command ("More")
    handler: str = ""  # the CommandCore method that answers it (set by @command)

    @property
    def usage(self) -> str:
        """``/brief [topic] [hours] [new]``: what /help and Slack's usage hint show."""
        return " ".join([f"/{self.name}", *(o.usage for o in self.options)])

    def help_line(self, window: str) -> str:
        text = self.help or f"{self.description[:1].lower()}{self.description[1:]}."
        text = text.replace("{window}", window)
        return f"{self.usage} — {text}"

    def option(self, name: str) -> OptionSpec:
        return next(o for o in self.options if o.name == name)


def command(name: str, description: str, *options: OptionSpec, **details: Any) -> Callable[[H], H]:
    """Declare the decorated `CommandCore` method as the handler of a chat command.

    The handler is called as ``handler(self, inv, **values)`` with each option's checked value
    (None when it was not given); see `CommandCore.handle`.
    """

    def decorate(fn: H) -> H:
        fn.__briefbot_command__ = CommandSpec(  # type: ignore[attr-defined]
            name, description, tuple(options), handler=fn.__name__, **details
        )
        return fn

    return decorate


def declared(namespace: Mapping[str, Any]) -> tuple[CommandSpec, ...]:
    """The commands declared in a class body, in the order they are written."""
    specs = tuple(v.__briefbot_command__ for v in namespace.values() if hasattr(v, "__briefbot_command__"))
    names = [n for s in specs for n in (s.name, *s.aliases)]
    if len(names) != len(set(names)):
        raise ValueError(f"a command name is declared twice: {sorted(names)}")
    for s in specs:
        if len(s.description) > 100 or any(len(o.description) > 100 for o in s.options):
            raise ValueError(f"/{s.name}: Discord allows descriptions of at most 100 characters")
        if not re.fullmatch(r"[a-z]{1,32}", s.name):
            raise ValueError(f"/{s.name}: a command name is 1-32 lower-case letters")
    return specs


@dataclass(frozen=True)
class Invocation:
    """What an adapter parsed: the command name and its raw, unchecked arguments by option name.

    Values are strings (typed text), or whatever a platform sends for a typed option (a Discord
    integer or boolean); `CommandCore.handle` checks them all against the declaration.
    """

    name: str
    args: Mapping[str, str]
    user_id: str
    channel_id: str
    workspace_id: str | None
    platform: str
    can_manage_channel: bool = False


@dataclass(frozen=True)
class Suggestion:
    """One autocomplete choice: what the user sees and the value the option gets."""

    label: str
    value: str
