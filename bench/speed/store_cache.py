"""Generated SQLite stores with sentence embeddings cached the way ingest caches them.

Encoding 10,000 articles takes minutes, so a built store is kept in bench/.cache/ under a name made of
its parameters and reused. Building stores the articles through `record_fetch` (deduplication and
syndication aliases included) and caches the vectors of exactly `sentences_for_cache` of each stored
article, as `EmbeddingIndexer` does; identical sentences are encoded once per chunk to save time (the
vectors are the same). `measure_ingest` times the real path, `EmbeddingIndexer`, on a small sample.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common import cache_dir, machine_note
from synth import SynthArticle, generate

from bot.core.briefing import to_document
from bot.core.protocols import FetchedArticle, FetchOutcome
from bot.store import SqlStore, open_store
from summarizer.pipeline import sentences_for_cache

GENERATOR_VERSION = 4  # bump when synth.py changes what it writes
CHUNK = 256


@dataclass(frozen=True)
class SourceSpec:
    """What `sync_sources` reads from a configured source."""

    name: str
    url: str
    outlet: str
    labels: tuple[str, ...]
    enabled: bool = True


@dataclass
class BuiltStore:
    path: Path
    articles: int
    anchor: datetime
    meta: dict[str, Any]


def source_specs(articles: Sequence[SynthArticle]) -> list[SourceSpec]:
    seen: dict[str, SourceSpec] = {}
    for a in articles:
        if a.outlet not in seen:
            slug = re.sub(r"[^a-z0-9]+", "-", a.outlet.lower()).strip("-")
            seen[a.outlet] = SourceSpec(
                slug, f"https://{slug.replace('-', '')}.example/feed.xml", a.outlet, tuple(a.labels)
            )
    return sorted(seen.values(), key=lambda s: s.name)


def store_articles(store: SqlStore, articles: Sequence[SynthArticle]) -> list[int]:
    """Record the articles source by source, as polling does; returns the ids of those stored."""
    specs = {s.outlet: s for s in source_specs(articles)}
    store.sync_sources(list(specs.values()))
    by_source: dict[str, list[FetchedArticle]] = defaultdict(list)
    for a in articles:
        by_source[specs[a.outlet].name].append(
            FetchedArticle(
                url=a.url,
                title=a.title,
                text=a.text,
                outlet=a.outlet,
                published=a.published,
                guid=a.url,
                labels=list(a.labels),
                source_name=specs[a.outlet].name,
            )
        )
    ids: list[int] = []
    for name, batch in sorted(by_source.items()):
        result = store.record_fetch(FetchOutcome(name, "ok", articles=batch, items_seen=len(batch)))
        ids.extend(result.new_ids)
    return ids


def cache_vectors(store: SqlStore, ids: Sequence[int], embedder: Any) -> tuple[int, int]:
    """Encode and save the cache sentences of these articles; returns (sentences, distinct encoded)."""
    total = distinct = 0
    for start in range(0, len(ids), CHUNK):
        chunk = store.articles_by_id(ids[start : start + CHUNK])
        per_article = {a.id: sentences_for_cache(to_document(a)) for a in chunk}
        unique = list(dict.fromkeys(s for sents in per_article.values() for s in sents))
        if not unique:
            continue
        vectors = dict(zip(unique, embedder.encode(unique), strict=True))
        store.save_many_embeddings(
            {aid: {s: vectors[s] for s in sents} for aid, sents in per_article.items()}, embedder.name
        )
        total += sum(len(s) for s in per_article.values())
        distinct += len(unique)
    return total, distinct


def _anchor() -> datetime:
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def cached_store(size: int, seed: int, embedder: Any, log: Any = print) -> BuiltStore:
    """The store of `size` generated articles, built once and reused (bench/.cache/)."""
    tag = re.sub(r"[^A-Za-z0-9]+", "-", embedder.name).strip("-")
    stem = f"store-n{size}-s{seed}-g{GENERATOR_VERSION}-{tag}"
    path, meta_path = cache_dir() / f"{stem}.db", cache_dir() / f"{stem}.json"
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        return BuiltStore(path, meta["stored"], datetime.fromisoformat(meta["anchor"]), meta)
    for stale in (path, meta_path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    anchor = _anchor()
    log(f"building {path.name}: {size} articles (one-off; encoding takes a while)")
    t0 = time.perf_counter()
    articles = generate(size, anchor, seed=seed)
    store = open_store(f"sqlite:///{path}")
    try:
        t1 = time.perf_counter()
        ids = store_articles(store, articles)
        t2 = time.perf_counter()
        sentences, distinct = cache_vectors(store, ids, embedder)
        t3 = time.perf_counter()
    finally:
        store.close()
    meta = {
        "generated": size,
        "stored": len(ids),
        "seed": seed,
        "anchor": anchor.isoformat(),
        "outlets": len(source_specs(articles)),
        "sources": [[x.name, x.url, x.outlet, list(x.labels)] for x in source_specs(articles)],
        "topics": sorted({a.topic for a in articles}),
        "sentences": sentences,
        "distinct_sentences_encoded": distinct,
        "model": embedder.name,
        "generate_s": round(t1 - t0, 1),
        "store_s": round(t2 - t1, 1),
        "encode_s": round(t3 - t2, 1),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_note(),
        "size_mb": round(path.stat().st_size / 1e6, 1),
    }
    meta_path.write_text(json.dumps(meta, indent=1), encoding="utf-8")
    log(f"built {path.name} in {t3 - t0:.0f} s: {json.dumps(meta)}")
    return BuiltStore(path, len(ids), anchor, meta)


@dataclass
class IngestFigures:
    articles: int
    sentences: int
    store_s: float
    index_s: float

    @property
    def articles_per_s(self) -> float:
        return self.articles / (self.store_s + self.index_s)


def measure_ingest(sample: int, seed: int) -> IngestFigures:
    """Store `sample` fresh articles and cache their vectors with `EmbeddingIndexer` (model preloaded)."""
    from bot.core.indexing import EmbeddingIndexer
    from summarizer.embed import get_embedder

    get_embedder("auto")  # model load is a one-off per process, not ingest throughput
    articles = generate(sample, _anchor(), seed=seed + 1000)
    with tempfile.TemporaryDirectory(prefix="briefbot-ingest-") as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'ingest.db'}")
        try:
            t0 = time.perf_counter()
            ids = store_articles(store, articles)
            t1 = time.perf_counter()
            report = EmbeddingIndexer(store).index(ids)
            t2 = time.perf_counter()
        finally:
            store.close()
    if report.skipped_reason:
        raise SystemExit(f"the indexer cached nothing: {report.skipped_reason}")
    return IngestFigures(len(ids), report.sentences, t1 - t0, t2 - t1)
