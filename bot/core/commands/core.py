"""The chat commands, once for every platform (issue #5), with their input checks (issue #7).

Each command is declared once, on its handler, with `@command` (bot.core.commands.spec): its
name, options (kinds and limits), help, who may run it, whether it is rate-limited and whether
its answer is public. An adapter (Discord, Slack, console) turns what the user typed or clicked
into an `Invocation`, awaits `CommandCore.handle`, and renders the `Reply` with `bot.render.*`.
`handle` checks the invocation against the declaration (permission, each option's value, the
rate limit) and calls the handler with the checked values. It never raises to the adapter: a
bad argument, a rate limit or a crash all become one short `Reply(kind="error")` line, with the
traceback in the log. User text is only ever carried as plain data; the renderers escape it.
"""

from __future__ import annotations

import asyncio
import difflib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.config.schema import LimitsConfig
from bot.core.briefing import BriefingService, BriefRequest, utcnow
from bot.core.commands.checks import StoryRef, check, clean_text, short, story_number
from bot.core.commands.spec import CommandSpec, Invocation, OptionSpec, Suggestion, command, declared
from bot.core.commands.words import LINE_MAX, invocation
from bot.core.protocols import FetchedArticle
from bot.core.ratelimit import RateLimiter, acquire
from bot.core.replies import Reply, ReplyItem, ReplyKind
from bot.core.updates import filter_updates, topic_key
from bot.errors import UserError
from summarizer.model import Briefing, Topic

log = logging.getLogger(__name__)

# Who may add or remove a channel's subscriptions, in the words of each platform.
MANAGERS = {
    "discord": "members with the Manage Channel permission",
    "slack": "workspace admins and owners",
    "console": "the console user",
}
TOPIC_MAX = 100  # characters of a /brief or /subscribe topic
MAX_HOURS = 168
MAX_SUBSCRIPTIONS_PER_CHANNEL = 25
AUTOCOMPLETE_MAX = 25  # Discord's cap on autocomplete choices
LABEL_MAX = 100  # characters of an autocomplete choice (Discord)


# --- what the core needs from persistence (implemented by bot.store.chat.ChatRepository) ---


@dataclass(frozen=True)
class Subscription:
    """A channel's daily briefing on one topic at a local time."""

    platform: str
    workspace_id: str | None
    channel_id: str
    topic: str
    time: str  # "HH:MM", 24-hour
    timezone: str  # IANA name
    created_by: str
    created_at: datetime


class ChatStore(Protocol):
    """Subscriptions, each channel's last briefing (so /more works after a restart), and what each
    channel was shown of each topic (so ``/brief TOPIC new`` shows only what changed)."""

    def save_last_briefing(self, platform: str, channel_id: str, briefing: Briefing) -> None:
        """Keep it as the channel's last briefing, and remember what it shows of its topic."""
        ...

    def last_briefing(self, platform: str, channel_id: str) -> Briefing | None: ...

    def shown(self, platform: str, channel_id: str, topic: str) -> list[dict[str, Any]]:
        """Prints (`bot.core.updates.StoryPrint` JSON) of what the channel was shown of a topic
        (`topic_key`) within `REMEMBER_FOR`."""
        ...

    def subscribe(self, sub: Subscription) -> bool:
        """Add or update (same platform, channel, topic); True when it was new."""
        ...

    def unsubscribe(self, platform: str, channel_id: str, topic: str | None = None) -> int:
        """Remove one topic's subscription, or all of the channel's; returns how many."""
        ...

    def subscriptions(
        self, platform: str | None = None, channel_id: str | None = None
    ) -> list[Subscription]: ...


def format_window(window: timedelta) -> str:
    hours = window.total_seconds() / 3600
    if hours < 48 or hours % 24:
        return f"{hours:g} h"
    return f"{hours / 24:g} days"


# --- the core ---

_STORY = OptionSpec("story", "the story's number in the channel's last briefing, or its id", True, "story")
_TOPIC = OptionSpec("topic", "a topic from /topics", True, "topic", max_length=TOPIC_MAX)


