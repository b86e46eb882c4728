"""`briefbot brief`: print a briefing from the store or from files."""

from __future__ import annotations

import json
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from bot.cli import app
from bot.config.schema import parse_duration

if TYPE_CHECKING:
    from bot.app import App
    from summarizer.model import Briefing


@app.command()
def brief(
    ctx: typer.Context,
    topic: str = typer.Argument(None, help="a configured topic or any text (default: everything)"),
    since: str = typer.Option(
        None,
        "--since",
        help="look back this far in the store, e.g. 6h or 2d "
        "(default: summarizer.since of the config, 24h unless set)",
    ),
    inputs: list[Path] = typer.Option(
        None,
        "--input",
        "-i",
        help="summarise these files or folders directly instead of the store (repeatable)",
    ),
    fmt: str = typer.Option("text", "--format", "-f", help="text, markdown or json"),
    max_stories: int = typer.Option(None, "--max-stories", "-n", min=1, max=50),
) -> None:
    """Print a briefing."""
    from bot.cli.state import err_console
    from bot.logs import redact, redact_data
    from bot.render.text import render_markdown, render_text

    if fmt not in ("text", "markdown", "json"):
        err_console.print(f"--format must be text, markdown or json, not {fmt!r}")
        raise typer.Exit(2)
    app_ = ctx.obj.app()
    from bot.entry import quote_helper_enabled
    from summarizer import quote_worker

    with ExitStack() as stack:
        if app_.config.summarizer.max_quotes > 0 and quote_helper_enabled():
            # One briefing, then exit: spaCy loads in a helper process, beside the encoder, not in its way.
            stack.enter_context(quote_worker.helper_for_this_command())
        else:
            quote_worker.discard_early()
        briefing = _briefing(app_, topic, since, inputs, max_stories)
    if fmt == "json":
        sys.stdout.write(json.dumps(redact_data(briefing.to_dict()), ensure_ascii=False, indent=2) + "\n")
    elif fmt == "markdown":
        sys.stdout.write(redact(render_markdown(briefing)) + "\n")
    else:
        sys.stdout.write(redact(render_text(briefing)) + "\n")


def _briefing(
    app_: App, topic: str | None, since: str | None, inputs: list[Path] | None, max_stories: int | None
) -> Briefing:
    from bot.cli.state import err_console

    try:
        window = parse_duration(since) if since else app_.config.summarizer.since
    except ValueError as exc:
        err_console.print(f"--since: {exc}")
        raise typer.Exit(2) from None
    if inputs:
        from bot.ingest.files import InputError, read_inputs

        try:
            articles = read_inputs(inputs)
        except InputError as exc:
            err_console.print(str(exc), markup=False)
            raise typer.Exit(2) from None
        if since:  # files are briefed whatever their age, unless --since says otherwise
            from datetime import UTC, datetime

            floor = datetime.now(UTC) - window
            articles = [a for a in articles if a.published is None or a.published >= floor]
        briefing = app_.briefing_service(with_store=False).brief_articles(articles, topic, max_stories)
    else:
        import asyncio

        from bot.core.briefing import BriefRequest
        from bot.store import StoreError

        try:
            local = app_.local_sources()
            if local:  # local folders are cheap to re-read: a brief never shows a stale corpus
                for r in asyncio.run(app_.poll(local)):
                    if r.outcome.status == "failed":
                        err_console.print(f"source {r.outcome.source_name}: {r.outcome.error}", markup=False)
            briefing = app_.briefing_service().brief(BriefRequest(topic, window, max_stories))
        except StoreError as exc:
            err_console.print(str(exc), markup=False, soft_wrap=True)
            raise typer.Exit(1) from None
        if not briefing.stories and app_.store.article_count() == 0:
            err_console.print(
                "The store is empty: run `briefbot fetch` first, or summarise files with --input."
            )
    return briefing
