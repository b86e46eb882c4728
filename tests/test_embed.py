"""The numpy MiniLM embedder, the registry, the cache wrapper and the tf-idf fallback."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from embed_sentences import HANDWRITTEN, seed_sentences

from summarizer.embed import (
    MODEL_NAME,
    CachedEncoder,
    Embedder,
    EmbedderNotFitted,
    EmbeddingUnavailable,
    clear_embedder_cache,
    cosine_matrix,
    get_embedder,
)
from summarizer.embed.batching import MIN_BATCH_TOKENS, batch_token_budget, length_sorted_batches
from summarizer.embed.files import bundled_model_dir
from summarizer.embed.minilm_numpy import NumpyMiniLM
from summarizer.embed.tfidf import TfidfEmbedder

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def minilm() -> Embedder:
    return get_embedder("minilm")


def _assert_unit_rows(m: np.ndarray) -> None:
    assert m.dtype == np.float32
    assert np.isfinite(m).all()
    np.testing.assert_allclose(np.linalg.norm(m, axis=1), 1.0, atol=1e-5)


def test_shapes_dtype_and_unit_norm(minilm: Embedder, seeds_dir: Path) -> None:
    sentences = HANDWRITTEN + seed_sentences(seeds_dir, 10)
    vectors = minilm.encode(sentences)
    assert minilm.name == MODEL_NAME
    assert minilm.dim == 384
    assert vectors.shape == (len(sentences), 384)
    _assert_unit_rows(vectors)


def test_empty_input_gives_zero_rows(minilm: Embedder) -> None:
    vectors = minilm.encode([])
    assert vectors.shape == (0, 384) and vectors.dtype == np.float32


def test_deterministic_and_independent_of_batch_company(minilm: Embedder, seeds_dir: Path) -> None:
    sentences = seed_sentences(seeds_dir, 12) + HANDWRITTEN
    first = minilm.encode(sentences)
    np.testing.assert_array_equal(first, minilm.encode(sentences))
    # Alone (no padding) versus padded inside a batch of longer sentences: same vector.
    alone = minilm.encode([sentences[2]])
    np.testing.assert_allclose(alone[0], first[2], atol=2e-6)
    # Order of the output follows the input even though batches are sorted by length.
    np.testing.assert_allclose(minilm.encode(sentences[::-1])[::-1], first, atol=2e-6)


def test_long_sentence_is_truncated_at_256_word_pieces(minilm: Embedder) -> None:
    long_prefix = "the cat sat on the mat " * 50  # 300 word pieces
    short_prefix = "the cat sat on the mat " * 35  # 210 word pieces: beyond the tokenizer.json default of 128
    a, b = minilm.encode([long_prefix + "Paris burns.", long_prefix + "Tokyo floods."])
    np.testing.assert_allclose(a, b, atol=1e-6)
    c, d = minilm.encode([short_prefix + "Paris burns.", short_prefix + "Tokyo floods."])
    assert float(c @ d) < 0.999


def test_non_english_and_emoji_are_distinct_unit_vectors(minilm: Embedder) -> None:
    texts = [
        "北约秘书长警告说，中国可能推动俄罗斯进攻。",
        "Путин заявил, что переговоры возможны.",
        "🚨🔥📉",
        "Le président a rencontré son homologue.",
    ]
    vectors = minilm.encode(texts)
    _assert_unit_rows(vectors)
    sims = cosine_matrix(vectors)
    assert (sims[np.triu_indices(len(texts), 1)] < 0.99).all()


def test_paraphrase_scores_higher_than_unrelated(minilm: Embedder) -> None:
    a, para, other, para2, other2 = minilm.encode(
        [
            "NATO's chief warned that China could push Russia to attack the alliance.",
            "The head of NATO said Beijing might encourage Moscow to strike NATO members.",
            "The bakery on Main Street sells sourdough bread every morning.",
            "Central bank raises interest rates to fight inflation.",
            "A new species of frog was found in the rainforest.",
        ]
    )
    assert float(a @ para) > float(a @ other) + 0.3
    rate = minilm.encode(["The central bank increased borrowing costs to curb rising prices."])[0]
    assert float(rate @ para2) > float(rate @ other2) + 0.3


def test_encode_is_thread_safe(minilm: Embedder, seeds_dir: Path) -> None:
    sentences = seed_sentences(seeds_dir, 16)
    expected = minilm.encode(sentences)
    results: list[np.ndarray] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            results.append(get_embedder("minilm").encode(sentences))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors and len(results) == 3
    for r in results:
        np.testing.assert_allclose(r, expected, atol=2e-6)


def test_registry_loads_once_even_when_raced() -> None:
    clear_embedder_cache()
    got: list[Embedder] = []
    threads = [threading.Thread(target=lambda: got.append(get_embedder("minilm"))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(got) == 4 and all(e is got[0] for e in got)
    assert get_embedder("auto") is got[0]
    assert get_embedder(" MiniLM ") is got[0]
    with pytest.raises(ValueError, match="unknown embedder 'bert'"):
        get_embedder("bert")


def test_default_path_imports_no_torch_and_starts_fast() -> None:
    code = (
        "import sys, time; t = time.perf_counter();"
        "from summarizer.embed import get_embedder;"
        "v = get_embedder('auto').encode(['NATO warns China.']);"
        "dt = time.perf_counter() - t;"
        "heavy = sorted(m for m in ('torch', 'transformers', 'sklearn', 'scipy') if m in sys.modules);"
        "print(type(get_embedder('auto')).__name__, v.shape, heavy, round(dt, 2))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120, check=True
    )
    name, *_, seconds = proc.stdout.split()
    assert name == "NumpyMiniLM", proc.stdout
    assert "(1, 384) []" in proc.stdout, proc.stdout
    assert float(seconds) < 5.0, f"cold import+load+encode took {seconds}s (expected ~0.3 s)"


def test_lfs_pointer_instead_of_weights_is_reported(tmp_path: Path) -> None:
    src = bundled_model_dir()
    for name in ("config.json", "tokenizer.json", "sentence_bert_config.json"):
        (tmp_path / name).write_bytes((src / name).read_bytes())
    (tmp_path / "model.safetensors").write_text("version https://git-lfs.github.com/spec/v1\n")
    with pytest.raises(EmbeddingUnavailable, match="Git LFS pointer"):
        NumpyMiniLM(tmp_path)
    (tmp_path / "model.safetensors").unlink()
    with pytest.raises(EmbeddingUnavailable, match=r"model\.safetensors is missing"):
        NumpyMiniLM(tmp_path)


def test_length_sorted_batches_respect_limits() -> None:
    lengths = [5, 300, 7, 7, 120, 3, 9, 40]
    batches = list(length_sorted_batches(lengths, max_batch=3, max_tokens=200))
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for b in batches:
        assert len(b) <= 3
        assert len(b) == 1 or len(b) * max(lengths[i] for i in b) <= 200
    flat = [lengths[i] for b in batches for i in b]
    assert flat == sorted(flat)


# -- CachedEncoder --------------------------------------------------------------------------------


class CountingEmbedder:
    """Test double of the Embedder interface that records what it was asked to encode."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.cacheable = inner.cacheable
        self.calls: list[list[str]] = []

    @property
    def dim(self) -> int:
        return self.inner.dim

    def encode(self, sentences: Sequence[str]) -> np.ndarray:
        self.calls.append(list(sentences))
        return self.inner.encode(sentences)


