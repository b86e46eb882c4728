"""The whole extractive pipeline on small hand-written corpora, the cache contract, and speed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from written_docs import written_doc

from summarizer.embed import get_embedder
from summarizer.engines import build_engine
from summarizer.engines.base import Summarizer, SummaryOptions
from summarizer.engines.extractive import ExtractiveSummarizer
from summarizer.model import Briefing, Document, Topic
from summarizer.pipeline import sentences_for_cache

NOW = datetime(2026, 11, 17, 12, tzinfo=UTC)


class CountingEmbedder:
    """The real embedder, counting what it is asked to encode (to prove cache hits)."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.name = inner.name  # type: ignore[attr-defined]
        self.cacheable = inner.cacheable  # type: ignore[attr-defined]
        self.encoded: list[str] = []

    @property
    def dim(self) -> int:
        return int(self.inner.dim)  # type: ignore[attr-defined]

    def encode(self, sentences: Sequence[str]) -> np.ndarray:
        self.encoded.extend(sentences)
        return self.inner.encode(sentences)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def minilm() -> object:
    return get_embedder("minilm")


def _doc(key: str, outlet: str, title: str, paragraphs: list[str], hours_ago: float = 2.0) -> Document:
    return written_doc(key, outlet, title, paragraphs, NOW - timedelta(hours=hours_ago))


STRIKE = [
    "Dock workers in Rotterdam walked out on Monday after wage talks with port operators collapsed.",
    "The strike halted container traffic at Europe's largest port, with 40 ships waiting to unload.",
    '"We have waited long enough," union leader Marco Bakker told reporters outside the terminal.',
    "Port operators said they had offered a 3% raise and would return to talks on Thursday.",
]
STRIKE_B = [
    "Thousands of Rotterdam dockers stopped work on Monday when pay negotiations with port operators broke down.",
    "Around 40 vessels were left waiting at anchor as container handling at the port came to a halt.",
    "Union leader Marco Bakker said members had rejected a 3% offer as far too low.",
    "Shipping lines warned that delays could spread to Antwerp and Hamburg within days.",
]
COMET = [
    "Skywatchers in the northern hemisphere should be able to see a bright comet this week.",
    "Astronomers said the comet would be visible to the naked eye just after sunset on Thursday.",
    "It last passed close to the Sun more than six thousand years ago.",
]


def test_empty_and_non_documents(minilm: object) -> None:
    engine = ExtractiveSummarizer(strict=True, embedder=minilm)
    assert isinstance(engine, Summarizer)
    b = engine.summarize([], Topic("taiwan"), SummaryOptions(now=NOW))
    assert b.stories == [] and b.sources == [] and b.topic == "taiwan"
    assert engine.summarize([None, "x"], None).stories == []  # type: ignore[list-item]
    blank = engine.summarize([_doc("a", "x", "", ["   "])], None)
    assert blank.stories == []


def test_two_outlets_one_event_and_a_syndicated_copy(minilm: object) -> None:
    copy = _doc(
        "c",
        "harbour-ledger",
        "Rotterdam port strike",
        ["By Staff Writer", *STRIKE, "This article was originally published by Port Wire."],
        hours_ago=1,
    )
    docs = [
        _doc("a", "port-wire", "Rotterdam dockers strike over pay", STRIKE),
        _doc("b", "north-times", "Strike halts Rotterdam port", STRIKE_B),
        copy,
        _doc("d", "sky-daily", "Bright comet visible this week", COMET),
    ]
    engine = ExtractiveSummarizer(strict=True, embedder=minilm)
    b = engine.summarize(docs, None, SummaryOptions(now=NOW, max_bullets=3))
    _check_contract(b)
    strike = b.stories[0]
    outlets = {b.source(i).outlet for i in strike.sources}
    assert outlets == {"port-wire", "north-times", "harbour-ledger"}
    assert not strike.single_source
    texts = [x.text for x in strike.bullets + strike.extra_bullets]
    assert len(texts) == len(set(texts))
    # the copy adds an outlet to every bullet taken from the article it copies, never a bullet of its own
    copy_id = next(s.id for s in b.sources if s.key == "c")
    orig_id = next(s.id for s in b.sources if s.key == "a")
    for bullet in strike.bullets + strike.extra_bullets:
        assert (copy_id in bullet.sources) == (orig_id in bullet.sources)
    comet = next(s for s in b.stories if "comet" in s.title.lower())
    assert comet.single_source
    assert 2 <= len(strike.bullets) <= 3
    assert strike.extra_bullets, "the remaining good sentences are kept for /more"


