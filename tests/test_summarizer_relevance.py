"""Topic relevance: alias rules per sentence, embedding similarity as a graded second signal."""

from __future__ import annotations

import numpy as np

from summarizer.model import Topic
from summarizer.relevance import RELEVANT, TopicMatcher, item_relevance, score_sentences


def test_acronyms_are_case_sensitive_words_are_not() -> None:
    m = TopicMatcher(Topic("us", ("US", "EU", "Taiwan Strait")))
    assert m.matches("The US said on Monday")
    assert m.matches("the us said")  # the free-text name "us" itself is case-insensitive
    eu = TopicMatcher(Topic("europe", ("EU",)))
    assert eu.matches("EU ministers met")
    assert not eu.matches("a eu de toilette")
    assert not eu.matches("The EUR fell")  # word boundary
    strait = TopicMatcher(Topic("x", ("Taiwan Strait",)))
    assert strait.matches("ships in the taiwan  strait")
    assert strait.matches("across the Taiwan-Strait line")
    assert not strait.matches("Taiwan's straits")  # possessive breaks the phrase


def test_plurals_and_possessives() -> None:
    tariffs = TopicMatcher(Topic("tariffs"))
    assert tariffs.matches("a new tariff on steel")
    assert tariffs.matches("Tariffs rose")
    taiwan = TopicMatcher(Topic("taiwan"))
    assert taiwan.matches("Taiwan's coast guard")
    assert not taiwan.matches("Taiwanese officials")  # only configured aliases widen a topic
    assert TopicMatcher(Topic("taiwan", ("Taiwanese",))).matches("Taiwanese officials")
    assert taiwan.count("Taiwan and taiwan") == 2


def test_score_sentences_names_first_then_similarity() -> None:
    m = TopicMatcher(Topic("taiwan"))
    texts = ["Taiwan scrambled jets.", "The island's coast guard sailed.", "A football match ended 2-1."]
    vecs = np.array([[1, 0, 0], [0.8, 0.6, 0], [0, 0, 1]], dtype=np.float32)
    topic = np.array([[1, 0, 0]], dtype=np.float32)
    rel = score_sentences(texts, m, vecs, topic)
    assert list(rel.named) == [True, False, False]
    assert rel.scores[0] == 1.0
    assert 0.9 < rel.scores[1] <= 1.0
    assert rel.scores[2] == 0.0
    no_vectors = score_sentences(texts, m)
    assert list(no_vectors.scores) == [1.0, 0.0, 0.0]


def test_item_relevance() -> None:
    named_once = item_relevance(np.array([1.0, 0.0, 0.0]), np.array([True, False, False]))
    assert named_once >= RELEVANT
    similar_only = item_relevance(np.array([0.9, 0.8, 0.7]), np.zeros(3, dtype=bool))
    assert similar_only >= RELEVANT
    unrelated = item_relevance(np.array([0.1, 0.0, 0.2]), np.zeros(3, dtype=bool))
    assert unrelated < RELEVANT
    assert item_relevance(np.array([]), np.array([], dtype=bool)) == 0.0
