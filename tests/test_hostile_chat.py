"""Issue #7, chat input: whatever a user types into any command (mentions, markdown, control and
bidi characters, huge or odd arguments), the core answers without raising, and the answer as
Discord and Slack would show it can neither ping anyone nor carry the user's formatting.

`test_commands.py` checks each argument rule and the rate limits one by one, and
`test_render_payloads.py` checks the renderers on hostile briefings; this joins them end to end
from the typed line to the payloads, with the user's own text in the echoes (did-you-mean,
"no stories about ...", unknown-command and validation messages).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from payload_strings import strings

from bot.config.schema import LimitsConfig
from bot.core.commands import COMMANDS, LINE_MAX, CommandCore
from bot.core.protocols import FetchedArticle, FetchOutcome
from bot.core.replies import Reply
from bot.render.discord import render_discord
from bot.render.slack import render_slack
from bot.store import SqlStore, open_store
from bot.store.chat import ChatRepository
from summarizer.engines.lead import LeadSummarizer
from summarizer.model import Topic
from tests.story_index import briefing_service

NOW = datetime(2026, 11, 12, 9, 30, tzinfo=UTC)
TOPICS = [Topic("Taiwan", ("Taipei",)), Topic("Tariffs", ("trade",))]

# Formatting a user could try to smuggle into an echo; a marker word makes the check exact.
INJECTIONS = [
    "**INJ**",
    "__INJ__",
    "~~INJ~~",
    "`INJ`",
    "```INJ```",
    "||INJ||",
    "[INJ](https://evil.example)",
    "<https://evil.example|INJ>",
    "*INJ*",
    "_INJ_",
    "~INJ~",
    "# INJ",
    "> INJ",
    "-# INJ",
]
PINGS = [
    "@everyone",
    "@here",
    "@channel",
    "@EveryOne",
    "<@123>",
    "<@!123>",
    "<@&456>",
    "<#789>",
    "<!here>",
    "<!channel>",
    "<!everyone>",
    "<!subteam^S1|team>",
    "@\u200beveryone",
    "＠everyone",
]
ODD = [
    "\x00",
    "\x1b[31m",
    "\u202e",
    "\u2066",
    "\u200b",
    "\ufeff",
    "\n",
    "\r\n",
    "\t",
    "😀🇺🇦",
    "x" * 3000,
    "\ud800",
    "'",
    '"',
    "\\",
    "%s",
    "{0}",
    "${HOME}",
]
MENTION = re.compile(r"@(everyone|here|channel)\b|<[@#!&]", re.IGNORECASE)
ESCAPED = re.compile(r"\\.", re.DOTALL)  # Discord markdown: a backslash makes the next character literal
args = st.lists(
    st.one_of(
        st.sampled_from(INJECTIONS + PINGS + ODD),
        st.text(max_size=20),
        st.sampled_from(["taiwan", "tariffs", "24", "1", "07:30", "Europe/Berlin", "0", "-1"]),
    ),
    max_size=6,
).map(" ".join)
names = st.one_of(
    st.sampled_from([*COMMANDS, "quotes", "subs", "frobnicate", "BRIEF", "@everyone", ""]),
    st.text(max_size=8),
)


def check_payloads(reply: Reply, *, slack_formatting: bool = False) -> None:
    """No mention on either platform; no user formatting on Discord (and on Slack when asked:
    Slack mrkdwn has no escape for `*_~` and backticks, see the xfail below)."""
    for platform, payloads in (("discord", render_discord(reply)), ("slack", render_slack(reply))):
        assert payloads, platform
        for p in payloads:
            if platform == "discord":
                assert p["allowed_mentions"] == {"parse": []}
            for s in strings(p):
                assert not MENTION.search(s), (platform, s[:200])
                assert "\x00" not in s and "\x1b" not in s
                if platform == "discord" or slack_formatting:
                    live = ESCAPED.sub("", s) if platform == "discord" else s  # what still formats
                    for inj in INJECTIONS:
                        assert inj not in live, (platform, inj, s[:200])


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqlStore]:
    path: Path = tmp_path_factory.mktemp("chat") / "chat.db"
    s = open_store(f"sqlite:///{path}")
    text = (
        "Taiwan's coast guard shadowed a survey ship near Taipei on Monday, officials said. The ministry "
        "said the vessel left after six hours. Trade talks on tariffs continue in Geneva next week."
    )
    s.record_fetch(
        FetchOutcome(
            source_name="wire",
            status="ok",
            articles=[
                FetchedArticle(
                    url=f"https://wire.example/a/{i}",
                    title=f"Survey ship shadowed **near** Taipei <@{i}>",
                    text=f"{text} @everyone [{i}]",
                    outlet="Wire <!channel>",
                    published=NOW - timedelta(hours=i),
                )
                for i in range(3)
            ],
        )
    )
    yield s
    s.close()


@pytest.fixture(scope="module")
def core(store: SqlStore) -> CommandCore:
    service = briefing_service(LeadSummarizer(), TOPICS, store, clock=lambda: NOW)
    limits = LimitsConfig(brief_per_user=1_000_000, brief_per_channel=1_000_000)
    return CommandCore(service, ChatRepository(store.engine), TOPICS, limits, clock=lambda: NOW)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(name=names, rest=args, manage=st.booleans())
def test_any_typed_line_gives_a_reply_that_cannot_ping_or_format(
    core: CommandCore,
    name: str,
    rest: str,
    manage: bool,
) -> None:
    line = f"/{name} {rest}"
    inv = core.parse_text(line, platform="discord", channel_id="c1", user_id="u1", can_manage_channel=manage)
    reply = asyncio.run(core.handle(inv))
    assert isinstance(reply, Reply)
    if reply.kind == "error":
        assert reply.text and len(reply.text) <= 500 and reply.ephemeral
    check_payloads(reply)


def test_echoes_of_user_text_are_neutralised(core: CommandCore) -> None:
    """The messages that quote the user: unknown command, did-you-mean, nothing found, bad values."""
    lines = [
        "/frobnicate @everyone **INJ**",
        "/brief Taiwann**INJ**",
        "/brief <!channel> ||INJ||",
        "/subscribe <@123> 07:30 `INJ`",
        "/subscribe taiwan 99:99 @here",
        "/more [INJ](https://evil.example)",
        "/brief " + "@everyone " * 500,
        "/brief \u202e@everyone\u202c **INJ**",
    ]
    for line in lines:
        reply = asyncio.run(
            core.handle(
                core.parse_text(
                    line, platform="slack", channel_id="c2", user_id="u2", can_manage_channel=True
                )
            )
        )
        check_payloads(reply)


def test_slack_echoes_carry_no_user_formatting(core: CommandCore) -> None:
    reply = asyncio.run(
        core.handle(
            core.parse_text(
                "/brief Taiwann *INJ* _INJ_ ~INJ~ `INJ`", platform="slack", channel_id="c4", user_id="u4"
            )
        )
    )
    check_payloads(reply, slack_formatting=True)


def test_an_overlong_line_is_refused_before_parsing(core: CommandCore) -> None:
    line = "/brief " + "taiwan " * (LINE_MAX // 7 + 10)
    reply = asyncio.run(core.handle(core.parse_text(line, platform="discord", channel_id="c3", user_id="u3")))
    assert reply.kind == "error"
    check_payloads(reply)
