"""One in-process briefing measurement over a bench store, run by run.py in a fresh interpreter so peak RSS
is its own.

Usage (internal): python bench/speed/inproc.py --config PATH [--topic NAME] [--rounds 5]
Prints one JSON object:
- `first_s`: the first briefing with no summary cached (the shown stories are composed: their articles'
  sentences encoded and stored, quotes found), as after a restart with an empty summary cache;
- `warm_s`: briefings inside the same process afterwards (what `run` answers a `/brief` with);
- `grown_s`: a briefing after new reports joined the top story (its version changed: it is composed again,
  encoding only the new articles' sentences);
- the stories shown (outlets, and how many distinct source events each one's reports come from: 1 is right).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ for common.py
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine_note, offline_env, peak_rss_mb
from realistic import event_of


def measure(config: Path, topic_name: str | None, rounds: int) -> dict[str, object]:
    from summarizer.allocator import tune_allocator

    tune_allocator()  # as the `briefbot` entry point does for every command, the bot's `run` included
    from stores import ANCHOR, app_for

    now = ANCHOR + timedelta(minutes=1)
    t0 = time.perf_counter()
    app = app_for(config, now)
    stories = app.stories
    with app.store.engine.begin() as c:  # type: ignore[attr-defined]
        from sqlalchemy import text

        c.execute(text("DELETE FROM story_summaries"))
    service = app.briefing_service()
    topic = service.resolve_topic(topic_name)
    options = replace(service._options(None), now=now)
    since = timedelta(days=7, hours=1)
    t_open = time.perf_counter() - t0

    t = time.perf_counter()
    briefing = stories.briefing(topic, since, options)
    first = time.perf_counter() - t
    warm = []
    for _ in range(rounds):
        t = time.perf_counter()
        briefing = stories.briefing(topic, since, options)
        warm.append(time.perf_counter() - t)
    t = time.perf_counter()
    ranked = stories.ranked(topic, since, now)
    rank_s = time.perf_counter() - t

    # growth: three new reports of the top story's event arrive, then the same briefing is asked for
    grown = None
    if briefing.stories:
        grown = _grow(app, briefing, now)
        t = time.perf_counter()
        stories.briefing(topic, since, options)
        grown = {"track_s": grown, "briefing_s": round(time.perf_counter() - t, 3)}
    return {
        "topic": topic_name,
        "open_s": round(t_open, 2),
        "first_s": round(first, 2),
        "warm_s": [round(w, 3) for w in warm],
        "warm_median_s": round(statistics.median(warm), 3) if warm else None,
        "rank_s": round(rank_s, 3),
        "candidates": len(ranked),
        "grown": grown,
        "story_sources": [len(st.sources) for st in briefing.stories],
        "story_events": [
            len({event_of(briefing.source(i).url) for i in st.sources}) for st in briefing.stories
        ],
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "machine": machine_note(),
    }


def _grow(app: object, briefing: object, now: datetime) -> float:
    """Store and track three new reports of the top story's source event; seconds spent tracking."""
    from realistic import generate

    from bot.core.protocols import FetchedArticle, FetchOutcome

    top = briefing.stories[0]  # type: ignore[attr-defined]
    event = event_of(briefing.source(top.sources[0]).url)  # type: ignore[attr-defined]
    fresh = [g for g in generate(400, seed=99, anchor=now) if g.event == event][:3]
    articles = [
        FetchedArticle(
            url=f"{g.url}/new-{time.time_ns()}",
            title=g.title,
            text=g.text,
            outlet=g.outlet,
            published=now,
            source_name="grow",
            dated_by="feed",
        )
        for g in fresh
    ]
    store = app.store  # type: ignore[attr-defined]
    store.sync_sources([*app.config.sources, _Grow()])  # type: ignore[attr-defined]
    ids = store.record_fetch(FetchOutcome(source_name="grow", status="ok", articles=articles)).new_ids
    t = time.perf_counter()
    app.stories.track(ids)  # type: ignore[attr-defined]
    return round(time.perf_counter() - t, 3)


class _Grow:
    name = "grow"
    url = "https://grow.example/feed"
    path = None
    outlet = "Grow Wire"
    labels: tuple[str, ...] = ()
    enabled = True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--topic")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    offline_env()
    print(json.dumps(measure(args.config, args.topic, args.rounds)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
