"""Discord and Slack webhook sinks against a real HTTP server on 127.0.0.1 that records requests."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.adapters.webhook import DiscordWebhookSink, SlackWebhookSink, WebhookError
from bot.core.protocols import Sink
from bot.logs import setup_logging
from summarizer.model import Briefing, Bullet, SourceRef, Story

TOKEN = "s3cr3t-T0KEN-abcdefghijklmnop"
T0 = datetime(2026, 11, 12, 9, 30, tzinfo=UTC)


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Seen:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    json: dict
    at: float


class RecordingServer:
    """Answers POSTs from a script (the last answer repeats) and records each request."""

    def __init__(self) -> None:
        self.script: list[Answer] = []
        self.seen: list[Seen] = []
        self.default: Answer = Answer()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                parts = urlsplit(self.path)
                server.seen.append(Seen(parts.path, parse_qs(parts.query), dict(self.headers), body, time.monotonic()))
                answer = server.script.pop(0) if server.script else server.default
                if callable(answer):
                    answer = answer(len(server.seen))
                self.send_response(answer.status)
                for k, v in answer.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    srv = RecordingServer()
    srv.thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


def briefing(stories: int = 2) -> Briefing:
    return Briefing("taiwan", T0, [
        Story(f"Story {i} @everyone", [Bullet(f"Point {i} for <@123> and <!here>.", [1])], [], [1])
        for i in range(1, stories + 1)
    ], [SourceRef(1, "A", "https://harbor.example/a", "Harbor Ledger", T0)])


def json_answer(data: dict, status: int = 200, **headers: str) -> Answer:
    return Answer(status, json.dumps(data).encode(), {"Content-Type": "application/json", **headers})


def discord_ids(n: int) -> Answer:
    return json_answer({"id": str(1000 + n), "channel_id": "1"})


# --- Discord ---

def test_discord_posts_every_message_in_order_and_returns_ids(server: RecordingServer) -> None:
    server.default = discord_ids  # type: ignore[assignment]
    sink = DiscordWebhookSink(server.url(f"/api/webhooks/42/{TOKEN}"))
    assert isinstance(sink, Sink) and sink.platform == "discord"
    result = asyncio.run(sink.post(briefing(12), idempotency_key="daily:2026-11-12", note="Morning briefing"))
    assert result.platform == "discord" and result.message_ids == ["1001", "1002"]
    assert [s.query for s in server.seen] == [{"wait": ["true"]}] * 2
    first, second = (s.json for s in server.seen)
    assert first["content"].startswith("Morning briefing\n**Briefing: taiwan")
    assert len(first["embeds"]) == 10 and len(second["embeds"]) == 2 and "content" not in second
    assert all(s.json["allowed_mentions"] == {"parse": []} and "components" not in s.json for s in server.seen)
    assert "@everyone" not in json.dumps(first, ensure_ascii=False)
    assert server.seen[0].headers["User-Agent"].startswith("briefbot/")
    assert TOKEN not in repr(sink)


def test_discord_honours_429_retry_after(server: RecordingServer) -> None:
    server.script = [json_answer({"message": "You are being rate limited.", "retry_after": 0.3, "global": False},
                                 429, **{"Retry-After": "1"})]
    server.default = discord_ids  # type: ignore[assignment]
    result = asyncio.run(DiscordWebhookSink(server.url(f"/api/webhooks/42/{TOKEN}")).post(briefing(), idempotency_key="k"))
    assert result.message_ids == ["1002"]
    assert len(server.seen) == 2 and server.seen[1].at - server.seen[0].at >= 0.3
    assert server.seen[1].json == server.seen[0].json


def test_discord_long_rate_limit_fails_fast_without_the_url(server: RecordingServer, caplog) -> None:
    server.default = json_answer({"message": "rate limited", "retry_after": 3600.0}, 429)
    sink = DiscordWebhookSink(server.url(f"/api/webhooks/42/{TOKEN}"))
    caplog.set_level(logging.DEBUG, logger="bot")
    with pytest.raises(WebhookError) as err:
        asyncio.run(sink.post(briefing(), idempotency_key="k"))
    assert str(err.value) == "Discord webhook at 127.0.0.1 is rate limited for 3600 s; try again later"
    assert len(server.seen) == 1
    assert all(TOKEN not in r.getMessage() for r in caplog.records)


def test_discord_server_errors_are_retried_then_reported(server: RecordingServer) -> None:
    server.script = [Answer(502), Answer(503)]
    server.default = discord_ids  # type: ignore[assignment]
    sink = DiscordWebhookSink(server.url(f"/api/webhooks/42/{TOKEN}"), backoff=0.01)
    assert asyncio.run(sink.post(briefing(), idempotency_key="k")).message_ids == ["1003"]
    server.script, server.default = [], Answer(500)
    with pytest.raises(WebhookError, match=r"server error HTTP 500 \(gave up after 4 attempts\)"):
        asyncio.run(sink.post(briefing(), idempotency_key="k"))


def test_discord_refusal_names_the_host_never_the_token(server: RecordingServer) -> None:
    server.script = [discord_ids(1)]
    server.default = json_answer({"message": "Unknown Webhook", "code": 10015}, 404)
    sink = DiscordWebhookSink(server.url(f"/api/webhooks/42/{TOKEN}"))
    with pytest.raises(WebhookError) as err:
        asyncio.run(sink.post(briefing(12), idempotency_key="k"))
    msg = str(err.value)
    assert msg == ("Discord webhook at 127.0.0.1 refused message 2 of 2: HTTP 404 Unknown Webhook — check the "
                   "webhook URL; it may have been deleted")
    assert err.value.posted == ["1001"]


def test_unreachable_webhook_gives_a_clear_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nothing listens there
    sink = DiscordWebhookSink(f"http://127.0.0.1:{port}/api/webhooks/1/{TOKEN}", backoff=0.01, attempts=2)
    with pytest.raises(WebhookError) as err:
        asyncio.run(sink.post(briefing(), idempotency_key="k"))
    assert str(err.value) == "Discord webhook at 127.0.0.1: cannot connect (ConnectError) (gave up after 2 attempts)"


def test_webhook_url_is_redacted_from_logs_even_at_debug(server: RecordingServer, capsys) -> None:
    server.default = discord_ids  # type: ignore[assignment]
    root = logging.getLogger()
    before = list(root.handlers), root.level
    setup_logging(logging.DEBUG)
    try:
        sink = DiscordWebhookSink(server.url(f"/api/webhooks/42/{TOKEN}"))
        asyncio.run(sink.post(briefing(), idempotency_key="k"))
        logging.getLogger("bot.test").warning("oops, someone logged %s", server.url(f"/api/webhooks/42/{TOKEN}"))
    finally:
        for h in root.handlers[:]:
            if h not in before[0]:
                root.removeHandler(h)
        root.setLevel(before[1])
    err = capsys.readouterr().err
    assert "posted 1 message(s) to the Discord webhook at 127.0.0.1" in err
    assert "oops, someone logged ***" in err and TOKEN not in err


def test_webhook_url_must_be_http() -> None:
    with pytest.raises(ValueError, match="must start with https://"):
        DiscordWebhookSink("ftp://example.com/hook")
    with pytest.raises(ValueError, match="must start with https://"):
        SlackWebhookSink("hooks.slack.com/services/x")


# --- Slack ---

def test_slack_posts_blocks_and_reads_ok(server: RecordingServer) -> None:
    server.default = Answer(200, b"ok", {"Content-Type": "text/html"})
    sink = SlackWebhookSink(server.url(f"/services/T1/B1/{TOKEN}"))
    assert isinstance(sink, Sink) and sink.platform == "slack"
    result = asyncio.run(sink.post(briefing(20), idempotency_key="k", note="Daily <!channel> note"))
    assert result.message_ids == [] and result.platform == "slack"
    assert len(server.seen) == 2                          # 20 stories × 3 blocks: more than 50 blocks
    first = server.seen[0].json
    assert first["text"] == "Briefing: taiwan — 2026-11-12 09:30 UTC — 20 stories"
    assert first["blocks"][1]["text"]["text"] == "Daily &lt;!channel&gt; note"
    assert all(b["type"] != "actions" for s in server.seen for b in s.json["blocks"])
    assert all(len(s.json["blocks"]) <= 50 for s in server.seen)


def test_slack_honours_retry_after_header(server: RecordingServer) -> None:
    server.script = [Answer(429, b"", {"Retry-After": "0.3"})]
    server.default = Answer(200, b"ok")
    asyncio.run(SlackWebhookSink(server.url(f"/services/T1/B1/{TOKEN}")).post(briefing(), idempotency_key="k"))
    assert len(server.seen) == 2 and server.seen[1].at - server.seen[0].at >= 0.3


@pytest.mark.parametrize(("answer", "message"), [
    (Answer(404, b"no_service"),
     "Slack webhook at 127.0.0.1 refused message 1 of 1: HTTP 404 no_service — the webhook was removed or its URL "
     "is wrong"),
    (Answer(410, b"channel_is_archived"),
     "Slack webhook at 127.0.0.1 refused message 1 of 1: HTTP 410 channel_is_archived — the channel is archived"),
    (Answer(400, b"invalid_blocks"), "Slack webhook at 127.0.0.1 refused message 1 of 1: HTTP 400 invalid_blocks"),
    (Answer(200, b"something else"), "Slack webhook at 127.0.0.1 refused message 1 of 1: HTTP 200 something else"),
])
def test_slack_refusals(server: RecordingServer, answer: Answer, message: str) -> None:
    server.default = answer
    with pytest.raises(WebhookError) as err:
        asyncio.run(SlackWebhookSink(server.url(f"/services/T1/B1/{TOKEN}")).post(briefing(), idempotency_key="k"))
    assert str(err.value) == message and TOKEN not in str(err.value)
