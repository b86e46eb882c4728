"""What a chat command answers, independent of the platform that shows it.

The command core returns a `Reply`; a renderer (`bot.render.discord`, `bot.render.slack`,
`bot.render.text`) turns it into payloads. A reply carries data, never markup: `text` and the
`items` are plain user-visible strings that every renderer escapes for its own platform.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from summarizer.model import Briefing, Story

ReplyKind = Literal[
    "briefing", "story", "sources", "quotes", "topics", "help", "subscriptions", "ok", "error"
]


@dataclass(frozen=True)
class ReplyItem:
    """One line of a list answer (/topics, /subscriptions): a name and an optional detail."""

    title: str
    detail: str = ""


@dataclass(frozen=True)
class Reply:
    """A platform-neutral answer.

    - ``briefing``: ``briefing`` set; ``text`` is an optional note shown above it.
    - ``story`` / ``sources`` / ``quotes``: ``briefing`` and the 1-based ``story_index`` set;
      ``numbered`` is False when the story was opened by its id from outside the channel's last
      briefing (its number there would mean nothing).
    - ``topics`` / ``subscriptions``: ``items`` (may be empty; ``text`` then says why).
    - ``help`` / ``ok`` / ``error``: ``text`` only (one to three short lines).

    ``ephemeral`` asks the adapter to show the answer only to the user who asked, where the
    platform can (errors and admin answers).
    """

    kind: ReplyKind
    text: str | None = None
    briefing: Briefing | None = None
    story_index: int | None = None
    items: tuple[ReplyItem, ...] = field(default_factory=tuple)
    ephemeral: bool = False
    numbered: bool = True

    @classmethod
    def error(cls, text: str) -> Reply:
        return cls(kind="error", text=text, ephemeral=True)

    @classmethod
    def ok(cls, text: str, *, ephemeral: bool = True) -> Reply:
        return cls(kind="ok", text=text, ephemeral=ephemeral)

    @classmethod
    def of_briefing(cls, briefing: Briefing, note: str | None = None) -> Reply:
        return cls(kind="briefing", briefing=briefing, text=note)

    @property
    def story(self) -> Story:
        """The story a ``story``/``sources``/``quotes`` reply is about."""
        if self.briefing is None or self.story_index is None:
            raise ValueError(f"a {self.kind!r} reply has no story")
        return self.briefing.stories[self.story_index - 1]
