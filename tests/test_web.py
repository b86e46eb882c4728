"""The web face, served for real on loopback over a store filled from the demo corpus.

One store and one server for the module: the demo's five outlets are polled (`App.poll`, which
stores the articles and tracks their stories), two configured deliveries are composed and posted
by the real delivery service (file sinks), and a few runs and a source that keeps failing are
recorded through the stores' own methods. One more folder holds an article whose title, outlet,
label and link carry markup and script, to show it is only ever text. Pages are checked for their
content, parsed with html5lib in strict mode, the feeds with feedparser, and three pages are opened
in a real headless Chromium.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
import html5lib
import httpx
import pytest
import yaml
from sqlalchemy import insert

from bot.app import App
from bot.config import ConfigError, load_config
from bot.config.loader import load_config_text
from bot.core.protocols import FetchOutcome
from bot.net import HardenedServer, ServerLimits
from bot.render.atom import entry_id
from bot.scheduling.runner import Runner, RunOptions
from bot.store.chat import briefing_to_json
from bot.store.stories import StoryAliasRow

REPO = Path(__file__).resolve().parents[1]
TOKEN = "correct-horse-battery-staple-42"
SECRET = "Zq7-feed-key-9Xv2"
HOSTILE_TITLE = 'Typhoon <script>alert("t")</script> shuts Kaohsiung port <img src=x onerror=alert(1)>'
HOSTILE_OUTLET = 'Evil <b onmouseover="alert(2)">Gazette</b>'
HOSTILE_LABEL = "<svg onload=alert(3)>"
HOSTILE_BODY = (
    "Typhoon Kong-rey forced Taiwan to close the port of Kaohsiung on Thursday, halting container "
    "traffic at the island's largest harbour for the first time this year. Taiwan's Central Weather "
    "Administration said winds near the eye reached 180 km/h as the storm crossed the Bashi Channel. "
    '"We will reopen the terminals only when the cranes are safe," said Chen Wei-ting, the director '
    "of the Kaohsiung Port Authority. <script>document.title='pwned'</script> Some 14 ships waited "
    "offshore, the authority said."
)
BROWSER_ENV = "BRIEFBOT_REQUIRE_BROWSER"
SVG = "{http://www.w3.org/2000/svg}"

pytestmark = pytest.mark.slow


@dataclass
class Site:
    app: App
    base: str
    tmp: Path
    face: Any
    when: datetime

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return httpx.get(self.base + path, timeout=60, follow_redirects=False, **kw)

    def html(self, path: str, **kw: Any) -> tuple[httpx.Response, Any]:
        r = self.get(path, **kw)
        return r, parse_strict(r.content)


def parse_strict(body: bytes) -> Any:
    """html5lib in strict mode raises at the first parse error (unclosed tags, bad nesting, stray text)."""
    return html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(body)


def text_of(node: Any) -> str:
    return " ".join("".join(node.itertext()).split())


def write_config(tmp: Path) -> Path:
    demo = yaml.safe_load((REPO / "config" / "demo.yaml").read_text(encoding="utf-8"))
    for s in demo["sources"]:
        s["path"] = str((REPO / "config" / s["path"]).resolve())
    hostile = tmp / "hostile"
    hostile.mkdir()
    (hostile / "typhoon.txt").write_text(
        "---\n"
        f"title: '{HOSTILE_TITLE}'\n"
        f"outlet: '{HOSTILE_OUTLET}'\n"
        "url: javascript:alert(4)\n"
        "published: 2026-11-19T06:00:00Z\n"
        "---\n"
        f"{HOSTILE_BODY}\n",
        encoding="utf-8",
    )
    demo["sources"] += [
        {"name": "hostile", "path": str(hostile), "labels": [HOSTILE_LABEL]},
        {"name": "keyed-feed", "url": "http://127.0.0.1:9/feed.xml?key=${FEED_KEY}", "outlet": "Keyed"},
    ]
    demo["storage"] = {"url": "sqlite:///store.db", "retention": "3650d"}
    demo["deliveries"] = [
        {
            "name": "morning",
            "platform": "file",
            "path": "morning.jsonl",
            "topics": ["taiwan"],
            "since": "3650d",
        },
        {"name": "all-news", "platform": "file", "path": "all.jsonl", "cron": "0 8 * * *", "since": "3650d"},
    ]
    demo["web"] = {"admin_token": "${WEB_ADMIN_TOKEN}", "title": "Harbour News"}
    path = tmp / "briefbot.yaml"
    path.write_text(yaml.safe_dump(demo, sort_keys=False), encoding="utf-8")
    return path


async def deliver(app: App, name: str, when: datetime) -> None:
    """One scheduled run of a configured delivery, composed and posted by the real delivery service."""
    plan = (await app.plans())[name]
    assert await app.deliveries.compose(plan, when)
    outcome = await app.deliveries.post(plan, when)
    assert outcome.result == "posted", outcome


def record_history(app: App, when: datetime) -> None:
    """Runs the admin page lists (a failure that quotes the secret, one waiting to retry) and a chat
    subscription's post, which must stay off the public archive; a feed that keeps failing."""
    runs = app.runs
    earlier = when - timedelta(hours=6)
    runs.create("all-news", earlier, earlier)
    runs.move("all-news", earlier, "failed", earlier, expect=("queued",), tried=True,
              error=f"PostError: upload refused for ?key={SECRET}")  # fmt: skip
    later = when - timedelta(minutes=30)
    runs.create("morning", later, later)
    runs.move("morning", later, "retry", later, expect=("queued",), tried=True,
              next_try=when + timedelta(minutes=10), error="timeout talking to the file system")  # fmt: skip
    sub = "sub:discord:424242:taiwan"
    briefing = runs.records(delivery="morning", posted_only=True, with_briefing=True)[0].briefing
    assert briefing is not None
    runs.create(sub, when, when)
    runs.move(sub, when, "posted", when, expect=("queued",), briefing_json=briefing_to_json(briefing),
              posted_at=when, platform="discord")  # fmt: skip
    for _ in range(app.config.run.stale_after):
        app.store.record_fetch(
            FetchOutcome(
                "keyed-feed",
                "failed",
                error=f"GET http://127.0.0.1:9/feed.xml?key={SECRET}: connection refused",
            )
        )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("web")
    env = {**os.environ, "WEB_ADMIN_TOKEN": TOKEN, "FEED_KEY": SECRET}
    app = App(load_config(write_config(tmp), env=env))
    results = asyncio.run(app.poll(app.local_sources()))
    assert sum(r.stored.new for r in results if r.stored) >= 19
    when = datetime.now(UTC).replace(second=0, microsecond=0)
    asyncio.run(deliver(app, "morning", when))
    asyncio.run(deliver(app, "all-news", when))
    record_history(app, when)
    face = app.web_face(port=0)
    host, port = asyncio.run(face.start())
    try:
        yield Site(app, f"http://{host}:{port}", tmp, face, when)
    finally:
        asyncio.run(face.close())
        app.store.close()


