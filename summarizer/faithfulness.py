"""A guard against generated text that says more than its sources.

An abstractive model may invent a number, a name or a quotation. Before a generated sentence
replaces an extractive bullet, `check` lists every such claim that cannot be found in the texts of
the sources the bullet will cite; any problem sends the engine back to the extractive bullet.
The checks are cheap string heuristics (no spaCy) and deliberately strict: a false alarm only costs
a rewrite, a miss puts words in a source's mouth.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["check", "content_words", "names", "numbers", "quoted_spans"]

_SCALES = {
    "thousand": 1e3,
    "k": 1e3,
    "million": 1e6,
    "mn": 1e6,
    "m": 1e6,
    "billion": 1e9,
    "bn": 1e9,
    "b": 1e9,
    "trillion": 1e12,
    "tn": 1e12,
}
_NUMBER_WORDS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "hundred": 100,
    "dozen": 12,
    "half": 0.5,
    "third": 1 / 3,
    "quarter": 0.25,
    "twice": 2,
    "double": 2,
    "triple": 3,
}
# A clock time, or a number with optional thousands separators, decimals, percent and scale word.
_NUM = re.compile(
    r"(?<![\w.,])(?:(?P<time>\d{1,2}:\d{2})"
    r"|(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?:st|nd|rd|th)?"
    r"(?:\s?(?P<pct>%|per\s?cent\b|percent\b))?"
    r"(?:\s?(?P<scale>thousand|million|billion|trillion|mn|bn|tn|[kmb])\b)?)"
    r"(?![\w])",
    re.IGNORECASE,
)
_NUMWORD = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)
_WORD = re.compile(r"(?<![\w'’-])[^\W\d_][\w'’-]*")
_QUOTES = re.compile(r"[“\"«]([^“”\"«»]+?)[”\"»]|(?<![\w])‘([^‘’]+?)’(?![\w])")
_SENT_START = re.compile(r"(^|[.!?:;]['\"”’)]*\s+|[\"“‘(]\s*)$")
_SPACE = re.compile(r"\s+")
_POSSESSIVE = re.compile(r"['’]s\b")
# Capitalised words that begin sentences without naming anything.
_STARTERS = frozenset(
    [
        "the",
        "a",
        "an",
        "in",
        "on",
        "at",
        "by",
        "for",
        "from",
        "to",
        "of",
        "with",
        "as",
        "after",
        "before",
        "while",
        "when",
        "where",
        "since",
        "during",
        "but",
        "and",
        "or",
        "it",
        "its",
        "he",
        "she",
        "they",
        "we",
        "you",
        "i",
        "his",
        "her",
        "their",
        "our",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "some",
        "many",
        "most",
        "more",
        "several",
        "both",
        "each",
        "every",
        "no",
        "not",
        "officials",
        "according",
        "however",
        "meanwhile",
        "also",
        "still",
        "yet",
        "so",
        "if",
        "although",
        "though",
        "despite",
        "until",
        "unless",
        "under",
        "over",
        "about",
        "around",
        "between",
        "among",
        "against",
        "what",
        "which",
        "who",
        "how",
        "why",
    ]
)
_STOP = _STARTERS | frozenset(
    [
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "has",
        "have",
        "had",
        "do",
        "does",
        "did",
        "will",
        "would",
        "can",
        "could",
        "may",
        "might",
        "must",
        "shall",
        "should",
        "said",
        "says",
        "say",
        "told",
        "tell",
        "than",
        "then",
        "them",
        "him",
        "who",
        "whom",
        "whose",
        "into",
        "onto",
        "out",
        "up",
        "down",
        "off",
        "very",
        "just",
        "only",
        "own",
        "same",
        "such",
        "too",
        "other",
        "another",
        "any",
        "all",
        "new",
        "one",
        "two",
        "last",
        "first",
        "next",
        "per",
        "cent",
        "percent",
    ]
)


@dataclass(frozen=True)
class _Evidence:
    """What a source text allows a generated sentence to state."""

    text: str  # normalised: straight quotes, no possessive 's, single spaces
    name_text: str  # the same with every word in its bare form (see _bare)
    tokens: frozenset[str]  # case-sensitive words
    lower: frozenset[str]  # every word, lower-cased
    used_lower: frozenset[str]  # words the source itself writes in lower case
    stems: frozenset[str]
    values: frozenset[tuple[float, bool]]
    times: frozenset[str]


def _normalize(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = text.replace("\u00a0", " ").replace("–", "-").replace("—", "-")
    return _SPACE.sub(" ", _POSSESSIVE.sub("", text)).strip()


def _bare(word: str) -> str:
    """A word as names are compared: no possessive, no trailing apostrophe or hyphen."""
    return _POSSESSIVE.sub("", word).rstrip("'’-")


def _stem(word: str) -> str:
    w = word.lower().strip("'’-")
    for suffix in ("ing", "ed", "es", "s"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)]
            break
    return w[:6]


def _value(m: re.Match[str]) -> tuple[float, bool]:
    scale = _SCALES.get((m.group("scale") or "").lower(), 1.0)
    return round(float(m.group("num").replace(",", "")) * scale, 6), bool(m.group("pct"))


def numbers(text: str) -> list[str]:
    """The numbers a text states, as written ("5%", "1.1 million", "9:40", "2026")."""
    return [m.group(0).strip() for m in _NUM.finditer(text)]


@lru_cache(maxsize=512)
def _evidence(source: str) -> _Evidence:
    norm = _normalize(source)
    words = _WORD.findall(norm)
    values: set[tuple[float, bool]] = set()
    times: set[str] = set()
    for m in _NUM.finditer(norm):
        if m.group("time"):
            times.add(m.group("time"))
            continue
        value, pct = _value(m)
        raw = round(float(m.group("num").replace(",", "")), 6)
        # "5%" also licenses a bare 5 and "1.1 million" a bare 1.1; the reverse is not allowed.
        values.update({(value, pct), (raw, False), (value, False)})
    for m in _NUMWORD.finditer(norm):
        values.add((round(_NUMBER_WORDS[m.group(1).lower()], 6), False))
    return _Evidence(
        text=norm,
        name_text=_WORD.sub(lambda m: _bare(m.group(0)), norm),
        tokens=frozenset(_bare(w) for w in words),
        lower=frozenset(w.lower() for w in words),
        used_lower=frozenset(w for w in words if w[:1].islower()),
        stems=frozenset(_stem(w) for w in words),
        values=frozenset(values),
        times=frozenset(times),
    )


def names(text: str, known_lower: frozenset[str] = frozenset()) -> list[str]:
    """Runs of capitalised words ("Defence Minister Lin Shu-fen", "Taiwan").

    A possessive ends a run ("Taiwan's Defence Minister Lin" is "Taiwan" and "Defence Minister
    Lin"). A capitalised word that merely starts a sentence is left out when it is a common word,
    an -ing form, or (given `known_lower`) a word the sources write in lower case.
    """
    norm = _SPACE.sub(" ", text.replace("’", "'").replace("“", '"').replace("”", '"')).strip()
    runs: list[str] = []
    current: list[str] = []
    last_end = -1
    for m in _WORD.finditer(norm):
        word = m.group(0)
        possessive = bool(_POSSESSIVE.search(word))
        word = _bare(word)
        capital = word[:1].isupper()
        if capital and _SENT_START.search(norm[: m.start()]):
            lower = word.lower()
            if lower in _STARTERS or lower in known_lower or (lower.endswith("ing") and len(lower) > 5):
                capital = False
        contiguous = bool(current) and norm[last_end : m.start()] == " "
        if capital and contiguous:
            current.append(word)
        else:
            if current:
                runs.append(" ".join(current))
            current = [word] if capital else []
        if possessive and current:
            runs.append(" ".join(current))
            current = []
        last_end = m.end()
    if current:
        runs.append(" ".join(current))
    return runs


def quoted_spans(text: str) -> list[str]:
    """Text inside quotation marks, without the marks and trailing punctuation."""
    spans = []
    for m in _QUOTES.finditer(text):
        span = (m.group(1) or m.group(2) or "").strip().rstrip(",.;:!?").strip()
        if span:
            spans.append(span)
    return spans


def content_words(text: str) -> list[str]:
    """Lower-cased words that carry meaning (no stop words, no one- or two-letter words)."""
    return [w.lower() for w in _WORD.findall(text) if len(w) > 2 and w.lower() not in _STOP]


def _found(phrase: str, haystacks: Sequence[str]) -> bool:
    pattern = re.compile(r"(?<![\w])" + re.escape(phrase) + r"(?![\w])")
    return any(pattern.search(h) for h in haystacks)


def check(generated: str, sources: Sequence[str], *, max_novel: float = 0.3) -> list[str]:
    """Problems that make `generated` unsafe to show as a summary of `sources`; empty when none.

    Every number (with its percent sign and scale), every clock time, every name and every
    quoted span must occur in at least one source; at most `max_novel` of the content words
    may be absent from all sources (word stems compared, so "protested" matches "protest").
    """
    problems: list[str] = []
    text = generated.strip()
    if not text:
        return ["empty output"]
    evidence = [_evidence(s) for s in sources if s and s.strip()]
    if not evidence:
        return ["no source text to check against"]
    norm = _normalize(text)

    for m in _NUM.finditer(norm):
        if m.group("time"):
            if not any(m.group("time") in e.times for e in evidence):
                problems.append(f"time {m.group('time')} is not in the sources")
        elif not any(_value(m) in e.values for e in evidence):
            problems.append(f"number {m.group(0).strip()!r} is not in the sources")
    for m in _NUMWORD.finditer(norm):
        value = round(_NUMBER_WORDS[m.group(1).lower()], 6)
        if not any((value, False) in e.values for e in evidence):
            problems.append(f"number {m.group(1)!r} is not in the sources")

    used_lower = frozenset().union(*(e.used_lower for e in evidence))
    for run in names(text, used_lower):
        if " " in run:
            if not _found(run, [e.name_text for e in evidence]):
                problems.append(f"name {run!r} is not in the sources")
        elif not any(run in e.tokens for e in evidence):
            problems.append(f"name {run!r} is not in the sources")

    for span in quoted_spans(text):
        wanted = _normalize(span)
        if not any(wanted in e.text for e in evidence):
            problems.append(f"quotation {span!r} is not verbatim in the sources")

    words = content_words(norm)
    if words:
        known = frozenset().union(*(e.lower for e in evidence))
        stems = frozenset().union(*(e.stems for e in evidence))
        novel = [w for w in words if w not in known and _stem(w) not in stems]
        if len(novel) >= 2 and len(novel) / len(words) > max_novel:
            problems.append(
                f"{len(novel)} of {len(words)} content words are not in the sources: "
                + ", ".join(sorted(set(novel))[:8])
            )
    return problems
