"""What changed since a topic was last shown (`updates` deliveries, `/brief TOPIC new`): new stories
whole, only the new facts of old ones, and never the same bullet twice."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.updates import StoryPrint, filter_updates, story_print
from summarizer.model import Briefing, Bullet, Quote, SourceRef, Story

NOW = datetime(2026, 3, 29, 5, 0, tzinfo=UTC)


def make(stories: list[tuple[str, list[str], list[str]]], ids: list[str | None] | None = None) -> Briefing:
    """(title, source URLs, bullet texts) per story; source ids numbered in order of first use."""
    refs: dict[str, int] = {}
    out = []
    for n, (title, urls, bullets) in enumerate(stories):
        sids = [refs.setdefault(u, len(refs) + 1) for u in urls]
        story_id = ids[n] if ids else None
        out.append(
            Story(
                title=title,
                bullets=[Bullet(b, sids[:1]) for b in bullets],
                quotes=[],
                sources=sids,
                id=story_id,
            )
        )
    sources = [SourceRef(i, f"t{i}", u, f"outlet{i}") for u, i in refs.items()]
    return Briefing(topic=None, generated_at=NOW, stories=out, sources=sources)


def shown(updates) -> list[tuple[str, list[str]]]:  # type: ignore[no-untyped-def]
    assert updates.briefing is not None
    return [(s.title, [b.text for b in s.bullets]) for s in updates.briefing.stories]


def test_the_first_post_keeps_everything() -> None:
    b = make([("A", ["u1", "u2"], ["a1"]), ("B", ["u3"], ["b1"])])
    first = filter_updates(b, [])
    assert shown(first) == [("A", ["a1"]), ("B", ["b1"])] and (first.new, first.updated) == (2, 0)
    assert first.prints == [story_print(b, b.stories[0]), story_print(b, b.stories[1])]
    assert first.prints[0].urls == frozenset({"u1", "u2"})


def test_nothing_changed_posts_nothing() -> None:
    b = make([("A", ["u1", "u2"], ["a1"]), ("B", ["u3"], ["b1"])])
    again = filter_updates(b, [p.to_json() for p in filter_updates(b, []).prints])
    assert again.briefing is None and again.prints == []


def test_new_sources_without_a_new_point_say_so_and_repeat_nothing() -> None:
    first = make([("A", ["u1", "u2"], ["a1"]), ("B", ["u3"], ["b1"])])
    prints = [p.to_json() for p in filter_updates(first, []).prints]
    second = make([("A", ["u1", "u2", "u4", "u5"], ["a1"]), ("B", ["u3"], ["b1 [1]"]), ("C", ["u6"], ["c1"])])
    kept = filter_updates(second, prints)
    assert kept.briefing is not None
    assert shown(kept) == [("A (updated: 2 new sources: outlet3, outlet4, no new points)", []), ("C", ["c1"])]
    assert [b.text for b in kept.briefing.stories[0].extra_bullets] == ["a1"]  # behind /more, not shown
    assert {s.url for s in kept.briefing.sources} == {"u1", "u2", "u4", "u5", "u6"}, "B's source is dropped"
    assert (kept.new, kept.updated, kept.summary()) == (1, 1, "1 new story, 1 updated")


def test_an_old_story_shows_only_its_new_fact_matched_by_id_even_with_other_urls() -> None:
    first = make([("Quake", ["u1"], ["a1", "a2"])], ids=["squake00001"])
    prints = filter_updates(first, []).prints
    # a day later the story reads differently: new reports (other URLs), one new fact among the old ones
    second = make([("Quake hits coast", ["u7", "u8"], ["a2", "a3 is new", "a1"])], ids=["squake00001"])
    kept = filter_updates(second, [p.to_json() for p in prints])
    assert shown(kept) == [
        ("Quake hits coast (updated: 1 new point, 2 new sources: outlet1, outlet2)", ["a3 is new"])
    ]
    assert [b.text for b in kept.briefing.stories[0].extra_bullets] == ["a2", "a1"]


def test_a_merged_story_matches_the_prints_of_the_id_it_absorbed() -> None:
    first = make([("A", ["u1"], ["a1"])], ids=["sabsorbed01"])
    prints = filter_updates(first, []).prints
    second = make([("A", ["u9"], ["a1", "a2"])], ids=["skept00001x"])
    merged = {"sabsorbed01": "skept00001x"}
    kept = filter_updates(second, prints, resolve=lambda i: merged.get(i, i))
    assert shown(kept) == [("A (updated: 1 new point, 1 new source: outlet1)", ["a2"])]
    unresolved = filter_updates(second, prints)  # without the merge it is another story: a1 still never twice
    assert shown(unresolved) == [("A", ["a2"])]


def test_the_same_bullet_is_never_posted_twice_across_three_runs() -> None:
    runs = [
        make([("A", ["u1"], ["a1", "a2"]), ("B", ["u2"], ["b1"])], ids=["saaaaaaaaa1", "sbbbbbbbbb1"]),
        make(
            [("A", ["u1", "u3"], ["a2", "a3", "a1"]), ("B", ["u2"], ["b1", "b2"])],
            ids=["saaaaaaaaa1", "sbbbbbbbbb1"],
        ),
        # the third: B's new fact is worded as A's, and C repeats a bullet that B posted
        make(
            [("A", ["u1", "u3"], ["a3", "a4", "b2"]), ("C", ["u5"], ["b1", "c1"])],
            ids=["saaaaaaaaa1", "sccccccccc1"],
        ),
    ]
    history: list[dict] = []
    posted: list[str] = []
    for briefing in runs:
        kept = filter_updates(briefing, history)
        assert kept.briefing is not None
        posted += [b.text for s in kept.briefing.stories for b in s.bullets]
        history += [p.to_json() for p in kept.prints]
    assert posted == ["a1", "a2", "b1", "a3", "b2", "a4", "c1"]
    assert len(posted) == len(set(posted))


def test_quotes_shown_before_are_not_shown_again() -> None:
    b = make([("A", ["u1"], ["a1"])], ids=["saaaaaaaaa1"])
    b.stories[0].quotes = [Quote("We are ready", "Minister", [1])]
    prints = filter_updates(b, []).prints
    later = make([("A", ["u1"], ["a1", "a2"])], ids=["saaaaaaaaa1"])
    later.stories[0].quotes = [Quote("We are ready", "Minister", [1]), Quote("It is over", "Mayor", [1])]
    kept = filter_updates(later, prints)
    assert [q.text for q in kept.briefing.stories[0].quotes] == ["It is over"]


def test_prints_round_trip_through_json_and_old_prints_still_load() -> None:
    p = StoryPrint(
        frozenset({"u2", "u1"}), frozenset({"h"}), "sabcdefghij", frozenset({"h", "k"}), frozenset({"q"})
    )
    assert StoryPrint.from_json(p.to_json()) == p
    assert p.to_json() == {
        "urls": ["u1", "u2"],
        "bullets": ["h"],
        "story": "sabcdefghij",
        "known": ["k"],
        "quotes": ["q"],
    }
    old = StoryPrint.from_json({"urls": ["u1"], "bullets": ["h"]})  # stored before stories had ids
    assert (old.story, old.known, old.quotes) == (None, frozenset({"h"}), frozenset())
