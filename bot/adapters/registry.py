"""The seam between `briefbot run` and the chat platforms: which adapters to start, and their shape.

`build_chat_adapters(app)` returns one adapter per configured platform (``discord:``, ``slack:``),
all sharing `app.command_core()`. The run command starts them, hands `adapter.sink(channel_id)`
to the scheduler for subscriptions and deliveries, and closes them on shutdown. A start that
cannot work (bad token, port in use) raises `ChatAdapterError`, whose message is one line a user
can act on; `briefbot run` prints it and exits 2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from bot.app import App
    from bot.core.protocols import Sink


class ChatAdapterError(RuntimeError):
    """A chat platform refused to start (bad token, missing setting, port in use): one line, no secret."""


class ChatPostError(RuntimeError):
    """A channel refused a scheduled post; `posted` lists the ids of the messages already sent, and
    `nothing_posted` is False when a message may have arrived unseen (so trying again could double it)."""

    def __init__(
        self, message: str, posted: list[str] | None = None, *, nothing_posted: bool | None = None
    ) -> None:
        super().__init__(message)
        self.posted = list(posted or [])
        self.nothing_posted = (
            not self.posted if nothing_posted is None else nothing_posted and not self.posted
        )


@runtime_checkable
class ChatAdapter(Protocol):
    """A running connection to one chat platform that answers the slash commands."""

    name: str

    async def start(self) -> None:
        """Log in and start answering in the background; returns once connected. Raises ChatAdapterError."""

    async def close(self) -> None:
        """Stop answering and release every connection; safe to call twice or before `start`."""

    def sink(self, channel_id: str) -> Sink:
        """Where scheduled briefings for `channel_id` are posted (needs `start` first)."""
        ...


def build_chat_adapters(
    app: App, *, shard_ids: list[int] | None = None, shard_count: int | None = None
) -> list[ChatAdapter]:
    """One adapter per configured platform; nothing connects until `start()`.

    `shard_ids`/`shard_count` (Discord) come from `briefbot run` flags; by default Discord picks
    the shard count and this process runs all shards.
    """
    adapters: list[ChatAdapter] = []
    config = app.config
    if config.discord is not None:
        from bot.adapters.discord import DiscordAdapter

        adapters.append(
            DiscordAdapter.from_config(
                config.discord, app.command_core, shard_ids=shard_ids, shard_count=shard_count
            )
        )
    if config.slack is not None:
        from bot.adapters.slack import SlackAdapter

        adapters.append(SlackAdapter.from_config(config.slack, app.command_core))
    return adapters
