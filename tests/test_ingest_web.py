"""`url:` sources end to end against the hostile server: feeds, pages, full text and link safety."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import httpcore
import pytest
from hostile_server import (
    HostileServer,
    article_page,
    entity_bomb_feed,
    json_feed,
    make_items,
    private_links_feed,
    rss_feed,
)

from bot.config.schema import HttpConfig, SourceConfig
from bot.core.protocols import FetchOutcome, SourceState
from bot.ingest.http import HttpClient
from bot.ingest.web import WebSource


@pytest.fixture
def srv() -> Iterator[HostileServer]:
    with HostileServer() as server:
        yield server


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    seen: list[tuple[str, int]] = []
    original = httpcore.AnyIOBackend.connect_tcp

    async def spy(self: Any, host: str, port: int, *args: Any, **kw: Any) -> Any:
        seen.append((host, port))
        return await original(self, host, port, *args, **kw)

    monkeypatch.setattr(httpcore.AnyIOBackend, "connect_tcp", spy)
    return seen


def source(url: str, *, http: HttpConfig | None = None, **kw: Any) -> WebSource:
    http = http or HttpConfig(timeout=2, per_host_delay=0, retries=0, max_bytes="2MB")
    return WebSource(SourceConfig(name=kw.pop("name", "web"), url=url, **kw), HttpClient(http), http)


def fetch(src: WebSource, state: SourceState | None = None) -> FetchOutcome:
    return asyncio.run(src.fetch(state or SourceState(src.name)))


def paragraphs(topic: str, n: int = 5) -> list[str]:
    return [
        f"Paragraph {j} on {topic}: the harbour council voted on the pier budget, and officials said the "
        f"work would start in spring after a long consultation with residents."
        for j in range(n)
    ]


def test_feed_then_not_modified(srv: HostileServer) -> None:
    srv.static("/feed", rss_feed(make_items(4, srv.url("/a")), "Harbour Herald"), etag='"v1"')
    src = source(srv.url("/feed"), labels=["Private Media"])
    first = fetch(src)
    assert first.status == "ok" and first.error is None
    assert len(first.articles) == 4 and first.items_seen == 4 and first.etag == '"v1"'
    a = first.articles[0]
    assert (a.outlet, a.labels, a.source_name, a.url) == (
        "Harbour Herald",
        ["Private Media"],
        "web",
        srv.url("/a/0"),
    )
    second = fetch(src, SourceState("web", etag=first.etag))
    assert second.status == "not_modified" and second.articles == []
    assert srv.requests("/feed")[1].headers["If-None-Match"] == '"v1"'


def test_configured_outlet_wins_and_host_is_the_last_resort(srv: HostileServer) -> None:
    srv.static("/feed", rss_feed(make_items(1, srv.url("/a")), ""))
    assert fetch(source(srv.url("/feed"), outlet="The Ledger")).articles[0].outlet == "The Ledger"
    assert fetch(source(srv.url("/feed"))).articles[0].outlet == "127.0.0.1"


def test_json_feed_over_http(srv: HostileServer) -> None:
    srv.static("/feed.json", json_feed(make_items(2, srv.url("/j")), "JSON Wire"), "application/feed+json")
    out = fetch(source(srv.url("/feed.json")))
    assert out.status == "ok" and [a.outlet for a in out.articles] == ["JSON Wire", "JSON Wire"]


def test_article_page_url_gives_one_article(srv: HostileServer) -> None:
    srv.static(
        "/story", article_page("Pier budget approved", paragraphs("the pier")), "text/html; charset=utf-8"
    )
    out = fetch(source(srv.url("/story")))
    assert out.status == "ok", out.error
    (a,) = out.articles
    assert a.title == "Pier budget approved" and a.outlet == "Test Gazette"
    assert a.published is not None and a.published.isoformat() == "2025-06-01T09:30:00+00:00"
    assert "Paragraph 3 on the pier" in a.text and "Privacy policy" not in a.text


def test_html_without_an_article_is_not_a_feed(srv: HostileServer) -> None:
    srv.html_instead_of_feed("/home")
    out = fetch(source(srv.url("/home")))
    assert out.status == "failed" and out.error == "not a feed (got HTML)"


def test_entity_feed_is_refused(srv: HostileServer) -> None:
    srv.static("/bomb", entity_bomb_feed())
    out = fetch(source(srv.url("/bomb")))
    assert out.status == "failed" and "<!ENTITY>" in (out.error or "")


def test_body_over_cap_is_reported_and_nothing_kept(srv: HostileServer) -> None:
    srv.huge("/huge", 3_000_000)
    out = fetch(source(srv.url("/huge")))
    assert out.status == "failed" and out.articles == []
    assert out.error == "body over 2 MB cap (http.max_bytes): server announced 3 MB"


def test_long_retry_after_is_passed_to_the_poller(srv: HostileServer) -> None:
    srv.status("/busy", 503, {"Retry-After": "900"})
    out = fetch(source(srv.url("/busy")))
    assert out.status == "failed" and out.retry_after_s == 900


def test_twenty_thousand_item_feed(srv: HostileServer) -> None:
    srv.static("/big", rss_feed(make_items(20_000, srv.url("/b"), words=5)))
    http = HttpConfig(timeout=10, per_host_delay=0, retries=0, max_items=200)
    out = fetch(source(srv.url("/big"), http=http))
    assert out.status == "ok"
    assert (len(out.articles), out.items_seen, out.items_skipped) == (200, 20_000, 19_800)
    assert out.articles[0].url == srv.url("/b/0")


def test_mislabelled_charset_over_http(srv: HostileServer) -> None:
    srv.mislabelled_feed(
        "/feed",
        [
            {
                "title": "São Tomé port deal",
                "link": srv.url("/s"),
                "guid": "s",
                "summary": "Ministers in São Tomé signed.",
            }
        ],
    )
    (a,) = fetch(source(srv.url("/feed"))).articles
    assert a.title == "São Tomé port deal" and a.text == "Ministers in São Tomé signed."


def test_full_text_replaces_summaries_with_page_text(srv: HostileServer) -> None:
    items = make_items(3, srv.url("/story"))
    srv.static("/feed", rss_feed(items))
    for i in range(3):
        srv.static(f"/story/{i}", article_page(f"Story {i}", paragraphs(f"story {i}")), "text/html")
    out = fetch(source(srv.url("/feed"), full_text=True))
    assert out.status == "ok"
    for i, a in enumerate(out.articles):
        assert f"Paragraph 4 on story {i}" in a.text
        assert a.title == items[i]["title"]
    # a page that cannot be read keeps the feed summary
    srv.status("/story/1", 500)
    again = source(srv.url("/feed"), full_text=True)
    texts = [a.text for a in fetch(again).articles]
    assert texts[1].startswith("Item 1 opening paragraph") and "Paragraph 4 on story 0" in texts[0]


def test_full_text_refuses_private_links_before_connecting(
    srv: HostileServer,
    connects: list[tuple[str, int]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with HostileServer() as other:
        other.static("/secret", article_page("Internal", paragraphs("secrets")), "text/html")
        srv.redirect("/bounce", "http://10.0.0.1/admin")
        srv.static("/story/ok", article_page("Fine story", paragraphs("the fine story")), "text/html")
        links = [
            srv.url("/story/ok"),
            other.url("/secret"),
            "http://10.0.0.1/x",
            "http://169.254.169.254/latest/meta-data/",
            srv.url("/bounce"),
        ]
        items = [dict(it, link=link, guid=link) for it, link in zip(make_items(5, "x"), links, strict=True)]
        srv.static("/feed", rss_feed(items))
        with caplog.at_level(logging.WARNING):
            out = fetch(source(srv.url("/feed"), full_text=True))
        assert other.requests() == []  # nothing reached the other port
    assert out.status == "ok"
    assert [a.url for a in out.articles] == [srv.url("/story/ok")]
    assert "Paragraph 2 on the fine story" in out.articles[0].text
    assert out.items_skipped == 4
    assert {host for host, _ in connects} == {"127.0.0.1"}
    assert {port for _, port in connects} == {srv.port}
    log = caplog.text
    assert f"refused link {other.url('/secret')}: 127.0.0.1 is a loopback address" in log
    assert "refused link http://10.0.0.1/x: 10.0.0.1 is a private address" in log
    assert "169.254.169.254 is a cloud metadata address" in log
    assert "refused link http://10.0.0.1/admin" in log  # via the redirect
    assert sum("refused link" in w for w in out.warnings) == 4


def test_full_text_is_bounded_per_poll(srv: HostileServer) -> None:
    srv.static("/feed", rss_feed(make_items(6, srv.url("/p"))))
    for i in range(6):
        srv.static(f"/p/{i}", article_page(f"P{i}", paragraphs(f"p{i}")), "text/html")
    http = HttpConfig(timeout=2, per_host_delay=0, retries=0)
    src = WebSource(
        SourceConfig(name="w", url=srv.url("/feed"), full_text=True),
        HttpClient(http),
        http,
        full_text_limit=2,
    )
    out = fetch(src)
    assert sum("Paragraph 1 on p" in a.text for a in out.articles) == 2
    assert any("read 2 of 6 new pages" in w for w in out.warnings)
    # the next poll reads the next pages, not the same ones again
    pages_before = len([r for r in srv.requests() if r.path.startswith("/p/")])
    out2 = fetch(src)
    paths = [r.path for r in srv.requests() if r.path.startswith("/p/")][pages_before:]
    assert len(paths) == 2 and set(paths).isdisjoint({"/p/0", "/p/1"})
    assert sum("Paragraph 1 on p" in a.text for a in out2.articles) == 2


def test_redirect_loop_and_404_are_one_line_errors(srv: HostileServer) -> None:
    srv.redirect_loop("/a", "/b")
    out = fetch(source(srv.url("/a")))
    assert out.status == "failed" and "redirect loop" in (out.error or "") and "\n" not in (out.error or "")
    out = fetch(source(srv.url("/gone")))
    assert out.error == f"HTTP 404 Not Found from {srv.url('/gone')}"


def test_429_then_ok(srv: HostileServer) -> None:
    srv.rate_limited("/feed", rss_feed(make_items(2, srv.url("/a"))), retry_after="1")
    http = HttpConfig(timeout=3, per_host_delay=0, retries=1)
    out = fetch(source(srv.url("/feed"), http=http))
    assert out.status == "ok" and len(out.articles) == 2 and len(srv.requests("/feed")) == 2


def test_inward_links_are_kept_without_full_text_and_refused_with_it(
    srv: HostileServer,
    connects: list[tuple[str, int]],
) -> None:
    """Without full_text no link is fetched, so nothing needs refusing; with it, every inward
    link is refused and its item dropped."""
    with HostileServer() as other:
        srv.static("/feed", private_links_feed(other.base_url))
        plain = fetch(source(srv.url("/feed")))
        assert plain.status == "ok" and len(plain.articles) == 3 and plain.items_skipped == 0
        full = fetch(source(srv.url("/feed"), full_text=True))
        assert other.requests() == []
    assert full.status == "ok" and full.articles == [] and full.items_skipped == 3
    assert {port for _, port in connects} == {srv.port}
