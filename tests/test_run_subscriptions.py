"""Chat `/subscribe` rows become scheduled deliveries through the chat adapters' sinks.

The adapter here stands in for Discord at the seam `briefbot run` uses (`name`, `start`, `close`,
`sink(channel)`); the subscriptions, delivery runs and last briefings are the real tables.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import App
from bot.config import load_config
from bot.core.commands import Subscription
from bot.core.protocols import PostResult
from bot.scheduling.runner import Runner, RunOptions
from bot.store import open_store
from bot.store.chat import ChatRepository
from summarizer.model import Briefing

ARTICLE = (
    "Ceasefire talks resume in Geneva\n\nNegotiators returned to Geneva on Monday for a new round of "
    "ceasefire talks, mediators said, and a draft text covers a monitoring mission.\n"
)


class FakeChat:
    """Records what would have been sent to each channel."""

    name = "discord"

    def __init__(self) -> None:
        self.started = self.closed = False
        self.posts: list[tuple[str, str, int]] = []

    async def start(self) -> None:
        self.started = True

    async def close(self) -> None:
        self.closed = True

    def sink(self, channel_id: str) -> _ChannelSink:
        return _ChannelSink(self, channel_id)


class _ChannelSink:
    platform = "discord"

    def __init__(self, chat: FakeChat, channel: str) -> None:
        self.chat, self.channel = chat, channel

    async def post(self, briefing: Briefing, *, idempotency_key: str, note: str | None = None) -> PostResult:
        self.chat.posts.append((self.channel, idempotency_key, len(briefing.stories)))
        return PostResult([f"m{len(self.chat.posts)}"], self.platform)


def _sub(channel: str, topic: str, when: datetime, zone: str = "UTC") -> Subscription:
    return Subscription("discord", "guild", channel, topic, when.strftime("%H:%M"), zone, "admin", when)


def test_subscriptions_are_delivered_synced_and_remembered(tmp_path: Path) -> None:
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "geneva.txt").write_text(ARTICLE, encoding="utf-8")
    config = tmp_path / "briefbot.yaml"
    config.write_text(
        """\
storage: {url: "sqlite:///bot.db"}
sources: [{name: local, path: articles, interval: 1h}]
topics: [{name: ceasefire, aliases: [Geneva, talks]}]
deliveries:
  - {name: to-slack, platform: slack, channel: C1, cron: "* * * * *"}
summarizer: {engine: lead}
run: {jitter: 1s}
""",
        encoding="utf-8",
    )
    now = datetime.now(UTC)
    minute_ago = now - timedelta(minutes=1)
    with open_store(f"sqlite:///{tmp_path / 'bot.db'}") as store:
        ChatRepository(store.engine).subscribe(_sub("111", "ceasefire", minute_ago))
    chat = FakeChat()
    runner = Runner(
        App(load_config(config)), RunOptions(health_port=0, health_refresh_s=0.2), chat_adapters=[chat]
    )

    async def scenario() -> dict[str, object]:
        await runner.start()
        try:
            assert chat.started
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not chat.posts:
                await asyncio.sleep(0.1)
            repo = ChatRepository(runner.app.store.engine, create_tables=False)  # type: ignore[attr-defined]
            await asyncio.to_thread(repo.subscribe, _sub("222", "ceasefire", minute_ago, "Europe/Berlin"))
            await asyncio.to_thread(repo.unsubscribe, "discord", "111")
            await runner.app.plans(fresh=True)  # a subscription made on any replica is seen within seconds
            await runner.refresh_health()
            last = await asyncio.to_thread(repo.last_briefing, "discord", "111")
            import json

            health = json.loads(runner.health.response()[1])
            return {"last": last, "health": health}
        finally:
            await runner.stop()

    seen = asyncio.run(scenario())
    expected_key = f"sub:discord:111:ceasefire@{minute_ago.replace(second=0, microsecond=0).isoformat().replace('+00:00', 'Z')}"
    assert [(c, k) for c, k, _ in chat.posts] == [("111", expected_key)], "caught up once on start"
    assert chat.posts[0][2] >= 1, "the briefing has the stored story"
    assert chat.closed
    upcoming = {d["delivery"]: d["at"] for d in seen["health"]["next_deliveries"]}  # type: ignore[index]
    assert "sub:discord:222:ceasefire" in upcoming and "sub:discord:111:ceasefire" not in upcoming
    next_222 = datetime.fromisoformat(upcoming["sub:discord:222:ceasefire"].replace("Z", "+00:00"))
    assert next_222 > now and next_222 - now < timedelta(days=1, minutes=1)
    assert seen["last"] is not None, "the channel's last briefing is the scheduled one (for /more)"
    errors = seen["health"]["last_errors"]  # type: ignore[index]
    assert any("to-slack" in e["where"] and "no slack adapter is running" in e["error"] for e in errors), (
        errors
    )