def story_links(tree: Any) -> dict[str, str]:
    """Story id -> the link text of every link to a story page."""
    found = {}
    for a in tree.iter("a"):
        m = re.fullmatch(r"/story/([A-Za-z0-9_-]+)", a.get("href", ""))
        if m:
            found[m.group(1)] = text_of(a)
    return found


def headings(tree: Any) -> list[int]:
    return [
        int(el.tag[1]) for el in tree.iter() if isinstance(el.tag, str) and re.fullmatch(r"h[1-6]", el.tag)
    ]


def assert_page_rules(r: httpx.Response, tree: Any) -> None:
    """What every page must hold: the security headers, no script, no inline style, headings in order
    starting at one h1, no secret."""
    assert r.headers["content-security-policy"].startswith("default-src 'none'")
    assert "script-src" not in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert not list(tree.iter("script"))
    for el in tree.iter():
        if isinstance(el.tag, str):
            assert "style" not in el.attrib, (el.tag, el.attrib)
            assert not [k for k in el.attrib if k.lower().startswith("on")], (el.tag, el.attrib)
            href = el.get("href", "")
            assert not href.lower().startswith(("javascript:", "data:")), href
    levels = headings(tree)
    assert levels.count(1) == 1 and levels[0] == 1, levels
    for a, b in itertools.pairwise(levels):
        assert b <= a + 1, f"heading level jumps from h{a} to h{b}: {levels}"
    assert SECRET not in r.text and TOKEN not in r.text
    assert tree.get("lang") == "en"
    assert tree.find(".//meta[@name='viewport']") is not None


