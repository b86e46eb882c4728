"""Does this sentence state what that one says? A small fitted model over meaning, names and figures.

One judgement serves three rooms: a bullet cites every outlet with a sentence that supports it
(`cite`), a sentence several outlets support leads its story (corroboration), and two sentences of
which either supports the other say the same thing (nothing said twice, `rank`). It is directional:
`claim` is what would be shown, `evidence` what an outlet printed.

Every sentence of a story is about the story, so what tells two facts apart is what they do not
share with the rest of it. Features of a (claim, evidence) pair, judged within one story:
- `cosine`:          cosine of their sentence embeddings (MiniLM);
- `story_cosine`:    cosine of the embeddings less the story's mean (what is left once the topic
                     every sentence shares is taken out);
- `words`:           share of the claim's content words (lightly stemmed) found in the evidence,
                     each weighted by its rarity in the story (idf over the story's sentences);
- `names`:           the same for the names it gives (capitals and demonyms count as their
                     country; 1 when it names nobody);
- `figures_shared`:  ln(1 + figures both give);
- `figures_conflict`: ln(1 + figures of the claim the evidence lacks) when the evidence gives
                     figures of its own the claim lacks (41 villages where the claim says 14).
A logistic model over these is fitted on sentence pairs labelled by hand from real reports of one
event by several outlets (ecbplus-dev, the seeds) and on the closest sentences of two different
events of one kind (`bench/quality/fit_support.py`, folds over topics); `support_weights.json`
holds the weights and the cross-validated figures.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from summarizer.entities import names
from summarizer.rank import claim_core, content_tokens

FEATURES = ("cosine", "story_cosine", "words", "names", "figures_shared", "figures_conflict")
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


# A country is named by its capital and its demonym as often as by itself ("Beijing said", "Russian troops").
_COUNTRY_WORDS = """
china:beijing,chinese russia:moscow,kremlin,russian us:washington,american,u.s.,united states,usa
ukraine:kyiv,kiev,ukrainian taiwan:taipei,taiwanese japan:tokyo,japanese uk:london,british,britain,
united kingdom france:paris,french germany:berlin,german iran:tehran,iranian israel:jerusalem,israeli
turkey:ankara,turkish india:delhi,new delhi,indian pakistan:islamabad,pakistani north korea:pyongyang
south korea:seoul,korean egypt:cairo,egyptian saudi arabia:riyadh,saudi syria:damascus,syrian
iraq:baghdad,iraqi afghanistan:kabul,afghan italy:rome,italian spain:madrid,spanish poland:warsaw,
polish philippines:manila,philippine,filipino belgium:brussels,belgian netherlands:the hague,amsterdam,
dutch canada:ottawa,canadian australia:canberra,australian brazil:brasilia,brazilian mexico:mexican
venezuela:caracas,venezuelan cuba:havana,cuban belarus:minsk,belarusian yemen:sanaa,yemeni
lebanon:beirut,lebanese qatar:doha,qatari vietnam:hanoi,vietnamese nato:alliance eu:european union
"""


def _country_aliases() -> dict[str, str]:
    out: dict[str, str] = {}
    for entry in re.split(r"\s(?=[a-z ]+:)", " ".join(_COUNTRY_WORDS.split())):
        country, _, rest = entry.partition(":")
        for alias in rest.split(","):
            if alias.strip():
                out[alias.strip()] = country.strip()
    return out


_ALIAS = _country_aliases()
_DEMONYM = re.compile(
    r"\b(" + "|".join(re.escape(a) for a in sorted(_ALIAS, key=len, reverse=True)) + r")\b", re.I
)


_COUNTRY = re.compile(
    r"\b("
    + "|".join(re.escape(a) for a in sorted({*_ALIAS, *_ALIAS.values()}, key=len, reverse=True))
    + r")\b",
    re.I,
)


def country_mentions(text: str) -> list[tuple[int, str]]:
    """(offset, country key) of every country, capital or demonym the text names, in order."""
    out = []
    for m in _COUNTRY.finditer(text):
        word = m.group(1)
        if len(word) <= 3 and not word.isupper():
            continue  # "us", "eu", "uk" only as acronyms
        key = word.casefold()
        out.append((m.start(), _ALIAS.get(key, key)))
    return out


def claim_of(text: str) -> Claim:
    """The claim's terms, read from its core (without a leading attribution or setting)."""
    core = claim_core(text)
    lowered = core.casefold()
    found = names(core) | {n for n in names(text) if n in lowered}  # a name that opens the core counts
    found |= {_ALIAS.get(n, n) for n in found}
    found |= {_ALIAS[m.casefold()] for m in _DEMONYM.findall(core)}
    return Claim(
        frozenset(_stem(w) for w in content_tokens(core)),
        frozenset(found),
        frozenset(n.replace(",", "") for n in _NUMBER.findall(core)),
    )


