"""Cleaning and segmentation: chrome out, headlines aside, sentences exact and whole."""

from __future__ import annotations

import pytest

from summarizer.clean import (
    MAX_CHARS,
    is_chrome,
    is_fragment,
    is_heading_line,
    is_live_heading,
    normalize_text,
    split_blocks,
)
from summarizer.segment import segment_document, split_sentences

ARTICLE = """Skip to content

Harbour workers strike over pay in Rotterdam

By Anna de Vries and Piet Jansen
5 min read Post on Mar 3, 2026

We use cookies to improve your experience. Accept all cookies to continue.

Dock workers in Rotterdam walked out on Monday after talks on a new wage deal collapsed, halting container traffic at Europe's largest port.

The union said the strike would last 48 hours. "We have waited long enough," union leader Marco Bakker told reporters, adding that members had rejected a 3% offer.

<h3>What the port says</h3>

Port officials said about 40 ships were waiting to unload. Read more: Strike threat grows at other ports

Thank you for reading, the harbour desk is here for you. Don't forget to bookmark this page and come back tomorrow!

Harbour workers strike over pay in Rotterdam

Legal Disclaimer:
Example Wire provides this content to subscribers, without warranty of any kind.
"""


@pytest.mark.parametrize(
    "line",
    [
        "Skip to content",
        "Read also:",
        "Latest",
        "Loading…",
        "close",
        "Table of Contents",
        "Article with TOC",
        "Share this article",
        "5 min read Post on Mar 3, 2026",
        "By Anna de Vries and Piet Jansen",
        "We use cookies to improve your experience. Accept all cookies to continue.",
        "Welcome to your go-to place for port news, tide tables and shipping gossip.",
        "Thank you for choosing the Harbour Desk for your morning reading.",
        "Do not forget to subscribe, so the next edition lands in your inbox.",
        'Example Wire provides this content "as is", with no promise that it is complete.',
        "Stay in the know with alerts from our growing community of readers.",
        "Photo: Reuters/John Smith",
        "Sign up for our daily newsletter",
        "Legal Disclaimer:",
    ],
)
def test_chrome_lines_are_recognised(line: str) -> None:
    assert is_chrome(line)


@pytest.mark.parametrize(
    "sentence",
    [
        "Dock workers in Rotterdam walked out on Monday after talks on a new wage deal collapsed.",
        '"We must be ready for anything," she said. "Nobody here is pretending it is calm."',
        "US officials said the talks would resume in Geneva next week.",
        "By Tuesday, the army had advanced ten kilometres into the region.",
        "The company said its website had been hacked and customer data stolen.",
    ],
)
def test_reporting_is_not_chrome(sentence: str) -> None:
    assert not is_chrome(sentence)


def test_headings_and_fragments() -> None:
    assert is_heading_line("Rising worries over the port's finances")
    assert not is_heading_line("Officials said the port would reopen on Tuesday.")
    assert is_live_heading("Live Updates: Ukraine Conflict")
    assert not is_live_heading("Ukraine says it will keep the corridor open")
    assert is_fragment("These include:")
    assert is_fragment("Monday, 16 November 2026.")
    assert not is_fragment("The union said the strike would last 48 hours.")


def test_normalize_strips_markup_and_joins_hard_wrapped_lines() -> None:
    html = "<div><p>First &amp; only paragraph.</p><script>var x=1;</script><h3>A heading</h3></div>"
    norm = normalize_text(html)
    assert norm.split("\n") == ["First & only paragraph.", "A heading"]
    wrapped = (
        "The minister said on Tuesday that the government would not\n"
        "change its plans for the port, despite the strike that has\n"
        "halted traffic for two days."
    )
    assert normalize_text(wrapped).count("\n") == 0
    # two identical lines are two lines (a repeated headline), not one wrapped paragraph
    assert normalize_text("Headline here\nHeadline here").count("\n") == 1
    assert normalize_text("a\x00b\u200bc") == "abc"
    assert len(normalize_text("word " * 30000)) <= MAX_CHARS


def test_split_blocks_marks_lists_and_keeps_offsets() -> None:
    norm = normalize_text(
        "Intro line without end\n  • First item: details follow here.\n1. Second item text here."
    )
    blocks = split_blocks(norm)
    assert [b.kind for b in blocks] == ["heading", "list", "list"]
    for b in blocks:
        assert norm[b.start : b.start + len(b.text)] == b.text
    assert blocks[1].text.startswith("First item")


def test_split_sentences_keeps_attribution_with_its_quote() -> None:
    text = (
        '"We have waited long enough," union leader Marco Bakker told reporters. The strike began at 6 a.m.'
    )
    spans = split_sentences(text)
    parts = [text[a:b] for a, b in spans]
    assert parts[0].endswith("told reporters.")
    assert parts[1] == "The strike began at 6 a.m."


def test_segment_document_drops_chrome_and_sets_headlines_aside() -> None:
    seg = segment_document("Harbour workers strike over pay in Rotterdam", ARTICLE)
    texts = [s.text for s in seg.sentences]
    joined = " ".join(texts)
    for chrome in (
        "Skip to content",
        "cookies",
        "min read",
        "By Anna",
        "Thank you for visiting",
        "bookmark",
        "without warranty",
        "Read more",
    ):
        assert chrome not in joined, chrome
    assert texts[0].startswith("Dock workers in Rotterdam walked out")
    assert any(
        t.startswith('"We have waited long enough," union leader Marco Bakker told reporters') for t in texts
    )
    assert "What the port says" in seg.headings
    assert "Harbour workers strike over pay in Rotterdam" in seg.headings
    assert not any("Harbour workers strike" in t for t in texts)
    for s in seg.sentences:  # every sentence is an exact slice of the normalised text
        assert seg.text[s.start : s.start + len(s.text)] == s.text


def test_known_sentences_reproduce_the_segmentation() -> None:
    first = segment_document("Harbour workers strike over pay in Rotterdam", ARTICLE)
    known = [s.text for s in first.sentences] + first.headings
    again = segment_document("Harbour workers strike over pay in Rotterdam", ARTICLE, known=known)
    assert [s.text for s in again.sentences] == [s.text for s in first.sentences]


def test_live_blog_markers() -> None:
    text = (
        "Live Updates: World\n\nThe summit opened in Brussels with a call for unity among allies.\n\n"
        "Meanwhile, floods hit the south of the country after days of heavy rain.\n\n"
        "Elsewhere, a court in Paris fined a bank for money laundering on Tuesday."
    )
    seg = segment_document("World news live", text)
    assert seg.live
    assert seg.transitions == 2
    assert len(seg.paragraphs) == 3


@pytest.mark.parametrize(
    "odd",
    [
        "",
        "   \n\n  ",
        "<div><span></span></div>",
        "。。。！！！",
        "a" * 5000,
        "Привет, мир. Это тест.",
        "\x00\x01\x02",
        "<<<>>>" * 100,
    ],
)
def test_segment_never_raises(odd: str) -> None:
    seg = segment_document("", odd)
    assert isinstance(seg.sentences, list)


def test_known_path_ignores_a_title_quoted_inside_a_sentence() -> None:
    text = (
        "Officials said the Rotterdam port strike would end on Friday after a new offer.\n\n"
        "Ships waiting at anchor began to move into the terminals late on Thursday evening."
    )
    title = "Rotterdam port strike"
    first = segment_document(title, text)
    known = [s.text for s in first.sentences] + first.headings + [title]
    again = segment_document(title, text, known=known)
    assert [s.text for s in again.sentences] == [s.text for s in first.sentences]
