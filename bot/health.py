"""`/healthz` and `/metrics` over HTTP for `briefbot run` (aiohttp, in a thread of its own).

Requests never touch the database: `/healthz` serves a JSON snapshot that a scheduler job rebuilds
every few seconds (`HealthState.publish`), and `/metrics` renders in-memory Prometheus counters. The
server runs on its own thread and event loop, so both answer in about a millisecond however busy the
bot's loop is or however slow the store and the sources are; its connection limits are `bot.net`'s.
`/healthz` answers 503 when the process is stopping or the snapshot has not been refreshed for a while
(a stuck loop).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.logs import redact
from bot.net import HardenedServer, ServerBindError, ServerLimits, ServerThread

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
        """Keep the snapshot to serve, with every configured secret redacted (source URLs and
        errors may quote a key or a password, as httpx spells it)."""
        text = json.dumps(snapshot, ensure_ascii=False, default=str)
        self._body = redact(text).encode("utf-8")
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
    """`/healthz` and `/metrics` on a `HardenedServer` in a thread of its own (`bot.net`), so a busy bot
    loop cannot delay the answer and idle or half-sent connections cannot exhaust it; the handlers
    only read published bytes."""

    def __init__(
        self,
        state: HealthState,
        metrics: Callable[[], bytes],
        *,
        host: str = "127.0.0.1",
        port: int = 8080,
        limits: ServerLimits | None = None,
    ) -> None:
        self.state = state
        self.metrics = metrics
        self.host = host
        self.port = port
        self.server = HardenedServer(host, port, limits=limits, name="health")
        self.server.app.router.add_get("/healthz", self._healthz)
        self.server.app.router.add_get("/metrics", self._metrics)
        self._thread = ServerThread(self.server, thread_name="briefbot-health")

    async def _healthz(self, _request: web.Request) -> web.Response:
        status, body = self.state.response()
        return web.Response(status=status, body=body, content_type="application/json")

    async def _metrics(self, _request: web.Request) -> web.Response:
        body = redact(self.metrics().decode("utf-8", "replace")).encode("utf-8")
        return web.Response(body=body, headers={"Content-Type": METRICS_CONTENT_TYPE})

    async def start(self) -> int:
        """Listen (in the server thread); returns the bound port (useful with port 0)."""
        try:
            _host, self.port = await self._thread.start()
        except ServerBindError as exc:
            raise OSError(
                exc.errno,
                f"cannot serve /healthz on {exc.where}: {exc.reason} (choose another --health-port or --health-host)",
            ) from None
        shown = f"[{self.host}]" if ":" in self.host else self.host
        log.info(
            "health server on http://%s:%d/healthz and /metrics (at most %d connections)",
            shown,
            self.port,
            self.server.connection_cap,
        )
        return self.port

    async def close(self) -> None:
        await self._thread.close()
