"""The Slack adapter, started for real, answering signed HTTP requests and Socket Mode envelopes.

A fake Slack on 127.0.0.1 plays the Web API (auth.test, users.info, chat.postMessage,
apps.connections.open, via $SLACK_API_URL), the response_url the bot answers to, and a Socket
Mode WebSocket. Requests to the bot are signed here with the signing secret (v0 HMAC-SHA256),
independently of slack-bolt. The bot runs on a tiny config: three short articles written here,
the `lead` summariser, a SQLite store.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
from aiohttp import WSMsgType, web
from corpus_files import write_article

from bot.adapters.slack import SlackAdapter
from bot.app import App
from bot.config import load_config
from bot.core.briefing import BriefRequest
from bot.core.commands import CommandCore
from bot.core.polling import poll_sources
from bot.core.protocols import ChatAdapter
from bot.errors import ChatAdapterError, PostError
from bot.render.slack import BLOCKS_PER_MESSAGE, FALLBACK_MAX, HEADER_MAX, SECTION_TEXT_MAX
from tests.story_index import briefing_service

BOT_TOKEN = "xoxb-fake-bot-token-for-tests"
APP_TOKEN = "xapp-fake-app-token-for-tests"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
ADMIN = "UADMIN01"
MEMBER = "UMEMBER1"
CHANNEL = "C0NEWS001"
TEAM = "T0TEAM001"
SLOW = 3.5  # seconds a slow /brief takes

ARTICLES = {
    "patrol.md": (
        "Patrol boats shadow survey ship in the Taiwan Strait",
        "Harbor Ledger",
        2,
        "Coast guard boats from Taipei followed a foreign survey ship for six hours on Tuesday. "
        "Officials said the vessel left the strait before dawn without any incident at sea. "
        'Commander Lina Hsu said "We watched every mile of its route" after the long patrol.',
    ),
    "calm.md": (
        "Taipei calls for calm after strait encounter",
        "Meridian Wire",
        4,
        "The government in Taipei asked all sides to avoid further encounters in the Taiwan Strait. "
        "A spokesperson said talks with regional partners would continue next week in Manila.",
    ),
    "grain.md": (
        "Kyiv & partners extend grain corridor",
        "Northgate Times",
        6,
        "Negotiators in Kyiv agreed to extend the Black Sea grain corridor for another ninety days. "
        "Shipping insurers welcomed the decision and said premiums could fall by the spring.",
    ),
}


def write_bot(folder: Path) -> Path:
    corpus = folder / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    for name, (title, outlet, hours, text) in ARTICLES.items():
        write_article(corpus, name, title, outlet, now - timedelta(hours=hours), text)
    cfg = folder / "briefbot.yaml"
    cfg.write_text(
        f"""
storage:
  url: sqlite:///{folder / "bot.db"}
sources:
  - name: local
    path: {corpus}
topics:
  - name: taiwan
    aliases: [Taipei, Taiwan Strait]
  - name: ukraine
    aliases: [Kyiv]
summarizer:
  engine: lead
limits:
  brief_per_user: 1000
  brief_per_channel: 1000
slack:
  bot_token: ${{SLACK_BOT_TOKEN}}
  signing_secret: ${{SLACK_SIGNING_SECRET}}
  mode: http
  port: 3000
  path: /slack/events
