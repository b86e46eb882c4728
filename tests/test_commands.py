"""The platform-neutral command core: answers, validation, rate limits, permissions, did-you-mean.

The core runs on a real SQLite store holding a few articles written for this test and the `lead`
summariser, so each /brief really summarises.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config.schema import LimitsConfig
from bot.core.commands import COMMAND_SPECS, CommandCore, Invocation, parse_command_line
from bot.core.protocols import FetchedArticle, FetchOutcome
from bot.core.replies import Reply
from bot.store import open_store
from bot.store.chat import ChatRepository
from summarizer.engines.lead import LeadSummarizer
from summarizer.model import Briefing, Document, Topic
from tests.story_index import briefing_service

NOW = datetime(2026, 11, 12, 9, 0, tzinfo=UTC)
TOPICS = [
    Topic("taiwan", ("taiwan strait", "taipei")),
    Topic("ukraine", ("kyiv",)),
    Topic("trade", ("tariffs",)),
]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _articles() -> list[FetchedArticle]:
    def art(slug: str, title: str, text: str, outlet: str, hours_ago: float) -> FetchedArticle:
        return FetchedArticle(
            url=f"https://{outlet.lower().replace(' ', '')}.example/{slug}",
            title=title,
            text=text,
            outlet=outlet,
            published=NOW - timedelta(hours=hours_ago),
        )

    return [
        art(
            "strait-patrol",
            "Patrol boats shadow survey ship in the Taiwan Strait",
            "Coast guard boats from Taipei followed a foreign survey ship for six hours on Tuesday. "
            "Officials said the vessel left the strait before dawn without incident. "
            "“We watched every mile of its route,” said Commander Lina Hsu, who led the patrol.",
            "Harbor Ledger",
            3,
        ),
        art(
            "school-budget",
            "Taipei lawmakers pass a larger budget for schools",
            "Lawmakers in Taipei approved a budget that raises spending on primary schools by a tenth. "
            "The education minister said new classrooms would open in rural counties next autumn.",
            "Meridian Wire",
            5,
        ),
        art(
            "grain",
            "Kyiv and partners extend grain corridor for ninety days",
            "Negotiators in Kyiv agreed to extend the Black Sea grain corridor for another ninety days. "
            "Shipping insurers welcomed the decision and said premiums could fall by spring.",
            "Northgate Times",
            8,
        ),
        art(
            "tariffs",
            "Ministers delay steel tariffs until the new year",
            "Trade ministers postponed a planned rise in steel tariffs until January after talks ran late. "
            "Exporters said the delay gave them time to find new buyers for their orders.",
            "The Atlas Daily",
            30,
        ),
    ]


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def store(tmp_path: Path):
    store = open_store(f"sqlite:///{tmp_path / 'chat.db'}")
    store.record_fetch(FetchOutcome(source_name="test", status="ok", articles=_articles()))
    yield store
    store.close()


def make_core(store, clock: Clock, limits: LimitsConfig | None = None, summarizer=None) -> CommandCore:
    service = briefing_service(summarizer or LeadSummarizer(), TOPICS, store, clock=clock)
    return CommandCore(service, ChatRepository(store.engine), TOPICS, limits, clock=clock)


@pytest.fixture
def core(store, clock: Clock) -> CommandCore:
    return make_core(store, clock)


def run(core: CommandCore, line: str, **context) -> Reply:
    context.setdefault("platform", "discord")
    context.setdefault("channel_id", "c1")
    context.setdefault("user_id", "u1")
    return asyncio.run(core.handle(core.parse_text(line, **context)))


# --- answers ---


def test_brief_then_more_sources_quote_work_and_survive_a_restart(core, store, clock) -> None:
    reply = run(core, "/brief taiwan")
    assert reply.kind == "briefing" and not reply.ephemeral
    assert reply.briefing is not None and reply.briefing.topic == "taiwan"
    titles = [s.title for s in reply.briefing.stories]
    assert titles and all("Ta" in t for t in titles)  # only the strait stories

    restarted = make_core(store, clock)  # a new process: the last briefing comes from the database
    more = run(restarted, "/more 1")
    assert more.kind == "story" and more.story_index == 1
    assert more.story.title == titles[0]
    sources = run(restarted, "/sources 1")
    assert sources.kind == "sources" and sources.briefing is not None
    assert sources.briefing.source(sources.story.sources[0]).url.startswith("https://")
    assert run(restarted, "/quote 1").kind == "quotes"
    # the last briefing is per channel
    assert (
        run(restarted, "/more 1", channel_id="other").text
        == "There is no briefing in this channel yet — run /brief first."
    )


def test_more_shows_extra_bullets_kept_in_the_database(store, clock) -> None:
    class Capped(LeadSummarizer):
        def summarize_stories(
            self, documents: Sequence[Document], stories, topic=None, options=None
        ) -> Briefing:
            b = super().summarize_stories(documents, stories, topic, options)
            for s in b.stories:  # what the extractive engine does beyond max_bullets
                s.extra_bullets, s.bullets = s.bullets[1:], s.bullets[:1]
            return b

    core = make_core(store, clock, summarizer=Capped())
    brief = run(core, "/brief")
    story = next(s for s in brief.briefing.stories if s.extra_bullets)
    n = brief.briefing.stories.index(story) + 1
    more = make_core(store, clock).chat_store.last_briefing("discord", "c1")
    assert [b.text for b in more.stories[n - 1].extra_bullets] == [b.text for b in story.extra_bullets]


def test_brief_default_covers_all_topics_and_hours_narrow_the_window(core) -> None:
    everything = run(core, "/brief")
    assert everything.kind == "briefing" and everything.briefing.topic is None
    assert len(everything.briefing.stories) == 3  # the 30-hour-old tariff story is outside 24 h
    recent = run(core, "/brief 4")
    assert [s.title for s in recent.briefing.stories] == [
        "Patrol boats shadow survey ship in the Taiwan Strait"
    ]
    week = run(core, "/brief trade 48")
    assert week.kind == "briefing" and week.briefing.stories[0].title.startswith("Ministers delay")


def test_free_text_topic_and_alias(core) -> None:
    assert run(core, "/brief grain corridor").kind == "briefing"
    alias = run(core, "/brief kyiv")
    assert alias.kind == "briefing" and alias.briefing.topic == "ukraine"


def test_did_you_mean_for_a_misspelt_topic(core) -> None:
    reply = run(core, "/brief tawian")
    assert reply.kind == "error" and reply.ephemeral
    assert reply.text == "No stories about 'tawian' in the last 24 h — did you mean taiwan?"
    far = run(core, "/brief volcanoes")
    assert (
        far.text == "No stories about 'volcanoes' in the last 24 h — see /topics for the configured topics."
    )
    configured = run(core, "/brief trade")  # configured, but nothing in 24 h
    assert configured.text == "No stories about 'trade' in the last 24 h."


def test_topics_help_and_autocomplete(core) -> None:
    topics = run(core, "/topics")
    assert topics.kind == "topics" and [i.title for i in topics.items] == ["taiwan", "ukraine", "trade"]
    assert topics.items[0].detail == "taiwan strait, taipei"
    help_ = run(core, "/help")
    assert help_.kind == "help" and "last 24 h" in help_.text
    # one line per declared command, each starting with its usage
    assert [line.split(" — ")[0] for line in help_.text.splitlines()] == [c.usage for c in COMMAND_SPECS]
    assert "/brief [topic] [hours] [new] — " in help_.text and "/more <story> — " in help_.text
    assert "(for members with the Manage Channel permission)" in help_.text
    assert core.autocomplete_topics("tai") == ["taiwan"]
    assert core.autocomplete_topics("ta") == ["taiwan", "trade"]  # "tariffs" is an alias
    assert core.autocomplete_topics("rad") == ["trade"]  # substring after prefixes
    assert core.autocomplete_topics("KY") == ["ukraine"]  # by alias
    assert core.autocomplete_topics("") == ["taiwan", "ukraine", "trade"]
    many = CommandCore(core.service, core.chat_store, [Topic(f"t{i}") for i in range(40)])
    assert len(many.autocomplete_topics("t")) == 25


# --- validation (issue #7) ---


@pytest.mark.parametrize("hours", ["0", "169", "-3", "abc", "1.5", "99999999"])
def test_hours_must_be_1_to_168(core, hours: str) -> None:
    inv = Invocation("brief", {"hours": hours}, "u1", "c1", None, "discord")
    assert asyncio.run(core.handle(inv)).text == "Hours must be a whole number from 1 to 168."


def test_adapters_may_pass_ints_and_none(core) -> None:
    inv = Invocation("brief", {"topic": None, "hours": 4}, "u1", "c1", None, "discord")  # type: ignore[dict-item]
    reply = asyncio.run(core.handle(inv))
    assert reply.kind == "briefing" and len(reply.briefing.stories) == 1


def test_topic_length_cap_and_control_characters(core) -> None:
    long = run(core, "/brief " + "x" * 101)
    assert long.text == "That topic is too long — keep it under 100 characters."
    inv = Invocation("brief", {"topic": "vol\x00ca\u202enoes\x1b[31m"}, "u1", "c1", None, "discord")
    reply = asyncio.run(core.handle(inv))
    assert reply.kind == "error"
    assert "\x00" not in reply.text and "\u202e" not in reply.text and "\x1b" not in reply.text
    assert "'vol ca noes 31m'" in reply.text  # control and formatting characters are not echoed


def test_story_number_checks(core) -> None:
    assert run(core, "/more 1").text == "There is no briefing in this channel yet — run /brief first."
    n = len(run(core, "/brief").briefing.stories)
    assert n == 3
    for bad in ("/more 4", "/sources 0", "/quote abc", "/more 1 2"):
        assert run(core, bad).text == "Pick a story number from 1 to 3 (the last briefing has 3 stories)."
    assert run(core, "/more").text == "Which story? Use /more <n>, e.g. /more 1."
    assert run(core, "/more #2").story_index == 2


def test_unknown_command_and_empty_line(core) -> None:
    assert run(core, "/frobnicate @everyone").text == "Unknown command /frobnicate — try /help."
    assert run(core, "").text == "Commands start with / — try /help."


# --- rate limits ---


def test_rate_limits_per_user_and_per_channel(store, clock) -> None:
    limits = LimitsConfig(brief_per_user=2, brief_per_channel=3, window=timedelta(minutes=10))
    core = make_core(store, clock, limits)
    assert run(core, "/brief", user_id="a").kind == "briefing"
    clock.now += timedelta(seconds=30)
    assert run(core, "/brief", user_id="a").kind == "briefing"
    slow = run(core, "/brief", user_id="a")
    assert slow.kind == "error" and slow.text == "You're going fast — try again in 570 s."
    assert run(core, "/brief", user_id="b").kind == "briefing"  # another user: the channel allows 3
    assert run(core, "/brief", user_id="c").text == "You're going fast — try again in 570 s."
    assert run(core, "/brief", user_id="c", channel_id="c2").kind == "briefing"  # another channel
    assert run(core, "/more 1", user_id="a").kind == "story"  # only /brief is limited
    clock.now += timedelta(minutes=10)
    assert run(core, "/brief", user_id="a").kind == "briefing"


def test_invalid_briefs_do_not_use_up_the_limit(store, clock) -> None:
    core = make_core(store, clock, LimitsConfig(brief_per_user=1, brief_per_channel=5, window="10m"))
    for _ in range(3):
        assert run(core, "/brief 500").kind == "error"
    assert run(core, "/brief").kind == "briefing"


# --- subscriptions and permissions ---


def test_subscribe_stores_other_scripts_digits_as_ascii(core) -> None:
    """`/subscribe taiwan ٠٧:٣٠` (Arabic-Indic) or ０７:３０ (full-width) is 07:30, not a time the
    scheduler's cron cannot read."""
    admin = {"can_manage_channel": True, "workspace_id": "g1"}
    assert run(core, "/subscribe taiwan ٠٧:٣٠", **admin).text.endswith("at 07:30 (UTC).")
    assert run(core, "/subscribe ukraine ０８:４５", **admin).text.endswith("at 08:45 (UTC).")
    assert sorted(s.time for s in core.chat_store.subscriptions("discord", "c1")) == ["07:30", "08:45"]


