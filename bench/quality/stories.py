"""Story assignment on real labelled news, beside a tf-idf average-linkage peer, plus the seeds and demo checks.

Usage: .venv/bin/python bench/quality/stories.py [--seeds 3] [--folds 5] [--corpus FILE ...]

1. ecbplus-dev (../shared/corpora/ecbplus-dev), cross-validated: topics are dealt into folds; the
   scorer's weights and threshold are fitted on the other folds (bench/quality/fit_stories.py) and
   the real assigner (`StoryAssigner.assign_all`, what `brief --input` runs; and `ingest` one report
   at a time in a random order, what the store runs) groups the held-out fold's reports. Two kinds
   of pools: "mixed" (every held-out topic with both of its look-alike events) and "unrelated" (one
   event of each held-out topic).
2. The peer: tf-idf (sublinear, English stop words, fitted on the pool) with average linkage, its one
   threshold chosen on the other folds' pools of the same kind, computed in the same run.
3. `--corpus FILE`: any other labelled corpus (JSON lines with id, event, text, and optionally topic,
   title, outlet, url, published), scored with the SHIPPED weights (never fitted on it); the peer's
   threshold is chosen by cross-validation inside that corpus, which favours the peer.
4. The seeds (../shared/seeds) must make one story of 5 sources; the demo's separate events must stay
   separate.

Prints pairwise and B-cubed precision, recall and F1 for each.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import DEMO_CONFIG, SEEDS, machine_note, offline_env, table
from fit_stories import Pool, cross_validate, fresh, signatures
from labelled import (
    ECBPLUS,
    Labelled,
    Scores,
    average_linkage,
    describe,
    label_by_story,
    load,
    peer_threshold,
    score,
    tfidf_similarity,
    topic_folds,
)

from summarizer.stories import PairScorer, Signature, StoryAssigner, TermStats, Weights, default_weights


def unrelated(rows: Sequence[Labelled], seed: int) -> list[Labelled]:
    """One event of each topic (chosen at random): a pool of events of different kinds."""
    rng = np.random.default_rng(500 + seed)
    by_topic: dict[str, list[str]] = {}
    for r in rows:
        by_topic.setdefault(r.topic, [])
        if r.event not in by_topic[r.topic]:
            by_topic[r.topic].append(r.event)
    keep = {events[int(rng.integers(len(events)))] for events in by_topic.values()}
    return [r for r in rows if r.event in keep]


def online(pool: Pool, weights: Weights, seed: int) -> Scores:
    """The store's path: reports ingested one at a time in a random order, merges after each."""
    sigs = fresh(pool.sigs)
    order = np.random.default_rng(seed).permutation(len(sigs)).tolist()
    assigner = StoryAssigner(scorer=PairScorer(TermStats(), weights))
    for i in order:
        a = assigner.ingest(sigs[i])
        assigner.merge(pairs=[(a.story, other) for other in a.also])
    return score(label_by_story(pool.docs, [s.members for s in assigner.stories.values()]), pool.events)


def peer(pool_rows: Sequence[Labelled], threshold: float) -> Scores:
    sim = tfidf_similarity([r.doc for r in pool_rows])
    return score(average_linkage(sim, threshold), [r.event for r in pool_rows])


def fmt(s: Scores) -> list[str]:
    return [
        f"{s.pairwise[0]:.3f}",
        f"{s.pairwise[1]:.3f}",
        f"{s.pairwise[2]:.3f}",
        f"{s.bcubed[0]:.3f}",
        f"{s.bcubed[1]:.3f}",
        f"{s.bcubed[2]:.3f}",
        str(s.clusters),
        str(s.events),
    ]


HEAD = ["set", "system", "pair P", "pair R", "pair F1", "B3 P", "B3 R", "B3 F1", "stories", "events"]


def ecbplus_section(seeds: int, folds: int) -> None:
    rows = load(ECBPLUS)
    sigs = signatures(rows, ECBPLUS)
    sigs_of: dict[str, list[Signature]] = {}
    for s in sigs:
        sigs_of.setdefault(s.doc_key, []).append(s)
    print(f"ecbplus-dev: {describe(rows)}; {folds} folds over topics x {seeds} seeds")
    t0 = time.perf_counter()
    results = cross_validate(rows, sigs, seeds, folds, log=False)
    ours: dict[str, list[Scores]] = {"mixed": [], "unrelated": []}
    ours_online: dict[str, list[Scores]] = {"mixed": [], "unrelated": []}
    theirs: dict[str, list[Scores]] = {"mixed": [], "unrelated": []}
    thresholds: dict[str, list[float]] = {"mixed": [], "unrelated": []}
    for seed in range(seeds):
        fold_topics = topic_folds(rows, folds, seed)
        for topics, result in zip(fold_topics, [r for r in results if r.seed == seed], strict=True):
            test = [r for r in rows if r.topic in topics]
            others = [[r for r in rows if r.topic in t] for t in fold_topics if t != topics]
            for kind, pick in (("mixed", lambda p: p), ("unrelated", lambda p, s=seed: unrelated(p, s))):
                pool_rows = pick(test)
                pool = Pool.of(pool_rows, sigs_of)
                ours[kind].append(pool.score(result.weights))
                ours_online[kind].append(online(pool, result.weights, seed))
                t = peer_threshold([pick(o) for o in others])
                thresholds[kind].append(t)
                theirs[kind].append(peer(pool_rows, t))
    lines = []
    for kind in ("mixed", "unrelated"):
        lines.append([kind, "ours, batch (brief --input)", *fmt(Scores.mean(ours[kind]))])
        lines.append([kind, "ours, online (ingest, random order)", *fmt(Scores.mean(ours_online[kind]))])
        lines.append([kind, "tf-idf average linkage (peer)", *fmt(Scores.mean(theirs[kind]))])
    print(table(HEAD, lines))
    print(
        f"(means over {len(ours['mixed'])} held-out pools each; peer thresholds chosen on the other folds: "
        f"mixed {np.median(thresholds['mixed']):.2f}, unrelated {np.median(thresholds['unrelated']):.2f} "
        f"median; ours: {[round(float(r.weights.threshold), 2) for r in results]}; {time.perf_counter() - t0:.0f} s)"
    )
    wins = sum(o.bcubed[2] >= p.bcubed[2] for k in ours for o, p in zip(ours[k], theirs[k], strict=True))
    print(f"ours >= peer on B-cubed F1 in {wins} of {sum(len(v) for v in ours.values())} pools")


