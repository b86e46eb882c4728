"""How likely two reports are to tell the same event: two small logistic models with named weights.

The first asks whether two reports are alike at all. Its features:
- `embedding`: cosine of their lead embeddings (MiniLM of title and opening sentences);
- `terms`:     tf-idf cosine of their words (sublinear tf, idf over the reports seen);
- `names`:     idf-weighted overlap of the names they give (rare names count most);
- `figures`:   overlap of the figures they give (120 metres, 41 million tonnes);
- `contrast`:  the largest share of one report's lead names (by weight) that the other never names
               (two fights of one boxer name different opponents);
- `gap`:       ln(1 + days between them) when both are dated, else 0;
- `years_apart`: ln(1 + the smallest gap between a year one names and a year the other names), when
               both name a year in their opening (reports of one event name the same year, if any).

The second asks whether they are as alike as their crowd is (how similar each report already is
to its closest other reports, its `density`, see `density.py`): two reports of one kind of news
(two fights of one boxer) read alike, but less alike than the reports of each fight are among
themselves. Its features are how far each of the first three similarities falls short of the
pair's mean density, min(0, similarity - crowd): `embedding_below`, `terms_below`, `names_below`.
Where there is no crowd (a handful of files) they are 0 and the second model says its base rate.

The probability is the product of the two. Both models and the decision threshold are fitted on
real labelled news by `bench/quality/fit_stories.py` (folds over topics) and shipped in
`weights.json`, which names the data and the cross-validated figures.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from summarizer.stories.signature import Signature
from summarizer.stories.terms import TermStats, cosine_sparse

ALIKE = ("embedding", "terms", "names", "figures", "contrast", "gap", "years_apart")
CROWD = ("embedding_below", "terms_below", "names_below")
FEATURES = ALIKE + CROWD


@dataclass(frozen=True)
class Weights:
    """The fitted models: a bias and one weight per feature for each, and the mean probability from
    which a report joins a story (and two stories merge)."""

    bias: float
    coef: tuple[float, ...]  # one per ALIKE feature
    crowd_bias: float
    crowd_coef: tuple[float, ...]  # one per CROWD feature
    threshold: float

    def __post_init__(self) -> None:
        if len(self.coef) != len(ALIKE) or len(self.crowd_coef) != len(CROWD):
            raise ValueError(f"expected weights for {', '.join(ALIKE)} and for {', '.join(CROWD)}")

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Weights:
        alike: dict[str, Any] = data["alike"]  # type: ignore[assignment]
        crowd: dict[str, Any] = data["crowd"]  # type: ignore[assignment]
        return cls(
            bias=float(alike["bias"]),
            coef=tuple(float(alike[f]) for f in ALIKE),
            crowd_bias=float(crowd["bias"]),
            crowd_coef=tuple(float(crowd[f]) for f in CROWD),
            threshold=float(data["threshold"]),  # type: ignore[arg-type]
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "alike": {"bias": self.bias, **dict(zip(ALIKE, self.coef, strict=True))},
            "crowd": {"bias": self.crowd_bias, **dict(zip(CROWD, self.crowd_coef, strict=True))},
            "threshold": self.threshold,
        }

    def with_threshold(self, threshold: float) -> Weights:
        return Weights(self.bias, self.coef, self.crowd_bias, self.crowd_coef, threshold)


@lru_cache(maxsize=1)
def default_weights() -> Weights:
    raw = resources.files("summarizer.stories").joinpath("weights.json").read_text(encoding="utf-8")
    return Weights.from_dict(json.loads(raw))


def pair_features(a: Signature, b: Signature, stats: TermStats) -> np.ndarray:
    """The features of one pair of reports, in FEATURES order (see the module docstring)."""
    out = np.zeros(len(FEATURES), dtype=np.float64)
    out[:3] = similarities(a, b, stats)
    wa, wb = a.name_weights(stats), b.name_weights(stats)
    fa, fb = a.figures, b.figures
    if fa and fb:
        out[3] = len(fa & fb) / math.sqrt(len(fa) * len(fb))
    out[4] = max(_missing_share(a.lead_names, wa, b.names), _missing_share(b.lead_names, wb, a.names))
    if a.published is not None and b.published is not None:
        out[5] = math.log1p(abs((a.published - b.published).total_seconds()) / 86400.0)
    if a.years and b.years:
        out[6] = math.log1p(min(abs(x - y) for x in a.years for y in b.years))
    n = len(ALIKE)
    out[n : n + 3] = np.minimum(0.0, out[:3] - 0.5 * (np.asarray(a.density) + np.asarray(b.density)))
    return out


def similarities(a: Signature, b: Signature, stats: TermStats) -> tuple[float, float, float]:
    """Embedding cosine, tf-idf cosine and idf-weighted name overlap of two reports."""
    terms = cosine_sparse(a.weighted_terms(stats), b.weighted_terms(stats))
    wa, wb = a.name_weights(stats), b.name_weights(stats)
    named = 0.0
    if wa and wb:
        named = sum(wa[x] for x in a.names & b.names) / math.sqrt(sum(wa.values()) * sum(wb.values()))
    return float(a.vector @ b.vector), terms, named


def _missing_share(lead: frozenset[str], weights: dict[str, float], other: frozenset[str]) -> float:
    """Share of the lead's name weight that `other` never names (a lead name's weight is its idf)."""
    if not lead:
        return 0.0
    total = missing = 0.0
    for x in lead:
        w = weights.get(x, 1.0)
        total += w
        if x not in other:
            missing += w
    return missing / total if total > 0 else 0.0


class PairScorer:
    """Probability that two reports tell the same event."""

    def __init__(
        self,
        stats: TermStats,
        weights: Weights | None = None,
        memo: dict[tuple[str, str], np.ndarray] | None = None,
    ) -> None:
        self.stats = stats
        self.weights = weights or default_weights()
        self._coef = np.array(self.weights.coef, dtype=np.float64)
        self._crowd = np.array(self.weights.crowd_coef, dtype=np.float64)
        self._memo = memo  # features by pair of keys, for callers that score one pool many times

    @property
    def threshold(self) -> float:
        return self.weights.threshold

    def features(self, a: Signature, b: Signature) -> np.ndarray:
        if self._memo is None:
            return pair_features(a, b, self.stats)
        pair = (a.key, b.key) if a.key <= b.key else (b.key, a.key)
        found = self._memo.get(pair)
        if found is None:
            found = self._memo[pair] = pair_features(a, b, self.stats)
        return found

    def probability(self, a: Signature, b: Signature) -> float:
        return self.from_features(self.features(a, b))

    def from_features(self, x: np.ndarray) -> float:
        n = len(ALIKE)
        alike = self.weights.bias + float(self._coef @ x[:n])
        crowd = self.weights.crowd_bias + float(self._crowd @ x[n:])
        return _sigmoid(alike) * _sigmoid(crowd)

    def mean_probability(self, a: Signature, members: list[Signature]) -> float:
        """Average linkage: the mean probability of `a` against each member."""
        if not members:
            return 0.0
        return sum(self.probability(a, m) for m in members) / len(members)


def _sigmoid(z: float) -> float:
    if z < -40:
        return 0.0
    return 1.0 / (1.0 + math.exp(-z))
