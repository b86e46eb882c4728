"""Local files and folders (`path:` sources and `brief --input`)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hostile_server import article_page, json_feed, make_items, rss_feed

from bot.core.protocols import SourceState
from bot.ingest import files
from bot.ingest.files import FileDefaults, FileSource, InputError, guess_title, read_inputs, read_path

BODY = (
    "The harbour council approved the pier budget on Tuesday after a long debate. "
    "Work starts in spring, officials said, and should last two years."
)


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def test_seed_articles_read_as_five_articles_with_sensible_titles(seeds_dir: Path) -> None:
    articles = read_inputs([seeds_dir])
    seeds = sorted(seeds_dir.glob("*.txt"))
    assert len(articles) == len(seeds) == 5
    titles = [a.title for a in articles]
    assert len(set(titles)) == 5
    for a, path in zip(articles, seeds, strict=True):
        assert a.url == path.resolve().as_uri()
        assert a.outlet == path.stem  # no outlet metadata: each file is its own outlet
        assert a.published is not None and a.published.tzinfo is not None
        assert a.title != path.stem and a.title.lower() != "skip to content"
        assert 15 <= len(a.title) <= 121, a.title
        assert not a.title.endswith("."), a.title
        assert a.title.rstrip("…") in a.text
        first = path.read_text(encoding="utf-8").split("\n", 1)[0].strip()
        if len(first) < 150 and len(first.split()) >= 5 and not first.endswith("."):
            assert a.title == first  # a headline on the first line is the title
        assert len(a.text) > 1000


def test_guess_title_skips_chrome_and_stops_at_the_body() -> None:
    text = (
        "Skip to content\n\nThe council met.\n\nLive Updates: Harbour\n\nCouncil approves pier budget\n\n"
        + "A body paragraph. " * 20
    )
    assert guess_title(text) == "Council approves pier budget"
    body_first = (
        "Officials said on Tuesday that the harbour council had approved the pier budget after a "
        "long debate, which lasted well into the night and ended with a narrow vote in favour.\n\n"
        "Short Subheading Later\n\n"
    )
    title = guess_title(body_first)
    assert title.startswith("Officials said on Tuesday that") and title.endswith("…") and len(title) <= 101
    assert (
        guess_title("Pier budget approved after long night.\n\n" + "Body text. " * 30)
        == "Pier budget approved after long night"
    )
    assert guess_title("") == ""


def test_txt_title_outlet_and_mtime(tmp_path: Path) -> None:
    f = write(tmp_path / "Harbor Ledger" / "pier.txt", f"Pier budget approved\n\n{BODY}\n")
    os.utime(f, (1_750_000_000, 1_750_000_000))
    (a,) = read_inputs([f])
    assert (a.title, a.outlet) == ("Pier budget approved", "pier")  # no outlet metadata: its file name
    assert a.published == datetime.fromtimestamp(1_750_000_000, UTC)
    assert a.text == f"Pier budget approved\n\n{BODY}"


def test_txt_in_legacy_charsets(tmp_path: Path) -> None:
    cyrillic = "Совет гавани утвердил бюджет пирса\n\n" + "Работы начнутся весной, сообщили чиновники. " * 5
    f = write(tmp_path / "ru" / "pier.txt", cyrillic.encode("cp1251"))
    (a,) = read_inputs([f])
    assert a.title == "Совет гавани утвердил бюджет пирса" and "Работы начнутся весной" in a.text
    text = f"Café owners vote in Zürich\n\n{BODY} The café owners’ “crème de la crème” – déjà vu."
    f = write(tmp_path / "n" / "cafe.txt", text.encode("cp1252"))
    (a,) = read_inputs([f])
    assert a.title == "Café owners vote in Zürich" and a.text.endswith(
        "owners’ “crème de la crème” – déjà vu."
    )


def test_markdown_front_matter(tmp_path: Path) -> None:
    f = write(
        tmp_path / "x" / "story.md",
        f"""
        ---
        title: Pier budget approved
        outlet: Harbor Ledger
        url: https://ledger.example/pier
        published: 2025-06-01T09:30:00+02:00
        labels: [Private Media, Local]
        ---
        # Pier budget approved

        The **council** voted. See [the minutes](https://ledger.example/minutes).

        {BODY}
        """,
    )
    (a,) = read_inputs([f])
    assert (a.title, a.outlet, a.url) == (
        "Pier budget approved",
        "Harbor Ledger",
        "https://ledger.example/pier",
    )
    assert a.published == datetime(2025, 6, 1, 7, 30, tzinfo=UTC)
    assert a.labels == ["Private Media", "Local"]
    assert "The council voted. See the minutes." in a.text and "**" not in a.text and "](" not in a.text


def test_markdown_heading_is_the_title_without_front_matter(tmp_path: Path) -> None:
    f = write(tmp_path / "x" / "s.md", f"# Ferry strike ends\n\n{BODY}\n")
    (a,) = read_inputs([f])
    assert a.title == "Ferry strike ends"
    assert a.published is not None  # from the file's mtime


def test_html_file(tmp_path: Path) -> None:
    paras = [f"{BODY} Paragraph {i}." for i in range(4)]
    f = write(
        tmp_path / "site" / "pier.html", article_page("Pier budget approved", paras, site="Ledger Online")
    )
    (a,) = read_inputs([f])
    assert (a.title, a.outlet) == ("Pier budget approved", "Ledger Online")
    assert a.published == datetime(2025, 6, 1, 9, 30, tzinfo=UTC)
    assert "Paragraph 3." in a.text and "Privacy policy" not in a.text
    assert a.url == f.resolve().as_uri()


def test_feed_file_gives_many_articles_with_their_own_links(tmp_path: Path) -> None:
    items = make_items(3, "https://wire.example/a")
    items.append({"title": "No link item", "summary": BODY})
    f = write(tmp_path / "wire" / "feed.xml", rss_feed(items, "Wire Feed"))
    arts = read_inputs([f])
    assert [a.url for a in arts[:3]] == [f"https://wire.example/a/{i}" for i in range(3)]
    assert arts[3].url.startswith(f.resolve().as_uri() + "#item-")
    assert {a.outlet for a in arts} == {"Wire Feed"}


def test_json_variants(tmp_path: Path) -> None:
    jf = write(tmp_path / "j" / "feed.json", json_feed(make_items(2, "https://j.example/a"), "JF"))
    one = write(tmp_path / "j" / "one.json", json.dumps({"title": "One", "text": BODY, "outlet": "O1"}))
    many = write(
        tmp_path / "j" / "many.json",
        json.dumps(
            [
                {
                    "title": "Two",
                    "text": BODY + " two",
                    "url": "https://x.example/2",
                    "published": "2025-05-01T00:00:00Z",
                },
                {"title": "Three", "content": f"<p>{BODY}</p><p>three</p>", "labels": ["L"]},
            ]
        ),
    )
    wrapped = write(
        tmp_path / "j" / "wrapped.json", json.dumps({"articles": [{"title": "Four", "text": BODY}]})
    )
    assert [a.outlet for a in read_inputs([jf])] == ["JF", "JF"]
    (a1,) = read_inputs([one])
    assert (a1.title, a1.outlet, a1.text) == ("One", "O1", BODY)
    a2, a3 = read_inputs([many])
    assert a2.url == "https://x.example/2" and a2.published == datetime(2025, 5, 1, tzinfo=UTC)
    assert a3.text == f"{BODY}\n\nthree" and a3.labels == ["L"] and a3.url.startswith(many.resolve().as_uri())
    assert a2.url != a3.url
    assert [a.title for a in read_inputs([wrapped])] == ["Four"]


def test_jsonl_with_a_bad_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    lines = [
        json.dumps({"title": "A", "text": BODY, "url": "https://x.example/a", "outlet": "X"}),
        "{not json",
        json.dumps({"title": "B", "text": BODY + " b", "labels": ["State Funded Media"]}),
    ]
    f = write(tmp_path / "out" / "a.jsonl", "\n".join(lines) + "\n")
    with caplog.at_level(logging.WARNING):
        arts = read_inputs([f])
    assert [a.title for a in arts] == ["A", "B"]
    assert arts[1].outlet == "a" and arts[1].labels == ["State Funded Media"]
    assert "a.jsonl:2: not JSON" in caplog.text


def test_folder_recursive_sorted_with_warnings(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    write(tmp_path / "b" / "2.txt", f"Second story here\n\n{BODY}")
    write(tmp_path / "a" / "1.txt", f"First story here\n\n{BODY}")
    write(tmp_path / "a" / "deep" / "0.md", f"# Deep story here\n\n{BODY}")
    write(tmp_path / "a" / "photo.jpg", b"\xff\xd8\xff")
    write(tmp_path / ".git" / "x.txt", f"Hidden\n\n{BODY}")
    write(tmp_path / "README.md", "# About this folder\n\nNot news.")
    write(tmp_path / "bad.md", "---\ntitle: [unclosed\n---\nbody")
    with caplog.at_level(logging.WARNING):
        arts = read_inputs([tmp_path])
    assert [a.title for a in arts] == ["First story here", "Deep story here", "Second story here"]
    assert "photo.jpg: skipped, unknown file type" in caplog.text
    assert "bad.md: front matter is not valid YAML" in caplog.text
    assert "Hidden" not in caplog.text and "Traceback" not in caplog.text


def test_oversized_file_is_skipped_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 1000)
    write(tmp_path / "big.txt", "Big one\n\n" + BODY * 20)
    write(tmp_path / "small.txt", f"Small one\n\n{BODY}")
    with caplog.at_level(logging.WARNING):
        arts = read_inputs([tmp_path])
    assert [a.title for a in arts] == ["Small one"]
    assert "big.txt: larger than" in caplog.text


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file_is_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    locked = write(tmp_path / "locked.txt", f"Locked\n\n{BODY}")
    write(tmp_path / "open.txt", f"Open story\n\n{BODY}")
    locked.chmod(0)
    with caplog.at_level(logging.WARNING):
        arts = read_inputs([tmp_path])
    assert [a.title for a in arts] == ["Open story"] and "locked.txt: cannot read" in caplog.text


def test_missing_path_and_empty_folder_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no such file or folder: .*nowhere\.txt"):
        read_inputs([tmp_path / "nowhere.txt"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"no articles found in .*empty \(readable: \.txt, \.md"):
        read_inputs([tmp_path / "empty"])


def test_defaults_from_the_source_config(tmp_path: Path) -> None:
    write(tmp_path / "folder" / "s.txt", f"Story title here\n\n{BODY}")
    result = read_path(
        tmp_path / "folder", FileDefaults(outlet="Configured", labels=["Wire"], source_name="src")
    )
    (a,) = result.articles
    assert (a.outlet, a.labels, a.source_name) == ("Configured", ["Wire"], "src")


def test_file_source_not_modified_until_a_file_changes(tmp_path: Path) -> None:
    folder = tmp_path / "desk"
    f = write(folder / "one.txt", f"One story here\n\n{BODY}")
    src = FileSource("desk", folder, outlet="Desk", labels=["Local"])
    first = asyncio.run(src.fetch(SourceState("desk")))
    assert first.status == "ok" and [a.title for a in first.articles] == ["One story here"]
    second = asyncio.run(src.fetch(SourceState("desk", etag=first.etag)))
    assert second.status == "not_modified" and second.articles == []
    write(folder / "two.txt", f"Two story here\n\n{BODY}")
    third = asyncio.run(src.fetch(SourceState("desk", etag=first.etag)))
    assert third.status == "ok" and len(third.articles) == 2
    os.utime(f, (1_800_000_000, 1_800_000_000))
    assert asyncio.run(src.fetch(SourceState("desk", etag=third.etag))).status == "ok"
    gone = asyncio.run(FileSource("gone", tmp_path / "nope").fetch(SourceState("gone")))
    assert gone.status == "failed" and gone.error == f"path not found: {tmp_path / 'nope'}"
