"""Bullets a reader can trust (issue 14), on text written for these tests: every outlet that states a
fact is cited and no other, nothing said twice, consensus titles, plain standalone wording, quotes
of both sides. The support judgement is sabotaged (always yes, always no) to prove the checks bite."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from written_docs import written_doc

from summarizer import support
from summarizer.cite import pick_quotes, tidy_quote
from summarizer.embed import get_embedder
from summarizer.engines.base import SummaryOptions
from summarizer.engines.extractive import ExtractiveSummarizer
from summarizer.model import Briefing, Document, Topic
from summarizer.quotes import QuoteCandidate
from summarizer.rank import Candidate, mmr
from summarizer.relevance import TopicMatcher
from summarizer.titles import TitleCandidate, choose_title
from summarizer.wording import clauses, loaded, main_clause, stands_alone

NOW = datetime(2027, 3, 2, 12, tzinfo=UTC)

# One event (a dam breach) told by three outlets. The breach and the evacuation are told by all
# three in their own words; the compensation figure only by the first; one outlet is loaded.
HARBOUR = [
    "A dam on the Varna river in northern Moldavia burst on Tuesday morning, flooding 14 villages.",
    "Authorities in Iasi evacuated about 3,200 residents from the valley by Tuesday evening.",
    "It said the water would recede within a week.",
    "Regional governor Elena Dobre promised compensation of 900 euros for every flooded household.",
]
DAILY = [
    "Floodwater poured into 14 villages after the Varna river dam in northern Moldavia gave way on Tuesday.",
    "Around 3,200 people were moved out of the valley by the authorities in Iasi on Tuesday.",
    "Engineers had warned for years that the concrete of the 1970s structure was cracking.",
]
TABLOID = [
    "In a shocking catastrophe, the Varna river dam in northern Moldavia has gone full 'Noah' and burst "
    "on Tuesday, drowning 14 villages!",
    "Some 3,200 residents were evacuated from the Varna valley by the Iasi authorities on Tuesday.",
    "Residents who stay will be able to return later.",
]


def _doc(key: str, outlet: str, title: str, paragraphs: list[str]) -> Document:
    return written_doc(key, outlet, title, paragraphs, NOW - timedelta(hours=3))


DOCS = [
    _doc("h", "harbour", "Varna dam bursts, flooding 14 villages in Moldavia", HARBOUR),
    _doc("d", "daily", "Dam gives way on the Varna river, 14 villages under water", DAILY),
    _doc("t", "tabloid", "Moldavia drowns as Noah comes to Varna", TABLOID),
]


@pytest.fixture(scope="module")
def minilm() -> object:
    return get_embedder("minilm")


@contextmanager
def sabotaged(answer: float) -> Iterator[None]:
    """Every support judgement made to say yes (1.0) or no (0.0)."""
    model = support.default_model()
    original = support.SupportModel.probability

    def fixed(self: support.SupportModel, features: np.ndarray) -> np.ndarray:
        return np.full(features.shape[:-1], answer)

    support.SupportModel.probability = fixed  # type: ignore[method-assign]
    try:
        assert support.default_model() is model
        yield
    finally:
        support.SupportModel.probability = original  # type: ignore[method-assign]


def _brief(minilm: object) -> Briefing:
    engine = ExtractiveSummarizer(strict=True, embedder=minilm)
    return engine.summarize(DOCS, None, SummaryOptions(now=NOW, max_bullets=3, max_quotes=0))


def citation_errors(b: Briefing) -> list[str]:
    """What a reader would be misled by in the dam story's citations."""
    errors = []
    if len(b.stories) != 1:
        return [f"{len(b.stories)} stories, want one"]
    story = b.stories[0]
    outlets = {s.id: s.outlet for s in b.sources}
    for bl in [*story.bullets, *story.extra_bullets]:
        cited = {outlets[i] for i in bl.sources}
        if "900 euros" in bl.text and cited != {"harbour"}:
            errors.append(f"the compensation is cited to {sorted(cited)}, only harbour states it")
        if "3,200" in bl.text and len(cited) < 3:
            errors.append(f"the evacuation is cited to {sorted(cited)}, all three state it")
    if not any("900 euros" in bl.text for bl in [*story.bullets, *story.extra_bullets]):
        errors.append("the compensation, a fact of its own, is never told")
    first = story.bullets[0]
    if len({outlets[i] for i in first.sources}) < 3:
        errors.append(f"first bullet {first.text!r} cites {first.sources}, not the most corroborated claim")
    return errors


