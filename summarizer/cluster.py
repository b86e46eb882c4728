"""Group reports of the same event into stories.

Units are "items": a whole article, or one paragraph run of a live blog or round-up (so a
relevant item can join a story without dragging the blog's other news along). Two items are
linked when their vectors are close, or fairly close and they share named entities, and they
were published within a few days of each other. Links are found block by block with numpy
(no O(n²) Python loop), grouped into connected components, and components that chained
unrelated items together are split again with average linkage.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar, overload

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from summarizer.segment import Segmented

T = TypeVar("T")

CANDIDATE = 0.5      # cosine from which two items may be one story ...
NEAR_COPY = 0.92     # ... and at which they are, whatever the names
LINK = 0.8           # items with almost no capitalised names link on similarity alone from here
SHARED_NAMES = 2     # otherwise: at least this many distinct entities in common,
NAME_WEIGHT = 0.3    # ... carrying this share of the smaller item's name weight, plus
SAME_FIGURES = 0.3   # ... this share of its figures (when both give figures),
NAME_WEIGHT_ALONE = 0.5   # ... or this name weight when one gives no figures,
NAME_WEIGHT_STRONG = 0.6  # ... or this much with cosine >= 0.7 whatever the figures
CHECKS_PER_ITEM = 12  # name checks per item, its most similar candidates first
RARE_FROM = 50        # candidates from which a shared name must also be a rare one
AVG_LINK = 0.55      # mean cosine a member must keep with the rest of its story
WINDOW_HOURS = 96.0
MERGE_PARAGRAPHS = 0.5  # live-blog paragraphs this similar (and not "Meanwhile, …") are one item
_BLOCK = 1024
_REFINE_MAX = 3000

_TRANSITION = re.compile(
    r"^(meanwhile|elsewhere|separately|in other news|in other developments|in positive news|"
    r"in brief|on another front|in a separate development|also on|additionally)\b",
    re.I,
)
_NAME = re.compile(r"\b[A-Z][\w’'.-]*[\w](?:\s+(?:of|the|de|von|van|al|bin|for)?\s*[A-Z][\w’'.-]*[\w])*")
_NOT_NAMES = {
    "the", "a", "an", "in", "on", "at", "and", "but", "or", "if", "as", "this", "that", "these", "those",
    "he", "she", "it", "they", "we", "i", "you", "his", "her", "its", "their", "our", "my", "there",
    "meanwhile", "elsewhere", "however", "according", "after", "before", "while", "when", "since", "for",
    "from", "to", "with", "by", "of", "yet", "so", "also", "additionally", "although", "though", "some",
    "many", "several", "most", "one", "two", "three", "mr", "mrs", "ms", "dr", "president", "minister",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "today", "yesterday",
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "what", "who", "why", "how", "where", "is", "are", "was", "were", "read",
}


# Last words that name a kind of thing, not one thing ("Red Sea" and "Black Sea" share only "sea").
_GENERIC_WORDS = """
sea ocean river strait canal gulf bay island islands ministry administration command council party
university agency bank union office department court committee forces force army navy guard times wire
news daily post radio nations states republic kingdom region province city county group company
organization organisation alliance summit talks fund authority service police government parliament
minister ministers president house street square airport port station every nobody
"""
_GENERIC = frozenset(_GENERIC_WORDS.split())
_MONTH_ABBR = frozenset(["jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"])
_DEMONYM = re.compile(r"^[\w'’-]+(?:ese|ian|ish|ean|ic)$")


def _possessive(word: str) -> str:
    return word[:-2] if word.endswith(("'s", "’s")) else word


def names(text: str, exclude: frozenset[str] = frozenset()) -> set[str]:
    """Capitalised phrases (people, places, organisations) as casefolded keys, plus a name's last word.

    Cheap stand-in for NER: "NATO Secretary-General Mark Rutte" yields "nato secretary-general mark
    rutte" and "rutte", so a later bare "Rutte" matches. Generic words, demonyms ("Chinese"),
    month abbreviations and `exclude` (outlet names) are left out: they do not identify an event.
    """
    out: set[str] = set()
    for m in _NAME.finditer(text):
        words = [w for w in m.group(0).split() if w.lower().strip(".’'") not in _NOT_NAMES]
        if not words:
            continue
        if len(words) == 1 and _starts_sentence(text, m.start()) and not words[0].isupper():
            continue  # "Officials said …": capitalised only because it opens the sentence
        phrase = _possessive(" ".join(words).casefold().strip(".’'"))
        if len(phrase) < 2 or phrase in exclude or phrase in _MONTH_ABBR or phrase in _GENERIC:
            continue
        if len(words) == 1 and _DEMONYM.match(phrase):
            continue
        out.add(phrase)
        last = _possessive(words[-1].casefold().strip(".’'"))
        if len(words) > 1 and len(last) > 2 and last not in _GENERIC and last not in exclude:
            out.add(last)
    return out


def _starts_sentence(text: str, at: int) -> bool:
    before = text[max(0, at - 3):at].rstrip(" \"“‘'(")
    return not before or before[-1] in ".!?\n:"


_FIGURE = re.compile(r"\d+(?:[.,]\d+)*")


def figures(text: str) -> frozenset[str]:
    """The figures that identify an event (120 metres, 41 million tonnes): numbers above 12, not years."""
    out = set()
    for raw in _FIGURE.findall(text):
        n = raw.replace(",", "")
        if len(n) == 4 and n[:2] in ("19", "20") and n.isdigit():
            continue
        try:
            if float(n) <= 12:
                continue
        except ValueError:
            continue
        out.add(n)
    return frozenset(out)


def shared_names(a: set[str], b: set[str]) -> int:
    """Distinct entities two items share ("ingrid halvorsen" and "halvorsen" count once)."""
    common = a & b
    lasts = {c.rsplit(" ", 1)[-1] for c in common if " " in c}
    return len([c for c in common if " " in c or c not in lasts])


def name_overlap(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


class Lazy(Sequence[T]):
    """Per-item features (names, figures) computed on first use: only items with a candidate link
    ever need them."""

    def __init__(self, count: int, compute: Callable[[int], T]) -> None:
        self._count = count
        self._compute = compute
        self._cache: dict[int, T] = {}

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, i: int) -> T: ...
    @overload
    def __getitem__(self, i: slice) -> list[T]: ...
    def __getitem__(self, i: int | slice) -> T | list[T]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self._count))]
        i = int(i)
        if i not in self._cache:
            self._cache[i] = self._compute(i)
        return self._cache[i]


def is_roundup(seg: Segmented, title: str = "") -> bool:
    """A live blog or news round-up: marked as such, or several paragraphs open with "Meanwhile"."""
    return seg.live or seg.transitions >= 2 or bool(re.search(r"\blive\b", title, re.I) and seg.transitions)


def split_items(seg: Segmented, paragraph_vectors: np.ndarray | None, roundup: bool) -> list[list[int]]:
    """Sentence indices (into `seg.sentences`) of each item of one document.

    An ordinary article is one item. A round-up is cut into paragraph runs: a paragraph joins
    the previous one only if it is similar to it and does not open with a transition
    ("Meanwhile, …", "Elsewhere, …").
    """
    paragraphs = seg.paragraphs
    if not paragraphs:
        return []
    if not roundup or len(paragraphs) == 1:
        return [[s.index for s in seg.sentences]]
    items: list[list[int]] = []
    prev_vec: np.ndarray | None = None
    for n, para in enumerate(paragraphs):
        vec = paragraph_vectors[n] if paragraph_vectors is not None else None
        joins = (
            items
            and not _TRANSITION.match(para[0].text)
            and vec is not None
            and prev_vec is not None
            and float(vec @ prev_vec) >= MERGE_PARAGRAPHS
        )
        if joins:
            items[-1].extend(s.index for s in para)
        else:
            items.append([s.index for s in para])
        prev_vec = vec
    return items


def _hours(t: datetime | None) -> float:
    return t.timestamp() / 3600.0 if t is not None else float("nan")


def link_pairs(
    vectors: np.ndarray,
    item_names: Sequence[set[str]],
    published: Sequence[datetime | None],
    item_figures: Sequence[frozenset[str]] | None = None,
    window_hours: float = WINDOW_HOURS,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, cosine) of every linked pair i < j.

    Similar text is not enough: two reports of one kind of news (two naval incidents, two sets of
    trade figures) read alike. Pairs at least CANDIDATE-similar are checked for the same event:
    the same specific names (weighted by how rare each name is among the candidates) and, when
    both give figures, some of the same figures. Near-identical texts link outright. Similarities
    are computed in row blocks, and each item checks only its closest candidates.
    """
    n = len(vectors)
    hours = np.array([_hours(t) for t in published], dtype=np.float64)
    direct: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    check: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for lo in range(0, n, _BLOCK):
        hi = min(n, lo + _BLOCK)
        block = vectors[lo:hi] @ vectors[lo:].T   # columns from lo on: the upper triangle only
        size = hi - lo
        block[:, :size][np.tril_indices(size)] = -1.0
        bi, bj = np.nonzero(block >= CANDIDATE)
        if not len(bi):
            continue
        s = block[bi, bj]
        gi, gj = bi + lo, bj + lo
        in_window = ~(np.abs(hours[gi] - hours[gj]) > window_hours)  # NaN (undated) counts as in
        near = in_window & (s >= NEAR_COPY)
        direct.append((gi[near], gj[near], s[near]))
        rest = _closest_per_row(np.nonzero(in_window & ~near)[0], gi, s, CHECKS_PER_ITEM)
        check.append((gi[rest], gj[rest], s[rest]))
    rows = [d[0] for d in direct]
    cols = [d[1] for d in direct]
    sims = [d[2] for d in direct]
    if check:
        ci = np.concatenate([c[0] for c in check])
        cj = np.concatenate([c[1] for c in check])
        cs = np.concatenate([c[2] for c in check])
        keep = _same_events(ci, cj, cs, item_names, item_figures)
        rows.append(ci[keep])
        cols.append(cj[keep])
        sims.append(cs[keep])
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float32)
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(sims)


