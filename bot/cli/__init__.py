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
    ctx.obj = CliState(config_arg=config, verbosity=-1 if quiet else verbose)
    ctx.obj.setup_logging()


def _register() -> None:
    from bot.cli import brief_cmd, config_cmd, fetch_cmd  # noqa: F401  (registers commands)

    for optional in ("bot.cli.run_cmd", "bot.cli.chat_cmd", "bot.cli.status_cmd", "bot.cli.discord_cmd"):
        try:
            __import__(optional)
        except ModuleNotFoundError as exc:  # a command group not written yet
            if exc.name != optional:
                raise


def main() -> None:
    _register()
    try:
        app()
    except KeyboardInterrupt:
        logging.getLogger("briefbot").info("interrupted")
        sys.exit(130)
