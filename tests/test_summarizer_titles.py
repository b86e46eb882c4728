"""Story titles: a real headline near the story's centre, else the lead clause; never chrome."""

from __future__ import annotations

import numpy as np

from summarizer.titles import TitleCandidate, choose_title, clean_title, lead_clause, usable


def test_clean_and_usable() -> None:
    assert (
        clean_title("Taiwan protests destroyer manoeuvre near cutter | Northgate Times")
        == "Taiwan protests destroyer manoeuvre near cutter"
    )
    assert clean_title("  NATO chief   warns on Taiwan. ") == "NATO chief warns on Taiwan"
    assert usable("NATO chief warns on Taiwan")
    for bad in (
        "Skip to content",
        "Live Updates: Ukraine Conflict",
        "Read also:",
        "Latest",
        "Table of Contents",
        "Why?",
        "x" * 150,
        "Two words",
    ):
        assert not usable(bad), bad


def test_lead_clause_cuts_at_a_boundary() -> None:
    s = (
        "Elsewhere, Economist Marta Lindqvist-Oyelaran has criticised Harbour Commissioner Jan-Peter Vermeulen for "
        "his earlier role in the dredging contracts, and said he should step aside from the inquiry."
    )
    title = lead_clause(s)
    assert len(title) <= 100
    assert title.startswith("Economist Marta Lindqvist-Oyelaran")
    assert not title.endswith((",", " for"))
    assert lead_clause("Short sentence here.") == "Short sentence here"
    # a clause that only points back at another item is no title
    assert (
        lead_clause("This comes as dock workers in Rotterdam walked out for a second day.")
        == "Dock workers in Rotterdam walked out for a second day"
    )
    assert (
        lead_clause("It came after talks in Geneva collapsed on Friday.")
        == "Talks in Geneva collapsed on Friday"
    )
    assert len(lead_clause("word " * 80)) <= 100


def test_choose_title_prefers_central_headline() -> None:
    centroid = np.array([1.0, 0.0], dtype=np.float32)
    cands = [
        TitleCandidate("Skip to content", 0, np.array([1.0, 0.0])),
        TitleCandidate("Live Updates: Ukraine Conflict", 0, np.array([1.0, 0.0])),
        TitleCandidate("Football club reaches quarter-finals in cup", 1, np.array([0.0, 1.0])),
        TitleCandidate("Taiwan accuses Chinese destroyer of dangerous manoeuvre", 2, np.array([0.9, 0.44])),
    ]
    assert (
        choose_title(cands, centroid, "fallback") == "Taiwan accuses Chinese destroyer of dangerous manoeuvre"
    )
    assert (
        choose_title(cands[:2], centroid, "The cutter returned to port on Tuesday, officials said.")
        == "The cutter returned to port on Tuesday"
    )


def test_a_headline_shared_by_outlets_beats_one_page_repeating_its_own() -> None:
    centroid = np.array([1.0, 0.0], dtype=np.float32)
    close = np.array([0.80, 0.6])
    closer = np.array([0.83, 0.5578])
    cands = [
        # one page gives its headline twice (title and h1): still one outlet's choice of words
        TitleCandidate("Alliance sounds alarm over drills near Taiwan", 0, closer),
        TitleCandidate("Alliance sounds alarm over drills near Taiwan", 0, closer),
        # two outlets carry the same wire headline
        TitleCandidate("NATO chief says Russia may be asked to distract Europe", 1, close),
        TitleCandidate("NATO chief says Russia may be asked to distract Europe", 2, close),
    ]
    assert choose_title(cands, centroid, "") == "NATO chief says Russia may be asked to distract Europe"
