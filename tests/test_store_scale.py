"""The store at 10,000 articles: bulk insert, duplicate re-fetch, and an indexed time window."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pgserver import pg_fresh_url, pg_url  # noqa: F401  (fixtures, used via getfixturevalue)
from sqlalchemy import text

from bot.core.protocols import FetchedArticle, FetchOutcome
from bot.store import open_store


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_ten_thousand_articles(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """Bulk insert in one transaction, re-fetch as duplicates, and a day's window read by index."""
    url = (
        f"sqlite:///{tmp_path / 'big.db'}" if backend == "sqlite" else request.getfixturevalue("pg_fresh_url")
    )
    now = datetime.now(UTC)
    words = [
        "ministers",
        "port",
        "tanker",
        "grid",
        "vessel",
        "harbour",
        "treaty",
        "ceasefire",
        "draft",
        "budget",
        "envoy",
        "summit",
    ]
    items = [
        FetchedArticle(
            f"https://big.example/{i}?utm_source=rss",
            f"Headline {i}",
            f"Story {i}. " + " ".join(words[(i * 7 + k) % len(words)] for k in range(250)),
            "Big Outlet",
            published=now - timedelta(minutes=4.32 * i),
        )
        for i in range(10_000)
    ]
    with open_store(url) as store:
        start = time.perf_counter()
        first = store.record_fetch(FetchOutcome("big", "ok", items))
        inserted = time.perf_counter() - start
        start = time.perf_counter()
        again = store.record_fetch(FetchOutcome("big", "ok", items))
        rechecked = time.perf_counter() - start
        start = time.perf_counter()
        day = store.articles(since=now - timedelta(hours=24))
        windowed = time.perf_counter() - start
        assert (first.new, again.duplicates, store.article_count()) == (10_000, 10_000, 10_000)
        assert len(day) == 334 and day[0].canonical_url == "https://big.example/0"
        if backend == "sqlite":
            with store.engine.connect() as conn:
                plan = " ".join(
                    str(r[-1])
                    for r in conn.execute(
                        text(
                            "EXPLAIN QUERY PLAN SELECT id FROM articles WHERE window_at >= :t ORDER BY window_at DESC"
                        ),
                        {"t": now.replace(tzinfo=None)},
                    )
                )
            assert "ix_articles_window_at" in plan
    # generous bounds (measured: ~2-5 s, ~1 s, ~15 ms on 2 cores): catch a quadratic regression, not jitter
    assert inserted < 40 and rechecked < 20 and windowed < 2, (inserted, rechecked, windowed)