# -- the pages ---------------------------------------------------------------------------------------


def test_front_page_shows_todays_briefing_of_every_topic(site: Site) -> None:
    r, tree = site.html("/")
    assert r.status_code == 200 and r.headers["content-type"] == "text/html; charset=utf-8"
    assert_page_rules(r, tree)
    sections = {s.get("id"): s for s in tree.iter("section") if s.get("class") == "topic"}
    assert sorted(sections) == sorted(f"topic-{t.name}" for t in site.app.topics)
    taiwan = sections["topic-taiwan"]
    titles = story_links(taiwan)
    assert any("Chinese" in t and ("warship" in t or "destroyer" in t) for t in titles.values()), titles
    # the briefing is the chat's: the same stories, titles and citations as /brief taiwan
    from bot.core.briefing import BriefRequest

    chat = site.app.briefing_service().brief(BriefRequest("taiwan", site.app.config.summarizer.since))
    assert list(titles) == [s.id for s in chat.stories]
    assert list(titles.values()) == [s.title for s in chat.stories]
    first = chat.stories[0]
    assert first.outlet_count == 5
    text = text_of(taiwan)
    for bullet in first.bullets:
        assert " ".join(bullet.text.split()) in text
    sources = taiwan.find(".//section[@class='sources']")
    numbers = [int(li.get("value")) for li in sources.iter("li")]
    assert numbers == [s.id for s in chat.sources]
    cites = {a.get("href") for a in taiwan.iter("a") if a.get("href", "").startswith("#t-taiwan-src-")}
    assert cites and cites <= {f"#{li.get('id')}" for li in sources.iter("li")}
    # feed autodiscovery for every topic, and the stylesheet from the server itself
    alternates = [link.get("href") for link in tree.iter("link") if link.get("rel") == "alternate"]
    assert "/feeds/taiwan.atom" in alternates
    css = site.get("/static/style.css")
    assert css.status_code == 200 and "prefers-color-scheme: dark" in css.text


def test_story_page_has_bullets_quotes_outlets_and_timeline(site: Site) -> None:
    _, front = site.html("/")
    story_id = next(iter(story_links(front.find(".//section[@id='topic-taiwan']"))))
    r, tree = site.html(f"/story/{story_id}")
    assert r.status_code == 200
    assert_page_rules(r, tree)
    h1 = text_of(tree.find(".//h1"))
    assert "Chinese" in h1
    assert [text_of(h) for h in tree.iter("h2")] == [
        "What the reports say",
        "Quotes",
        "Outlets",
        "Timeline",
        "Sources",
    ]
    # bullets, each citing sources listed on the page
    source_ids = {li.get("id") for li in tree.find(".//section[@class='sources']").iter("li")}
    bullets = list(tree.find(".//ul[@class='bullets']").iter("li"))
    assert len(bullets) >= 4
    for li in bullets:
        refs = [a.get("href") for a in li.iter("a")]
        assert refs and {h.lstrip("#") for h in refs} <= source_ids
    # quotes with their speaker and a link to an outlet that printed them
    quotes = list(tree.iter("figure"))
    assert quotes
    speakers = [
        text_of(q.find(".//span[@class='speaker']"))
        for q in quotes
        if q.find(".//span[@class='speaker']") is not None
    ]
    assert "Lin Shu-fen" in speakers
    assert all(any(a.get("href", "").startswith("https://") for a in q.iter("a")) for q in quotes)
    # every outlet, with its label from the config
    outlets = text_of(tree.find(".//ul[@class='outlets']"))
    for outlet, label in [
        ("Meridian Wire", "Wire Service"),
        ("Harbor Ledger", "Private Media"),
        ("Northgate Times", "Private Media"),
        ("Koraline Public Radio", "Public Broadcaster"),
        ("The Atlas Daily", "State Funded Media"),
    ]:
        assert f"{outlet} {label}" in outlets
    # the dated timeline: which outlet reported what, oldest first
    items = list(tree.find(".//ol[@class='timeline']").findall("li"))
    assert len(items) == 5
    dates = [li.find(".//time").get("datetime") for li in items]
    assert dates == sorted(dates) and dates[0].startswith("2026-11-16")
    reports = site.app.stories.repo.reports([story_id])[story_id]
    assert {r.title for r in reports if r.title} <= {text_of(li.find(".//p[@class='what']")) for li in items}


