"""How crowded a report's neighbourhood is: its mean similarity to its closest other reports.

Two reports of one kind of news (two fights of one boxer, two patches of one browser) are as alike
as two reports of one event are, when measured alone. Measured against the crowd they are not:
reports of one event are closer to each other than to the rest of the crowd. The scorer
therefore subtracts each report's density from the similarity of a pair (as in the "CSLS"
correction for hubs in nearest-neighbour search), and the weights are fitted on that.
"""

from __future__ import annotations

import numpy as np

from summarizer.stories.scorer import similarities
from summarizer.stories.signature import Signature
from summarizer.stories.terms import TermStats

NEIGHBOURS = 10  # density: the mean similarity to this many closest other reports (missing ones count 0)
SHORTLIST = 50  # the closest reports by embedding, among which the closest by words and by names are found


class Neighbourhood:
    """The reports densities are measured against (all the files of a batch, or the store's recent reports)."""

    def __init__(self, stats: TermStats) -> None:
        self.stats = stats
        self.sigs: list[Signature] = []
        self._matrix = np.zeros((0, 0), dtype=np.float32)

    def __len__(self) -> int:
        return len(self.sigs)

    def add(self, sig: Signature) -> None:
        n = len(self.sigs)
        if self._matrix.shape[1] != sig.vector.shape[0]:
            self._matrix = np.zeros((max(16, n), sig.vector.shape[0]), dtype=np.float32)
            for i, s in enumerate(self.sigs):
                self._matrix[i] = s.vector
        if n == self._matrix.shape[0]:
            grown = np.zeros((max(16, 2 * n), self._matrix.shape[1]), dtype=np.float32)
            grown[:n] = self._matrix[:n]
            self._matrix = grown
        self._matrix[n] = sig.vector
        self.sigs.append(sig)

    def density(self, sig: Signature) -> tuple[float, float, float]:
        """Mean embedding, tf-idf and name similarity of `sig` to its NEIGHBOURS closest reports here
        (itself excluded)."""
        n = len(self.sigs)
        if n == 0:
            return (0.0, 0.0, 0.0)
        sims = self._matrix[:n] @ sig.vector.astype(np.float32)
        for i in np.nonzero(sims > 0.9999)[0].tolist():
            if self.sigs[i] is sig or self.sigs[i].key == sig.key:
                sims[i] = -np.inf
        take = min(SHORTLIST, n)
        short = np.argpartition(-sims, take - 1)[:take]
        short = short[np.isfinite(sims[short])]
        rows = np.array(
            [similarities(sig, self.sigs[i], self.stats) for i in short.tolist()], dtype=np.float64
        )
        if not len(rows):
            return (0.0, 0.0, 0.0)
        emb = _top_mean(sims[np.isfinite(sims)].astype(np.float64))
        return (emb, _top_mean(rows[:, 1]), _top_mean(rows[:, 2]))


def _top_mean(values: np.ndarray) -> float:
    if not len(values):
        return 0.0
    k = min(NEIGHBOURS, len(values))
    top = np.partition(values, len(values) - k)[-k:]
    return float(top.sum() / NEIGHBOURS)
