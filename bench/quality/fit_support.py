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

from summarizer.support import FEATURES, SupportModel, claim_of, features, story_context

LABELS = Path(__file__).resolve().parent / "support_labels.tsv"
WEIGHTS_FILE = REPO / "summarizer" / "support_weights.json"
C = 1.0
THRESHOLDS = [round(x, 2) for x in np.arange(0.1, 0.81, 0.05)]
CITE_BETA = 0.5  # citing weighs precision twice as much as recall


def sentence_hash(text: str) -> str:
    return hashlib.sha1(" ".join(text.split()).encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class Pair:
    kind: str
    topic: str
    event: str
    claim: str
    evidence: str
    label: int


@dataclass(frozen=True)
class Sentences:
    text: dict[tuple[str, str], str]  # (article id, sentence hash) -> sentence
    topic: dict[str, str]  # article id -> topic
    event: dict[str, str]  # article id -> event
    by_event: dict[str, list[str]]  # event -> every sentence of its articles (its story)


def _sentences() -> Sentences:
    """Every sentence of ecbplus-dev and the seeds, as our segmenter gives them."""
    from inputs import load_seeds

    from summarizer.segment import segment_document

    out = Sentences({}, {}, {}, {})
    docs = [(r.doc, r.doc.key, r.topic, r.event) for r in load(ECBPLUS)]
    docs += [(d, f"seed:{d.key}", "seeds", "seeds") for d in load_seeds().docs]
    for doc, key, topic, event in docs:
        out.topic[key], out.event[key] = topic, event
        for s in segment_document(doc.title, doc.text).sentences:
            out.text[(key, sentence_hash(s.text))] = s.text
            out.by_event.setdefault(event, []).append(s.text)
    return out


def load_pairs() -> tuple[list[Pair], Sentences, int]:
    found = _sentences()
    pairs, missing = [], 0
    for line in LABELS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        kind, a, ah, b, bh, label = line.split("\t")
        claim, evidence = found.text.get((a, ah)), found.text.get((b, bh))
        if claim is None or evidence is None:
            missing += 1  # the segmenter now cuts this sentence differently
            continue
        pairs.append(Pair(kind, found.topic[a], found.event[a], claim, evidence, int(label)))
    return pairs, found, missing


def feature_table(pairs: Sequence[Pair], found: Sentences) -> np.ndarray:
    """Features of every pair within its story: the event's sentences give the centroid and the idf."""
    from summarizer.embed import get_embedder

    events = sorted({p.event for p in pairs})
    strings = sorted(
        {s for e in events for s in found.by_event[e]}
        | {p.claim for p in pairs}
        | {p.evidence for p in pairs}
    )
    vecs = np.asarray(get_embedder("minilm").encode(strings), dtype=np.float64)
    at = {s: i for i, s in enumerate(strings)}
    claims = {s: claim_of(s) for s in strings}
    contexts = {}
    for e in events:
        members = list(dict.fromkeys(found.by_event[e]))
        contexts[e] = story_context(
            vecs[[at[m] for m in members]]
            / np.linalg.norm(vecs[[at[m] for m in members]], axis=1, keepdims=True),
            [claims[m] for m in members],
        )
    rows = []
    for p in pairs:
        rows.append(
            features(
                vecs[[at[p.claim]]],
                vecs[[at[p.evidence]]],
                [claims[p.claim]],
                [claims[p.evidence]],
                contexts[p.event],
            )[0, 0]
        )
    return np.array(rows)


_cosines: dict[tuple[str, str], float] = {}


def old_rule(pairs: Sequence[Pair], x: np.ndarray) -> np.ndarray:
    """summarizer.cite.supports before this model: cosine >= 0.8, 60% of words (of the smaller), every figure."""
    from summarizer.cite import numbers
    from summarizer.rank import content_tokens, token_overlap

    out = []
    for p in pairs:
        cos = _cosines[(p.claim, p.evidence)]
        words = token_overlap(frozenset(content_tokens(p.claim)), frozenset(content_tokens(p.evidence)))
        out.append(cos >= 0.8 and words >= 0.6 and numbers(p.claim) <= numbers(p.evidence))
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


def f_beta(pred: np.ndarray, gold: np.ndarray, beta: float) -> float:
    p, r, _, _ = prf(pred, gold)
    return (1 + beta * beta) * p * r / (beta * beta * p + r) if p + r else 0.0


def best_threshold(scores: np.ndarray, gold: np.ndarray, grid: Sequence[float], beta: float = 1.0) -> float:
    return max(grid, key=lambda t: (f_beta(scores >= t, gold, beta), -abs(t - 0.5)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--dry-run", action="store_true", help="print the figures, do not write the weights")
    args = parser.parse_args()
    offline_env()
    pairs, found, missing = load_pairs()
    pairs = [p for p in pairs if p.kind == "hand"]  # pairs of one story: what the engine judges
    x = feature_table(pairs, found)
    y = np.array([p.label == 1 for p in pairs])
    hand = np.array([p.kind == "hand" for p in pairs])
    topics = np.array([p.topic for p in pairs])
    print(
        f"{len(pairs)} pairs ({int(hand.sum())} hand-labelled, {int(y.sum())} supporting), "
        f"{len(set(topics.tolist()))} topics; {missing} labelled pairs no longer found"
    )
    for p, row in zip(pairs, x, strict=True):
        _cosines[(p.claim, p.evidence)] = float(row[0])
    rule = old_rule(pairs, x)
    results: dict[str, list[tuple[float, float, float, float]]] = {
        "model": [],
        "model_cite": [],
        "cosine": [],
        "rule": [],
    }
    thresholds, cite_thresholds = [], []
    for seed in range(args.seeds):
        preds: dict[str, np.ndarray] = {k: np.zeros(len(y), dtype=bool) for k in results}
        order = np.random.default_rng(seed).permutation(sorted(set(topics.tolist())))
        for f in range(args.folds):
            held = set(order[f :: args.folds].tolist())
            test = np.array([t in held for t in topics])
            train = ~test
            model = fit(x[train], y[train])
            trained = model.probability(x[train & hand])
            t = best_threshold(trained, y[train & hand], THRESHOLDS)
            tc = best_threshold(trained, y[train & hand], THRESHOLDS, CITE_BETA)
            cite_thresholds.append(tc)
            ct = best_threshold(
                x[train & hand, 0], y[train & hand], [round(v, 2) for v in np.arange(0.3, 0.96, 0.02)]
            )
            thresholds.append(t)
            preds["model"][test] = model.probability(x[test]) >= t
            preds["model_cite"][test] = model.probability(x[test]) >= tc
            preds["cosine"][test] = x[test, 0] >= ct
            preds["rule"][test] = rule[test]
        for k, v in preds.items():  # every hand-labelled pair is held out once per seed
            results[k].append(prf(v[hand], y[hand]))
    rows = []
    for name, label in (
        ("model", "fitted model, threshold (best F1) from training folds"),
        ("model_cite", "fitted model, citing threshold (best F0.5) from training folds"),
        ("cosine", "cosine alone, threshold from training folds"),
        ("rule", "old rule: cosine >= 0.8, 60% words, every figure"),
    ):
        m = np.mean(np.array(results[name]), axis=0)
        rows.append([label, *(round(float(v), 3) for v in m)])
    print(
        f"\ncross-validated on held-out topics, hand-labelled pairs pooled over the folds ({args.folds} folds x {args.seeds} seeds):\n"
    )
    print(table(["judge", "precision", "recall", "F1", "accuracy"], rows))
    final = fit(x, y)
    threshold = float(np.median(thresholds))
    cite_threshold = float(np.median(cite_thresholds))
    weights = dict(zip(("bias", *FEATURES), (final.bias, *final.coef), strict=True))
    print("\nweights fitted on every pair:", {k: round(v, 3) for k, v in weights.items()})
    print(f"thresholds (medians of the folds' choices): {threshold}, citing {cite_threshold}")
    shadow = {
        "always yes": prf(np.ones(int(hand.sum()), dtype=bool), y[hand]),
        "always no": prf(np.zeros(int(hand.sum()), dtype=bool), y[hand]),
    }
    for k, v in shadow.items():
        print(f"  {k}: precision {v[0]:.3f} recall {v[1]:.3f} F1 {v[2]:.3f} accuracy {v[3]:.3f}")
    if args.dry_run:
        return 0

    def mean(name: str) -> list[float]:
        return [round(float(v), 3) for v in np.mean(np.array(results[name]), axis=0)]

    data = {
        "weights": {"bias": final.bias, **dict(zip(FEATURES, final.coef, strict=True))},
        "threshold": threshold,
        "cite_threshold": cite_threshold,
        "fitted_on": (
            f"{len(pairs)} sentence pairs ({int(hand.sum())} labelled by hand from ecbplus-dev and the seeds, "
            f"{len(pairs) - int(hand.sum())} closest pairs of two events of one topic); logistic regression C={C}"
        ),
        "cross_validated": {
            "folds": f"{args.folds} folds over topics x {args.seeds} seeds, hand-labelled pairs of the held-out topics",
            "model_p_r_f1_acc": mean("model"),
            "citing_p_r_f1_acc": mean("model_cite"),
            "cosine_alone_p_r_f1_acc": mean("cosine"),
            "old_rule_p_r_f1_acc": mean("rule"),
        },
    }
    WEIGHTS_FILE.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {WEIGHTS_FILE.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
