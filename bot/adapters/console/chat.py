"""`briefbot chat`: type the chat commands in a terminal and see the answers, no tokens needed.

Lines go through the same `CommandCore` as Discord and Slack (user "console", channel
"console"), so this is also the quickest way to try the bot. Text is printed with rich `Text`
objects, never as markup, so article text cannot restyle the terminal.
"""

from __future__ import annotations

import asyncio
from typing import TextIO

from rich.console import Console, RenderableType
from rich.text import Text

from bot.core.commands import CommandCore
from bot.core.replies import Reply
from bot.render.text import render_reply_text

PROMPT = "briefbot> "
_QUIT = {"exit", "quit", "/exit", "/quit", ":q"}
_STYLES = {"error": "red", "ok": "green", "help": "cyan"}


def render_console(reply: Reply, width: int = 100) -> RenderableType:
    """A reply as a rich renderable (plain text, coloured by kind)."""
    text = Text(render_reply_text(reply, width=width), style=_STYLES.get(reply.kind, ""))
    if reply.kind == "briefing":
        text.stylize("bold", 0, len(text.plain.split("\n", 1)[0]))
    return text


class ConsoleChat:
    """Reads command lines, answers each through the core, prints the replies."""

    def __init__(
        self,
        core: CommandCore,
        console: Console | None = None,
        *,
        user_id: str = "console",
        channel_id: str = "console",
    ) -> None:
        self.core = core
        self.console = console or Console(highlight=False)
        self.user_id = user_id
        self.channel_id = channel_id

    async def answer(self, line: str) -> Reply:
        # The person at the terminal runs the bot, so they may manage its (only) channel.
        inv = self.core.parse_text(
            line,
            user_id=self.user_id,
            channel_id=self.channel_id,
            platform="console",
            can_manage_channel=True,
        )
        return await self.core.handle(inv)

    def run(self, stream: TextIO, interactive: bool) -> int:
        """Answer lines until EOF or `quit`; returns how many commands were answered."""
        answered = 0
        with asyncio.Runner() as runner:
            while True:
                line = self._read(stream, interactive)
                if line is None:
                    break
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                if line.lower() in _QUIT:
                    break
                if not interactive:  # a transcript reads better with the command shown
                    self.console.print(Text(PROMPT + line, style="dim"))
                reply = runner.run(self.answer(line))
                # wrapped once, by us; rich must not wrap again (it would break URLs)
                self.console.print(render_console(reply, width=min(self.console.width, 120)), soft_wrap=True)
                self.console.print()
                answered += 1
        return answered

    def _read(self, stream: TextIO, interactive: bool) -> str | None:
        if interactive:
            try:
                return self.console.input(PROMPT)
            except EOFError:
                self.console.print()
                return None
        line = stream.readline()
        return line if line else None
