"""What every command shares: the resolved config, logging, and the wired application."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from bot.config import ConfigError, LoadedConfig, load_config, resolve_config_path

if TYPE_CHECKING:
    from bot.app import App

err_console = Console(stderr=True, highlight=False)


@dataclass
class CliState:
    config_arg: str | None = None
    verbosity: int = 0
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
                self._loaded = load_config(self.config_path)
            except ConfigError as exc:
                for issue in exc.issues:
                    err_console.print(str(issue), markup=False)
                raise typer.Exit(2) from None
            from bot.embeddings import config_issue
            from bot.logs import register_secrets

            register_secrets(self._loaded.secrets)
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
