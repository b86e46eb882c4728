"""Who published a local file: its front matter, else the folder source's `outlet:`, else the page's
site name (or a feed's title), else the web host of its URL, else the source's name or file name."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from bot.core.protocols import SourceState
from bot.ingest.files import FileSource, read_inputs

BODY = (
    "The harbour authority reopened the northern terminal on Friday after three weeks of repairs to the "
    "crane rails, and said container traffic would be back to normal by the middle of next week."
)
PAGE = """<html><head><title>Terminal reopens</title>{meta}</head><body><article>
<h1>Terminal reopens after repairs</h1><p>{body}</p><p>{body}</p></article></body></html>"""


def outlets(folder: Path, **source: str) -> dict[str, str]:
    if source:
        outcome = asyncio.run(FileSource("desk", folder, **source).fetch(SourceState("desk")))  # type: ignore[arg-type]
        articles = outcome.articles
    else:
        articles = read_inputs([folder])
    return {Path(a.url).name if a.url.startswith("file:") else a.url: a.outlet for a in articles}


def test_front_matter_in_a_text_file_names_outlet_url_and_date(tmp_path: Path) -> None:
    (tmp_path / "story.txt").write_text(
        f"---\noutlet: Harbour Post\nurl: https://harbour.example/terminal\npublished: 2026-11-20T07:30:00Z\n"
        f"---\nTerminal reopens\n\n{BODY}\n"
    )
    (article,) = read_inputs([tmp_path / "story.txt"])
    assert (article.outlet, article.url) == ("Harbour Post", "https://harbour.example/terminal")
    assert article.published == datetime(2026, 11, 20, 7, 30, tzinfo=UTC)
    assert article.title == "Terminal reopens" and "outlet:" not in article.text


def test_precedence_of_the_ways_to_name_an_outlet(tmp_path: Path) -> None:
    (tmp_path / "plain.txt").write_text(f"Terminal reopens\n\n{BODY}\n")
    (tmp_path / "own.md").write_text(f"---\noutlet: Harbour Post\n---\n# Terminal reopens\n\n{BODY}\n")
    (tmp_path / "page.html").write_text(
        PAGE.format(meta='<meta property="og:site_name" content="Coast Radio">', body=BODY)
    )
    (tmp_path / "bare.html").write_text(PAGE.format(meta="", body=BODY))
    (tmp_path / "linked.md").write_text(f"---\nurl: https://www.tidewater.example/a\n---\n{BODY}\n")

    # --input, no source: each file speaks for itself; without any metadata, the file name.
    assert outlets(tmp_path) == {
        "plain.txt": "plain",
        "own.md": "Harbour Post",
        "page.html": "Coast Radio",
        "bare.html": "bare",
        "https://www.tidewater.example/a": "tidewater.example",
    }
    # A folder source with `outlet:` names every file that does not name its own, site names included.
    assert outlets(tmp_path, outlet="Desk News") == {
        "plain.txt": "Desk News",
        "own.md": "Harbour Post",
        "page.html": "Desk News",
        "bare.html": "Desk News",
        "https://www.tidewater.example/a": "Desk News",
    }
    # Without `outlet:`, the source's name comes last, after what the files themselves say.
    assert outlets(tmp_path, outlet="") == {
        "plain.txt": "desk",
        "own.md": "Harbour Post",
        "page.html": "Coast Radio",
        "bare.html": "desk",
        "https://www.tidewater.example/a": "tidewater.example",
    }
