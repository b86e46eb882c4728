"""Feed documents to items: formats, caps, refusals and charset trouble."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
from hostile_server import atom_feed, entity_bomb_feed, json_feed, make_items, rss_feed

from bot.ingest.errors import EntityRefused, FeedError, NotAFeed
from bot.ingest.extract import html_to_text
from bot.ingest.feeds import parse_feed
from bot.ingest.items import item_url

BASE = "http://feeds.test/a"


@pytest.mark.parametrize("render", [rss_feed, atom_feed, json_feed])
def test_rss_atom_and_json_feed_give_the_same_items(render) -> None:  # type: ignore[no-untyped-def]
    items = make_items(3, BASE)
    feed = parse_feed(render(items, "Harbour News"), url="http://feeds.test/feed", max_items=50)
    assert feed.title == "Harbour News"
    assert [i.link for i in feed.items] == [f"{BASE}/0", f"{BASE}/1", f"{BASE}/2"]
    assert [i.title for i in feed.items] == [str(i["title"]) for i in items]
    first = feed.items[0]
    assert first.published == datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    assert first.published.tzinfo is not None
    # HTML summary to text, paragraphs kept apart
    assert first.text.startswith("Item 0 opening paragraph: the harbour council met on day 0.\n\nword0 word1")
    assert "<p>" not in first.text


def test_rdf_feed() -> None:
    doc = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="http://feeds.test/"><title>RDF Wire</title><link>http://feeds.test/</link></channel>
<item rdf:about="http://feeds.test/r1"><title>Port reopens</title><link>http://feeds.test/r1</link>
<description>The port reopened on Monday.</description><dc:date>2025-05-02T10:00:00+02:00</dc:date></item>
</rdf:RDF>"""
    feed = parse_feed(doc, url="http://feeds.test/rdf")
    assert feed.version.startswith("rss10")
    (item,) = feed.items
    assert item.title == "Port reopens" and item.link == "http://feeds.test/r1"
    assert item.published == datetime(2025, 5, 2, 8, 0, tzinfo=UTC)


def test_item_cap_keeps_newest_and_counts_the_rest() -> None:
    items = make_items(30, BASE)
    shuffled = items[10:] + items[:10]  # document order is not date order
    feed = parse_feed(rss_feed(shuffled), url="http://feeds.test/feed", max_items=5)
    assert [i.link for i in feed.items] == [f"{BASE}/{n}" for n in range(5)]
    assert feed.total == 30 and feed.skipped == 25
    assert any("newest 5 of 30" in w for w in feed.warnings)


def test_twenty_thousand_items_are_capped_quickly() -> None:
    doc = rss_feed(make_items(20_000, BASE, words=5))
    started = time.perf_counter()
    feed = parse_feed(doc, url="http://feeds.test/feed", max_items=200)
    elapsed = time.perf_counter() - started
    assert len(feed.items) == 200 and feed.total == 20_000 and feed.skipped == 19_800
    assert feed.items[0].link == f"{BASE}/0" and feed.items[-1].link == f"{BASE}/199"
    assert any("newest 200 of 20000 items; 19800 skipped" in w for w in feed.warnings)
    assert elapsed < 8, f"{elapsed:.1f} s"  # feedparser alone takes ~20 s on this document


def test_long_ill_formed_feed_is_capped_quickly_too() -> None:
    doc = rss_feed(make_items(20_000, BASE, words=5))[:-300] + b"<item><title>unclosed & broken"
    started = time.perf_counter()
    feed = parse_feed(doc, url="http://feeds.test/feed", max_items=100)
    assert len(feed.items) == 100 and feed.items[0].link == f"{BASE}/0"
    assert feed.total >= 19_990
    assert time.perf_counter() - started < 8


def test_entity_declarations_are_refused_before_parsing() -> None:
    started = time.perf_counter()
    with pytest.raises(EntityRefused, match=r"declares XML entities \(<!ENTITY>\)"):
        parse_feed(entity_bomb_feed(), url="http://feeds.test/bomb")
    assert time.perf_counter() - started < 0.5


def test_entity_declaration_in_utf16_is_refused_too() -> None:
    doc = (
        entity_bomb_feed(3)
        .decode()
        .replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="utf-16"?>')
    )
    with pytest.raises(EntityRefused):
        parse_feed(doc.encode("utf-16"), url="http://feeds.test/bomb16")


