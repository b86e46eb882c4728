"""`briefbot` command line. Each command group lives in its own module and registers here."""

from __future__ import annotations

import logging
import sys

import typer

from bot.cli.state import CliState

app = typer.Typer(
    name="briefbot",
    help="Short, cited news briefings for Discord, Slack and the terminal.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    ctx: typer.Context,
    config: str = typer.Option(
        None,
        "--config",
        "-c",
        help="config file (else $BRIEFBOT_CONFIG, ./briefbot.yaml, or the bundled demo config)",
    ),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="more log output (-vv for debug)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="only errors"),
) -> None:
    ctx.obj = CliState(config_arg=config, verbosity=-1 if quiet else verbose, command=ctx.invoked_subcommand)
    ctx.obj.setup_logging()


def _register() -> None:
    from bot.cli import (  # noqa: F401  (each module registers its commands)
        brief_cmd,
        chat_cmd,
        config_cmd,
        db_cmd,
        discord_cmd,
        fetch_cmd,
        run_cmd,
        status_cmd,
        web_cmd,
        worker_cmd,
    )


def main() -> None:
    _register()
    try:
        app()
    except KeyboardInterrupt:
        logging.getLogger("briefbot").info("interrupted")
        sys.exit(130)
