"""Issue #7, resource bounds: `storage.retention` is applied by `briefbot fetch` itself, and pruning
takes an article's cached sentence vectors and outlet aliases with it."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hostile_server import HostileServer, make_items, rss_feed
from sqlalchemy import text
from typer.testing import CliRunner

import bot.cli.fetch_cmd  # noqa: F401  (registers `fetch`)
from bot.cli import app
from bot.store import open_store

NOW = datetime.now(UTC)


@pytest.fixture
def srv() -> Iterator[HostileServer]:
    with HostileServer() as server:
        yield server


def items(srv: HostileServer) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    old = make_items(3, srv.url("/old"), start=NOW - timedelta(days=60), prefix="Old", words=60)
    fresh = make_items(3, srv.url("/fresh"), start=NOW - timedelta(hours=1), prefix="Fresh", words=60)
    return old, fresh


def fetch(config: Path) -> str:
    result = CliRunner().invoke(
        app, ["--config", str(config), "fetch"], env={"COLUMNS": "200", "NO_COLOR": "1"}
    )
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.output
    return result.stdout


def counts(db: Path) -> dict[str, int]:
    store = open_store(f"sqlite:///{db}")
    try:
        with store.engine.connect() as c:
            return {
                t: int(c.execute(text(f"SELECT count(*) FROM {t}")).scalar() or 0)
                for t in ("articles", "story_reports", "article_aliases", "fetch_log")
            }
    finally:
        store.close()


def age_everything(db: Path, days: int) -> None:
    """What `days` of waiting would do to the rows: fetched (and logged) that long ago."""
    store = open_store(f"sqlite:///{db}")
    try:
        then = (NOW - timedelta(days=days)).replace(tzinfo=None).isoformat(" ")
        with store.engine.begin() as c:
            c.execute(text("UPDATE articles SET fetched_at = :t"), {"t": then})
            c.execute(text("UPDATE fetch_log SET started_at = :t"), {"t": then})
    finally:
        store.close()


def test_fetch_prunes_old_articles_with_their_vectors_and_aliases(srv: HostileServer, tmp_path: Path) -> None:
    old, fresh = items(srv)
    srv.static("/feed", rss_feed([*fresh[1:], *old]), etag='"v1"')
    srv.static(
        "/copy",
        rss_feed(
            [dict(old[0], link=srv.url("/elsewhere/0"), guid=srv.url("/elsewhere/0"))], title="Copy Desk"
        ),
        etag='"c1"',
    )
    config = tmp_path / "briefbot.yaml"
    config.write_text(
        textwrap.dedent(f"""
        storage:
          url: sqlite:///retention.db
          retention: 30d
        http:
          timeout: 2s
          per_host_delay: 0s
          retries: 0
        summarizer:
          embeddings: minilm
        sources:
          - name: wire
            url: {srv.url("/feed")}
          - name: copy
            url: {srv.url("/copy")}
        """),
        encoding="utf-8",
    )
    db = tmp_path / "retention.db"

    fetch(config)
    first = counts(db)
    # Just fetched, so kept although published 60 days ago; the copy is an alias, not an article.
    assert first["articles"] == 5 and first["article_aliases"] == 1
    assert first["story_reports"] == 5, "fetch assigns what it stored to stories"

    age_everything(db, days=40)
    srv.static("/feed", rss_feed(fresh), etag='"v2"')  # one new item; the old ones left the feed
    out = fetch(config)
    assert "new 1" in next(line for line in out.splitlines() if " wire " in line)

    after = counts(db)
    assert after["articles"] == 3, "the 3 articles published and fetched over 30 days ago are pruned"
    assert after["story_reports"] == 3 and after["article_aliases"] == 0
    assert after["fetch_log"] == 2, "only this fetch's log rows remain"
    store = open_store(f"sqlite:///{db}")
    try:
        titles = sorted(a.title for a in store.articles())
        assert titles == sorted(str(it["title"]) for it in fresh)
        with store.engine.connect() as c:
            orphans = c.execute(
                text("SELECT count(*) FROM story_reports WHERE article_id NOT IN (SELECT id FROM articles)")
            ).scalar()
        assert orphans == 0
    finally:
        store.close()
