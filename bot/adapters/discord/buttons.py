"""The More · n / Sources · n buttons under a briefing, as persistent dynamic items.

A `DynamicItem` is dispatched by its custom_id pattern (``briefbot:<command>:<story>``, for each
command declared with a `button`) for any message, including those sent before a restart, so one
`client.add_dynamic_items(StoryButton)` covers every story. The story is its stable id (a story
number in messages from before stories had ids), so a click days later still opens that story. A
click becomes the same /more or /sources invocation as the typed command.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import discord

from bot.adapters.discord.client import BriefbotClient
from bot.core.commands import STORY_BUTTONS, STORY_ID_FORM

_ACTIONS = "|".join(c.name for c in STORY_BUTTONS)
CUSTOM_ID = re.compile(rf"briefbot:(?P<action>{_ACTIONS}):(?P<story>[0-9]{{1,3}}|{STORY_ID_FORM})")


class StoryButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=CUSTOM_ID):
    """One button; its command and story live in the custom_id."""

    def __init__(
        self,
        action: str,
        story: str,
        *,
        label: str | None = None,
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
        row: int | None = None,
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label=label or action.title(), style=style, custom_id=f"briefbot:{action}:{story}"
            ),
            row=row,
        )
        self.action = action
        self.story = story

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> StoryButton:
        label = getattr(item, "label", None)
        style = getattr(item, "style", discord.ButtonStyle.secondary)
        return cls(match["action"], match["story"], label=label, style=style)

    async def callback(self, interaction: discord.Interaction) -> None:
        client = interaction.client
        if isinstance(client, BriefbotClient) and client.answerer is not None:
            # Only the person who clicked sees the answer: a click should not post into the channel.
            await client.answerer.answer(interaction, self.action, {"story": self.story}, ephemeral=True)


def view_from_rows(rows: Sequence[dict[str, Any]]) -> discord.ui.View | None:
    """The renderer's action rows (`components`) as a persistent view; None when there are none."""
    view = discord.ui.View(timeout=None)
    for row_index, row in enumerate(rows):
        for component in row.get("components", []):
            match = CUSTOM_ID.fullmatch(str(component.get("custom_id", "")))
            if component.get("type") != 2 or match is None:
                raise ValueError(f"unexpected component in a rendered payload: {component!r}")
            style = discord.ButtonStyle(int(component.get("style", 2)))
            view.add_item(
                StoryButton(
                    match["action"], match["story"], label=component.get("label"), style=style, row=row_index
                )
            )
    return view if view.children else None
