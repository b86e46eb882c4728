"""Discord and Slack webhook sinks against a real HTTP server on 127.0.0.1 that records requests."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from recording_server import Answer, RecordingServer, discord_ids, json_answer, recording_server

from bot.adapters.webhook import DiscordWebhookSink, SlackWebhookSink, WebhookError
from bot.core.protocols import Sink
from bot.logs import setup_logging
from summarizer.model import Briefing, Bullet, SourceRef, Story

TOKEN = "s3cr3t-T0KEN-abcdefghijklmnop"
T0 = datetime(2026, 11, 12, 9, 30, tzinfo=UTC)


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    with recording_server() as srv:
        yield srv


def briefing(stories: int = 2) -> Briefing:
    return Briefing(
        "taiwan",
        T0,
        [
            Story(f"Story {i} @everyone", [Bullet(f"Point {i} for <@123> and <!here>.", [1])], [], [1])
            for i in range(1, stories + 1)
        ],
        [SourceRef(1, "A", "https://harbor.example/a", "Harbor Ledger", T0)],
    )


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
    assert all(
        s.json["allowed_mentions"] == {"parse": []} and "components" not in s.json for s in server.seen
    )
    assert "@everyone" not in json.dumps(first, ensure_ascii=False)
    assert server.seen[0].headers["User-Agent"].startswith("briefbot/")
    assert TOKEN not in repr(sink)


def test_discord_honours_429_retry_after(server: RecordingServer) -> None:
    server.script = [
        json_answer(
            {"message": "You are being rate limited.", "retry_after": 0.3, "global": False},
            429,
            **{"Retry-After": "1"},
        )
    ]
    server.default = discord_ids  # type: ignore[assignment]
    result = asyncio.run(
        DiscordWebhookSink(server.url(f"/api/webhooks/42/{TOKEN}")).post(briefing(), idempotency_key="k")
    )
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
    with pytest.raises(WebhookError, match=r"server error HTTP 500 \(gave up after 4 attempts\)") as err:
        asyncio.run(sink.post(briefing(), idempotency_key="k"))
    assert err.value.nothing_posted  # the scheduler may try this run again later


def test_discord_refusal_names_the_host_never_the_token(server: RecordingServer) -> None:
    server.script = [discord_ids(1)]
    server.default = json_answer({"message": "Unknown Webhook", "code": 10015}, 404)
    sink = DiscordWebhookSink(server.url(f"/api/webhooks/42/{TOKEN}"))
    with pytest.raises(WebhookError) as err:
        asyncio.run(sink.post(briefing(12), idempotency_key="k"))
    msg = str(err.value)
    assert msg == (
        "Discord webhook at 127.0.0.1 refused message 2 of 2: HTTP 404 Unknown Webhook — check the "
        "webhook URL; it may have been deleted"
    )
    assert err.value.posted == ["1001"] and not err.value.nothing_posted


def test_unreachable_webhook_gives_a_clear_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nothing listens there
    sink = DiscordWebhookSink(f"http://127.0.0.1:{port}/api/webhooks/1/{TOKEN}", backoff=0.01, attempts=2)
    with pytest.raises(WebhookError) as err:
        asyncio.run(sink.post(briefing(), idempotency_key="k"))
    assert (
        str(err.value)
        == "Discord webhook at 127.0.0.1: cannot connect (ConnectError) (gave up after 2 attempts)"
    )


def test_webhook_url_is_redacted_from_logs_even_at_debug(server: RecordingServer, capsys) -> None:
    server.default = discord_ids  # type: ignore[assignment]
    root = logging.getLogger()
    before = list(root.handlers), root.level
    setup_logging(logging.DEBUG)
    try:
        sink = DiscordWebhookSink(server.url(f"/api/webhooks/42/{TOKEN}"))
        asyncio.run(sink.post(briefing(), idempotency_key="k"))
        logging.getLogger("bot.test").warning(
            "oops, someone logged %s", server.url(f"/api/webhooks/42/{TOKEN}")
        )
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
    assert len(server.seen) == 2  # 20 stories × 3 blocks: more than 50 blocks
    first = server.seen[0].json
    assert first["text"] == "Briefing: taiwan — 2026-11-12 09:30 UTC — 20 stories"
    assert first["blocks"][1]["text"]["text"] == "Daily &lt;!channel&gt; note"
    assert all(b["type"] != "actions" for s in server.seen for b in s.json["blocks"])
    assert all(len(s.json["blocks"]) <= 50 for s in server.seen)


def test_slack_honours_retry_after_header(server: RecordingServer) -> None:
    server.script = [Answer(429, b"", {"Retry-After": "0.3"})]
    server.default = Answer(200, b"ok")
    asyncio.run(
        SlackWebhookSink(server.url(f"/services/T1/B1/{TOKEN}")).post(briefing(), idempotency_key="k")
    )
    assert len(server.seen) == 2 and server.seen[1].at - server.seen[0].at >= 0.3


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            Answer(404, b"no_service"),
            "Slack webhook at 127.0.0.1 refused message 1 of 1: HTTP 404 no_service — the webhook was removed or its URL "
            "is wrong",
        ),
        (
            Answer(410, b"channel_is_archived"),
            "Slack webhook at 127.0.0.1 refused message 1 of 1: HTTP 410 channel_is_archived — the channel is archived",
        ),
        (
            Answer(400, b"invalid_blocks"),
            "Slack webhook at 127.0.0.1 refused message 1 of 1: HTTP 400 invalid_blocks",
        ),
        (
            Answer(200, b"something else"),
            "Slack webhook at 127.0.0.1 refused message 1 of 1: HTTP 200 something else",
        ),
    ],
)
def test_slack_refusals(server: RecordingServer, answer: Answer, message: str) -> None:
    server.default = answer
    with pytest.raises(WebhookError) as err:
        asyncio.run(
            SlackWebhookSink(server.url(f"/services/T1/B1/{TOKEN}")).post(briefing(), idempotency_key="k")
        )
    assert str(err.value) == message and TOKEN not in str(err.value)
    assert err.value.nothing_posted == (answer.status >= 300)  # an HTTP 200 may have posted it


def test_slack_failure_after_the_first_message_is_not_safe_to_repeat(server: RecordingServer) -> None:
    """Slack's webhooks return no ids, so only a failure of message 1 says that nothing arrived."""
    sink = SlackWebhookSink(server.url(f"/services/T1/B1/{TOKEN}"), backoff=0.01, attempts=2)
    server.script, server.default = [Answer(200, b"ok")], Answer(503, b"")
    with pytest.raises(
        WebhookError, match=r"HTTP 503 \(gave up after 2 attempts\) \(message 2 of 2\)"
    ) as err:
        asyncio.run(sink.post(briefing(20), idempotency_key="k"))
    assert not err.value.nothing_posted
    server.script = []
    with pytest.raises(WebhookError, match=r"\(message 1 of 2\)") as err:
        asyncio.run(sink.post(briefing(20), idempotency_key="k"))
    assert err.value.nothing_posted


def test_a_dropped_answer_may_have_posted_the_message(server: RecordingServer) -> None:
    """The server reads the request and closes without answering: it may have posted it."""

    def hang_up(_n: int) -> Answer:
        raise ConnectionAbortedError("closing without an answer")

    server.default = hang_up  # type: ignore[assignment]
    sink = DiscordWebhookSink(server.url(f"/api/webhooks/42/{TOKEN}"), backoff=0.01)
    with pytest.raises(WebhookError, match="may or may not have arrived") as err:
        asyncio.run(sink.post(briefing(), idempotency_key="k"))
    assert not err.value.nothing_posted and len(server.seen) == 1


def test_discord_answer_without_an_id_is_not_safe_to_repeat(server: RecordingServer) -> None:
    server.default = json_answer({"channel_id": "1"})
    with pytest.raises(WebhookError, match="accepted message 1 but sent no message id") as err:
        asyncio.run(
            DiscordWebhookSink(server.url(f"/api/webhooks/42/{TOKEN}")).post(briefing(), idempotency_key="k")
        )
    assert not err.value.nothing_posted
