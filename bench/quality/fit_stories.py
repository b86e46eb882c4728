"""Fit the story scorer's weights on real labelled news and write summarizer/stories/weights.json.

Usage: .venv/bin/python bench/quality/fit_stories.py [--corpus FILE] [--seeds 3] [--folds 5] [--dry-run]

The model is two logistic regressions over the pair features of `summarizer.stories.scorer`
(C=10, nearly unshrunk: nine features against tens of thousands of pairs need little shrinkage;
cross-validated B-cubed F1 0.899 at C=0.1, 0.913 at C=1 and 0.919 at C=10), fitted on every pair
of reports. Its threshold (the mean probability from which a report joins a story) is chosen by
running the real assigner on pools of training topics. Cross-validation deals topics into folds: the weights and the threshold
used on a fold never saw its topics. The shipped weights are then fitted on every topic, with
the median of the folds' thresholds, and the file records the cross-validated figures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import REPO, cache_dir, offline_env
from labelled import ECBPLUS, Labelled, Scores, describe, label_by_story, load, score, topic_folds

from summarizer.stories import (
    FEATURES,
    PairScorer,
    Signature,
    StoryAssigner,
    TermStats,
    Weights,
    build_signatures,
    pair_features,
)
from summarizer.stories.assigner import sequential_ids
from summarizer.stories.density import Neighbourhood
from summarizer.stories.scorer import ALIKE

WEIGHTS_FILE = REPO / "summarizer" / "stories" / "weights.json"
C = 10.0  # inverse L2 strength of both regressions (see the docstring for the values compared)
SPARSE_POOLS = 20
THRESHOLDS = [round(x, 2) for x in np.arange(0.2, 0.81, 0.05)]


def signatures(rows: Sequence[Labelled], path: Path) -> list[Signature]:
    """The real signatures of every row (MiniLM leads), cached in bench/.cache by corpus and code."""
    code = b"".join(
        (REPO / "summarizer" / p).read_bytes()
        for p in (
            "stories/signature.py",
            "stories/terms.py",
            "entities.py",
            "items.py",
            "segment.py",
            "clean.py",
            "dates.py",
        )
    )
    digest = hashlib.sha1(path.read_bytes() + code).hexdigest()[:16]
    cached = cache_dir() / f"signatures-{digest}.pkl"
    if cached.exists():
        return pickle.loads(cached.read_bytes())
    from summarizer.embed import get_embedder

    t0 = time.perf_counter()
    sigs = build_signatures([r.doc for r in rows], get_embedder("minilm"))
    print(f"signatures of {len(rows)} articles in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    for s in sigs:
        s._weighted = s._name_weights = None  # weights depend on the pool's statistics
    cached.write_bytes(pickle.dumps(sigs))
    return sigs


def pool_stats(sigs: Sequence[Signature]) -> TermStats:
    stats = TermStats()
    for s in sigs:
        stats.add(s.terms, s.names)
    return stats


def fresh(sigs: Sequence[Signature]) -> list[Signature]:
    """Copies without cached tf-idf weights (each pool weighs words by its own statistics)."""
    out = []
    for s in sigs:
        c = Signature(**{k: v for k, v in vars(s).items() if not k.startswith("_")})
        out.append(c)
    return out


def sparse_pools(
    rows: Sequence[Labelled], count: int, seed: int, topics_per_pool: int = 8
) -> list[list[Labelled]]:
    """Pools of few reports per event (a store's first hours, a handful of files): a few topics,
    mostly one event of each, each event cut to 1-6 reports. Dense pools alone would teach the
    model that every pool is crowded."""
    rng = np.random.default_rng(1000 + seed)
    by_topic: dict[str, dict[str, list[Labelled]]] = {}
    for r in rows:
        by_topic.setdefault(r.topic, {}).setdefault(r.event, []).append(r)
    topics = sorted(by_topic)
    pools = []
    for _ in range(count):
        pool: list[Labelled] = []
        for t in rng.choice(topics, size=min(topics_per_pool, len(topics)), replace=False).tolist():
            events = sorted(by_topic[t])
            keep = events if rng.random() < 0.3 else [events[int(rng.integers(len(events)))]]
            for e in keep:
                members = by_topic[t][e]
                k = int(rng.integers(1, min(6, len(members)) + 1))
                pool.extend(
                    members[i] for i in sorted(rng.choice(len(members), size=k, replace=False).tolist())
                )
        pools.append(pool)
    return pools


def pair_table(sigs: Sequence[Signature], event_of: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Features and same-event labels of every pair, with statistics and densities of these reports."""
    sigs = fresh(sigs)
    events = [event_of[s.doc_key] for s in sigs]
    stats = pool_stats(sigs)
    hood = Neighbourhood(stats)
    for s in sigs:
        hood.add(s)
    for s in sigs:
        s.density = hood.density(s)
    n = len(sigs)
    rows, labels = [], []
    for i in range(n):
        for j in range(i + 1, n):
            rows.append(pair_features(sigs[i], sigs[j], stats))
            labels.append(events[i] == events[j])
    return np.array(rows), np.array(labels)


HARD = 0.2  # the crowd model is fitted on the pairs the first model finds this alike


def fit(x: np.ndarray, y: np.ndarray, threshold: float, crowded: np.ndarray) -> Weights:
    """The "alike" model on every pair of the crowded pool (`crowded`: which rows come from it);
    the "crowd" model on the pairs the first finds alike, of every pool."""
    from sklearn.linear_model import LogisticRegression

    n = len(ALIKE)
    alike = LogisticRegression(C=C, max_iter=5000).fit(x[crowded][:, :n], y[crowded])
    hard = alike.predict_proba(x[:, :n])[:, 1] >= HARD
    crowd = LogisticRegression(C=C, max_iter=5000).fit(x[hard][:, n:], y[hard])
    return Weights(
        bias=float(alike.intercept_[0]),
        coef=tuple(float(c) for c in alike.coef_[0]),
        crowd_bias=float(crowd.intercept_[0]),
        crowd_coef=tuple(float(c) for c in crowd.coef_[0]),
        threshold=threshold,
    )


@dataclass
class Pool:
    """One pool of mixed topics: its reports (articles and live-blog items), the gold event of each
    article, and a feature memo for re-runs."""

    sigs: list[Signature]
    docs: list[str]
    events: list[str]
    memo: dict[tuple[str, str], np.ndarray]

    @classmethod
    def of(cls, rows: Sequence[Labelled], sigs_of: dict[str, list[Signature]]) -> Pool:
        sigs = [s for r in rows for s in sigs_of.get(r.doc.key, [])]
        return cls(fresh(sigs), [r.doc.key for r in rows], [r.event for r in rows], {})

    def cluster(self, weights: Weights) -> list[list[str]]:
        for s in self.sigs:
            s._weighted = s._name_weights = None
        stats = TermStats()
        assigner = StoryAssigner(scorer=PairScorer(stats, weights, memo=self.memo), new_id=sequential_ids())
        return [st.members for st in assigner.assign_all(self.sigs)]

    def score(self, weights: Weights) -> Scores:
        return score(label_by_story(self.docs, self.cluster(weights)), self.events)


def choose_threshold(pools: Sequence[Pool], weights: Weights) -> float:
    def mean_f1(t: float) -> float:
        w = weights.with_threshold(t)
        return float(np.mean([p.score(w).bcubed[2] for p in pools]))

    return max(THRESHOLDS, key=lambda t: (mean_f1(t), -abs(t - 0.35)))


def split(items: Sequence[Labelled], parts: int) -> list[list[int]]:
    """Indices of `items` in `parts` pools, whole topics together."""
    topics = sorted({r.topic for r in items})
    return [[i for i, r in enumerate(items) if r.topic in set(topics[p::parts])] for p in range(parts)]


def training_pairs(
    rows: Sequence[Labelled], sigs_of: dict[str, list[Signature]], event_of: dict[str, str], seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair of the training reports together (a crowded pool), and of sparse pools of them;
    and which rows are of the crowded pool."""
    parts = [pair_table([s for r in rows for s in sigs_of.get(r.doc.key, [])], event_of)]
    for pool in sparse_pools(rows, SPARSE_POOLS, seed):
        parts.append(pair_table([s for r in pool for s in sigs_of.get(r.doc.key, [])], event_of))
    crowded = np.zeros(sum(len(p[1]) for p in parts), dtype=bool)
    crowded[: len(parts[0][1])] = True
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]), crowded


@dataclass
class FoldResult:
    seed: int
    topics: list[str]
    weights: Weights
    ours: Scores
    test_rows: list[int]


def cross_validate(
    rows: Sequence[Labelled], sigs: Sequence[Signature], seeds: int, folds: int, log: bool = True
) -> list[FoldResult]:
    sigs_of: dict[str, list[Signature]] = {}
    for s in sigs:
        sigs_of.setdefault(s.doc_key, []).append(s)
    event_of = {r.doc.key: r.event for r in rows}
    out = []
    for seed in range(seeds):
        for topics in topic_folds(rows, folds, seed):
            test = [i for i, r in enumerate(rows) if r.topic in topics]
            train = [i for i, r in enumerate(rows) if r.topic not in topics]
            train_rows = [rows[i] for i in train]
            x, y, crowded = training_pairs(train_rows, sigs_of, event_of, seed)
            w = fit(x, y, 0.5, crowded)
            pools = [Pool.of([train_rows[k] for k in part], sigs_of) for part in split(train_rows, folds - 1)]
            pools += [Pool.of(p, sigs_of) for p in sparse_pools(train_rows, folds - 1, seed)]
            w = w.with_threshold(choose_threshold(pools, w))
            test_pool = Pool.of([rows[i] for i in test], sigs_of)
            result = FoldResult(seed, list(topics), w, test_pool.score(w), test)
            out.append(result)
            if log:
                b = result.ours.bcubed
                print(
                    f"  seed {seed} topics {','.join(topics)}: threshold {w.threshold:.2f}, "
                    f"B-cubed P {b[0]:.3f} R {b[1]:.3f} F1 {b[2]:.3f}",
                    file=sys.stderr,
                )
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=ECBPLUS)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--dry-run", action="store_true", help="print the weights, do not write them")
    args = ap.parse_args()
    offline_env()
    if not args.corpus.exists():
        print(
            f"no labelled corpus at {args.corpus} (expected ../shared/corpora/ecbplus-dev)", file=sys.stderr
        )
        return 2
    rows = load(args.corpus)
    sigs = signatures(rows, args.corpus)
    print(f"{args.corpus.parent.name}: {describe(rows)}")
    results = cross_validate(rows, sigs, args.seeds, args.folds)
    cv = Scores.mean([r.ours for r in results])
    thresholds = [r.weights.threshold for r in results]
    sigs_of: dict[str, list[Signature]] = {}
    for sg in sigs:
        sigs_of.setdefault(sg.doc_key, []).append(sg)
    x, y, crowded = training_pairs(rows, sigs_of, {r.doc.key: r.event for r in rows}, 0)
    final = fit(x, y, float(np.median(thresholds)), crowded)
    doc = {
        **final.to_dict(),
        "fitted_on": f"{args.corpus.parent.name}: {describe(rows)}; every pair of reports; logistic regression C={C}",
        "cross_validated": {
            "folds": f"{args.folds} folds over topics x {args.seeds} seeds, threshold chosen on the training topics",
            "bcubed_p_r_f1": [round(v, 3) for v in cv.bcubed],
            "pairwise_p_r_f1": [round(v, 3) for v in cv.pairwise],
            "fold_thresholds": thresholds,
        },
    }
    print(json.dumps(doc, indent=1))
    print(
        f"cross-validated B-cubed P/R/F1 {cv.bcubed[0]:.3f} / {cv.bcubed[1]:.3f} / {cv.bcubed[2]:.3f}; "
        f"pairwise {cv.pairwise[0]:.3f} / {cv.pairwise[1]:.3f} / {cv.pairwise[2]:.3f}; features {', '.join(FEATURES)}"
    )
    if not args.dry_run:
        WEIGHTS_FILE.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {WEIGHTS_FILE.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
