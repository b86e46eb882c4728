"""Stores of real-length articles built through the bot's own ingest path, kept in bench/.cache/ for reuse.

A store is built the way `briefbot run` fills one: each batch of articles is stored with `record_fetch`
(deduplication, aliases) and then tracked by the story index (`App.stories.track`: signatures, story
assignment, merges, topic relevance), through the composition root of a config that points at it.
The build is timed, so building a store is also the ingest measurement: articles per second including
everything ingest stores.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import DEMO_CONFIG, cache_dir, machine_note
from realistic import GENERATOR_VERSION, generate

BATCH = 50
ANCHOR = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
EXTRA_TOPICS = [
    {"name": "quakes", "aliases": ["earthquake", "quake", "tremor", "magnitude"]},
    {"name": "microsoft", "aliases": ["Microsoft", "Internet Explorer", "Windows"]},
]


@dataclass
class Built:
    db: Path
    config: Path
    size: int
    meta: dict[str, Any]


def write_config(path: Path, db: Path, outlets: list[str]) -> None:
    """A config over a bench store: one source per outlet (never polled), the demo's topics and two more."""
    from bot.config import load_config

    demo = load_config(DEMO_CONFIG).config
    topics = [{"name": t.name, "aliases": list(t.aliases)} for t in demo.topics] + EXTRA_TOPICS
    sources = [
        {
            "name": o.lower().replace(" ", "-"),
            "url": f"https://{o.lower().replace(' ', '')}.example/feed",
            "outlet": o,
        }
        for o in outlets
    ]
    config = {
        "storage": {"url": f"sqlite:///{db}", "retention": "3650d"},
        "sources": sources,
        "topics": topics,
        "summarizer": {"engine": "extractive", "since": "7d"},
    }
    path.write_text(json.dumps(config, indent=1), encoding="utf-8")  # JSON is YAML


def app_for(config: Path, now: datetime) -> Any:
    """The bot's composition root over a bench store, with its clock at `now`."""
    from bot.app import App
    from bot.config import load_config

    app = App(load_config(config))
    app.stories.clock = lambda: now
    return app


def build(size: int, seed: int = 7, log: Any = print) -> Built:
    """The store of `size` generated articles (built once, then reused); its meta holds the ingest timing."""
    from bot.core.protocols import FetchedArticle, FetchOutcome

    folder = cache_dir() / f"stories-v{GENERATOR_VERSION}-n{size}-s{seed}"
    db, config, meta_file = folder / "store.db", folder / "bench.yaml", folder / "meta.json"
    if meta_file.exists() and db.exists():
        return Built(db, config, size, json.loads(meta_file.read_text(encoding="utf-8")))
    folder.mkdir(parents=True, exist_ok=True)
    for f in folder.iterdir():
        f.unlink()
    articles = list(generate(size, seed, ANCHOR))
    outlets = sorted({a.outlet for a in articles})
    write_config(config, db, outlets)
    app = app_for(config, ANCHOR + timedelta(minutes=1))
    store = app.store
    source_of = {o: o.lower().replace(" ", "-") for o in outlets}
    store_s = track_s = 0.0
    stored = 0
    words = 0
    t_all = time.perf_counter()
    for start in range(0, len(articles), BATCH):
        chunk = sorted(articles[start : start + BATCH], key=lambda a: a.published)
        new_ids: list[int] = []
        t = time.perf_counter()
        by_source: dict[str, list[FetchedArticle]] = {}
        for a in chunk:
            by_source.setdefault(source_of[a.outlet], []).append(
                FetchedArticle(
                    url=a.url,
                    title=a.title,
                    text=a.text,
                    outlet=a.outlet,
                    published=a.published,
                    source_name=source_of[a.outlet],
                    dated_by="feed",
                )
            )
            words += len(a.text.split())
        for name, items in by_source.items():
            result = store.record_fetch(FetchOutcome(source_name=name, status="ok", articles=items))
            new_ids.extend(result.new_ids)
        store_s += time.perf_counter() - t
        t = time.perf_counter()
        app.stories.track(new_ids)
        track_s += time.perf_counter() - t
        stored += len(new_ids)
        if (start // BATCH) % 20 == 0:
            log(f"  built {start + len(chunk)}/{size} ({stored / (store_s + track_s):.1f} articles/s)")
    total = time.perf_counter() - t_all
    with store.engine.connect() as c:
        from sqlalchemy import text

        stories = int(c.execute(text("SELECT count(*) FROM stories")).scalar() or 0)
    meta = {
        "size": size,
        "stored": stored,
        "outlets": len(outlets),
        "events": len({a.event for a in articles}),
        "stories": stories,
        "mean_words": round(words / max(1, len(articles))),
        "store_s": round(store_s, 2),
        "track_s": round(track_s, 2),
        "total_s": round(total, 2),
        "articles_per_s": round(stored / (store_s + track_s), 1),
        "db_mb": round(db.stat().st_size / 1e6, 1),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_note(),
        "anchor": ANCHOR.isoformat(),
    }
    meta_file.write_text(json.dumps(meta, indent=1), encoding="utf-8")
    store.close()
    return Built(db, config, size, meta)
