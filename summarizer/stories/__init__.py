"""Stories: which reports tell the same event (see `assigner`), and what they are matched on."""

from summarizer.stories.assigner import Assignment, Merge, StoryAssigner, StoryState
from summarizer.stories.scorer import FEATURES, PairScorer, Weights, default_weights, pair_features
from summarizer.stories.signature import (
    HashedLeads,
    Signature,
    build_signatures,
    outlet_words,
    stable_embedder,
)
from summarizer.stories.terms import TermCounts, TermStats

__all__ = [
    "FEATURES",
    "Assignment",
    "HashedLeads",
    "Merge",
    "PairScorer",
    "Signature",
    "StoryAssigner",
    "StoryState",
    "TermCounts",
    "TermStats",
    "Weights",
    "build_signatures",
    "default_weights",
    "outlet_words",
    "pair_features",
    "stable_embedder",
]
