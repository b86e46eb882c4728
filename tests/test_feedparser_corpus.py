"""feedparser's own test corpus (ill-formed XML, charset cases, samples), served over HTTP beside
good feeds: `briefbot fetch` gives every source one clear result, never a traceback, stores every
article of the good sources, and a second fetch stores no duplicates."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile_server import HostileServer, atom_feed, json_feed, make_items, rss_feed
from shared_data import SHARED, shared_path
from typer.testing import CliRunner

import bot.cli.fetch_cmd
import bot.cli.status_cmd  # noqa: F401  (registers `status`)
from bot.cli import app

CORPUS = SHARED / "corpora" / "feedparser"
ENV = {"COLUMNS": "320", "NO_COLOR": "1"}
GOOD = {"good-rss": 5, "good-atom": 4, "good-json": 3}


def corpus_files() -> list[Path]:
    shared_path("corpora/feedparser")
    return sorted(
        p for p in CORPUS.rglob("*") if p.is_file() and p.name not in ("SOURCE", "LICENSE.feedparser")
    )


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[HostileServer, dict[str, str]]]:
    with HostileServer() as srv:
        urls: dict[str, str] = {}
        for f in corpus_files():
            rel = f.relative_to(CORPUS).as_posix()
            urls[f"fp/{rel}"] = srv.corpus_file(f"/corpus/{rel}", f)
        urls["good-rss"] = srv.static("/good/rss", rss_feed(make_items(5, srv.url("/g/rss"), prefix="R")))
        urls["good-atom"] = srv.static(
            "/good/atom", atom_feed(make_items(4, srv.url("/g/atom"), prefix="A")), "application/atom+xml"
        )
        urls["good-json"] = srv.static(
            "/good/json", json_feed(make_items(3, srv.url("/g/json"), prefix="J")), "application/feed+json"
        )
        yield srv, urls


def run(config: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--config", str(config), *args], env=ENV)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def status(config: Path) -> dict[str, dict[str, object]]:
    code, out, _ = run(config, "status", "--format", "json")
    assert code == 0
    return {s["name"]: s for s in json.loads(out)["sources"]}


def test_every_corpus_file_gives_one_clear_result(
    served: tuple[HostileServer, dict[str, str]],
    tmp_path: Path,
) -> None:
    _, urls = served
    assert len(urls) > 150
    lines = [
        "storage:",
        "  url: sqlite:///corpus.db",
        "http:",
        "  timeout: 5s",
        "  per_host_delay: 0s",
        "  per_host_concurrency: 8",
        "  retries: 0",
        "sources:",
    ]
    for name, url in urls.items():
        lines += [f"  - name: {json.dumps(name)}", f"    url: {url}"]
    config = tmp_path / "briefbot.yaml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")

    started = time.perf_counter()
    code, out, err = run(config, "fetch", "--concurrency", "16")
    elapsed = time.perf_counter() - started
    assert code == 0, err[-2000:]
    assert "Traceback" not in out and "Traceback" not in err
    assert elapsed < 60, f"fetching {len(urls)} sources took {elapsed:.0f} s"

    rows = [ln for ln in out.splitlines() if ln.startswith("│")]
    assert len(rows) == len(urls), "one table row per source"
    for name in urls:
        assert sum(f"│ {name} " in r for r in rows) == 1, name

    first = status(config)
    failed = {n: s for n, s in first.items() if s["consecutive_failures"]}
    for name, s in failed.items():
        error = str(s["last_error"])
        assert error and "\n" not in error and len(error) <= 300 and "Traceback" not in error, (name, error)
        assert f"source {name} failed: " in err
    assert "fp/illformed/rss_empty_document.xml" in failed
    assert "fp/wellformed/rdf/doctype_contains_entity_decl.xml" in failed
    assert len(failed) < len(urls) // 4, sorted(failed)
    for name, count in GOOD.items():
        assert first[name]["article_count"] == count and not first[name]["consecutive_failures"]
    total = sum(int(s["article_count"]) for s in first.values())  # type: ignore[call-overload]
    assert total > sum(GOOD.values()) + 20  # corpus items were stored too

    code, out, err = run(config, "fetch", "--concurrency", "16")
    assert code == 0 and "Traceback" not in out + err
    second = status(config)
    assert sum(int(s["article_count"]) for s in second.values()) == total  # type: ignore[call-overload]
    for name in GOOD:
        row = next(r for r in out.splitlines() if f"│ {name} " in r)
        assert "unchanged" in row
    assert not any("│ new " in r for r in out.splitlines()), "the second fetch stored something new"
