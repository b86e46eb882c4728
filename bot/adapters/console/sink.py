"""`ConsoleSink`: a delivery that prints the briefing (platform "console": local runs and demos)."""

from __future__ import annotations

from rich.console import Console

from bot.adapters.console.chat import render_console
from bot.core.protocols import PostResult
from bot.core.replies import Reply
from summarizer.model import Briefing


class ConsoleSink:
    """Implements `Sink` by printing to the terminal; the message id is the idempotency key."""

    platform = "console"

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(highlight=False)

    async def post(self, briefing: Briefing, *, idempotency_key: str, note: str | None = None) -> PostResult:
        self.console.print(
            render_console(Reply.of_briefing(briefing, note), width=min(self.console.width, 120)),
            soft_wrap=True,
        )
        return PostResult(message_ids=[idempotency_key], platform=self.platform)
