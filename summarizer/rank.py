"""Which stories lead, and which sentences become their bullets.

Stories: corroboration (distinct outlets) × recency × topic relevance. Sentences: LexRank
centrality on the cosine graph of the story's sentences, personalised towards sentences that
several outlets support, that name the topic and that come early; then MMR picks diverse
bullets, refusing any that repeat one already chosen.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import numpy as np

HALF_LIFE_HOURS = 24.0
REPEAT_COSINE = 0.8  # two bullets this similar say the same thing
REPEAT_TOKENS = 0.6  # ... as do two bullets sharing this share of their content words,
REPEAT_BOTH = (0.7, 0.4)  # ... or two fairly similar on both counts
_STOP_WORDS = """
a an the and or but if of to in on at by for with from as is are was were be been being has have had
do does did will would can could may might must shall should that this these those it its he she they
them his her their we our you your i not no so than then there here which who whom whose what when
where why how also into over about after before said says say told
"""
_STOP = frozenset(_STOP_WORDS.split())
_TOKEN = re.compile(r"[^\W_]+(?:['’.][^\W_]+)*", re.U)


def content_words(text: str) -> list[str]:
    """Lower-cased words and numbers minus stop words, in order and with repeats."""
    return [t for t in (w.casefold() for w in _TOKEN.findall(text)) if t not in _STOP and len(t) > 1]


def content_tokens(text: str) -> set[str]:
    """Lower-cased words and numbers minus stop words: what two sentences must share to repeat."""
    return set(content_words(text))


def token_overlap(a: AbstractSet[str], b: AbstractSet[str]) -> float:
    """Share of the smaller set found in the other (containment, not Jaccard)."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def recency(age_hours: float, half_life: float = HALF_LIFE_HOURS) -> float:
    """1.0 for news of this hour, 0.5 a half-life later; undated or future news counts as fresh."""
    if not math.isfinite(age_hours) or age_hours <= 0:
        return 1.0
    return float(0.5 ** (age_hours / half_life))


def story_score(outlets: int, age_hours: float, relevance: float, size: int = 1) -> float:
    """Corroborated, fresh, on-topic stories first; more reports add a little."""
    corroboration = 1.0 + math.log2(max(outlets, 1))
    return (
        corroboration
        * (0.35 + 0.65 * recency(age_hours))
        * (0.2 + relevance)
        * (1.0 + 0.05 * math.log1p(size))
    )


def lexrank(
    sim: np.ndarray,
    prior: np.ndarray | None = None,
    threshold: float = 0.2,
    damping: float = 0.85,
    iterations: int = 50,
) -> np.ndarray:
    """Continuous LexRank (personalised PageRank on the thresholded cosine graph), summing to 1."""
    n = len(sim)
    if n == 0:
        return np.zeros(0, dtype=np.float32)
    w = np.where(sim >= threshold, sim, 0.0).astype(np.float64)
    np.fill_diagonal(w, 0.0)
    rows = w.sum(axis=1, keepdims=True)
    trans = np.divide(w, rows, out=np.full_like(w, 1.0 / n), where=rows > 0)
    p = np.full(n, 1.0 / n) if prior is None else np.asarray(prior, dtype=np.float64) + 1e-9
    p = p / p.sum()
    r = p.copy()
    for _ in range(iterations):
        nxt = (1 - damping) * p + damping * (trans.T @ r)
        if np.abs(nxt - r).sum() < 1e-8:
            r = nxt
            break
        r = nxt
    return (r / r.sum()).astype(np.float32)


@dataclass(frozen=True)
class Candidate:
    """A sentence that may become a bullet, already trimmed to fit."""

    index: int  # position in the story's sentence arrays
    text: str
    score: float
    tokens: frozenset[str]


def mmr(
    candidates: Sequence[Candidate],
    sim: np.ndarray,
    k: int,
    lam: float = 0.7,
    chosen: Sequence[int] = (),
    repeats: np.ndarray | None = None,
) -> list[Candidate]:
    """Maximal marginal relevance: best score minus redundancy, never a near-repeat.

    `sim` is indexed by `Candidate.index`; `chosen` are indices already shown (they count as
    redundancy but are not returned). `repeats[i, j]` (same indexing), when given, says that
    sentences i and j state one fact (the support model's verdict): never both.
    """
    if not candidates or k <= 0:
        return []
    idx = np.array([c.index for c in candidates])
    scores = np.array([c.score for c in candidates], dtype=np.float64)
    top = float(scores.max()) or 1.0
    red = np.zeros(len(candidates))
    shown: list[tuple[int, frozenset[str]]] = [
        (c.index, c.tokens) for c in candidates if c.index in set(chosen)
    ]
    for j in chosen:
        red = np.maximum(red, sim[idx, j])
    alive = np.ones(len(candidates), dtype=bool)
    picked: list[Candidate] = []
    while alive.any() and len(picked) < k:
        val = np.where(alive, lam * (scores / top) - (1 - lam) * red, -np.inf)
        b = int(np.argmax(val))
        alive[b] = False
        best = candidates[b]
        if red[b] >= REPEAT_COSINE or is_repeat(best, shown, sim):
            continue
        if repeats is not None and any(repeats[best.index, j] for j, _ in shown):
            continue
        picked.append(best)
        shown.append((best.index, best.tokens))
        red = np.maximum(red, sim[idx, best.index])
    return picked


