"""The benchmark's inputs, read at run time: the five seed articles and the demo corpus.

Seeds are read with `read_inputs` exactly as `briefbot brief --input ../shared/seeds` reads them (each
unlabelled file is its own outlet). The demo corpus is read per configured source of config/demo.yaml,
with that source's outlet and labels, as `briefbot brief` with the demo config sees it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from common import DEMO_CONFIG, SEEDS

from bot.core.briefing import to_document
from bot.ingest.files import FileDefaults, read_inputs
from summarizer.engines.base import SummaryOptions
from summarizer.model import Document, Topic


@dataclass(frozen=True)
class Corpus:
    docs: list[Document]
    raw: dict[str, str]  # document key -> the file's text as stored on disk
    topics: list[Topic]
    options: SummaryOptions


def _demo_config_topics() -> tuple[list[Topic], SummaryOptions]:
    from bot.config import load_config

    cfg = load_config(DEMO_CONFIG).config
    topics = [Topic(t.name, tuple(t.aliases)) for t in cfg.topics]
    s = cfg.summarizer
    return topics, SummaryOptions(
        max_stories=s.max_stories, max_bullets=s.max_bullets, max_quotes=s.max_quotes
    )


def load_seeds() -> Corpus:
    """The five seeds as five documents keyed by file name; topics are the demo config's."""
    articles = sorted(read_inputs([SEEDS]), key=lambda a: a.url)
    docs, raw = [], {}
    for a in articles:
        name = Path(a.url.removeprefix("file://")).name
        docs.append(to_document(a, key=name))
        raw[name] = (SEEDS / name).read_text(encoding="utf-8")
    topics, _ = _demo_config_topics()
    return Corpus(docs, raw, topics, SummaryOptions())


def load_demo() -> Corpus:
    """Every demo article with its configured outlet; raw text is the article text ingest produced."""
    from bot.config import load_config

    loaded = load_config(DEMO_CONFIG)
    docs: list[Document] = []
    raw: dict[str, str] = {}
    for src in loaded.config.sources:
        if not src.path:
            continue
        defaults = FileDefaults(outlet=src.outlet, labels=list(src.labels), source_name=src.name)
        for i, a in enumerate(
            sorted(read_inputs([loaded.resolve_path(src.path)], defaults), key=lambda a: a.url)
        ):
            key = f"{src.name}:{i}"
            docs.append(to_document(a, key=key))
            raw[key] = a.text
    topics, options = _demo_config_topics()
    return Corpus(docs, raw, topics, options)


# The multi-outlet events of the demo corpus, found by headline at run time (see corpus/demo/README.md).
DEMO_EVENTS: dict[str, re.Pattern[str]] = {
    "taiwan-destroyer": re.compile(r"destroyer|warship|strait encounter", re.I),
    "black-sea-corridor": re.compile(r"Black Sea|grain", re.I),
    "red-sea-suez": re.compile(r"Red Sea|Suez", re.I),
    "eu-china-cars": re.compile(r"car tariffs|electric car", re.I),
}


def event_docs(corpus: Corpus, event: str) -> list[Document]:
    pattern = DEMO_EVENTS[event]
    found = [d for d in corpus.docs if pattern.search(d.title or "") and not is_live_blog(d)]
    if len({d.outlet for d in found}) < 2:
        raise SystemExit(f"demo event {event!r} should have 2+ outlets; found {[d.title for d in found]}")
    return found


def is_live_blog(doc: Document) -> bool:
    return bool(re.match(r"\s*live\b", doc.title or "", re.I))