def test_story_ids_stay_valid_after_a_merge_and_unknown_ones_are_404(site: Site) -> None:
    _, front = site.html("/")
    story_id = next(iter(story_links(front)))
    with site.app.store.engine.begin() as conn:  # what a merge leaves behind: the old id as an alias
        conn.execute(
            insert(StoryAliasRow).values(alias="sm3rg3d0ld1", story_id=story_id, merged_at=site.when)
        )
    r = site.get("/story/sm3rg3d0ld1")
    assert r.status_code == 301 and r.headers["location"] == f"/story/{story_id}"
    for missing in ("/story/snothere0000", "/story/" + "x" * 40, "/story/%3Cscript%3E"):
        r, tree = site.html(missing)
        assert r.status_code == 404, missing
        assert_page_rules(r, tree)
        assert "<script" not in r.text


def test_archive_lists_what_was_posted_per_delivery_and_topic(site: Site) -> None:
    day = site.when.date().isoformat()
    r, tree = site.html("/archive/")
    assert r.status_code == 200
    assert_page_rules(r, tree)
    links = {a.get("href"): text_of(a) for a in tree.iter("a")}
    assert f"/archive/{day}" in links
    r, tree = site.html(f"/archive/{day}")
    assert r.status_code == 200
    assert_page_rules(r, tree)
    sections = [s for s in tree.iter("section") if s.get("class") == "delivery"]
    heads = [text_of(s.find("h2")) for s in sections]
    assert len(heads) == 2, heads  # morning and all-news; the chat subscription's post is not public
    assert any(h.startswith("morning: taiwan") for h in heads), heads
    assert any(h.startswith("all-news") for h in heads), heads
    assert "424242" not in r.text and "sub:" not in r.text
    posted = site.app.runs.records(delivery="morning", posted_only=True, with_briefing=True)[0].briefing
    assert posted is not None
    morning = next(s for s in sections if text_of(s.find("h2")).startswith("morning"))
    assert posted.stories and all(s.id for s in posted.stories)
    assert story_links(morning) == {s.id: s.title for s in posted.stories}  # each title opens its story page
    for bad in ("/archive/2026-13-01", "/archive/yesterday", "/archive/1999-01-01"):
        assert site.get(bad).status_code == 404, bad


