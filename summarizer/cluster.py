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

from summarizer.disjoint import DisjointSets
from summarizer.segment import Segmented

T = TypeVar("T")

CANDIDATE = 0.5  # cosine from which two items may be one story ...
NEAR_COPY = 0.92  # ... and at which they are, whatever the names
LINK = 0.8  # items with almost no capitalised names link on similarity alone from here
SHARED_NAMES = 2  # otherwise: at least this many distinct entities in common (one of them rare),
MANY_SHARED = 4  # ... which is enough with cosine >= 0.7 when this many; else
NAME_WEIGHT = 0.3  # ... carrying this share of the smaller item's name weight, plus
SAME_FIGURES = 0.3  # ... this share of its figures (when both give figures),
FEW_FIGURES = 3  # two reports giving at least this many figures each, few shared, tell apart
NAME_WEIGHT_ALONE = 0.5  # ... or this name weight when one gives no figures,
NAME_WEIGHT_STRONG = 0.6  # ... or this much with cosine >= 0.7 whatever the figures
FIGURES_LINK = 0.65  # from here two shared figures, one of them rare and telling, link without names
CHECKS_PER_ITEM = 8  # name checks per item, its most similar candidates first
FIGURE_HOLDERS = 30  # ... plus every pair giving the same figure of 100+, when this few items give it
RARE_FROM = 50  # candidates from which a shared name must also be a rare one:
RARE_MAX = 60  # ... carried by at most this many items (one event's reports, not a kind of news)
AVG_LINK = 0.55  # mean cosine a member must keep with the rest of its story
WINDOW_HOURS = 96.0
MERGE_PARAGRAPHS = 0.5  # live-blog paragraphs this similar (and not "Meanwhile, …") are one item
_BLOCK = 1024
_REFINE_MAX = 400  # larger components are kept whole (pairwise judging grows as the square)
_SCIPY_LINKS = 20_000  # links above which the components come from scipy (see _components)
AGREE = 0.5  # share of pairs between two parts of a story that must be judged the same event

