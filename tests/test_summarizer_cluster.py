"""Story clustering: same event together, look-alike events apart, live blogs cut into items."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from summarizer.cluster import (
    NEAR_COPY,
    cluster,
    figures,
    is_roundup,
    link_pairs,
    names,
    shared_names,
    split_items,
)
from summarizer.segment import segment_document


def _unit(rows: list[list[float]]) -> np.ndarray:
    m = np.array(rows, dtype=np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def test_names_are_specific_entities() -> None:
    found = names(
        "NATO Secretary-General Mark Rutte met Chinese officials in the Red Sea port of Jeddah on Nov 18. "
        "Officials said little."
    )
    assert "rutte" in found
    assert any("mark rutte" in n for n in found)
    assert "jeddah" in found
    assert "chinese" not in found  # a demonym says nothing about which event
    assert "sea" not in found  # "Red Sea" and "Black Sea" share no entity
    assert "nov" not in found
    assert "officials" not in found  # capitalised only because it opens a sentence
    assert "meridian wire" not in names("CAIRO (Meridian Wire) - Ships", frozenset({"meridian wire"}))
    assert (
        shared_names({"ingrid halvorsen", "halvorsen", "nato"}, {"ingrid halvorsen", "halvorsen", "nato"})
        == 2
    )


def _pairs(
    vecs: np.ndarray, ents: list[set[str]], figs: list[frozenset[str]] | None = None
) -> set[tuple[int, int]]:
    t = datetime(2026, 11, 16, tzinfo=UTC)
    i, j, _ = link_pairs(vecs, ents, [t] * len(vecs), figs)
    return {(int(a), int(b)) for a, b in zip(i, j, strict=True)}


def test_same_event_needs_the_same_names_and_figures() -> None:
    # 0 and 1: one encounter told twice; 2: another incident of the same kind, other people and figures
    vecs = _unit([[1, 0, 0], [0.75, 0.66, 0], [0.85, 0.53, 0], [0, 0, 1]])
    ents = [
        {"lin shu-fen", "shu-fen", "penghu", "hai an", "taipei"},
        {"lin shu-fen", "shu-fen", "penghu", "hai an", "kaohsiung"},
        {"elena diallo", "diallo", "kinmen", "taipei", "strait guard-32"},
        {"penghu"},
    ]
    figs = [frozenset({"120", "38"}), frozenset({"120", "86"}), frozenset({"446", "39"}), frozenset()]
    pairs = _pairs(vecs, ents, figs)
    assert (0, 1) in pairs  # cosine 0.75, same people and place, a shared figure
    assert (0, 2) not in pairs  # cosine 0.85 but another incident: other names and figures
    assert (0, 3) not in pairs  # far apart


def test_many_common_names_do_not_outweigh_different_figures() -> None:
    # two naval incidents of the same kind: the same countries and places, none of the same figures
    vecs = _unit([[1, 0], [0.8, 0.6], [0.8, 0.6]])
    common = {"taiwan", "taipei", "kinmen", "philippines", "japan"}
    ents = [common | {"ruth berg"}, common | {"marta demir"}, common | {"ruth berg"}]
    figs = [frozenset({"2270", "93"}), frozenset({"3490", "221"}), frozenset({"2270", "41"})]
    pairs = _pairs(vecs, ents, figs)
    assert (0, 1) not in pairs  # cosine 0.8 and five names in common, but no figure in common
    assert (0, 2) in pairs  # the same incident: a figure and a person in common


def test_one_figure_in_common_among_many_does_not_make_the_same_event() -> None:
    # two incidents off the same coast, days apart: the same places, a poll figure (49%) by chance,
    # every other figure and every person different
    vecs = _unit([[1, 0], [0.84, 0.5426], [0.84, 0.5426]])
    common = {"kaohsiung", "philippines", "taipei", "taiwan"}
    ents = [
        common | {"daniel novak", "strait guard-25"},
        common | {"chen costa", "strait guard-31"},
        common | {"lena ortiz"},
    ]
    figs = [
        frozenset({"8130", "260", "49", "17", "25"}),
        frozenset({"8770", "215", "49", "31"}),
        frozenset({"8130", "260", "12"}),
    ]
    pairs = _pairs(vecs, ents, figs)
    assert (0, 1) not in pairs  # four names and cosine 0.84, but one figure of four in common
    assert (0, 2) in pairs  # two of three figures in common: the same incident, told by another outlet


def test_one_shared_two_digit_figure_does_not_bridge_different_telling_figures() -> None:
    # two incidents in the same strait: "day 25" in both, but other ship counts and distances
    vecs = _unit([[1, 0], [0.77, 0.6380], [0.77, 0.6380]])
    ents = [
        {"taiwan", "taiwan strait"},
        {"taiwan", "taiwan strait", "hannah morel", "philippines"},
        {"taiwan", "taiwan strait", "lena ortiz"},
    ]
    figs = [
        frozenset({"25", "44", "5850"}),
        frozenset({"24", "25", "34", "396", "5260"}),
        frozenset({"25", "5850"}),
    ]
    pairs = _pairs(vecs, ents, figs)
    assert (0, 1) not in pairs  # the only shared figure is a two-digit one; 5,850 vs 5,260 ships
    assert (0, 2) in pairs  # the same ship count: the same incident
    # two shared two-digit figures are not chance: a stray large number elsewhere does not split them
    two = [frozenset({"13", "16", "3500"}), frozenset({"13", "16", "445", "7200"})]
    assert (0, 1) in _pairs(_unit([[1, 0], [0.85, 0.5268]]), [ents[1], ents[1] | {"taipei"}], two)


def test_one_shared_telling_figure_and_a_rare_person_make_the_same_event() -> None:
    # two outlets on one incident: the same distance (221 metres) and spokesperson, other figures apart
    vecs = _unit([[1, 0], [0.8, 0.6], [0.8, 0.6]])
    ents = [
        {"kinmen", "nadia haddad", "centre strategic affairs"},
        {"kinmen", "nadia haddad", "taipei", "tokyo"},
        {"kinmen", "nadia haddad", "taipei", "tokyo"},
    ]
    figs = [
        frozenset({"221", "30", "4300"}),
        frozenset({"221", "4700", "63"}),
        frozenset({"30", "4700", "63"}),
    ]
    pairs = _pairs(vecs, ents, figs)
    assert (0, 1) in pairs  # 221 in both: a figure of 100 or more is no coincidence
    assert (0, 2) not in pairs  # only "30" in common, and the ship counts differ


def test_reports_giving_the_same_telling_figure_are_compared_whatever_their_rank() -> None:
    # 0 and 11 report one incident (5,850 ships, the same spokesperson) at cosine 0.7; ten reports of
    # other incidents of the same kind sit between them, each closer to 0 (cosine 0.9) than 11 is,
    # so 11 is not among 0's eight nearest candidates
    rows = [[1.0, 0.0, 0.0]] + [[0.9, 0.4359, 0.001 * k] for k in range(1, 11)] + [[0.7, 0.0, 0.7141]]
    ents = (
        [{"taiwan strait", "hugo marchenko", "taiwan"}]
        + [{"taiwan strait", f"person {k}", "taiwan"} for k in range(1, 11)]
        + [{"taiwan strait", "hugo marchenko", "taiwan", "tokyo"}]
    )
    figs = (
        [frozenset({"5850", "74"})]
        + [frozenset({str(1000 + k), str(30 + k)}) for k in range(1, 11)]
        + [frozenset({"5850", "25"})]
    )
    assert (0, 11) in _pairs(_unit(rows), ents, figs)
    assert (0, 11) not in _pairs(_unit(rows), ents, [frozenset({"74"}), *figs[1:11], frozenset({"25"})])


def test_near_copies_and_nameless_text_link_on_similarity() -> None:
    vecs = _unit([[1, 0], [0.99, 0.14], [0.9, 0.44]])
    assert (0, 1) in _pairs(vecs, [{"a", "b"}, {"c", "d"}, {"e", "f"}])  # near-identical: a copy
    nameless = _pairs(vecs, [set(), set(), set()])
    assert (0, 2) in nameless  # cosine 0.9, nothing to compare
    assert (0, 2) not in _pairs(vecs, [{"x y", "y", "z"}, {"c", "d"}, {"q r", "r", "s"}])


def test_figures_ignore_years_and_small_numbers() -> None:
    assert figures("In 2024, 3 ships and 1,120 vessels sailed 38.5 miles on 12 May") == frozenset(
        {"1120", "38.5"}
    )


def test_time_window_keeps_old_news_apart() -> None:
    vecs = _unit([[1, 0], [0.99, 0.14]])
    t = datetime(2026, 11, 16, tzinfo=UTC)
    assert cluster(vecs, [set(), set()], [t, t + timedelta(hours=12)]) == [[0, 1]]
    assert cluster(vecs, [set(), set()], [t, t + timedelta(days=30)]) == [[0], [1]]
    assert cluster(vecs, [set(), set()], [None, t + timedelta(days=30)]) == [[0, 1]]


def test_chained_components_are_split() -> None:
    # a-b and b-c are close but a and c are not: average linkage must not keep a chain as one story
    angles = np.radians([0, 25, 50, 75, 100])
    vecs = _unit([[np.cos(a), np.sin(a), 0] for a in angles] + [[0, 0, 1]])
    groups = cluster(vecs, [set()] * 6, [None] * 6)
    assert [5] in groups
    assert not any({0, 4} <= set(g) for g in groups)
    assert not any({0, 3} <= set(g) for g in groups)
    assert any({0, 1} <= set(g) for g in groups)


def test_empty() -> None:
    assert cluster(np.zeros((0, 3), dtype=np.float32), [], []) == []


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
    paras = seg.paragraphs
    vecs = _unit([[1, 0, 0], [0.9, 0.43, 0], [0.9, 0.43, 0], [0, 0, 1]])  # floods "similar" to the summit
    items = split_items(seg, vecs, roundup=True)
    assert len(paras) == 4
    assert [len(i) for i in items] == [2, 1, 1]  # transitions start new items even when similar
    assert split_items(seg, vecs, roundup=False) == [[s.index for s in seg.sentences]]


def test_a_transition_inside_a_live_blog_paragraph_starts_an_item() -> None:
    text = (
        "Live Updates: World\n\n"
        "The summit in Brussels opened with a call for unity among allies.\n\n"
        "In positive news, the harbour in Gdansk will get two new cranes this year. Additionally, a "
        "court in Paris fined a bank for money laundering on Friday. The bank said it would appeal."
    )
    seg = segment_document("World news live", text)
    vecs = _unit([[1, 0], [0, 1]])
    items = split_items(seg, vecs, roundup=True)
    texts = [" ".join(seg.sentences[k].text for k in item) for item in items]
    assert len(texts) == 3, texts
    assert texts[1].startswith("In positive news") and "court" not in texts[1]
    assert texts[2].startswith("Additionally, a court") and texts[2].endswith("would appeal.")


def test_linking_judges_a_bounded_number_of_pairs_per_item() -> None:
    """Work grows with n, not n squared: each item's names are checked against its closest few
    candidates only, and that still joins every event. (Counted, not timed: speed is for bench/.)"""
    import summarizer.cluster as cl

    rng = np.random.default_rng(3)
    events, per, dim = 40, 50, 64
    event_of = np.repeat(np.arange(events), per)
    rows = rng.normal(size=(events, dim))[event_of] + rng.normal(scale=0.6, size=(events * per, dim))
    vecs = (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)
    n = len(vecs)
    item_names = [{f"harbour {e}", f"minister {e}", f"ship {e}"} for e in event_of]
    # Every item has ~49 candidates (its event's other reports): judging them all would be ~49,000 pairs.
    candidate_pairs = (int((vecs @ vecs.T >= cl.CANDIDATE).sum()) - n) // 2
    assert candidate_pairs > 2 * n * cl.CHECKS_PER_ITEM

    judged: list[tuple[int, int]] = []

    class CountingJudge(cl._EventJudge):
        def same(self, i: int, j: int, sim: float) -> bool:
            judged.append((i, j))
            return super().same(i, j, sim)

    cl.link_pairs(vecs, item_names, [None] * n, judge=CountingJudge(np.arange(n), item_names, None))
    assert 0 < len(judged) <= n * cl.CHECKS_PER_ITEM
    groups = cluster(vecs, item_names, [None] * n)
    assert sorted(len(g) for g in groups) == [per] * events
    assert all(len({int(event_of[i]) for i in g}) == 1 for g in groups)


def test_components_agree_with_scipy(monkeypatch) -> None:
    """Few links are joined in Python, many by scipy's csgraph: the same stories either way."""
    import numpy as np

    import summarizer.cluster as cl

    rng = np.random.default_rng(5)
    n = 300
    i = rng.integers(0, n, 250)
    j = rng.integers(0, n, 250)
    python = cl._components(n, i, j)
    monkeypatch.setattr(cl, "_SCIPY_LINKS", 0)
    scipy = cl._components(n, i, j)
    assert sorted(python) == sorted(scipy)
    assert sum(len(g) for g in python) == n and 1 < len(python) < n