def corpus_section(path: Path, folds: int) -> None:
    rows = load(path)
    sigs = signatures(rows, path)
    sigs_of: dict[str, list[Signature]] = {}
    for s in sigs:
        sigs_of.setdefault(s.doc_key, []).append(s)
    print(f"\n{path}: {describe(rows)}; shipped weights (never fitted on it)")
    ours = Pool.of(rows, sigs_of).score(default_weights())
    topics = (
        topic_folds(rows, folds, 0)
        if len({r.topic for r in rows}) >= folds
        else [sorted({r.topic for r in rows})]
    )
    peers = []
    for t in topics:
        held = [r for r in rows if r.topic in t]
        rest = [r for r in rows if r.topic not in t]
        peers.append((held, peer_threshold([rest]) if rest else 0.2))
    theirs = score(_peer_labels(rows, peers), [r.event for r in rows])
    print(
        table(
            HEAD,
            [
                ["all", "ours (shipped weights)", *fmt(ours)],
                ["all", "tf-idf average linkage (peer, CV threshold)", *fmt(theirs)],
            ],
        )
    )


def _peer_labels(rows: Sequence[Labelled], parts: list[tuple[list[Labelled], float]]) -> list[str]:
    label = {}
    for n, (held, t) in enumerate(parts):
        for r, lab in zip(held, average_linkage(tfidf_similarity([h.doc for h in held]), t), strict=True):
            label[r.doc.key] = f"{n}:{lab}"
    return [label[r.doc.key] for r in rows]


DEMO_EVENTS = [
    ("taiwan", r"taiwan|strait|destroyer|cutter|hai an"),
    ("grain", r"grain|black sea|odesa|corridor"),
    ("trade", r"car tariff|electric car|price floors"),
    ("red sea", r"red sea|suez"),
    ("nato", r"nato ministers|air-defence"),
]


def demo_section() -> list[str]:
    """The demo corpus through the real brief --input path: each event one story, no two events together."""
    from bot.config import load_config
    from bot.core.briefing import to_document
    from bot.ingest.files import read_inputs
    from summarizer.embed import get_embedder
    from summarizer.stories import build_signatures

    loaded = load_config(DEMO_CONFIG)
    paths = [loaded.resolve_path(s.path) for s in loaded.config.sources if s.path]
    docs = [to_document(a, key=f"input:{i}") for i, a in enumerate(read_inputs(paths))]
    sigs = build_signatures(docs, get_embedder("minilm"))
    stories = StoryAssigner().assign_all(sigs)
    by_key = {s.key: s for s in sigs}

    def event(sig: Signature) -> str:
        text = f"{sig.title} {sig.lead}".lower()
        return next((name for name, pat in DEMO_EVENTS if re.search(pat, text)), f"other:{sig.key}")

    problems = []
    seen: dict[str, int] = {}
    for st in stories:
        events = {event(by_key[k]) for k in st.members}
        named = {e for e in events if not e.startswith("other:")}
        if len(events) > 1:
            problems.append(f"one story holds {sorted(events)}")
        for e in named:
            seen[e] = seen.get(e, 0) + 1
    problems += [f"{e} is split into {n} stories" for e, n in seen.items() if n > 1]
    print(
        f"\ndemo: {len(docs)} documents, {len(sigs)} reports, {len(stories)} stories; "
        f"{'every event one story, no two together' if not problems else '; '.join(problems)}"
    )
    return problems


def seeds_section() -> list[str]:
    from bot.core.briefing import to_document
    from bot.ingest.files import read_inputs
    from summarizer.engines.extractive import ExtractiveSummarizer

    if not SEEDS.exists():
        print("\nseeds: ../shared/seeds not found, skipped")
        return []
    docs = [to_document(a, key=f"input:{i}") for i, a in enumerate(read_inputs([SEEDS]))]
    b = ExtractiveSummarizer(strict=True).summarize(docs)
    top = b.stories[0] if b.stories else None
    ok = top is not None and len(top.sources) == 5
    print(
        f"seeds: top story cites {len(top.sources) if top else 0} of 5 outlets"
        f" ({len(b.stories)} stories in all){'' if ok else '  <-- expected one 5-source story'}"
    )
    return [] if ok else ["seeds not one 5-source story"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--corpus", type=Path, action="append", default=[])
    args = ap.parse_args()
    offline_env()
    print(machine_note())
    if ECBPLUS.exists():
        ecbplus_section(args.seeds, args.folds)
    else:
        print(f"no ecbplus-dev at {ECBPLUS}: its section is skipped")
    for path in args.corpus:
        corpus_section(path, args.folds)
    problems = demo_section() + seeds_section()
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
