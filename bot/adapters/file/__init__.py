"""The `file` delivery: one JSON line per posted briefing, idempotent per scheduled run."""

from bot.adapters.file.sink import FileSink, FileSinkError, read_lines

__all__ = ["FileSink", "FileSinkError", "read_lines"]