def _same_events(ci: np.ndarray, cj: np.ndarray, cs: np.ndarray, item_names: Sequence[set[str]],
                 item_figures: Sequence[frozenset[str]] | None) -> np.ndarray:
    """For each candidate pair, whether the two items report the same event."""
    involved = np.unique(np.concatenate([ci, cj])) if len(ci) else ci
    df: dict[str, int] = {}
    for i in involved.tolist():
        for name in item_names[i]:
            df[name] = df.get(name, 0) + 1
    total = max(len(involved), 1)
    idf = {name: math.log(1.0 + total / count) for name, count in df.items()}
    # Among many candidates, one shared name must be rare (a person, a named ship or drill): common
    # ones ("Japan", "NATO") are shared by every story of a kind. Few candidates give no statistics.
    rare_df = max(3, int(0.02 * total)) if total >= RARE_FROM else None
    keep = np.zeros(len(ci), dtype=bool)
    for k, (i, j, sim) in enumerate(zip(ci.tolist(), cj.tolist(), cs.tolist(), strict=True)):
        a, b = item_names[i], item_names[j]
        if len(a) < 2 or len(b) < 2:  # too few names to tell events apart (lower-case, other scripts)
            keep[k] = sim >= LINK
            continue
        if shared_names(a, b) < SHARED_NAMES:
            continue
        if rare_df is not None and not any(df[x] <= rare_df for x in a & b):
            continue
        w = weighted_overlap(a, b, idf)
        fa = item_figures[i] if item_figures is not None else frozenset()
        fb = item_figures[j] if item_figures is not None else frozenset()
        if fa and fb:
            common = len(fa & fb)
            same_figures = common / min(len(fa), len(fb))
            if same_figures >= SAME_FIGURES and (common >= 2 or min(len(fa), len(fb)) == 1) and w >= NAME_WEIGHT:
                keep[k] = True
                continue
            if not common:  # both give figures and none agree: two different events
                continue
        elif w >= NAME_WEIGHT_ALONE and sim >= 0.6:
            keep[k] = True
            continue
        keep[k] = w >= NAME_WEIGHT_STRONG and sim >= 0.7
    return keep


