"""`briefbot fetch`: poll every enabled source once (or one, with --source) and show how each went."""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING

import typer

from bot.cli import app

if TYPE_CHECKING:
    from bot.core.polling import PollResult

REASON_WIDTH = 100


def result_word(r: PollResult) -> str:
    """'new 3', 'unchanged', 'no items' or 'failed' (a fetch whose articles could not be stored is
    failed). 'unchanged' means the source answered with what is already stored; a feed or folder
    that holds nothing at all is 'no items', on the first fetch as on any other."""
    if r.outcome.status == "failed" or r.store_error:
        return "failed"
    new = r.stored.new if r.stored else 0
    if new:
        return f"new {new}"
    if r.outcome.status == "ok" and not r.outcome.articles and not r.outcome.items_seen:
        return "no items"
    return "unchanged"


def reason(r: PollResult) -> str:
    """One line: the error, else the first warning (item cap, refused links...), else nothing."""
    text = f"not stored: {r.store_error}" if r.store_error else r.outcome.error or ""
    if not text and r.outcome.warnings:
        text = r.outcome.warnings[0] + (
            f" (+{len(r.outcome.warnings) - 1} more)" if len(r.outcome.warnings) > 1 else ""
        )
    text = " ".join(text.split())
    if len(text) <= REASON_WIDTH or not sys.stdout.isatty():  # cut in a terminal only
        return text
    return text[: REASON_WIDTH - 1] + "…"


@app.command()
def fetch(
    ctx: typer.Context,
    source: str = typer.Option(None, "--source", "-s", help="poll only this source (by name)"),
    concurrency: int = typer.Option(8, "--concurrency", min=1, max=64, help="sources polled at once"),
) -> None:
    """Poll sources once and store new articles. Exit 0 if at least one source worked."""
    from rich.table import Table
    from rich.text import Text

    from bot.cli.state import console, err_console
    from bot.ingest import UnknownSourceError
    from bot.store import StoreError

    app_ = ctx.obj.app()
    try:
        sources = app_.sources(source)
    except UnknownSourceError as exc:
        err_console.print(str(exc), markup=False, soft_wrap=True)
        raise typer.Exit(2) from None
    if not sources:
        err_console.print("No enabled sources: add some under `sources:` in the config.")
        raise typer.Exit(1)
    try:
        app_.store  # noqa: B018  (open it here: a bad storage.url is one line, not one per source)
    except StoreError as exc:
        err_console.print(str(exc), markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    # App.poll also caches the new articles' sentence vectors and applies storage.retention.
    results = asyncio.run(app_.poll(sources, concurrency=concurrency))

    table = Table(title="Fetch", title_justify="left")
    for column, justify in (
        ("source", "left"),
        ("result", "left"),
        ("new", "right"),
        ("duplicates", "right"),
        ("items", "right"),
        ("time", "right"),
        ("reason", "left"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for r in results:
        word = result_word(r)
        o = r.outcome
        table.add_row(
            Text(o.source_name),
            Text(word, style="red" if word == "failed" else ("green" if word.startswith("new") else "")),
            str(r.stored.new if r.stored else 0),
            str(r.stored.duplicates if r.stored else 0),
            str(o.items_seen or len(o.articles)),
            f"{o.duration_s:.1f}s",
            Text(reason(r)),
        )
    console().print(table)
    worked = sum(1 for r in results if result_word(r) != "failed")
    raise typer.Exit(0 if worked else 1)
