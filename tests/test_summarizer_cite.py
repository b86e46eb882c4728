"""Citations: conservative support, stable numbering, verbatim attributed quotes."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from summarizer.cite import SourceList, citation_order, make_evidence, numbers, pick_quotes, supports
from summarizer.model import Document, Topic
from summarizer.rank import content_tokens
from summarizer.relevance import TopicMatcher


def test_numbers_are_normalised() -> None:
    assert numbers("41 million tonnes, 1,000 ships and 3.75%") == frozenset({"41", "1000", "3.75"})


def test_support_needs_meaning_words_and_figures() -> None:
    bullet = "The ministry counted 27 ships and 45 aircraft around the island on Monday."
    vec = np.array([1.0, 0.0], dtype=np.float32)
    same = make_evidence(
        1,
        ["On Monday the ministry counted 27 ships and 45 aircraft around the island."],
        np.array([[0.95, 0.31]], dtype=np.float32),
    )
    other_figures = make_evidence(
        2,
        ["The ministry counted 17 ships and 45 aircraft around the island on Monday."],
        np.array([[0.99, 0.14]], dtype=np.float32),
    )
    far = make_evidence(
        3,
        ["The ministry counted 27 ships and 45 aircraft around the island on Monday."],
        np.array([[0.5, 0.87]], dtype=np.float32),
    )
    toks, figs = frozenset(content_tokens(bullet)), numbers(bullet)
    assert supports(vec, toks, figs, same)
    assert not supports(vec, toks, figs, other_figures)  # a different figure is a different claim
    assert not supports(vec, toks, figs, far)  # same words, vectors say otherwise
    assert not supports(vec, toks, figs, make_evidence(4, [], np.zeros((0, 2), dtype=np.float32)))


def _doc(key: str, published: datetime | None = None) -> Document:
    return Document(
        key=key,
        title=f"title {key}",
        text="t",
        url=f"https://x.example/{key}",
        outlet=key,
        published=published,
    )


def test_source_ids_are_one_based_in_first_citation_order() -> None:
    docs = [_doc("a"), _doc("b"), _doc("c")]
    sl = SourceList(docs)
    assert sl.cite([2]) == [1]
    assert sl.cite([0, 2]) == [1, 2]
    refs = sl.refs({0: "better title"})
    assert [(r.id, r.key, r.title) for r in refs] == [(1, "c", "title c"), (2, "a", "better title")]
    t = datetime(2026, 11, 16, tzinfo=UTC)
    dated = [_doc("z", t), _doc("y", datetime(2026, 11, 15)), _doc("x")]
    assert citation_order([0, 1, 2], dated) == [2, 1, 0]


STORY = {
    0: (
        "Taiwan will protest to Beijing, Defence Minister Lin Shu-fen said on Monday. "
        '"This was a dangerous and deliberate act against a civilian vessel doing its job," Lin said.\n'
        'NATO Secretary-General Jens Stoltenberg said "the alliance is watching the Taiwan Strait very closely".'
    ),
    1: (
        '"This was a dangerous and deliberate act against a civilian vessel doing its job," Defence Minister '
        "Lin Shu-fen told reporters in Taipei.\n"
        'NATO Secretary-General Mark Rutte said "every ally is following the Taiwan Strait with great concern today".'
    ),
    2: (
        'NATO Secretary-General Mark Rutte told reporters "deterrence in the Taiwan Strait matters for Europe too".\n'
        'Admiral Tomas Reyes said "freedom of navigation is not a favour granted by one country to another".'
    ),
}


def test_pick_quotes_merges_sources_and_drops_the_wrong_office_holder() -> None:
    keys = {d: f"doc{d}" for d in STORY}
    picked = pick_quotes(STORY, STORY, keys, bullets=[], matcher=TopicMatcher(Topic("taiwan")), limit=5)
    by_text = {q.text: q for q in picked}
    lin = next(q for t, q in by_text.items() if t.startswith("This was a dangerous"))
    assert lin.speaker == "Lin Shu-fen"
    assert lin.docs == [0, 1]
    assert not any("watching the Taiwan Strait" in t for t in by_text)  # Stoltenberg: 1 source against 2
    for q in picked:
        assert q.speaker is not None
        for d in q.docs:
            assert q.text in STORY[d]


def test_pick_quotes_skips_quotes_repeating_a_bullet() -> None:
    keys = {d: f"doc{d}" for d in STORY}
    bullet = (
        '"This was a dangerous and deliberate act against a civilian vessel doing its job," Defence Minister '
        "Lin Shu-fen told reporters in Taipei."
    )
    picked = pick_quotes(STORY, STORY, keys, bullets=[bullet], matcher=None, limit=5)
    assert not any(q.text.startswith("This was a dangerous") for q in picked)
    assert pick_quotes(STORY, STORY, keys, [], None, limit=0) == []
    assert len(pick_quotes(STORY, STORY, keys, [], None, limit=1)) == 1
