"""Fit the sentence support model on labelled real sentence pairs; write summarizer/support_weights.json.

Usage: .venv/bin/python bench/quality/fit_support.py [--folds 5] [--seeds 3] [--dry-run]

The pairs (`support_labels.tsv`, no text: each sentence is named by its article and the SHA-1 of
its text as our segmenter gives it) come from two places, both read at run time:
- `hand`: a sentence of one outlet's report and the closest (and second closest) sentences of
  another outlet's report of the same event, in ecbplus-dev and the seeds, labelled by reading
  them: 1 when the second states the main claim of the first (paraphrase allowed, less detail
  allowed, a contradicting figure or a different claim not);
- `sibling`: a sentence and the closest sentence of the *other* event of the same ecbplus topic
  (two earthquakes, two Oscar hosts), all 0: what two reports of one kind share without telling
  the same fact.
Folds deal topics (the seeds are one topic), so a fold is scored by weights that never saw its
events. Baselines in the same run: the rule it replaces (cosine >= 0.8, 60% of the words, every
figure), and cosine alone with its threshold chosen on the training folds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import REPO, offline_env, table
from labelled import ECBPLUS, load

from summarizer.support import FEATURES, SupportModel, claim_of, features

LABELS = Path(__file__).resolve().parent / "support_labels.tsv"
WEIGHTS_FILE = REPO / "summarizer" / "support_weights.json"
C = 1.0
THRESHOLDS = [round(x, 2) for x in np.arange(0.2, 0.81, 0.05)]


def sentence_hash(text: str) -> str:
    return hashlib.sha1(" ".join(text.split()).encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class Pair:
    kind: str
    topic: str
    claim: str
    evidence: str
    label: int


def _sentences() -> tuple[dict[tuple[str, str], str], dict[str, str]]:
    """(article id, sentence hash) -> sentence text, and article id -> topic, for ecbplus-dev and the seeds."""
    from inputs import load_seeds

    from summarizer.segment import segment_document

    texts: dict[tuple[str, str], str] = {}
    topics: dict[str, str] = {}
    docs = [(r.doc, r.doc.key, r.topic) for r in load(ECBPLUS)]
    docs += [(d, f"seed:{d.key}", "seeds") for d in load_seeds().docs]
    for doc, key, topic in docs:
        topics[key] = topic
        for s in segment_document(doc.title, doc.text).sentences:
            texts[(key, sentence_hash(s.text))] = s.text
    return texts, topics


def load_pairs() -> tuple[list[Pair], int]:
    texts, topics = _sentences()
    pairs, missing = [], 0
    for line in LABELS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        kind, a, ah, b, bh, label = line.split("\t")
        claim, evidence = texts.get((a, ah)), texts.get((b, bh))
        if claim is None or evidence is None:
            missing += 1  # the segmenter now cuts this sentence differently
            continue
        pairs.append(Pair(kind, topics[a], claim, evidence, int(label)))
    return pairs, missing


def feature_table(pairs: Sequence[Pair]) -> np.ndarray:
    from summarizer.embed import get_embedder

    strings = sorted({p.claim for p in pairs} | {p.evidence for p in pairs})
    vecs = np.asarray(get_embedder("minilm").encode(strings), dtype=np.float64)
    vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
    at = {s: i for i, s in enumerate(strings)}
    rows = []
    for p in pairs:
        cos = np.array([[vecs[at[p.claim]] @ vecs[at[p.evidence]]]])
        rows.append(features(cos, [claim_of(p.claim)], [claim_of(p.evidence)])[0, 0])
    return np.array(rows)


def old_rule(pairs: Sequence[Pair], x: np.ndarray) -> np.ndarray:
    """summarizer.cite.supports before this model: cosine >= 0.8, 60% of words (of the smaller), every figure."""
    from summarizer.cite import numbers
    from summarizer.rank import content_tokens, token_overlap

    out = []
    for p, row in zip(pairs, x, strict=True):
        words = token_overlap(frozenset(content_tokens(p.claim)), frozenset(content_tokens(p.evidence)))
        out.append(row[0] >= 0.8 and words >= 0.6 and numbers(p.claim) <= numbers(p.evidence))
    return np.array(out)


def prf(pred: np.ndarray, gold: np.ndarray) -> tuple[float, float, float, float]:
    tp = float((pred & gold).sum())
    p = tp / pred.sum() if pred.sum() else 1.0
    r = tp / gold.sum() if gold.sum() else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f, float((pred == gold).mean())


def fit(x: np.ndarray, y: np.ndarray) -> SupportModel:
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=C, max_iter=2000).fit(x, y)
    return SupportModel(float(lr.intercept_[0]), tuple(float(c) for c in lr.coef_[0]))


def best_threshold(scores: np.ndarray, gold: np.ndarray, grid: Sequence[float]) -> float:
    return max(grid, key=lambda t: (prf(scores >= t, gold)[2], -abs(t - 0.5)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--dry-run", action="store_true", help="print the figures, do not write the weights")
    args = parser.parse_args()
    offline_env()
    pairs, missing = load_pairs()
    x = feature_table(pairs)
    y = np.array([p.label == 1 for p in pairs])
    hand = np.array([p.kind == "hand" for p in pairs])
    topics = np.array([p.topic for p in pairs])
    print(
        f"{len(pairs)} pairs ({int(hand.sum())} hand-labelled, {int(y.sum())} supporting), "
        f"{len(set(topics.tolist()))} topics; {missing} labelled pairs no longer found"
    )
    rule = old_rule(pairs, x)
    results: dict[str, list[tuple[float, float, float, float]]] = {"model": [], "cosine": [], "rule": []}
    thresholds, cos_thresholds = [], []
    for seed in range(args.seeds):
        order = np.random.default_rng(seed).permutation(sorted(set(topics.tolist())))
        for f in range(args.folds):
            held = set(order[f :: args.folds].tolist())
            test = np.array([t in held for t in topics])
            train = ~test
            model = fit(x[train], y[train])
            t = best_threshold(model.probability(x[train & hand]), y[train & hand], THRESHOLDS)
            ct = best_threshold(
                x[train & hand, 0], y[train & hand], [round(v, 2) for v in np.arange(0.3, 0.96, 0.02)]
            )
            thresholds.append(t)
            cos_thresholds.append(ct)
            scored = test & hand  # figures on the pairs readers meet: one event, several outlets
            results["model"].append(prf(model.probability(x[scored]) >= t, y[scored]))
            results["cosine"].append(prf(x[scored, 0] >= ct, y[scored]))
            results["rule"].append(prf(rule[scored], y[scored]))
    rows = []
    for name, label in (
        ("model", "fitted model (6 features), threshold from training folds"),
        ("cosine", "cosine alone, threshold from training folds"),
        ("rule", "old rule: cosine >= 0.8, 60% words, every figure"),
    ):
        m = np.mean(np.array(results[name]), axis=0)
        rows.append([label, *(round(float(v), 3) for v in m)])
    print(
        f"\ncross-validated on held-out topics, hand-labelled pairs ({args.folds} folds x {args.seeds} seeds):\n"
    )
    print(table(["judge", "precision", "recall", "F1", "accuracy"], rows))
    final = fit(x, y)
    threshold = float(np.median(thresholds))
    print(
        "\nweights fitted on every pair:",
        dict(zip(("bias", *FEATURES), (final.bias, *final.coef), strict=True)),
    )
    print(f"threshold (median of the folds' choices): {threshold}")
    shadow = {
        "always yes": prf(np.ones(int(hand.sum()), dtype=bool), y[hand]),
        "always no": prf(np.zeros(int(hand.sum()), dtype=bool), y[hand]),
    }
    for k, v in shadow.items():
        print(f"  {k}: precision {v[0]:.3f} recall {v[1]:.3f} F1 {v[2]:.3f} accuracy {v[3]:.3f}")
    if args.dry_run:
        return 0
    m = np.mean(np.array(results["model"]), axis=0)
    mc = np.mean(np.array(results["cosine"]), axis=0)
    mr = np.mean(np.array(results["rule"]), axis=0)
    data = {
        "weights": {"bias": final.bias, **dict(zip(FEATURES, final.coef, strict=True))},
        "threshold": threshold,
        "fitted_on": (
            f"{len(pairs)} sentence pairs ({int(hand.sum())} labelled by hand from ecbplus-dev and the seeds, "
            f"{len(pairs) - int(hand.sum())} closest pairs of two events of one topic); logistic regression C={C}"
        ),
        "cross_validated": {
            "folds": f"{args.folds} folds over topics x {args.seeds} seeds, hand-labelled pairs of the held-out topics",
            "model_p_r_f1_acc": [round(float(v), 3) for v in m],
            "cosine_alone_p_r_f1_acc": [round(float(v), 3) for v in mc],
            "old_rule_p_r_f1_acc": [round(float(v), 3) for v in mr],
        },
    }
    WEIGHTS_FILE.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {WEIGHTS_FILE.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
