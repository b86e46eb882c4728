"""Structural checks of the bundled demo corpus (corpus/demo) and its config (config/demo.yaml).

The corpus is the first thing a newcomer sees, and the summariser's behavioural tests rely on the
properties checked here: a multi-outlet event sharing verbatim quotes, one syndicated near-copy, a live
blog whose unrelated items match no topic, page chrome to clean, and every input format. The reader
below is deliberately independent of bot.ingest so a corpus defect is told apart from an ingest bug.
"""

from __future__ import annotations

import difflib
import itertools
import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import feedparser
import lxml.html
import pytest
import yaml
from shared_data import SHARED, shared_path

from bot.config import load_config

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus" / "demo"
CONFIG = REPO / "config" / "demo.yaml"
SEEDS = SHARED / "seeds"

TAIWAN_EVENT_MARK = "Hai An"  # the cutter's name appears in every telling of the event
SYNDICATION_LINE = "originally published by Meridian Wire"
QUOTE_RE = re.compile(r"[\"“]([^\"“”]{20,}?)[\"”]")


@dataclass(frozen=True)
class Item:
    path: Path
    fmt: str
    title: str
    text: str
    outlet: str | None
    url: str | None
    published: datetime | None


def _front_matter(path: Path) -> Item:
    raw = path.read_text(encoding="utf-8")
    assert raw.startswith("---\n"), f"{path} has no YAML front matter"
    _, meta_text, body = raw.split("---\n", 2)
    meta = yaml.safe_load(meta_text)
    published = meta.get("published")
    if isinstance(published, str):
        published = datetime.fromisoformat(published.replace("Z", "+00:00"))
    return Item(path, "md", meta["title"], body.strip(), meta.get("outlet"), meta.get("url"), published)


def _html(path: Path) -> Item:
    doc = lxml.html.fromstring(path.read_bytes())

    def meta(prop: str) -> str | None:
        found = doc.xpath(f"//meta[@property='{prop}']/@content")
        return str(found[0]) if found else None

    article = doc.xpath("//article")
    assert article, f"{path} has no <article> element"
    text = "\n\n".join(p.text_content().strip() for p in article[0].xpath(".//p|.//h2"))
    published = meta("article:published_time")
    return Item(
        path,
        "html",
        doc.findtext(".//title") or "",
        text,
        meta("og:site_name"),
        meta("og:url"),
        datetime.fromisoformat(published) if published else None,
    )


def _feed(path: Path) -> list[Item]:
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, f"{path} is not well-formed: {parsed.get('bozo_exception')}"
    items = []
    for entry in parsed.entries:
        body = lxml.html.fromstring(entry.content[0].value).text_content()
        published = datetime(*entry.published_parsed[:6]) if entry.get("published_parsed") else None
        items.append(Item(path, "rss", entry.title, body.strip(), parsed.feed.title, entry.link, published))
    return items


def _jsonl(path: Path) -> list[Item]:
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            items.append(
                Item(
                    path,
                    "jsonl",
                    row["title"],
                    row["text"],
                    row.get("outlet"),
                    row.get("url"),
                    datetime.fromisoformat(row["published"]),
                )
            )
    return items


def _txt(path: Path) -> Item:
    first, _, rest = path.read_text(encoding="utf-8").partition("\n")
    return Item(path, "txt", first.strip(), rest.strip(), None, None, None)


def read_corpus() -> list[Item]:
    items: list[Item] = []
    for path in sorted(CORPUS.rglob("*")):
        if path.is_dir() or path.parent == CORPUS:  # the README at the top is not an article
            continue
        suffix = path.suffix
        if suffix == ".md":
            items.append(_front_matter(path))
        elif suffix == ".html":
            items.append(_html(path))
        elif suffix == ".xml":
            items.extend(_feed(path))
        elif suffix == ".jsonl":
            items.extend(_jsonl(path))
        elif suffix == ".txt":
            items.append(_txt(path))
        else:
            pytest.fail(f"unexpected file in the demo corpus: {path}")
    return items


@pytest.fixture(scope="module")
def corpus() -> list[Item]:
    return read_corpus()


@pytest.fixture(scope="module")
def loaded():
    return load_config(CONFIG)


@pytest.fixture(scope="module")
def outlet_of_folder(loaded) -> dict[Path, str]:
    return {loaded.resolve_path(s.path): s.outlet for s in loaded.config.sources}


def outlet(item: Item, outlet_of_folder: dict[Path, str]) -> str:
    return item.outlet or outlet_of_folder[item.path.parent.resolve()]


def words(text: str) -> int:
    return len(re.findall(r"\w+", text))


def alias_pattern(terms: list[str]) -> re.Pattern[str]:
    return re.compile(r"\b(" + "|".join(re.escape(t) for t in terms) + r")\b", re.IGNORECASE)


# --- size, formats, metadata -------------------------------------------------------------------