_TRANSITION = re.compile(
    r"^(meanwhile|elsewhere|separately|in other news|in other developments|in positive news|"
    r"in brief|on another front|in a separate development|also on|additionally)\b",
    re.I,
)
# Runs of capitalised words joined by single spaces (texts are normalised), with "of", "de", … inside.
_NAME = re.compile(r"[A-Z][\w’'.-]*\w(?: (?:of |the |de |von |van |al |bin |for )?[A-Z][\w’'.-]*\w)*")
_NOT_NAMES = {
    "the",
    "a",
    "an",
    "in",
    "on",
    "at",
    "and",
    "but",
    "or",
    "if",
    "as",
    "this",
    "that",
    "these",
    "those",
    "he",
    "she",
    "it",
    "they",
    "we",
    "i",
    "you",
    "his",
    "her",
    "its",
    "their",
    "our",
    "my",
    "there",
    "meanwhile",
    "elsewhere",
    "however",
    "according",
    "after",
    "before",
    "while",
    "when",
    "since",
    "for",
    "from",
    "to",
    "with",
    "by",
    "of",
    "yet",
    "so",
    "also",
    "additionally",
    "although",
    "though",
    "some",
    "many",
    "several",
    "most",
    "one",
    "two",
    "three",
    "mr",
    "mrs",
    "ms",
    "dr",
    "president",
    "minister",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "today",
    "yesterday",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "what",
    "who",
    "why",
    "how",
    "where",
    "is",
    "are",
    "was",
    "were",
    "read",
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
    before = text[max(0, at - 3) : at].rstrip(" \"“‘'(")
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


def distinctive_figures(found: frozenset[str]) -> frozenset[str]:
    """Figures unlikely to match by chance: 100 and above, or with decimals. Two-digit numbers
    ("24 hours", "day 25", "49%") recur across unrelated reports of the same kind."""
    return frozenset(f for f in found if "." in f or float(f) >= 100)


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
    ("Meanwhile, …", "Elsewhere, …"). A transition inside a paragraph starts a new item too:
    terse live blogs pack two items into one paragraph ("… two new cranes this year. Additionally,
    a court in Paris fined a bank …").
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
            items[-1].append(para[0].index)
        else:
            items.append([para[0].index])
        for sentence in para[1:]:
            if _TRANSITION.match(sentence.text):
                items.append([sentence.index])
            else:
                items[-1].append(sentence.index)
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
    judge: _EventJudge | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, cosine) of every linked pair i < j.

    Similar text is not enough: two reports of one kind of news (two naval incidents, two sets of
    trade figures) read alike. Pairs at least CANDIDATE-similar are checked for the same event:
    the same specific names (weighted by how rare each name is among the candidates) and, when
    both give figures, some of the same figures. Near-identical texts link outright. Similarities
    are computed in row blocks, and each item checks only its closest candidates, plus the items
    that give one of its telling figures (see `_figure_pairs`).
    """
    n = len(vectors)
    hours = np.array([_hours(t) for t in published], dtype=np.float64)
    direct: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    check: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for lo in range(0, n, _BLOCK):
        hi = min(n, lo + _BLOCK)
        block = vectors[lo:hi] @ vectors[lo:].T  # columns from lo on: the upper triangle only
        size = hi - lo
        block[:, :size][np.tril_indices(size)] = -1.0
        # near-copies: all of them
        bi, bj = np.nonzero(block >= NEAR_COPY)
        gi, gj = bi + lo, bj + lo
        ok = _in_window(hours, gi, gj, window_hours)
        direct.append((gi[ok], gj[ok], block[bi, bj][ok]))
        # the rest: each row's closest few candidates
        k = min(CHECKS_PER_ITEM, block.shape[1])
        top = np.argpartition(block, block.shape[1] - k, axis=1)[:, -k:]
        sv = np.take_along_axis(block, top, axis=1).ravel()
        bi = np.repeat(np.arange(size), k)
        bj = top.ravel()
        m = (sv >= CANDIDATE) & (sv < NEAR_COPY)
        gi, gj, sv = bi[m] + lo, bj[m] + lo, sv[m]
        ok = _in_window(hours, gi, gj, window_hours)
        check.append((gi[ok], gj[ok], sv[ok]))
    if item_figures is not None:
        check.append(_figure_pairs(vectors, item_figures, hours, window_hours))
        ci, cj, cs = (np.concatenate(x) for x in zip(*check, strict=True))
        _, first = np.unique(ci * n + cj, return_index=True)  # a pair found both ways is judged once
        check = [(ci[first], cj[first], cs[first])]
    pairs = direct + check
    if not pairs:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float32)
    ci = np.concatenate([c[0] for c in pairs])
    cj = np.concatenate([c[1] for c in pairs])
    cs = np.concatenate([c[2] for c in pairs])
    judge = judge or _EventJudge(np.unique(np.concatenate([ci, cj])), item_names, item_figures)
    keep = np.array(
        [judge.same(i, j, sim) for i, j, sim in zip(ci.tolist(), cj.tolist(), cs.tolist(), strict=True)],
        dtype=bool,
    )
    return ci[keep], cj[keep], cs[keep]


def _figure_pairs(
    vectors: np.ndarray, item_figures: Sequence[frozenset[str]], hours: np.ndarray, window_hours: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidates that similarity alone can miss: reports giving the same telling figure (5,850 ships).

    Reports of one kind of news read alike, so a report's closest neighbours may all be other events;
    a figure of 100 or more that few reports give is a reason to compare them whatever their rank.
    """
    holders: dict[str, list[int]] = {}
    for i in range(len(vectors)):
        for f in distinctive_figures(item_figures[i]):
            holders.setdefault(f, []).append(i)
    gi_list: list[int] = []
    gj_list: list[int] = []
    for items in holders.values():
        if 2 <= len(items) <= FIGURE_HOLDERS:
            for a in range(len(items)):
                for b in range(a + 1, len(items)):
                    gi_list.append(items[a])
                    gj_list.append(items[b])
    if not gi_list:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float32)
    gi, gj = np.array(gi_list, dtype=np.int64), np.array(gj_list, dtype=np.int64)
    sv = np.einsum("ij,ij->i", vectors[gi], vectors[gj])
    ok = (sv >= CANDIDATE) & (sv < NEAR_COPY) & _in_window(hours, gi, gj, window_hours)
    return gi[ok], gj[ok], sv[ok]


