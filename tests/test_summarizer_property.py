"""Properties of the extractive engine on arbitrary input: it never raises, never invents a quote,
and never cites a source that is not in the briefing."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from summarizer.engines.base import SummaryOptions
from summarizer.engines.extractive import ExtractiveSummarizer
from summarizer.model import Briefing, Document, Topic
from summarizer.quotes import normalize_for_match
from summarizer.segment import segment_document

NOW = datetime(2026, 11, 17, tzinfo=UTC)

_NAMES = ["Mark Rutte", "Lin Shu-fen", "Gao Jianping", "Olena Marchenko", "the minister", "He", "officials"]
_VERBS = ["said", "told reporters", "warned", "added", "wrote on X", "said on Monday"]
_PLACES = ["Taiwan", "Kyiv", "the Red Sea", "Geneva", "Beijing", "NATO", "the EU", "Odesa"]
_WORDS = [
    "ships",
    "talks",
    "tariffs",
    "drones",
    "grain",
    "troops",
    "prices",
    "the vote",
    "power cuts",
    "a deal",
]

_quote_body = st.builds(
    lambda w1, p, w2, n: f"We will not accept {w1} near {p}, and {w2} must stop within {n} days",
    st.sampled_from(_WORDS),
    st.sampled_from(_PLACES),
    st.sampled_from(_WORDS),
    st.integers(1, 90),
)
_open_close = st.sampled_from([('"', '"'), ("“", "”"), ("‘", "’"), ("«", "»")])
_quoted = st.builds(
    lambda q, oc, n, v: f"{oc[0]}{q},{oc[1]} {n} {v}.",
    _quote_body,
    _open_close,
    st.sampled_from(_NAMES),
    st.sampled_from(_VERBS),
)
_statement = st.builds(
    lambda n, v, w, p, k: f"{n.capitalize()} {v} that {w} in {p} rose by {k}% this week after the talks.",
    st.sampled_from(_NAMES),
    st.sampled_from(_VERBS),
    st.sampled_from(_WORDS),
    st.sampled_from(_PLACES),
    st.integers(0, 500),
)
_noise = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=120)
_chrome = st.sampled_from(
    [
        "Skip to content",
        "Read also:",
        "Loading…",
        "<h3>Latest</h3>",
        "Share this article",
        "We use cookies to improve your experience.",
        "By Anna Smith",
        "close",
        "<p></p>",
    ]
)
_paragraph = st.lists(st.one_of(_quoted, _statement, _noise, _chrome), min_size=1, max_size=5).map(" ".join)
_text = st.lists(_paragraph, min_size=0, max_size=6).map("\n\n".join)


@st.composite
def _documents(draw: st.DrawFn) -> list[Document]:
    n = draw(st.integers(0, 5))
    docs = []
    for i in range(n):
        hours = draw(st.one_of(st.none(), st.floats(0, 200)))
        docs.append(
            Document(
                key=f"k{i}",
                title=draw(st.one_of(st.just(""), _noise, _statement)),
                text=draw(_text),
                url=f"https://o{i}.example/a",
                outlet=draw(st.sampled_from(["", "A", "B", "C"])),
                published=None if hours is None else NOW - timedelta(hours=hours),
            )
        )
    return docs


_topics = st.one_of(
    st.none(),
    st.sampled_from([Topic("taiwan", ("Taiwan", "Taipei")), Topic("tariffs"), Topic("NATO"), Topic("")]),
    _noise.map(Topic),
)


def check_briefing(b: Briefing, docs: list[Document]) -> None:
    """The contract every briefing keeps, whatever went in."""
    by_id = {s.id: s for s in b.sources}
    assert sorted(by_id) == list(range(1, len(by_id) + 1))
    texts = {d.key: d.text for d in docs}
    for story in b.stories:
        assert story.bullets, "a story has at least one bullet"
        for part in (*story.bullets, *story.extra_bullets, *story.quotes):
            assert part.sources and set(part.sources) <= set(by_id)
        assert set(story.sources) <= set(by_id)
        for q in story.quotes:
            needle = normalize_for_match(q.text)
            assert needle
            for sid in q.sources:
                assert needle in normalize_for_match(texts[by_id[sid].key]), (q.text, by_id[sid].key)


@pytest.fixture(scope="module")
def engine() -> ExtractiveSummarizer:
    # tf-idf keeps a hundred examples fast; the MiniLM path runs the same code after the vectors
    return ExtractiveSummarizer(embeddings="tfidf", strict=True)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(docs=_documents(), topic=_topics)
def test_any_input_gives_a_valid_briefing(
    engine: ExtractiveSummarizer, docs: list[Document], topic: Topic | None
) -> None:
    b = engine.summarize(docs, topic, SummaryOptions(now=NOW, max_quotes=3))
    check_briefing(b, docs)


@settings(max_examples=100, deadline=None)
@given(title=_noise, text=st.one_of(_text, _noise))
def test_segmentation_gives_exact_slices(title: str, text: str) -> None:
    seg = segment_document(title, text)
    for s in seg.sentences:
        assert seg.text[s.start : s.start + len(s.text)] == s.text
        assert s.text.strip() == s.text and s.text


def _huge_text(size: int) -> str:
    rng = random.Random(5)
    words = ["Taiwan", "said", "ships", "the", "minister", "on", "Monday", "talks", "NATO", "and"]
    out, n = [], 0
    while n < size:
        sentence = " ".join(rng.choice(words) for _ in range(rng.randint(8, 30))).capitalize() + ". "
        if rng.random() < 0.1:
            sentence = f'"{sentence.strip()}" the minister said. '
        out.append(sentence)
        n += len(sentence)
        if rng.random() < 0.2:
            out.append("\n\n")
    return "".join(out)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t  ",
        "<html><head><script>x()</script></head><body><div><span></span><br/></div></body></html>",
        "<div><p></p><h3></h3></div>" * 500,
        "北约秘书长警告说，中国可能推动俄罗斯进攻北约。台湾问题引发关注。“我们必须做好准备，”他说。",
        "Путин заявил, что переговоры возможны. «Мы готовы к диалогу», — сказал он журналистам в Москве.",
        "مرحبا بالعالم. هذا اختبار للنص العربي الذي يتحدث عن السفن في البحر الأحمر.",
        "🚨🔥📉" * 2000,
        "\x00\x01\x02\ufeff\u200b",
        "a" * 200_000,
        "No punctuation at all just words going on and on " * 3000,
    ],
)
def test_odd_texts_never_raise(engine: ExtractiveSummarizer, text: str) -> None:
    docs = [Document("odd", "", text, outlet="X"), Document("odd2", text[:50], text, outlet="Y")]
    for topic in (None, Topic("taiwan")):
        check_briefing(engine.summarize(docs, topic, SummaryOptions(now=NOW)), docs)


def test_huge_document_is_bounded(engine: ExtractiveSummarizer) -> None:
    import time

    text = _huge_text(500_000)
    docs = [Document("big", "Taiwan talks", text, outlet="X")]
    start = time.perf_counter()
    b = engine.summarize(docs, Topic("taiwan"), SummaryOptions(now=NOW))
    assert time.perf_counter() - start < 30
    check_briefing(b, docs)
    assert b.stories and all(len(x.text) <= 300 for x in b.stories[0].bullets)
