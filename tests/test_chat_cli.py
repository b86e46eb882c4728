"""`briefbot chat` (piped stdin, real subprocesses) and `briefbot preview` (exact payloads as JSON)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from corpus_files import write_article
from typer.testing import CliRunner

from bot.cli import _register
from bot.cli import app as cli_app
from bot.core.commands import COMMAND_SPECS

REPO = Path(__file__).resolve().parents[1]
BRIEFBOT = [sys.executable, "-m", "bot"]


def write_corpus(folder: Path) -> Path:
    """Three short articles written for this test, dated a few hours ago."""
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    articles = {
        "patrol.md": (
            "Patrol boats shadow survey ship in the Taiwan Strait",
            "Harbor Ledger",
            2,
            "Coast guard boats from Taipei followed a foreign survey ship for six hours on Tuesday. "
            "Officials said the vessel left the strait before dawn without any incident at sea. "
            'Commander Lina Hsu said "We watched every mile of its route" after the patrol.',
        ),
        "budget.md": (
            "Taipei lawmakers pass a larger budget for schools",
            "Meridian Wire",
            4,
            "Lawmakers in Taipei approved a budget that raises spending on primary schools by a tenth. "
            "The education minister said new classrooms would open in rural counties next autumn.",
        ),
        "grain.md": (
            "Kyiv and partners extend grain corridor",
            "Northgate Times",
            6,
            "Negotiators in Kyiv agreed to extend the Black Sea grain corridor for another ninety days. "
            "Shipping insurers welcomed the decision and said premiums could fall by the spring.",
        ),
    }
    for name, (title, outlet, hours, text) in articles.items():
        write_article(folder, name, title, outlet, now - timedelta(hours=hours), text)
    return folder


def write_config(tmp: Path, corpus: Path, engine: str = "lead") -> Path:
    cfg = tmp / "briefbot.yaml"
    cfg.write_text(
        f"""
storage:
  url: sqlite:///{tmp / "bot.db"}
sources:
  - name: local
    path: {corpus}
topics:
  - name: taiwan
    aliases: [Taipei, Taiwan Strait]
  - name: ukraine
    aliases: [Kyiv]
summarizer:
  engine: {engine}
