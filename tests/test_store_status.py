"""`briefbot status` over a tiny config, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pgserver import pg_fresh_url, pg_url  # noqa: F401  (fixtures, used via getfixturevalue)
from typer.testing import CliRunner

import bot.cli.status_cmd  # noqa: F401  (registers the command)
from bot.cli import app
from bot.cli.status_cmd import relative
from bot.core.protocols import FetchedArticle, FetchOutcome
from bot.store import open_store

CONFIG = """\
storage:
  url: {url}
run:
  stale_after: 2
sources:
  - name: good-feed
    url: https://good.example/rss
    outlet: Good News
  - name: bad-feed
    url: https://bad.example/rss
deliveries:
  - name: morning
    platform: file
    path: out/morning.jsonl
    cron: "0 7 * * *"
  - name: evening
    platform: file
    path: out/evening.jsonl
    cron: "0 19 * * *"
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def configured(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, str]:
    """A config file and the absolute URL of its store."""
    if request.param == "sqlite":
        in_config, absolute = "sqlite:///state/bot.db", f"sqlite:///{tmp_path / 'state' / 'bot.db'}"
    else:
        in_config = absolute = request.getfixturevalue("pg_fresh_url")
    path = tmp_path / "briefbot.yaml"
    path.write_text(CONFIG.format(url=in_config), encoding="utf-8")
    return path, absolute


def _populate(url: str) -> None:
    body = "A regional grid operator restored power to most districts by the evening. " * 3
    with open_store(url) as store:
        store.record_fetch(
            FetchOutcome(
                "good-feed",
                "ok",
                [
                    FetchedArticle(
                        f"https://good.example/story/{i}", f"Story {i}", f"{body} Item {i}.", "Good News"
                    )
                    for i in range(3)
                ],
            ),
            next_poll=datetime.now(UTC) + timedelta(minutes=14, seconds=30),
        )
        for _ in range(2):
            store.record_fetch(FetchOutcome("bad-feed", "failed", error="HTTP 503 Service Unavailable"))


def _record_runs(url: str) -> datetime:
    """morning: failed at 07:00, waiting to try again; a channel subscription: posted; evening: never ran."""
    from bot.store.runs import RunRepository

    now = datetime.now(UTC).replace(microsecond=0)
    fire = now - timedelta(minutes=1)
    with open_store(url) as store:
        repo = RunRepository(store.engine)
        day_before = fire - timedelta(days=1)
        assert repo.create("morning", day_before, day_before)
        assert repo.move(
            "morning", day_before, "posted", day_before, expect=("queued",), tried=True, message_ids=["1"]
        )
        assert repo.create("morning", fire, fire)
        assert repo.move(
            "morning",
            fire,
            "retry",
            fire,
            expect=("queued",),
            tried=True,
            error="Slack webhook at hooks.slack.com: server error HTTP 503",
            next_try=fire + timedelta(minutes=2),
        )
        assert repo.create("sub:slack:C1:taiwan", fire, fire)
        assert repo.move(
            "sub:slack:C1:taiwan",
            fire,
            "posted",
            fire,
            expect=("queued",),
            tried=True,
            message_ids=["1700000000.1"],
        )
    return fire


def _run(config: Path, *args: str) -> str:
    result = CliRunner().invoke(app, ["--config", str(config), "status", *args], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_status_json(configured: tuple[Path, str]) -> None:
    config, url = configured
    _populate(url)
    data = json.loads(_run(config, "--format", "json"))
    by_name = {s["name"]: s for s in data["sources"]}
    assert set(by_name) == {"good-feed", "bad-feed"}
    good, bad = by_name["good-feed"], by_name["bad-feed"]
    assert (good["article_count"], good["consecutive_failures"], good["stale"], good["last_new"]) == (
        3,
        0,
        False,
        3,
    )
    assert good["enabled"] and good["url"] == "https://good.example/rss"
    assert datetime.fromisoformat(good["last_success"]).tzinfo is not None
    assert datetime.fromisoformat(good["next_poll"]) > datetime.now(UTC)
    assert (bad["consecutive_failures"], bad["stale"], bad["last_error"]) == (
        2,
        True,
        "HTTP 503 Service Unavailable",
    )
    assert bad["last_success"] is None
    assert data["store"]["articles"] == 3 and data["store"]["size_bytes"] > 0


def test_status_table(configured: tuple[Path, str]) -> None:
    config, url = configured
    _populate(url)
    out = _run(config)
    good = next(line for line in out.splitlines() if "good-feed" in line)
    bad = next(line for line in out.splitlines() if "bad-feed" in line)
    assert re.search(r"│\s+(now|\d+s ago)\s+│", good) and "in 14m" in good and "STALE" not in good
    assert "HTTP 503 Service Unavailable" in bad and "STALE" in bad and "never" in bad
    assert "3 articles" in out


def test_status_shows_each_deliverys_last_run(configured: tuple[Path, str]) -> None:
    config, url = configured
    fire = _record_runs(url)
    data = json.loads(_run(config, "--format", "json"))
    runs = {r["delivery"]: r for r in data["deliveries"]}
    assert list(runs) == ["evening", "morning", "sub:slack:C1:taiwan"]
    assert runs["evening"] == {
        "delivery": "evening",
        "last_run": None,
        "result": "never run",
        "attempts": 0,
        "error": None,
        "next_try": None,
    }
    morning = runs["morning"]
    assert (morning["result"], morning["attempts"]) == ("retry", 1)
    assert datetime.fromisoformat(morning["last_run"]) == fire
    assert datetime.fromisoformat(morning["next_try"]) == fire + timedelta(minutes=2)
    assert "HTTP 503" in morning["error"]
    assert runs["sub:slack:C1:taiwan"]["result"] == "posted"
    out = _run(config)
    line = next(x for x in out.splitlines() if "morning" in x)
    assert "retry" in line and re.search(r"tries again (in \d+s|in 1m|now) \(try 2\)", line), out


def test_status_rejects_unknown_format(configured: tuple[Path, str]) -> None:
    result = CliRunner().invoke(app, ["--config", str(configured[0]), "status", "--format", "xml"])
    assert result.exit_code == 2


def test_relative_times() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert relative(None, now) == "never"
    assert relative(now, now) == "now"
    assert relative(now - timedelta(seconds=42), now) == "42s ago"
    assert relative(now - timedelta(hours=3, minutes=5), now) == "3h ago"
    assert relative(now + timedelta(minutes=15), now) == "in 15m"
    assert relative(now - timedelta(days=2), now) == "2d ago"