""",
        encoding="utf-8",
    )
    return cfg


@pytest.fixture(scope="module")
def bot_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    cfg = write_bot(tmp_path_factory.mktemp("slack-bot"))
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET}
    os.environ.update(env)
    try:
        app = App(load_config(cfg))
    finally:
        for k in env:
            del os.environ[k]
    results = asyncio.run(poll_sources(app.sources(), app.store))
    assert [r.stored.new for r in results if r.stored] == [3]
    yield app
    app.store.close()  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def core(bot_app: App) -> CommandCore:
    return bot_app.command_core()


class SlowSummarizer:
    """The configured engine, made slower than Slack's and Discord's 3 s acknowledgement window."""

    name = "slow"

    def __init__(self, inner: Any, seconds: float) -> None:
        self.inner = inner
        self.seconds = seconds

    def summarize(self, documents: Any, topic: Any = None, options: Any = None) -> Any:
        time.sleep(self.seconds)
        return self.inner.summarize(documents, topic, options)

    def summarize_stories(self, documents: Any, stories: Any, topic: Any = None, options: Any = None) -> Any:
        time.sleep(self.seconds)
        return self.inner.summarize_stories(documents, stories, topic, options)


@pytest.fixture(scope="module")
def slow_core(bot_app: App) -> CommandCore:
    service = briefing_service(
        SlowSummarizer(bot_app.summarizer, SLOW), bot_app.topics, bot_app.store, bot_app.summary_options()
    )
    return CommandCore(service, bot_app.chat_store, bot_app.topics, bot_app.config.limits)


# --- a fake Slack ---


@dataclass
class Seen:
    path: str
    body: Any
    auth: str | None
    at: float


@dataclass
class FakeSlack:
    requests: list[Seen] = field(default_factory=list)
    socket_acks: list[dict[str, Any]] = field(default_factory=list)
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    ids: Iterator[int] = field(default_factory=lambda: count(1))
    base: str = ""

    def app(self) -> web.Application:
        app = web.Application()
        r = app.router
        r.add_route("*", "/api/{method}", self.web_api)
        r.add_post("/respond/{id}", self.respond)
        r.add_get("/link", self.websocket)
        return app

    def _note(self, path: str, body: Any, auth: str | None) -> None:
        self.requests.append(Seen(path, body, auth, time.monotonic()))
        self.changed.set()

    def responses(self, rid: str | None = None) -> list[Seen]:
        return [
            s
            for s in self.requests
            if s.path.startswith("/respond/") and (rid is None or s.path.endswith(rid))
        ]

    def api(self, method: str) -> list[Seen]:
        return [s for s in self.requests if s.path == f"/api/{method}"]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out; requests so far: {[s.path for s in self.requests]}")
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), min(left, 0.5))
            except TimeoutError:
                pass

    async def web_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, Any] = dict(request.query)
        raw = await request.text()
        if raw:
            if request.content_type == "application/json":
                params.update(json.loads(raw))
            else:
                params.update(parse_qsl(raw))
        auth = request.headers.get("Authorization")
        self._note(f"/api/{method}", params, auth)
        if method == "apps.connections.open":
            if auth != f"Bearer {APP_TOKEN}":
                return web.json_response({"ok": False, "error": "invalid_auth"})
            return web.json_response({"ok": True, "url": self.base.replace("http://", "ws://") + "/link"})
        if auth != f"Bearer {BOT_TOKEN}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if method == "auth.test":
            return web.json_response(
                {
                    "ok": True,
                    "url": "https://test.slack.com/",
                    "team": "Test Team",
                    "user": "briefbot",
                    "team_id": TEAM,
                    "user_id": "UBOT0001",
                    "bot_id": "B01",
                }
            )
        if method == "users.info":
            user = params["user"]
            return web.json_response(
                {
                    "ok": True,
                    "user": {
                        "id": user,
                        "team_id": TEAM,
                        "name": user.lower(),
                        "is_admin": user == ADMIN,
                        "is_owner": False,
                    },
                }
            )
        if method == "chat.postMessage":
            if params["channel"] == "CARCHIVED":
                return web.json_response({"ok": False, "error": "is_archived"})
            return web.json_response(
                {
                    "ok": True,
                    "channel": params["channel"],
                    "ts": f"1700000000.{next(self.ids):06d}",
                    "message": {"text": params.get("text")},
                }
            )
        return web.json_response({"ok": False, "error": "unknown_method"})

    async def respond(self, request: web.Request) -> web.Response:
        self._note(request.path, await request.json(), None)
        return web.Response(text="ok")

    async def websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.sockets.append(ws)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": 1,
                "debug_info": {"host": "fake", "approximate_connection_time": 3600},
                "connection_info": {"app_id": "A0BRIEF01"},
            }
        )
        self.changed.set()
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                self.socket_acks.append(json.loads(msg.data))
                self.changed.set()
        return ws


class Running:
    """The fake Slack serving on loopback, with $SLACK_API_URL pointing at it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.fake = FakeSlack()
        self.monkeypatch = monkeypatch
        self.runner = web.AppRunner(self.fake.app(), shutdown_timeout=1)

    async def __aenter__(self) -> FakeSlack:
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        self.fake.base = f"http://127.0.0.1:{self.runner.addresses[0][1]}"
        self.monkeypatch.setenv("SLACK_API_URL", self.fake.base + "/api/")
        return self.fake

    async def __aexit__(self, *exc: object) -> None:
        for ws in self.fake.sockets:
            await ws.close()
        await self.runner.cleanup()