def test_subscribe_needs_manage_channel(core) -> None:
    for line in ("/subscribe taiwan 07:30", "/unsubscribe taiwan", "/unsubscribe"):
        assert run(core, line).text == "Only members with the Manage Channel permission can do that."
    assert run(core, "/subscriptions").items == ()


def test_subscribe_list_update_unsubscribe(core, clock) -> None:
    admin = {"can_manage_channel": True, "workspace_id": "g1"}
    ok = run(core, "/subscribe Taipei 07:30 europe/berlin", **admin)
    assert ok.kind == "ok" and ok.ephemeral
    assert ok.text == "Subscribed: a taiwan briefing here every day at 07:30 (Europe/Berlin)."
    assert run(core, "/subscribe ukraine 7:05", **admin).text.endswith("at 07:05 (UTC).")
    again = run(core, "/subscribe taiwan 18:00 Asia/Taipei", **admin)
    assert again.text == "Updated: a taiwan briefing here every day at 18:00 (Asia/Taipei)."
    listed = run(core, "/subscriptions")
    assert [(i.title, i.detail) for i in listed.items] == [
        ("ukraine", "every day at 07:05 (UTC)"),
        ("taiwan", "every day at 18:00 (Asia/Taipei)"),
    ]
    sub = core.chat_store.subscriptions("discord", "c1")[0]
    assert sub.workspace_id == "g1" and sub.created_by == "u1" and sub.created_at == NOW
    assert run(core, "/subscriptions", channel_id="c2").items == ()
    assert run(core, "/unsubscribe taiwan strait", **admin).text == "Unsubscribed this channel from taiwan."
    assert run(core, "/unsubscribe taiwan", **admin).text == "This channel has no subscription to 'taiwan'."
    assert run(core, "/unsubscribe", **admin).text == "Removed 1 subscription from this channel."
    assert run(core, "/unsubscribe", **admin).text == "This channel has no subscriptions."


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("/subscribe taiwan 25:00", "Give the time as HH:MM in 24-hour form, e.g. 07:30."),
        ("/subscribe taiwan 7am", "Give the time as HH:MM in 24-hour form, e.g. 07:30."),
        (
            "/subscribe taiwan 07:30 Mars/Olympus_Mons",
            "Unknown time zone 'Mars/Olympus Mons' Use an IANA name such as Europe/Berlin.",
        ),
        (
            "/subscribe taiwan 07:30 Europe/Berln",
            "Unknown time zone 'Europe/Berln' — did you mean Europe/Berlin? Use an IANA name such as Europe/Berlin.",
        ),
        (
            "/subscribe taiwan 07:30 ../../etc/passwd",
            "Unknown time zone '../../etc/passwd' Use an IANA name such as Europe/Berlin.",
        ),
        ("/subscribe tawian 07:30", "Unknown topic 'tawian' — did you mean taiwan?"),
        (
            "/subscribe 07:30",
            "Usage: /subscribe <topic> <HH:MM> [timezone], e.g. /subscribe taiwan 07:30 Europe/Berlin.",
        ),
    ],
)
def test_subscribe_validation(core, line: str, message: str) -> None:
    assert run(core, line, can_manage_channel=True).text == message
    assert core.chat_store.subscriptions() == []


