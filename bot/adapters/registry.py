"""Sinks and chat adapters for each platform of `bot.platforms.PLATFORMS`: the only place that
turns a platform name into an implementation (called by the composition root, `bot.app`).

- `build_chat_adapters(config, core)`: one `ChatAdapter` per configured chat platform
  (``discord:``, ``slack:``), all answering through one `CommandCore`; nothing connects until
  `start()`. A start that cannot work raises `ChatAdapterError`.
- `SinkRegistry`: builds (once) and caches the `Sink` of each delivery plan; chat platforms post
  through the running adapters, the others need only the plan.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from bot.core.protocols import ChatAdapter, Sink
from bot.errors import SinkUnavailable
from bot.platforms import PLATFORMS

if TYPE_CHECKING:
    from bot.config.schema import BriefbotConfig
    from bot.core.commands import CommandCore
    from bot.scheduling.jobs import DeliveryPlan

__all__ = ["SinkRegistry", "build_chat_adapters"]

log = logging.getLogger(__name__)

CoreProvider = Callable[[], "CommandCore"]


def build_chat_adapters(
    config: BriefbotConfig,
    core: CoreProvider,
    *,
    shard_ids: Sequence[int] | None = None,
    shard_count: int | None = None,
) -> list[ChatAdapter]:
    """One adapter per configured chat platform (not started).

    `shard_ids`/`shard_count` (Discord) come from `briefbot run` flags; by default Discord picks
    the shard count and this process runs all shards.
    """
    adapters: list[ChatAdapter] = []
    if config.discord is not None:
        from bot.adapters.discord import DiscordAdapter

        adapters.append(
            DiscordAdapter.from_config(
                config.discord,
                core,
                shard_ids=list(shard_ids) if shard_ids else None,
                shard_count=shard_count,
            )
        )
    if config.slack is not None:
        from bot.adapters.slack import SlackAdapter

        adapters.append(SlackAdapter.from_config(config.slack, core))
    return adapters


def _file(plan: DeliveryPlan, chat: dict[str, ChatAdapter]) -> Sink:
    from bot.adapters.file import FileSink

    if plan.path is None:
        raise SinkUnavailable(f"delivery {plan.name!r}: platform file needs a path")
    return FileSink(plan.path)


def _console(plan: DeliveryPlan, chat: dict[str, ChatAdapter]) -> Sink:
    from bot.adapters.console.sink import ConsoleSink

    return ConsoleSink()


def _webhook(plan: DeliveryPlan, chat: dict[str, ChatAdapter]) -> Sink:
    from bot.adapters.webhook import DiscordWebhookSink, SlackWebhookSink

    if not plan.webhook:
        raise SinkUnavailable(f"delivery {plan.name!r}: platform {plan.platform} needs a webhook URL")
    kind = DiscordWebhookSink if plan.platform == "discord-webhook" else SlackWebhookSink
    return kind(plan.webhook)


def _chat(plan: DeliveryPlan, chat: dict[str, ChatAdapter]) -> Sink:
    p = plan.platform
    adapter = chat.get(p)
    if adapter is None:
        raise SinkUnavailable(
            f"delivery {plan.name!r} goes to {p}, but no {p} adapter is running: "
            f"add a `{p}:` section with its token to the config"
        )
    if not plan.channel:
        raise SinkUnavailable(f"delivery {plan.name!r}: platform {p} needs a channel")
    return adapter.sink(plan.channel)


SINK_BUILDERS: dict[str, Callable[[DeliveryPlan, dict[str, ChatAdapter]], Sink]] = {
    "discord": _chat,
    "slack": _chat,
    "discord-webhook": _webhook,
    "slack-webhook": _webhook,
    "console": _console,
    "file": _file,
}
assert set(SINK_BUILDERS) == set(PLATFORMS), "every platform of bot.platforms needs a sink builder"


class SinkRegistry:
    """Builds (once) and caches the sink of each plan; `close()` closes those that need it."""

    def __init__(self, chat: Sequence[ChatAdapter] = ()) -> None:
        self.chat = {a.name.casefold(): a for a in chat}
        self._cache: dict[str, Sink] = {}

    def __call__(self, plan: DeliveryPlan) -> Sink:
        sink = self._cache.get(plan.name)
        if sink is None:
            build = SINK_BUILDERS.get(plan.platform)
            if build is None:
                raise SinkUnavailable(f"delivery {plan.name!r}: unknown platform {plan.platform!r}")
            sink = self._cache[plan.name] = build(plan, self.chat)
        return sink

    def forget(self, name: str) -> None:
        self._cache.pop(name, None)

    async def close(self) -> None:
        for sink in self._cache.values():
            closer = getattr(sink, "aclose", None)
            if closer is not None and inspect.iscoroutinefunction(closer):
                try:
                    await closer()
                except Exception as exc:
                    log.warning("closing %r: %s", sink, exc)
        self._cache.clear()
