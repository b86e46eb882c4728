"""The `briefbot` executable: starts what a command can start before the CLI's imports, then runs it.

Kept apart from `bot.cli`, whose import (typer, pydantic, the config schema) is most of a second:
`brief --input` starts its quote helper process first, so spaCy loads on the other core meanwhile.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

# The root options of `bot.cli` that take a value; the command name is the first other word.
_OPTIONS_WITH_VALUE = frozenset({"--config", "-c"})
_HELP = frozenset({"--help", "-h"})


def command_name(argv: Sequence[str]) -> str | None:
    """The subcommand `argv` runs (None for none, or when it only asks for help)."""
    words = iter(argv)
    for word in words:
        if word in _HELP:
            return None
        if word in _OPTIONS_WITH_VALUE:
            next(words, None)
        elif not word.startswith("-"):
            return None if _HELP.intersection(argv) else word
    return None


def quote_helper_enabled(environ: Mapping[str, str] = os.environ) -> bool:
    """`BRIEFBOT_QUOTE_HELPER=off` keeps quote extraction in the command's own process (a sandbox
    that forbids child processes, or to compare); slower to start, the same quotes."""
    return environ.get("BRIEFBOT_QUOTE_HELPER", "on").strip().lower() not in ("off", "0", "false", "no")


def main() -> None:
    from summarizer.allocator import tune_allocator

    tune_allocator()  # before any numpy work; the helper below tunes its own process
    # `brief --input` reads new files, whose quotes must be found; a briefing of the store reads
    # summaries cached by story version, and a cache miss finds its quotes in-process
    args = sys.argv[1:]
    reads_files = any(a == "--input" or a.startswith("--input=") for a in args)
    if command_name(args) == "brief" and reads_files and quote_helper_enabled():
        from summarizer.quote_worker import start_early

        start_early()
    from bot.cli import main as cli_main

    cli_main()
