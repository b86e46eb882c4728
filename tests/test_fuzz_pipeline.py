"""Issue #7 fuzzing: feed bytes → `bot.ingest.feeds.parse_feed` → articles → the extractive
summariser → `Briefing`, on generated hostile feeds (RSS, Atom, RDF, JSON Feed; well-formed,
mislabelled, truncated, spliced with junk) and on raw bytes.

Properties: parsing raises nothing but our `IngestError`s; articles carry valid text and a URL;
the summariser (strict: its errors propagate) returns a `Briefing` whose citations point at real
sources and whose every quote is a verbatim substring of each source it cites.

CI runs a few hundred examples (about a minute); `bench/fuzz/run.py --minutes N` runs the same
strategies and checks for longer and writes what it found into bench/README.md.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.briefing import to_document
from bot.ingest.errors import IngestError
from bot.ingest.feeds import parse_feed
from bot.ingest.items import to_articles
from summarizer.engines import build_engine
from summarizer.engines.base import Summarizer, SummaryOptions
from summarizer.model import Briefing, Document, Topic

BASE = "http://feeds.fuzz.test/feed.xml"
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
MAX_ITEMS = 12
EXAMPLES = int(os.environ.get("BRIEFBOT_FUZZ_EXAMPLES", "0")) or None  # bench/fuzz/run.py raises it

# Fragments that make feeds and news text interesting far more often than random unicode does.
WORDS = [
    "NATO",
    "Rutte",
    "China",
    "Taiwan",
    "Russia",
    "ceasefire",
    "talks",
    "minister",
    "said",
    "warned",
    "the",
    "a",
    "in",
    "on",
    "Kyiv",
    "Beijing",
    "sanctions",
    "troops",
    "border",
    "election",
    "Anna Berg",
    "Omar Haddad",
    "told reporters",
    "according to",
    "on Tuesday",
    "1.5 million",
    "per cent",
    "U.S.",
]
MARKUP = [
    "<p>",
    "</p>",
    "<br>",
    "<b>",
    "</b>",
    "<a href='http://x.test/a'>",
    "</a>",
    "<script>alert(1)</script>",
    "<style>p{}</style>",
    "<img src=x onerror=1>",
    "&amp;",
    "&lt;",
    "&gt;",
    "&quot;",
    "&#8220;",
    "&#x201D;",
    "&nbsp;",
    "&bogus;",
    "&",
    "<",
    ">",
    "]]>",
    "<![CDATA[",
    "<!-- c -->",
    "<div>",
    "</div>",
    "<li>",
    "<h2>",
]
ODD = [
    "“",
    "”",
    "„",
    "«",
    "»",
    "‘",
    "’",
    '"',
    "'",
    "\n",
    "\n\n",
    "\r\n",
    "\t",
    " ",
    ". ",
    ", ",
    ": ",
    "—",
    "…",
    "\u00a0",
    "\u200b",
    "\u202e",
    "\ufeff",
    "\x00",
    "\x07",
    "\x1b[31m",
    "\ud800",
    "\U0001f600",
    "Ünïcödé",
    "北京",
    "مرحبا",
    "@everyone",
    "<@123>",
    "**bold**",
    "x" * 300,
    "\u0301",
    "\uffff",
]
text = st.lists(
    st.one_of(st.sampled_from(WORDS), st.sampled_from(MARKUP), st.sampled_from(ODD), st.text(max_size=15)),
    max_size=60,
).map(" ".join)
sentence_text = st.lists(
    st.lists(st.sampled_from(WORDS), min_size=4, max_size=18)
    .map(" ".join)
    .map(lambda s: s[0].upper() + s[1:] + "."),
    min_size=1,
    max_size=8,
).map(" ".join)
SPEAKERS = [
    "Anna Berg",
    "Omar Haddad",
    "NATO Secretary-General Mark Rutte",
    "the minister",
    "He",
    "Foreign Minister Lina Osei",
    "a spokesperson",
]
# Written for these tests: one invented story told in interchangeable sentences, so that generated
# items cluster into stories and their quotes reach the citation and verbatim checks.
NEWS = [
    "Ministers from the alliance met in Brussels on Tuesday to discuss sanctions and troop rotations.",
    "The talks continued late into the evening as officials weighed new measures against the blockade.",
    "Officials said troops on the eastern border would stay through the winter.",
    "A decision on the new sanctions package is expected before the end of the month.",
    "The harbour authority reported that shipping through the strait had fallen by a third.",
    "Diplomats described the mood in the room as tense but businesslike.",
    "Several delegations asked for more time to consult their parliaments.",
    "Fuel prices rose for a third straight week as tankers waited outside the port.",
]
QUOTES = [
    "Our patience is not endless, and history will judge those who looked away",
    "We will keep every channel open, but we will not trade away our neighbours' security",
    "Nobody in this building wants a wider war, and nobody should mistake restraint for weakness",
    "The next forty-eight hours will decide whether the corridor reopens before winter",
]
NAMED = ["Anna Berg", "Omar Haddad", "Foreign Minister Lina Osei", "NATO Secretary-General Mark Rutte"]
quote_sentence = st.tuples(
    st.sampled_from(QUOTES),
    st.sampled_from(NAMED),
    st.sampled_from(["said", "told reporters", "warned"]),
    st.sampled_from(["“”", '""', "«»"]),
    st.booleans(),
).map(
    lambda t: (
        f"{t[3][0]}{t[0]},{t[3][1]} {t[1]} {t[2]}." if t[4] else f"{t[1]} {t[2]}: {t[3][0]}{t[0]}.{t[3][1]}"
    )
)
news_text = st.lists(
    st.one_of(st.sampled_from(NEWS), quote_sentence, st.sampled_from(MARKUP + ODD)), min_size=2, max_size=10
).map(" ".join)
quoted_text = st.tuples(
    st.sampled_from(SPEAKERS), sentence_text, st.sampled_from(["said", "told reporters"]), sentence_text
).map(lambda t: f"{t[3]} “{t[1]}” {t[0]} {t[2]}. {t[3]}")
body_text = st.one_of(text, sentence_text, quoted_text, news_text, news_text)
links = st.one_of(
    st.none(),
    st.just(""),
    st.integers(0, 50).map(lambda i: f"http://news.fuzz.test/story/{i}"),
    st.integers(0, 50).map(lambda i: f"https://www.news.fuzz.test/story/{i}/?utm_source=rss#top"),
    st.sampled_from(
        [
            "/relative/path",
            "//other.test/x",
            "javascript:alert(1)",
            "file:///etc/passwd",
            "http://10.0.0.1/admin",
            "http://169.254.169.254/",
            "mailto:a@b.test",
            "http://[::1",
            "%%%",
        ]
    ),
    st.text(max_size=30),
)
dates = st.one_of(
    st.none(),
    st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1)).map(
        lambda d: d.replace(tzinfo=UTC)
    ),
    st.sampled_from(
        [
            "",
            "yesterday",
            "Tue, 31 Feb 2025 25:61:00 GMT",
            "0000-00-00",
            "2025-13-45T99:99:99Z",
            "Sun, 01 Jun 2025 12:00:00 +9999",
            "9999-12-31T23:59:59Z",
            "1e400",
        ]
    ),
)


@dataclass
class FuzzItem:
    title: str
    link: str | None
    guid: str | None
    published: datetime | str | None
    body: str
    html: bool = True


item = st.builds(
    FuzzItem,
    title=st.one_of(text, sentence_text),
    link=links,
    guid=st.one_of(st.none(), links, text),
    published=dates,
    body=body_text,
    html=st.booleans(),
)


def _date(value: datetime | str | None, kind: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if kind == "rss":
        from email.utils import format_datetime

        return format_datetime(value, usegmt=True)
    return value.isoformat()


def _xml_text(value: str, raw: bool) -> str:
    """Escaped text, or (sometimes) raw text and markup, which makes the document ill-formed."""
    return value if raw else escape(value)


def render_xml(kind: str, title: str, items: list[FuzzItem], raw: bool, encoding: str) -> bytes:
    t = lambda v: _xml_text(v or "", raw)  # noqa: E731
    if kind == "rss":
        parts = [
            f'<?xml version="1.0" encoding="{encoding}"?>\n<rss version="2.0"><channel><title>{t(title)}</title>'
            "<link>http://news.fuzz.test/</link>"
        ]
        for it in items:
            parts.append(
                "<item>"
                + f"<title>{t(it.title)}</title>"
                + (f"<link>{t(it.link)}</link>" if it.link is not None else "")
                + (f"<guid>{t(it.guid)}</guid>" if it.guid is not None else "")
                + (f"<pubDate>{t(_date(it.published, 'rss'))}</pubDate>" if it.published is not None else "")
                + f"<description>{t(it.body)}</description></item>"
            )
        parts.append("</channel></rss>")
    elif kind == "atom":
        parts = [
            f'<?xml version="1.0" encoding="{encoding}"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>{t(title)}</title><id>urn:fuzz</id>"
        ]
        for it in items:
            kind_attr = "html" if it.html else "text"
            parts.append(
                "<entry>"
                + f"<title>{t(it.title)}</title>"
                + (f"<link href={quoteattr(it.link)}/>" if it.link is not None else "")
                + (f"<id>{t(it.guid)}</id>" if it.guid is not None else "")
                + (f"<updated>{t(_date(it.published, 'atom'))}</updated>" if it.published is not None else "")
                + f'<content type="{kind_attr}">{t(it.body)}</content></entry>'
            )
        parts.append("</feed>")
    else:  # rdf
        parts = [
            f'<?xml version="1.0" encoding="{encoding}"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
            'syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"<channel><title>{t(title)}</title></channel>"
        ]
        for it in items:
            parts.append(
                f"<item rdf:about={quoteattr(it.link or 'urn:x')}><title>{t(it.title)}</title>"
                + (f"<link>{t(it.link)}</link>" if it.link is not None else "")
                + (f"<dc:date>{t(_date(it.published, 'atom'))}</dc:date>" if it.published is not None else "")
                + f"<description>{t(it.body)}</description></item>"
            )
        parts.append("</rdf:RDF>")
    return (
        "".join(parts).encode(encoding, errors="replace")
        if encoding != "utf-8"
        else "".join(parts).encode("utf-8", errors="surrogatepass")
    )


def render_json(title: Any, items: list[FuzzItem], shape: int) -> bytes:
    entries: Any = [
        {
            "id": it.guid,
            "url": it.link,
            "title": it.title,
            ("content_html" if it.html else "content_text"): it.body,
            "date_published": _date(it.published, "atom") or None,
        }
        for it in items
    ]
    if shape == 1:
        entries = {"not": "a list"}
    elif shape == 2:
        entries = [*entries, 42, None, "text", [1, 2]]
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": title, "items": entries}
    return json.dumps(doc, ensure_ascii=bool(shape % 2)).encode("utf-8", errors="surrogatepass")


@st.composite
def feed_documents(draw: st.DrawFn) -> tuple[bytes, str | None]:
    """A feed document and the Content-Type it is served with, often damaged on purpose."""
    kind = draw(st.sampled_from(["rss", "atom", "rdf", "json"]))
    items = draw(st.lists(item, max_size=MAX_ITEMS + 4))
    if items and draw(st.booleans()):
        items = [*items, items[0]]  # a duplicated item
    title = draw(text)
    if kind == "json":
        body = render_json(title, items, draw(st.integers(0, 3)))
        ctype = draw(st.sampled_from(["application/feed+json", "application/json", None, "text/html"]))
    else:
        encoding = draw(st.sampled_from(["utf-8", "utf-8", "iso-8859-1", "windows-1252", "utf-16"]))
        body = render_xml(kind, title, items, raw=draw(st.booleans()), encoding=encoding)
        label = draw(st.sampled_from(["utf-8", "iso-8859-1", "us-ascii", "utf-16", "bogus-charset", None]))
        ctype = draw(
            st.sampled_from(
                [
                    "application/rss+xml",
                    "application/xml",
                    "text/xml",
                    "text/html",
                    "application/octet-stream",
                ]
            )
        )
        ctype = f"{ctype}; charset={label}" if label else ctype
    damage = draw(st.sampled_from(["none", "none", "truncate", "splice", "bom", "doctype", "nul"]))
    if damage == "truncate" and body:
        body = body[: draw(st.integers(0, len(body)))]
    elif damage == "splice":
        at = draw(st.integers(0, len(body)))
        body = body[:at] + draw(st.binary(max_size=40)) + body[at:]
    elif damage == "bom":
        body = draw(st.sampled_from([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"])) + body
    elif damage == "doctype":
        body = re.sub(
            rb"(<\?xml[^>]*\?>)", rb'\1<!DOCTYPE rss SYSTEM "http://10.0.0.1/x.dtd">', body, count=1
        )
    elif damage == "nul":
        body = body.replace(b"<", b"\x00<", 3)
    return body, ctype


# --- the checks ------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class Stats:
    """What the examples exercised (so a fuzz run can say it reached the summariser at all)."""

    documents: int = 0
    refused: int = 0
    articles: int = 0
    stories: int = 0
    quotes: int = 0
    errors: dict[str, int] = field(default_factory=dict)


STATS = Stats()
_ENGINE: Summarizer | None = None


def engine() -> Summarizer:
    """The extractive engine as the app builds it, but strict: a failure inside it fails the example."""
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = build_engine("extractive", strict=True)
    return _ENGINE


def check_pipeline(body: bytes, content_type: str | None, topic: str | None = None) -> Briefing | None:
    """Run one document through the pipeline and assert every property; None if it was refused."""
    STATS.documents += 1
    try:
        feed = parse_feed(body, url=BASE, content_type=content_type, max_items=MAX_ITEMS)
    except IngestError as exc:
        STATS.refused += 1
        name = type(exc).__name__
        STATS.errors[name] = STATS.errors.get(name, 0) + 1
        message = str(exc)
        assert message and "\n" not in message and len(message) < 400, message
        return None
    assert len(feed.items) <= MAX_ITEMS and feed.total >= len(feed.items)
    assert feed.skipped >= 0 and all("\n" not in w for w in feed.warnings)
    articles = to_articles(feed, base_url=BASE, outlet="Fuzz Wire", labels=["fuzz"], source_name="fuzz")
    for a in articles:
        for value in (a.title, a.text, a.url, a.outlet):
            value.encode("utf-8")  # no lone surrogates
            assert not _CONTROL.search(value), repr(value[:80])
        assert a.url and a.title and "\n" not in a.title
    STATS.articles += len(articles)
    docs = [to_document(a, key=f"doc{i}") for i, a in enumerate(articles)]
    briefing = engine().summarize(
        docs, Topic(topic) if topic else None, SummaryOptions(now=NOW, max_stories=3, max_quotes=3)
    )
    check_briefing(briefing, docs)
    return briefing


def check_briefing(briefing: Briefing, docs: list[Document]) -> None:
    assert isinstance(briefing, Briefing)
    by_key = {d.key: d for d in docs}
    ids = [s.id for s in briefing.sources]
    assert len(ids) == len(set(ids)) and all(s.key in by_key for s in briefing.sources)
    source_text = {s.id: by_key[s.key].text for s in briefing.sources}
    for story in briefing.stories:
        STATS.stories += 1
        assert story.title.strip() and set(story.sources) <= set(ids)
        for b in story.bullets + story.extra_bullets:
            assert b.text.strip() and b.sources and set(b.sources) <= set(ids)
        for q in story.quotes:
            STATS.quotes += 1
            assert q.sources and set(q.sources) <= set(ids)
            for sid in q.sources:
                assert q.text in source_text[sid], f"quote {q.text!r} is not in cited source {sid}"
    briefing.to_dict()  # serialisable for the JSON contract


# --- the tests -------------------------------------------------------------------------------------


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=EXAMPLES or examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


@fuzz_settings(80)
@given(feed_documents(), st.one_of(st.none(), st.sampled_from(["NATO", "Taiwan", "ceasefire talks", "x"])))
def test_generated_feeds_through_the_whole_pipeline(doc: tuple[bytes, str | None], topic: str | None) -> None:
    check_pipeline(*doc, topic=topic)


@fuzz_settings(120)
@given(
    st.binary(max_size=4000), st.sampled_from([None, "application/rss+xml", "application/json", "text/html"])
)
def test_random_bytes_are_refused_or_read(body: bytes, content_type: str | None) -> None:
    check_pipeline(body, content_type)


@fuzz_settings(40)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | text,
        lambda c: (
            st.lists(c, max_size=4)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "version",
                        "items",
                        "title",
                        "id",
                        "url",
                        "content_html",
                        "content_text",
                        "summary",
                        "date_published",
                        "external_url",
                    ]
                ),
                c,
                max_size=6,
            )
        ),
        max_leaves=30,
    )
)
def test_json_feed_shapes(data: Any) -> None:
    if isinstance(data, dict):
        data.setdefault("version", "https://jsonfeed.org/version/1")
    check_pipeline(json.dumps(data).encode("utf-8", errors="surrogatepass"), "application/feed+json")


def test_a_readable_feed_reaches_the_summariser_with_quotes() -> None:
    """The properties above are only worth something if generated feeds get that far: one known case."""
    quote = "“Our patience is not endless, and history will judge those who looked away,” Anna Berg said."
    texts = [
        f"NATO ministers met in Brussels on Tuesday to discuss sanctions against Russia and troops on the "
        f"eastern border. {quote} The talks continued late into the evening as officials weighed new measures.",
        f"Alliance ministers gathered in Brussels to weigh fresh sanctions on Russia. {quote} Officials said "
        "troops on the eastern border would stay through the winter.",
        "Ministers from the alliance discussed sanctions against Russia and the deployment of troops on the "
        f"eastern border. {quote} A decision is expected next month.",
    ]
    items = [
        FuzzItem(
            "NATO ministers weigh sanctions",
            f"http://news{i}.fuzz.test/story/{i}",
            None,
            NOW - timedelta(hours=i),
            body,
        )
        for i, body in enumerate(texts)
    ]
    briefing = check_pipeline(
        render_xml("rss", "Fuzz", items, raw=False, encoding="utf-8"), "application/rss+xml"
    )
    assert briefing is not None and len(briefing.stories) == 1
    [q] = briefing.stories[0].quotes
    assert q.speaker == "Anna Berg" and len(q.sources) == 3
    assert q.text == "Our patience is not endless, and history will judge those who looked away"