@dataclass
class _Limits:
    per_user: RateLimiter
    per_channel: RateLimiter


class CommandCore:
    """Answers every chat command; one instance per running bot, shared by all its adapters.

    `articles`, when given, makes /brief summarise that fixed set (``briefbot chat --input``)
    instead of the store, whatever the articles' dates.
    """

    commands: tuple[CommandSpec, ...]  # every declared command, in /help order (set below)

    def __init__(
        self,
        service: BriefingService,
        chat_store: ChatStore,
        topics: Sequence[Topic],
        limits: LimitsConfig | None = None,
        clock: Callable[[], datetime] = utcnow,
        *,
        default_since: timedelta = timedelta(hours=24),
        articles: Sequence[FetchedArticle] | None = None,
        max_concurrent_briefs: int = 2,
    ) -> None:
        self.service = service
        self.chat_store = chat_store
        self.topics = list(topics)
        self.clock = clock
        self.default_since = default_since
        self.articles = list(articles) if articles is not None else None
        lim = limits or LimitsConfig.model_validate({})
        window = lim.window.total_seconds()
        self._limits = _Limits(
            RateLimiter(lim.brief_per_user, window, self._seconds),
            RateLimiter(lim.brief_per_channel, window, self._seconds),
        )
        self._brief_slots = asyncio.Semaphore(max_concurrent_briefs)

    def _seconds(self) -> float:
        return self.clock().timestamp()

    # public API

    async def handle(self, inv: Invocation) -> Reply:
        """Answer one invocation. Never raises (except cancellation)."""
        try:
            # adapters may hand over ints or bools (Discord options) or None for an omitted option
            inv = replace(
                inv, name=str(inv.name)[:64], args={k: str(v) for k, v in inv.args.items() if v is not None}
            )
            spec = find_command(inv.name)
            if spec is None:
                shown = clean_text(inv.name.lower().lstrip("/"), 64, "command")[:32]
                return Reply.error(
                    f"Unknown command /{shown} — try /help."
                    if shown
                    else "Commands start with / — try /help."
                )
            if spec.needs_manage_channel and not inv.can_manage_channel:
                raise UserError(f"Only {self._managers(inv.platform)} can do that.")
            values = {o.name: check(o, inv.args.get(o.name), spec.name) for o in spec.options}
            if spec.rate_limited:
                wait = acquire(
                    [
                        (self._limits.per_user, (inv.platform, inv.user_id)),
                        (self._limits.per_channel, (inv.platform, inv.channel_id)),
                    ]
                )
                if wait:
                    return Reply.error(f"You're going fast — try again in {wait} s.")
            reply: Reply = await getattr(self, spec.handler)(inv, **values)
            return reply
        except UserError as exc:
            return Reply.error(str(exc))
        except Exception:
            log.exception("/%s failed on %s channel %s", inv.name[:64], inv.platform, inv.channel_id)
            return Reply.error("Sorry, that failed on our side; the details are in the bot's log.")

    def parse_text(self, line: str, **context: Any) -> Invocation:
        """``"/brief taiwan 12"`` → `Invocation` (console, Slack); see `bot.core.commands.words`."""
        return parse_command_line(line, **context)

    async def suggest(
        self, option: OptionSpec, typed: str, platform: str, channel_id: str
    ) -> list[Suggestion]:
        """Autocomplete choices for a partly typed option (topics; the last briefing's stories)."""
        if option.kind == "topic":
            return [Suggestion(t, t) for t in self.autocomplete_topics(typed)]
        if option.kind == "story":
            last = await asyncio.to_thread(self.chat_store.last_briefing, platform, channel_id)
            return story_suggestions(last, typed)
        return []

    def autocomplete_topics(self, prefix: str) -> list[str]:
        """Configured topic names for a partly typed topic: prefix matches first, then substrings."""
        p = clean_text(prefix, LINE_MAX, "topic").casefold()[:TOPIC_MAX]
        starts = [t.name for t in self.topics if any(term.casefold().startswith(p) for term in t.terms)]
        inside = [
            t.name
            for t in self.topics
            if t.name not in starts and any(p in term.casefold() for term in t.terms)
        ]
        return (starts + inside)[:AUTOCOMPLETE_MAX]

    # topics

    def configured_topic(self, text: str) -> Topic | None:
        wanted = text.strip().casefold()
        for t in self.topics:
            if any(wanted == term.casefold() for term in t.terms):
                return t
        return None

    def did_you_mean(self, text: str) -> str | None:
        """The configured topic whose name or alias is closest to `text` (difflib), if close enough."""
        terms = {term.casefold(): t.name for t in self.topics for term in t.terms}
        guess = difflib.get_close_matches(text.strip().casefold(), list(terms), n=1, cutoff=0.6)
        return terms[guess[0]] if guess else None

    @staticmethod
    def _managers(platform: str) -> str:
        return MANAGERS.get(platform, "people who can manage this channel")

    # --- the commands, in /help order ---

    @command(
        "brief",
        "A short, cited news briefing",
        OptionSpec(
            "topic",
            "a topic from /topics or any words (default: everything)",
            kind="topic",
            max_length=TOPIC_MAX,
        ),
        OptionSpec(
            "hours",
            f"look back this many hours (1-{MAX_HOURS})",
            kind="integer",
            min_value=1,
            max_value=MAX_HOURS,
            unit="h",
        ),
        OptionSpec("new", "only what changed since this channel's last briefing of the topic", kind="flag"),
        help="a short cited briefing (default: every topic, the last {window}); with new, only the new "
        "stories and new facts since this channel's last briefing of the topic.",
        public=True,
        rate_limited=True,
    )
    async def _brief(self, inv: Invocation, topic: str | None, hours: int | None, new: bool) -> Reply:
        window = timedelta(hours=hours) if hours else self.default_since
        async with self._brief_slots:
            briefing = await asyncio.to_thread(self._make_briefing, topic, window)
        if not briefing.stories:
            return Reply.error(self._nothing_found(topic, window))
        note = None
        if new:
            about = f" about {briefing.topic}" if briefing.topic else ""
            earlier = await asyncio.to_thread(
                self.chat_store.shown, inv.platform, inv.channel_id, topic_key(briefing.topic)
            )
            if not earlier:
                note = f"This channel has had no briefing{about} yet, so all of it is new."
            else:
                updates = filter_updates(briefing, earlier, self.service.resolve_story)
                if updates.briefing is None:
                    return Reply.ok(f"Nothing new{about} since this channel's last briefing{about}.")
                briefing = updates.briefing
                note = f"What changed since this channel's last briefing{about}: {updates.summary()}."
        await asyncio.to_thread(self.chat_store.save_last_briefing, inv.platform, inv.channel_id, briefing)
        return Reply.of_briefing(briefing, note)

    @command(
        "more",
        "Every point and quote of a story",
        _STORY,
        help="every point and quote of a story: its number in the last briefing here, or its id.",
        public=True,
        button="More",
    )
    async def _more(self, inv: Invocation, story: StoryRef) -> Reply:
        return await self._story_reply(inv, story, "story")

    @command(
        "sources",
        "Every outlet of a story, with links and dates",
        _STORY,
        aliases=("source",),
        public=True,
        button="Sources",
    )
    async def _sources(self, inv: Invocation, story: StoryRef) -> Reply:
        return await self._story_reply(inv, story, "sources")

    @command(
        "quote",
        "The quotes of a story, with speakers and links",
        _STORY,
        aliases=("quotes",),
        public=True,
    )
    async def _quote(self, inv: Invocation, story: StoryRef) -> Reply:
        return await self._story_reply(inv, story, "quotes")

    @command(
        "topics",
        "The configured topics",
        aliases=("topic",),
        help="the configured topics (/brief takes any other words too).",
    )
    async def _topics(self, inv: Invocation) -> Reply:
        items = tuple(ReplyItem(t.name, ", ".join(t.aliases)) for t in self.topics)
        note = (
            "Any other words work too: /brief <text>."
            if items
            else "No topics are configured; /brief <text> searches any words."
        )
        return Reply(kind="topics", items=items, text=note, ephemeral=True)

    @command(
        "subscribe",
        "Post a briefing on a topic here every day",
        _TOPIC,
        OptionSpec(
            "time", "local time as HH:MM, e.g. 07:30", True, "time", max_length=16, placeholder="HH:MM"
        ),
        OptionSpec(
            "timezone",
            "an IANA time zone such as Europe/Berlin (default UTC)",
            kind="timezone",
            max_length=64,
        ),
        help="post a briefing on a topic here every day (for {managers}).",
        needs_manage_channel=True,
    )
    async def _subscribe(self, inv: Invocation, topic: str | None, time: str, timezone: str | None) -> Reply:
        name = self._subscription_topic(topic)
        zone = timezone or "UTC"
        existing = await asyncio.to_thread(self.chat_store.subscriptions, inv.platform, inv.channel_id)
        if len(existing) >= MAX_SUBSCRIPTIONS_PER_CHANNEL and all(s.topic != name for s in existing):
            raise UserError(
                f"This channel already has {MAX_SUBSCRIPTIONS_PER_CHANNEL} subscriptions; "
                "remove one with /unsubscribe first."
            )
        sub = Subscription(
            inv.platform, inv.workspace_id, inv.channel_id, name, time, zone, inv.user_id, self.clock()
        )
        created = await asyncio.to_thread(self.chat_store.subscribe, sub)
        verb = "Subscribed" if created else "Updated"
        return Reply.ok(f"{verb}: a {name} briefing here every day at {time} ({zone}).")

    @command(
        "unsubscribe",
        "Stop a daily briefing here",
        replace(_TOPIC, description="a subscribed topic", required=False),
        help="stop a daily briefing here, or all of them without a topic (for {managers}).",
        needs_manage_channel=True,
    )
    async def _unsubscribe(self, inv: Invocation, topic: str | None) -> Reply:
        if not topic:
            removed = await asyncio.to_thread(self.chat_store.unsubscribe, inv.platform, inv.channel_id, None)
            if not removed:
                return Reply.ok("This channel has no subscriptions.")
            return Reply.ok(f"Removed {removed} subscription{'s' if removed != 1 else ''} from this channel.")
        configured = self.configured_topic(topic)
        name = configured.name if configured else topic
        removed = await asyncio.to_thread(self.chat_store.unsubscribe, inv.platform, inv.channel_id, name)
        if not removed:
            return Reply.ok(f"This channel has no subscription to '{short(name)}'.")
        return Reply.ok(f"Unsubscribed this channel from {name}.")

    @command("subscriptions", "This channel's daily briefings", aliases=("subs",))
    async def _subscriptions(self, inv: Invocation) -> Reply:
        subs = await asyncio.to_thread(self.chat_store.subscriptions, inv.platform, inv.channel_id)
        items = tuple(ReplyItem(s.topic, f"every day at {s.time} ({s.timezone})") for s in subs)
        who = self._managers(inv.platform)
        note = (
            None
            if items
            else f"This channel has no subscriptions. {who[0].upper()}{who[1:]} can add one with /subscribe."
        )
        return Reply(kind="subscriptions", items=items, text=note, ephemeral=True)

    @command("help", "What briefbot can do", help="this list.")
    async def _help(self, inv: Invocation) -> Reply:
        window, who = format_window(self.default_since), self._managers(inv.platform)
        text = "\n".join(c.help_line(window).replace("{managers}", who) for c in self.commands)
        return Reply(kind="help", text=text, ephemeral=True)

    # --- helpers of the handlers ---

    def _make_briefing(self, topic: str | None, window: timedelta) -> Briefing:
        if self.articles is not None:
            return self.service.brief_articles(self.articles, topic)
        return self.service.brief(BriefRequest(topic, window))

    def _nothing_found(self, topic: str | None, window: timedelta) -> str:
        where = "in the input files" if self.articles is not None else f"in the last {format_window(window)}"
        if topic is None:
            return f"No stories {where}."
        hint = "."
        if self.configured_topic(topic) is None:
            guess = self.did_you_mean(topic)
            hint = f" — did you mean {guess}?" if guess else " — see /topics for the configured topics."
        return f"No stories about '{short(topic)}' {where}{hint}"

    async def _story_reply(self, inv: Invocation, ref: StoryRef, kind: ReplyKind) -> Reply:
        """Story n of the channel's last briefing; or a story by id: from that briefing when it is
        there, else the story's current version from the store (a button clicked days later)."""
        last = await asyncio.to_thread(self.chat_store.last_briefing, inv.platform, inv.channel_id)
        if ref.id is None:
            if last is None or not last.stories:
                raise UserError("There is no briefing in this channel yet — run /brief first.")
            return Reply(kind=kind, briefing=last, story_index=story_number(ref, len(last.stories)))
        for n, s in enumerate(last.stories if last else [], 1):
            if s.id == ref.id:
                return Reply(kind=kind, briefing=last, story_index=n)
        found = await asyncio.to_thread(self.service.story, ref.id)
        if found is None or not found.stories:
            raise UserError(f"There is no story {ref.id} here any more — run /brief for today's stories.")
        return Reply(kind=kind, briefing=found, story_index=1, numbered=False)

    def _subscription_topic(self, text: str | None) -> str:
        if not text:
            raise UserError(
                "Usage: /subscribe <topic> <HH:MM> [timezone], e.g. /subscribe taiwan 07:30 Europe/Berlin."
            )
        topic = self.configured_topic(text)
        if topic is not None:
            return topic.name
        if not self.topics:
            raise UserError("No topics are configured, so there is nothing to subscribe to.")
        guess = self.did_you_mean(text)
        hint = f" — did you mean {guess}?" if guess else " — see /topics."
        raise UserError(f"Unknown topic '{short(text)}'{hint}")


