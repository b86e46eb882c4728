"""`briefbot status`: how every source is doing, each delivery's last run, and how big the store is."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import typer

from bot.cli import app
from bot.cli.state import console as cli_console

ERROR_WIDTH = 60
"""Errors are cut to this in a terminal; elsewhere (a pipe, a journal) they are shown whole."""


def shorten(text: str) -> str:
    if len(text) <= ERROR_WIDTH or not sys.stdout.isatty():
        return text
    return text[: ERROR_WIDTH - 1] + "…"


def relative(when: datetime | None, now: datetime) -> str:
    """'5m ago', 'in 2h', or 'never': times a reader takes in at a glance."""
    if when is None:
        return "never"
    seconds = (when - now).total_seconds()
    span = abs(seconds)
    if span < 1:
        return "now"
    amount = f"{int(span)}s"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if span >= size:
            amount = f"{int(span // size)}{unit}"
            break
    return f"in {amount}" if seconds > 0 else f"{amount} ago"


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


@app.command()
def status(
    ctx: typer.Context,
    fmt: str = typer.Option("table", "--format", "-f", help="table or json"),
) -> None:
    """Show each source's state (last success, errors, staleness, next poll), each scheduled delivery's
    last run (posted, failed, or waiting to try again) and the store's size."""
    from bot.cli.state import console, err_console
    from bot.errors import QueueError, StoreError
    from bot.logs import redact, redact_data

    if fmt not in ("table", "json"):
        err_console.print(f"--format must be table or json, not {fmt!r}")
        raise typer.Exit(2)
    app_ = ctx.obj.app()
    try:
        store = app_.store
        sources = store.status(stale_after=app_.config.run.stale_after)
        size = store.size_bytes()
        # the config's deliveries and the channels' /subscribe ones, as `run` counts them
        import asyncio

        runs = delivery_runs(store, list(asyncio.run(app_.plans(fresh=True))))
        queues = queue_view(app_)
    except (StoreError, QueueError) as exc:
        err_console.print(str(exc), markup=False)
        raise typer.Exit(1) from None
    for s in sources:  # a source URL may carry a key from the environment; errors may quote it
        s.url = redact(s.url)
        s.last_error = redact(s.last_error) if s.last_error else s.last_error
    for run in runs:
        run.error = redact(run.error) if run.error else run.error
    total = sum(s.article_count for s in sources)
    location = getattr(store, "url", app_.config.storage.url)
    from bot.embeddings import embedding_status

    embeddings = embedding_status(app_.loaded)
    if fmt == "json":
        data = {
            "embeddings": embeddings.to_dict(),
            "sources": [{k: _jsonable(v) for k, v in asdict(s).items()} for s in sources],
            "deliveries": [{k: _jsonable(v) for k, v in asdict(r).items()} for r in runs],
            "store": {"url": location, "size_bytes": size, "articles": total},
            "queue": queues,
        }
        sys.stdout.write(json.dumps(redact_data(data), ensure_ascii=False, indent=2) + "\n")
        return
    _print_table(sources, location, size, total, runs)
    _print_queues(queues)
    if embeddings.warning:  # on stderr too, so a cron job's mail or a journal shows it
        err_console.print(f"warning: {embeddings.line()}", markup=False, soft_wrap=True)
    else:
        console().print(embeddings.line(), markup=False)


def queue_view(app_: Any) -> dict[str, Any]:
    """Where the work runs and, on procrastinate, each queue's jobs: queued, running, failed, retried."""
    if app_.queue_engine != "procrastinate":
        return {"engine": "inline", "note": "polls, compositions and posts run inside `briefbot run`"}
    import asyncio

    from bot.tasks.engine import queue_stats

    workers, *rows = asyncio.run(queue_stats(app_))
    return {"engine": "procrastinate", "workers_alive": workers["workers"], "queues": rows}