def test_atom_feeds_parse_without_bozo_and_keep_their_ids(site: Site) -> None:
    r = site.get("/feeds/taiwan.atom")
    assert r.status_code == 200 and r.headers["content-type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(r.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == "Harbour News: taiwan"
    _, front = site.html("/")
    ids = list(story_links(front.find(".//section[@id='topic-taiwan']")))
    assert [e.id for e in feed.entries] == [entry_id("story", i) for i in ids]
    top = feed.entries[0]
    assert top.link == f"{site.base}/story/{ids[0]}"
    assert "Lin Shu-fen" in top.content[0].value and "<blockquote>" in top.content[0].value
    assert all(e.get("updated_parsed") for e in feed.entries)
    # the same feed read again: nothing changed, so a reader's conditional GET gets 304
    again = site.get("/feeds/taiwan.atom", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304
    assert feedparser.parse(site.get("/feeds/taiwan.atom").content).entries[0].id == top.id

    r = site.get("/feeds/delivery/morning.atom")
    delivery = feedparser.parse(r.content)
    assert r.status_code == 200 and not delivery.bozo, delivery.get("bozo_exception")
    assert len(delivery.entries) == 1
    entry = delivery.entries[0]
    assert entry.id == entry_id("delivery", "morning", site.when.isoformat())
    assert entry.link.startswith(f"{site.base}/archive/{site.when.date().isoformat()}#morning-")
    posted = site.app.runs.records(delivery="morning", posted_only=True, with_briefing=True)[0].briefing
    assert posted is not None and posted.stories[0].title in entry.content[0].value
    assert site.get("/feeds/delivery/sub:discord:424242:taiwan.atom").status_code == 404
    assert site.get("/feeds/nowhere.atom").status_code == 404
    # the feeds page lists them all
    _, feeds = site.html("/feeds/")
    hrefs = {a.get("href") for a in feeds.iter("a")}
    assert {"/feeds/taiwan.atom", "/feeds/delivery/morning.atom", "/feeds/delivery/all-news.atom"} <= hrefs


def test_markup_in_an_article_is_only_ever_text(site: Site) -> None:
    """The hostile article's title, outlet, label, link and body reach every page and feed as text."""
    story = next(
        s for s in site.app.stories.repo.active(datetime(2000, 1, 1, tzinfo=UTC)) if "Typhoon" in s.title
    )
    pages = {
        "/": site.get("/"),
        f"/story/{story.id}": site.get(f"/story/{story.id}"),
        "/admin/sources": site.get("/admin/sources", headers={"Authorization": f"Bearer {TOKEN}"}),
    }
    seen = 0
    for path, r in pages.items():
        assert r.status_code == 200, path
        tree = parse_strict(r.content)
        assert_page_rules(r, tree)
        raw = r.text.lower()
        assert "<script" not in raw and "<img" not in raw and "<svg onload" not in raw, path
        for el in tree.iter():
            assert not (isinstance(el.tag, str) and el.tag in ("script", "img", "b")), (path, el.tag)
        shown = text_of(tree)
        seen += HOSTILE_TITLE in shown
        if path.startswith("/story/"):
            assert HOSTILE_TITLE in shown and HOSTILE_OUTLET in shown and HOSTILE_LABEL in shown
            assert "javascript:" not in raw
            assert "Chen Wei-ting" in shown
    assert seen >= 2  # the front page (taiwan) and its story page show the title, as text
    feed = site.get("/feeds/taiwan.atom")
    parsed = feedparser.parse(feed.content)
    assert not parsed.bozo
    entry = next(e for e in parsed.entries if "Typhoon" in e.title)
    assert entry.title == HOSTILE_TITLE  # the title element is text: feedparser gives it back as written
    assert "<script" not in feed.text and "javascript:" not in feed.text
    html = entry.content[0].value  # the entry's HTML, as a reader would display it
    assert "<script" not in html and "&lt;script&gt;" in html


def test_admin_page_needs_the_token(site: Site) -> None:
    r = site.get("/admin/sources")
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Basic ")
    assert r.headers["cache-control"] == "no-store"
    assert "keyed-feed" not in r.text
    wrong = base64.b64encode(f"admin:{TOKEN[:-1]}x".encode()).decode()
    for header in (f"Basic {wrong}", f"Bearer {TOKEN}0", "Bearer", f"Token {TOKEN}", "Basic !!!"):
        r = site.get("/admin/sources", headers={"Authorization": header})
        assert r.status_code == 401, header
        assert "keyed-feed" not in r.text
    basic = base64.b64encode(f"anyone:{TOKEN}".encode()).decode()
    assert site.get("/admin/sources", headers={"Authorization": f"Basic {basic}"}).status_code == 200


def test_admin_page_shows_each_sources_health_and_the_delivery_history(site: Site) -> None:
    r, tree = site.html("/admin/sources", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    assert_page_rules(r, tree)
    rows = {text_of(tr.find("th/span")): tr for tr in tree.find(".//table[@class='health']/tbody").iter("tr")}
    assert set(rows) == {s.name for s in site.app.config.sources}
    keyed = rows["keyed-feed"]
    cells = {td.get("data-label"): text_of(td) for td in keyed.iter("td")}
    assert cells["State"] == "stale" and cells["Failures in a row"] == "5"
    assert "connection refused" in cells["Last error"] and "key=***" in cells["Last error"]
    assert SECRET not in r.text
    meridian = {td.get("data-label"): td for td in rows["meridian-wire"].iter("td")}
    assert text_of(meridian["State"]) == "ok" and text_of(meridian["Articles"]) == "4"
    bars = list(meridian["Per day"].iter(SVG + "rect"))
    assert len(bars) == 14
    assert text_of(bars[-1]) == f"{site.when.date().isoformat()}: 4"  # stored today, by the fetch log
    assert "4 in all" in meridian["Per day"].find(SVG + "svg").get("aria-label")
    runs = [
        {td.get("data-label"): text_of(td) for td in tr.iter("td")} | {"Delivery": text_of(tr.find("th"))}
        for tr in tree.find(".//table[@class='runs']/tbody").iter("tr")
    ]
    results = {(run["Delivery"], run["Result"]) for run in runs}
    assert {
        ("morning", "posted"),
        ("all-news", "posted"),
        ("all-news", "failed"),
        ("morning", "retrying"),
    } <= results
    assert ("sub:discord:424242:taiwan", "posted") in results  # the admin sees chat subscriptions too
    failed = next(run for run in runs if run["Result"] == "failed")
    assert "key=***" in failed["Detail"]


def test_the_web_face_is_a_hardened_server_bound_to_loopback(site: Site) -> None:
    assert isinstance(site.face.server, HardenedServer)
    assert site.face.server.limits == ServerLimits()  # the header/idle timeouts and caps of every server
    assert site.base.startswith("http://127.0.0.1:")
    assert site.get("/", headers={"Host": "evil.example"}).status_code == 200
    r = httpx.post(site.base + "/", timeout=10)
    assert r.status_code == 405 and "content-security-policy" in r.headers


def test_wrong_tokens_are_throttled_per_client_and_compared_whole() -> None:
    from bot.adapters.web.auth import MAX_FAILURES, AdminAuth, presented_token

    assert presented_token("Basic " + base64.b64encode(b"me:pa:ss").decode()) == "pa:ss"
    assert presented_token("bearer  abc ") == "abc" and presented_token("Digest x") is None
    auth = AdminAuth(TOKEN)
    assert not auth.check(f"Bearer {TOKEN[:-1]}", "10.0.0.1")  # a prefix is not the token
    assert not auth.check(f"Bearer {TOKEN}{TOKEN}", "10.0.0.1")
    for _ in range(MAX_FAILURES - 2):
        assert not auth.check("Bearer guess", "10.0.0.1")
    assert auth.throttled("10.0.0.1") and not auth.throttled("10.0.0.2")
    assert auth.check(f"Bearer {TOKEN}", "10.0.0.2")
    assert not AdminAuth(None).check(f"Bearer {TOKEN}", "10.0.0.3")  # no token configured: always refused


def test_page_cache_composes_once_and_keeps_what_a_cancelled_request_started() -> None:
    import threading
    import time as clock

    from bot.adapters.web.server import PageCache

    calls: list[int] = []
    gate = threading.Event()

    def compose() -> int:
        gate.wait(5)
        calls.append(1)
        return len(calls)

    async def main() -> tuple[list[int], int]:
        cache = PageCache(ttl=60)
        impatient = asyncio.create_task(cache.get("front", compose))
        await asyncio.sleep(0.05)
        impatient.cancel()  # the request timed out; the composition goes on
        waiting = [asyncio.create_task(cache.get("front", compose)) for _ in range(3)]
        await asyncio.sleep(0.05)
        gate.set()
        got = await asyncio.gather(*waiting)
        clock.sleep(0.01)
        return got, await cache.get("front", compose)

    got, later = asyncio.run(main())
    assert got == [1, 1, 1] and later == 1 and calls == [1]


# -- a real browser ----------------------------------------------------------------------------------


def test_pages_render_in_headless_chromium(site: Site, tmp_path: Path) -> None:
    """Debian's chromium (no browser is downloaded): three pages at 360 px, a screenshot of each, no
    console error, CSP violation or failed load, nothing wider than the screen, dark mode followed."""
    from browser import Chromium, find_chromium

    executable = find_chromium()
    if executable is None:
        if os.environ.get(BROWSER_ENV):
            pytest.fail(f"{BROWSER_ENV} is set but no chromium is installed (apt-get install chromium)")
        pytest.skip("no chromium on this machine (apt-get install chromium; .ci/run installs it)")
    _, front = site.html("/")
    story_id = next(iter(story_links(front)))
    auth = {"Authorization": "Basic " + base64.b64encode(f"admin:{TOKEN}".encode()).decode()}
    pages = [
        ("front", "/", {}, False),
        ("story", f"/story/{story_id}", {}, True),
        ("admin", "/admin/sources", auth, False),
    ]

    async def visit_all() -> list[Any]:
        async with Chromium(executable) as browser:
            return [
                await browser.visit(site.base + path, headers=headers, width=360, dark=dark)
                for _name, path, headers, dark in pages
            ]

    visits = asyncio.run(visit_all())
    for (name, path, _headers, dark), v in zip(pages, visits, strict=True):
        shot = tmp_path / f"{name}.png"
        shot.write_bytes(v.screenshot)
        print(f"{path}: {shot} ({len(v.screenshot):,} bytes, {v.facts['height']} px tall)")
        assert v.status == 200, (path, v.status)
        assert v.problems == [], (path, v.problems)
        assert v.screenshot.startswith(b"\x89PNG") and len(v.screenshot) > 20_000, path
        facts = v.facts
        assert len(facts["text"]) > 500 and facts["h1"], (path, facts["text"][:200])  # not a blank page
        assert facts["stylesheets"] == 1 and facts["scripts"] == 0
        assert facts["scrollWidth"] <= 360, (path, facts["scrollWidth"])  # readable at 360 px
        dark_bg = facts["background"] in ("rgb(21, 24, 28)",)
        assert dark_bg == dark, (path, facts["background"])
    assert "Lin Shu-fen" in visits[1].facts["text"]
    assert "keyed-feed" in visits[2].facts["text"] and "stale" in visits[2].facts["text"]


# -- the commands that serve it ----------------------------------------------------------------------


def test_run_with_web_port_serves_the_pages(tmp_path: Path) -> None:
    config = tmp_path / "briefbot.yaml"
    config.write_text("storage: {url: 'sqlite:///run.db'}\nsummarizer: {engine: lead}\n", encoding="utf-8")
    runner = Runner(App(load_config(config)), RunOptions(web_port=0))

    async def main() -> list[httpx.Response]:
        await runner.start()
        try:
            assert runner.web_address is not None
            host, port = runner.web_address
            async with httpx.AsyncClient(base_url=f"http://{host}:{port}", timeout=60) as client:
                return [await client.get("/archive/"), await client.get("/admin/sources")]
        finally:
            await runner.stop()

    archive, admin = asyncio.run(main())
    assert archive.status_code == 200 and "Nothing has been posted yet" in archive.text
    assert admin.status_code == 404 and "admin_token" in admin.text  # off without a token


@pytest.mark.timeout(120)
def test_briefbot_web_serves_until_sigterm(site: Site) -> None:
    env = {**os.environ, "WEB_ADMIN_TOKEN": TOKEN, "FEED_KEY": SECRET}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "-c", str(site.tmp / "briefbot.yaml"), "web", "--port", "0"],
        cwd=site.tmp,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert m, line
        assert "admin page on" in line
        r = httpx.get(f"http://127.0.0.1:{m.group(1)}/feeds/", timeout=30)
        assert r.status_code == 200 and "/feeds/delivery/morning.atom" in r.text
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "briefbot web stopped" in err and SECRET not in err and TOKEN not in err


# -- configuration -----------------------------------------------------------------------------------


def test_web_config_defaults_and_mistakes(tmp_path: Path) -> None:
    path = tmp_path / "briefbot.yaml"
    loaded = load_config_text("{}", path)
    web = loaded.config.web
    assert (web.host, web.port, web.admin_token, web.public_url) == (None, None, None, None)
    ok = load_config_text(
        "web: {port: 8081, public_url: 'https://news.example.org/', admin_token: '${T}'}",
        path,
        env={"T": TOKEN},
    )
    assert ok.config.web.public_url == "https://news.example.org" and TOKEN in ok.secrets
    for text, env, key, expected in [
        (
            "web:\n  admin_token: literal-token-in-the-file\n",
            {},
            "admin_token",
            "secrets must not be written",
        ),
        ("web:\n  admin_token: ${T}\n", {"T": "short-token"}, "admin_token", "at least 16 characters"),
        ("web:\n  public_url: ftp://x.example\n", {}, "public_url", "http:// or https://"),
        ("web:\n  public_url: https://${U}@x.example\n", {"U": "someone"}, "public_url", "no user name"),
        ("web:\n  port: 70000\n", {}, "port", "65535"),
    ]:
        with pytest.raises(ConfigError) as err:
            load_config_text(text, path, env=env)
        message = str(err.value)
        assert message.startswith(f"{path}:2: web.{key}: ") and expected in message, message
        assert "literal-token-in-the-file" not in message and "short-token" not in message