def test_topic_briefing_keeps_only_relevant_stories(minilm: object) -> None:
    docs = [
        _doc("a", "port-wire", "Rotterdam dockers strike over pay", STRIKE),
        _doc("d", "sky-daily", "Bright comet visible this week", COMET),
    ]
    engine = ExtractiveSummarizer(strict=True, embedder=minilm)
    b = engine.summarize(docs, Topic("port strike", ("Rotterdam", "dockers")), SummaryOptions(now=NOW))
    assert [s.title for s in b.stories] == ["Rotterdam dockers strike over pay"]
    assert {s.key for s in b.sources} == {"a"}
    free = engine.summarize(docs, Topic("comet"), SummaryOptions(now=NOW))
    assert len(free.stories) == 1 and "comet" in free.stories[0].title.lower()
    nothing = engine.summarize(docs, Topic("tariffs"), SummaryOptions(now=NOW))
    assert nothing.stories == [] and nothing.sources == []


def test_bullet_length_and_count_options(minilm: object) -> None:
    long_sentence = (
        "According to officials at the port authority, the strike that began on Monday morning has "
        "stopped all container handling at the three largest terminals and left dozens of ships at "
        "anchor, while talks between the union and the operators remain suspended."
    )
    docs = [_doc("a", "port-wire", "Rotterdam dockers strike over pay", [long_sentence, *STRIKE])]
    engine = ExtractiveSummarizer(strict=True, embedder=minilm)
    b = engine.summarize(docs, None, SummaryOptions(now=NOW, bullet_chars=150, max_bullets=2, max_quotes=0))
    story = b.stories[0]
    assert len(story.bullets) == 2 and story.quotes == []
    for bullet in story.bullets + story.extra_bullets:
        assert len(bullet.text) <= 150
        assert bullet.text.rstrip(".") in docs[0].text


def test_cached_sentences_mean_no_reencoding(minilm: object) -> None:
    """Sentence vectors cached with the articles are looked up, never encoded again: the engine encodes
    only each report's lead (for story assignment), once per engine, and the topic's own words."""
    docs = [
        _doc("a", "port-wire", "Rotterdam dockers strike over pay", STRIKE),
        _doc("b", "north-times", "Strike halts Rotterdam port", STRIKE_B),
        _doc("d", "sky-daily", "Bright comet visible this week", COMET),
    ]
    cached = []
    for d in docs:
        strings = sentences_for_cache(d)
        assert strings and len(strings) == len(set(strings))
        vecs = minilm.encode(strings)  # type: ignore[attr-defined]
        cached.append(
            Document(
                d.key,
                d.title,
                d.text,
                d.url,
                d.outlet,
                d.published,
                embeddings=dict(zip(strings, vecs, strict=True)),
            )
        )
    counting = CountingEmbedder(minilm)
    engine = ExtractiveSummarizer(strict=True, embedder=counting)
    with_cache = engine.summarize(cached, None, SummaryOptions(now=NOW))
    sentences = {s for d in cached for s in d.embeddings or {}}
    assert len(counting.encoded) == 3 and not set(counting.encoded) & sentences  # one lead per report
    counting.encoded.clear()
    engine.summarize(cached, Topic("rotterdam"), SummaryOptions(now=NOW))
    assert counting.encoded == ["rotterdam"]  # only the topic's own words
    fresh = ExtractiveSummarizer(strict=True, embedder=minilm).summarize(docs, None, SummaryOptions(now=NOW))
    assert with_cache.to_dict() == fresh.to_dict() | {"generated_at": with_cache.to_dict()["generated_at"]}


def test_tfidf_fallback_engine() -> None:
    docs = [
        _doc("a", "port-wire", "Rotterdam dockers strike over pay", STRIKE),
        _doc("b", "north-times", "Strike halts Rotterdam port", STRIKE_B),
    ]
    engine = ExtractiveSummarizer(embeddings="tfidf", strict=True)
    b = engine.summarize(docs, Topic("rotterdam"), SummaryOptions(now=NOW))
    _check_contract(b)
    assert b.stories and b.stories[0].bullets


def test_build_engine_gives_the_extractive_engine() -> None:
    engine = build_engine("extractive", embeddings="tfidf")
    assert isinstance(engine, ExtractiveSummarizer) and engine.name == "extractive"


def _check_contract(b: Briefing) -> None:
    ids = [s.id for s in b.sources]
    assert ids == list(range(1, len(ids) + 1))
    cited: set[int] = set()
    for story in b.stories:
        assert story.title and len(story.title) <= 100
        for part in (*story.bullets, *story.extra_bullets, *story.quotes):
            assert part.sources and set(part.sources) <= set(ids)
            cited.update(part.sources)
        assert set(story.sources) <= set(ids)
        cited.update(story.sources)
    assert cited == set(ids)


# --- speed -----------------------------------------------------------------------------------------

