"""How often clustering links reports of different generated events, on the speed bench's stores.

Usage: python bench/speed/event_links.py [--sizes 1000,10000] [--topic taiwan] [--show 0]

Generated URLs end in /<kind>-<event>-<n>, so every pair of items that `_EventJudge.same` links can be
checked against the truth. Prints, per store: links between reports of one event, links across events
(each one a chance for a story to mix two events), and each shown story as cited articles / events.
The stores come from `run.py --build-only` (or any earlier run) in bench/.cache/.
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ for common.py
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DEMO_CONFIG, machine_note, offline_env


def event_of(url: str) -> str:
    found = re.search(r"/([a-z-]+-\d+)-\d+$", url)
    return found.group(1) if found else url


def measure(size: int, seed: int, topic: str | None, show: int) -> str:
    import summarizer.cluster as cluster_mod
    from store_cache import cached_store

    from bot.config import load_config
    from bot.core.briefing import BriefingService, BriefRequest
    from bot.store import open_store
    from summarizer.engines import SummaryOptions, build_engine
    from summarizer.model import Topic
    from summarizer.pipeline import BriefingPipeline

    cfg = load_config(DEMO_CONFIG).config
    engine = build_engine("extractive", strict=True)
    built = cached_store(size, seed, engine.embedder, log=lambda *_: None)
    seen: dict[str, Any] = {}
    links: list[tuple[int, int, Any, Any]] = []
    original_cluster, original_same = BriefingPipeline._cluster, cluster_mod._EventJudge.same

    def spy_cluster(self: Any, items: list[Any]) -> Any:
        seen["items"], seen["docs"] = items, self.docs
        return original_cluster(self, items)

    def spy_same(self: Any, i: int, j: int, sim: float) -> bool:
        linked = original_same(self, i, j, sim)
        if linked:
            links.append(
                (
                    i,
                    j,
                    self.names[i] & self.names[j],
                    (self.figures[i], self.figures[j]) if self.figures is not None else None,
                )
            )
        return linked

    BriefingPipeline._cluster, cluster_mod._EventJudge.same = spy_cluster, spy_same  # type: ignore[method-assign]
    try:
        store = open_store(f"sqlite:///{built.path}")
        now = built.anchor + timedelta(minutes=1)
        s = cfg.summarizer
        service = BriefingService(
            engine,
            [Topic(t.name, tuple(t.aliases)) for t in cfg.topics],
            store,
            options=SummaryOptions(
                max_stories=s.max_stories, max_bullets=s.max_bullets, max_quotes=s.max_quotes
            ),
            clock=lambda: now,
        )
        briefing = service.brief(BriefRequest(topic, since=timedelta(days=7, hours=1)))
        store.close()
    finally:
        BriefingPipeline._cluster, cluster_mod._EventJudge.same = original_cluster, original_same  # type: ignore[method-assign]

    items, docs = seen["items"], seen["docs"]
    same = cross = 0
    shown = []
    for i, j, names, figs in links:
        a, b = event_of(docs[items[i].doc].url), event_of(docs[items[j].doc].url)
        if a == b:
            same += 1
            continue
        cross += 1
        if len(shown) < show:
            shown.append(
                f"    {a} ~ {b}: names {sorted(names)}, figures {[sorted(f) for f in figs] if figs else '-'}"
            )
    stories = " ".join(
        f"{len(st.sources)}/{len({event_of(briefing.source(k).url) for k in st.sources})}"
        for st in briefing.stories
    )
    # Recall: of the reports of each shown story's main event in the briefing's window, how many it cites
    reports: dict[str, int] = {}
    for d in docs:
        reports[event_of(d.url)] = reports.get(event_of(d.url), 0) + 1
    recall = []
    for st in briefing.stories:
        events = [event_of(briefing.source(k).url) for k in st.sources]
        main = max(set(events), key=events.count)
        recall.append(f"{events.count(main)}/{reports.get(main, 0)}")
    lines = [
        f"n={size} ({built.articles} stored), topic {topic or '(all)'}: links within one event {same}, "
        f"across events {cross}; shown stories (articles/events) {stories}; "
        f"main event's reports cited/in window {' '.join(recall)}",
        *shown,
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--topic", default="taiwan", help="a topic of config/demo.yaml, or 'all'")
    parser.add_argument("--show", type=int, default=0, help="print this many cross-event links")
    args = parser.parse_args()
    offline_env()
    topic = None if args.topic == "all" else args.topic
    for size in (int(x) for x in args.sizes.split(",")):
        print(measure(size, args.seed, topic, args.show))
    print(f"— {machine_note()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