# --- robustness ---


def test_a_crash_becomes_one_line_and_a_logged_trace(store, clock, caplog) -> None:
    class Broken:
        name = "broken"

        def summarize(self, documents, topic=None, options=None) -> Briefing:
            raise ZeroDivisionError("engine bug")

        def summarize_stories(self, documents, stories, topic=None, options=None) -> Briefing:
            raise ZeroDivisionError("engine bug")

    core = make_core(store, clock, summarizer=Broken())
    with caplog.at_level(logging.ERROR):
        reply = run(core, "/brief")
    assert reply.kind == "error" and "\n" not in reply.text and "ZeroDivision" not in reply.text
    assert any(r.exc_info and r.exc_info[0] is ZeroDivisionError for r in caplog.records)


def test_concurrent_briefs_all_answer(core) -> None:
    async def many() -> list[Reply]:
        invs = [
            core.parse_text("/brief", platform="slack", channel_id=f"c{i}", user_id=f"u{i}") for i in range(4)
        ]
        return list(await asyncio.gather(*(core.handle(i) for i in invs)))

    assert [r.kind for r in asyncio.run(many())] == ["briefing"] * 4


def test_parse_command_line() -> None:
    inv = parse_command_line("/brief south china sea 12h", platform="slack", channel_id="C1", user_id="U1")
    assert (inv.name, dict(inv.args), inv.platform, inv.channel_id) == (
        "brief",
        {"topic": "south china sea", "hours": "12h"},
        "slack",
        "C1",
    )
    assert dict(parse_command_line('/brief "taiwan strait"').args) == {"topic": "taiwan strait"}
    assert dict(parse_command_line("/brief 6").args) == {"hours": "6"}
    assert dict(parse_command_line("/subscribe taiwan strait 07:30 America/New_York").args) == {
        "topic": "taiwan strait",
        "time": "07:30",
        "timezone": "America/New_York",
    }
    assert dict(parse_command_line("/quotes 2").args) == {"story": "2"}
    assert dict(parse_command_line("/brief taiwan strait new 12").args) == {
        "topic": "taiwan strait",
        "new": "new",
        "hours": "12",
    }
    assert dict(parse_command_line("/brief new zealand").args) == {"topic": "new zealand"}
    console = parse_command_line("/topics")
    assert (console.user_id, console.channel_id, console.platform, console.can_manage_channel) == (
        "console",
        "console",
        "console",
        False,
    )
    assert parse_command_line('/brief "unbalanced').args == {"topic": '"unbalanced'}


