"""Issue #16: `briefbot run`, started as the container image starts it, under `ulimit -n 1024` (the
systemd default soft limit), holds 1,100 half-sent connections on the health port and 1,100 on the
Slack events listener: `/healthz` keeps answering from a snapshot the store keeps refreshing, Slack
still gets its 401 for an unsigned request, the half-sent connections are closed, and the log
stays small (before, the accept loop logged ~4 MB of tracebacks per second).
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dockerfile
import psutil
import pytest
from cli_command import briefbot_command

REPO = Path(__file__).resolve().parents[1]
HOLD = 1100
HALF_SENT = b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
LOG_LIMIT = 2_000_000

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class FakeSlackApi(BaseHTTPRequestHandler):
    """auth.test is all `run` asks of Slack's Web API in HTTP mode."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"ok": True, "team": "T", "user": "briefbot", "user_id": "UBOT"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def image_env_and_command(health_port: int) -> tuple[dict[str, str], list[str]]:
    """The ENV and CMD of the Dockerfile, with the health port made free."""
    env: dict[str, str] = {}
    command: list[str] = []
    for c in dockerfile.parse_file(str(REPO / "Dockerfile")):
        if c.cmd == "ENV":
            env.update(zip(c.value[::2], c.value[1::2], strict=True))
        elif c.cmd == "CMD":
            command = list(c.value)
    port_at = command.index("--health-port") + 1
    command[port_at] = str(health_port)
    return env, command


async def hold(port: int, n: int) -> list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    async def one() -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        try:
            r, w = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
            w.write(HALF_SENT)
            return r, w
        except (OSError, TimeoutError):
            return None

    return [c for c in await asyncio.gather(*(one() for _ in range(n))) if c is not None]


async def still_open(conns: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]) -> int:
    async def one(r: asyncio.StreamReader) -> bool:
        """Open means the server neither closed it nor answered (a 503 or 408 comes before a close)."""
        try:
            await asyncio.wait_for(r.read(1), 0.01)
        except TimeoutError:
            return True
        except OSError:
            pass
        return False

    return sum(await asyncio.gather(*(one(r) for r, _ in conns)))


def healthz(port: int) -> dict[str, object]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
        assert r.status == 200
        return json.loads(r.read())  # type: ignore[no-any-return]


@pytest.mark.timeout(120)
def test_1100_idle_connections_under_ulimit_1024_do_not_take_the_bot_down(tmp_path: Path) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 2 * HOLD + 200
    if soft < want:  # this test process is the attacker: it needs the sockets
        if hard != resource.RLIM_INFINITY and hard < want:
            pytest.skip(f"the test process may open only {hard} files; the attack needs {want}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    api = ThreadingHTTPServer(("127.0.0.1", 0), FakeSlackApi)
    threading.Thread(target=api.serve_forever, daemon=True).start()
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "port.txt").write_text(
        "Port reopens\n\nThe northern terminal reopened on Friday after repairs to the crane rails.\n",
        encoding="utf-8",
    )
    slack_port, health_port = free_port(), free_port()
    config = tmp_path / "briefbot.yaml"
    config.write_text(
        f"""
storage: {{url: "sqlite:///bot.db"}}
sources:
  - {{name: notes, path: notes, interval: 1s}}
summarizer: {{engine: lead}}
slack:
  bot_token: ${{SLACK_BOT_TOKEN}}
  signing_secret: ${{SLACK_SIGNING_SECRET}}
  mode: http
  port: {slack_port}
run: {{jitter: 0s}}
""",
        encoding="utf-8",
    )
    image_env, command = image_env_and_command(health_port)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT")}
    env.update(
        {
            k: v
            for k, v in image_env.items()
            if k.startswith("BRIEFBOT_") and k not in ("BRIEFBOT_CONFIG", "BRIEFBOT_DATA")
        },
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET="s3cret-signing",
        SLACK_API_URL=f"http://127.0.0.1:{api.server_address[1]}/api/",
        HF_HUB_OFFLINE="1",
    )
    log = tmp_path / "run.log"

    def systemd_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*briefbot_command(), "--config", str(config), *command],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp_path,
            preexec_fn=systemd_limit,
        )
    try:
        deadline = time.monotonic() + 60
        first: dict[str, object] = {}
        while time.monotonic() < deadline and not first.get("sources"):
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            try:
                first = healthz(health_port)
            except (OSError, ValueError):
                time.sleep(0.2)
        assert first.get("sources"), log.read_text(errors="replace")[-3000:]
        listening = {
            c.laddr.port: c.laddr.ip
            for c in psutil.Process(proc.pid).net_connections("tcp")
            if c.status == psutil.CONN_LISTEN
        }
        assert listening[health_port] == "0.0.0.0"  # the image's health port is reachable when published

        async def attack() -> tuple[list[float], int, int, int]:
            conns = await hold(health_port, HOLD) + await hold(slack_port, HOLD)
            answered: list[float] = []
            t0 = time.monotonic()
            while time.monotonic() - t0 < 7.0:  # longer than the 5 s header timeout
                t = time.perf_counter()
                snapshot = await asyncio.to_thread(healthz, health_port)
                answered.append(time.perf_counter() - t)
                assert snapshot["status"] in ("ok", "degraded")
                await asyncio.sleep(0.5)
            request = urllib.request.Request(f"http://127.0.0.1:{slack_port}/slack/events", data=b"x=1")
            try:
                await asyncio.to_thread(urllib.request.urlopen, request, timeout=3)
                slack = 200
            except urllib.error.HTTPError as exc:
                slack = exc.code
            left = await still_open(conns)
            for _, w in conns:
                w.close()
            return answered, slack, left, len(conns)

        answered, slack, left, held = asyncio.run(attack())
        last = healthz(health_port)
        assert str(last["generated_at"]) > str(first["generated_at"])  # the store is still read
        assert slack == 401
        assert held >= HOLD, held  # the kernel took them: the server chose what to keep
        assert left == 0, f"{left} half-sent connections still open after 7 s"
        assert len(answered) >= 10 and max(answered) < 2.0, answered
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0, log.read_text(errors="replace")[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        api.shutdown()
    text = log.read_text(errors="replace")
    # `run` says which chat platforms it answers on (the image's environment opens Slack's port)
    assert (
        f"chat: discord off (no discord: section), slack on (HTTP events on http://0.0.0.0:{slack_port}"
        in text
    )
    assert log.stat().st_size < LOG_LIMIT, f"log grew to {log.stat().st_size:,} bytes"
    assert "Traceback" not in text and "Too many open files" not in text, text[-3000:]
    assert "unable to open database file" not in text
