"""Issue #7 acceptance: feedparser's ill-formed corpus plus every hostile route of the test server,
fetched by the installed `briefbot` command in a child process.

`briefbot fetch` finishes, prints one clear line per bad source and no traceback, stores every
article of the good sources; a second fetch stores nothing; `briefbot status` shows the failing
sources and why. (`test_feedparser_corpus.py` runs the whole corpus in-process; this one adds the
hostile server and checks the output a user actually sees.)
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_command import briefbot_command as briefbot
from hostile_server import (
    HostileServer,
    Response,
    article_page,
    atom_feed,
    entity_bomb_feed,
    gzip_bytes,
    json_feed,
    make_items,
    private_links_feed,
    rss_feed,
)
from shared_data import SHARED, shared_path

pytestmark = pytest.mark.slow

ILLFORMED = SHARED / "corpora" / "feedparser" / "illformed"
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) [\w.]+: ")

# name -> a fragment of the one-line reason `fetch` and `status` must give
BAD = {
    "bomb-gzip": "body over 8 MB cap (http.max_bytes)",
    "bomb-br": "body over 8 MB cap (http.max_bytes)",
    "huge-unannounced": "body over 8 MB cap (http.max_bytes)",
    "drip": "no complete response from 127.0.0.1 within 2 s",
    "silent": "no complete response from 127.0.0.1 within 2 s",
    "entities": "declares XML entities",
    "redirect-loop": "redirect loop",
    "redirect-chain": "more than 3 redirects",
    "redirect-metadata": "169.254.169.254 is a cloud metadata address",
    "retry-later": "retry after 3600 s",
    "down": "HTTP 503 Service Unavailable",
    "gone": "HTTP 404 Not Found",
    "home-page": "not a feed (got HTML)",
    "json-not-feed": "not a feed (got JSON that is not a JSON Feed)",
    "binary": "not a",
    "empty": "empty document",
    "short-body": "HTTP error from 127.0.0.1",
}
# name -> articles it must store
GOOD = {
    "good-rss": 5,
    "good-atom": 4,
    "good-json": 3,
    "gzipped": 2,
    "mislabelled": 3,
    "big": 200,
    "links-inward": 1,
}


def _short_body(req: object) -> None:
    feed = rss_feed(make_items(2, "http://127.0.0.1/s"))
    req.send_response(200)  # type: ignore[attr-defined]
    req.send_header("Content-Length", str(len(feed) * 2))  # type: ignore[attr-defined]
    req.end_headers()  # type: ignore[attr-defined]
    req.wfile.write(feed)  # type: ignore[attr-defined]
    req.close_connection = True  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def served() -> Iterator[dict[str, str]]:
    shared_path("corpora/feedparser/illformed")
    with HostileServer() as srv, HostileServer() as other, HostileServer() as busy:
        urls: dict[str, str] = {}
        for f in sorted(p for p in ILLFORMED.rglob("*") if p.is_file()):
            rel = f.relative_to(ILLFORMED).as_posix()
            urls[f"illformed/{rel}"] = srv.corpus_file(f"/corpus/{rel}", f)
        u = srv.url
        urls["bomb-gzip"] = srv.gzip_bomb("/bomb/gzip", 200_000_000, "gzip")
        urls["bomb-br"] = srv.gzip_bomb("/bomb/br", 60_000_000, "br")
        urls["huge-unannounced"] = srv.huge("/huge", 30_000_000, announce=False)
        urls["drip"] = srv.drip("/drip", rss_feed(make_items(2, u("/d"))), interval=5.0)
        urls["silent"] = srv.route("/silent", lambda req: srv.stopping.wait(30) and None)
        urls["entities"] = srv.static("/entities", entity_bomb_feed())
        urls["redirect-loop"] = srv.redirect_loop("/loop/a", "/loop/b")
        for i in range(6):
            srv.redirect(f"/chain/{i}", f"/chain/{i + 1}")
        urls["redirect-chain"] = u("/chain/0")
        urls["redirect-metadata"] = srv.redirect("/meta", "http://169.254.169.254/latest/meta-data/")
        # on a host of its own: its Retry-After defers every request to that host
        urls["retry-later"] = busy.status("/busy", 429, {"Retry-After": "3600"})
        urls["down"] = srv.status("/down", 503)
        urls["gone"] = u("/nothing-here")
        urls["home-page"] = srv.html_instead_of_feed("/home")
        urls["json-not-feed"] = srv.static("/json", b'{"status": "ok", "items": [1, 2]}', "application/json")
        urls["binary"] = srv.static("/binary", random.Random(7).randbytes(5000), "application/octet-stream")
        urls["empty"] = srv.static("/empty", b"")
        urls["short-body"] = srv.route("/short", _short_body)

        urls["good-rss"] = srv.static(
            "/good/rss", rss_feed(make_items(5, u("/g/rss"), prefix="R")), etag='"r1"'
        )
        urls["good-atom"] = srv.static(
            "/good/atom", atom_feed(make_items(4, u("/g/atom"), prefix="A")), "application/atom+xml"
        )
        urls["good-json"] = srv.static(
            "/good/json", json_feed(make_items(3, u("/g/json"), prefix="J")), "application/feed+json"
        )
        urls["gzipped"] = srv.route(
            "/gz",
            Response(
                200, gzip_bytes(rss_feed(make_items(2, u("/g/gz"), prefix="Z"))), {"Content-Encoding": "gzip"}
            ),
        )
        urls["mislabelled"] = srv.mislabelled_feed(
            "/latin1", [dict(it, title=f"Zürich café {i}") for i, it in enumerate(make_items(3, u("/g/l1")))]
        )
        urls["big"] = srv.static(
            "/big", rss_feed(make_items(20_000, u("/g/big"), prefix="B", words=4)), last_modified=None
        )
        other.static("/secret", b"internal", "text/html")
        inward = private_links_feed(other.base_url)
        good_item = rss_feed([make_items(1, u("/page"), prefix="P")[0] | {"link": u("/page/0")}])
        inward = inward.replace(
            b"</channel>", good_item.split(b"</description>", 1)[1].split(b"</channel>")[0] + b"</channel>"
        )
        srv.static(
            "/page/0",
            article_page(
                "Pier budget approved",
                [
                    f"Paragraph {i}: the harbour council approved the pier budget on Tuesday after a long debate in "
                    "the town hall, and officials said construction would begin in the spring."
                    for i in range(4)
                ],
            ),
            "text/html",
        )
        urls["links-inward"] = srv.static("/inward", inward)
        yield urls
        assert other.requests() == [], "an inward item link was fetched"


def run(config: Path, *args: str) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT")}
    env.update(COLUMNS="400", NO_COLOR="1", HF_HUB_OFFLINE="1")
    proc = subprocess.run(
        [*briefbot(), "-v", "--config", str(config), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        cwd=config.parent,
    )
    return proc.returncode, proc.stdout, proc.stderr


def table_rows(out: str) -> dict[str, str]:
    rows = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.split("│")]
        if len(cells) > 3 and cells[1] and cells[1] != "source":
            rows[cells[1]] = line
    return rows


def test_fetch_the_corpus_and_the_hostile_server(served: dict[str, str], tmp_path: Path) -> None:
    lines = [
        "storage:",
        "  url: sqlite:///acceptance.db",
        "http:",
        "  timeout: 2s",
        "  per_host_delay: 0s",
        "  per_host_concurrency: 16",
        "  retries: 0",
        "  max_redirects: 3",
        "  max_bytes: 8MB",
        "summarizer:",
        "  embeddings: tfidf",
        "sources:",
    ]
    for name, url in served.items():
        lines += [f"  - name: {json.dumps(name)}", f"    url: {url}"]
        if name == "links-inward":
            lines.append("    full_text: true")
    config = tmp_path / "briefbot.yaml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")

    code, out, err = run(config, "fetch", "--concurrency", "32")
    assert code == 0, err[-3000:]
    assert "Traceback" not in out + err
    stray = [ln for ln in err.splitlines() if ln.strip() and not LOG_LINE.match(ln)]
    assert stray == [], "stderr holds something other than one-line log records"
    rows = table_rows(out)
    assert set(rows) == set(served), "one fetch row per source"

    for name, reason in BAD.items():
        assert "failed" in rows[name] and reason in rows[name], rows[name]
        told = [ln for ln in err.splitlines() if f"source {name} failed: " in ln]
        assert len(told) == 1 and reason in told[0], (name, told)
    for name in GOOD:
        assert "failed" not in rows[name], rows[name]
    assert "read the newest 200 of 20000 items; 19800 skipped (http.max_items)" in rows["big"]
    assert "refused link" in rows["links-inward"]

    code, out, _ = run(config, "status", "--format", "json")
    status = {s["name"]: s for s in json.loads(out)["sources"]}
    for name, count in GOOD.items():
        assert status[name]["article_count"] == count, (name, status[name])
        assert status[name]["consecutive_failures"] == 0
    for name, reason in BAD.items():
        assert status[name]["consecutive_failures"] == 1 and reason in status[name]["last_error"]
    total = sum(s["article_count"] for s in status.values())
    mislabelled = [a for a in status if a.startswith("illformed/") and status[a]["article_count"]]
    assert mislabelled, "the ill-formed corpus yielded no articles at all"

    code, out, err = run(config, "fetch", "--concurrency", "32")
    assert code == 0 and "Traceback" not in out + err
    rows = table_rows(out)
    assert not [r for r in rows.values() if "│ new " in r], "the second fetch stored something new"
    assert "unchanged" in rows["good-rss"]
    code, out, _ = run(config, "status", "--format", "json")
    again = {s["name"]: s for s in json.loads(out)["sources"]}
    assert sum(s["article_count"] for s in again.values()) == total

    code, out, err = run(config, "status")
    assert code == 0 and "Traceback" not in out + err
    rows = table_rows(out)
    for name in BAD:
        shown = rows[name]
        assert again[name]["last_error"][:55] in shown, shown  # the reason (cut to the column)
        assert " 2 " in shown, shown  # two consecutive failures
