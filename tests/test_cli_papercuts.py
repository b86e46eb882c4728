"""Issue #16, what an operator met from a fresh clone: output that is not a terminal (journald,
docker logs, a pipe) is neither wrapped nor cut, `brief` runs without chat tokens, a first fetch
of an empty source says so, and `status` counts the deliveries that chat `/subscribe` made."""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from corpus_files import write_article
from typer.testing import CliRunner

from bot.cli import _register, app
from bot.core.commands import Subscription
from bot.store import open_store
from bot.store.chat import ChatRepository


@pytest.fixture(scope="module")
def cli() -> CliRunner:
    _register()
    return CliRunner()


def write_config(folder: Path, extra: str = "") -> Path:
    news = folder / "news"
    news.mkdir(parents=True, exist_ok=True)
    write_article(
        news,
        "pier.md",
        "Harbour council approves pier budget",
        "Harbor Ledger",
        datetime.now(UTC),
        "The harbour council approved the pier budget on Tuesday after a long "
        "debate. Work starts in spring, officials said, and should last two years.",
    )
    (folder / "empty").mkdir(exist_ok=True)
    nowhere = folder / ("a-folder-whose-name-is-long-enough-to-push-the-table-past-eighty-columns" * 2)
    config = folder / "briefbot.yaml"
    config.write_text(
        textwrap.dedent(f"""
        storage: {{url: "sqlite:///bot.db"}}
        summarizer: {{engine: lead, embeddings: tfidf, max_quotes: 0}}
        sources:
          - {{name: news, path: news}}
          - {{name: empty, path: empty}}
          - {{name: gone, path: "{nowhere}"}}
        topics:
          - {{name: harbour, aliases: [harbour]}}
        """)
        + textwrap.dedent(extra),
        encoding="utf-8",
    )
    return config


def test_output_that_is_not_a_terminal_is_never_wrapped_or_cut(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    config = write_config(tmp_path)
    fetched = cli.invoke(app, ["--config", str(config), "fetch"])
    row = next(line for line in fetched.output.splitlines() if "│ gone" in line)
    assert "path not found: " + str(tmp_path) in row and row.rstrip().endswith("│"), fetched.output
    assert "empty" in fetched.output and "no items" in next(
        line for line in fetched.output.splitlines() if "│ empty" in line
    )  # a first fetch of nothing is not "unchanged"
    status = cli.invoke(app, ["--config", str(config), "status"])
    row = next(line for line in status.output.splitlines() if "│ gone" in line)
    assert "path not found: " + str(tmp_path) in row, status.output  # not cut to 60 characters
    bad = config.with_name("bad.yaml")
    bad.write_text(
        config.read_text() + "sourcez: []\nlimits: {window: forever-and-a-day-and-then-some-more}\n"
    )
    result = cli.invoke(app, ["--config", str(bad), "brief"])
    assert result.exit_code == 2
    printed = [line for line in result.output.splitlines() if line.strip()]
    assert len(printed) == 2 and all(line.startswith(f"{bad}:") for line in printed), printed


def test_brief_and_status_need_no_chat_token(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("DISCORD_TOKEN", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    config = write_config(
        tmp_path,
        """
        discord:
          token: ${DISCORD_TOKEN}
        slack:
          bot_token: ${SLACK_BOT_TOKEN}
          app_token: ${SLACK_APP_TOKEN}
        """,
    )
    brief = cli.invoke(app, ["--config", str(config), "brief", "harbour", "--since", "7d"])
    assert brief.exit_code == 0, brief.output
    assert "Harbour council approves pier budget" in brief.output
    run = cli.invoke(app, ["--config", str(config), "run"])  # `run` does need them
    assert run.exit_code == 2 and "DISCORD_TOKEN is not set" in run.output


def test_status_counts_the_deliveries_chat_subscriptions_made(cli: CliRunner, tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        """
        deliveries:
          - {name: morning, platform: file, path: out.jsonl, cron: "0 7 * * *"}
        """,
    )
    store = open_store("sqlite:///bot.db", base_dir=tmp_path)
    try:
        ChatRepository(store.engine).subscribe(  # type: ignore[attr-defined]
            Subscription("slack", "T1", "C1", "harbour", "07:30", "UTC", "U1", datetime.now(UTC))
        )
    finally:
        store.close()  # type: ignore[attr-defined]
    result = cli.invoke(app, ["--config", str(config), "status", "--format", "json"])
    assert result.exit_code == 0, result.output
    names = [d["delivery"] for d in json.loads(result.stdout)["deliveries"]]
    assert names == ["morning", "sub:slack:C1:harbour"]
