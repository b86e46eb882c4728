"""One in-process briefing measurement, run by run.py in a fresh interpreter so peak RSS is its own.

Usage (internal): python bench/speed/inproc.py --db PATH --anchor ISO [--topic NAME] [--rounds 3]
Prints one JSON object: model load, the first briefing (loads spaCy and warms caches), warm briefings,
a breakdown of a warm briefing (store read, the rest is summarising) and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ for common.py

from common import DEMO_CONFIG, machine_note, offline_env, peak_rss_mb


def _event(url: str) -> str:
    found = re.search(r"/([a-z-]+-\d+)-\d+$", url)
    return found.group(1) if found else url


def measure(db: Path, anchor: datetime, topic: str | None, rounds: int) -> dict[str, object]:
    from summarizer.allocator import tune_allocator

    tune_allocator()  # as the `briefbot` entry point does for every command, the bot's `run` included
    t0 = time.perf_counter()
    from bot.config import load_config
    from bot.core.briefing import BriefingService, BriefRequest, expand_aliases
    from bot.store import open_store
    from summarizer.engines import SummaryOptions, build_engine
    from summarizer.model import Topic

    cfg = load_config(DEMO_CONFIG).config
    topics = [Topic(t.name, tuple(t.aliases)) for t in cfg.topics]
    engine = build_engine("extractive", strict=True)
    engine.embedder  # noqa: B018 - load the model now, so the briefings below time briefing work only
    t_load = time.perf_counter() - t0

    store = open_store(f"sqlite:///{db}")
    now = anchor + timedelta(minutes=1)
    s = cfg.summarizer
    options = SummaryOptions(max_stories=s.max_stories, max_bullets=s.max_bullets, max_quotes=s.max_quotes)
    service = BriefingService(engine, topics, store, options=options, clock=lambda: now)
    request = BriefRequest(topic, since=timedelta(days=7, hours=1))

    t = time.perf_counter()
    briefing = service.brief(request)
    first = time.perf_counter() - t
    warm = []
    for _ in range(rounds):
        t = time.perf_counter()
        briefing = service.brief(request)
        warm.append(time.perf_counter() - t)

    t = time.perf_counter()
    articles = store.articles(since=now - request.since, with_embeddings=True)
    read = time.perf_counter() - t
    docs = expand_aliases(articles)
    summarise = statistics.median(warm) - read if warm else first - read  # the rest of a warm briefing
    store.close()
    return {
        "topic": topic,
        "articles": len(articles),
        "documents": len(docs),
        "with_vectors": sum(1 for a in articles if a.embeddings),
        "stories": len(briefing.stories),
        "story_sources": [len(st.sources) for st in briefing.stories],
        # generated URLs end in /<kind>-<event>-<n>: how many distinct generated events each story merged
        "story_events": [
            len({_event(briefing.source(i).url) for i in st.sources}) for st in briefing.stories
        ],
        "load_s": round(t_load, 2),
        "first_s": round(first, 2),
        "warm_s": [round(w, 2) for w in warm],
        "read_s": round(read, 2),
        "summarise_s": round(summarise, 2),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "machine": machine_note(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--anchor", required=True)
    parser.add_argument("--topic")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    offline_env()
    print(json.dumps(measure(args.db, datetime.fromisoformat(args.anchor), args.topic, args.rounds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
