"""A real headless Chromium driven over the DevTools protocol (its websocket, with aiohttp's client).

Debian's `chromium` package (`/usr/bin/chromium`, installed by `.ci/run`): no browser is downloaded
and no driver package is needed. One browser process serves every page a test opens; each `visit`
opens a fresh tab, sets its viewport and colour scheme, sends extra headers (the admin token), waits
for the load event, and returns what the page logged (console errors, uncaught exceptions,
Content-Security-Policy violations, failed loads), a PNG screenshot of the whole page, and facts read
from the rendered DOM.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
)

FACTS = """(() => {
  const body = document.body;
  const style = getComputedStyle(body);
  return {
    title: document.title,
    text: body ? body.innerText : "",
    h1: [...document.querySelectorAll("h1")].map(h => h.innerText),
    headings: [...document.querySelectorAll("h1,h2,h3,h4,h5,h6")].map(h => Number(h.tagName[1])),
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
    background: style.backgroundColor,
    color: style.color,
    stylesheets: document.styleSheets.length,
    scripts: document.scripts.length,
    height: document.documentElement.scrollHeight,
  };
})()"""


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class Visit:
    url: str
    status: int | None
    facts: dict[str, Any]
    screenshot: bytes
    problems: list[str] = field(default_factory=list)  # console errors, exceptions, CSP violations


class Chromium:
    def __init__(self, executable: str) -> None:
        self.executable = executable
        self._profile = tempfile.mkdtemp(prefix="briefbot-chromium-")
        self._proc: subprocess.Popen[bytes] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._events: dict[str, asyncio.Queue[dict[str, Any]]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._stderr = Path(self._profile) / "stderr.log"

    async def __aenter__(self) -> Chromium:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self, timeout: float = 30.0) -> None:
        stderr = self._stderr.open("wb")
        self._proc = subprocess.Popen(
            [self.executable, *CHROMIUM_FLAGS, f"--user-data-dir={self._profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )
        port_file = Path(self._profile) / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while not port_file.exists() or len(port_file.read_text().splitlines()) < 2:
            if self._proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"chromium did not start: {self._stderr.read_text(errors='replace')[-2000:]}"
                )
            await asyncio.sleep(0.05)
        port, path = port_file.read_text().splitlines()[:2]
        self._session = aiohttp.ClientSession()
        self._ws = await self._session.ws_connect(f"ws://127.0.0.1:{port}{path}", max_msg_size=0)
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def close(self) -> None:
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.send("Browser.close"), 5)
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
        if self._session is not None:
            await self._session.close()
        if self._proc is not None:
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self._proc.pid, 9)
                self._proc.wait(5)
        shutil.rmtree(self._profile, ignore_errors=True)

    async def _read(self) -> None:
        assert self._ws is not None
        async for msg in self._ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            if "id" in data:
                future = self._pending.pop(data["id"], None)
                if future is not None and not future.done():
                    if "error" in data:
                        future.set_exception(RuntimeError(f"DevTools: {data['error']}"))
                    else:
                        future.set_result(data.get("result", {}))
            else:
                self._queue(data.get("sessionId", "")).put_nowait(data)

    def _queue(self, session: str) -> asyncio.Queue[dict[str, Any]]:
        return self._events.setdefault(session, asyncio.Queue())

    async def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        assert self._ws is not None
        msg_id = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[msg_id] = future
        message: dict[str, Any] = {"id": msg_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        await self._ws.send_str(json.dumps(message))
        return await asyncio.wait_for(future, 30)

    async def visit(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        width: int = 360,
        height: int = 740,
        dark: bool = False,
        timeout: float = 30.0,
        max_height: int = 6000,
    ) -> Visit:
        target = (await self.send("Target.createTarget", {"url": "about:blank"}))["targetId"]
        session = (await self.send("Target.attachToTarget", {"targetId": target, "flatten": True}))[
            "sessionId"
        ]
        events = self._queue(session)
        try:
            for domain in ("Page", "Runtime", "Log", "Network"):
                await self.send(f"{domain}.enable", session=session)
            await self.send(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500},
                session,
            )
            await self.send(
                "Emulation.setEmulatedMedia",
                {"features": [{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]},
                session,
            )
            if headers:
                await self.send("Network.setExtraHTTPHeaders", {"headers": headers}, session)
            await self.send("Page.navigate", {"url": url}, session)
            problems: list[str] = []
            status: int | None = None
            deadline = time.monotonic() + timeout
            loaded = False
            while not loaded:
                event = await asyncio.wait_for(events.get(), max(0.1, deadline - time.monotonic()))
                loaded = _note(event, problems) or loaded
                if (
                    event["method"] == "Network.responseReceived"
                    and event["params"].get("type") == "Document"
                ):
                    status = event["params"]["response"]["status"]
            await asyncio.sleep(0.2)  # late console messages (a blocked stylesheet is reported after load)
            while not events.empty():
                _note(events.get_nowait(), problems)
            facts = await self.send("Runtime.evaluate", {"expression": FACTS, "returnByValue": True}, session)
            metrics = await self.send("Page.getLayoutMetrics", session=session)
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            shot = await self.send(
                "Page.captureScreenshot",
                {
                    "format": "png",
                    "captureBeyondViewport": True,
                    "clip": {
                        "x": 0,
                        "y": 0,
                        "width": width,
                        "height": min(size["height"], max_height),
                        "scale": 1,
                    },
                },
                session,
            )
            while not events.empty():
                _note(events.get_nowait(), problems)
            return Visit(url, status, facts["result"]["value"], base64.b64decode(shot["data"]), problems)
        finally:
            await self.send("Target.closeTarget", {"targetId": target})


def _note(event: dict[str, Any], problems: list[str]) -> bool:
    """Record what a page complained about; True at its load event."""
    method, params = event.get("method"), event.get("params", {})
    if method == "Page.loadEventFired":
        return True
    if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert", "warning"):
        args = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
        problems.append(f"console.{params['type']}: {args}")
    elif method == "Runtime.exceptionThrown":
        problems.append(f"exception: {params.get('exceptionDetails', {}).get('text')}")
    elif method == "Log.entryAdded" and params.get("entry", {}).get("level") in ("error", "warning"):
        entry = params["entry"]
        problems.append(
            f"{entry.get('source')} {entry['level']}: {entry.get('text')} {entry.get('url', '')}".strip()
        )
    elif method == "Network.loadingFailed" and not params.get("canceled"):
        problems.append(f"load failed: {params.get('errorText')} ({params.get('type')})")
    return False