class _EventJudge:
    """Decides whether two items report the same event, from their names and figures.

    Name statistics (how many candidate items carry each name) come from the items it is built on.
    """

    def __init__(
        self, items: np.ndarray, item_names: Sequence[set[str]], item_figures: Sequence[frozenset[str]] | None
    ) -> None:
        self.names = item_names
        self.figures = item_figures
        df: dict[str, int] = {}
        for i in items.tolist():
            for name in item_names[i]:
                df[name] = df.get(name, 0) + 1
        total = max(len(items), 1)
        self.df = df
        self.idf = {name: math.log(1.0 + total / count) for name, count in df.items()}
        # Among many candidates, one shared name must be rare (a person, a named ship or drill): common
        # ones ("Japan", "NATO") are shared by every story of a kind. Few candidates give no statistics.
        self.rare_df = max(3, min(RARE_MAX, int(0.03 * total))) if total >= RARE_FROM else None
        fig_df: dict[str, int] = {}
        if item_figures is not None:
            for i in items.tolist():
                for f in item_figures[i]:
                    fig_df[f] = fig_df.get(f, 0) + 1
        self.fig_df = fig_df

    def _rare_shared(self, a: set[str], b: set[str]) -> bool:
        return self.rare_df is None or any(self.df.get(x, 0) <= self.rare_df for x in a & b)

    def _figures_identify(self, fa: frozenset[str], fb: frozenset[str]) -> bool:
        """Two or more figures in common, one of them telling and rare among the candidates
        (5,850 ships and 44 aircraft), and no disagreement among the rest: the same event even
        when the reports name different officials and think tanks."""
        common = fa & fb
        if len(common) < 2 or _figures_differ(fa, fb):
            return False
        limit = self.rare_df if self.rare_df is not None else FIGURE_HOLDERS
        rare = frozenset(f for f in common if self.fig_df.get(f, 0) <= limit)
        return len(rare) >= 2 and bool(distinctive_figures(rare))

    def same(self, i: int, j: int, sim: float) -> bool:
        a, b = self.names[i], self.names[j]
        fa = self.figures[i] if self.figures is not None else frozenset()
        fb = self.figures[j] if self.figures is not None else frozenset()
        if sim >= NEAR_COPY:
            # a copy or near-copy: the same figures and a rare name in common, unless there are none
            figures_agree = not (fa and fb) or len(fa & fb) >= 0.5 * min(len(fa), len(fb))
            return figures_agree and (len(a) < 2 or len(b) < 2 or self._rare_shared(a, b))
        if sim >= FIGURES_LINK and self._figures_identify(fa, fb):
            return True
        if len(a) < 2 or len(b) < 2:  # too few names to tell events apart (lower-case, other scripts)
            return sim >= LINK and not (fa and fb and not fa & fb)
        shared = shared_names(a, b)
        if shared < SHARED_NAMES or not self._rare_shared(a, b):
            return False
        if fa and fb and not fa & fb:
            return False  # both give figures and none agree: two different events
        if fa and fb and len(fa & fb) == 1:
            da, db = distinctive_figures(fa), distinctive_figures(fb)
            if da and db and not da & db:
                return False  # the telling figures (tonnes, metres) differ; one shared "24" is chance
        if shared >= MANY_SHARED and sim >= 0.7 and not _figures_differ(fa, fb):
            return True  # long reports naming many of the same people and places (and not other numbers)
        w = weighted_overlap(a, b, self.idf)
        if fa and fb:
            common = len(fa & fb)
            # one figure in common is enough when it is a telling one (221 metres, 4,300 ships)
            enough = common >= 2 or min(len(fa), len(fb)) == 1 or bool(distinctive_figures(fa & fb))
            if common / min(len(fa), len(fb)) >= SAME_FIGURES and enough and w >= NAME_WEIGHT:
                return True
        elif w >= NAME_WEIGHT_ALONE and sim >= 0.6:
            return True
        return w >= NAME_WEIGHT_STRONG and sim >= 0.7


