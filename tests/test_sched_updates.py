"""`updates` mode: nothing twice, unless a story gained sources or points (then it says so)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.scheduling.updates import StoryPrint, filter_updates, story_print
from summarizer.model import Briefing, Bullet, SourceRef, Story

NOW = datetime(2026, 3, 29, 5, 0, tzinfo=UTC)


def make(stories: list[tuple[str, list[str], list[str]]]) -> Briefing:
    """(title, source URLs, bullet texts) per story; source ids numbered in order of first use."""
    refs: dict[str, int] = {}
    out = []
    for title, urls, bullets in stories:
        ids = [refs.setdefault(u, len(refs) + 1) for u in urls]
        out.append(Story(title=title, bullets=[Bullet(b, ids[:1]) for b in bullets], quotes=[], sources=ids))
    sources = [SourceRef(i, f"t{i}", u, f"outlet{i}") for u, i in refs.items()]
    return Briefing(topic=None, generated_at=NOW, stories=out, sources=sources)


def test_the_first_post_keeps_everything() -> None:
    b = make([("A", ["u1", "u2"], ["a1"]), ("B", ["u3"], ["b1"])])
    kept, prints = filter_updates(b, [])
    assert kept is not None and [s.title for s in kept.stories] == ["A", "B"]
    assert prints == [
        StoryPrint(frozenset({"u1", "u2"}), story_print(b, b.stories[0]).bullets),
        story_print(b, b.stories[1]),
    ]


def test_nothing_changed_posts_nothing() -> None:
    b = make([("A", ["u1", "u2"], ["a1"]), ("B", ["u3"], ["b1"])])
    _, prints = filter_updates(b, [])
    again, more = filter_updates(b, [p.to_json() for p in prints])
    assert again is None and more == []


def test_a_story_with_new_sources_is_posted_again_with_a_note() -> None:
    first = make([("A", ["u1", "u2"], ["a1"]), ("B", ["u3"], ["b1"])])
    _, prints = filter_updates(first, [])
    second = make([("A", ["u1", "u2", "u4", "u5"], ["a1"]), ("B", ["u3"], ["b1 [1]"]), ("C", ["u6"], ["c1"])])
    kept, new_prints = filter_updates(second, [p.to_json() for p in prints])
    assert kept is not None
    assert [s.title for s in kept.stories] == ["A (updated: 2 new sources)", "C"]
    assert {s.url for s in kept.sources} == {"u1", "u2", "u4", "u5", "u6"}, "B's source is dropped"
    assert len(new_prints) == 2


def test_a_story_with_a_new_point_says_so() -> None:
    first = make([("A", ["u1"], ["a1"])])
    _, prints = filter_updates(first, [])
    second = make([("A", ["u1"], ["a1", "a2 is new"])])
    kept, _ = filter_updates(second, prints)
    assert kept is not None and [s.title for s in kept.stories] == ["A (updated: 1 new point)"]


def test_prints_round_trip_through_json() -> None:
    p = StoryPrint(frozenset({"u2", "u1"}), frozenset({"h"}))
    assert StoryPrint.from_json(p.to_json()) == p
    assert p.to_json() == {"urls": ["u1", "u2"], "bullets": ["h"]}
