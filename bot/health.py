"""`/healthz` and `/metrics` over HTTP for `briefbot run` (aiohttp, in a thread of its own).

Requests never touch the database: `/healthz` serves a JSON snapshot that a scheduler job rebuilds
every few seconds (`HealthState.publish`), and `/metrics` renders in-memory Prometheus counters. The
server runs on its own thread and event loop, so both answer in about a millisecond however busy the
bot's loop is or however slow the store and the sources are. `/healthz` answers
503 when the process is stopping or the snapshot has not been refreshed for a while (a stuck loop).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

__all__ = ["HealthServer", "HealthState"]

log = logging.getLogger(__name__)

METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass
class HealthState:
    """The last published snapshot, pre-encoded, and whether it is recent enough to trust."""

    max_age_s: float = 120.0
    stopping: bool = False
    _body: bytes = b'{"status": "starting"}'
    _published: float = field(default_factory=time.monotonic)
    _ready: bool = False

    def publish(self, snapshot: dict[str, Any]) -> None:
        self._body = json.dumps(snapshot, ensure_ascii=False, default=str).encode("utf-8")
        self._published = time.monotonic()
        self._ready = True

    def response(self) -> tuple[int, bytes]:
        if self.stopping:
            return 503, b'{"status": "stopping"}'
        age = time.monotonic() - self._published
        if not self._ready:
            return (503 if age > self.max_age_s else 200), self._body
        if age > self.max_age_s:
            return 503, json.dumps({"status": "stuck", "snapshot_age_s": round(age, 1)}).encode()
        return 200, self._body


class HealthServer:
    """Serves from a thread of its own with its own event loop, so a busy bot loop (hundreds of polls,
    a briefing being composed) cannot delay the answer; the handlers only read published bytes."""

    def __init__(
        self, state: HealthState, metrics: Callable[[], bytes], *, host: str = "127.0.0.1", port: int = 8080
    ) -> None:
        self.state = state
        self.metrics = metrics
        self.host = host
        self.port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None

    async def _healthz(self, _request: web.Request) -> web.Response:
        status, body = self.state.response()
        return web.Response(status=status, body=body, content_type="application/json")

    async def _metrics(self, _request: web.Request) -> web.Response:
        return web.Response(body=self.metrics(), headers={"Content-Type": METRICS_CONTENT_TYPE})

    async def _serve(self) -> int:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, backlog=1024)
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            self._runner = None
            raise OSError(
                exc.errno,
                f"cannot serve /healthz on {self.host}:{self.port}: {exc.strerror} "
                "(choose another --health-port)",
            ) from None
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        return int(sockets[0].getsockname()[1]) if sockets else self.port

    async def start(self) -> int:
        """Listen (in the server thread); returns the bound port (useful with port 0)."""
        loop = asyncio.new_event_loop()
        ready: concurrent.futures.Future[int] = concurrent.futures.Future()

        def main() -> None:
            asyncio.set_event_loop(loop)
            try:
                ready.set_result(loop.run_until_complete(self._serve()))
            except BaseException as exc:
                ready.set_exception(exc)
                loop.close()
                return
            loop.run_forever()
            loop.close()

        thread = threading.Thread(target=main, name="briefbot-health", daemon=True)
        thread.start()
        try:
            self.port = await asyncio.wrap_future(ready)
        except BaseException:
            await asyncio.to_thread(thread.join, 5.0)
            raise
        self._loop, self._thread = loop, thread
        log.info("health server on http://%s:%d/healthz and /metrics", self.host, self.port)
        return self.port

    async def close(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or loop.is_closed():
            return

        async def shutdown() -> None:
            if self._runner is not None:
                await self._runner.cleanup()
                self._runner = None

        try:
            await asyncio.wait_for(
                asyncio.wrap_future(asyncio.run_coroutine_threadsafe(shutdown(), loop)), 5.0
            )
        except (TimeoutError, RuntimeError) as exc:
            log.warning("health server did not shut down cleanly: %s", exc)
        finally:
            if not loop.is_closed():
                loop.call_soon_threadsafe(loop.stop)
            await asyncio.to_thread(thread.join, 5.0)
            self._loop = self._thread = None
