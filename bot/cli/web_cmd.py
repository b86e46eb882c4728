"""`briefbot web`: the web pages of `briefbot run --web-port`, without the scheduler or chat.

For a machine that only shows what another process (`briefbot run`, `briefbot fetch` from cron)
stores, or to look at the demo: like `brief`, it reads the enabled folder (`path:`) sources once
at start, since they are cheap to read; feeds are polled only by `run`.
"""

from __future__ import annotations

import asyncio

import typer

from bot.cli import app


def _shown(host: str) -> str:
    return f"[{host}]" if ":" in host else host


@app.command()
def web(
    ctx: typer.Context,
    port: int = typer.Option(
        None, "--port", "-p", min=0, max=65535, help="port (default: web.port, else 8000; 0 picks a free one)"
    ),
    host: str = typer.Option(
        None, "--host", help="address (default web.host, $BRIEFBOT_WEB_HOST, 127.0.0.1; 0.0.0.0 for all)"
    ),
) -> None:
    """Serve today's briefing, the archive, story pages, Atom feeds and /admin/sources (until Ctrl-C)."""
    from bot.cli.state import err_console
    from bot.config.schema import WEB_PORT
    from bot.errors import StoreError
    from bot.scheduling.signals import on_stop_signals

    app_ = ctx.obj.app()
    chosen = port if port is not None else (app_.config.web.port or WEB_PORT)

    async def main() -> None:
        await asyncio.to_thread(lambda: app_.store)
        local = app_.local_sources()
        if local:
            for r in await app_.poll(local):
                if r.outcome.status == "failed":
                    err_console.print(f"source {r.outcome.source_name}: {r.outcome.error}", markup=False)
        face = app_.web_face(port=chosen, host=host)
        bound_host, bound_port = await face.start()
        admin = "on" if face.auth.enabled else "off (set web.admin_token: ${WEB_ADMIN_TOKEN})"
        err_console.print(
            f"briefbot web: pages on http://{_shown(bound_host)}:{bound_port}/, admin page {admin}; "
            "Ctrl-C stops",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        stop = asyncio.Event()
        with on_stop_signals(stop.set):
            try:
                await stop.wait()
            finally:
                await face.close()

    try:
        asyncio.run(main())
    except StoreError as exc:
        err_console.print(str(exc), markup=False)
        raise typer.Exit(1) from None
    except OSError as exc:
        err_console.print(f"cannot start: {exc}", markup=False)
        raise typer.Exit(1) from None
    err_console.print("briefbot web stopped", markup=False, highlight=False)