CommandCore.commands = declared(vars(CommandCore))
COMMAND_SPECS: tuple[CommandSpec, ...] = CommandCore.commands
COMMANDS = tuple(c.name for c in COMMAND_SPECS)
_BY_NAME: Mapping[str, CommandSpec] = {n: c for c in COMMAND_SPECS for n in (c.name, *c.aliases)}
STORY_BUTTONS: tuple[CommandSpec, ...] = tuple(c for c in COMMAND_SPECS if c.button)


def find_command(name: str) -> CommandSpec | None:
    """The command a name or alias means (``/quotes`` → quote), case-insensitively."""
    return _BY_NAME.get(name.lower().lstrip("/"))


def parse_command_line(line: str, **context: Any) -> Invocation:
    """Turn a typed line such as ``/brief south china sea 12`` into an `Invocation`.

    context: user_id, channel_id, workspace_id, platform, can_manage_channel (defaults describe the
    local console). Never raises; checks happen in `CommandCore.handle`.
    """
    return invocation(_BY_NAME, line, context)


def story_suggestions(briefing: Briefing | None, typed: str) -> list[Suggestion]:
    """The stories of a channel's last briefing as autocomplete choices ("2. Title"), by number or id."""
    if briefing is None:
        return []
    words = clean_text(typed, LINE_MAX, "story").casefold()
    out = []
    for n, s in enumerate(briefing.stories, 1):
        label = f"{n}. {s.title}" + (f" ({s.phase})" if s.phase else "")
        if words and not (label.casefold().startswith(words) or words in s.title.casefold()):
            continue
        label = label if len(label) <= LABEL_MAX else label[: LABEL_MAX - 1] + "…"
        out.append(Suggestion(label, s.id or str(n)))
    return out[:AUTOCOMPLETE_MAX]
