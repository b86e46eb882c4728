"""Issue #16: `config check` validates what `run` will parse, after `${ENV}` substitution.

Before, a `${FEED_PASS}` holding `#`, a newline, `http://[::1/feed`, a port of 99999, a cron of
"0 25 * * *" and a delivery topic that names no topic all passed the check; `fetch` and `run` then
died with a traceback that printed part of the secret. Credentials written into a URL passed too.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import _register, app
from bot.config import ConfigError, load_config
from bot.config.loader import ConfigIssue

PASSWORD = "ab#Hunter2Secret"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "briefbot.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def issues(path: Path, env: dict[str, str]) -> dict[str, ConfigIssue]:
    with pytest.raises(ConfigError) as info:
        load_config(path, env=env)
    return {i.path: i for i in info.value.issues}


CONFIG = """
    sources:
      - name: hashed
        url: "http://reader:${FEED_PASS}@127.0.0.1:8080/feed"
      - name: newline
        url: "http://127.0.0.1:8080/feed?key=${FEED_KEY}"
      - name: bracket
        url: "${FEED_URL}"
      - name: port
        url: http://127.0.0.1:99999/feed
      - name: fine
        url: "http://reader:${FEED_PASS_OK}@127.0.0.1:8080/feed"
    topics:
      - name: taiwan
      - name: ukraine
    deliveries:
      - name: morning
        platform: file
        path: out.jsonl
        cron: "0 25 * * *"
        topics: [tiawan, ukraine]
      - name: never
        platform: file
        path: out.jsonl
        cron: "0 7 31 2 *"
        topics: [nato]
      - name: bad-hook
        platform: discord-webhook
        webhook: ${HOOK}
"""
ENV = {
    "FEED_PASS": PASSWORD,
    "FEED_KEY": "k3y-line\nsecond",
    "FEED_URL": "http://[::1/feed",
    "FEED_PASS_OK": "Tr0ub4dor&3@x",
    "HOOK": "https://discord.com/api/webhooks/1/Hunter2Hook\t",
}


def test_urls_crons_and_topics_are_checked_at_their_line_without_printing_a_secret(tmp_path: Path) -> None:
    found = issues(write(tmp_path, CONFIG), ENV)
    text = "\n".join(str(i) for i in found.values())
    lines = {path: issue.line for path, issue in found.items()}
    assert lines == {
        "sources.0.url": 3,
        "sources.1.url": 5,
        "sources.2.url": 7,
        "sources.3.url": 9,
        "deliveries.0.cron": 19,
        "deliveries.0.topics.0": 20,
        "deliveries.1.cron": 24,
        "deliveries.1.topics.0": 25,
        "deliveries.2.webhook": 28,
    }, text
    assert "'#'" in found["sources.0.url"].message and "%23" in found["sources.0.url"].message
    assert "control character" in found["sources.1.url"].message
    assert "IPv6" in found["sources.2.url"].message
    assert "port 99999 is out of range" in found["sources.3.url"].message
    assert "higher than the maximum value (23)" in found["deliveries.0.cron"].message  # APScheduler's words
    assert "never fires" in found["deliveries.1.cron"].message
    assert found["deliveries.0.topics.0"].message == "no topic named 'tiawan'; did you mean 'taiwan'?"
    assert "configured topics: taiwan, ukraine" in found["deliveries.1.topics.0"].message
    for secret in ("Hunter2", "k3y-line", "Tr0ub4dor", "second"):
        assert secret not in text


def test_credentials_written_into_a_url_are_refused_like_other_literal_secrets(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        storage:
          url: postgresql+psycopg://briefbot:Sw0rdfish-pg@db/briefbot
        sources:
          - name: basic
            url: http://reader:Sw0rdfish-feed@127.0.0.1:8080/feed
          - name: keyed
            url: https://k3yAsUser1234@feeds.example/news
          - name: from-env
            url: http://reader:${FEED_PASSWORD}@127.0.0.1:8080/feed
        """,
    )
    found = issues(path, {"FEED_PASSWORD": "pw-from-env"})
    text = "\n".join(str(i) for i in found.values())
    assert set(found) == {"storage.url", "sources.0.url", "sources.1.url"}, text
    assert (found["sources.0.url"].line, found["sources.1.url"].line) == (5, 7)
    assert "http://reader:${BASIC_PASSWORD}@" in found["sources.0.url"].message
    assert "https://${KEYED_USER}@" in found["sources.1.url"].message
    assert "Sw0rdfish" not in text and "k3yAsUser1234" not in text
    # a database user without a password is no secret
    ok = write(tmp_path, "storage:\n  url: postgresql+psycopg://briefbot@db/briefbot\n")
    assert load_config(ok, env={}).config.storage.url.endswith("briefbot@db/briefbot")


def test_config_check_prints_one_file_line_per_problem_and_exits_2(tmp_path: Path) -> None:
    _register()
    path = write(tmp_path, CONFIG)
    result = CliRunner().invoke(app, ["config", "check", str(path)], env=ENV)
    assert result.exit_code == 2, result.output
    printed = result.output.strip().splitlines()
    assert len(printed) == 9 and all(line.startswith(f"{path}:") for line in printed), printed
    assert "Hunter2" not in result.output and "Traceback" not in result.output