@pytest.mark.parametrize("body", [b"", b"   \n", b"\xef\xbb\xbf"])
def test_empty_document(body: bytes) -> None:
    with pytest.raises(FeedError, match="empty document"):
        parse_feed(body, url="http://feeds.test/empty")


def test_truncated_xml_is_a_clear_error() -> None:
    with pytest.raises(FeedError, match="not a readable feed"):
        parse_feed(b'<?xml version="1.0"?>\n<!-- nothing here -->\n', url="http://feeds.test/x")


def test_html_is_not_a_feed() -> None:
    page = b"<!DOCTYPE html><html><head><title>Home</title></head><body><p>Welcome</p></body></html>"
    with pytest.raises(NotAFeed, match=r"not a feed \(got HTML\)") as info:
        parse_feed(page, url="http://feeds.test/", content_type="text/html; charset=utf-8")
    assert info.value.html


def test_json_that_is_not_a_json_feed() -> None:
    with pytest.raises(NotAFeed, match="JSON that is not a JSON Feed"):
        parse_feed(json.dumps({"hello": "world"}).encode(), url="http://feeds.test/api")


def test_broken_but_readable_feed_yields_items_with_a_warning() -> None:
    doc = rss_feed(make_items(2, BASE)).replace(b"</channel></rss>", b"<item><title>cut off")
    feed = parse_feed(doc, url="http://feeds.test/feed")
    assert len(feed.items) >= 2
    assert any("not well-formed" in w for w in feed.warnings)


def test_mislabelled_charset_still_gives_valid_text() -> None:
    # declared UTF-8, actually Windows-1252 bytes (é, ’ and an en dash)
    doc = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Caf\u00e9 news</title>'
        "<item><title>Caf\u00e9 owners\u2019 vote \u2013 result</title><link>http://feeds.test/c</link>"
        "<description>The caf\u00e9 vote passed.</description></item></channel></rss>"
    ).encode("cp1252")
    feed = parse_feed(doc, url="http://feeds.test/feed", content_type="application/rss+xml; charset=utf-8")
    (item,) = feed.items
    assert item.title == "Caf\u00e9 owners\u2019 vote \u2013 result"  # feedparser's fallback detection
    assert item.text == "The caf\u00e9 vote passed."


def test_latin1_label_on_utf8_bytes() -> None:
    doc = rss_feed(
        [
            {
                "title": "Zürich talks",
                "link": f"{BASE}/z",
                "guid": f"{BASE}/z",
                "summary": "Talks in Zürich ended.",
            }
        ]
    )
    feed = parse_feed(doc, url="http://feeds.test/feed", content_type="text/xml; charset=iso-8859-1")
    (item,) = feed.items
    assert item.title == "Zürich talks" and item.text == "Talks in Zürich ended."


def test_item_without_link_gets_a_stable_url() -> None:
    doc = b"""<rss version="2.0"><channel><title>t</title>
<item><title>No link here</title><guid isPermaLink="false">tag:x,2025:1</guid><description>Body.</description></item>
</channel></rss>"""
    a = parse_feed(doc, url="http://feeds.test/feed").items[0]
    b = parse_feed(doc, url="http://feeds.test/feed").items[0]
    assert a.link is None
    assert item_url(a, "http://feeds.test/feed") == item_url(b, "http://feeds.test/feed")
    assert item_url(a, "http://feeds.test/feed").startswith("http://feeds.test/feed#item-")


def test_relative_links_are_resolved_against_the_feed_url() -> None:
    doc = b"""<rss version="2.0"><channel><title>t</title>
<item><title>Rel</title><link>/news/1</link><description>x</description></item></channel></rss>"""
    assert parse_feed(doc, url="http://feeds.test/rss/all.xml").items[0].link == "http://feeds.test/news/1"


def test_html_to_text_keeps_paragraphs_and_drops_scripts() -> None:
    html = "<div><h2>Head</h2><p>One &amp; two.</p><script>alert(1)</script><ul><li>a</li><li>b</li></ul>x<br>y</div>"
    assert html_to_text(html) == "Head\n\nOne & two.\n\na\n\nb\n\nx\n\ny"