def test_citations_follow_the_support_model_and_sabotage_is_caught(minilm: object) -> None:
    b = _brief(minilm)
    assert citation_errors(b) == []
    with sabotaged(1.0):
        assert citation_errors(_brief(minilm)), "an always-yes judgement must be caught"
    with sabotaged(0.0):
        assert citation_errors(_brief(minilm)), "an always-no judgement must be caught"


def test_the_dam_story_is_plain_standalone_and_never_repeats(minilm: object) -> None:
    b = _brief(minilm)
    story = b.stories[0]
    texts = [bl.text for bl in [*story.bullets, *story.extra_bullets]]
    assert not any("shocking" in t or "Noah" in t for t in texts), texts  # the plain statement wins
    assert not any(t.startswith(("It ", "Residents who stay")) for t in texts), texts
    villages = [t for t in texts if "14 villages" in t]
    assert len(villages) == 1, villages  # the breach is told once, however many outlets tell it
    assert "Noah" not in story.title


def test_support_on_sentences_written_for_the_test(minilm: object) -> None:
    claim = "A dam on the Varna river in northern Moldavia burst on Tuesday morning, flooding 14 villages."
    evidence = [
        "Floodwater poured into 14 villages after the Varna river dam in northern Moldavia gave way on Tuesday.",
        "Regional governor Elena Dobre promised compensation of 900 euros for every flooded household.",
        "A dam on the Varna river in northern Moldavia burst on Tuesday morning, flooding 41 villages.",
    ]
    story = [claim, *evidence, *HARBOUR, *DAILY]
    vecs = np.asarray(minilm.encode(story), dtype=np.float64)  # type: ignore[attr-defined]
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    claims = [support.claim_of(t) for t in story]
    ctx = support.story_context(vecs, claims)
    p = support.support_probabilities(vecs[:1], vecs[1:4], claims[:1], claims[1:4], ctx)[0]
    threshold = support.default_model().cite_threshold
    assert p[0] >= threshold  # a paraphrase by another outlet
    assert p[1] < threshold  # another fact of the story
    assert p[2] < p[0]  # a different figure weakens it


def test_wording_rules() -> None:
    assert not stands_alone("It said the water would recede within a week.")
    assert not stands_alone("Meanwhile, rescuers searched the valley.")
    assert not stands_alone("Residents who stay will be able to return later.")  # names nothing
    assert stands_alone("Authorities in Iasi evacuated 3,200 residents.")
    assert loaded("In a shocking catastrophe, the dam has gone full 'Noah'!") >= 3
    assert loaded("The dam burst on Tuesday, flooding 14 villages.") == 0
    assert loaded('Dobre called it "a shocking catastrophe".') == 0  # a speaker's words are theirs
    text = "The dam collapsed on Tuesday near Iasi, forcing the authorities to evacuate the whole valley."
    assert clauses(text) == [
        "The dam collapsed on Tuesday near Iasi",
        "forcing the authorities to evacuate the whole valley.",
    ]
    assert main_clause(text) == "The dam collapsed on Tuesday near Iasi."
    assert main_clause("The tension between the two towns, as well as the flood, has grown.") is None


def test_mmr_never_keeps_two_statements_of_one_fact() -> None:
    sim = np.eye(3)
    cands = [Candidate(i, f"s{i}", 1.0 - 0.1 * i, frozenset({f"w{i}"})) for i in range(3)]
    repeats = np.zeros((3, 3), dtype=bool)
    repeats[0, 1] = repeats[1, 0] = True  # sentences 0 and 1 state one fact, in other words
    assert [c.index for c in mmr(cands, sim, 3, repeats=repeats)] == [0, 2]
    assert [c.index for c in mmr(cands, sim, 3)] == [0, 1, 2]