@pytest.fixture
def fake_slack(monkeypatch: pytest.MonkeyPatch) -> Callable[[], Running]:
    return lambda: Running(monkeypatch)


# --- requests to the bot ---


def signed(body: str, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


def slash_command(command: str, text: str, response_url: str, user: str = MEMBER) -> dict[str, str]:
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM,
        "team_domain": "test",
        "channel_id": CHANNEL,
        "channel_name": "news",
        "user_id": user,
        "user_name": user.lower(),
        "command": command,
        "text": text,
        "api_app_id": "A0BRIEF01",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": "1234.5678.abcdef",
    }


def button_click(action_id: str, value: str, response_url: str) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": {"id": MEMBER, "username": "member", "team_id": TEAM},
        "api_app_id": "A0BRIEF01",
        "token": "legacy-verification-token",
        "trigger_id": "1234.5678.abcdef",
        "team": {"id": TEAM, "domain": "test"},
        "channel": {"id": CHANNEL, "name": "news"},
        "container": {"type": "message", "message_ts": "1700000000.000001", "channel_id": CHANNEL},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": f"briefbot_story_{value}",
                "value": value,
                "text": {"type": "plain_text", "text": "More"},
                "action_ts": "1700000001.000001",
            }
        ],
    }


async def started(core: CommandCore, bot_app: App) -> SlackAdapter:
    assert bot_app.config.slack is not None
    adapter = SlackAdapter.from_config(bot_app.config.slack, core, host="127.0.0.1", port=0)
    await adapter.start()
    return adapter


def check_blocks(message: dict[str, Any]) -> None:
    blocks = message["blocks"]
    assert 0 < len(blocks) <= BLOCKS_PER_MESSAGE
    assert len(message["text"]) <= FALLBACK_MAX
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= SECTION_TEXT_MAX
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= HEADER_MAX


def shown_text(message: dict[str, Any]) -> str:
    parts = [message.get("text", "")]
    for block in message.get("blocks", []):
        if "text" in block:
            parts.append(block["text"]["text"])
        parts += [e.get("text", "") for e in block.get("elements", []) if isinstance(e.get("text"), str)]
    return "\n".join(parts)


# --- tests ---


def test_brief_is_acked_within_3_s_and_answered_in_channel_through_the_response_url(
    core: CommandCore, bot_app: App, fake_slack: Callable[[], Running]
) -> None:
    async def scenario() -> tuple[float, FakeSlack]:
        async with fake_slack() as fake:
            adapter = await started(core, bot_app)
            try:
                assert adapter.address is not None
                url = f"http://127.0.0.1:{adapter.address[1]}/slack/events"
                body = urlencode(slash_command("/brief", "taiwan", f"{fake.base}/respond/1"))
                async with httpx.AsyncClient(timeout=10) as http:
                    t0 = time.monotonic()
                    ack = await http.post(url, content=body, headers=signed(body))
                    ack_seconds = time.monotonic() - t0
                assert ack.status_code == 200 and ack.text == ""
                await fake.wait_for(lambda: fake.responses("/1"))
                await asyncio.sleep(0.2)  # any further messages
            finally:
                await adapter.close()
        return ack_seconds, fake

    ack_seconds, fake = asyncio.run(scenario())
    assert ack_seconds < 3.0, f"the ack took {ack_seconds:.2f} s"
    answers = fake.responses("/1")
    for a in answers:
        assert a.body["response_type"] == "in_channel" and a.body["replace_original"] is False
        assert a.body["unfurl_links"] is False
        check_blocks(a.body)
    first = answers[0].body
    assert first["blocks"][0]["type"] == "header" and "taiwan" in first["blocks"][0]["text"]["text"].lower()
    text = "\n".join(shown_text(a.body) for a in answers)
    assert "Patrol boats shadow survey ship" in text or "Taipei calls for calm" in text
    assert "grain corridor" not in text  # only the strait stories
    buttons = [e for a in answers for b in a.body["blocks"] if b["type"] == "actions" for e in b["elements"]]
    first_id = core.chat_store.last_briefing("slack", CHANNEL).stories[0].id
    assert first_id  # buttons name the story by its stable id
    assert {(b["action_id"], b["text"]["text"], b["value"]) for b in buttons} >= {
        ("briefbot_more", "More · 1", first_id),
        ("briefbot_sources", "Sources · 1", first_id),
    }
    assert fake.api("auth.test")  # the token was checked at start


