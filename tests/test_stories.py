"""The story assigner: reports of one event join, look-alike events stay apart, merges keep old ids.

Reports are written for these tests (tests/story_cases.py); the real MiniLM model embeds them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest

from summarizer.entities import figures, names, years
from summarizer.items import is_roundup, split_items
from summarizer.segment import segment_document
from summarizer.stories import (
    FEATURES,
    PairScorer,
    StoryAssigner,
    StoryState,
    TermStats,
    Weights,
    build_signatures,
    default_weights,
)
from summarizer.stories.terms import TermCounts, term_counts
from tests.story_cases import COMET, OTHER_STRIKE, STRIKE, T0, VOTE, all_documents, documents


@pytest.fixture(scope="module")
def embedder():
    from summarizer.embed import get_embedder

    return get_embedder("minilm")


def _groups(stories) -> set[frozenset[str]]:
    return {frozenset(k.rstrip("0123456789") for k in s.members) | {f"n={len(s.members)}"} for s in stories}


def test_names_are_specific_entities() -> None:
    found = names(
        "NATO Secretary-General Mark Rutte met Chinese officials in the Red Sea port of Jeddah on Nov 18. "
        "Officials said little."
    )
    assert "rutte" in found and any("mark rutte" in n for n in found) and "jeddah" in found
    assert "chinese" not in found  # a demonym says nothing about which event
    assert "sea" not in found  # "Red Sea" and "Black Sea" share no entity
    assert "nov" not in found and "officials" not in found
    assert "meridian wire" not in names("CAIRO (Meridian Wire) - Ships", frozenset({"meridian wire"}))


def test_figures_ignore_years_and_small_numbers() -> None:
    assert figures("In 2026, 3 ships and 120 metres, 41,000 tonnes and 19.5 percent") == {
        "120",
        "41000",
        "19.5",
    }


def test_years_are_four_digit_years_not_counts_or_pieces_of_numbers() -> None:
    assert years("The 2005 quake, not the one of 1999; 2,000 people, 12.2013, 20155 and $2008.50") == {
        2005,
        1999,
    }


def test_reports_naming_years_apart_are_less_likely_one_event(embedder) -> None:
    """Two quakes on one island, told in the same words, three years apart: the years tell them apart."""
    from summarizer.model import Document

    def report(key: str, year: int) -> Document:
        return Document(
            key,
            "Quake hits island off southern coast",
            f"A 5.6 magnitude earthquake hit Qeshm island on Sunday, November 27, {year}, injuring five "
            "people and damaging homes in three villages. Rescue teams reached the villages by noon.",
            outlet=f"{key}.example",
        )

    a, same, apart = build_signatures([report("a", 2005), report("b", 2005), report("c", 2008)], embedder)
    assert a.years == same.years == {2005} and apart.years == {2008}
    stats = TermStats()
    for sig in (a, same, apart):
        stats.add(sig.terms, sig.names)
    scorer = PairScorer(stats)
    f_same, f_apart = scorer.features(a, same), scorer.features(a, apart)
    column = FEATURES.index("years_apart")
    assert f_same[column] == 0.0 and f_apart[column] == pytest.approx(np.log1p(3))
    assert scorer.probability(a, apart) < scorer.probability(a, same)


def test_live_blog_is_cut_at_transitions() -> None:
    text = (
        "Live Updates: World\n\n"
        "The summit in Brussels opened with a call for unity among allies.\n\n"
        "Leaders also agreed to meet again in spring to review progress.\n\n"
        "Meanwhile, floods hit the south of the country after days of rain.\n\n"
        "Elsewhere, a court in Paris fined a bank for money laundering."
    )
    seg = segment_document("World news live", text)
    assert is_roundup(seg)
    vecs = np.array([[1, 0, 0], [0.9, 0.43, 0], [0.9, 0.43, 0], [0, 0, 1]], dtype=np.float32)
    assert [len(i) for i in split_items(seg, vecs, roundup=True)] == [2, 1, 1]
    assert split_items(seg, vecs, roundup=False) == [[s.index for s in seg.sentences]]


def test_term_statistics_weigh_rare_words_and_survive_storage() -> None:
    stats = TermStats()
    counts = term_counts(["the port strike in rotterdam", "the port of antwerp", "a port in the north"])
    for c in counts:
        stats.add(c, [])
    ids, weights = stats.weighted(counts[0])
    by_id = dict(zip(ids.tolist(), weights.tolist(), strict=True))
    port, rotterdam = term_counts(["port"])[0].ids[0], term_counts(["rotterdam"])[0].ids[0]
    assert by_id[int(rotterdam)] > by_id[int(port)]  # in one report of three vs in all three
    again = TermStats.from_bytes(stats.to_bytes())
    assert again.documents == 3 and np.array_equal(again.df, stats.df)
    assert TermCounts.from_bytes(counts[0].to_bytes()).ids.tolist() == counts[0].ids.tolist()
    assert not len(term_counts(["the and of"])[0].ids)  # stop words only


def test_shipped_weights_name_every_feature_and_a_threshold() -> None:
    w = default_weights()
    assert 0.0 < w.threshold < 1.0
    assert Weights.from_dict(w.to_dict()) == w
    assert set(w.to_dict()["alike"]) == {"bias", *FEATURES[:7]}


def test_each_event_is_one_story_and_look_alikes_stay_apart(embedder) -> None:
    sigs = build_signatures(all_documents(), embedder)
    stories = StoryAssigner().assign_all(sigs)
    groups = sorted(sorted(s.members) for s in stories)
    assert groups == [
        ["antwerp0", "antwerp1"],
        ["comet0", "comet1", "comet2"],
        ["strike0", "strike1", "strike2"],
        ["vote0", "vote1", "vote2"],
    ]


def test_the_scorer_decides_not_the_order(embedder) -> None:
    """Online assignment in any order, merging the stories a report bridges, groups reports as the batch
    does."""
    docs = all_documents()
    batch = {frozenset(s.members) for s in StoryAssigner().assign_all(build_signatures(docs, embedder))}
    for seed in (1, 2):
        order = np.random.default_rng(seed).permutation(len(docs)).tolist()
        assigner = StoryAssigner()
        for sig in build_signatures([docs[i] for i in order], embedder):
            a = assigner.ingest(sig)
            assigner.merge(pairs=[(a.story, other) for other in a.also])  # what ingest does
        assert {frozenset(s.members) for s in assigner.stories.values()} == batch


def test_a_merge_keeps_the_absorbed_id_as_an_alias(embedder) -> None:
    """Two halves of one event opened as two stories (their bridge came later) merge into one."""
    sigs = build_signatures(documents(STRIKE, "strike", T0) + documents(COMET, "comet", T0), embedder)
    assigner = StoryAssigner()
    for sig in sigs:
        assigner.stats.add(sig.terms, sig.names)
        assigner.neighbours.add(sig)
    halves = []
    for name, part in (("first", sigs[:1]), ("second", sigs[1:3])):  # the strike, split by hand in two
        story = StoryState(name)
        for sig in part:
            story.add(sig)
        assigner.load([story])
        halves.append(name)
    for sig in sigs[3:]:
        assert assigner.assign(sig).story not in halves  # the comet opens its own
    merges = assigner.merge(halves)
    assert len(merges) == 1 and {merges[0].kept, merges[0].absorbed} == set(halves)
    kept, gone = merges[0].kept, merges[0].absorbed
    assert assigner.resolve(gone) == kept and gone in assigner.stories[kept].aliases
    assert sorted(assigner.stories[kept].members) == ["strike0", "strike1", "strike2"]
    assert len(assigner.stories) == 2  # the comet stays its own story


def test_time_apart_counts_against_one_event(embedder) -> None:
    """The same strike text dated four months later scores lower than dated the same day."""
    doc = documents(STRIKE, "strike", T0)
    later = [replace(d, key=d.key + "x", published=d.published + timedelta(days=120)) for d in doc]
    sigs = build_signatures(doc + later, embedder)
    stats = TermStats()
    for s in sigs:
        stats.add(s.terms, s.names)
    scorer = PairScorer(stats)
    by_key = {s.key: s for s in sigs}
    same_day = scorer.probability(by_key["strike0"], by_key["strike1"])
    months = scorer.probability(by_key["strike0"], by_key["strike1x"])
    assert months < same_day


def test_other_strike_is_the_look_alike(embedder) -> None:
    """The look-alike really is alike: its reports are closer to the strike than to the comet or the vote."""
    sigs = {s.key: s for s in build_signatures(all_documents(), embedder)}
    strike, antwerp = sigs["strike0"].vector, sigs["antwerp0"].vector
    assert float(strike @ antwerp) > max(
        float(sigs["comet0"].vector @ antwerp), float(sigs["vote0"].vector @ antwerp)
    )
    assert len(OTHER_STRIKE) == 2 and len(VOTE) == 3