""",
        encoding="utf-8",
    )
    return cfg


def briefbot(
    *args: str, stdin: str = "", home: Path, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HOME": str(home),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "COLUMNS": "120",
        "NO_COLOR": "1",
    }
    env.pop("BRIEFBOT_CONFIG", None)
    return subprocess.run(
        [*BRIEFBOT, *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=home,
        env=env,
        timeout=timeout,
        check=False,
    )


def answers(stdout: str) -> dict[str, str]:
    """The transcript split into {command: answer}."""
    parts = re.split(r"^briefbot> (.*)$", stdout, flags=re.MULTILINE)
    return {cmd: out.strip() for cmd, out in zip(parts[1::2], parts[2::2], strict=True)}


@pytest.mark.slow
def test_chat_on_the_store_answers_every_command_and_remembers_across_runs(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, write_corpus(tmp_path / "corpus"))
    fetched = briefbot("-c", str(cfg), "fetch", home=tmp_path)
    assert fetched.returncode == 0, fetched.stderr
    lines = [
        "/brief taiwan",
        "/more 1",
        "/sources 1",
        "/quote 1",
        "/topics",
        "/brief tawian",
        "/more 9",
        "/subscribe taiwan 07:30 Europe/Berlin",
        "# a comment",
        "",
        "/subscriptions",
    ]
    run = briefbot("-c", str(cfg), "chat", stdin="\n".join(lines) + "\n", home=tmp_path)
    assert run.returncode == 0, run.stderr
    got = answers(run.stdout)
    assert list(got) == [x for x in lines if x and not x.startswith("#")]
    brief = got["/brief taiwan"]
    assert brief.startswith("Briefing: taiwan — ")
    assert "1. Patrol boats shadow survey ship in the Taiwan Strait" in brief
    assert "Kyiv" not in brief
    assert "Coast guard boats from Taipei followed a foreign survey ship" in got["/more 1"]
    assert "[1] Harbor Ledger — Patrol boats shadow survey ship in the Taiwan Strait — " in got["/sources 1"]
    assert "https://harborledger.example/patrol" in got["/sources 1"]
    assert got["/quote 1"].splitlines()[-1].strip() == "No direct quotes in this story."  # `lead` finds none
    assert got["/topics"].splitlines()[:2] == ["• taiwan — Taipei, Taiwan Strait", "• ukraine — Kyiv"]
    assert got["/brief tawian"] == "No stories about 'tawian' in the last 24 h — did you mean taiwan?"
    assert got["/more 9"].startswith("Pick a story number from 1 to ")
    assert got["/subscriptions"] == "• taiwan — every day at 07:30 (Europe/Berlin)"
    # a new process: /more and the subscription come back from the database
    again = briefbot("-c", str(cfg), "chat", stdin="/more 1\n/subscriptions\n", home=tmp_path)
    got2 = answers(again.stdout)
    assert got2["/more 1"] == got["/more 1"]
    assert got2["/subscriptions"] == got["/subscriptions"]


@pytest.mark.slow
def test_chat_with_the_demo_config_on_the_demo_corpus(tmp_path: Path) -> None:
    demo = REPO / "config" / "demo.yaml"
    lines = ["/brief taiwan", "/more 1", "/sources 1", "/quote 1", "/topics", "/help"]
    run = briefbot(
        "-c",
        str(demo),
        "chat",
        "--input",
        str(REPO / "corpus" / "demo"),
        stdin="\n".join(lines) + "\n",
        home=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    got = answers(run.stdout)
    assert list(got) == lines
    assert got["/brief taiwan"].startswith("Briefing: taiwan — ") and "\n1. " in got["/brief taiwan"]
    first_title = got["/brief taiwan"].split("\n1. ", 1)[1].split("  (", 1)[0]
    assert got["/more 1"].startswith(f"1. {first_title}")
    assert got["/more 1"].count("\n  • ") >= got["/brief taiwan"].split("\n2. ")[0].count("\n  • ")
    assert re.search(r"^  \[\d+\] \S.* — \d{4}-\d\d-\d\d — \S+", got["/sources 1"], flags=re.MULTILINE)
    assert "“" in got["/quote 1"] or "No direct quotes in this story." in got["/quote 1"]
    assert "• taiwan — " in got["/topics"] and "• trade — " in got["/topics"]
    assert len(got["/help"].splitlines()) == len(COMMAND_SPECS)  # a line per declared command
    assert not (tmp_path / ".local").exists()  # --input opens no database


@pytest.fixture(scope="module")
def cli() -> CliRunner:
    _register()
    return CliRunner()


def test_preview_prints_the_exact_payloads(cli: CliRunner, tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    cfg = write_config(tmp_path, corpus)
    base = ["-c", str(cfg), "preview", "taiwan", "--input", str(corpus)]
    discord = cli.invoke(cli_app, [*base, "--platform", "discord"])
    assert discord.exit_code == 0, discord.output
    [msg] = json.loads(discord.stdout)
    assert msg["content"].startswith("**Briefing: taiwan")
    assert [e["title"] for e in msg["embeds"]] == [
        "1\\. Patrol boats shadow survey ship in the Taiwan Strait",
        "2\\. Taipei lawmakers pass a larger budget for schools",
    ]
    assert msg["allowed_mentions"] == {"parse": []}
    assert msg["components"][0]["components"][0]["custom_id"] == "briefbot:more:1"
    hook = json.loads(cli.invoke(cli_app, [*base, "--platform", "discord", "--webhook"]).stdout)
    assert hook[0]["components"] == []
    [slack] = json.loads(cli.invoke(cli_app, [*base, "-p", "slack"]).stdout)
    assert slack["text"].startswith("Briefing: taiwan") and slack["blocks"][0]["type"] == "header"
    [text] = json.loads(cli.invoke(cli_app, [*base, "-p", "text"]).stdout)
    assert "1. Patrol boats shadow survey ship in the Taiwan Strait" in text["text"]


def test_preview_from_the_store_and_bad_options(cli: CliRunner, tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    cfg = write_config(tmp_path, corpus)
    empty = json.loads(cli.invoke(cli_app, ["-c", str(cfg), "preview", "-p", "text"]).stdout)
    assert empty[0]["text"].endswith("No stories found.")  # nothing fetched into the store yet
    bad = cli.invoke(cli_app, ["-c", str(cfg), "preview", "-p", "irc"])
    assert bad.exit_code == 2 and "--platform must be discord, slack or text" in bad.output
    since = cli.invoke(cli_app, ["-c", str(cfg), "preview", "--since", "soon"])
    assert since.exit_code == 2 and "--since" in since.output
    missing = cli.invoke(cli_app, ["-c", str(cfg), "preview", "--input", str(tmp_path / "nope")])
    assert missing.exit_code == 2


def test_console_sink_prints_without_markup(tmp_path: Path) -> None:
    import asyncio
    import io

    from rich.console import Console

    from bot.adapters.console import ConsoleSink
    from bot.core.protocols import Sink
    from summarizer.model import Briefing, Bullet, SourceRef, Story

    out = io.StringIO()
    sink = ConsoleSink(Console(file=out, width=100, highlight=False))
    assert isinstance(sink, Sink)
    b = Briefing(
        "taiwan",
        datetime(2026, 11, 12, 9, 30, tzinfo=UTC),
        [Story("Talks [bold red]resume[/]", [Bullet("Both sides met in Manila on Monday.", [1])], [], [1])],
        [SourceRef(1, "Talks resume", "https://wire.example/a", "Meridian Wire")],
    )
    result = asyncio.run(sink.post(b, idempotency_key="daily:taiwan:2026-11-12", note="Daily briefing"))
    assert (result.platform, result.message_ids) == ("console", ["daily:taiwan:2026-11-12"])
    text = out.getvalue()
    assert text.startswith("Daily briefing\n\nBriefing: taiwan — 2026-11-12 09:30 UTC")
    assert "1. Talks [bold red]resume[/]  (1 source: Meridian Wire)" in text  # shown, not interpreted
