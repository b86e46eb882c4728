"""Topic relevance: alias rules per sentence, embedding similarity as a graded second signal."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# The substring pre-check must never reject a text the patterns match: a property over texts made
# of the terms' own pieces, their case and separator variants, and the characters re.IGNORECASE
# treats specially.
_TERMS = (
    "Taiwan",
    "Taiwan Strait",
    "Lai Ching-te",
    "Red Sea",
    "tariffs",
    "Kinmen",
    "US",
    "EU",
    "U.S.",
    "middle-east",
    "Sigmaς",
    "Istanbul",
)
_PIECES = st.sampled_from(
    [
        "Taiwan",
        "TAIWAN",
        "taiwanese",
        "Strait",
        "strait",
        "Lai",
        "Ching",
        "te",
        "Ching-te",
        "Red",
        "sea",
        "SEA",
        "tariff",
        "Tariffs",
        "kinmen",
        "KINMEN",
        "US",
        "us",
        "EU",
        "U.S.",
        "Middle",
        "East",
        "middle",
        "east",
        "Sigma",
        "σ",
        "Σ",
        "ς",
        "ſ",
        "\u212a",
        "\u0130",
        "\u0131",
        "stanbul",
        "s",
        "es",
        "'s",
        "ſea",
        "\u0130stanbul",
        "\u0131stanbul",
        "\u212ainmen",
        "SIGMAΣ",
        "sigmaσ",
    ]
)
_GLUE = st.sampled_from([" ", "-", "  ", "\n", "\t", "", ".", ",", "x", "\u00a0", " - "])


@given(
    st.lists(st.tuples(_PIECES, _GLUE), max_size=12),
    st.lists(st.sampled_from(_TERMS), min_size=1, max_size=4, unique=True),
)
@settings(max_examples=400, deadline=None)
def test_precheck_never_changes_the_answer(pieces: list[tuple[str, str]], terms: list[str]) -> None:
    matcher = TopicMatcher(Topic(terms[0], tuple(terms[1:])))
    text = "".join(p + g for p, g in pieces)
    full = any(p.search(text) for p in matcher._patterns)
    assert matcher.matches(text) == full
    assert matcher.count(text) == sum(len(p.findall(text)) for p in matcher._patterns)


@pytest.mark.parametrize(
    ("term", "text"),
    [
        ("Istanbul", "in \u0130stanbul today"),  # re.IGNORECASE: İ is I, but "İ".lower() is "i̇"
        ("Istanbul", "in \u0131stanbul today"),  # dotless ı is i
        ("Red Sea", "ships in the Red ſea"),  # long s is s
        ("Kinmen", "on \u212ainmen"),  # the Kelvin sign is k
        ("Sigmaς", "a sigmaσ b"),  # non-ASCII terms are always searched: σ, ς and Σ are one letter to re
    ],
)
def test_precheck_keeps_case_equivalents(term: str, text: str) -> None:
    matcher = TopicMatcher(Topic(term))
    assert any(p.search(text) for p in matcher._patterns)
    assert matcher.matches(text) and matcher.count(text) == 1


def test_precheck_skips_texts_that_name_no_term() -> None:
    matcher = TopicMatcher(Topic("middle-east", ("Red Sea", "Gaza", "IDF")))
    assert not matcher._may_match("A red car crossed the sea front; research continued.")
    assert matcher._may_match("Ships in the Red  Sea") and matcher.matches("Ships in the red-sea lanes")
    assert matcher._may_match("The IDF said") and not matcher._may_match("The idf said")


def test_score_many_equals_score_sentences_per_document() -> None:
    from summarizer.relevance import score_many

    rng = np.random.default_rng(11)
    matcher = TopicMatcher(Topic("taiwan", ("Taipei", "Taiwan Strait", "PLA")))
    pool = [
        "Taipei protested.",
        "Ships crossed the Taiwan  Strait.",
        "Markets rose.",
        "The PLA drilled.",
        "Rain fell in Oslo.",
        "taiwan's exports grew.",
    ]
    docs = [[pool[k] for k in rng.integers(0, len(pool), size=int(rng.integers(1, 7)))] for _ in range(40)]
    vecs = [rng.normal(size=(len(d), 16)).astype(np.float32) for d in docs]
    vecs = [v / np.linalg.norm(v, axis=1, keepdims=True) for v in vecs]
    topic = rng.normal(size=(3, 16)).astype(np.float32)
    topic /= np.linalg.norm(topic, axis=1, keepdims=True)
    many = score_many(docs, matcher, vecs, topic)
    assert len(many) == len(docs)
    for doc, v, got in zip(docs, vecs, many, strict=True):
        one = score_sentences(doc, matcher, v, topic)
        assert got.named.tolist() == one.named.tolist()
        assert np.allclose(got.scores, one.scores, atol=1e-6) and got.scores.dtype == np.float32
    assert any(r.named.any() for r in many) and any(not r.named.any() for r in many)
    assert score_many([], matcher, [], topic) == []
    # No topic vectors: names alone decide.
    bare = score_many(docs[:3], matcher, vecs[:3], np.zeros((0, 16), dtype=np.float32))
    assert [r.scores.tolist() for r in bare] == [r.named.astype(np.float32).tolist() for r in bare]