def test_the_ack_does_not_wait_for_a_slow_briefing(
    slow_core: CommandCore, bot_app: App, fake_slack: Callable[[], Running]
) -> None:
    async def scenario() -> tuple[float, float, FakeSlack]:
        async with fake_slack() as fake:
            adapter = await started(slow_core, bot_app)
            try:
                assert adapter.address is not None
                url = f"http://127.0.0.1:{adapter.address[1]}/slack/events"
                body = urlencode(slash_command("/brief", "", f"{fake.base}/respond/slow", user="USLOW001"))
                async with httpx.AsyncClient(timeout=10) as http:
                    t0 = time.monotonic()
                    ack = await http.post(url, content=body, headers=signed(body))
                    acked = time.monotonic() - t0
                assert ack.status_code == 200
                await fake.wait_for(lambda: fake.responses("/slow"))
                answered = fake.responses("/slow")[0].at - t0
            finally:
                await adapter.close()
        return acked, answered, fake

    acked, answered, fake = asyncio.run(scenario())
    assert acked < 1.0 and answered >= SLOW, (acked, answered)
    assert fake.responses("/slow")[0].body["response_type"] == "in_channel"


def test_bad_or_stale_signatures_get_401_and_no_answer(
    core: CommandCore, bot_app: App, fake_slack: Callable[[], Running]
) -> None:
    async def scenario() -> tuple[list[int], FakeSlack]:
        async with fake_slack() as fake:
            adapter = await started(core, bot_app)
            try:
                assert adapter.address is not None
                url = f"http://127.0.0.1:{adapter.address[1]}/slack/events"
                body = urlencode(slash_command("/brief", "taiwan", f"{fake.base}/respond/bad"))
                async with httpx.AsyncClient(timeout=10) as http:
                    statuses = [
                        (
                            await http.post(url, content=body, headers=signed(body, secret="not-the-secret"))
                        ).status_code,
                        (
                            await http.post(
                                url, content=body, headers=signed(body, timestamp=int(time.time()) - 3600)
                            )
                        ).status_code,
                        (
                            await http.post(url, content=body + "&text=ukraine", headers=signed(body))
                        ).status_code,
                        (
                            await http.post(
                                url,
                                content=body,
                                headers={"Content-Type": "application/x-www-form-urlencoded"},
                            )
                        ).status_code,
                    ]
                await asyncio.sleep(0.3)
            finally:
                await adapter.close()
        return statuses, fake

    statuses, fake = asyncio.run(scenario())
    assert statuses == [401, 401, 401, 401]
    assert not fake.responses()


