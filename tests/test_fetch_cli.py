"""`briefbot fetch` through the real typer app, a real SQLite store and the hostile server."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile_server import HostileServer, article_page, make_items, rss_feed
from typer.testing import CliRunner

import bot.cli.fetch_cmd
import bot.cli.status_cmd  # noqa: F401  (registers `status`)
from bot.cli import app

ENV = {"COLUMNS": "220", "NO_COLOR": "1"}


@pytest.fixture
def srv() -> Iterator[HostileServer]:
    with HostileServer() as server:
        yield server


def write_config(tmp_path: Path, sources: str, http: str = "") -> Path:
    path = tmp_path / "briefbot.yaml"
    text = f"""
storage:
  url: sqlite:///fetch.db
http:
  timeout: 2s
  per_host_delay: 0s
  retries: 0
{textwrap.indent(textwrap.dedent(http).strip(), "  ") if http else ""}
sources:
{textwrap.indent(textwrap.dedent(sources).strip(), "  ")}
"""
    path.write_text(text, encoding="utf-8")
    return path


def run(config: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--config", str(config), *args], env=ENV)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def row(stdout: str, name: str) -> str:
    lines = [ln for ln in stdout.splitlines() if f" {name} " in ln]
    assert len(lines) == 1, f"expected one table row for {name!r}:\n{stdout}"
    return lines[0]


def test_fetch_table_and_exit_code(srv: HostileServer, tmp_path: Path) -> None:
    srv.static("/a", rss_feed(make_items(3, srv.url("/a"))), etag='"a1"')
    srv.static(
        "/page",
        article_page(
            "Pier budget approved",
            [
                f"Paragraph {i}: the harbour council approved the pier budget on Tuesday after a long debate in the "
                "town hall, and officials said construction would begin in the spring."
                for i in range(4)
            ],
        ),
        "text/html",
    )
    srv.status("/down", 503)
    (tmp_path / "desk").mkdir()
    (tmp_path / "desk" / "note.txt").write_text(
        "Ferry strike ends\n\n" + "Ferries sail again. " * 30, encoding="utf-8"
    )
    cfg = write_config(
        tmp_path,
        f"""
        - name: alpha
          url: {srv.url("/a")}
        - name: page
          url: {srv.url("/page")}
        - name: down
          url: {srv.url("/down")}
        - name: desk
          path: desk
          outlet: Desk
        - name: off
          url: {srv.url("/a")}
          enabled: false
        """,
    )
    code, out, err = run(cfg, "fetch")
    assert code == 0, out + err
    assert "new 3" in row(out, "alpha") and "new 1" in row(out, "page") and "new 1" in row(out, "desk")
    down = row(out, "down")
    assert "failed" in down and "HTTP 503 Service Unavailable" in down
    assert " off " not in out
    assert "Traceback" not in out + err
    # second run: conditional GET, nothing new
    code, out, err = run(cfg, "fetch")
    assert code == 0
    assert "unchanged" in row(out, "alpha") and "unchanged" in row(out, "desk")
    assert srv.requests("/a")[-1].headers.get("If-None-Match") == '"a1"'
    # the failure is visible in `status`
    code, out, _ = run(cfg, "status", "--format", "json")
    status = {s["name"]: s for s in json.loads(out)["sources"]}
    assert status["down"]["consecutive_failures"] == 2
    assert status["down"]["last_error"] == "HTTP 503 Service Unavailable"
    assert status["alpha"]["article_count"] == 3 and status["alpha"]["consecutive_failures"] == 0


def test_one_source_by_name_even_if_disabled(srv: HostileServer, tmp_path: Path) -> None:
    srv.static("/a", rss_feed(make_items(2, srv.url("/a"))))
    srv.static("/b", rss_feed(make_items(2, srv.url("/b"))))
    cfg = write_config(
        tmp_path,
        f"""
        - name: alpha
          url: {srv.url("/a")}
        - name: Beta
          url: {srv.url("/b")}
          enabled: false
        """,
    )
    code, out, _ = run(cfg, "fetch", "--source", "beta")
    assert code == 0 and "new 2" in row(out, "Beta") and "alpha" not in out
    assert srv.requests("/a") == []


def test_unknown_source_lists_the_names(tmp_path: Path) -> None:
    cfg = write_config(
        tmp_path,
        """
        - name: alpha
          url: https://feeds.example/a
        - name: beta
          url: https://feeds.example/b
        """,
    )
    code, _, err = run(cfg, "fetch", "--source", "gamma")
    assert code == 2
    assert "no source named 'gamma'; configured sources: alpha, beta" in err


def test_exit_1_when_every_source_fails(srv: HostileServer, tmp_path: Path) -> None:
    srv.status("/x", 404)
    cfg = write_config(
        tmp_path,
        f"""
        - name: gone
          url: {srv.url("/x")}
        - name: missing
          path: no/such/folder
        """,
    )
    code, out, err = run(cfg, "fetch")
    assert code == 1
    assert "HTTP 404 Not Found" in row(out, "gone") and "path not found" in row(out, "missing")
    assert "Traceback" not in out + err


def test_refused_links_and_caps_are_shown_as_reasons(srv: HostileServer, tmp_path: Path) -> None:
    items = make_items(3, srv.url("/s"))
    items[1] = dict(items[1], link="http://169.254.169.254/latest/meta-data/")
    srv.static("/feed", rss_feed(items))
    for i in (0, 2):
        srv.static(
            f"/s/{i}",
            article_page(
                f"S{i}",
                [
                    f"Paragraph {j} of harbour council news with detail about the pier and the budget."
                    for j in range(5)
                ],
            ),
            "text/html",
        )
    cfg = write_config(
        tmp_path,
        f"""
        - name: ft
          url: {srv.url("/feed")}
          full_text: true
        """,
    )
    code, out, err = run(cfg, "fetch")
    assert code == 0
    line = row(out, "ft")
    assert "new 2" in line and "refused link http://169.254.169.254/latest/meta-data/" in line
    assert "cloud metadata address" in err  # logged with the reason
