"""Is this sentence about the topic? Alias matches first, embedding similarity second.

Relevance is decided per sentence (and summed per live-blog item by the caller), never per
article, so one paragraph about Taiwan in a live blog does not pull in its other items.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from summarizer.model import Topic

# Cosine similarity (MiniLM, sentence vs a bare topic term) below LOW says nothing, above HIGH
# is as good as naming the topic. Measured on the seeds: on-topic sentences that do not name
# "Taiwan" score 0.35-0.5, unrelated war news 0.0-0.2; "tariffs" vs defence news tops at 0.35.
SIM_LOW = 0.35
SIM_HIGH = 0.55
_ACRONYM = re.compile(r"^[A-Z0-9][A-Z0-9.&-]{0,5}$")


def _term_pattern(term: str) -> tuple[str, bool]:
    """Word-bounded pattern and whether it is case-sensitive (short acronyms: US, EU, UN)."""
    words = term.split()
    body = r"[\s-]+".join(re.escape(w) for w in words)
    if len(words) == 1 and _ACRONYM.match(term) and any(c.isalpha() for c in term):
        return rf"(?<![\w-]){body}(?:s|['’]s)?(?![\w-])", True
    if len(words) == 1 and len(term) > 3 and term[-1:].lower() == "s" and term[-2:].lower() != "ss":
        body = rf"{re.escape(term[:-1])}(?:s|es)?"  # "tariffs" also finds "tariff"
    elif len(words) == 1 or len(term) > 3:
        body = rf"{body}(?:s|es)?"
    return rf"(?<![\w]){body}(?![\w])", False


def _needle(term: str, case_sensitive: bool) -> str:
    """A plain substring that every match of `term`'s pattern contains, in `_may_match`'s folded form.

    Case-insensitive needles are lower-cased with runs of spaces and hyphens as one space ("Red Sea"
    and "red-sea" both give "red sea"); the final s that `_term_pattern` makes optional is left off.
    """
    if case_sensitive:
        return term
    words = term.split()
    if len(words) == 1 and len(term) > 3 and term[-1:].lower() == "s" and term[-2:].lower() != "ss":
        term = term[:-1]
    return _SEPARATORS.sub(" ", term.lower()).strip()


_SEPARATORS = re.compile(r"[\s-]+")
# Characters that re.IGNORECASE equates with an ASCII letter but str.lower() does not map to one
# (long s, Kelvin sign, dotted and dotless i): a text holding one skips the substring pre-check.
_CASE_ODDITIES = re.compile(r"[\u017f\u212a\u0130\u0131]")


class TopicMatcher:
    """Finds a topic's name and aliases in text (one regex per case rule, however many aliases).

    A case-insensitive alternation with look-behinds is tried at every position of the text, ~3 s
    over a 10,000-article store; most texts name none of the terms, and plain substring checks of
    each term (lower-cased, separators folded) rule them out first at C speed.
    """

    def __init__(self, topic: Topic) -> None:
        self.topic = topic
        self.terms = topic.terms
        parts = [(t, *_term_pattern(t)) for t in self.terms if t.strip()]
        sensitive = [p for _, p, cs in parts if cs]
        insensitive = [p for _, p, cs in parts if not cs]
        self._patterns: list[re.Pattern[str]] = []
        if sensitive:
            self._patterns.append(re.compile("|".join(f"(?:{p})" for p in sensitive)))
        if insensitive:
            self._patterns.append(re.compile("|".join(f"(?:{p})" for p in insensitive), re.I))
        self._exact_needles = tuple({_needle(t.strip(), True) for t, _, cs in parts if cs})
        self._lower_needles = tuple({_needle(t.strip(), False) for t, _, cs in parts if not cs})
        # Phrases are checked word by word first; only then is the text's spacing folded (a regex pass).
        self._word_needles = tuple(n for n in self._lower_needles if " " not in n)
        self._phrase_needles = tuple((tuple(n.split(" ")), n) for n in self._lower_needles if " " in n)
        # Only ASCII needles: beyond ASCII, re.IGNORECASE has equivalences lower() lacks (σ and ς).
        self._prefilter = all(n.isascii() for n in self._lower_needles)

    def count(self, text: str) -> int:
        """How many times any term occurs."""
        if not self._may_match(text):
            return 0
        return sum(len(p.findall(text)) for p in self._patterns)

    def matches(self, text: str) -> bool:
        return self._may_match(text) and any(p.search(text) for p in self._patterns)

    def _may_match(self, text: str) -> bool:
        """False only when no term can occur (no needle is in the text); True means "search"."""
        if any(n in text for n in self._exact_needles):
            return True
        if not self._lower_needles:
            return False
        if not self._prefilter:
            return True
        lower = text.lower()
        if any(n in lower for n in self._word_needles):
            return True
        folded: str | None = None
        for words, phrase in self._phrase_needles:
            if all(w in lower for w in words):
                folded = _SEPARATORS.sub(" ", lower) if folded is None else folded
                if phrase in folded:
                    return True
        return _CASE_ODDITIES.search(text) is not None


@dataclass(frozen=True)
class RelevanceScores:
    """Per-sentence relevance in [0, 1] and whether the sentence names the topic."""

    scores: np.ndarray
    named: np.ndarray


def score_sentences(
    texts: Sequence[str],
    matcher: TopicMatcher,
    vectors: np.ndarray | None = None,
    topic_vectors: np.ndarray | None = None,
) -> RelevanceScores:
    """Relevance of each sentence: 1.0 when it names the topic, else scaled embedding similarity.

    `vectors` are the sentences' unit embeddings, `topic_vectors` those of the topic terms.
    """
    named = _named(texts, matcher)
    scores = named.astype(np.float32)
    if vectors is not None and topic_vectors is not None and len(texts) and len(topic_vectors):
        scores = np.maximum(scores, _graded(vectors, topic_vectors))
    return RelevanceScores(scores, named)


def score_many(
    texts: Sequence[Sequence[str]],
    matcher: TopicMatcher,
    vectors: Sequence[np.ndarray],
    topic_vectors: np.ndarray,
) -> list[RelevanceScores]:
    """`score_sentences` for many documents at once: one similarity product for all their sentences.

    Per document, the small matrix product and its four element-wise steps cost more in numpy's
    per-call overhead than in arithmetic (~0.65 s of a 10,000-article topic briefing).
    """
    if not texts:
        return []
    named = [_named(doc, matcher) for doc in texts]
    scores = np.concatenate(named).astype(np.float32)
    if len(scores) and len(topic_vectors):
        scores = np.maximum(scores, _graded(np.concatenate(vectors), topic_vectors))
    ends = np.cumsum([len(doc) for doc in texts]).tolist()
    starts = [0, *ends[:-1]]
    return [RelevanceScores(scores[a:b], flags) for a, b, flags in zip(starts, ends, named, strict=True)]


def _named(texts: Sequence[str], matcher: TopicMatcher) -> np.ndarray:
    """Which sentences name the topic; most articles never do, and one search of the whole settles it."""
    if texts and matcher.matches("\n".join(texts)):
        return np.array([matcher.matches(t) for t in texts], dtype=bool)
    return np.zeros(len(texts), dtype=bool)


def _graded(vectors: np.ndarray, topic_vectors: np.ndarray) -> np.ndarray:
    """Best similarity to any topic term, scaled from SIM_LOW (0) to SIM_HIGH (1)."""
    sim = (vectors @ topic_vectors.T).max(axis=1)
    return np.clip((sim - SIM_LOW) / (SIM_HIGH - SIM_LOW), 0.0, 1.0).astype(np.float32)


def item_relevance(scores: np.ndarray, named: np.ndarray) -> float:
    """One live-blog item or article: naming the topic counts most, then the best sentences.

    An item that never names the topic needs several strongly similar sentences to count.
    """
    if not len(scores):
        return 0.0
    top = np.sort(scores)[::-1][:3]
    mean_top = float(top.mean())
    if named.any():
        return max(0.6, min(1.0, 0.6 + 0.2 * float(named.sum()) + 0.2 * mean_top))
    return mean_top * 0.8


RELEVANT = 0.45


def report_relevance(
    text: str,
    lead_vector: np.ndarray | None,
    matcher: TopicMatcher,
    topic_vectors: np.ndarray | None,
    title: str | None = None,
) -> float:
    """A report's relevance before its sentences are encoded (to rank stories): naming the topic counts
    most, as in `item_relevance`; otherwise its lead embedding's similarity to the topic's terms."""
    graded = 0.0
    if lead_vector is not None and topic_vectors is not None and len(topic_vectors):
        graded = float(_graded(np.asarray(lead_vector, dtype=np.float32)[None, :], topic_vectors)[0])
    count = matcher.count(text)
    rel = max(0.6, min(1.0, 0.6 + 0.2 * min(count, 2) + 0.2 * graded)) if count else graded * 0.8
    if title and matcher.matches(title):
        rel = max(rel, 0.8)
    return rel


def story_relevance(best: float, relevant: int, reports: int) -> float:
    """How much a story is about the topic: its most relevant report, and the share of its reports that
    are relevant (one article naming TSMC's home does not make a chip merger a Taiwan story). 0 when no
    report reaches RELEVANT: relevance gates stories, not reports."""
    if best < RELEVANT or reports <= 0:
        return 0.0
    return best * (0.5 + 0.5 * min(1.0, relevant / reports))
