"""A short, factual story title taken from the sources: a headline, else a lead clause.

Never page chrome ("Skip to content") and never a live blog's own heading ("Live Updates: …").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from summarizer.clean import chrome_key, is_chrome, is_live_heading, word_count

MAX_TITLE = 100
_SITE_SUFFIX = re.compile(r"\s+(?:[|–—-]|::)\s+[^|–—-]{2,40}$")
_CLAUSE_CUT = re.compile(r"(?:,|;|:|\s[–—-]\s|\s(?:after|as|while|amid|because|which|who|saying|stating)\s)")
_PHRASE_CUT = re.compile(r"\s(?:for|over|about|against|with|in|on|at|from|to|by|during|despite)\s")
_TRAILING_SAID = re.compile(
    r",\s+(?:[\w.'’-]+\s+){0,5}(?:said|says|told [\w ]{1,30}|reported|announced|added)(?:\s+on \w+)?$"
)
_OPENER = re.compile(
    r"^(?:(?:meanwhile|elsewhere|separately|additionally|also|however|in other news|in positive news|"
    r"in a recent development|in response|in addition),\s+"
    r"|(?:this|it|that) (?:comes?|came) (?:as|after|amid|while|just as|days after|a day after)\s+)",
    re.I,
)


@dataclass(frozen=True)
class TitleCandidate:
    text: str
    doc: int
    vector: np.ndarray | None = None
    headline: bool = True  # a document title or heading (else a sentence)


def clean_title(text: str) -> str:
    """Collapse spaces, drop a trailing " | Outlet" or " - Site" suffix and a final full stop."""
    t = " ".join(text.split())
    if len(t) > 30:
        t = _SITE_SUFFIX.sub("", t)
    return t.rstrip(" .")


def usable(text: str) -> bool:
    """A headline that can stand as a story title."""
    t = text.strip()
    if not t or is_live_heading(t) or is_chrome(t):
        return False
    n = word_count(t)
    return 3 <= n <= 20 and len(t) <= MAX_TITLE and not t.endswith((":", "?"))


def lead_clause(sentence: str, limit: int = MAX_TITLE) -> str:
    """The sentence's opening clause within `limit` characters (cut at a clause boundary or word)."""
    s = " ".join(sentence.split()).rstrip(" .")
    tail = _TRAILING_SAID.search(s)
    if tail and tail.start() >= 30:
        s = s[: tail.start()]
    m0 = _OPENER.match(s)
    if m0 and len(s) - m0.end() >= 20:
        s = s[m0.end() :]
        s = s[:1].upper() + s[1:]
    if len(s) <= limit:
        return s
    cut = 0
    for m in _CLAUSE_CUT.finditer(s):
        if 30 <= m.start() <= limit:
            cut = m.start()
    if not cut:
        for m in _PHRASE_CUT.finditer(s):
            if 40 <= m.start() <= limit:
                cut = m.start()
    if not cut:
        cut = s.rfind(" ", 0, limit - 1)
        if cut < 30:
            cut = limit - 1
        return s[:cut].rstrip(" ,;:–—-") + "…"
    return s[:cut].rstrip(" ,;:–—-")


def choose_title(candidates: Sequence[TitleCandidate], centroid: np.ndarray | None, fallback: str) -> str:
    """The headline closest to the story's centre, preferring ones several outlets share in words.

    `fallback` (the top bullet) gives the lead clause when no headline is usable.
    """
    best, best_score = None, -np.inf
    carried_by: dict[str, set[int]] = {}  # documents carrying a headline (one page's title and h1 count once)
    usable_cands = []
    for c in candidates:
        t = clean_title(c.text)
        if not c.headline or not usable(t):
            continue
        usable_cands.append((c, t))
        carried_by.setdefault(chrome_key(t), set()).add(c.doc)
    for c, t in usable_cands:
        sim = float(c.vector @ centroid) if c.vector is not None and centroid is not None else 0.0
        score = sim + 0.05 * (len(carried_by[chrome_key(t)]) - 1) - 0.002 * max(0, len(t) - 80)
        if score > best_score:
            best, best_score = t, score
    if best is not None:
        return best
    return lead_clause(fallback) if fallback else ""
