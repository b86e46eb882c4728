"""The Discord adapter over discord.py's real dispatch, against a fake Discord API on 127.0.0.1.

Raw INTERACTION_CREATE payloads (slash command, autocomplete, button click) go through
`ConnectionState.parse_interaction_create`, exactly as the gateway would deliver them. discord.py's
HTTP layer (`Route.BASE`) points at an aiohttp server that speaks enough of Discord's REST API
and records every request, so the tests see the real callback and follow-up bodies. The bot runs
on a tiny config: three short articles written here, the `lead` summariser, a SQLite store.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import discord
import discord.http
import pytest
from aiohttp import WSMsgType, web
from corpus_files import write_article

from bot.adapters.discord import DiscordAdapter, StoryButton
from bot.adapters.discord.adapter import READY_TIMEOUT
from bot.app import App
from bot.config import load_config
from bot.core.briefing import BriefRequest
from bot.core.commands import COMMAND_SPECS, CommandCore
from bot.core.polling import poll_sources
from bot.core.protocols import ChatAdapter
from bot.errors import ChatAdapterError, PostError
from bot.render.discord import (
    ACTION_ROWS_MAX,
    CONTENT_MAX,
    DESCRIPTION_MAX,
    EMBED_TOTAL_MAX,
    EMBEDS_PER_MESSAGE,
    FIELD_VALUE_MAX,
    TITLE_MAX,
    embed_size,
)
from tests.story_index import briefing_service

TOKEN = "fake-bot-token-for-tests"
APP_ID = 4100000000000000001
BOT_ID = 4100000000000000002
GUILD = 4100000000000000100
CHANNEL = 4100000000000000200
MANAGE_CHANNELS = 1 << 4
SLOW = 3.5  # seconds a slow /brief takes
REPO = Path(__file__).resolve().parents[1]


# --- a tiny bot: articles written for this test, a config, a filled store ---

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
        "Kyiv and partners extend grain corridor",
        "Northgate Times",
        6,
        "Negotiators in Kyiv agreed to extend the Black Sea grain corridor for another ninety days. "
        "Shipping insurers welcomed the decision and said premiums could fall by the spring.",
    ),
}


def write_bot(folder: Path, extra: str = "") -> Path:
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
  - name: trade
summarizer:
  engine: lead
limits:
  brief_per_user: 1000
  brief_per_channel: 1000
discord:
  token: ${{DISCORD_TOKEN}}
{extra}""",
        encoding="utf-8",
    )
    return cfg


@pytest.fixture(scope="module")
def bot_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    cfg = write_bot(tmp_path_factory.mktemp("discord-bot"))
    os.environ["DISCORD_TOKEN"] = TOKEN
    try:
        app = App(load_config(cfg))
    finally:
        del os.environ["DISCORD_TOKEN"]
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


# --- a fake Discord REST API ---


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    at: float


