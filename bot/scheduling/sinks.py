"""Where each delivery goes: one `Sink` per plan, and the chat adapters `run` starts.

Chat adapters (Discord, Slack) come from `bot.adapters.registry.build_chat_adapters(app, ...)`,
written by the adapters' area. The contract `run` relies on is `ChatAdapter` below: a `name`
("discord" or "slack"), `async start()`, `async close()` and `sink(channel_id) -> Sink`. A chat
sink may also offer `async already_posted(idempotency_key) -> PostResult | None`; then a run that
died while posting can be checked against the platform instead of being given up.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from bot.core.protocols import Sink
from bot.scheduling.jobs import DeliveryPlan

if TYPE_CHECKING:
    from bot.app import App

__all__ = ["ChatAdapter", "SinkRegistry", "SinkUnavailable", "load_chat_adapters"]

log = logging.getLogger(__name__)

REGISTRY_MODULE = "bot.adapters.registry"


class SinkUnavailable(RuntimeError):
    """A delivery's platform cannot be reached from this process (e.g. no Discord adapter running)."""


@runtime_checkable
class ChatAdapter(Protocol):
    name: str

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    def sink(self, channel_id: str) -> Sink: ...


def load_chat_adapters(
    app: App, *, shard_ids: Sequence[int] | None = None, shard_count: int | None = None
) -> list[ChatAdapter]:
    """The configured chat adapters (not started). Shard options go to builders that accept them."""
    if app.config.discord is None and app.config.slack is None:
        return []
    try:
        module = __import__(REGISTRY_MODULE, fromlist=["build_chat_adapters"])
    except ModuleNotFoundError as exc:
        if exc.name != REGISTRY_MODULE:
            raise
        log.error(
            "discord/slack are configured but this build has no chat adapters (%s is missing); "
            "chat deliveries will fail",
            REGISTRY_MODULE,
        )
        return []
    build = module.build_chat_adapters
    wanted: dict[str, Any] = {"shard_ids": list(shard_ids) if shard_ids else None, "shard_count": shard_count}
    params = inspect.signature(build).parameters
    takes_all = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    kwargs = {k: v for k, v in wanted.items() if v is not None and (takes_all or k in params)}
    ignored = sorted(k for k, v in wanted.items() if v is not None and k not in kwargs)
    if ignored:
        log.warning("the chat adapters do not take %s; ignored", ", ".join(ignored))
    return list(build(app, **kwargs))


class SinkRegistry:
    """Builds (once) and caches the sink of each plan; `close()` closes those that need it."""

    def __init__(self, chat: Sequence[ChatAdapter] = ()) -> None:
        self.chat = {getattr(a, "name", "").casefold(): a for a in chat}
        self._cache: dict[str, Sink] = {}

    def __call__(self, plan: DeliveryPlan) -> Sink:
        sink = self._cache.get(plan.name)
        if sink is None:
            sink = self._cache[plan.name] = self._build(plan)
        return sink

    def forget(self, name: str) -> None:
        self._cache.pop(name, None)

    def _build(self, plan: DeliveryPlan) -> Sink:
        p = plan.platform
        if p == "file":
            from bot.adapters.file import FileSink

            if plan.path is None:
                raise SinkUnavailable(f"delivery {plan.name!r}: platform file needs a path")
            return FileSink(plan.path)
        if p == "console":
            from bot.adapters.console.sink import ConsoleSink

            return ConsoleSink()
        if p in ("discord-webhook", "slack-webhook"):
            from bot.adapters.webhook import DiscordWebhookSink, SlackWebhookSink

            if not plan.webhook:
                raise SinkUnavailable(f"delivery {plan.name!r}: platform {p} needs a webhook URL")
            return (
                DiscordWebhookSink(plan.webhook) if p == "discord-webhook" else SlackWebhookSink(plan.webhook)
            )
        if p in ("discord", "slack"):
            adapter = self.chat.get(p)
            if adapter is None:
                raise SinkUnavailable(
                    f"delivery {plan.name!r} goes to {p}, but no {p} adapter is running: "
                    f"add a `{p}:` section with its token to the config"
                )
            if not plan.channel:
                raise SinkUnavailable(f"delivery {plan.name!r}: platform {p} needs a channel")
            return adapter.sink(plan.channel)
        raise SinkUnavailable(f"delivery {plan.name!r}: unknown platform {p!r}")

    async def close(self) -> None:
        for sink in self._cache.values():
            closer = getattr(sink, "aclose", None) or getattr(sink, "close", None)
            if closer is not None and inspect.iscoroutinefunction(closer):
                try:
                    await closer()
                except Exception as exc:
                    log.warning("closing %r: %s", sink, exc)
        self._cache.clear()
