"""`briefbot run`: poll sources, post scheduled briefings, answer chat, serve /healthz (until SIGTERM)."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import typer

from bot.cli import app

if TYPE_CHECKING:
    from bot.scheduling.runner import Runner

log = logging.getLogger("briefbot.run")

WORKER_THREADS = 16  # store calls, composing and file writes run in threads; keep the loop free


def parse_shard_ids(text: str | None) -> list[int] | None:
    """ "0,1,4-6" → [0, 1, 4, 5, 6]; raises ValueError with a readable message."""
    if text is None or not text.strip():
        return None
    ids: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if "-" in part:
            lo, _, hi = part.partition("-")
            if not (lo.strip().isdigit() and hi.strip().isdigit()) or int(lo) > int(hi):
                raise ValueError(f"--shard-ids: {part!r} is not a range such as 0-3")
            ids.extend(range(int(lo), int(hi) + 1))
        elif part.isdigit():
            ids.append(int(part))
        else:
            raise ValueError(f"--shard-ids: {part!r} is not a shard number; use e.g. 0,1 or 0-3")
    return sorted(set(ids))


def _shown(host: str) -> str:
    return f"[{host}]" if ":" in host else host


CHAT_PLATFORMS = ("discord", "slack")


def chat_summary(adapters: Sequence[object]) -> str:
    """Which chat platforms this process answers on, and how: 'chat: discord off (no discord: section), …'."""
    by_name = {str(getattr(a, "name", "")): a for a in adapters}
    parts = []
    for name in CHAT_PLATFORMS:
        adapter = by_name.get(name)
        if adapter is None:
            parts.append(f"{name} off (no {name}: section)")
            continue
        address = getattr(adapter, "address", None)
        if getattr(adapter, "mode", None) == "http" and address:
            parts.append(f"{name} on (HTTP events on http://{_shown(address[0])}:{address[1]}{adapter.path})")  # type: ignore[attr-defined]
        elif getattr(adapter, "mode", None) == "socket":
            parts.append(f"{name} on (Socket Mode)")
        else:
            parts.append(f"{name} on")
    return "chat: " + ", ".join(parts)


@app.command()
def run(
    ctx: typer.Context,
    health_port: int = typer.Option(
        None,
        "--health-port",
        min=0,
        max=65535,
        help="serve /healthz and /metrics on this port (default: run.health_port; 0 picks a free port)",
    ),
    health_host: str = typer.Option(
        None,
        "--health-host",
        help="address to serve health on (default 127.0.0.1, "
        "or $BRIEFBOT_HEALTH_HOST; 0.0.0.0 for every interface)",
    ),
    web_port: int = typer.Option(
        None,
        "--web-port",
        min=0,
        max=65535,
        help="serve the web pages (today's briefing, archive, stories, Atom feeds, /admin/sources) on "
        "this port (default: web.port; off when neither is set)",
    ),
    web_host: str = typer.Option(
        None, "--web-host", help="address of the web pages (default web.host, $BRIEFBOT_WEB_HOST, 127.0.0.1)"
    ),
    shard_ids: str = typer.Option(None, "--shard-ids", help="Discord shards this process runs, e.g. 0,1"),
    shard_count: int = typer.Option(
        None, "--shard-count", min=1, help="total Discord shards over all processes"
    ),
) -> None:
    """Run the bot: poll sources on their intervals, post scheduled briefings exactly once, serve chat."""
    from bot.cli.state import err_console
    from bot.errors import ChatAdapterError, QueueError, StoreError
    from bot.scheduling.runner import Runner, RunOptions

    try:
        shards = parse_shard_ids(shard_ids)
    except ValueError as exc:
        err_console.print(str(exc), markup=False)
        raise typer.Exit(2) from None
    if shards and shard_count is not None and max(shards) >= shard_count:
        err_console.print(
            f"--shard-ids {shard_ids} does not fit --shard-count {shard_count} (ids are 0 to "
            f"{shard_count - 1})",
            markup=False,
        )
        raise typer.Exit(2)
    app_ = ctx.obj.app()
    port = health_port if health_port is not None else app_.config.run.health_port
    options = RunOptions(
        health_port=port,
        health_host=health_host or os.environ.get("BRIEFBOT_HEALTH_HOST") or "127.0.0.1",
        shard_ids=shards,
        shard_count=shard_count,
        web_port=web_port if web_port is not None else app_.config.web.port,
        web_host=web_host,
    )
    runner = Runner(app_, options)

    def started(r: Runner) -> None:
        where = (
            f", health on http://{_shown(options.health_host)}:{r.health_port}/healthz"
            if r.health_port
            else ""
        )
        if r.web_address:
            where += f", web pages on http://{_shown(r.web_address[0])}:{r.web_address[1]}/"
        subscribed = sum(1 for p in r.plans.values() if p.origin == "subscription")
        made = f" ({subscribed} from chat /subscribe)" if subscribed else ""
        err_console.print(
            f"briefbot running: {len(r.sources)} sources, {len(r.plans)} deliveries{made}{where}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        err_console.print(chat_summary(r.chat_adapters), markup=False, highlight=False, soft_wrap=True)

    async def main() -> None:
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(WORKER_THREADS, "briefbot"))
        await runner.serve(on_started=started)

    try:
        asyncio.run(main())
    except ChatAdapterError as exc:
        err_console.print(str(exc), markup=False)
        raise typer.Exit(2) from None
    except (StoreError, QueueError) as exc:
        err_console.print(str(exc), markup=False)
        raise typer.Exit(1) from None
    except OSError as exc:
        err_console.print(f"cannot start: {exc}", markup=False)
        raise typer.Exit(1) from None
    err_console.print("briefbot stopped", markup=False, highlight=False)
