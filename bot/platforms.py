"""The one registry of delivery platforms: each platform's name, the delivery key that says where it
posts, and whether a running chat adapter (a bot user) serves it.

The config validates deliveries against it, and `bot.adapters.registry` builds a sink for each
name in it (checked at import). Adding a platform starts here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

__all__ = ["CHAT_PLATFORMS", "PLATFORMS", "Platform", "PlatformName"]

PlatformName = Literal["discord", "slack", "discord-webhook", "slack-webhook", "console", "file"]


@dataclass(frozen=True)
class Platform:
    name: PlatformName
    target: Literal["channel", "webhook", "path"] | None  # the delivery key it needs
    chat: bool = False  # posts through a running chat adapter (and so also answers commands)
    label: str = ""


PLATFORMS: dict[str, Platform] = {
    p.name: p
    for p in (
        Platform("discord", "channel", chat=True, label="Discord"),
        Platform("slack", "channel", chat=True, label="Slack"),
        Platform("discord-webhook", "webhook", label="Discord webhook"),
        Platform("slack-webhook", "webhook", label="Slack webhook"),
        Platform("console", None, label="console"),
        Platform("file", "path", label="file"),
    )
}
CHAT_PLATFORMS = frozenset(name for name, p in PLATFORMS.items() if p.chat)
assert set(PLATFORMS) == set(get_args(PlatformName)), "PlatformName and PLATFORMS must list the same names"
