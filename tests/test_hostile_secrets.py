"""Issue #7, secrets: with tokens in the environment and a config that references them, nothing the
real `briefbot` command prints at -vv (stdout, stderr, log lines, tables, JSON, errors) contains
a token, in plain or percent-encoded spelling.

The commands (fetch, status, brief, chat, config check, and run with its /healthz and /metrics)
run as the installed entry point in a child process, so logging, rich output and exit paths are
the ones a user gets.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import httpx
import pytest
from cli_command import briefbot_command as briefbot
from hostile_server import HostileServer, make_items, rss_feed

pytestmark = pytest.mark.slow

SECRETS = {
    "DISCORD_TOKEN": "MTIzNDU2Nzg5.discord-SECRET-token.abcXYZ",
    "SLACK_BOT_TOKEN": "xoxb-1111-2222-slackSECRETbot",
    "SLACK_APP_TOKEN": "xapp-1-A111-slackSECRETapp",
    "MORNING_WEBHOOK": "https://discord.com/api/webhooks/42/webhookSECRETpath",
    "FEED_KEY": "fk+SECRET/key=42 zz",  # characters a URL encodes in several ways
    "FEED_PASSWORD": "pw-SECRET-basic",
    "DB_PASSWORD": "db-SECRET-pass",
    "FEED_PASS": "Tr0ub4dor&3@x",  # httpx writes it `Tr0ub4dor&3%40x` in userinfo (issue #16)
}


def spellings(value: str) -> set[str]:
    found = {
        value,
        quote(value, safe=""),
        quote(value),
        quote_plus(value),
        quote(value, safe="!$&'()*+,;=:@/?"),
    }
    try:  # as httpx writes it in URL userinfo (issue #16: `Tr0ub4dor&3%40x`)
        written = str(httpx.URL(f"http://reader:{value}@h/"))
        found.add(written.removeprefix("http://reader:").removesuffix("@h/"))
    except (httpx.InvalidURL, ValueError):
        pass
    return found


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
        echo = make_items(2, server.url("/echo-story"), prefix="Echo")
        for item in echo:  # a page that quotes a secret: its briefing must not
            item["summary"] = (
                f"The leaked password was {SECRETS['FEED_PASS']} and the key {SECRETS['FEED_KEY']}."
            )
        server.static("/echo", rss_feed(echo))
        yield server


def write_config(
    path: Path, srv: HostileServer, *, storage: str = "sqlite:///secrets.db", extra: str = ""
) -> Path:
    port = srv.port
    path.write_text(
        textwrap.dedent(f"""
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
          - name: userinfo
            url: "http://reader:${{FEED_PASS}}@127.0.0.1:{port}/private"
          - name: echo
            url: "http://127.0.0.1:{port}/echo"
        """)
        + textwrap.dedent(extra),
        encoding="utf-8",
    )
    return path


def run(config: Path, *args: str, stdin: str = "") -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT")}
    env.update(SECRETS, COLUMNS="300", NO_COLOR="1", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    proc = subprocess.run(
        [*briefbot(), "-vv", "--config", str(config), *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        cwd=config.parent,
    )
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
    assert "DEBUG" in outputs["fetch"] and "GET http://127.0.0.1" in outputs["fetch"]  # -vv is on
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
    assert (
        "reader:***@" in sources["userinfo"]["last_error"] and "HTTP 401" in sources["userinfo"]["last_error"]
    )
    assert sources["echo"]["article_count"] == 2
    # the secret quoted by a page was redacted as it was fetched: not stored, so never in a briefing
    import sqlite3

    with sqlite3.connect(tmp_path / "secrets.db") as db:
        texts = [t for (t,) in db.execute("SELECT text FROM articles WHERE text LIKE '%leaked password%'")]
    assert len(texts) == 2 and all("The leaked password was *** and the key ***." in t for t in texts), texts
    assert "key=***" in outputs["fetch"] and "Harbour" not in outputs["fetch"]


def _json_part(output: str) -> str:
    """stdout's JSON document (stdout comes first in `run`'s output, the -vv log lines after it)."""
    start = output.index("{\n")
    end = output.index("\n}\n", start) + 2
    return output[start:end]


def test_config_errors_and_store_errors_do_not_print_secrets(srv: HostileServer, tmp_path: Path) -> None:
    bad = write_config(
        tmp_path / "bad.yaml",
        srv,
        extra="""
        topics:
          - name: ${FEED_KEY}
            aliases: ["${FEED_PASSWORD}"]
        limits:
          window: ${DB_PASSWORD}
        """,
    )
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


def test_run_for_a_few_seconds_prints_no_secret(srv: HostileServer, tmp_path: Path) -> None:
    """`briefbot run` (no chat platform: that would leave 127.0.0.1) polls the secret-bearing sources;
    its log, /healthz and /metrics hold no secret."""
    import signal
    import time
    import urllib.request

    config = write_config(
        tmp_path / "run.yaml",
        srv,
        extra="""
        run:
          jitter: 0s
        """,
    )
    text = config.read_text(encoding="utf-8")
    text = re.sub(r"discord:\n  token: .*\nslack:\n  bot_token: .*\n  app_token: .*\n", "", text)
    assert "DISCORD_TOKEN" not in text
    config.write_text(text, encoding="utf-8")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT")}
    env.update(SECRETS, COLUMNS="300", NO_COLOR="1", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*briefbot(), "-vv", "--config", str(config), "run", "--health-port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp_path,
        )
    bodies: dict[str, str] = {}
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    health = json.loads(r.read())
            except (OSError, ValueError):
                health = {}
            if len(health.get("last_errors") or []) >= 4:  # missing, loop, auth and userinfo have failed
                break
            time.sleep(0.3)
        else:
            raise AssertionError(
                "the sources were not polled within 60 s:\n" + log.read_text(errors="replace")[-3000:]
            )
        for path in ("/healthz", "/metrics"):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as r:
                bodies[path] = r.read().decode("utf-8", "replace")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    output = log.read_text(errors="replace")
    assert "Traceback" not in output, output[-3000:]
    assert "GET http://127.0.0.1" in output  # -vv was on
    for where, text in [("log", output), *bodies.items()]:
        assert leaks(text) == [], where
    assert "key=***" in bodies["/healthz"] or "key=***" in output