def test_command_specs_match_the_parser_and_platform_limits(core) -> None:
    assert [c.name for c in COMMAND_SPECS] == [
        "brief",
        "more",
        "sources",
        "quote",
        "topics",
        "subscribe",
        "unsubscribe",
        "subscriptions",
        "help",
    ]
    for spec in COMMAND_SPECS:
        assert len(spec.description) <= 100 and all(len(o.description) <= 100 for o in spec.options)
        assert re.fullmatch(r"[a-z]{1,32}", spec.name)
        # the parser fills exactly the option names the spec declares
        example = {
            "brief": "/brief taiwan 12",
            "subscribe": "/subscribe taiwan 07:30 UTC",
            "unsubscribe": "/unsubscribe taiwan",
        }.get(spec.name, f"/{spec.name} 1")
        assert set(parse_command_line(example).args) <= {o.name for o in spec.options}
        reply = run(core, example, can_manage_channel=True)
        assert not (reply.text or "").startswith("Unknown command")
    admin = {c.name for c in COMMAND_SPECS if c.needs_manage_channel}
    assert admin == {"subscribe", "unsubscribe"}


def test_handle_never_raises_on_odd_invocations(core) -> None:
    odd = Invocation("x" * 5000, {"n": "1"}, "u", "c", None, "discord")
    assert asyncio.run(core.handle(odd)).text == f"Unknown command /{'x' * 32} — try /help."
    assert asyncio.run(core.handle(Invocation("/HELP", {}, "u", "c", None, "slack"))).kind == "help"


