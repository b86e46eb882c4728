"""Ranking: corroborated fresh stories first, central non-repeating bullets, faithful trimming."""

from __future__ import annotations

import numpy as np

from summarizer.rank import (
    Candidate,
    content_tokens,
    fit_bullet,
    lexrank,
    mmr,
    quote_share,
    recency,
    standalone_penalty,
    story_score,
    strip_dateline,
    token_overlap,
)


def test_story_score_prefers_corroborated_fresh_relevant() -> None:
    assert story_score(4, 2.0, 1.0) > story_score(1, 2.0, 1.0)
    assert story_score(2, 1.0, 1.0) > story_score(2, 72.0, 1.0)
    assert story_score(2, 1.0, 1.0) > story_score(2, 1.0, 0.5)
    assert recency(float("nan")) == 1.0
    assert recency(-5.0) == 1.0
    assert abs(recency(24.0) - 0.5) < 1e-9


def test_lexrank_finds_the_central_sentence() -> None:
    # sentence 1 is similar to every other; 0, 2, 3 are only similar to 1
    sim = np.array(
        [
            [1.0, 0.6, 0.1, 0.1],
            [0.6, 1.0, 0.6, 0.6],
            [0.1, 0.6, 1.0, 0.1],
            [0.1, 0.6, 0.1, 1.0],
        ]
    )
    scores = lexrank(sim)
    assert int(np.argmax(scores)) == 1
    assert abs(float(scores.sum()) - 1.0) < 1e-5
    boosted = lexrank(sim, prior=np.array([10.0, 1.0, 1.0, 1.0]))
    assert boosted[0] > scores[0]
    assert lexrank(np.zeros((0, 0))).shape == (0,)


def _cand(i: int, text: str, score: float) -> Candidate:
    return Candidate(i, text, score, frozenset(content_tokens(text)))


def test_mmr_never_picks_repeats() -> None:
    texts = [
        "Taiwan scrambled fighter jets after Chinese warships crossed the median line on Monday.",
        "Taiwan scrambled fighter jets on Monday after Chinese warships crossed the median line.",
        "The defence ministry counted 27 ships and 45 aircraft around the island.",
        "Beijing said the drills were a warning to separatist forces.",
    ]
    sim = np.array(
        [
            [1.0, 0.97, 0.3, 0.2],
            [0.97, 1.0, 0.3, 0.2],
            [0.3, 0.3, 1.0, 0.2],
            [0.2, 0.2, 0.2, 1.0],
        ]
    )
    picked = mmr(
        [_cand(i, t, s) for i, t, s in zip(range(4), texts, [1.0, 0.95, 0.5, 0.4], strict=True)], sim, k=4
    )
    assert [c.index for c in picked] == [0, 2, 3]
    # the token rule catches repeats the vectors miss
    low = np.eye(4)
    picked = mmr([_cand(i, t, 1.0 - i / 10) for i, t in enumerate(texts)], low, k=4)
    assert {0, 1} & {c.index for c in picked} in ({0}, {1})
    assert token_overlap(set(), {"a"}) == 0.0


def test_fit_bullet_trims_only_faithfully() -> None:
    s = (
        "According to the Harbour Gazette, Bakker warned that a long strike at the container terminals had sharply "
        "raised the risk of shortages across the region, with serious consequences for shippers and retailers."
    )
    assert fit_bullet(s, 400) == s
    trimmed = fit_bullet(s, 190)
    assert trimmed is not None and trimmed.startswith("Bakker warned") and trimmed in s
    shorter = fit_bullet(s, 140)
    assert shorter is not None and len(shorter) <= 140
    assert shorter.rstrip(".") in s and shorter.endswith(".")
    assert fit_bullet("A very long sentence without any clause to cut " * 10, 100) is None
    # connectives that lean on the sentence before go; the rest must start a sentence of its own
    assert (
        fit_bullet("This comes as Rotterdam's dock workers walked out for a second day.", 400)
        == "Rotterdam's dock workers walked out for a second day."
    )
    assert (
        fit_bullet("In positive news, Gdansk is set to receive two new cranes this year.", 400)
        == "Gdansk is set to receive two new cranes this year."
    )
    kept = "Elsewhere, former port director Ana Ruiz said she doubted the strike would end soon."
    assert fit_bullet(kept, 400) == kept  # "former …" would not start a sentence
    lower = (
        "According to officials, the port reopened on Monday after a storm that closed it for two days "
        "and cut power to thousands of homes in the city."
    )
    assert fit_bullet(lower, 100) is None  # "the port …" is no sentence start, so the attribution stays


def test_datelines_and_quote_share() -> None:
    assert (
        strip_dateline("CAIRO, Nov 18 (Meridian Wire) - Two of the world's largest container lines said")
        == "Two of the world's largest container lines said"
    )
    assert (
        strip_dateline("(Reuters) - The US said on Monday that it would act")
        == "The US said on Monday that it would act"
    )
    assert strip_dateline("NATO - the alliance said on Monday that it would act").startswith("NATO")
    assert quote_share('"We will not stop," he said.') > 0.5
    assert quote_share("No quotes here at all.") == 0.0
    assert standalone_penalty("He said the talks failed.") < 1.0
    assert standalone_penalty("Talks failed, officials said.") == 1.0


def test_reading_order_follows_the_articles() -> None:
    from summarizer.rank import reading_order

    # (sentence index, sentences in its article): a lead, a closing line, a middle line, another lead
    places = [(9, 10), (0, 20), (5, 10), (0, 8)]
    assert reading_order(places) == [1, 3, 2, 0]  # ties keep the selection's order
    assert reading_order([]) == []
    assert reading_order([(0, 0)]) == [0]
