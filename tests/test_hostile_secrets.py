"""Issue #7, secrets: with tokens in the environment and a config that references them, nothing the
real `briefbot` command prints at -vv (stdout, stderr, log lines, tables, JSON, errors) contains
a token, in plain or percent-encoded spelling.

The commands run as the installed entry point in a child process, so logging, rich output and
exit paths are the ones a user gets. `run` does not exist yet; fetch, status, brief, chat and
config check do.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from hostile_server import HostileServer, make_items, rss_feed

pytestmark = pytest.mark.slow

SECRETS = {
    "DISCORD_TOKEN": "MTIzNDU2Nzg5.discord-SECRET-token.abcXYZ",
    "SLACK_BOT_TOKEN": "xoxb-1111-2222-slackSECRETbot",
    "SLACK_APP_TOKEN": "xapp-1-A111-slackSECRETapp",
    "MORNING_WEBHOOK": "https://discord.com/api/webhooks/42/webhookSECRETpath",
    "FEED_KEY": "fk+SECRET/key=42 zz",              # characters a URL encodes in several ways
    "FEED_PASSWORD": "pw-SECRET-basic",
    "DB_PASSWORD": "db-SECRET-pass",
}


def spellings(value: str) -> set[str]:
    return {value, quote(value, safe=""), quote(value), quote_plus(value), quote(value, safe="!$&'()*+,;=:@/?")}


def briefbot() -> list[str]:
    exe = Path(sys.executable).with_name("briefbot")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("briefbot")
    return [found] if found else [sys.executable, "-m", "bot"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def srv() -> Iterator[HostileServer]:
    with HostileServer() as server:
        server.static("/feed", rss_feed(make_items(4, server.url("/story"))), etag='"v1"')
        server.redirect("/loop", "/loop2?key=" + quote(SECRETS["FEED_KEY"]))
        server.redirect("/loop2", "/loop?key=" + quote(SECRETS["FEED_KEY"]))
        server.status("/private", 401)
        yield server


def write_config(path: Path, srv: HostileServer, *, storage: str = "sqlite:///secrets.db", extra: str = "") -> Path:
    port = srv.port
    path.write_text(textwrap.dedent(f"""
        storage:
          url: {storage}
        http:
          timeout: 2s
          per_host_delay: 0s
          retries: 0
        discord:
          token: ${{DISCORD_TOKEN}}
        slack:
          bot_token: ${{SLACK_BOT_TOKEN}}
          app_token: ${{SLACK_APP_TOKEN}}
        summarizer:
          embeddings: tfidf
        deliveries:
          - name: morning
            platform: discord-webhook
            webhook: ${{MORNING_WEBHOOK}}
        sources:
          - name: good
            url: "http://127.0.0.1:{port}/feed?key=${{FEED_KEY}}"
          - name: missing
            url: "http://127.0.0.1:{port}/missing?key=${{FEED_KEY}}"
          - name: loop
            url: "http://127.0.0.1:{port}/loop?key=${{FEED_KEY}}"
          - name: auth
            url: "http://reader:${{FEED_PASSWORD}}@127.0.0.1:{port}/private"
        """) + textwrap.dedent(extra), encoding="utf-8")
    return path


def run(config: Path, *args: str, stdin: str = "") -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT")}
    env.update(SECRETS, COLUMNS="300", NO_COLOR="1", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    proc = subprocess.run([*briefbot(), "-vv", "--config", str(config), *args], input=stdin, env=env,
                          capture_output=True, text=True, timeout=180, cwd=config.parent)
    return proc.returncode, proc.stdout + proc.stderr


def leaks(output: str) -> list[str]:
    found = []
    for name, value in SECRETS.items():
        for spelled in spellings(value):
            if spelled in output:
                line = next(ln for ln in output.splitlines() if spelled in ln)
                found.append(f"{name} as {spelled!r} in: {line[:200]}")
    # and no fragment long enough to identify one (e.g. a token cut at a column edge)
    found += [f"fragment {m!r}" for m in re.findall(r"\w*SECRET\w*", output)]
    return found


def test_no_command_prints_a_secret(srv: HostileServer, tmp_path: Path) -> None:
    config = write_config(tmp_path / "briefbot.yaml", srv)
    outputs: dict[str, str] = {}

    code, outputs["fetch"] = run(config, "fetch")
    assert code == 0, outputs["fetch"][-3000:]
    assert "DEBUG" in outputs["fetch"] and "GET http://127.0.0.1" in outputs["fetch"]   # -vv is on
    code, outputs["fetch again"] = run(config, "fetch")
    assert code == 0
    code, outputs["status"] = run(config, "status")
    assert code == 0
    code, outputs["status json"] = run(config, "status", "--format", "json")
    assert code == 0
    code, outputs["config check"] = run(config, "config", "check")
    assert code == 0
    code, outputs["brief"] = run(config, "brief", "--since", "3650d")
    assert code == 0, outputs["brief"][-3000:]
    code, outputs["chat"] = run(config, "chat", stdin="/brief\n/sources 1\n/topics\n/help\n")
    assert code == 0, outputs["chat"][-3000:]

    for command, output in outputs.items():
        assert "Traceback" not in output, (command, output[-3000:])
        assert leaks(output) == [], command

    # redaction really happened where a secret would otherwise have been shown
    sources = {s["name"]: s for s in json.loads(_json_part(outputs["status json"]))["sources"]}
    assert sources["good"]["article_count"] == 4
    assert sources["good"]["url"].endswith("/feed?key=***")
    assert "***" in sources["missing"]["last_error"] and "HTTP 404" in sources["missing"]["last_error"]
    assert sources["loop"]["last_error"].startswith("redirect loop")
    assert "reader:***@" in sources["auth"]["last_error"]
    assert "key=***" in outputs["fetch"] and "Harbour" not in outputs["fetch"]


def _json_part(output: str) -> str:
    """stdout's JSON document (stdout comes first in `run`'s output, the -vv log lines after it)."""
    start = output.index("{\n")
    end = output.index("\n}\n", start) + 2
    return output[start:end]


def test_config_errors_and_store_errors_do_not_print_secrets(srv: HostileServer, tmp_path: Path) -> None:
    bad = write_config(tmp_path / "bad.yaml", srv, extra="""
        topics:
          - name: ${FEED_KEY}
            aliases: ["${FEED_PASSWORD}"]
        limits:
          window: ${DB_PASSWORD}
        """)
    code, out = run(bad, "config", "check")
    assert code == 2 and "limits.window" in out and "***" in out
    assert leaks(out) == []

    down = f"postgresql://briefbot:${{DB_PASSWORD}}@127.0.0.1:{free_port()}/briefbot"
    unreachable = write_config(tmp_path / "pg.yaml", srv, storage=down)
    for args in (("status",), ("fetch",), ("brief",)):
        code, out = run(unreachable, *args)
        assert code == 1, out[-2000:]
        assert "cannot open the database" in out and "Traceback" not in out
        assert leaks(out) == [], args