# --- stories by their stable id; what changed (issue 13, item 6) ---


def test_more_and_sources_by_story_id_open_the_story_after_another_briefing(core, store) -> None:
    from bot.core.stories import Changes
    from bot.store.stories import StoryRepository

    taiwan = run(core, "/brief taiwan").briefing
    first, second = taiwan.stories
    assert first.id and second.id and first.phase == "new"
    run(core, "/brief ukraine")  # a day later, say: the channel's last briefing is another one
    more = run(core, f"/more {first.id}")
    assert more.kind == "story" and not more.numbered and more.story.id == first.id
    assert (more.story.title, [b.text for b in more.story.bullets]) == (
        first.title,
        [b.text for b in first.bullets],
    )
    sources = run(core, f"/sources {first.id.upper()}")
    assert sources.kind == "sources" and sources.story.id == first.id
    assert {sources.briefing.source(i).url for i in sources.story.sources} == {
        taiwan.source(i).url for i in first.sources
    }
    ukraine = core.chat_store.last_briefing("discord", "c1").stories[0]
    assert run(core, f"/more {ukraine.id}").story_index == 1 and run(core, f"/more {ukraine.id}").numbered
    # the second story is absorbed by the first: its old id opens the story it joined
    StoryRepository(store.engine).save(Changes([], {}, [], [(second.id, first.id)], {}, None))
    assert run(core, f"/quote {second.id}").story.id == first.id
    gone = run(core, "/more szzzzzzzzzz")
    assert gone.kind == "error" and gone.text.startswith("There is no story szzzzzzzzzz here any more")


