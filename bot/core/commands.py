"""The chat commands, once for every platform (issue #5), with their input checks (issue #7).

An adapter (Discord, Slack, console) parses what the user typed or clicked into an `Invocation`,
awaits `CommandCore.handle`, and renders the `Reply` with `bot.render.*`. The core never raises to
the adapter: a bad argument, a rate limit or a crash all become one short `Reply(kind="error")`
line, with the traceback in the log. User text is only ever carried as plain data; the renderers
escape it for their platform.

Commands: /brief [topic] [hours], /more <n>, /sources <n>, /quote <n>, /topics,
/subscribe <topic> <HH:MM> [timezone], /unsubscribe [topic], /subscriptions, /help.
"""

from __future__ import annotations

import asyncio
import difflib
import logging
import re
import shlex
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Literal, Protocol
from zoneinfo import available_timezones

from bot.config.schema import LimitsConfig
from bot.core.briefing import BriefingService, BriefRequest, utcnow
from bot.core.protocols import FetchedArticle
from bot.core.ratelimit import RateLimiter, acquire
from bot.core.replies import Reply, ReplyItem, ReplyKind
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
LINE_MAX = 2000  # characters of one typed command line
MAX_HOURS = 168
MAX_SUBSCRIPTIONS_PER_CHANNEL = 25
AUTOCOMPLETE_MAX = 25  # Discord's cap on autocomplete choices


@dataclass(frozen=True)
class OptionSpec:
    """One argument of a command; `name` is its key in `Invocation.args`."""

    name: str
    description: str
    required: bool = False
    kind: Literal["text", "integer", "topic", "time", "timezone"] = "text"  # "topic": offer autocomplete
    min_value: int | None = None
    max_value: int | None = None


@dataclass(frozen=True)
class CommandSpec:
    """A command as adapters register it (Discord slash command, Slack slash command, console)."""

    name: str
    description: str  # ≤ 100 characters (Discord's limit)
    options: tuple[OptionSpec, ...] = ()
    needs_manage_channel: bool = False


_STORY_N = OptionSpec("n", "story number in the channel's last briefing", True, "integer", 1, 50)
COMMAND_SPECS: tuple[CommandSpec, ...] = (
    CommandSpec(
        "brief",
        "A short, cited news briefing",
        (
            OptionSpec("topic", "a topic from /topics or any words (default: everything)", kind="topic"),
            OptionSpec(
                "hours",
                f"look back this many hours (1-{MAX_HOURS})",
                kind="integer",
                min_value=1,
                max_value=MAX_HOURS,
            ),
        ),
    ),
    CommandSpec("more", "Every point and quote of one story of the last briefing", (_STORY_N,)),
    CommandSpec("sources", "Every outlet of one story, with links and dates", (_STORY_N,)),
    CommandSpec("quote", "The quotes of one story, with speakers and links", (_STORY_N,)),
    CommandSpec("topics", "The configured topics"),
    CommandSpec(
        "subscribe",
        "Post a briefing on a topic here every day",
        (
            OptionSpec("topic", "a topic from /topics", True, "topic"),
            OptionSpec("time", "local time as HH:MM, e.g. 07:30", True, "time"),
            OptionSpec("timezone", "an IANA time zone such as Europe/Berlin (default UTC)", kind="timezone"),
        ),
        needs_manage_channel=True,
    ),
    CommandSpec(
        "unsubscribe",
        "Stop a daily briefing here (all of them without a topic)",
        (OptionSpec("topic", "a subscribed topic", kind="topic"),),
        needs_manage_channel=True,
    ),
    CommandSpec("subscriptions", "This channel's daily briefings"),
    CommandSpec("help", "What briefbot can do"),
)
COMMANDS = tuple(c.name for c in COMMAND_SPECS)
_ALIASES = {"quotes": "quote", "source": "sources", "topic": "topics", "subs": "subscriptions"}

