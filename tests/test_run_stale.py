"""A source failing 5 times turns stale in `briefbot status` and /healthz, and fresh again on recovery.

The feed is a real HTTP server on 127.0.0.1 that answers 500 until the test lets it succeed; the bot
is the real `Runner` (APScheduler, backoff, poll claims, health server) on a SQLite store.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx
import pytest
from hostile_server import HostileServer, Response, make_items, rss_feed
from typer.testing import CliRunner

import bot.cli.status_cmd  # noqa: F401  (registers the command)
from bot.app import App
from bot.cli import app as cli
from bot.config import load_config
from bot.scheduling.runner import Runner, RunOptions


class Switch:
    def __init__(self, body: bytes) -> None:
        self.failing = True
        self.body = body
        self.lock = threading.Lock()

    def __call__(self, req: BaseHTTPRequestHandler) -> Response:
        with self.lock:
            if self.failing:
                return Response(500, b"down for maintenance", {}, "text/plain")
        return Response(200, self.body)


def status_json(config: Path) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["--config", str(config), "status", "--format", "json"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


@pytest.mark.timeout(120)
def test_failing_source_goes_stale_and_recovers(tmp_path: Path) -> None:
    with HostileServer() as srv:
        switch = Switch(rss_feed(make_items(3, srv.url("/story"))))
        feed = srv.route("/feed.xml", switch)
        config = tmp_path / "briefbot.yaml"
        config.write_text(
            f"""\
storage: {{url: "sqlite:///bot.db"}}
http: {{retries: 0, per_host_delay: 0s, timeout: 5s}}
sources:
  - {{name: flaky, url: "{feed}", interval: 200ms}}
summarizer: {{engine: lead}}
run: {{stale_after: 5, max_backoff: 1s, jitter: 50ms}}
""",
            encoding="utf-8",
        )
        runner = Runner(App(load_config(config)), RunOptions(health_port=0, health_refresh_s=0.2))

        async def scenario() -> dict[str, Any]:
            await runner.start()
            try:
                base = f"http://127.0.0.1:{runner.health_port}"
                async with httpx.AsyncClient(base_url=base, timeout=5) as client:

                    async def source() -> dict[str, Any]:
                        data = (await client.get("/healthz")).json()
                        return {
                            "status": data["status"],
                            **next(s for s in data["sources"] if s["name"] == "flaky"),
                        }

                    async def until(cond: Any, what: str, limit: float = 30.0) -> dict[str, Any]:
                        deadline = time.monotonic() + limit
                        while time.monotonic() < deadline:
                            s = await source()
                            if cond(s):
                                return s
                            await asyncio.sleep(0.1)
                        raise AssertionError(f"/healthz never showed {what}: {await source()}")

                    stale = await until(lambda s: s["stale"], "the source stale")
                    assert stale["consecutive_failures"] >= 5 and not stale["fresh"]
                    assert stale["status"] == "degraded" and "500" in (stale["last_error"] or "")
                    cli_view = await asyncio.to_thread(status_json, config)
                    flaky = next(s for s in cli_view["sources"] if s["name"] == "flaky")
                    assert flaky["stale"] is True and flaky["consecutive_failures"] >= 5
                    metrics = (await client.get("/metrics")).text
                    with switch.lock:
                        switch.failing = False
                    fresh = await until(lambda s: s["fresh"], "the source fresh again")
                    assert fresh["consecutive_failures"] == 0 and fresh["status"] == "ok"
                    return {"metrics": metrics, "fresh": fresh}
            finally:
                await runner.stop()

        seen = asyncio.run(scenario())
        requests = srv.requests("/feed.xml")
    cli_view = status_json(config)
    flaky = next(s for s in cli_view["sources"] if s["name"] == "flaky")
    assert flaky["stale"] is False and flaky["article_count"] == 3
    assert "briefbot_fetch_failures_total" in seen["metrics"]
    # Backoff: the failures were spaced out (0.2 s, 0.4 s, 0.8 s, then capped at 1 s), not hammered.
    times = [r.at for r in requests]
    gaps = [b - a for a, b in itertools.pairwise(times[:5])]
    assert len(times) >= 6 and gaps[2] > 0.6, gaps