def weighted_overlap(a: set[str], b: set[str], idf: dict[str, float]) -> float:
    """Shared names' weight over the smaller item's: rare names (people, named drills) count most."""
    wa = sum(idf.get(x, 1.0) for x in a)
    wb = sum(idf.get(x, 1.0) for x in b)
    if wa <= 0 or wb <= 0:
        return 0.0
    return sum(idf.get(x, 1.0) for x in a & b) / min(wa, wb)


def _closest_per_row(candidates: np.ndarray, rows: np.ndarray, sims: np.ndarray, k: int) -> np.ndarray:
    """The candidates among the k most similar of their row (bounds the name checks per item)."""
    if len(candidates) == 0:
        return candidates
    order = candidates[np.lexsort((-sims[candidates], rows[candidates]))]
    r = rows[order]
    starts = np.r_[0, np.nonzero(np.diff(r))[0] + 1]
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    return order[rank < k]


def cluster(
    vectors: np.ndarray,
    item_names: Sequence[set[str]],
    published: Sequence[datetime | None],
    item_figures: Sequence[frozenset[str]] | None = None,
) -> list[list[int]]:
    """Stories as lists of item indices (each sorted), largest first, ties by first item."""
    n = len(vectors)
    if n == 0:
        return []
    i, j, _ = link_pairs(vectors, item_names, published, item_figures)
    graph = coo_matrix((np.ones(len(i), dtype=np.int8), (i, j)), shape=(n, n))
    count, labels = connected_components(graph, directed=False)
    members: list[list[int]] = [[] for _ in range(count)]
    for idx, lab in enumerate(labels):
        members[lab].append(idx)
    out: list[list[int]] = []
    for group in members:
        out.extend(_refine(vectors, group, AVG_LINK))
    out.sort(key=lambda g: (-len(g), g[0]))
    return out


def _refine(vectors: np.ndarray, group: list[int], avg_link: float) -> list[list[int]]:
    """Split a component held together by a chain of links: average linkage must reach `avg_link`.

    Single links find candidates cheaply; a member joins a story only if it is close to the
    story as a whole, so a NATO meeting that mentions the Taiwan Strait once stays its own story.
    """
    if len(group) < 3 or len(group) > _REFINE_MAX:
        return [group]
    sub = vectors[group]
    sims = sub @ sub.T
    if float(sims.min()) >= avg_link:
        return [group]
    dist = np.clip(1.0 - sims, 0.0, 2.0)
    condensed = dist[np.triu_indices(len(group), k=1)]
    tree = linkage(condensed, method="average")
    labels = fcluster(tree, t=1.0 - avg_link, criterion="distance")
    parts: dict[int, list[int]] = {}
    for idx, lab in zip(group, labels, strict=True):
        parts.setdefault(int(lab), []).append(idx)
    return list(parts.values())
