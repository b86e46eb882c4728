"""Discord and Slack payloads: within every platform limit and unable to mention anyone.

A hypothesis property test renders random hostile briefings (50 stories, 10-bullet stories,
5,000-character bullets, emoji, `@everyone`, `<@123>`, `<!here>`, markdown, odd URLs) and
checks each payload; unit tests pin the layout and the escaping.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from payload_strings import strings

from bot.core.replies import Reply, ReplyItem
from bot.render.discord import embed_size, render_discord
from bot.render.escape import escape_discord, escape_slack, fit, safe_url, truncate
from bot.render.slack import render_slack
from bot.render.text import render_reply_text
from summarizer.model import Briefing, Bullet, Quote, SourceRef, Story

T0 = datetime(2026, 11, 12, 9, 30, tzinfo=UTC)

HOSTILE = [
    "@everyone",
    "@here",
    "@channel",
    "@EVERYONE",
    "<@123>",
    "<@!123>",
    "<@&456>",
    "<#789>",
    "<!here>",
    "<!channel>",
    "<!subteam^S1>",
    "**bold**",
    "__u__",
    "~~s~~",
    "`code`",
    "```block```",
    "||spoiler||",
    "> quote",
    "# heading",
    "-# small",
    "[link](https://evil.example)",
    "<https://evil.example|click>",
    "&amp;",
    "&lt;@U1&gt;",
    "\\",
    "1. item",
    "- item",
    "😀🇺🇦",
    "Ünïcödé",
    "\n",
    "*",
    "_",
    "<",
    ">",
    "&",
    "</cmd:1>",
    "<t:1700000000>",
    "@\u200beveryone",
]
URLS = [
    "https://harbor.example/world/2026/11/a",
    "https://x.example/a_(b)?q=1&r=<@123>|x",
    "http://wire.example/@everyone",
    "javascript:alert(1)",
    "file:///tmp/a.txt",
    "",
    "ftp://x.example/f",
    "https://user@evil.example/",
    "https://x.example/" + "p" * 3000,
    "https://x.example/a b\"c'd",
]

words = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=12), st.sampled_from(["the", "navy", "talks"]))
texts = st.lists(words, max_size=12).map(" ".join)
LONG = [
    ("policy @everyone <@1> words " * 200)[:5000],
    "x" * 5000,
    (" ".join(HOSTILE) + " ") * 25,
    "🇺🇦😀 " * 1500,
]
long_texts = st.one_of(texts, st.sampled_from(LONG))


@st.composite
def briefings(draw: Any) -> Briefing:
    n_sources = draw(st.integers(0, 12))
    sources = [
        SourceRef(
            i,
            draw(long_texts),
            draw(st.sampled_from(URLS)),
            draw(texts),
            draw(st.sampled_from([None, T0])),
            draw(st.lists(texts, max_size=3)),
        )
        for i in range(1, n_sources + 1)
    ]
    ids = st.lists(st.integers(1, n_sources + 2), max_size=6)  # may cite an id that is not listed
    bullets = st.builds(Bullet, long_texts, ids)
    quotes = st.builds(Quote, long_texts, st.one_of(st.none(), texts), ids)
    stories = st.builds(
        Story,
        long_texts,
        st.lists(bullets, max_size=10),
        st.lists(quotes, max_size=4),
        ids,
        st.booleans(),
        st.lists(bullets, max_size=4),
    )
    # a few distinct stories, repeated up to 50 times: big briefings without drawing 50 of everything
    pool = draw(st.lists(stories, min_size=1, max_size=4))
    count = draw(st.sampled_from([0, 1, 2, 5, 11, 26, 50]))
    return Briefing(
        draw(st.one_of(st.none(), texts)), T0, [pool[i % len(pool)] for i in range(count)], sources
    )


MENTION = re.compile(r"@(everyone|here|channel)\b|<[@#!&]", re.IGNORECASE)


def assert_no_mentions(payload: Any) -> None:
    for s in strings(payload):
        assert not MENTION.search(s), s


def check_discord(messages: list[dict[str, Any]]) -> None:
    assert messages
    for m in messages:
        assert m["allowed_mentions"] == {"parse": []}
        assert len(m.get("content", "")) <= 2000
        assert m.get("content") or m["embeds"]
        assert len(m["embeds"]) <= 10
        assert sum(embed_size(e) for e in m["embeds"]) <= 6000
        for e in m["embeds"]:
            assert len(e.get("title", "")) <= 256
            assert len(e.get("description", "")) <= 4096
            assert len(e.get("fields", [])) <= 25
            for f in e.get("fields", []):
                assert 0 < len(f["name"]) <= 256 and 0 < len(f["value"]) <= 1024
            assert len(e.get("footer", {}).get("text", "")) <= 2048
            if "url" in e:
                assert re.match(r"https?://", e["url"]) and len(e["url"]) <= 2048
        assert len(m["components"]) <= 5
        for row in m["components"]:
            assert row["type"] == 1 and 1 <= len(row["components"]) <= 5
            for b in row["components"]:
                assert len(b["label"]) <= 80 and len(b["custom_id"]) <= 100
    assert_no_mentions(messages)


SLACK_LINK = re.compile(r"<https?://[^<>|\s]+\|[^<>]*>")


def check_slack(messages: list[dict[str, Any]]) -> None:
    assert messages
    for m in messages:
        assert 0 < len(m["text"]) <= 3000
        assert 0 < len(m["blocks"]) <= 50
        for b in m["blocks"]:
            if b["type"] == "section":
                assert 0 < len(b["text"]["text"]) <= 3000
            elif b["type"] == "header":
                assert b["text"]["type"] == "plain_text" and 0 < len(b["text"]["text"]) <= 150
            elif b["type"] == "context":
                assert 1 <= len(b["elements"]) <= 10
            elif b["type"] == "actions":
                assert [e["action_id"] for e in b["elements"]] == ["briefbot_more", "briefbot_sources"]
                assert all(len(e["text"]["text"]) <= 75 for e in b["elements"])
            else:
                assert b["type"] == "divider"
        # in mrkdwn, the only angle brackets left are our own links
        mrkdwn = [m["text"]] + [
            o["text"]
            for b in m["blocks"]
            for o in ([b["text"]] if "text" in b else []) + b.get("elements", [])
            if o.get("type") == "mrkdwn"
        ]
        for text in mrkdwn:
            bare = re.sub(r"^> ", "", SLACK_LINK.sub("", text), flags=re.MULTILINE)  # our links and quotes
            assert "<" not in bare and ">" not in bare, text
    assert_no_mentions(messages)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(briefing=briefings(), buttons=st.booleans(), note=st.one_of(st.none(), long_texts))
def test_briefing_payloads_respect_limits_and_never_mention(briefing: Briefing, buttons: bool, note) -> None:
    reply = Reply.of_briefing(briefing, note)
    discord = render_discord(reply, buttons=buttons)
    check_discord(discord)
    slack = render_slack(reply, buttons=buttons)
    check_slack(slack)
    n = len(briefing.stories)
    # every story is shown exactly once, in order, with its buttons
    story_embeds = [e for m in discord for e in m["embeds"]]
    assert len(story_embeds) == n
    ids = [b["custom_id"] for m in discord for row in m["components"] for b in row["components"]]
    expected = [x for i in range(1, n + 1) for x in (f"briefbot:more:{i}", f"briefbot:sources:{i}")]
    assert ids == (expected if buttons else [])
    values = [
        (e["action_id"], e["value"])
        for m in slack
        for b in m["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    assert values == (
        [(a, str(i)) for i in range(1, n + 1) for a in ("briefbot_more", "briefbot_sources")]
        if buttons
        else []
    )
    assert render_reply_text(reply)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(briefing=briefings(), data=st.data())
def test_story_replies_respect_limits(briefing: Briefing, data: st.DataObject) -> None:
    if not briefing.stories:
        briefing.stories.append(Story("only", [], [], []))
    n = data.draw(st.integers(1, len(briefing.stories)))
    for kind in ("story", "sources", "quotes"):
        reply = Reply(kind=kind, briefing=briefing, story_index=n)
        check_discord(render_discord(reply))
        check_slack(render_slack(reply))
        assert render_reply_text(reply)


@settings(max_examples=60, deadline=None)
@given(
    text=long_texts,
    items=st.lists(st.builds(ReplyItem, long_texts, texts), max_size=40),
    kind=st.sampled_from(["topics", "subscriptions", "help", "ok", "error"]),
)
def test_text_replies_respect_limits(text: str, items: list[ReplyItem], kind) -> None:
    reply = Reply(kind=kind, text=text, items=tuple(items))
    check_discord(render_discord(reply))
    check_slack(render_slack(reply))


# --- layout and escaping, by example ---


def briefing_fixture() -> Briefing:
    return Briefing(
        "taiwan",
        T0,
        [
            Story(
                "Patrol boats shadow survey ship",
                [Bullet("Boats followed the ship for six hours.", [1, 2])],
                [Quote("We watched every mile", "Commander Lina Hsu", [1])],
                [1, 2],
                extra_bullets=[Bullet("The ship left before dawn.", [2])],
            ),
            Story(
                "Calm urged @everyone", [Bullet("Officials asked <@123> for **calm**.", [2])], [], [2], True
            ),
        ],
        [
            SourceRef(1, "Patrol", "https://harbor.example/a", "Harbor Ledger", T0, ["private media"]),
            SourceRef(2, "Calm", "file:///corpus/b.md", "Meridian Wire"),
        ],
    )


def test_discord_briefing_layout() -> None:
    [msg] = render_discord(Reply.of_briefing(briefing_fixture()))
    assert msg["content"] == "**Briefing: taiwan — 2026-11-12 09:30 UTC**"
    first, second = msg["embeds"]
    assert first["title"] == "1\\. Patrol boats shadow survey ship"
    assert first["url"] == "https://harbor.example/a"
    assert first["description"] == (
        "• Boats followed the ship for six hours. [[1]](https://harbor.example/a) \\[2\\]"
        "\n*+1 more point: /more 1*"
    )
    assert first["fields"] == [
        {
            "name": "Quotes",
            "value": "> “We watched every mile” — Commander Lina Hsu [[1]](https://harbor.example/a)",
            "inline": False,
        }
    ]
    assert first["footer"]["text"] == "2 sources: Harbor Ledger, Meridian Wire"
    assert second["title"] == "2\\. Calm urged @\u200beveryone"
    assert second["description"] == "• Officials asked <\u200b@123\\> for \\*\\*calm\\*\\*. \\[2\\]"
    assert second["footer"]["text"] == "single source: Meridian Wire"
    assert [b["label"] for row in msg["components"] for b in row["components"]] == [
        "More · 1",
        "Sources · 1",
        "More · 2",
        "Sources · 2",
    ]


def test_discord_more_sources_quotes() -> None:
    b = briefing_fixture()
    [more] = render_discord(Reply(kind="story", briefing=b, story_index=1))
    desc = more["embeds"][0]["description"]
    assert "six hours" in desc and "left before dawn" in desc and "We watched every mile" in desc
    [src] = render_discord(Reply(kind="sources", briefing=b, story_index=1))
    assert src["embeds"][0]["description"].splitlines() == [
        "**\\[1\\] Harbor Ledger \\(private media\\)** — [Patrol](https://harbor.example/a) · 2026-11-12",
        "**\\[2\\] Meridian Wire** — Calm · undated",
    ]
    [quotes] = render_discord(Reply(kind="quotes", briefing=b, story_index=2))
    assert quotes["embeds"][0]["description"] == "No direct quotes in this story."


def test_long_briefing_splits_across_messages_at_word_boundaries() -> None:
    long_bullet = Bullet(" ".join(f"word{i}" for i in range(1500)), [1])
    stories = [Story(f"Story {i}", [long_bullet] * 4, [], [1]) for i in range(12)]
    b = Briefing(None, T0, stories, [SourceRef(1, "t", "https://a.example/", "A")])
    discord = render_discord(Reply.of_briefing(b))
    check_discord(discord)
    assert len(discord) >= 3 and "content" in discord[0] and all("content" not in m for m in discord[1:])
    desc = discord[0]["embeds"][0]["description"]
    cut = desc.split("\n")[0]
    assert "…" in cut and re.search(r"word\d+… ", cut)  # ends on a whole word
    whole_words = set(re.findall(r"word\d+", cut))
    assert all(w in long_bullet.text.split() for w in whole_words)
    more = render_discord(Reply(kind="story", briefing=b, story_index=1))
    check_discord(more)
    assert sum(len(e["description"]) for m in more for e in m["embeds"]) > 4 * 3000  # /more shows it all
    slack = render_slack(Reply.of_briefing(b))
    check_slack(slack)


def test_slack_briefing_layout() -> None:
    [msg] = render_slack(Reply.of_briefing(briefing_fixture()))
    assert msg["text"] == "Briefing: taiwan — 2026-11-12 09:30 UTC — 2 stories"
    types = [b["type"] for b in msg["blocks"]]
    assert types == [
        "header",
        "section",
        "section",
        "context",
        "actions",
        "divider",
        "section",
        "context",
        "actions",
        "divider",
    ]
    assert msg["blocks"][1]["text"]["text"] == (
        "*1. Patrol boats shadow survey ship*\n"
        "• Boats followed the ship for six hours. <https://harbor.example/a|[1]> [2]\n_+1 more: /more 1_"
    )
    assert msg["blocks"][6]["text"]["text"] == (
        "*2. Calm urged @\u200beveryone*\n• Officials asked &lt;@123&gt; for **calm**. [2]"
    )
    assert msg["blocks"][4]["elements"][0] == {
        "type": "button",
        "text": {"type": "plain_text", "text": "More · 1", "emoji": True},
        "action_id": "briefbot_more",
        "value": "1",
    }


def test_empty_briefing_and_error_replies() -> None:
    empty = Briefing("nothing", T0, [], [])
    [d] = render_discord(Reply.of_briefing(empty))
    assert d["content"].endswith("No stories found.") and d["embeds"] == []
    [s] = render_slack(Reply.of_briefing(empty))
    assert s["blocks"][-1]["text"]["text"] == "No stories found."
    err = Reply.error("No stories about '<!here> @here' in the last 24 h.")
    [d] = render_discord(err)
    assert d["content"] == "No stories about '<\u200b!here\\> @\u200bhere' in the last 24 h."
    [s] = render_slack(err)
    assert s["blocks"][0]["text"]["text"] == "No stories about '&lt;!here&gt; @\u200bhere' in the last 24 h."


def test_escape_helpers() -> None:
    assert escape_discord("a*b_c~d`e|f>g#h[i](j)\\k") == "a\\*b\\_c\\~d\\`e\\|f\\>g\\#h\\[i\\]\\(j\\)\\\\k"
    assert escape_discord("- x\n1. y") == "\\- x\n1\\. y"
    assert escape_slack("a & <b> @here") == "a &amp; &lt;b&gt; @\u200bhere"
    assert safe_url("https://x.example/a (b)|<c>") == "https://x.example/a%20%28b%29%7C%3Cc%3E"
    assert safe_url("javascript:alert(1)") is None and safe_url("https://u@x.example/") is None
    assert truncate("alpha beta gamma delta", 13) == "alpha beta…"
    assert truncate("x" * 20, 10) == "x" * 9 + "…"
    assert len(fit("& " * 100, 50, escape_slack)) <= 50
    assert fit("& " * 100, 50, escape_slack).endswith("&amp;…")


def test_text_replies() -> None:
    b = briefing_fixture()
    assert "left before dawn" in render_reply_text(Reply(kind="story", briefing=b, story_index=1))
    src = render_reply_text(Reply(kind="sources", briefing=b, story_index=1))
    assert "[1] Harbor Ledger (private media) — Patrol — 2026-11-12 — https://harbor.example/a" in src
    topics = render_reply_text(Reply(kind="topics", items=(ReplyItem("taiwan", "taipei"),), text="note"))
    assert topics == "• taiwan — taipei\nnote"


def test_a_story_with_its_own_page_links_its_title_there() -> None:
    b = briefing_fixture()
    b.stories[0].url = "https://news.example.org/story/s1abc"
    embed = render_discord(Reply.of_briefing(b))[0]["embeds"][0]
    assert embed["url"] == "https://news.example.org/story/s1abc"
    blocks = str(render_slack(Reply.of_briefing(b))[0]["blocks"])
    assert "<https://news.example.org/story/s1abc|" in blocks
    assert Briefing.from_dict(b.to_dict()).stories[0].url == "https://news.example.org/story/s1abc"
    b.stories[0].url = None  # without a public web face the title links the first source, as before
    assert (
        render_discord(Reply.of_briefing(b))[0]["embeds"][0].get("url")
        != "https://news.example.org/story/s1abc"
    )
