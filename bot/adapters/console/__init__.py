"""The terminal as a chat platform (`briefbot chat`) and as a delivery target."""

from bot.adapters.console.chat import ConsoleChat, render_console
from bot.adapters.console.sink import ConsoleSink

__all__ = ["ConsoleChat", "ConsoleSink", "render_console"]
