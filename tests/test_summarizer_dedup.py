"""Near-duplicate detection: syndicated copies group together, different reports do not."""

from __future__ import annotations

import random
import time

from summarizer.dedup import jaccard, near_duplicate_groups, shingles

BASE = (
    "Ukraine, Turkey and the United Nations agreed on Thursday to extend for 12 months a joint insurance "
    "and mine-clearing programme that has kept grain ships sailing from Black Sea ports, officials said "
    "after two days of negotiations in Istanbul. Ships using the corridor carried 41 million tonnes of "
    "cargo in the first ten months of the year, including 28 million tonnes of grain and oilseeds. "
    "The programme pays for naval escorts and for insurance that covers ships against mines."
)


def _copy_with_changes() -> str:
    # a new byline line, one changed word, and an "originally published by" line
    return (
        "By Staff Writer\n"
        + BASE.replace("negotiations", "talks")
        + "\nThis article was originally published by Meridian Wire."
    )


def test_syndicated_copy_is_grouped_with_its_original() -> None:
    other = (
        "Traffic through the Suez Canal is picking up again after three years of attacks on ships "
        "in the Red Sea, and insurers have cut the premiums they charge for the voyage."
    )
    groups = near_duplicate_groups([BASE, other, _copy_with_changes()])
    assert sorted(len(g) for g in groups.groups) == [1, 2]
    assert groups.rep[2] == groups.rep[0]
    assert set(groups.members(2)) == {0, 2}
    assert groups.members(1) == [1]


def test_representative_follows_preference() -> None:
    groups = near_duplicate_groups([BASE, _copy_with_changes()], prefer=lambda i: (-i,))
    assert groups.groups[0][0] == 1


def test_same_event_different_words_is_not_a_copy() -> None:
    rewrite = (
        "Shipowners carrying Ukrainian wheat through the Black Sea will keep their insurance for "
        "another year after negotiators in Istanbul agreed to extend the programme, which has moved "
        "41 million tonnes of cargo this year."
    )
    groups = near_duplicate_groups([BASE, rewrite])
    assert len(groups.groups) == 2


def test_empty_and_short_texts() -> None:
    groups = near_duplicate_groups(["", "", "Short text.", "Short text."])
    assert groups.rep[3] == groups.rep[2]
    assert groups.members(0) == [0] and groups.members(1) == [1]
    assert len(shingles("")) == 0
    assert jaccard(shingles(BASE), shingles(BASE)) == 1.0


def test_thousand_documents_are_fast() -> None:
    rng = random.Random(7)
    words = [f"w{i}" for i in range(3000)]
    texts = [" ".join(rng.choice(words) for _ in range(400)) for _ in range(1000)]
    texts.append(texts[10] + " extra words at the end")
    start = time.perf_counter()
    groups = near_duplicate_groups(texts)
    elapsed = time.perf_counter() - start
    assert groups.rep[1000] == groups.rep[10]
    assert sum(len(g) > 1 for g in groups.groups) == 1
    assert elapsed < 3.0, f"dedup of 1,000 documents took {elapsed:.2f}s"


def test_pairwise_and_lsh_paths_group_alike(monkeypatch) -> None:
    """Few texts are compared pair by pair, many go through datasketch's LSH: same groups either way."""
    import summarizer.dedup as dedup

    rng = random.Random(3)
    words = [f"w{i}" for i in range(800)]
    texts = [" ".join(rng.choice(words) for _ in range(120)) for _ in range(12)]
    texts += [texts[2] + " and a new last line", _copy_with_changes(), BASE, "tiny"]
    monkeypatch.setattr(dedup, "PAIRWISE_MAX", 1_000)
    pairwise = near_duplicate_groups(texts).groups
    monkeypatch.setattr(dedup, "PAIRWISE_MAX", 0)
    lsh = near_duplicate_groups(texts).groups
    assert pairwise == lsh
    assert sorted(len(g) for g in pairwise if len(g) > 1) == [2, 2]