_PLACES = ["Rotterdam", "Geneva", "Kharkiv", "Taipei", "Cairo", "Odesa", "Jakarta", "Lagos", "Lima", "Oslo"]
_ACTORS = ["ministers", "dock workers", "negotiators", "farmers", "the central bank", "the coast guard"]
_VERBS = ["agreed on", "walked out over", "rejected", "announced", "delayed", "protested against"]
_THINGS = [
    "a new wage deal",
    "a grain corridor",
    "tariffs on steel",
    "a ceasefire plan",
    "a tram line",
    "power cuts",
    "an air-defence fund",
    "a rescue mission",
]


def test_a_line_shared_by_unrelated_articles_is_chrome(minilm: object) -> None:
    footer = "Harbour Daily is part of the Example Media Group, which reaches two million readers every week."
    docs = [
        _doc("a", "harbour-daily", "Rotterdam dockers strike over pay", [*STRIKE, footer]),
        _doc("d", "harbour-daily", "Bright comet visible this week", [*COMET, footer]),
        _doc("b", "north-times", "Strike halts Rotterdam port", [*STRIKE_B, STRIKE[2]]),
    ]
    engine = ExtractiveSummarizer(strict=True, embedder=minilm)
    b = engine.summarize(docs, None, SummaryOptions(now=NOW, max_bullets=5))
    shown = [x.text for s in b.stories for x in (*s.bullets, *s.extra_bullets)]
    assert footer not in shown
    # a quote two reports of the same strike share is reporting, not chrome: it stays, cited by both
    strike = b.stories[0]
    shared = [
        x for x in (*strike.bullets, *strike.extra_bullets, *strike.quotes) if "waited long enough" in x.text
    ]
    assert shared and all(len(x.sources) == 2 for x in shared)


def test_dropping_shared_chrome_keeps_sentence_positions(minilm: object) -> None:
    promo = "Example Media Group reaches two million readers in twelve countries every single week."
    docs = [
        _doc("a", "harbour-daily", "Rotterdam dockers strike over pay", [promo, *STRIKE]),
        _doc("d", "sky-daily", "Bright comet visible this week", [promo, *COMET]),
    ]
    b = ExtractiveSummarizer(strict=True, embedder=minilm).summarize(docs, None, SummaryOptions(now=NOW))
    for story in b.stories:
        for bullet in (*story.bullets, *story.extra_bullets):
            assert bullet.text != promo
            src = b.source(bullet.sources[0]).key
            assert bullet.text in next(d.text for d in docs if d.key == src)


def test_one_plain_sentence_shared_by_two_short_unrelated_articles(minilm: object) -> None:
    shared = "It was the third such notice this month, and more are expected soon."
    docs = [
        _doc(
            "s",
            "one",
            "Storm hits coast",
            [
                f"A storm cut power to 40,000 homes in Brittany on Monday. {shared} "
                "Ferries to the islands were cancelled until Wednesday."
            ],
        ),
        _doc(
            "r",
            "two",
            "Rates on hold",
            [
                f"The central bank in Oslo kept its key rate at 3.75% on Tuesday. {shared} "
                "The krone strengthened slightly after the decision."
            ],
        ),
    ]
    b = ExtractiveSummarizer(strict=True, embedder=minilm).summarize(docs, None, SummaryOptions(now=NOW))
    assert len(b.stories) == 2
    assert all(shared not in x.text for s in b.stories for x in (*s.bullets, *s.extra_bullets))


def test_a_cold_briefing_loads_only_the_models_it_needs(seeds_dir: Path) -> None:
    """In a new process: quote-free texts never load spaCy; quoted ones load it without torch."""
    import subprocess
    import sys

    code = (
        "import sys; from pathlib import Path;"
        "import summarizer.nlp as nlp; from summarizer.engines import build_engine;"
        "from summarizer.model import Document;"
        "e = build_engine('extractive');"
        "plain = [Document(key=f'p{i}', title='Port reopens', outlet=f'O{i}', text='The port of Valletta "
        "reopened on Monday after a storm closed it for two days. Crews cleared the berths.') for i in range(2)];"
        "e.summarize(plain, None, None); print('plain', nlp.is_loaded());"
        "seeds = [Document(key=p.stem, title='', text=p.read_text()) for p in sorted(Path(sys.argv[1]).glob('*.txt'))];"
        "b = e.summarize(seeds, None, None);"
        "print('seeds', nlp.is_loaded(), 'torch' in sys.modules, sum(len(s.quotes) for s in b.stories) > 0)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(seeds_dir)], capture_output=True, text=True, timeout=300, check=True
    )
    assert proc.stdout.split("\n")[:2] == ["plain False", "seeds True False True"], proc.stdout + proc.stderr
