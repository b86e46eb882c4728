"""`bot.core.polling` with real sources, a real store (SQLite) and the hostile server."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hostile_server import HostileServer, Response, make_items, rss_feed

from bot.config.schema import HttpConfig, SourceConfig
from bot.core.polling import next_poll_time, poll_all, poll_one, poll_sources
from bot.core.protocols import FetchOutcome, Source, SourceState
from bot.ingest.http import HttpClient
from bot.ingest.web import WebSource
from bot.store import SqlStore, open_store

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def srv() -> Iterator[HostileServer]:
    with HostileServer() as server:
        yield server


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    s = open_store(f"sqlite:///{tmp_path / 'poll.db'}")
    yield s
    s.close()


def web_sources(srv: HostileServer, paths: dict[str, str], **http_kw: Any) -> list[Source]:
    http = HttpConfig(**{"timeout": 1, "per_host_delay": 0, "retries": 0, **http_kw})
    client = HttpClient(http)
    return [
        WebSource(SourceConfig(name=name, url=srv.url(path), interval="10m"), client, http)
        for name, path in paths.items()
    ]


class Exploding:
    """A source with a bug: it raises instead of returning an outcome."""

    name = "exploding"

    async def fetch(self, state: SourceState) -> FetchOutcome:
        raise RuntimeError("boom\nsecond line")


def test_hanging_source_times_out_while_the_others_finish(srv: HostileServer, store: SqlStore) -> None:
    srv.static("/a", rss_feed(make_items(3, srv.url("/a"), prefix="A")))
    srv.static("/b", rss_feed(make_items(2, srv.url("/b"), prefix="B")))
    srv.drip("/hang", rss_feed(make_items(2, srv.url("/h"))), interval=0.5)
    sources = web_sources(srv, {"a": "/a", "hang": "/hang", "b": "/b"})
    started = time.perf_counter()
    results = asyncio.run(poll_sources(sources, store))
    assert time.perf_counter() - started < 4
    by_name = {r.outcome.source_name: r for r in results}
    assert [r.outcome.source_name for r in results] == ["a", "hang", "b"]
    assert (by_name["a"].stored.new, by_name["b"].stored.new) == (3, 2)  # type: ignore[union-attr]
    hang = by_name["hang"].outcome
    assert hang.status == "failed" and hang.error is not None and "within 1 s (http.timeout)" in hang.error
    status = {s.name: s for s in store.status()}
    assert status["hang"].consecutive_failures == 1 and "http.timeout" in (status["hang"].last_error or "")
    assert status["a"].article_count == 3


def test_a_source_that_raises_does_not_stop_the_others(
    srv: HostileServer,
    store: SqlStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    srv.static("/a", rss_feed(make_items(2, srv.url("/a"))))
    sources = [Exploding(), *web_sources(srv, {"a": "/a"})]
    with caplog.at_level(logging.WARNING):
        outcomes = asyncio.run(poll_all(sources, store))
    boom, ok = outcomes
    assert boom.status == "failed" and boom.error == "unexpected error: RuntimeError: boom second line"
    assert ok.status == "ok" and len(store.articles()) == 2
    assert "Traceback" not in caplog.text and "source exploding failed unexpectedly" in caplog.text
    with caplog.at_level(logging.INFO):
        asyncio.run(poll_all([Exploding()], store))
    assert "Traceback" in caplog.text  # the trace is there at -v


def test_second_poll_is_conditional_and_stores_nothing_new(srv: HostileServer, store: SqlStore) -> None:
    srv.static("/a", rss_feed(make_items(3, srv.url("/a"))), etag='"e1"')
    sources = web_sources(srv, {"a": "/a"})
    first = asyncio.run(poll_sources(sources, store))[0]
    second = asyncio.run(poll_sources(sources, store))[0]
    assert first.stored is not None and first.stored.new == 3
    assert second.outcome.status == "not_modified"
    assert second.stored is not None and second.stored.new == 0
    assert srv.requests("/a")[1].headers.get("If-None-Match") == '"e1"'
    assert len(store.articles()) == 3


def test_same_article_under_two_url_variants_is_stored_once(srv: HostileServer, store: SqlStore) -> None:
    one = make_items(1, srv.url("/story"))
    variant = [dict(one[0], link=srv.url("/story/0?utm_source=rss&utm_medium=feed"), guid="other-guid")]
    srv.static("/a", rss_feed(one, "Outlet A"))
    srv.static("/b", rss_feed(variant, "Outlet B"))
    results = asyncio.run(poll_sources(web_sources(srv, {"a": "/a", "b": "/b"}), store, concurrency=1))
    assert [(r.stored.new, r.stored.duplicates) for r in results if r.stored] == [(1, 0), (0, 1)]
    assert len(store.articles()) == 1


def test_broken_feed_is_reported_in_status_and_the_next_poll_still_runs(
    srv: HostileServer,
    store: SqlStore,
) -> None:
    srv.sequence(
        "/f",
        [
            Response(200, b"<rss><channel><item><title>broken"),
            Response(200, b"<html><body>maintenance</body></html>", {}, "text/html"),
            Response(200, rss_feed(make_items(2, srv.url("/f")))),
        ],
    )
    sources = web_sources(srv, {"f": "/f"})
    first = asyncio.run(poll_sources(sources, store))[0]
    # ill-formed but readable: what could be read is stored, with a warning
    assert first.outcome.status == "ok" and first.outcome.warnings
    second = asyncio.run(poll_sources(sources, store))[0]
    assert second.outcome.status == "failed" and second.outcome.error is not None
    assert second.outcome.error.startswith("not a feed (got HTML")
    (st,) = store.status()
    assert st.consecutive_failures == 1 and st.last_error == second.outcome.error
    third = asyncio.run(poll_sources(sources, store))[0]
    assert third.outcome.status == "ok" and third.stored is not None and third.stored.new == 2
    (st,) = store.status()
    assert st.consecutive_failures == 0


def test_next_poll_backs_off_on_failure_and_honours_retry_after() -> None:
    ok = FetchOutcome("s", "ok")
    failed = FetchOutcome("s", "failed", error="x")
    every = timedelta(minutes=10)
    assert next_poll_time(ok, SourceState("s", consecutive_failures=3), every, NOW) == NOW + every
    assert next_poll_time(failed, SourceState("s"), every, NOW) == NOW + every
    assert next_poll_time(failed, SourceState("s", consecutive_failures=2), every, NOW) == NOW + 4 * every
    capped = next_poll_time(failed, SourceState("s", consecutive_failures=40), every, NOW, timedelta(hours=6))
    assert capped == NOW + timedelta(hours=6)
    later = FetchOutcome("s", "failed", error="429", retry_after_s=7200)
    assert next_poll_time(later, SourceState("s"), every, NOW) == NOW + timedelta(hours=2)


def test_poll_one_records_next_poll_from_the_source_interval(srv: HostileServer, store: SqlStore) -> None:
    srv.static("/a", rss_feed(make_items(1, srv.url("/a"))))
    (src,) = web_sources(srv, {"a": "/a"})
    result = asyncio.run(poll_one(src, store, clock=lambda: NOW))
    assert result.outcome.status == "ok" and result.next_poll == NOW + timedelta(minutes=10)
    assert store.source_state("a").next_poll is not None


def test_concurrency_limit(store: SqlStore) -> None:
    running = {"now": 0, "max": 0}

    class Slow:
        def __init__(self, name: str) -> None:
            self.name = name

        async def fetch(self, state: SourceState) -> FetchOutcome:
            running["now"] += 1
            running["max"] = max(running["max"], running["now"])
            await asyncio.sleep(0.05)
            running["now"] -= 1
            return FetchOutcome(self.name, "ok")

    outcomes = asyncio.run(poll_all([Slow(f"s{i}") for i in range(6)], store, concurrency=2))
    assert running["max"] == 2 and all(o.status == "ok" for o in outcomes)