@dataclass
class FakeDiscord:
    """Records every request; answers like Discord for the routes the adapter uses."""

    token: str = TOKEN
    requests: list[Seen] = field(default_factory=list)
    commands: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    refuse_channel_posts: int | None = None
    identified: list[dict[str, Any]] = field(default_factory=list)
    gateways: list[web.WebSocketResponse] = field(default_factory=list)
    ids: Iterator[int] = field(default_factory=lambda: count(4200000000000000000))
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    base: str = ""

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._record])
        r = app.router
        r.add_get("/api/v10/users/@me", self.me)
        r.add_get("/api/v10/oauth2/applications/@me", self.application)
        r.add_route("*", "/api/v10/applications/{app}/commands", self.command_list)
        r.add_route("*", "/api/v10/applications/{app}/guilds/{guild}/commands", self.command_list)
        r.add_post("/api/v10/interactions/{id}/{token}/callback", self.callback)
        r.add_post("/api/v10/webhooks/{app}/{token}", self.followup)
        r.add_delete("/api/v10/webhooks/{app}/{token}/messages/@original", self.no_content)
        r.add_post("/api/v10/channels/{channel}/messages", self.channel_message)
        r.add_get("/api/v10/gateway/bot", self.gateway_bot)
        r.add_get("/gateway", self.gateway)
        return app

    @web.middleware
    async def _record(self, request: web.Request, handler: Callable[..., Any]) -> web.StreamResponse:
        raw = await request.read()
        body = json.loads(raw) if raw else None
        self.requests.append(Seen(request.method, request.path, dict(request.query), body, time.monotonic()))
        self.changed.set()
        if request.headers.get("Authorization") not in (f"Bot {self.token}", None):
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        return await handler(request)

    def calls(self, method: str, path_part: str) -> list[Seen]:
        return [s for s in self.requests if s.method == method and path_part in s.path]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(
                    f"timed out; requests so far: {[(s.method, s.path) for s in self.requests]}"
                )
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), min(left, 0.5))
            except TimeoutError:
                pass

    async def me(self, request: web.Request) -> web.Response:
        return _json(_user(BOT_ID, "briefbot", bot=True))

    async def application(self, request: web.Request) -> web.Response:
        return _json(
            {
                "id": str(APP_ID),
                "name": "briefbot",
                "icon": None,
                "description": "",
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": _user(1, "owner"),
                "verify_key": "00",
                "flags": 0,
                "interactions_endpoint_url": None,
                "team": None,
                "summary": "",
            }
        )

    async def command_list(self, request: web.Request) -> web.Response:
        key = request.match_info.get("guild", "global")
        if request.method == "PUT":
            payload = await request.json()
            self.commands[key] = [
                {
                    **c,
                    "id": str(next(self.ids)),
                    "application_id": str(APP_ID),
                    "version": "1",
                    **({"guild_id": key} if key != "global" else {}),
                }
                for c in payload
            ]
        return _json(self.commands.get(key, []))

    async def callback(self, request: web.Request) -> web.Response:
        body = await request.json()
        kind = body["type"]
        flags = (body.get("data") or {}).get("flags", 0)
        interaction: dict[str, Any] = {
            "id": request.match_info["id"],
            "type": 2,
            "response_message_loading": kind == 5,
            "response_message_ephemeral": bool(flags & 64),
        }
        result: dict[str, Any] = {"interaction": interaction}
        if kind in (4, 5):
            message = _message(next(self.ids), CHANNEL, flags=flags | (128 if kind == 5 else 0))
            interaction["response_message_id"] = message["id"]
            result["resource"] = {"type": kind, "message": message}
        return _json(result)

    async def followup(self, request: web.Request) -> web.Response:
        body = await request.json()
        return _json(_message(next(self.ids), CHANNEL, body=body, webhook_id=APP_ID))

    async def channel_message(self, request: web.Request) -> web.Response:
        if self.refuse_channel_posts:
            return _json({"message": "Missing Permissions", "code": 50013}, status=self.refuse_channel_posts)
        body = await request.json()
        return _json(_message(next(self.ids), int(request.match_info["channel"]), body=body))

    async def no_content(self, request: web.Request) -> web.Response:
        return web.Response(status=204)

    async def gateway_bot(self, request: web.Request) -> web.Response:
        url = self.base.replace("http://", "ws://").replace("/api/v10", "/gateway")
        return _json(
            {
                "url": url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    async def gateway(self, request: web.Request) -> web.WebSocketResponse:
        """HELLO, wait for IDENTIFY, READY; answers heartbeats; the test pushes events with `dispatch`."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.gateways.append(ws)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41250}})
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            if data["op"] == 2:
                self.identified.append(data["d"])
                await ws.send_json(
                    {
                        "op": 0,
                        "s": 1,
                        "t": "READY",
                        "d": {
                            "v": 10,
                            "user": _user(BOT_ID, "briefbot", bot=True),
                            "guilds": [],
                            "session_id": "s-1",
                            "resume_gateway_url": self.base.replace("http://", "ws://").replace(
                                "/api/v10", "/gateway"
                            ),
                            "shard": data["d"].get("shard", [0, 1]),
                            "application": {"id": str(APP_ID), "flags": 0},
                        },
                    }
                )
                self.changed.set()
            elif data["op"] == 1:
                await ws.send_json({"op": 11})
        return ws

    async def dispatch(self, event: str, payload: dict[str, Any], seq: int) -> None:
        await self.gateways[-1].send_json({"op": 0, "s": seq, "t": event, "d": payload})


def _json(data: Any, status: int = 200) -> web.Response:
    """Exactly Discord's content type: discord.py parses JSON only for `application/json`."""
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"}
    )


def _user(uid: int, name: str, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(uid),
        "username": name,
        "discriminator": "0",
        "global_name": name,
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
        "flags": 0,
    }


def _message(
    mid: int,
    channel_id: int,
    *,
    body: dict[str, Any] | None = None,
    flags: int = 0,
    webhook_id: int | None = None,
) -> dict[str, Any]:
    body = body or {}
    msg = {
        "id": str(mid),
        "channel_id": str(channel_id),
        "type": 0,
        "content": body.get("content", ""),
        "author": _user(BOT_ID, "briefbot", bot=True),
        "attachments": [],
        "embeds": body.get("embeds", []),
        "mentions": [],
        "mention_roles": [],
        "pinned": False,
        "tts": False,
        "mention_everyone": False,
        "timestamp": datetime.now(UTC).isoformat(),
        "edited_timestamp": None,
        "flags": body.get("flags", flags),
        "components": body.get("components", []),
    }
    if webhook_id:
        msg["webhook_id"] = str(webhook_id)
    return msg


@pytest.fixture
def fake_discord(monkeypatch: pytest.MonkeyPatch) -> Callable[[], Any]:
    """An async context manager: the fake API running, with discord.py's base URL pointed at it."""

    class Running:
        def __init__(self) -> None:
            self.fake = FakeDiscord()
            self.runner: web.AppRunner | None = None

        async def __aenter__(self) -> FakeDiscord:
            self.runner = web.AppRunner(self.fake.app())
            await self.runner.setup()
            site = web.TCPSite(self.runner, "127.0.0.1", 0)
            await site.start()
            port = self.runner.addresses[0][1]
            self.fake.base = f"http://127.0.0.1:{port}/api/v10"
            monkeypatch.setattr(discord.http.Route, "BASE", self.fake.base)
            return self.fake

        async def __aexit__(self, *exc: object) -> None:
            assert self.runner is not None
            for ws in self.fake.gateways:
                await ws.close()
            await self.runner.cleanup()

    return Running


# --- interaction payloads, shaped like the gateway's INTERACTION_CREATE ---

_interaction_ids = count(4300000000000000000)


def _base_interaction(
    kind: int, *, permissions: int = 0, user_id: int = 4400000000000000001
) -> dict[str, Any]:
    iid = next(_interaction_ids)
    return {
        "id": str(iid),
        "application_id": str(APP_ID),
        "type": kind,
        "token": f"interaction-token-{iid}",
        "version": 1,
        "guild_id": str(GUILD),
        "channel_id": str(CHANNEL),
        "channel": {
            "id": str(CHANNEL),
            "type": 0,
            "guild_id": str(GUILD),
            "name": "news",
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
        },
        "member": {
            "user": _user(user_id, "reader"),
            "roles": [],
            "joined_at": "2024-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "nick": None,
            "avatar": None,
            "premium_since": None,
            "permissions": str(permissions),
        },
        "app_permissions": str((1 << 11) | (1 << 14) | (1 << 10)),
        "locale": "en-US",
        "guild_locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": {"0": str(GUILD)},
        "context": 0,
        "attachment_size_limit": 10 * 1024 * 1024,
    }


def command_interaction(
    name: str,
    options: dict[str, Any] | None = None,
    *,
    permissions: int = 0,
    user_id: int = 4400000000000000001,
) -> dict[str, Any]:
    data = _base_interaction(2, permissions=permissions, user_id=user_id)
    opts = [
        {"name": k, "type": 4 if isinstance(v, int) else 3, "value": v} for k, v in (options or {}).items()
    ]
    data["data"] = {"id": "4500000000000000001", "name": name, "type": 1, "options": opts}
    return data


def autocomplete_interaction(name: str, option: str, typed: str) -> dict[str, Any]:
    data = _base_interaction(4)
    data["data"] = {
        "id": "4500000000000000001",
        "name": name,
        "type": 1,
        "options": [{"name": option, "type": 3, "value": typed, "focused": True}],
    }
    return data


def button_interaction(custom_id: str, message: dict[str, Any]) -> dict[str, Any]:
    data = _base_interaction(3)
    data["data"] = {"custom_id": custom_id, "component_type": 2}
    data["message"] = message
    return data


async def logged_in_adapter(core: CommandCore, token: str = TOKEN) -> DiscordAdapter:
    adapter = DiscordAdapter(token, core)
    await adapter.login()
    return adapter


def check_message_limits(body: dict[str, Any]) -> None:
    embeds = body.get("embeds", [])
    assert len(embeds) <= EMBEDS_PER_MESSAGE
    assert sum(embed_size(e) for e in embeds) <= EMBED_TOTAL_MAX
    assert len(body.get("content") or "") <= CONTENT_MAX
    assert len(body.get("components", [])) <= ACTION_ROWS_MAX
    for e in embeds:
        assert len(e.get("title", "")) <= TITLE_MAX and len(e.get("description", "")) <= DESCRIPTION_MAX
        assert all(len(f["value"]) <= FIELD_VALUE_MAX for f in e.get("fields", []))


def shown_text(body: dict[str, Any]) -> str:
    """What a reader sees of a message: its content and its embeds' texts, markdown escapes removed."""
    parts = [body.get("content", "")]
    for e in body.get("embeds", []):
        parts += [e.get("title", ""), e.get("description", "")]
        parts += [f["value"] for f in e.get("fields", [])]
    return "\n".join(parts).replace("\\", "")


# --- tests ---


def test_the_tree_offers_every_command_of_the_core() -> None:
    adapter = DiscordAdapter(TOKEN, lambda: pytest.fail("the core is not needed to describe the commands"))
    tree = {c.name: c for c in adapter.tree.get_commands()}
    assert set(tree) == {s.name for s in COMMAND_SPECS}
    for spec in COMMAND_SPECS:
        payload = tree[spec.name].to_dict(adapter.tree)
        assert payload["description"] == spec.description
        options = {o["name"]: o for o in payload.get("options", [])}
        assert [o.name for o in spec.options] == list(options)
        for o in spec.options:
            assert options[o.name]["required"] is o.required
            assert options[o.name]["description"] == o.description
            assert options[o.name].get("autocomplete", False) is o.autocomplete
            # the declared kind gives the Discord type: integer 4 (with its range), boolean 5, else string 3
            assert options[o.name]["type"] == {"integer": 4, "flag": 5}.get(o.kind, 3)
            if o.kind == "integer":
                assert (options[o.name]["min_value"], options[o.name]["max_value"]) == (
                    o.min_value,
                    o.max_value,
                )
            if o.max_length is not None:
                assert options[o.name]["max_length"] == o.max_length
        # Discord hides the admin commands from members without Manage Channels; the core checks again
        assert (
            str(payload.get("default_member_permissions")) == str(MANAGE_CHANNELS)
        ) is spec.needs_manage_channel
    assert adapter.client.intents.value == discord.Intents(guilds=True).value  # nothing privileged


def test_brief_is_deferred_at_once_then_sent_as_followups_with_embeds_and_buttons(
    core: CommandCore, fake_discord: Callable[[], Any]
) -> None:
    async def scenario() -> None:
        async with fake_discord() as fake:
            adapter = await logged_in_adapter(core)
            try:
                sent = time.monotonic()
                adapter.client._connection.parse_interaction_create(
                    command_interaction("brief", {"topic": "taiwan"})
                )
                await fake.wait_for(lambda: fake.calls("POST", f"/webhooks/{APP_ID}/"))
                await asyncio.sleep(0.2)  # any further follow-ups
            finally:
                await adapter.close()
        callbacks = fake.calls("POST", "/callback")
        assert len(callbacks) == 1
        defer = callbacks[0]
        assert defer.body["type"] == 5  # DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
        assert not (defer.body.get("data") or {}).get("flags", 0) & 64  # a briefing is for everyone
        assert defer.at - sent < 1.0
        followups = fake.calls("POST", f"/webhooks/{APP_ID}/")
        assert followups[0].at >= defer.at
        first = followups[0].body
        for f in followups:
            assert f.body["allowed_mentions"] == {"parse": []}
            check_message_limits(f.body)
        assert "Taiwan" in first["content"] or "taiwan" in first["content"]
        titles = [e["title"] for f in followups for e in f.body["embeds"]]
        assert titles and all("Ta" in t for t in titles)  # only the strait stories
        buttons = [b for f in followups for row in f.body["components"] for b in row["components"]]
        first_id = core.chat_store.last_briefing("discord", str(CHANNEL)).stories[0].id
        assert first_id  # buttons name the story by its stable id
        assert {(b["label"], b["custom_id"]) for b in buttons} >= {
            ("More · 1", f"briefbot:more:{first_id}"),
            ("Sources · 1", f"briefbot:sources:{first_id}"),
        }
        assert not fake.calls("DELETE", "@original")

    asyncio.run(scenario())


def test_the_defer_does_not_wait_for_a_slow_briefing(
    slow_core: CommandCore, fake_discord: Callable[[], Any]
) -> None:
    async def scenario() -> tuple[float, float, FakeDiscord]:
        async with fake_discord() as fake:
            adapter = await logged_in_adapter(slow_core)
            try:
                t0 = time.monotonic()
                adapter.client._connection.parse_interaction_create(command_interaction("brief", user_id=77))
                await fake.wait_for(lambda: fake.calls("POST", f"/webhooks/{APP_ID}/"))
            finally:
                await adapter.close()
        return fake.calls("POST", "/callback")[0].at - t0, fake.calls("POST", "/webhooks/")[0].at - t0, fake

    deferred, answered, fake = asyncio.run(scenario())
    assert deferred < 1.0 and answered >= SLOW, (deferred, answered)
    assert fake.calls("POST", "/callback")[0].body["type"] == 5


def test_autocomplete_answers_with_configured_topics(
    core: CommandCore, fake_discord: Callable[[], Any]
) -> None:
    async def scenario() -> None:
        async with fake_discord() as fake:
            adapter = await logged_in_adapter(core)
            try:
                adapter.client._connection.parse_interaction_create(
                    autocomplete_interaction("brief", "topic", "tai")
                )
                adapter.client._connection.parse_interaction_create(
                    autocomplete_interaction("subscribe", "topic", "KYI")
                )
                await fake.wait_for(lambda: len(fake.calls("POST", "/callback")) == 2)
            finally:
                await adapter.close()
        answers = sorted(
            (c.body for c in fake.calls("POST", "/callback")), key=lambda b: b["data"]["choices"][0]["name"]
        )
        assert [a["type"] for a in answers] == [8, 8]  # APPLICATION_COMMAND_AUTOCOMPLETE_RESULT
        assert answers[0]["data"]["choices"] == [{"name": "taiwan", "value": "taiwan"}]
        assert answers[1]["data"]["choices"] == [{"name": "ukraine", "value": "ukraine"}]
        assert not fake.calls("POST", "/webhooks/")

    asyncio.run(scenario())


def test_buttons_open_their_story_privately_after_a_restart_and_another_briefing(
    core: CommandCore, fake_discord: Callable[[], Any]
) -> None:
    """A click the next day, when the channel's last briefing is another one, opens the story the
    button was under (its id is in the custom_id); a button from before stories had ids still opens
    story n of the last briefing."""

    async def scenario() -> None:
        async with fake_discord() as fake:
            first = await logged_in_adapter(core)
            try:
                first.client._connection.parse_interaction_create(
                    command_interaction("brief", {"topic": "taiwan"})
                )
                await fake.wait_for(lambda: fake.calls("POST", f"/webhooks/{APP_ID}/"))
            finally:
                await first.close()
            posted = fake.calls("POST", f"/webhooks/{APP_ID}/")[0].body
            taiwan = posted["embeds"][0]["title"].replace("\\", "").removeprefix("1. ")
            more, sources = (b["custom_id"] for b in posted["components"][0]["components"])
            message = _message(4600000000000000001, CHANNEL, body=posted, webhook_id=APP_ID)
            old = json.loads(
                json.dumps(posted).replace(more, "briefbot:more:1").replace(sources, "briefbot:sources:1")
            )
            before_ids = _message(4600000000000000002, CHANNEL, body=old, webhook_id=APP_ID)

            # a new process: nothing in memory but the registered dynamic item
            fake.requests.clear()
            second = await logged_in_adapter(core)
            try:
                state = second.client._connection
                state.parse_interaction_create(command_interaction("brief", {"topic": "ukraine"}))
                await fake.wait_for(lambda: fake.calls("POST", f"/webhooks/{APP_ID}/"))
                await asyncio.sleep(0.2)  # any further follow-ups
                fake.requests.clear()
                state.parse_interaction_create(button_interaction(more, message))
                state.parse_interaction_create(button_interaction(sources, message))
                state.parse_interaction_create(button_interaction("briefbot:more:1", before_ids))
                await fake.wait_for(lambda: len(fake.calls("POST", f"/webhooks/{APP_ID}/")) >= 3)
            finally:
                await second.close()
        defers = [c.body for c in fake.calls("POST", "/callback")]
        assert [d["type"] for d in defers] == [5, 5, 5]
        assert all(d["data"]["flags"] & 64 for d in defers)  # ephemeral: only the clicker sees it
        bodies = [c.body for c in fake.calls("POST", f"/webhooks/{APP_ID}/")]
        titles = sorted(e["title"].replace("\\", "") for b in bodies for e in b["embeds"])  # unescaped
        # the taiwan story, unnumbered (it is not in the channel's last briefing), and ukraine's story 1
        assert titles == sorted([taiwan, f"Sources · {taiwan}", "1. Kyiv and partners extend grain corridor"])
        assert all(b["flags"] & 64 and b["allowed_mentions"] == {"parse": []} for b in bodies)
        assert any(
            "harborledger.example" in e["description"] or "meridianwire.example" in e["description"]
            for b in bodies
            for e in b["embeds"]
            if e["title"].startswith("Sources")
        )

    asyncio.run(scenario())


def test_errors_are_private_even_after_a_public_defer(
    core: CommandCore, fake_discord: Callable[[], Any]
) -> None:
    async def scenario() -> None:
        async with fake_discord() as fake:
            adapter = await logged_in_adapter(core)
            try:
                adapter.client._connection.parse_interaction_create(
                    command_interaction("brief", {"topic": "penguins of the antarctic"})
                )
                await fake.wait_for(lambda: fake.calls("POST", f"/webhooks/{APP_ID}/"))
            finally:
                await adapter.close()
        assert fake.calls("POST", "/callback")[0].body["type"] == 5
        assert fake.calls("DELETE", "/messages/@original")  # the public "thinking…" message is removed
        followup = fake.calls("POST", f"/webhooks/{APP_ID}/")[0].body
        assert followup["flags"] & 64
        assert "No stories about 'penguins of the antarctic'" in shown_text(followup)

    asyncio.run(scenario())


def test_subscribe_needs_manage_channels_and_is_answered_privately(
    core: CommandCore, fake_discord: Callable[[], Any]
) -> None:
    async def scenario() -> None:
        async with fake_discord() as fake:
            adapter = await logged_in_adapter(core)
            state = adapter.client._connection
            try:
                state.parse_interaction_create(
                    command_interaction("subscribe", {"topic": "taiwan", "time": "07:30"})
                )
                await fake.wait_for(lambda: len(fake.calls("POST", f"/webhooks/{APP_ID}/")) == 1)
                state.parse_interaction_create(
                    command_interaction(
                        "subscribe",
                        {"topic": "taipei", "time": "7:30", "timezone": "europe/berlin"},
                        permissions=MANAGE_CHANNELS,
                    )
                )
                await fake.wait_for(lambda: len(fake.calls("POST", f"/webhooks/{APP_ID}/")) == 2)
                state.parse_interaction_create(command_interaction("subscriptions"))
                await fake.wait_for(lambda: len(fake.calls("POST", f"/webhooks/{APP_ID}/")) == 3)
                state.parse_interaction_create(
                    command_interaction("unsubscribe", permissions=MANAGE_CHANNELS)
                )
                await fake.wait_for(lambda: len(fake.calls("POST", f"/webhooks/{APP_ID}/")) == 4)
            finally:
                await adapter.close()
        assert all(c.body["data"]["flags"] & 64 for c in fake.calls("POST", "/callback"))
        refused, subscribed, listing, removed = (
            shown_text(c.body) for c in fake.calls("POST", f"/webhooks/{APP_ID}/")
        )
        assert "Manage Channel" in refused
        assert "Subscribed: a taiwan briefing here every day at 07:30 (Europe/Berlin)." in subscribed
        assert "taiwan" in listing and "07:30" in listing
        assert "Removed 1 subscription" in removed

    asyncio.run(scenario())


def test_channel_sink_posts_the_briefing_with_buttons_and_explains_a_refusal(
    core: CommandCore, fake_discord: Callable[[], Any]
) -> None:
    async def scenario() -> None:
        briefing = await asyncio.to_thread(core.service.brief, BriefRequest("ukraine", timedelta(hours=24)))
        async with fake_discord() as fake:
            adapter = await logged_in_adapter(core)
            try:
                sink = adapter.sink(str(CHANNEL))
                result = await sink.post(briefing, idempotency_key="sub:1:2026-01-01")
                fake.refuse_channel_posts = 403
                with pytest.raises(PostError, match="HTTP 403 Missing Permissions — give the bot"):
                    await sink.post(briefing, idempotency_key="sub:1:2026-01-02")
                with pytest.raises(PostError, match="not a Discord channel id"):
                    await adapter.sink("#news").post(briefing, idempotency_key="x")
            finally:
                await adapter.close()
        posts = fake.calls("POST", f"/channels/{CHANNEL}/messages")
        assert result.platform == "discord" and len(result.message_ids) == 1
        body = posts[0].body
        assert body["allowed_mentions"] == {"parse": []}
        check_message_limits(body)
        assert body["embeds"][0]["title"].replace("\\", "").startswith("1. Kyiv")
        assert (
            body["components"][0]["components"][0]["custom_id"] == f"briefbot:more:{briefing.stories[0].id}"
        )

    asyncio.run(scenario())


def test_start_connects_to_the_gateway_answers_an_interaction_and_closes_cleanly(
    core: CommandCore, fake_discord: Callable[[], Any]
) -> None:
    async def scenario() -> tuple[float, FakeDiscord]:
        async with fake_discord() as fake:
            adapter = DiscordAdapter(TOKEN, core)
            t0 = time.monotonic()
            try:
                await adapter.start()
                took = time.monotonic() - t0
                assert adapter.client.is_ready()
                await fake.dispatch("INTERACTION_CREATE", command_interaction("help"), seq=2)
                await fake.wait_for(lambda: fake.calls("POST", f"/webhooks/{APP_ID}/"))
            finally:
                await adapter.close()
            assert adapter.client.is_closed()
        return took, fake

    took, fake = asyncio.run(scenario())
    assert took < READY_TIMEOUT
    [identify] = fake.identified
    assert identify["token"] == TOKEN and identify["intents"] == discord.Intents(guilds=True).value
    assert fake.calls("GET", f"/applications/{APP_ID}/commands")  # start checks that commands are registered
    assert fake.calls("POST", "/callback")[0].body["data"]["flags"] & 64  # /help is for the asker only
    assert "/brief" in shown_text(fake.calls("POST", f"/webhooks/{APP_ID}/")[0].body)


def test_a_bad_token_fails_fast_with_one_clear_line(
    core: CommandCore, fake_discord: Callable[[], Any]
) -> None:
    async def scenario() -> float:
        async with fake_discord():
            adapter = DiscordAdapter("not-the-token", core)
            started = time.monotonic()
            with pytest.raises(ChatAdapterError) as info:
                await adapter.start()
            await adapter.close()
        message = str(info.value)
        assert "\n" not in message and "DISCORD_TOKEN" in message and "not-the-token" not in message
        return time.monotonic() - started

    assert asyncio.run(scenario()) < 5
    with pytest.raises(ChatAdapterError, match="set DISCORD_TOKEN"):
        DiscordAdapter("  ", core)
    with pytest.raises(ChatAdapterError, match="need a shard count"):
        DiscordAdapter(TOKEN, core, shard_ids=[0])
    with pytest.raises(ChatAdapterError, match="from 0 to 1 when the shard count is 2"):
        DiscordAdapter(TOKEN, core, shard_ids=[2], shard_count=2)


def test_sync_registers_globally_or_per_guild(core: CommandCore, fake_discord: Callable[[], Any]) -> None:
    async def scenario() -> tuple[dict[str, list[str]], dict[str, list[str]], FakeDiscord]:
        async with fake_discord() as fake:
            adapter = await logged_in_adapter(core)
            try:
                everywhere = await adapter.sync()
                one = await adapter.sync(guild_id=GUILD)
            finally:
                await adapter.close()
        return everywhere, one, fake

    everywhere, one, fake = asyncio.run(scenario())
    names = sorted(s.name for s in COMMAND_SPECS)
    assert sorted(everywhere["global"]) == names and sorted(one[str(GUILD)]) == names
    put = fake.calls("PUT", f"/applications/{APP_ID}/guilds/{GUILD}/commands")[0].body
    assert sorted(c["name"] for c in put) == names


def test_registry_builds_the_configured_adapters(bot_app: App) -> None:
    adapters = bot_app.chat_adapters(shard_ids=[1], shard_count=2)
    assert [a.name for a in adapters] == ["discord"]
    assert isinstance(adapters[0], ChatAdapter)
    assert adapters[0].client.shard_ids == [1] and adapters[0].client.shard_count == 2
    assert issubclass(StoryButton, discord.ui.DynamicItem)


def test_cli_sync_prints_what_was_registered_and_exits_2_on_a_bad_token(tmp_path: Path) -> None:
    """`briefbot discord sync` in a real process, against a fake API served from a thread."""
    import threading

    fake = FakeDiscord()
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(fake.app())
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = runner.addresses[0][1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        cfg = write_bot(tmp_path, extra=f"  guild_ids: [{GUILD}]\n")
        env = {
            **os.environ,
            "DISCORD_TOKEN": TOKEN,
            "DISCORD_API_URL": f"http://127.0.0.1:{port}/api/v10",
            "HF_HUB_OFFLINE": "1",
            "HOME": str(tmp_path),
        }
        ok = subprocess.run(
            [sys.executable, "-m", "bot", "-c", str(cfg), "discord", "sync"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert ok.returncode == 0, ok.stderr
        assert f"guild {GUILD}: 9 commands" in ok.stdout and "/brief" in ok.stdout
        bad = subprocess.run(
            [sys.executable, "-m", "bot", "-c", str(cfg), "discord", "sync", "--guild", "5"],
            capture_output=True,
            text=True,
            env={**env, "DISCORD_TOKEN": "wrong-token"},
            timeout=120,
            check=False,
        )
        assert bad.returncode == 2
        assert bad.stderr.strip().count("\n") == 0 and "DISCORD_TOKEN" in bad.stderr
        assert "wrong-token" not in bad.stderr + bad.stdout
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.run_until_complete(runner.cleanup())
        loop.close()