def is_repeat(c: Candidate, shown: Sequence[tuple[int, frozenset[str]]], sim: np.ndarray) -> bool:
    """Whether a candidate says what an already chosen sentence (index, content words) says."""
    for j, toks in shown:
        cos = float(sim[c.index, j])
        overlap = token_overlap(c.tokens, toks)
        if cos >= REPEAT_COSINE or overlap >= REPEAT_TOKENS:
            return True
        if cos >= REPEAT_BOTH[0] and overlap >= REPEAT_BOTH[1]:
            return True
    return False


# --- fitting a sentence into a bullet --------------------------------------------------------

_LEAD_ATTRIBUTION = re.compile(
    r"^(?:according to [^,]{2,60}|in (?:a |an )?(?:recent |new )?(?:statement|interview|remarks?|post|report|"
    r"speech|briefing)[^,]{0,60}|speaking (?:to|at|on|ahead of|after|during) [^,]{2,80}|in a recent development|"
    r"in remarks to [^,]{2,60}|writing (?:on|in) [^,]{2,40}),\s+(?=(?-i:[A-Z“\"]))",
    re.I,
)
# Openers that only tie a sentence to the one before it; the rest stands on its own as a bullet.
_LEAD_CONNECTIVE = re.compile(
    r"^(?:(?:meanwhile|elsewhere|separately|additionally|in addition|in other news|in positive news|"
    r"in other developments|in a separate development|in a recent development|in a new development|"
    r"on another front),\s+"
    r"|(?:this|it|that) (?:comes?|came) (?:as|after|amid|while|just as|days after|a day after)\s+)"
    r"(?=(?-i:[A-Z“\"]))",
    re.I,
)
_TRAILING_CLAUSE = re.compile(
    r",\s+(?:which|while|whereas|although|though|as|saying|adding|noting|according to|including|"
    r"amid|despite|after|before|with)\b[^,;]*$",
    re.I,
)
_END = re.compile(r"[.!?]['\"”’)]*$")


_DATELINE = re.compile(
    r"^(?:[A-Z][A-Z.'’ -]{1,40}[A-Z.](?:/[A-Z][A-Za-z ]{1,30})?"
    r"(?:,\s*(?:[A-Z][a-z]{2,8}\.? \d{1,2}|\d{1,2} [A-Z][a-z]{2,8}(?: \d{4})?|[A-Z][a-z]+(?: [A-Z][a-z]+)?))?"
    r"(?:\s*\([^()]{2,40}\))?|\([^()]{2,40}\))\s*[-–—]+\s+(?=[A-Z0-9“\"‘])"
)


def strip_dateline(text: str) -> str:
    """Drop a wire dateline ("CAIRO, Nov 18 (Meridian Wire) - ", "(Reuters) - "): it is not news."""
    m = _DATELINE.match(text)
    return text[m.end() :] if m and m.end() < len(text) - 20 else text


def claim_core(text: str) -> str:
    """The sentence without what only frames it: a dateline, a tying connective, a leading attribution
    or setting ("Speaking ahead of the summit, …", "According to the Daily Mail, …")."""
    text = strip_dateline(text.strip())
    for pattern in (_LEAD_CONNECTIVE, _LEAD_ATTRIBUTION):
        m = pattern.match(text)
        if m and len(text) - m.end() >= 20:
            text = text[m.end() :]
    return text


def fit_bullet(text: str, limit: int) -> str | None:
    """The sentence, or a faithful shorter form of it, within `limit` characters; None if neither.

    A leading connective that only ties the sentence to the previous one ("Meanwhile, …", "This
    comes as …") is always cut. To fit, a leading attribution ("According to X, …") or one
    trailing subordinate clause (", which …") is cut too. Cuts at the start are made only when
    what remains starts with a capital letter, so the result is a substring of the sentence,
    plus a final full stop when a trailing clause was cut.
    """
    text = strip_dateline(text.strip())
    connective = _LEAD_CONNECTIVE.match(text)
    if connective:
        text = text[connective.end() :]
    if len(text) <= limit:
        return text
    m = _LEAD_ATTRIBUTION.match(text)
    if m:
        rest = text[m.end() :]
        if len(rest) <= limit:
            return rest
        text = rest
    m2 = _TRAILING_CLAUSE.search(text)
    if m2 and m2.start() >= 60:
        head = text[: m2.start()]
        if head.count("“") == head.count("”") and head.count('"') % 2 == 0 and len(head) + 1 <= limit:
            return head + "."
    return None


def quote_share(text: str) -> float:
    """Share of a sentence inside quotation marks: quotes are shown as quotes, not bullets."""
    inside = sum(len(m) for m in re.findall(r"[“\"][^“”\"]*[”\"]", text))
    return inside / max(len(text), 1)


_DANGLING = re.compile(
    r"^(this|that|these|those|it|he|she|they|his|her|their|such|but|and|so|however|"
    r"additionally|also|meanwhile|yet)\b",
    re.I,
)


def standalone_penalty(text: str) -> float:
    """Sentences opening with a pronoun or connective lean on the previous one; prefer those that don't."""
    return 0.6 if _DANGLING.match(text.lstrip("“\"‘'")) else 1.0


def reading_order(places: Sequence[tuple[int, int]]) -> list[int]:
    """Indices of chosen sentences as the reports tell the story: by relative place in their article.

    `places[i]` is (sentence index, sentences in its article). Selection decides what is shown;
    this decides the order: leads first, background last, as in the articles themselves
    (bench/quality: ROUGE-L 0.225 in score order, 0.303 in this order, same sentences).
    """

    def where(i: int) -> tuple[float, int]:
        k, total = places[i]
        return k / max(1, total), i

    return sorted(range(len(places)), key=where)