def test_corpus_has_16_to_20_articles_of_150_to_450_words(corpus: list[Item]) -> None:
    assert 16 <= len(corpus) <= 20
    for item in corpus:
        assert 150 <= words(item.text) <= 450, f"{item.path.name} / {item.title!r}: {words(item.text)} words"


def test_every_input_format_is_present(corpus: list[Item]) -> None:
    by_fmt = {fmt: sum(1 for i in corpus if i.fmt == fmt) for fmt in ("md", "html", "txt", "rss", "jsonl")}
    assert all(by_fmt.values()), by_fmt
    assert 2 <= by_fmt["rss"] <= 3
    assert by_fmt["jsonl"] == 2


def test_five_outlets_and_metadata_agree_with_the_config(corpus, outlet_of_folder) -> None:
    outlets = {outlet(i, outlet_of_folder) for i in corpus}
    assert len(outlets) == 5, outlets
    assert outlets == set(outlet_of_folder.values())
    for item in corpus:
        configured = outlet_of_folder[item.path.parent.resolve()]
        if item.outlet is not None:
            # Front matter wins in ingest, so it must agree with the folder's source (the syndicated
            # copy lives in its republisher's folder and names the republisher).
            assert item.outlet == configured, f"{item.path}: {item.outlet!r} vs folder {configured!r}"


def test_dates_urls_and_titles(corpus: list[Item]) -> None:
    for item in corpus:
        assert item.title and len(item.title) <= 120 and not item.title.endswith("."), item.title
        if item.fmt == "txt":
            continue  # a .txt has only its headline; the ingest dates it by mtime
        assert item.url and re.match(r"^https://[a-z0-9.-]+\.example/", item.url), item.url
        assert item.published is not None, item.path
        assert (item.published.year, item.published.month) == (2026, 11), item.published
    timed = [i for i in corpus if i.fmt in ("md", "html", "jsonl")]
    assert all(i.published and i.published.tzinfo is not None for i in timed)


# --- the multi-outlet event ---------------------------------------------------------------------


def _event(corpus: list[Item]) -> list[Item]:
    """The full articles on the cutter incident (the live blog's follow-up item is not one)."""
    return [i for i in corpus if TAIWAN_EVENT_MARK in i.text and "Live:" not in i.title]


def _lede(item: Item) -> str:
    """The first paragraph that is prose, not a byline or photo credit."""
    return next(p for p in item.text.split("\n\n") if words(p) > 25)


def test_main_event_is_told_by_four_outlets_with_agreeing_figures(corpus, outlet_of_folder) -> None:
    event = _event(corpus)
    assert len({outlet(i, outlet_of_folder) for i in event}) >= 4
    for item in event:
        for fact in (
            "120 metres",
            "38 nautical miles",
            "9:40",
            "27 Chinese navy ships",
            "45 military aircraft",
        ):
            assert fact in item.text, f"{item.title!r} lacks {fact!r}"
    ledes = [_lede(i) for i in event]
    for a, b in itertools.combinations(ledes, 2):
        assert difflib.SequenceMatcher(None, a, b).ratio() < 0.6, "two outlets share a lede"


def test_main_event_shares_quotes_verbatim_across_outlets(corpus, outlet_of_folder) -> None:
    outlets_by_quote: dict[str, set[str]] = {}
    for item in _event(corpus):
        for quote in QUOTE_RE.findall(item.text):
            outlets_by_quote.setdefault(quote.strip(" ,."), set()).add(outlet(item, outlet_of_folder))
    shared = {q: o for q, o in outlets_by_quote.items() if len(o) >= 2}
    assert len(shared) >= 3, shared
    assert max(len(o) for o in shared.values()) >= 3


def test_speaker_is_introduced_then_referred_to_by_surname_and_pronoun(corpus) -> None:
    texts = [i.text for i in corpus if "Defence Minister Lin Shu-fen" in i.text]
    assert len(texts) >= 3
    assert any(re.search(r"\bLin (said|added|told)\b", t) for t in texts)
    assert any(re.search(r"\bshe said\b|\bShe said\b", t) for t in texts)
    for t in texts:
        first = re.search(r"\bLin\b", t)
        assert first and t.startswith("Lin Shu-fen", first.start()), "surname used before the full name"


# --- syndication ----------------------------------------------------------------------------------


def _shingles(item: Item, n: int = 3) -> set[tuple[str, ...]]:
    toks = re.findall(r"\w+", item.text.lower())
    return {tuple(toks[i : i + n]) for i in range(len(toks) - n + 1)}


