"""What every command shares: the resolved config, logging, and the wired application."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from bot.config import ConfigError, LoadedConfig, load_config, resolve_config_path

if TYPE_CHECKING:
    from bot.app import App

NO_WRAP_WIDTH = 10_000
"""Columns assumed when the output is not a terminal: lines are never wrapped, tables never cut."""


def console(*, stderr: bool = False) -> Console:
    """A rich console on the current stdout (or stderr), with every configured secret redacted.

    In a terminal it wraps to the window as usual; anywhere else (journald, docker logs, a pipe,
    a file) nothing is wrapped and tables keep every column whole, so one `FILE:LINE:` error is
    one line and a table can be grepped.
    """
    from bot.logs import RedactingStream

    stream = sys.stderr if stderr else sys.stdout
    terminal = stream.isatty()
    return Console(
        file=RedactingStream(stream),
        highlight=False,
        soft_wrap=not terminal,
        width=None if terminal else NO_WRAP_WIDTH,
    )


class _Console:
    """`err_console.print(...)`: a fresh `console(stderr=True)` per use, so it always writes to the
    current sys.stderr (tests swap it) and re-checks whether that is a terminal."""

    def __getattr__(self, name: str) -> Any:
        return getattr(console(stderr=True), name)


err_console: Any = _Console()


CHAT_COMMANDS = frozenset({"run", "worker", "discord"})
"""Commands that connect to a chat platform: for the others an unset chat token is no error."""


@dataclass
class CliState:
    config_arg: str | None = None
    verbosity: int = 0
    command: str | None = None
    _loaded: LoadedConfig | None = field(default=None, repr=False)
    _app: App | None = field(default=None, repr=False)

    def setup_logging(self) -> None:
        from bot.logs import setup_logging

        level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(self.verbosity, logging.DEBUG)
        setup_logging(level)

    @property
    def config_path(self) -> Path:
        return resolve_config_path(self.config_arg)

    def loaded(self) -> LoadedConfig:
        """The validated config, or exit 2 with one line per problem."""
        if self._loaded is None:
            try:
                self._loaded = load_config(self.config_path, chat=self.command in CHAT_COMMANDS)
            except ConfigError as exc:
                for issue in exc.issues:
                    err_console.print(str(issue), markup=False)
                raise typer.Exit(2) from None
            from bot.embeddings import config_issue
            from bot.logs import register_secrets

            register_secrets(self._loaded.secrets)
            for section in self._loaded.chat_off:
                logging.getLogger("briefbot").info(
                    "%s: left out for `%s` (its token is not set; only `run` needs it)", section, self.command
                )
            problem = config_issue(self._loaded)
            if problem is not None:
                err_console.print(str(problem), markup=False)
                raise typer.Exit(2)
        return self._loaded

    def app(self) -> App:
        if self._app is None:
            from bot.app import App

            self._app = App(self.loaded())
        return self._app