def test_cache_hits_do_no_encoding(minilm: Embedder) -> None:
    sentences = ["Ceasefire talks resume.", "Grain deal extended.", "Ceasefire talks resume."]
    counting = CountingEmbedder(minilm)
    first = CachedEncoder(counting)
    vectors = first.encode(sentences)
    assert counting.calls == [["Ceasefire talks resume.", "Grain deal extended."]]  # duplicates once
    assert set(first.new_vectors) == {"Ceasefire talks resume.", "Grain deal extended."}
    np.testing.assert_allclose(vectors, minilm.encode(sentences), atol=2e-6)

    stored = dict(first.new_vectors)  # what the store would persist
    counting.calls.clear()
    second = CachedEncoder(counting, stored)
    again = second.encode(sentences)
    assert counting.calls == []
    assert second.new_vectors == {} and second.hits == 3 and second.misses == 0
    np.testing.assert_array_equal(again, vectors)

    mixed = second.encode(["Grain deal extended.", "Sanctions widened."])
    assert counting.calls == [["Sanctions widened."]]
    assert list(second.new_vectors) == ["Sanctions widened."]
    assert "Sanctions widened." not in stored  # the caller's dict is not modified
    np.testing.assert_allclose(mixed[1], minilm.encode(["Sanctions widened."])[0], atol=2e-6)