def test_http_mode_listens_on_loopback_by_default_and_a_bad_timestamp_is_a_401(
    core: CommandCore,
    bot_app: App,
    fake_slack: Callable[[], Running],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """slack.host defaults to 127.0.0.1 (behind a proxy); $BRIEFBOT_SLACK_HOST (the image) and
    slack.host change it. A timestamp header that is not a number is refused like a bad signature."""
    assert bot_app.config.slack is not None
    monkeypatch.delenv("BRIEFBOT_SLACK_HOST", raising=False)

    async def scenario() -> tuple[list[str], list[int]]:
        hosts, statuses = [], []
        async with fake_slack() as fake:
            for env, config_host in ((None, None), ("0.0.0.0", None), ("0.0.0.0", "127.0.0.1")):
                if env:
                    monkeypatch.setenv("BRIEFBOT_SLACK_HOST", env)
                config = bot_app.config.slack.model_copy(update={"port": 1, "host": config_host})
                adapter = SlackAdapter.from_config(config, core, port=0)
                await adapter.start()
                try:
                    assert adapter.address is not None
                    hosts.append(adapter.address[0])
                    url = f"http://127.0.0.1:{adapter.address[1]}/slack/events"
                    body = urlencode(slash_command("/brief", "taiwan", f"{fake.base}/respond/ts"))
                    async with httpx.AsyncClient(timeout=10) as http:
                        for stamp in ("soon", "1e9", "١٧٠٠٠٠٠٠٠٠"):
                            headers: dict[str, str | bytes] = {**signed(body)}
                            headers["X-Slack-Request-Timestamp"] = stamp.encode()
                            statuses.append((await http.post(url, content=body, headers=headers)).status_code)
                finally:
                    await adapter.close()
            assert not fake.responses("/ts")
        return hosts, statuses

    with caplog.at_level(logging.DEBUG):
        hosts, statuses = asyncio.run(scenario())
    assert hosts == ["127.0.0.1", "0.0.0.0", "127.0.0.1"]
    assert statuses == [401] * 9
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


def test_buttons_and_admin_commands_answer_only_the_asker(
    core: CommandCore, bot_app: App, fake_slack: Callable[[], Running]
) -> None:
    async def scenario() -> FakeSlack:
        async with fake_slack() as fake:
            adapter = await started(core, bot_app)
            try:
                assert adapter.address is not None
                url = f"http://127.0.0.1:{adapter.address[1]}/slack/events"

                async def send(form: dict[str, str], rid: str) -> None:
                    body = urlencode(form)
                    response = await http.post(url, content=body, headers=signed(body))
                    assert response.status_code == 200
                    await fake.wait_for(lambda: fake.responses(f"/{rid}"))

                async with httpx.AsyncClient(timeout=10) as http:
                    await send(slash_command("/brief", "kyiv 12", f"{fake.base}/respond/brief"), "brief")
                    [answer] = fake.responses("/brief")
                    [button] = [
                        e
                        for b in answer.body["blocks"]
                        if b["type"] == "actions"
                        for e in b["elements"]
                        if e["action_id"] == "briefbot_sources"
                    ]
                    click = button_click("briefbot_sources", button["value"], f"{fake.base}/respond/click")
                    await send({"payload": json.dumps(click)}, "click")
                    await send(slash_command("/subscribe", "ukraine 07:30", f"{fake.base}/respond/no"), "no")
                    await send(
                        slash_command(
                            "/subscribe", "kyiv 7:30 europe/kyiv", f"{fake.base}/respond/yes", user=ADMIN
                        ),
                        "yes",
                    )
                    await send(
                        slash_command("/briefbot-subscriptions", "", f"{fake.base}/respond/list"), "list"
                    )
                    await send(slash_command("/more", "9", f"{fake.base}/respond/more"), "more")
            finally:
                await adapter.close()
        return fake

    fake = asyncio.run(scenario())

    def only(rid: str) -> dict[str, Any]:
        [seen] = fake.responses(f"/{rid}")
        return seen.body

    brief = only("brief")
    assert brief["response_type"] == "in_channel"
    assert "Kyiv & partners extend grain corridor" in shown_text(brief).replace("&amp;", "&")
    sources = only("click")
    assert sources["response_type"] == "ephemeral" and sources["replace_original"] is False
    assert sources["blocks"][0]["text"]["text"].startswith("Sources · 1.")
    assert "northgatetimes.example/grain" in shown_text(sources)
    refused = only("no")
    assert refused["response_type"] == "ephemeral" and "workspace admins and owners" in shown_text(refused)
    assert only("yes")["response_type"] == "ephemeral"
    assert "Subscribed: a ukraine briefing here every day at 07:30 (Europe/Kyiv)." in shown_text(only("yes"))
    listing = shown_text(only("list"))
    assert "ukraine" in listing and "07:30 (Europe/Kyiv)" in listing
    assert "only one story: use 1" in shown_text(only("more"))
    asked = [s.body["user"] for s in fake.api("users.info")]
    assert asked == [MEMBER, ADMIN]  # only the admin commands look up the user


def test_socket_mode_acks_the_envelope_then_answers(
    core: CommandCore, fake_slack: Callable[[], Running]
) -> None:
    async def scenario() -> FakeSlack:
        async with fake_slack() as fake:
            adapter = SlackAdapter(BOT_TOKEN, core, mode="socket", app_token=APP_TOKEN)
            try:
                await adapter.start()
                await fake.wait_for(lambda: bool(fake.sockets))
                envelope = {
                    "envelope_id": "e-1",
                    "type": "slash_commands",
                    "accepts_response_payload": True,
                    "payload": slash_command("/topics", "", f"{fake.base}/respond/topics"),
                }
                t0 = time.monotonic()
                await fake.sockets[0].send_json(envelope)
                await fake.wait_for(lambda: bool(fake.socket_acks))
                assert time.monotonic() - t0 < 3.0
                await fake.wait_for(lambda: fake.responses("/topics"))
            finally:
                await adapter.close()
        return fake

    fake = asyncio.run(scenario())
    assert fake.socket_acks[0]["envelope_id"] == "e-1"
    [topics] = fake.responses("/topics")
    assert topics.body["response_type"] == "ephemeral"
    text = shown_text(topics.body)
    assert "taiwan" in text and "Taiwan Strait" in text and "ukraine" in text
    assert [s.auth for s in fake.api("apps.connections.open")] == [f"Bearer {APP_TOKEN}"]


def test_bad_tokens_fail_fast_with_one_clear_line(
    core: CommandCore, fake_slack: Callable[[], Running]
) -> None:
    async def scenario() -> list[str]:
        messages = []
        async with fake_slack():
            for adapter in (
                SlackAdapter("xoxb-wrong", core, mode="http", signing_secret=SECRET, port=0),
                SlackAdapter(BOT_TOKEN, core, mode="socket", app_token="xapp-wrong"),
            ):
                t0 = time.monotonic()
                with pytest.raises(ChatAdapterError) as info:
                    await adapter.start()
                await adapter.close()
                assert time.monotonic() - t0 < 5
                messages.append(str(info.value))
        return messages

    bot_token, app_token = asyncio.run(scenario())
    assert (
        bot_token.startswith("Slack rejected the bot token (invalid_auth)") and "SLACK_BOT_TOKEN" in bot_token
    )
    assert "SLACK_APP_TOKEN" in app_token and "connections:write" in app_token
    assert all("\n" not in m and "wrong" not in m for m in (bot_token, app_token))
    with pytest.raises(ChatAdapterError, match="SLACK_SIGNING_SECRET"):
        SlackAdapter(BOT_TOKEN, core, mode="http")
    with pytest.raises(ChatAdapterError, match="SLACK_APP_TOKEN"):
        SlackAdapter(BOT_TOKEN, core, mode="socket")


def test_channel_sink_posts_with_chat_post_message_and_explains_a_refusal(
    core: CommandCore, fake_slack: Callable[[], Running]
) -> None:
    briefing = core.service.brief(BriefRequest("taiwan", timedelta(hours=24)))

    async def scenario() -> tuple[Any, FakeSlack]:
        async with fake_slack() as fake:
            adapter = SlackAdapter(BOT_TOKEN, core, mode="http", signing_secret=SECRET)
            result = await adapter.sink(CHANNEL).post(briefing, idempotency_key="sub:1")
            with pytest.raises(PostError, match="is_archived") as refused:
                await adapter.sink("CARCHIVED").post(briefing, idempotency_key="sub:2")
            assert refused.value.posted == [] and refused.value.nothing_posted  # safe to try again later
        return result, fake

    result, fake = asyncio.run(scenario())
    [post] = fake.api("chat.postMessage")[:1]
    assert post.auth == f"Bearer {BOT_TOKEN}" and post.body["channel"] == CHANNEL
    blocks = post.body["blocks"] if isinstance(post.body["blocks"], list) else json.loads(post.body["blocks"])
    check_blocks({"text": post.body["text"], "blocks": blocks})
    assert any(b["type"] == "actions" for b in blocks)
    assert result.platform == "slack" and result.message_ids[0].startswith("1700000000.")


def test_registry_builds_the_slack_adapter_from_the_config(bot_app: App) -> None:
    [adapter] = bot_app.chat_adapters()
    assert isinstance(adapter, ChatAdapter) and isinstance(adapter, SlackAdapter)
    assert (adapter.name, adapter.mode, adapter.port, adapter.path) == (
        "slack",
        "http",
        3000,
        "/slack/events",
    )


def test_manifest_declares_every_command_and_the_scopes_the_adapter_uses(repo_root: Path) -> None:
    from ruamel.yaml import YAML

    from bot.adapters.slack.manifest import slash_commands

    manifest = YAML(typ="safe").load((repo_root / "slack" / "manifest.yaml").read_text(encoding="utf-8"))
    written = [{k: v for k, v in c.items() if k != "url"} for c in manifest["features"]["slash_commands"]]
    # exactly the declared commands, in their order, with their descriptions and usage hints
    # (`python -m bot.adapters.slack.manifest` prints what to paste)
    assert written == slash_commands()
    assert all(len(c["description"]) <= 100 for c in written)
    assert set(manifest["oauth_config"]["scopes"]["bot"]) >= {
        "commands",
        "chat:write",
        "chat:write.public",
        "users:read",
    }
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True
