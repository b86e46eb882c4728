"""The story assigner: for each new report, join the story it tells or open a new one.

The decision is average linkage over the fitted pair model (`scorer.PairScorer`): a report joins
the candidate story whose members it matches with the highest mean probability, if that mean
reaches the model's threshold; otherwise it opens a story. Candidates are the open stories whose
centroid is closest to the report's lead embedding. Because reports arrive one by one, two
stories can turn out to be one event; `merge` joins them by the same rule (mean probability over
pairs of their members), keeping the larger story's id and recording the other as an alias.

The same class runs online at ingest (one report at a time, stories loaded from the store) and
in batch for `brief --input` (`assign_all`: reports in time order, then merges until none is left),
so a briefing of files and a briefing of the store group reports by one rule.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from summarizer.stories.density import Neighbourhood
from summarizer.stories.scorer import PairScorer, Weights
from summarizer.stories.signature import Signature
from summarizer.stories.terms import TermStats

CANDIDATES = 8  # stories (closest centroids first) a report is compared with
MERGE_CANDIDATES = 8  # stories a changed story is compared with for a merge
COMPARE = 24  # members of a story a report is compared with: its first and its latest
COMPARE_FIRST = 8  # ... of which this many are its first reports (what the event was)
MERGE_COMPARE = 12  # members per side compared when two stories may merge


@dataclass
class StoryState:
    """A story as the assigner keeps it: its members and what it is matched on."""

    id: str
    members: list[str] = field(default_factory=list)  # signature keys, in the order they joined
    first: list[Signature] = field(default_factory=list)  # its first COMPARE_FIRST reports
    recent: list[Signature] = field(default_factory=list)  # its latest reports
    vector_sum: np.ndarray | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    outlets: set[str] = field(default_factory=set)
    aliases: list[str] = field(default_factory=list)
    version: int = 0

    @property
    def size(self) -> int:
        return len(self.members)

    def compared(self, limit: int = COMPARE) -> list[Signature]:
        """The members a report is compared with (all of a small story)."""
        everyone = [*self.first, *self.recent]
        if limit >= len(everyone):
            return everyone
        tail = self.recent[-(limit - max(1, limit // 3)) :] if self.recent else []
        return [*self.first[: limit - len(tail)], *tail]

    def centroid(self) -> np.ndarray:
        assert self.vector_sum is not None
        n = float(np.linalg.norm(self.vector_sum))
        return self.vector_sum / n if n > 0 else self.vector_sum

    def add(self, sig: Signature) -> None:
        self.members.append(sig.key)
        if len(self.first) < COMPARE_FIRST:
            self.first.append(sig)
        else:
            self.recent.append(sig)
            if len(self.recent) > COMPARE - COMPARE_FIRST:
                del self.recent[0]
        self.vector_sum = (
            sig.vector.astype(np.float32) if self.vector_sum is None else self.vector_sum + sig.vector
        )
        self.outlets.add(sig.outlet)
        if sig.published is not None:
            t = sig.published
            self.first_seen = t if self.first_seen is None or t < self.first_seen else self.first_seen
            self.last_seen = t if self.last_seen is None or t > self.last_seen else self.last_seen
        self.version += 1

    def absorb(self, other: StoryState) -> None:
        """Take another story's members (a merge); the other story's id becomes an alias of this one."""
        merged = sorted([*self.first, *self.recent, *other.first, *other.recent], key=_time_key)
        self.members.extend(other.members)
        self.first, self.recent = merged[:COMPARE_FIRST], merged[COMPARE_FIRST:][-(COMPARE - COMPARE_FIRST) :]
        if other.vector_sum is not None:
            self.vector_sum = (
                other.vector_sum.copy() if self.vector_sum is None else self.vector_sum + other.vector_sum
            )
        self.outlets |= other.outlets
        for t in (other.first_seen, other.last_seen):
            if t is not None:
                self.first_seen = t if self.first_seen is None or t < self.first_seen else self.first_seen
                self.last_seen = t if self.last_seen is None or t > self.last_seen else self.last_seen
        self.aliases.extend([other.id, *other.aliases])
        self.version += 1


def _time_key(sig: Signature) -> tuple[int, float]:
    return (0, sig.published.timestamp()) if sig.published is not None else (1, 0.0)


@dataclass(frozen=True)
class Assignment:
    key: str  # the report's signature key
    story: str  # the story it is in now
    opened: bool  # True when it opened this story
    probability: float  # mean probability against the story it joined (0 when it opened one)
    also: tuple[str, ...] = ()  # other stories it would have joined: it bridges them (merge candidates)


@dataclass(frozen=True)
class Merge:
    kept: str
    absorbed: str
    probability: float


class _Centroids:
    """Unit centroids of the open stories in one matrix, for the nearest-story search."""

    def __init__(self, dim: int | None = None) -> None:
        self.ids: list[str] = []
        self.row: dict[str, int] = {}
        self.matrix = np.zeros((0, dim or 0), dtype=np.float32)

    def put(self, story: StoryState) -> None:
        vec = story.centroid().astype(np.float32)
        r = self.row.get(story.id)
        if r is None:
            if self.matrix.shape[1] != vec.shape[0]:
                self.matrix = np.zeros((0, vec.shape[0]), dtype=np.float32)
                self.ids, self.row = [], {}
            if len(self.ids) == self.matrix.shape[0]:
                grown = np.zeros((max(16, 2 * len(self.ids)), vec.shape[0]), dtype=np.float32)
                grown[: len(self.ids)] = self.matrix[: len(self.ids)]
                self.matrix = grown
            r = self.row[story.id] = len(self.ids)
            self.ids.append(story.id)
        self.matrix[r] = vec

    def drop(self, story_id: str) -> None:
        r = self.row.pop(story_id, None)
        if r is not None:
            self.matrix[r] = 0.0
            self.ids[r] = ""

    def nearest(self, vec: np.ndarray, k: int, skip: str | None = None) -> list[str]:
        n = len(self.ids)
        if n == 0:
            return []
        sims = self.matrix[:n] @ vec.astype(np.float32)
        wanted = min(n, k + 1)
        top = np.argpartition(-sims, wanted - 1)[:wanted]
        order = top[np.argsort(-sims[top], kind="stable")]
        return [self.ids[i] for i in order.tolist() if self.ids[i] and self.ids[i] != skip and sims[i] > 0][
            :k
        ]


def sequential_ids(prefix: str = "s") -> Callable[[], str]:
    counter = itertools.count(1)
    return lambda: f"{prefix}{next(counter)}"


class StoryAssigner:
    """Assigns reports to stories; see the module docstring."""

    def __init__(
        self,
        stats: TermStats | None = None,
        weights: Weights | None = None,
        new_id: Callable[[], str] | None = None,
        scorer: PairScorer | None = None,
    ) -> None:
        self.stats = scorer.stats if scorer is not None else stats if stats is not None else TermStats()
        self.scorer = scorer or PairScorer(self.stats, weights)
        self.new_id = new_id or sequential_ids()
        self.stories: dict[str, StoryState] = {}
        self.alias: dict[str, str] = {}
        self.neighbours = Neighbourhood(self.stats)
        self._index = _Centroids()

    # -- loading and looking up ----------------------------------------------------------------

    def load(self, stories: Iterable[StoryState]) -> None:
        """Add stories kept elsewhere (the store), with their compared members."""
        for s in stories:
            self.stories[s.id] = s
            for a in s.aliases:
                self.alias[a] = s.id
            if s.vector_sum is not None:
                self._index.put(s)

    def resolve(self, story_id: str) -> str:
        """The current id of a story, following merges."""
        seen = set()
        while story_id in self.alias and story_id not in seen:
            seen.add(story_id)
            story_id = self.alias[story_id]
        return story_id

    # -- deciding --------------------------------------------------------------------------------

    def ingest(self, sig: Signature) -> Assignment:
        """Online use: count the report's words, measure its density against the reports seen so far,
        keep it as a neighbour of later reports, and assign it."""
        self.stats.add(sig.terms, sig.names)
        sig.density = self.neighbours.density(sig)
        self.neighbours.add(sig)
        return self.assign(sig)

    def assign(self, sig: Signature) -> Assignment:
        """Join the best-matching story, or open a new one (`sig` already counted and measured)."""
        scored = [
            (self.scorer.mean_probability(sig, self.stories[sid].compared()), sid)
            for sid in self._index.nearest(sig.vector, CANDIDATES)
        ]
        fits = sorted((x for x in scored if x[0] >= self.scorer.threshold), key=lambda x: -x[0])
        if fits:
            best_p, best_id = fits[0]
            story = self.stories[best_id]
            story.add(sig)
            self._index.put(story)
            return Assignment(sig.key, best_id, False, best_p, tuple(sid for _, sid in fits[1:]))
        story = StoryState(self.new_id())
        story.add(sig)
        self.stories[story.id] = story
        self._index.put(story)
        return Assignment(sig.key, story.id, True, 0.0)

    def linkage(self, a: StoryState, b: StoryState) -> float:
        """Mean probability over pairs of the two stories' compared members."""
        left, right = a.compared(MERGE_COMPARE), b.compared(MERGE_COMPARE)
        if not left or not right:
            return 0.0
        return sum(self.scorer.probability(x, y) for x in left for y in right) / (len(left) * len(right))

    def merge(
        self, touched: Iterable[str] | None = None, pairs: Iterable[tuple[str, str]] | None = None
    ) -> list[Merge]:
        """Join stories that tell one event, best-linked pair first, until no pair reaches the threshold.

        Pairs are a changed story (`touched`, default every story) and its nearest stories, and a merged
        story is paired anew; or, given `pairs`, just those (online: the stories a new report bridges,
        `Assignment.also`). The larger story keeps its id (the older on a tie); the other id becomes
        an alias."""
        import heapq

        heap: list[tuple[float, str, str, int, int]] = []

        def pair_up(sid: str) -> None:
            story = self.stories[sid]
            if story.vector_sum is None:
                return
            for other_id in self._index.nearest(story.centroid(), MERGE_CANDIDATES, skip=sid):
                other = self.stories[other_id]
                p = self.linkage(story, other)
                if p >= self.scorer.threshold:
                    heapq.heappush(heap, (-p, sid, other_id, story.version, other.version))

        if pairs is not None:
            for a_id, b_id in dict.fromkeys((self.resolve(a), self.resolve(b)) for a, b in pairs):
                a, b = self.stories.get(a_id), self.stories.get(b_id)
                if a is not None and b is not None and a_id != b_id:
                    p = self.linkage(a, b)
                    if p >= self.scorer.threshold:
                        heapq.heappush(heap, (-p, a_id, b_id, a.version, b.version))
        else:
            for sid in dict.fromkeys(
                self.resolve(s) for s in (touched if touched is not None else list(self.stories))
            ):
                if sid in self.stories:
                    pair_up(sid)
        merges: list[Merge] = []
        while heap:
            neg_p, a_id, b_id, va, vb = heapq.heappop(heap)
            a, b = self.stories.get(a_id), self.stories.get(b_id)
            if a is None or b is None or a.version != va or b.version != vb:
                continue  # one of them changed since this pair was scored
            kept, gone = (a, b) if _outranks(a, b) else (b, a)
            kept.absorb(gone)
            del self.stories[gone.id]
            self._index.drop(gone.id)
            self._index.put(kept)
            for alias in [gone.id, *gone.aliases]:
                self.alias[alias] = kept.id
            merges.append(Merge(kept.id, gone.id, -neg_p))
            if pairs is None:
                pair_up(kept.id)
        return merges

    def assign_all(self, signatures: Sequence[Signature]) -> list[StoryState]:
        """Batch use (`brief --input`): count and measure every report against all the others, assign
        them in time order, then merge.

        Returns the stories, largest first (ties: the earliest first report first)."""
        for sig in signatures:
            self.stats.add(sig.terms, sig.names)
            self.neighbours.add(sig)
        for sig in signatures:
            sig.density = self.neighbours.density(sig)
        order = sorted(range(len(signatures)), key=lambda i: (_time_key(signatures[i]), i))
        for i in order:
            self.assign(signatures[i])
        self.merge()
        floor = datetime.max.replace(tzinfo=UTC)
        return sorted(self.stories.values(), key=lambda s: (-s.size, s.first_seen or floor, s.id))


def _outranks(a: StoryState, b: StoryState) -> bool:
    if a.size != b.size:
        return a.size > b.size
    floor = datetime.max.replace(tzinfo=UTC)
    return (a.first_seen or floor, a.id) <= (b.first_seen or floor, b.id)
