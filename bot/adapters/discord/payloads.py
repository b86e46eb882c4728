"""Rendered Discord payloads (`bot.render.discord`) as discord.py `send` keyword arguments."""

from __future__ import annotations

from typing import Any

import discord

from bot.adapters.discord.buttons import view_from_rows


def message_kwargs(payload: dict[str, Any]) -> dict[str, Any]:
    """`content`, `embeds` (via `Embed.from_dict`), `view`; mentions are always off."""
    kwargs: dict[str, Any] = {"allowed_mentions": discord.AllowedMentions.none()}
    if payload.get("content"):
        kwargs["content"] = payload["content"]
    embeds = [discord.Embed.from_dict(e) for e in payload.get("embeds") or []]
    if embeds:
        kwargs["embeds"] = embeds
    view = view_from_rows(payload.get("components") or [])
    if view is not None:
        kwargs["view"] = view
    return kwargs