def test_consensus_title_never_takes_a_framing_nobody_shares() -> None:
    v = np.array([1.0, 0.0])
    cands = [
        TitleCandidate("Moldavia drowns as Noah comes to Varna", 0, v),
        TitleCandidate("Varna dam bursts, flooding 14 villages", 1, v * 0.9),
        TitleCandidate("Dam gives way on the Varna river, 14 villages under water", 2, v * 0.8),
        TitleCandidate("Shocking Varna dam horror floods 14 villages", 3, v),
    ]
    agree = np.array(
        [
            [1.0, 0.1, 0.1, 0.2],
            [0.1, 1.0, 0.8, 0.7],
            [0.1, 0.8, 1.0, 0.6],
            [0.2, 0.7, 0.6, 1.0],
        ]
    )
    outlets = ["t", "h", "d", "x"]
    marks = [loaded(c.text) for c in cands]
    title = choose_title(cands, v, "", agree, outlets, marks, threshold=0.5)
    assert title == "Varna dam bursts, flooding 14 villages"  # shared, plain, most agreed with
    assert choose_title(cands[:1], v, "", agree[:1, :1], outlets[:1], marks[:1]) == cands[0].text


def _quote(text: str, speaker: str, sentence: str) -> QuoteCandidate:
    return QuoteCandidate(text, speaker, 0, len(text), sentence)


def test_quotes_of_both_sides_survive_topic_scoring() -> None:
    text_a = (
        "Poland's interior minister Ana Rusu said: “The Varna dam was inspected and we found no fault in it "
        "last spring.” Polish deputy minister Jan Nowak added: “Every house on the Varna will be rebuilt "
        "before winter,” and asked for patience."
    )
    text_b = (
        "In Minsk, Belarusian foreign ministry spokesman Oleg Baranov said: “The flood came from a dam "
        "that our engineers warned about three times,” and called for an inquiry."
    )
    texts = {0: text_a, 1: text_b}
    found = {
        text_a: [
            _quote("The Varna dam was inspected and we found no fault in it last spring", "Ana Rusu", text_a),
            _quote("Every house on the Varna will be rebuilt before winter,", "Jan Nowak", text_a),
        ],
        text_b: [
            _quote(
                "The flood came from a dam that our engineers warned about three times,",
                "Oleg Baranov",
                text_b,
            )
        ],
    }
    matcher = TopicMatcher(Topic("varna", ("Varna",)))  # the topic is named by one side's quotes only
    picked = pick_quotes(texts, texts, {0: "a", 1: "b"}, [], matcher, 2, extract=lambda t: found[t])
    assert {q.speaker for q in picked} == {"Ana Rusu", "Oleg Baranov"}, [q.speaker for q in picked]
    assert all(not q.text.endswith(",") for q in picked)
    assert (
        tidy_quote("keep them busy by attacking our territory,’")
        == "keep them busy by attacking our territory"
    )


def test_a_quote_is_cited_by_every_outlet_that_carries_it(minilm: object) -> None:
    """Quotes are extracted from a few articles, but cited from every article that prints them."""
    quote = "“We will rebuild every bridge on the Varna before the first snow,” said Elena Dobre, the regional governor."
    docs = [
        _doc(
            f"o{i}",
            f"outlet{i}",
            f"Varna dam bursts, flooding 14 villages ({i})",
            [HARBOUR[0], DAILY[1], quote],
        )
        for i in range(9)
    ]
    engine = ExtractiveSummarizer(strict=True, embedder=minilm)
    b = engine.summarize(docs, None, SummaryOptions(now=NOW, max_bullets=2, max_quotes=2))
    assert len(b.stories) == 1
    quotes = [q for q in b.stories[0].quotes if "rebuild every bridge" in q.text]
    assert quotes, b.stories[0].quotes
    assert len(quotes[0].sources) == 9, quotes[0].sources