@dataclass(frozen=True)
class SupportModel:
    """Fitted logistic weights: a bias and one weight per feature, and two fitted thresholds.

    `threshold` (best F1 on the training folds) decides that two sentences tell one fact: it counts
    corroborating outlets, keeps a fact from being told twice and finds the headlines that agree.
    `cite_threshold` (best F0.5: a wrong citation is worse than a missing one) decides that an
    outlet is cited for a bullet.
    """

    bias: float
    coef: tuple[float, ...]
    threshold: float = 0.5
    cite_threshold: float = 0.5

    def __post_init__(self) -> None:
        if len(self.coef) != len(FEATURES):
            raise ValueError(f"expected one weight for each of {', '.join(FEATURES)}")

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> SupportModel:
        w: dict[str, float] = data["weights"]  # type: ignore[assignment]
        return cls(
            float(w["bias"]),
            tuple(float(w[f]) for f in FEATURES),
            float(data.get("threshold", 0.5)),  # type: ignore[arg-type]
            float(data.get("cite_threshold", data.get("threshold", 0.5))),  # type: ignore[arg-type]
        )

    def probability(self, features: np.ndarray) -> np.ndarray:
        """P(supports) for features stacked on the last axis; 0 where the figures contradict (the
        evidence gives a figure of its own where the claim's is missing: 41 villages is not 14)."""
        z = features @ np.asarray(self.coef, dtype=np.float64) + self.bias
        p = 1.0 / (1.0 + np.exp(-z))
        return np.where(features[..., FEATURES.index("figures_conflict")] > 0, 0.0, p)


@lru_cache(maxsize=1)
def default_model() -> SupportModel:
    raw = resources.files("summarizer").joinpath("support_weights.json").read_text(encoding="utf-8")
    return SupportModel.from_dict(json.loads(raw))


@dataclass(frozen=True)
class StoryContext:
    """What every sentence of one story shares: its mean embedding and how often each term occurs."""

    centroid: np.ndarray
    df: dict[str, int]
    sentences: int

    def idf(self, term: str) -> float:
        return math.log((1.0 + self.sentences) / (1.0 + self.df.get(term, 0)))


def story_context(vectors: np.ndarray, claims: Sequence[Claim]) -> StoryContext:
    df: dict[str, int] = {}
    for c in claims:
        for t in c.words | c.names:
            df[t] = df.get(t, 0) + 1
    centroid = np.asarray(vectors, dtype=np.float64).mean(axis=0) if len(vectors) else np.zeros(1)
    return StoryContext(centroid, df, len(claims))


def _weighted_overlap(
    a: Sequence[frozenset[str]], b: Sequence[frozenset[str]], ctx: StoryContext
) -> tuple[np.ndarray, np.ndarray]:
    """idf-weighted mass shared by every pair (a_i, b_j), and the weighted mass of each a_i."""
    return _overlap(a, b, ctx.idf)


def _overlap(
    a: Sequence[frozenset[str]], b: Sequence[frozenset[str]], weigh: Callable[[str], float] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """What every pair (a_i, b_j) shares, and the size of each a_i: counts, or masses by `weigh`."""
    vocab: dict[str, int] = {}
    for s in (*a, *b):
        for t in s:
            vocab.setdefault(t, len(vocab))
    if not vocab:
        return np.zeros((len(a), len(b))), np.zeros(len(a))
    ma, mb = _incidence(a, vocab), _incidence(b, vocab)
    if weigh is not None:
        ma = ma * np.array([weigh(t) for t in vocab])[None, :]
    return ma @ mb.T, ma.sum(axis=1)


def _incidence(sets: Sequence[frozenset[str]], vocab: dict[str, int]) -> np.ndarray:
    m = np.zeros((len(sets), max(1, len(vocab))), dtype=np.float64)
    for i, s in enumerate(sets):
        for t in s:
            m[i, vocab[t]] = 1.0
    return m


def _unit_rows(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    return m / np.maximum(np.linalg.norm(m, axis=-1, keepdims=True), 1e-12)


def features(
    claim_vecs: np.ndarray,
    evidence_vecs: np.ndarray,
    claims: Sequence[Claim],
    evidence: Sequence[Claim],
    ctx: StoryContext,
) -> np.ndarray:
    """The feature array (len(claims), len(evidence), len(FEATURES)) for every pair."""
    n, m = len(claims), len(evidence)
    out = np.zeros((n, m, len(FEATURES)), dtype=np.float64)
    if not n or not m:
        return out
    a, b = _unit_rows(claim_vecs), _unit_rows(evidence_vecs)
    out[..., 0] = a @ b.T
    out[..., 1] = _unit_rows(a - ctx.centroid) @ _unit_rows(b - ctx.centroid).T
    shared, size = _weighted_overlap([c.words for c in claims], [e.words for e in evidence], ctx)
    out[..., 2] = shared / np.maximum(size, 1e-9)[:, None]
    shared, size = _weighted_overlap([c.names for c in claims], [e.names for e in evidence], ctx)
    out[..., 3] = np.where(size[:, None] > 1e-9, shared / np.maximum(size, 1e-9)[:, None], 1.0)
    common, sizes = _overlap([c.figures for c in claims], [e.figures for e in evidence])
    theirs = np.array([len(e.figures) for e in evidence], dtype=np.float64)
    out[..., 4] = np.log1p(common)
    out[..., 5] = np.where(theirs[None, :] > common, np.log1p(sizes[:, None] - common), 0.0)
    return out


def support_probabilities(
    claim_vecs: np.ndarray,
    evidence_vecs: np.ndarray,
    claims: Sequence[Claim],
    evidence: Sequence[Claim],
    ctx: StoryContext,
    model: SupportModel | None = None,
) -> np.ndarray:
    """P(evidence j states what claim i says) for every pair of one story."""
    model = model or default_model()
    return model.probability(features(claim_vecs, evidence_vecs, claims, evidence, ctx))
