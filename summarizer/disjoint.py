"""Disjoint sets (union-find) over 0..n-1: copies of one text, items of one story.

Small on purpose: scipy has one, but importing scipy costs more than a cold briefing of a few
articles spends grouping them.
"""

from __future__ import annotations


class DisjointSets:
    """Union-find with path halving; the smallest index of a set is its root."""

    def __init__(self, n: int) -> None:
        self._parent = list(range(n))

    def find(self, x: int) -> int:
        parent = self._parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self._parent[max(ra, rb)] = min(ra, rb)

    def groups(self) -> list[list[int]]:
        """Every set as a sorted list, sets ordered by their smallest member."""
        by_root: dict[int, list[int]] = {}
        for x in range(len(self._parent)):
            by_root.setdefault(self.find(x), []).append(x)
        return list(by_root.values())
