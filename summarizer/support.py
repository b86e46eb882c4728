"""Does this sentence state what that one says? A small fitted model over meaning, names and figures.

One judgement serves three rooms: a bullet cites every outlet with a sentence that supports it
(`cite`), a sentence several outlets support leads its story (corroboration), and two sentences of
which either supports the other say the same thing (nothing said twice, `rank`). It is directional:
`claim` is what would be shown, `evidence` what an outlet printed.

Features of a (claim, evidence) pair:
- `cosine`:          cosine of their sentence embeddings (MiniLM);
- `words`:           share of the claim's content words (lightly stemmed) found in the evidence;
- `names`:           share of the claim's names found in the evidence (1 when it names nobody);
- `names_missing`:   ln(1 + names of the claim the evidence lacks);
- `figures_shared`:  ln(1 + figures both give);
- `figures_missing`: ln(1 + figures of the claim the evidence lacks).
A logistic model over these is fitted on sentence pairs labelled by hand from real reports of one
event by several outlets (ecbplus-dev, the seeds) and on the closest sentences of two different
events of one kind (`bench/quality/fit_support.py`, folds over topics); `support_weights.json`
holds the weights and the cross-validated figures.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from summarizer.entities import names
from summarizer.rank import content_tokens

FEATURES = ("cosine", "words", "names", "names_missing", "figures_shared", "figures_missing")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_SUFFIX = re.compile(r"(?:ing|ed|es|s|ly)$")


def _stem(word: str) -> str:
    """A crude suffix cut ("warned", "warning", "warns" -> "warn"): enough to compare two outlets' words."""
    cut = _SUFFIX.sub("", word)
    return cut if len(cut) >= 3 else word


@dataclass(frozen=True)
class Claim:
    """What a sentence says, in the terms support is judged by."""

    words: frozenset[str]
    names: frozenset[str]
    figures: frozenset[str]


def claim_of(text: str) -> Claim:
    return Claim(
        frozenset(_stem(w) for w in content_tokens(text)),
        frozenset(names(text)),
        frozenset(n.replace(",", "") for n in _NUMBER.findall(text)),
    )


@dataclass(frozen=True)
class SupportModel:
    """Fitted logistic weights: a bias and one weight per feature; `threshold` decides "supports"."""

    bias: float
    coef: tuple[float, ...]
    threshold: float = 0.5

    def __post_init__(self) -> None:
        if len(self.coef) != len(FEATURES):
            raise ValueError(f"expected one weight for each of {', '.join(FEATURES)}")

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> SupportModel:
        w: dict[str, float] = data["weights"]  # type: ignore[assignment]
        return cls(
            float(w["bias"]), tuple(float(w[f]) for f in FEATURES), float(data.get("threshold", 0.5))  # type: ignore[arg-type]
        )

    def probability(self, features: np.ndarray) -> np.ndarray:
        """P(supports) for features stacked on the last axis."""
        z = features @ np.asarray(self.coef, dtype=np.float64) + self.bias
        return 1.0 / (1.0 + np.exp(-z))


@lru_cache(maxsize=1)
def default_model() -> SupportModel:
    raw = resources.files("summarizer").joinpath("support_weights.json").read_text(encoding="utf-8")
    return SupportModel.from_dict(json.loads(raw))


def _incidence(sets: Sequence[frozenset[str]], vocab: dict[str, int]) -> np.ndarray:
    m = np.zeros((len(sets), max(1, len(vocab))), dtype=np.float32)
    for i, s in enumerate(sets):
        for t in s:
            m[i, vocab[t]] = 1.0
    return m


def _overlap(a: Sequence[frozenset[str]], b: Sequence[frozenset[str]]) -> tuple[np.ndarray, np.ndarray]:
    """Counts shared by every pair (a_i, b_j), and the size of each a_i."""
    vocab: dict[str, int] = {}
    for s in (*a, *b):
        for t in s:
            vocab.setdefault(t, len(vocab))
    if not vocab:
        return np.zeros((len(a), len(b))), np.zeros(len(a))
    ma, mb = _incidence(a, vocab), _incidence(b, vocab)
    return (ma @ mb.T).astype(np.float64), ma.sum(axis=1).astype(np.float64)


def features(cosine: np.ndarray, claims: Sequence[Claim], evidence: Sequence[Claim]) -> np.ndarray:
    """The feature array (len(claims), len(evidence), len(FEATURES)) for every pair."""
    n, m = len(claims), len(evidence)
    out = np.zeros((n, m, len(FEATURES)), dtype=np.float64)
    if not n or not m:
        return out
    out[..., 0] = cosine
    shared, size = _overlap([c.words for c in claims], [e.words for e in evidence])
    out[..., 1] = shared / np.maximum(size, 1.0)[:, None]
    shared, size = _overlap([c.names for c in claims], [e.names for e in evidence])
    out[..., 2] = np.where(size[:, None] > 0, shared / np.maximum(size, 1.0)[:, None], 1.0)
    out[..., 3] = np.log1p(size[:, None] - shared)
    shared, size = _overlap([c.figures for c in claims], [e.figures for e in evidence])
    out[..., 4] = np.log1p(shared)
    out[..., 5] = np.log1p(size[:, None] - shared)
    return out


def support_probabilities(
    cosine: np.ndarray,
    claims: Sequence[Claim],
    evidence: Sequence[Claim],
    model: SupportModel | None = None,
) -> np.ndarray:
    """P(evidence j states what claim i says) for every pair; `cosine` is (len(claims), len(evidence))."""
    model = model or default_model()
    return model.probability(features(np.asarray(cosine, dtype=np.float64), claims, evidence))


def supported(
    cosine: np.ndarray,
    claims: Sequence[Claim],
    evidence: Sequence[Claim],
    model: SupportModel | None = None,
) -> np.ndarray:
    """Boolean (len(claims), len(evidence)): the model's verdict at its fitted threshold."""
    model = model or default_model()
    return support_probabilities(cosine, claims, evidence, model) >= model.threshold


def logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))