def test_story_autocomplete_offers_the_last_briefing_by_id(core) -> None:
    from bot.core.commands import find_command

    story = find_command("more").option("story")
    assert asyncio.run(core.suggest(story, "", "discord", "c1")) == []
    briefing = run(core, "/brief").briefing
    offered = asyncio.run(core.suggest(story, "", "discord", "c1"))
    assert [(s.label, s.value) for s in offered] == [
        (f"{n}. {s.title} (new)", s.id) for n, s in enumerate(briefing.stories, 1)
    ]
    assert [s.value for s in asyncio.run(core.suggest(story, "kyiv", "discord", "c1"))] == [
        s.id for s in briefing.stories if "Kyiv" in s.title
    ]


def test_brief_new_shows_only_what_changed_since_this_channels_last_briefing(core, store, clock) -> None:
    first = run(core, "/brief taiwan new")
    assert first.kind == "briefing" and len(first.briefing.stories) == 2
    assert first.text == "This channel has had no briefing about taiwan yet, so all of it is new."
    again = run(core, "/brief Taipei new")  # an alias of the same topic
    assert (again.kind, again.text) == (
        "ok",
        "Nothing new about taiwan since this channel's last briefing about taiwan.",
    )
    assert run(core, "/brief taiwan new", channel_id="c2").kind == "briefing"  # each channel has its own
    clock.now += timedelta(hours=5)
    drills = FetchedArticle(
        url="https://harborledger.example/kinmen-drills",
        title="Taiwan army holds live-fire drills on Kinmen",
        text="Taiwan's army fired artillery on Kinmen island for two hours on Wednesday in its yearly "
        "Han Kuang exercise. The defence ministry in Taipei said 1,200 soldiers took part.",
        outlet="Harbor Ledger",
        published=clock.now - timedelta(hours=1),
    )
    store.record_fetch(FetchOutcome(source_name="test", status="ok", articles=[drills]))
    changed = run(core, "/brief taiwan new")
    assert changed.kind == "briefing", changed.text
    assert [s.title for s in changed.briefing.stories] == [drills.title]
    assert changed.text == "What changed since this channel's last briefing about taiwan: 1 new story."
    assert run(core, "/more 1").story.title == drills.title  # the numbers are those of what was shown
    full = run(core, "/brief taiwan")  # the whole briefing is still there without `new`
    assert len(full.briefing.stories) == 3 and full.text is None