def test_exactly_one_syndicated_near_copy(corpus, outlet_of_folder) -> None:
    near: list[tuple[Item, Item, float]] = []
    shingles = {id(i): _shingles(i) for i in corpus}
    for a, b in itertools.combinations(corpus, 2):
        if outlet(a, outlet_of_folder) == outlet(b, outlet_of_folder):
            continue
        sa, sb = shingles[id(a)], shingles[id(b)]
        jaccard = len(sa & sb) / len(sa | sb)
        if jaccard >= 0.3:
            near.append((a, b, jaccard))
    assert len(near) == 1, [(a.title, b.title, r) for a, b, r in near]
    a, b, jaccard = near[0]
    assert jaccard >= 0.8
    ratio = difflib.SequenceMatcher(None, a.text, b.text, autojunk=False).ratio()
    assert ratio >= 0.9, ratio
    original, copy = (a, b) if SYNDICATION_LINE in b.text else (b, a)
    assert SYNDICATION_LINE in copy.text and SYNDICATION_LINE not in original.text
    assert outlet(original, outlet_of_folder) == "Meridian Wire"
    assert original.title != copy.title
    assert "By Daniel Ross, Meridian Wire" in copy.text


# --- live blog ------------------------------------------------------------------------------------


def _live_items() -> list[str]:
    [path] = [p for p in CORPUS.rglob("*.html") if "Live:" in p.read_text(encoding="utf-8")]
    doc = lxml.html.fromstring(path.read_bytes())
    posts = doc.xpath("//article//section[time]")
    return [p.text_content() for p in posts]


def test_live_blog_has_one_relevant_item_and_unrelated_items_match_no_topic(loaded) -> None:
    items = _live_items()
    assert 5 <= len(items) <= 7
    patterns = {t.name: alias_pattern([t.name, *t.aliases]) for t in loaded.config.topics}
    relevant = [i for i in items if any(p.search(i) for p in patterns.values())]
    assert len(relevant) == 1 and TAIWAN_EVENT_MARK in relevant[0]
    for item in items:
        if item is relevant[0]:
            continue
        hits = {name: p.findall(item) for name, p in patterns.items() if p.search(item)}
        assert not hits, f"an unrelated live-blog item matches topics {hits}: {item[:80]!r}"


# --- chrome and provenance --------------------------------------------------------------------------


def test_page_chrome_is_present_for_the_cleaner_to_remove() -> None:
    raw = "\n".join(p.read_text(encoding="utf-8") for p in CORPUS.rglob("*") if p.is_file())
    for chrome in (
        "We use cookies to improve your experience",
        "Accept all",
        "Skip to content",
        "Read more:",
        "Share this article",
        "Sign up for our newsletter",
    ):
        assert raw.count(chrome) >= 2, chrome
    assert re.search(r"Photo: Harbor Ledger/[A-Z]\. \w+", raw)


def test_readme_says_the_text_is_fictional() -> None:
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    assert "fictional" in readme.lower() and "licence" in readme.lower()


def test_no_seed_text_was_copied(corpus: list[Item]) -> None:
    shared_path("seeds")

    def shingles(text: str, n: int = 8) -> set[tuple[str, ...]]:
        toks = re.findall(r"\w+", text.lower())
        return {tuple(toks[i : i + n]) for i in range(len(toks) - n + 1)}

    seed = set().union(*(shingles(p.read_text(encoding="utf-8")) for p in SEEDS.glob("*.txt")))
    for item in corpus:
        assert not (shingles(item.text) & seed), f"{item.path.name} shares an 8-word run with the seeds"


# --- the demo config --------------------------------------------------------------------------------


def test_demo_config_validates_and_points_at_the_corpus(loaded) -> None:
    cfg = loaded.config
    assert cfg.storage.url == "sqlite:///~/.local/share/briefbot/demo.db"
    assert {t.name for t in cfg.topics} == {"taiwan", "ukraine", "middle-east", "nato", "china", "trade"}
    s = cfg.summarizer
    assert (s.engine, s.max_stories, s.max_bullets, s.since.days) == ("extractive", 5, 4, 3650)
    folders = {loaded.resolve_path(src.path) for src in cfg.sources}
    assert folders == {p.resolve() for p in CORPUS.iterdir() if p.is_dir()}
    labels = {src.outlet: src.labels for src in cfg.sources}
    assert labels["Meridian Wire"] == ["Wire Service"]
    assert {lab for ls in labels.values() for lab in ls} >= {
        "Public Broadcaster",
        "State Funded Media",
        "Private Media",
    }


def test_every_topic_matches_the_corpus(corpus, loaded) -> None:
    text = "\n".join(i.title + "\n" + i.text for i in corpus)
    for topic in loaded.config.topics:
        hits = alias_pattern([topic.name, *topic.aliases]).findall(text)
        assert len(hits) >= 3, f"topic {topic.name} matches the demo corpus only {len(hits)} times"


def test_ingest_reads_the_whole_corpus(corpus) -> None:
    files = pytest.importorskip("bot.ingest.files", reason="bot/ingest/files.py not written yet")
    folders = sorted(p for p in CORPUS.iterdir() if p.is_dir())
    articles = files.read_inputs(folders)
    assert len(articles) == len(corpus)
    assert {a.title for a in articles if a.title} >= {i.title for i in corpus if i.fmt != "html"}
