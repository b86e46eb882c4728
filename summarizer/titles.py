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


def choose_title(
    candidates: Sequence[TitleCandidate],
    centroid: np.ndarray | None,
    fallback: str,
    agree: np.ndarray | None = None,
    outlets: Sequence[str] | None = None,
    loaded: Sequence[int] | None = None,
    threshold: float = 0.5,
) -> str:
    """The consensus title: the most central of the outlets' headlines and lead clauses.

    `agree[i, j]` (when given) is the probability that candidate j states what candidate i says. A
    candidate whose framing no other outlet's headline or lead shares (at `threshold`) is never
    chosen; among the rest headlines come before lead clauses, plain wording (no `loaded` marks)
    before loaded, then the one other outlets agree with most (the sum over them of their best
    agreement), then the one closest to the story's centre. Without
    `agree` it is the headline closest to the centre, preferring one several outlets share in
    words. `fallback` (the top bullet) gives the lead clause when nothing is usable.
    """
    kept: list[tuple[int, TitleCandidate, str]] = []
    carried_by: dict[str, set[int]] = {}  # documents carrying a headline (one page's title and h1 count once)
    for n, c in enumerate(candidates):
        t = clean_title(c.text) if c.headline else lead_clause(c.text)
        if not usable(t):
            continue
        kept.append((n, c, t))
        carried_by.setdefault(chrome_key(t), set()).add(c.doc)
    who = list(outlets) if outlets is not None else [str(c.doc) for c in candidates]
    if len({who[n] for n, _, _ in kept}) < 2:
        agree = None  # one outlet: there is no consensus to find, only its own headline
    best: str | None = None
    best_score: tuple[float, ...] = (-np.inf,)
    for n, c, t in kept:
        sim = float(c.vector @ centroid) if c.vector is not None and centroid is not None else 0.0
        if agree is not None:
            best_of: dict[str, float] = {}
            for m, _, _ in kept:
                if who[m] != who[n]:
                    best_of[who[m]] = max(best_of.get(who[m], 0.0), float(agree[n, m]), float(agree[m, n]))
            if not any(v >= threshold for v in best_of.values()):
                continue  # nobody else frames the story this way
            plain = float(not (loaded[n] if loaded is not None else 0))
            score: tuple[float, ...] = (float(c.headline), plain, sum(best_of.values()), sim)
        else:
            if not c.headline:
                continue
            score = (sim + 0.05 * (len(carried_by[chrome_key(t)]) - 1) - 0.002 * max(0, len(t) - 80),)
        if score > best_score:
            best, best_score = t, score
    if best is not None:
        return best
    return lead_clause(fallback) if fallback else ""
