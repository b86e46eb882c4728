"""Quote extraction on the five real seed articles, read at run time from ../shared/seeds."""

from __future__ import annotations

from pathlib import Path

import pytest

from summarizer.quotes import QuoteCandidate, conflicting_titles, extract_quotes, is_verbatim


@pytest.fixture(scope="module")
def seed_texts(seeds_dir: Path) -> dict[str, str]:
    texts = {p.name[:3]: p.read_text(encoding="utf-8") for p in sorted(seeds_dir.glob("*.txt"))}
    assert {"000", "001", "002", "003", "004"} <= set(texts)
    return texts


@pytest.fixture(scope="module")
def seed_quotes(seed_texts: dict[str, str]) -> dict[str, list[QuoteCandidate]]:
    return {key: extract_quotes(text) for key, text in seed_texts.items()}


def test_every_candidate_is_verbatim_in_its_seed(
    seed_texts: dict[str, str], seed_quotes: dict[str, list[QuoteCandidate]]
) -> None:
    assert sum(len(v) for v in seed_quotes.values()) >= 15
    for key, found in seed_quotes.items():
        for q in found:
            assert seed_texts[key][q.start : q.end] == q.text
            assert is_verbatim(q.text, seed_texts[key]), (key, q.text)
            assert q.text in q.sentence


def test_busy_quote_is_attributed_to_mark_rutte(
    seed_texts: dict[str, str], seed_quotes: dict[str, list[QuoteCandidate]]
) -> None:
    busy = [
        (key, q)
        for key in ("001", "002", "003")
        for q in seed_quotes[key]
        if "busy" in q.text and q.speaker == "Mark Rutte"
    ]
    assert busy, "no quote about keeping NATO busy attributed to Mark Rutte"
    for key, q in busy:
        assert is_verbatim(q.text, seed_texts[key])
        assert q.speaker_title is not None and "Secretary" in q.speaker_title


def test_medvedev_quotes_in_001(seed_quotes: dict[str, list[QuoteCandidate]]) -> None:
    medvedev = [q for q in seed_quotes["001"] if "magic mushrooms" in q.text or "Siberian camp" in q.text]
    assert len(medvedev) == 2
    assert all(q.speaker == "Dmitry Medvedev" for q in medvedev)
    # Rutte is named inside Medvedev's quote; that must not make him its speaker.
    assert all(q.speaker != "Mark Rutte" for q in medvedev)


def test_scare_quotes_in_the_seeds_are_not_quotes(seed_quotes: dict[str, list[QuoteCandidate]]) -> None:
    texts = [q.text for found in seed_quotes.values() for q in found]
    for label in ("Red Dawn", "opt-out", "massive", "as is", "Biden thing"):
        assert all(label not in t or len(t) > 40 for t in texts), label


def test_stoltenberg_quote_in_004_is_flagged(
    seed_texts: dict[str, str], seed_quotes: dict[str, list[QuoteCandidate]]
) -> None:
    stoltenberg = [q for q in seed_quotes["004"] if q.speaker == "Jens Stoltenberg"]
    assert stoltenberg and stoltenberg[0].speaker_title == "NATO Secretary-General"
    flagged = conflicting_titles(seed_quotes, seed_texts)
    assert ("004", "Jens Stoltenberg") in flagged
    assert not any(speaker == "Mark Rutte" for _, speaker in flagged)