def test_cached_vector_of_wrong_shape_is_a_miss(minilm: Embedder) -> None:
    counting = CountingEmbedder(minilm)
    enc = CachedEncoder(counting, {"Talks stall.": np.ones(128, dtype=np.float32)})
    out = enc.encode(["Talks stall."])
    assert counting.calls == [["Talks stall."]]
    assert out.shape == (1, 384)


def test_cached_encoder_empty_input(minilm: Embedder) -> None:
    enc = CachedEncoder(CountingEmbedder(minilm), {})
    assert enc.encode([]).shape == (0, 384)


# -- tf-idf fallback ----------------------------------------------------------------------------------


def test_tfidf_fit_encode_and_similarity(seeds_dir: Path) -> None:
    corpus = seed_sentences(seeds_dir, 40)
    emb = get_embedder("tfidf")
    assert isinstance(emb, TfidfEmbedder) and "tfidf" in emb.name and not emb.cacheable
    assert get_embedder("tfidf") is not emb  # per-corpus state: never shared
    with pytest.raises(EmbedderNotFitted, match="fit"):
        emb.encode(["x"])
    emb.fit(corpus)
    vectors = emb.encode(corpus)
    assert vectors.shape == (40, emb.dim) and 0 < emb.dim <= 4096
    nonzero = np.linalg.norm(vectors, axis=1) > 0
    _assert_unit_rows(vectors[nonzero])
    assert emb.encode([]).shape == (0, emb.dim)
    q = emb.encode(["Rutte warned China could push Russia to attack NATO", "Recipes for lemon cake"])
    sims = cosine_matrix(q, vectors)
    assert sims[0].max() > 0.3 and sims[1].max() == 0.0
    sparse = emb.encode_sparse(corpus[:5])
    np.testing.assert_allclose(sparse.toarray(), vectors[:5], atol=1e-6)


def test_tfidf_without_vocabulary_gives_zero_vectors() -> None:
    emb = TfidfEmbedder().fit(["the and of", "🚨"])
    assert emb.dim == 0
    assert emb.encode(["anything at all"]).shape == (1, 0)


def test_cached_encoder_never_caches_tfidf(seeds_dir: Path) -> None:
    corpus = seed_sentences(seeds_dir, 20)
    emb = TfidfEmbedder().fit(corpus)
    counting = CountingEmbedder(emb)
    poisoned = {corpus[0]: np.ones(emb.dim, dtype=np.float32)}
    enc = CachedEncoder(counting, poisoned)
    out = enc.encode(corpus[:3])
    assert counting.calls == [corpus[:3]] and enc.new_vectors == {}
    np.testing.assert_allclose(out, emb.encode(corpus[:3]), atol=1e-6)


def test_small_inputs_split_into_several_batches_per_worker() -> None:
    # The seeds: ~3,400 word pieces over two workers -> at least four batches, none tiny.
    budget = batch_token_budget(3416, workers=2, cap=2048)
    assert MIN_BATCH_TOKENS <= budget <= 3416 // 2 // 2
    lengths = [31] * 110
    assert len(list(length_sorted_batches(lengths, max_batch=64, max_tokens=budget))) >= 4
    # A big ingest batch is held to the memory cap; a tiny one still gets a usable budget.
    assert batch_token_budget(500_000, workers=2, cap=2048) == 2048
    assert batch_token_budget(40, workers=2, cap=2048) == MIN_BATCH_TOKENS
    assert batch_token_budget(0, workers=0, cap=2048) == MIN_BATCH_TOKENS
