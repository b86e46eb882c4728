"""`briefbot worker`: run the task queues (polls, story maintenance, compositions, posts) on
PostgreSQL with procrastinate, on as many machines as you like."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from concurrent.futures import ThreadPoolExecutor

import typer

from bot.cli import app

log = logging.getLogger("briefbot.worker")

WORKER_THREADS = 16


@app.command()
def worker(
    ctx: typer.Context,
    queues: str = typer.Option(
        None,
        "--queues",
        "-q",
        help="comma-separated queues to work (default: all of ticks, polls, stories, compose, posts)",
    ),
    concurrency: int = typer.Option(
        4, "--concurrency", min=1, max=64, help="jobs run at once by this worker"
    ),
) -> None:
    """Work the task queues on PostgreSQL (needs `storage.url: postgresql://...`); stop with SIGTERM."""
    from bot.cli.state import err_console
    from bot.errors import ChatAdapterError, QueueError, StoreError
    from bot.tasks import QUEUES

    app_ = ctx.obj.app()
    if app_.queue_engine != "procrastinate":
        err_console.print(
            "briefbot worker needs the procrastinate queue: a PostgreSQL storage.url (or run.queue: procrastinate). "
            "With SQLite, `briefbot run` does the work itself.",
            markup=False,
            soft_wrap=True,
        )
        raise typer.Exit(2)
    chosen = [q.strip() for q in queues.split(",") if q.strip()] if queues else list(QUEUES)
    unknown = sorted(set(chosen) - set(QUEUES))
    if unknown:
        err_console.print(
            f"--queues: unknown {', '.join(unknown)}; choose from {', '.join(QUEUES)}", markup=False
        )
        raise typer.Exit(2)
    name = f"{socket.gethostname()[:40]}:{os.getpid()}"

    async def main() -> None:
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(WORKER_THREADS, "briefbot"))
        await asyncio.to_thread(lambda: app_.store)
        async with app_.http_client.session():
            chat = await app_.posting_adapters()
            app_.attach_chat(chat)
            err_console.print(
                f"briefbot worker {name}: queues {', '.join(chosen)}, concurrency {concurrency}",
                markup=False,
                highlight=False,
            )
            try:
                await app_.queue.run_worker(queues=chosen, concurrency=concurrency, name=name)  # type: ignore[attr-defined]
            finally:
                for adapter in chat:
                    await adapter.close()
                await app_.sink_registry.close()
                await app_.queue.close()  # type: ignore[attr-defined]

    try:
        asyncio.run(main())
    except ChatAdapterError as exc:
        err_console.print(str(exc), markup=False)
        raise typer.Exit(2) from None
    except (StoreError, QueueError) as exc:
        err_console.print(str(exc), markup=False)
        raise typer.Exit(1) from None
    err_console.print("briefbot worker stopped", markup=False, highlight=False)