HELP_LINES = (
    "/brief [topic] [hours] — a short cited briefing (default: every topic, last {window}); /topics lists topics.",
    "/more <n>, /sources <n>, /quote <n> — all bullets, every outlet, or the quotes of story n.",
    "/subscribe <topic> <HH:MM> [timezone], /unsubscribe [topic], /subscriptions — a daily briefing here.",
)

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]+")
_HOURS = re.compile(r"^(\d{1,6})\s*h?$", re.IGNORECASE)
_STORY = re.compile(r"^#?(\d{1,6})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


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
    """Subscriptions and each channel's last briefing (so /more works after a restart)."""

    def save_last_briefing(self, platform: str, channel_id: str, briefing: Briefing) -> None: ...

    def last_briefing(self, platform: str, channel_id: str) -> Briefing | None: ...

    def subscribe(self, sub: Subscription) -> bool:
        """Add or update (same platform, channel, topic); True when it was new."""
        ...

    def unsubscribe(self, platform: str, channel_id: str, topic: str | None = None) -> int:
        """Remove one topic's subscription, or all of the channel's; returns how many."""
        ...

    def subscriptions(
        self, platform: str | None = None, channel_id: str | None = None
    ) -> list[Subscription]: ...


# --- invocations ---


@dataclass(frozen=True)
class Invocation:
    """What an adapter parsed: the command name and its raw, unvalidated string arguments.

    args keys: brief → "topic" (or "text"), "hours"; more/sources/quote → "n";
    subscribe → "topic", "time", "timezone"; unsubscribe → "topic".
    """

    name: str
    args: Mapping[str, str]
    user_id: str
    channel_id: str
    workspace_id: str | None
    platform: str
    can_manage_channel: bool = False


def parse_command_line(line: str, **context: Any) -> Invocation:
    """Turn a typed line such as ``/brief south china sea 12`` into an `Invocation`.

    context: user_id, channel_id, workspace_id, platform, can_manage_channel (defaults describe the
    local console). Never raises; checks happen in `CommandCore.handle`.
    """
    line = line.strip()[:LINE_MAX]
    try:
        tokens = shlex.split(line)
    except ValueError:  # an unbalanced quote: take the words as they are
        tokens = line.split()
    name = tokens[0].lstrip("/").lower() if tokens else ""
    rest = tokens[1:]
    args: dict[str, str] = {}
    canonical = _ALIASES.get(name, name)
    if canonical == "brief":
        if rest and _HOURS.match(rest[-1]):
            args["hours"] = rest.pop()
        if rest:
            args["topic"] = " ".join(rest)
    elif canonical in ("more", "sources", "quote"):
        if rest:
            args["n"] = " ".join(rest)
    elif canonical == "subscribe":
        at = next((i for i, t in enumerate(rest) if _TIME.match(t)), None)
        if at is None:  # no HH:MM: the last word was meant as the time
            if len(rest) > 1:
                args["time"] = rest.pop()
            if rest:
                args["topic"] = " ".join(rest)
        else:
            if at:
                args["topic"] = " ".join(rest[:at])
            args["time"] = rest[at]
            if rest[at + 1 :]:
                args["timezone"] = " ".join(rest[at + 1 :])
    elif canonical == "unsubscribe" and rest:
        args["topic"] = " ".join(rest)
    return Invocation(
        name=name,
        args=args,
        user_id=str(context.get("user_id", "console")),
        channel_id=str(context.get("channel_id", "console")),
        workspace_id=context.get("workspace_id"),
        platform=str(context.get("platform", "console")),
        can_manage_channel=bool(context.get("can_manage_channel", False)),
    )


# --- argument checks ---


def clean_text(value: str | None, limit: int, what: str) -> str:
    """Strip control and invisible characters, squeeze spaces, and cap the length."""
    text = " ".join(_CONTROL.sub(" ", value or "").split())
    if len(text) > limit:
        raise UserError(f"That {what} is too long — keep it under {limit} characters.")
    return text


def parse_hours(value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    m = _HOURS.match(value.strip())
    hours = int(m.group(1)) if m else -1
    if not 1 <= hours <= MAX_HOURS:
        raise UserError(f"Hours must be a whole number from 1 to {MAX_HOURS}.")
    return hours


def parse_story_number(value: str | None, count: int, command: str) -> int:
    if value is None or not value.strip():
        raise UserError(f"Which story? Use /{command} <n>, e.g. /{command} 1.")
    m = _STORY.match(value.strip())
    n = int(m.group(1)) if m else 0
    if not 1 <= n <= count:
        if count == 1:
            raise UserError("The last briefing has only one story: use 1.")
        raise UserError(f"Pick a story number from 1 to {count} (the last briefing has {count} stories).")
    return n


def parse_time(value: str | None) -> str:
    m = _TIME.match((value or "").strip())
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise UserError("Give the time as HH:MM in 24-hour form, e.g. 07:30.")
    return f"{int(m.group(1)):02d}:{int(m.group(2)):02d}"  # ٠٧:٣٠ or ０７:３０ is stored as 07:30


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    zones = {z.casefold(): z for z in available_timezones() if not z.startswith(("posix/", "right/"))}
    zones.setdefault("utc", "UTC")
    return zones


def parse_timezone(value: str | None) -> str:
    """An IANA zone name, matched case-insensitively; default UTC."""
    text = (value or "").strip()
    if not text:
        return "UTC"
    found = _zones().get(text.casefold()) if len(text) <= 64 else None
    if found:
        return found
    guess = difflib.get_close_matches(text.casefold(), list(_zones()), n=1, cutoff=0.75)
    hint = f" — did you mean {_zones()[guess[0]]}?" if guess else ""
    raise UserError(f"Unknown time zone '{_short(text)}'{hint} Use an IANA name such as Europe/Berlin.")


# Characters that format or mention on some chat platform; user text echoed back loses them, so an
# answer can never format (Slack mrkdwn has no escape for *_~`) or ping, whatever the renderer does.
_ECHO_UNSAFE = str.maketrans({c: " " for c in "*_~`|<>@#[]()\\"})


def _short(text: str, limit: int = 40) -> str:
    """User text as it may be echoed: no formatting characters, at most `limit` characters."""
    text = " ".join(text.translate(_ECHO_UNSAFE).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_window(window: timedelta) -> str:
    hours = window.total_seconds() / 3600
    if hours < 48 or hours % 24:
        return f"{hours:g} h"
    return f"{hours / 24:g} days"


# --- the core ---

Handler = Callable[[Invocation], Awaitable[Reply]]


@dataclass
class _Limits:
    per_user: RateLimiter
    per_channel: RateLimiter


class CommandCore:
    """Answers every chat command; one instance per running bot, shared by all its adapters.

    `articles`, when given, makes /brief summarise that fixed set (``briefbot chat --input``)
    instead of the store, whatever the articles' dates.
    """

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
        self._handlers: dict[str, Handler] = {
            "brief": self._brief,
            "more": self._more,
            "sources": self._sources,
            "quote": self._quote,
            "topics": self._topics,
            "subscribe": self._subscribe,
            "unsubscribe": self._unsubscribe,
            "subscriptions": self._subscriptions,
            "help": self._help,
        }

    def _seconds(self) -> float:
        return self.clock().timestamp()

    # public API

    async def handle(self, inv: Invocation) -> Reply:
        """Answer one invocation. Never raises (except cancellation)."""
        try:
            # adapters may hand over ints (a Discord integer option) or None for an omitted option
            inv = replace(
                inv, name=str(inv.name)[:64], args={k: str(v) for k, v in inv.args.items() if v is not None}
            )
            name = inv.name.lower().lstrip("/")
            handler = self._handlers.get(_ALIASES.get(name, name))
            if handler is None:
                shown = clean_text(name, 64, "command")[:32]
                return Reply.error(
                    f"Unknown command /{shown} — try /help."
                    if shown
                    else "Commands start with / — try /help."
                )
            return await handler(inv)
        except UserError as exc:
            return Reply.error(str(exc))
        except Exception:
            log.exception("/%s failed on %s channel %s", inv.name[:64], inv.platform, inv.channel_id)
            return Reply.error("Sorry, that failed on our side; the details are in the bot's log.")

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

    def parse_text(self, line: str, **context: Any) -> Invocation:
        """``"/brief taiwan 12"`` → `Invocation` (console and tests); see `parse_command_line`."""
        return parse_command_line(line, **context)

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

    # handlers

    async def _brief(self, inv: Invocation) -> Reply:
        topic = clean_text(inv.args.get("topic") or inv.args.get("text"), TOPIC_MAX, "topic") or None
        hours = parse_hours(inv.args.get("hours"))
        window = timedelta(hours=hours) if hours else self.default_since
        wait = acquire(
            [
                (self._limits.per_user, (inv.platform, inv.user_id)),
                (self._limits.per_channel, (inv.platform, inv.channel_id)),
            ]
        )
        if wait:
            return Reply.error(f"You're going fast — try again in {wait} s.")
        async with self._brief_slots:
            briefing = await asyncio.to_thread(self._make_briefing, topic, window)
        if not briefing.stories:
            return Reply.error(self._nothing_found(topic, window))
        await asyncio.to_thread(self.chat_store.save_last_briefing, inv.platform, inv.channel_id, briefing)
        return Reply.of_briefing(briefing)

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
        return f"No stories about '{_short(topic)}' {where}{hint}"

    async def _last(self, inv: Invocation) -> Briefing:
        briefing = await asyncio.to_thread(self.chat_store.last_briefing, inv.platform, inv.channel_id)
        if briefing is None or not briefing.stories:
            raise UserError("There is no briefing in this channel yet — run /brief first.")
        return briefing

    async def _story_reply(self, inv: Invocation, kind: ReplyKind, command: str) -> Reply:
        briefing = await self._last(inv)
        n = parse_story_number(inv.args.get("n"), len(briefing.stories), command)
        return Reply(kind=kind, briefing=briefing, story_index=n)

    async def _more(self, inv: Invocation) -> Reply:
        return await self._story_reply(inv, "story", "more")

    async def _sources(self, inv: Invocation) -> Reply:
        return await self._story_reply(inv, "sources", "sources")

    async def _quote(self, inv: Invocation) -> Reply:
        return await self._story_reply(inv, "quotes", "quote")

    async def _topics(self, inv: Invocation) -> Reply:
        items = tuple(ReplyItem(t.name, ", ".join(t.aliases)) for t in self.topics)
        note = (
            "Any other words work too: /brief <text>."
            if items
            else "No topics are configured; /brief <text> searches any words."
        )
        return Reply(kind="topics", items=items, text=note, ephemeral=True)

    def _require_manage(self, inv: Invocation) -> None:
        if not inv.can_manage_channel:
            who = MANAGERS.get(inv.platform, "people who can manage this channel")
            raise UserError(f"Only {who} can do that.")

    def _subscription_topic(self, raw: str | None) -> str:
        text = clean_text(raw, TOPIC_MAX, "topic")
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
        raise UserError(f"Unknown topic '{_short(text)}'{hint}")

    async def _subscribe(self, inv: Invocation) -> Reply:
        self._require_manage(inv)
        topic = self._subscription_topic(inv.args.get("topic"))
        at = parse_time(inv.args.get("time"))
        zone = parse_timezone(inv.args.get("timezone"))
        existing = await asyncio.to_thread(self.chat_store.subscriptions, inv.platform, inv.channel_id)
        if len(existing) >= MAX_SUBSCRIPTIONS_PER_CHANNEL and all(s.topic != topic for s in existing):
            raise UserError(
                f"This channel already has {MAX_SUBSCRIPTIONS_PER_CHANNEL} subscriptions; "
                "remove one with /unsubscribe first."
            )
        sub = Subscription(
            inv.platform, inv.workspace_id, inv.channel_id, topic, at, zone, inv.user_id, self.clock()
        )
        new = await asyncio.to_thread(self.chat_store.subscribe, sub)
        verb = "Subscribed" if new else "Updated"
        return Reply.ok(f"{verb}: a {topic} briefing here every day at {at} ({zone}).")

    async def _unsubscribe(self, inv: Invocation) -> Reply:
        self._require_manage(inv)
        text = clean_text(inv.args.get("topic"), TOPIC_MAX, "topic")
        if not text:
            removed = await asyncio.to_thread(self.chat_store.unsubscribe, inv.platform, inv.channel_id, None)
            if not removed:
                return Reply.ok("This channel has no subscriptions.")
            return Reply.ok(f"Removed {removed} subscription{'s' if removed != 1 else ''} from this channel.")
        configured = self.configured_topic(text)
        name = configured.name if configured else text
        removed = await asyncio.to_thread(self.chat_store.unsubscribe, inv.platform, inv.channel_id, name)
        if not removed:
            return Reply.ok(f"This channel has no subscription to '{_short(name)}'.")
        return Reply.ok(f"Unsubscribed this channel from {name}.")

    async def _subscriptions(self, inv: Invocation) -> Reply:
        subs = await asyncio.to_thread(self.chat_store.subscriptions, inv.platform, inv.channel_id)
        items = tuple(ReplyItem(s.topic, f"every day at {s.time} ({s.timezone})") for s in subs)
        who = MANAGERS.get(inv.platform, "people who can manage this channel")
        note = (
            None
            if items
            else f"This channel has no subscriptions. {who[0].upper()}{who[1:]} can add one with /subscribe."
        )
        return Reply(kind="subscriptions", items=items, text=note, ephemeral=True)

    async def _help(self, inv: Invocation) -> Reply:
        text = "\n".join(HELP_LINES).replace("{window}", format_window(self.default_since))
        return Reply(kind="help", text=text, ephemeral=True)


__all__ = [
    "COMMANDS",
    "COMMAND_SPECS",
    "ChatStore",
    "CommandCore",
    "CommandSpec",
    "Invocation",
    "OptionSpec",
    "Subscription",
    "UserError",
    "clean_text",
    "parse_command_line",
    "parse_hours",
    "parse_story_number",
    "parse_time",
    "parse_timezone",
]
