"""`briefbot config check|schema` through the real typer app, and the shipped example config."""

from __future__ import annotations

import json
import os
import re
import subprocess
import textwrap
from pathlib import Path

import pytest
from cli_command import briefbot_command
from shared_data import shared_path
from typer.testing import CliRunner

import bot.cli.config_cmd  # noqa: F401  (registers the `config` command group)
from bot.cli import app
from bot.config import BriefbotConfig, load_config

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "config" / "briefbot.example.yaml"
SECRET = "xoxb-not-for-your-eyes-4242"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "briefbot.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def test_check_reports_file_line_and_key_path_and_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        storage:
          url: sqlite:///x.db
        sources:
          - name: one
            url: https://example.org/feed.xml
          - name: two
            interval: often
            url: https://example.org/rss
        """,
    )
    result = runner.invoke(app, ["config", "check", str(path)])
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        f"{path}:7: sources.1.interval: cannot read 'often' as a duration; use e.g. 30s, 15m, 1h30m, 2d"
    ]


def test_installed_command_reports_errors_with_exit_2(tmp_path: Path) -> None:
    """The real `briefbot` entry point, as an admin runs it."""
    path = write(
        tmp_path,
        """
        discord:
          guild_ids: [1]
          token: ${BRIEFBOT_TEST_UNSET_TOKEN}
        """,
    )
    cmd = briefbot_command()
    env = {k: v for k, v in os.environ.items() if k != "BRIEFBOT_TEST_UNSET_TOKEN"}
    proc = subprocess.run(
        [*cmd, "config", "check", str(path)], capture_output=True, text=True, timeout=60, env=env, check=False
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout.startswith(
        f"{path}:3: discord.token: environment variable BRIEFBOT_TEST_UNSET_TOKEN is not set"
    )


def test_check_ok_summary(runner: CliRunner, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        sources:
          - name: a
            url: https://example.org/a.xml
        topics:
          - name: t
        """,
    )
    result = runner.invoke(app, ["config", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{path}: ok (1 source, 1 topic, 0 deliveries)"


def test_check_defaults_to_the_resolved_config(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "topics:\n  - name: t\n    alias: [x]\n")
    result = runner.invoke(app, ["--config", str(path), "config", "check"])
    assert result.exit_code == 2
    assert f"{path}:3: topics.0.alias: unknown key 'alias'; did you mean 'aliases'?" in result.stdout


def test_check_never_prints_secrets(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", SECRET)
    good = write(
        tmp_path,
        """
        slack:
          bot_token: ${SLACK_BOT_TOKEN}
          app_token: ${SLACK_BOT_TOKEN}
        """,
    )
    result = runner.invoke(app, ["config", "check", str(good)])
    assert result.exit_code == 0 and SECRET not in result.output
    bad = write(
        tmp_path,
        """
        slack:
          bot_token: ${SLACK_BOT_TOKEN}
          app_token: ${SLACK_BOT_TOKEN}
          port: ${SLACK_BOT_TOKEN}
        sources:
          - name: x
            url: ${SLACK_BOT_TOKEN}
        """,
    )
    result = runner.invoke(app, ["config", "check", str(bad)])
    assert result.exit_code == 2
    assert [line.split(": ")[1] for line in result.stdout.splitlines()] == ["slack.port", "sources.0.url"]
    assert SECRET not in result.output and "***" in result.stdout


def test_example_config_validates(runner: CliRunner) -> None:
    result = runner.invoke(app, ["config", "check", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    m = re.search(r"ok \((\d+) sources, 6 topics, 0 deliveries\)", result.stdout)
    assert m and int(m.group(1)) >= 20


def test_example_config_feeds_are_real_and_varied() -> None:
    cfg = load_config(EXAMPLE, env={}).config
    kite = json.loads(shared_path("anchors/kite/kite_feeds.json").read_text(encoding="utf-8"))
    kite_urls = {u for cat in kite.values() for u in cat["feeds"]}
    urls = [s.url for s in cfg.sources]
    assert set(urls) <= kite_urls
    assert all(re.search(r"rss|xml|atom|feed|rdf", u or "", re.I) for u in urls)
    countries = {s.labels[-1] for s in cfg.sources if s.labels}
    assert len(countries) >= 10
    assert {t.name for t in cfg.topics} == {"taiwan", "ukraine", "middle-east", "nato", "china", "trade"}
    assert all(len(t.aliases) >= 5 for t in cfg.topics)


def _uncomment_sections(text: str) -> str:
    """The commented-out deliveries/discord/slack blocks, uncommented."""
    out, inside = [], False
    for line in text.splitlines():
        if re.match(r"^# (deliveries|discord|slack):", line):
            inside = True
        elif inside and not line.startswith("#   "):
            inside = False
        out.append(line[2:] if inside else line)
    return "\n".join(out) + "\n"


def test_example_commented_sections_validate_with_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in (
        "DISCORD_TOKEN",
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "SLACK_WEBHOOK_URL",
    ):
        monkeypatch.setenv(name, f"value-of-{name.lower()}")
    monkeypatch.setenv(
        "SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T0/B0/value-of-webhook"
    )  # a URL
    full = tmp_path / "full.yaml"
    full.write_text(_uncomment_sections(EXAMPLE.read_text(encoding="utf-8")), encoding="utf-8")
    loaded = load_config(full)
    assert len(loaded.config.deliveries) == 3
    assert loaded.config.discord is not None and loaded.config.slack is not None
    assert "value-of-discord_token" in loaded.secrets


def test_schema_prints_valid_json_schema(runner: CliRunner) -> None:
    result = runner.invoke(app, ["config", "schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert set(schema["properties"]) == set(BriefbotConfig.model_fields)
    source = schema["$defs"]["SourceConfig"]
    assert source["additionalProperties"] is False and source["required"] == ["name"]
    assert re.fullmatch(source["properties"]["interval"]["pattern"], "1h30m")
