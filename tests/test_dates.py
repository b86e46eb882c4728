"""An article's date: the feed's, the page's metadata, a date its text prints, and only then a file's mtime."""

from __future__ import annotations

import os
import textwrap
from datetime import UTC, datetime
from pathlib import Path

from bot.ingest.files import read_inputs
from bot.render.text import published_date, render_text
from summarizer.dates import date_in_text
from summarizer.model import Briefing, SourceRef

BODY = (
    "The city council approved the budget for the new pier on Tuesday after a three-hour debate. "
    "Construction is due to start in the spring and last two years, the mayor said."
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    os.utime(path, (1_780_000_000, 1_780_000_000))
    return path


def test_datelines_in_their_usual_forms() -> None:
    assert date_in_text("3 min read Post on Jun 26, 2025 NATO chief") == datetime(2025, 6, 26, tzinfo=UTC)
    assert date_in_text("Posted: May 24,2005  Billy King") == datetime(2005, 5, 24, tzinfo=UTC)
    assert date_in_text("September 18th, 2013, 05:31 GMT Microsoft") == datetime(
        2013, 9, 18, 5, 31, tzinfo=UTC
    )
    assert date_in_text("Updated: May 24,2005,3:23 PM ET") == datetime(2005, 5, 24, 15, 23, tzinfo=UTC)
    assert date_in_text("27 NOVEMBER, 2005  Did the earth move") == datetime(2005, 11, 27, tzinfo=UTC)
    assert date_in_text("2024-03-05T10:22 blah") == datetime(2024, 3, 5, 10, 22, tzinfo=UTC)


def test_a_bare_year_a_date_deep_in_the_body_or_in_the_future_is_not_the_articles() -> None:
    assert date_in_text("Unlike the 2004 tsunami, this wave was small.") is None
    assert date_in_text(BODY * 4 + " Talks resume on March 3, 2021.") is None
    assert date_in_text("Posted on Jan 2, 2031", now=datetime(2026, 12, 1, tzinfo=UTC)) is None
    assert date_in_text("February 30, 2024 was no day") is None


def test_files_take_their_metadata_then_their_dateline_then_their_mtime(tmp_path: Path) -> None:
    meta = write(
        tmp_path / "a.md", f"---\npublished: 2026-11-20T08:00:00Z\n---\nPosted on Jan 2, 2026\n\n{BODY}\n"
    )
    printed = write(tmp_path / "b.txt", f"Pier budget approved\n\nPost on Jun 26, 2025\n\n{BODY}\n")
    bare = write(tmp_path / "c.txt", f"Pier budget approved again\n\n{BODY}\n")
    by_file = {Path(a.url.removeprefix("file://")).name: a for a in read_inputs([meta, printed, bare])}
    assert (by_file["a.md"].published, by_file["a.md"].dated_by) == (
        datetime(2026, 11, 20, 8, tzinfo=UTC),
        "page",
    )
    assert (by_file["b.txt"].published, by_file["b.txt"].dated_by) == (
        datetime(2025, 6, 26, tzinfo=UTC),
        "text",
    )
    assert by_file["c.txt"].published == datetime.fromtimestamp(1_780_000_000, UTC)
    assert by_file["c.txt"].dated_by == "file"


def test_a_modification_time_is_shown_as_such() -> None:
    when = datetime(2026, 12, 7, tzinfo=UTC)
    file_ref = SourceRef(1, "Pier", "file:///x.txt", "x", when, dated_by="file")
    text_ref = SourceRef(2, "Pier", "file:///y.txt", "y", when, dated_by="text")
    assert published_date(file_ref) == "file modified 2026-12-07"
    assert published_date(text_ref) == "2026-12-07"
    out = render_text(Briefing(None, when, [], [file_ref, text_ref]))
    assert "No stories" in out or out  # rendering a briefing with such sources never fails