def _print_queues(view: dict[str, Any]) -> None:
    from rich.table import Table
    from rich.text import Text

    console = cli_console()
    if view["engine"] != "procrastinate":
        console.print(Text(f"Queue: inline ({view['note']})"))
        return
    alive = view["workers_alive"]
    table = Table(
        title=f"Queues (procrastinate, {alive} worker{'' if alive == 1 else 's'} alive)", title_justify="left"
    )
    for column in ("queue", "queued", "running", "failed", "retried", "done"):
        table.add_column(column, justify="left" if column == "queue" else "right")
    for q in view["queues"]:
        table.add_row(
            q["queue"],
            str(q["queued"]),
            str(q["running"]),
            Text(str(q["failed"]), style="bold red" if q["failed"] else ""),
            str(q["retried"]),
            str(q["succeeded"]),
        )
    console.print(table)
    if not alive:
        console.print(
            Text(
                "No worker is alive: start `briefbot worker` (scheduled briefings wait for one).",
                style="yellow",
            )
        )


@dataclass
class DeliveryRun:
    """A delivery's most recent run as `status` shows it (`last_run` None: it has not run yet)."""

    delivery: str
    last_run: datetime | None = None
    result: str = "never run"
    attempts: int = 0
    error: str | None = None
    next_try: datetime | None = None  # set while a failed run waits to be tried again


def delivery_runs(store: Any, configured: list[str]) -> list[DeliveryRun]:
    """The configured deliveries and every one that has run (channel subscriptions too), by name."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.store import StoreError

    engine = getattr(store, "engine", None)
    if engine is None:
        return [DeliveryRun(name) for name in configured]
    from bot.store.runs import RunRepository

    try:
        latest = RunRepository(engine).latest_runs()
    except SQLAlchemyError as exc:
        raise StoreError(f"could not read the delivery runs: {type(exc).__name__}") from None
    runs = {name: DeliveryRun(name) for name in configured}
    for r in latest:
        result = "running" if r.status in ("queued", "composing", "composed", "posting") else r.status
        runs[r.delivery] = DeliveryRun(r.delivery, r.scheduled_for, result, r.attempts, r.error, r.next_try)
    return sorted(runs.values(), key=lambda r: r.delivery)


def _print_table(
    sources: list[Any], location: str, size: int | None, total: int, runs: list[DeliveryRun]
) -> None:
    from rich.filesize import decimal
    from rich.table import Table
    from rich.text import Text

    now = datetime.now(UTC)
    table = Table(title="Sources", title_justify="left")
    for column, justify in (
        ("source", "left"),
        ("enabled", "center"),
        ("last success", "right"),
        ("last error", "left"),
        ("failures", "right"),
        ("stale", "center"),
        ("next poll", "right"),
        ("articles", "right"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for s in sources:
        error = ""
        if s.last_error:
            short = shorten(s.last_error)
            error = f"{short} ({relative(s.last_error_at, now)})"
        table.add_row(
            Text(s.name),
            "yes" if s.enabled else "no",
            relative(s.last_success, now),
            Text(error),
            str(s.consecutive_failures),
            Text("STALE", style="bold red") if s.stale else "",
            relative(s.next_poll, now) if s.enabled and s.next_poll else "-",
            f"{s.article_count:,}",
            style=None if s.enabled else "dim",
        )
    console = cli_console()
    if sources:
        console.print(table)
    else:
        console.print("No sources yet: add some under `sources:` in the config.")
    _print_runs(runs, console)
    console.print(
        Text(
            f"Store: {location}, {decimal(size) if size is not None else 'size unknown'}, "
            f"{total:,} article{'' if total == 1 else 's'}"
        )
    )


def _print_runs(runs: list[DeliveryRun], console: Any) -> None:
    if not runs:
        return
    from rich.table import Table
    from rich.text import Text

    now = datetime.now(UTC)
    table = Table(title="Deliveries", title_justify="left")
    for column in ("delivery", "last run", "result", "detail"):
        table.add_column(column)
    styles = {"posted": "green", "failed": "bold red", "retry": "yellow"}
    for r in runs:
        detail = r.error or ""
        detail = shorten(detail)
        if r.result == "retry":
            detail = f"tries again {relative(r.next_try, now)} (try {r.attempts + 1}): {detail}"
        elif r.attempts > 1:
            detail = f"after {r.attempts} tries" + (f": {detail}" if detail else "")
        table.add_row(
            Text(r.delivery),
            relative(r.last_run, now),
            Text(r.result, style=styles.get(r.result, "")),
            Text(detail),
        )
    console.print(table)