def test_two_rare_figures_in_common_make_the_same_event_without_the_same_names() -> None:
    # 0 and 1: one encounter (5,850 ships, 44 aircraft) told by outlets quoting different analysts;
    # 2: another incident of the kind, with only the ubiquitous "24" (hours) and one figure in common.
    vecs = _unit([[1, 0, 0], [0.72, 0.69, 0], [0.8, 0.6, 0]])
    ents = [
        {"taiwan strait", "global policy forum", "strait guard-25"},
        {"taiwan strait", "kestrel foundation", "viktor kowal"},
        {"taiwan strait", "marta abiodun", "kaohsiung"},
    ]
    figs = [frozenset({"5850", "44", "24"}), frozenset({"5850", "44", "24"}), frozenset({"2430", "44", "24"})]
    pairs = _pairs(vecs, ents, figs)
    assert (0, 1) in pairs  # one shared name only, but two rare figures, one of them telling
    assert (0, 2) not in pairs  # "44" and "24" alone: no telling figure in common


def test_figures_every_report_of_a_kind_gives_do_not_identify_an_event() -> None:
    # 40 budget reports that all give NATO's "1,100" and "32" (allies): no pair links on figures alone
    rng = np.random.default_rng(11)
    base = rng.normal(size=16)
    rows = base + rng.normal(scale=0.6, size=(40, 16))
    vecs = (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)
    ents = [{f"analyst {k}", f"institute {k}"} for k in range(40)]
    figs = [frozenset({"1100", "32", str(200 + k)}) for k in range(40)]
    sims = vecs @ vecs.T
    assert (sims[np.triu_indices(40, 1)] >= 0.65).sum() > 50  # plenty of pairs similar enough to be judged
    linked = _pairs(vecs, ents, figs)
    assert all(sims[i, j] >= NEAR_COPY for i, j in linked)  # only near-identical texts link
