"""The HTTP client against a real misbehaving server on 127.0.0.1 (tests/hostile_server.py)."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from hostile_server import HostileServer, Response, make_items, rss_feed

from bot.config.schema import HttpConfig
from bot.ingest.errors import (
    BodyTooLarge,
    FetchError,
    FetchTimeout,
    HttpStatusError,
    LinkRefused,
    RetryableStatus,
    RetryLater,
)
from bot.ingest.http import HttpClient, HttpResult, parse_retry_after
from bot.ingest.safety import LinkPolicy


@pytest.fixture
def srv() -> Iterator[HostileServer]:
    with HostileServer() as server:
        yield server


def cfg(**kw: Any) -> HttpConfig:
    base: dict[str, Any] = {"timeout": 2, "per_host_delay": 0, "max_bytes": "1MB", "retries": 2}
    base.update(kw)
    return HttpConfig(**base)


def get(srv: HostileServer, path: str, config: HttpConfig | None = None, **kw: Any) -> HttpResult:
    client = HttpClient(config or cfg(), backoff_base=0.05)
    policy = kw.pop("policy", LinkPolicy.for_source(srv.url("/")))
    return asyncio.run(client.get(srv.url(path), policy=policy, **kw))


FEED = rss_feed(make_items(3, "http://127.0.0.1/a"))


def test_plain_get_sends_user_agent_and_accept(srv: HostileServer) -> None:
    srv.static("/feed", FEED)
    res = get(srv, "/feed", cfg(user_agent="briefbot-test/9 (+https://example.org)"))
    assert res.status == 200 and res.body == FEED
    sent = srv.requests("/feed")[0].headers
    assert sent["User-Agent"] == "briefbot-test/9 (+https://example.org)"
    assert "application/rss+xml" in sent["Accept"]
    assert "gzip" in sent["Accept-Encoding"]


def test_conditional_get_etag_gives_not_modified(srv: HostileServer) -> None:
    srv.static("/feed", FEED, etag='"abc"')
    first = get(srv, "/feed")
    assert first.etag == '"abc"' and not first.not_modified
    second = get(srv, "/feed", etag=first.etag)
    assert second.not_modified and second.body == b""
    assert srv.requests("/feed")[1].headers["If-None-Match"] == '"abc"'


def test_conditional_get_last_modified(srv: HostileServer) -> None:
    stamp = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
    srv.static("/feed", FEED, last_modified=stamp)
    first = get(srv, "/feed")
    assert first.last_modified == "Sun, 01 Jun 2025 08:00:00 GMT"
    assert get(srv, "/feed", last_modified=first.last_modified).not_modified


@pytest.mark.parametrize("announce", [True, False])
def test_body_over_cap_is_an_error_not_a_truncation(srv: HostileServer, announce: bool) -> None:
    srv.huge("/huge", 5_000_000, announce=announce)
    with pytest.raises(BodyTooLarge, match=r"body over 1 MB cap"):
        get(srv, "/huge")


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw-deflate", "br"])
def test_compression_bomb_stops_at_cap_with_bounded_memory(srv: HostileServer, encoding: str) -> None:
    srv.gzip_bomb("/bomb", 64_000_000, encoding)
    tracemalloc.start()
    try:
        started = time.perf_counter()
        with pytest.raises(BodyTooLarge, match="over 1 MB cap"):
            get(srv, "/bomb")
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 24_000_000, f"peak {peak / 1e6:.1f} MB while refusing a 64 MB bomb"
    assert elapsed < 5


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw-deflate", "br"])
def test_compressed_body_under_cap_is_decoded(srv: HostileServer, encoding: str) -> None:
    import zlib

    import brotli

    if encoding == "gzip":
        import gzip

        data, header = gzip.compress(FEED), "gzip"
    elif encoding == "deflate":
        data, header = zlib.compress(FEED), "deflate"
    elif encoding == "raw-deflate":
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        data, header = c.compress(FEED) + c.flush(), "deflate"
    else:
        data, header = brotli.compress(FEED), "br"
    srv.route("/z", Response(200, data, {"Content-Encoding": header}))
    assert get(srv, "/z").body == FEED


def test_unknown_content_encoding_is_a_clear_error(srv: HostileServer) -> None:
    srv.route("/z", Response(200, b"xx", {"Content-Encoding": "zstd-deluxe"}))
    with pytest.raises(FetchError, match="unsupported Content-Encoding 'zstd-deluxe'"):
        get(srv, "/z")


def test_slow_drip_is_cut_off_by_the_wall_clock_deadline(srv: HostileServer) -> None:
    srv.drip("/slow", FEED, interval=0.3)  # a byte every 0.3 s: each read is "fast"
    started = time.perf_counter()
    with pytest.raises(FetchTimeout, match=r"within 1 s \(http.timeout\)"):
        get(srv, "/slow", cfg(timeout=1))
    assert time.perf_counter() - started < 3


def test_429_with_retry_after_is_retried_after_the_wait(srv: HostileServer) -> None:
    srv.sequence("/busy", [Response(429, b"", {"Retry-After": "1"}), Response(200, FEED)])
    res = get(srv, "/busy")
    assert res.status == 200 and res.body == FEED
    first, second = srv.requests("/busy")
    assert second.at - first.at >= 0.95


def test_retry_after_over_the_limit_is_not_waited_for(srv: HostileServer) -> None:
    srv.status("/busy", 429, {"Retry-After": "3600"})
    started = time.perf_counter()
    with pytest.raises(RetryLater, match="retry after 3600 s, over the 120 s limit") as info:
        get(srv, "/busy")
    assert info.value.retry_after == 3600
    assert time.perf_counter() - started < 2
    assert len(srv.requests("/busy")) == 1


def test_503_is_retried_then_reported(srv: HostileServer) -> None:
    srv.status("/down", 503)
    with pytest.raises(RetryableStatus, match=r"HTTP 503 Service Unavailable \(after 3 attempts\)"):
        get(srv, "/down", cfg(retries=2))
    assert len(srv.requests("/down")) == 3


def test_404_is_not_retried(srv: HostileServer) -> None:
    with pytest.raises(HttpStatusError, match="HTTP 404 Not Found") as info:
        get(srv, "/missing")
    assert info.value.status == 404
    assert len(srv.requests("/missing")) == 1


def test_connection_refused_is_retried_and_reported() -> None:
    with HostileServer() as gone:
        url = gone.url("/feed")
    client = HttpClient(cfg(retries=1), backoff_base=0.01)
    with pytest.raises(FetchError, match=r"cannot connect to 127.0.0.1.*\(after 2 attempts\)"):
        asyncio.run(client.get(url, policy=LinkPolicy.for_source(url)))


def test_retry_after_http_date() -> None:
    now = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Sun, 01 Jun 2025 12:00:30 GMT", now) == 30
    assert parse_retry_after("Sun, 01 Jun 2025 11:00:00 GMT", now) == 0
    assert parse_retry_after("120", now) == 120
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_redirects_are_followed_and_final_url_kept(srv: HostileServer) -> None:
    srv.redirect("/old", "/mid", 301)
    srv.redirect("/mid", srv.url("/new"), 307)
    srv.static("/new", FEED)
    res = get(srv, "/old")
    assert res.url == srv.url("/new") and res.body == FEED


def test_redirect_loop_is_detected(srv: HostileServer) -> None:
    srv.redirect("/a", "/b")
    srv.redirect("/b", "/a")
    with pytest.raises(FetchError, match="redirect loop"):
        get(srv, "/a")
    assert len(srv.requests()) == 2


def test_redirect_chain_is_capped(srv: HostileServer) -> None:
    for i in range(6):
        srv.redirect(f"/r{i}", f"/r{i + 1}")
    srv.static("/r6", FEED)
    with pytest.raises(FetchError, match=r"more than 3 redirects \(http.max_redirects\)"):
        get(srv, "/r0", cfg(max_redirects=3))
    assert len(srv.requests()) == 4


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://127.0.0.1/feed", "gopher://127.0.0.1:70/"])
def test_redirect_to_another_scheme_is_refused(srv: HostileServer, target: str) -> None:
    srv.redirect("/r", target)
    with pytest.raises(LinkRefused, match="is not http or https"):
        get(srv, "/r")


def test_per_host_concurrency_is_limited(srv: HostileServer) -> None:
    lock = threading.Lock()
    state = {"now": 0, "max": 0}

    def slow(req: BaseHTTPRequestHandler) -> Response:
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        time.sleep(0.15)
        with lock:
            state["now"] -= 1
        return Response(200, FEED)

    srv.route("/s", slow)
    client = HttpClient(cfg(per_host_concurrency=2))
    policy = LinkPolicy.for_source(srv.url("/"))

    async def many() -> list[HttpResult]:
        return list(await asyncio.gather(*(client.get(srv.url("/s"), policy=policy) for _ in range(6))))

    assert all(r.status == 200 for r in asyncio.run(many()))
    assert state["max"] == 2


def test_per_host_delay_spaces_requests(srv: HostileServer) -> None:
    srv.static("/f", FEED)
    client = HttpClient(cfg(per_host_delay=0.2, per_host_concurrency=4))
    policy = LinkPolicy.for_source(srv.url("/"))

    async def three() -> None:
        await asyncio.gather(*(client.get(srv.url("/f"), policy=policy) for _ in range(3)))

    asyncio.run(three())
    times = sorted(r.at for r in srv.requests("/f"))
    assert all(b - a >= 0.18 for a, b in itertools.pairwise(times)), times


def test_client_is_reusable_across_event_loops(srv: HostileServer) -> None:
    srv.static("/f", FEED)
    client = HttpClient(cfg())
    policy = LinkPolicy.for_source(srv.url("/"))
    for _ in range(2):
        assert asyncio.run(client.get(srv.url("/f"), policy=policy)).status == 200