def _figures_differ(fa: frozenset[str], fb: frozenset[str]) -> bool:
    """Both reports give several figures and few of them agree: they report different events."""
    if not fa or not fb or min(len(fa), len(fb)) < FEW_FIGURES:
        return False
    return len(fa & fb) / min(len(fa), len(fb)) < SAME_FIGURES


def weighted_overlap(a: set[str], b: set[str], idf: dict[str, float]) -> float:
    """Shared names' weight over the smaller item's: rare names (people, named drills) count most."""
    wa = sum(idf.get(x, 1.0) for x in a)
    wb = sum(idf.get(x, 1.0) for x in b)
    if wa <= 0 or wb <= 0:
        return 0.0
    return sum(idf.get(x, 1.0) for x in a & b) / min(wa, wb)


def _in_window(hours: np.ndarray, gi: np.ndarray, gj: np.ndarray, window_hours: float) -> np.ndarray:
    """Published within the window of each other (undated items count as within)."""
    return ~(np.abs(hours[gi] - hours[gj]) > window_hours)


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
    members = _components(n, i, j)
    linked = np.unique(np.concatenate([i, j])) if len(i) else np.zeros(0, dtype=np.int64)
    judge = _EventJudge(linked, item_names, item_figures)
    out: list[list[int]] = []
    for group in members:
        out.extend(_refine(vectors, group, judge))
    out.sort(key=lambda g: (-len(g), g[0]))
    return out


def _components(n: int, i: np.ndarray, j: np.ndarray) -> list[list[int]]:
    """Connected components of the link graph, each sorted.

    scipy's csgraph for many links; a few links are joined in Python, because importing
    scipy.sparse costs 0.2 s, more than a cold briefing of a handful of articles spends clustering.
    """
    if len(i) <= _SCIPY_LINKS:
        sets = DisjointSets(n)
        for a, b in zip(i.tolist(), j.tolist(), strict=True):
            sets.union(a, b)
        return sets.groups()
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(i), dtype=np.int8), (i, j)), shape=(n, n))
    count, labels = connected_components(graph, directed=False)
    members: list[list[int]] = [[] for _ in range(count)]
    for idx, lab in enumerate(labels):
        members[int(lab)].append(idx)
    return members


def _refine(vectors: np.ndarray, group: list[int], judge: _EventJudge) -> list[list[int]]:
    """Split a component held together by a chain of links.

    Single links find a story cheaply but chain: A~B and B~C put A and C together. Within a
    component every pair is judged, and average linkage keeps two parts together only if most of
    the pairs between them are judged the same event (and their texts stay close on average).
    """
    if len(group) < 3 or len(group) > _REFINE_MAX:
        return [group]
    sub = vectors[group]
    sims = sub @ sub.T
    m = len(group)
    agree = np.eye(m)
    for a in range(m):
        for b in range(a + 1, m):
            agree[a, b] = agree[b, a] = judge.same(group[a], group[b], float(sims[a, b]))
    if agree.min() > 0 and float(sims.min()) >= AVG_LINK:
        return [group]
    affinity = 0.5 * agree + 0.5 * np.clip(sims, 0.0, 1.0)
    dist = 1.0 - affinity
    condensed = dist[np.triu_indices(m, k=1)]
    from scipy.cluster.hierarchy import fcluster, linkage

    tree = linkage(condensed, method="average")
    labels = fcluster(tree, t=1.0 - (0.5 * AGREE + 0.5 * AVG_LINK), criterion="distance")
    parts: dict[int, list[int]] = {}
    for idx, lab in zip(group, labels, strict=True):
        parts.setdefault(int(lab), []).append(idx)
    return list(parts.values())
