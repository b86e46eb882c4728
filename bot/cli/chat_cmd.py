"""`briefbot chat` (the chat commands in a terminal) and `briefbot preview` (the exact payloads)."""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from bot.cli import app

if TYPE_CHECKING:
    from bot.app import App
    from bot.core.protocols import FetchedArticle
    from summarizer.model import Briefing

PLATFORMS = ("discord", "slack", "text")


def _read_inputs(inputs: list[Path]) -> list[FetchedArticle]:
    from bot.cli.state import err_console
    from bot.ingest.files import InputError, read_inputs

    try:
        return read_inputs(inputs)
    except InputError as exc:
        err_console.print(str(exc), markup=False)
        raise typer.Exit(2) from None


def _window(app_: App, since: str | None) -> timedelta:
    from bot.cli.state import err_console
    from bot.config.schema import parse_duration

    if since is None:
        return app_.config.summarizer.since
    try:
        return parse_duration(since)
    except ValueError as exc:
        err_console.print(f"--since: {exc}", markup=False)
        raise typer.Exit(2) from None


def _store(app_: App) -> Any:
    from bot.cli.state import err_console
    from bot.store import StoreError

    try:
        return app_.store
    except StoreError as exc:
        err_console.print(str(exc), markup=False)
        raise typer.Exit(1) from None


@app.command()
def chat(
    ctx: typer.Context,
    inputs: list[Path] = typer.Option(
        None,
        "--input",
        "-i",
        help="answer /brief from these files or folders instead of the store (repeatable)",
    ),
) -> None:
    """Use the chat commands (/brief, /more 1, /sources 1, /help ...) in the terminal."""

    from bot.adapters.console import ConsoleChat
    from bot.cli.state import err_console

    app_ = ctx.obj.app()
    articles = None
    if inputs:
        articles = _read_inputs(inputs)
    else:
        store = _store(app_)
        count = getattr(store, "article_count", None)
        if count is not None and count() == 0:
            err_console.print(
                "The store has no articles yet: run `briefbot fetch` first, or use "
                "`briefbot chat --input FOLDER`.",
                markup=False,
            )
    core = app_.console_core(articles)
    interactive = sys.stdin.isatty()
    from bot.cli.state import console as cli_console

    console = cli_console()  # secrets redacted; not wrapped when piped
    if interactive:
        console.print("briefbot chat — type /help, or quit to leave.", markup=False)
    ConsoleChat(core, console).run(sys.stdin, interactive=interactive)


@app.command()
def preview(
    ctx: typer.Context,
    topic: str = typer.Argument(None, help="a configured topic or any text (default: everything)"),
    platform: str = typer.Option("discord", "--platform", "-p", help="discord, slack or text"),
    inputs: list[Path] = typer.Option(
        None, "--input", "-i", help="summarise these files or folders instead of the store (repeatable)"
    ),
    since: str = typer.Option(
        None, "--since", help="look back this far in the store (default: summarizer.since of the config)"
    ),
    webhook: bool = typer.Option(False, "--webhook", help="as a webhook delivery posts it (no buttons)"),
) -> None:
    """Print, as JSON, the exact messages a briefing would be sent as."""
    from bot.cli.state import err_console
    from bot.core.replies import Reply

    if platform not in PLATFORMS:
        err_console.print(f"--platform must be discord, slack or text, not {platform!r}", markup=False)
        raise typer.Exit(2)
    app_ = ctx.obj.app()
    briefing = _briefing(app_, topic, inputs, since)
    reply = Reply.of_briefing(briefing)
    payloads: list[dict[str, Any]]
    if platform == "discord":
        from bot.render.discord import render_discord

        payloads = render_discord(reply, buttons=not webhook)
    elif platform == "slack":
        from bot.render.slack import render_slack

        payloads = render_slack(reply, buttons=not webhook)
    else:
        from bot.render.text import render_reply_text

        payloads = [{"text": render_reply_text(reply)}]
    from bot.logs import redact_data

    sys.stdout.write(json.dumps(redact_data(payloads), ensure_ascii=False, indent=2) + "\n")


def _briefing(app_: App, topic: str | None, inputs: list[Path] | None, since: str | None) -> Briefing:
    window = _window(app_, since)
    if inputs:
        articles = _read_inputs(inputs)
        return app_.briefing_service(with_store=False).brief_articles(articles, topic)
    from bot.core.briefing import BriefRequest

    _store(app_)
    return app_.briefing_service().brief(BriefRequest(topic, window))
