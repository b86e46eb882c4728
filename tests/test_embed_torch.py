"""The numpy MiniLM must give the vectors of the reference torch implementation (imports torch)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from embed_sentences import HANDWRITTEN, seed_sentences

from summarizer.embed import Embedder, get_embedder
from summarizer.embed.files import bundled_model_dir

torch = pytest.importorskip("torch", reason="the agreement test needs the [ml] extra (torch)")


@pytest.fixture(scope="module")
def sentences(seeds_dir: Path) -> list[str]:
    varied = HANDWRITTEN + seed_sentences(seeds_dir, 30 - len(HANDWRITTEN))
    assert len(varied) == 30
    return varied


@pytest.fixture(scope="module")
def reference(sentences: list[str]) -> np.ndarray:
    """sentence-transformers' own pipeline (Transformer -> mean Pooling -> Normalize) on the same files."""
    st = pytest.importorskip("sentence_transformers")
    model = st.SentenceTransformer(str(bundled_model_dir()), device="cpu")
    assert model.max_seq_length == 256
    return np.asarray(model.encode(sentences, batch_size=8, normalize_embeddings=True), dtype=np.float32)


def _min_cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float((a * b).sum(axis=1).min())


def test_numpy_matches_sentence_transformers(sentences: list[str], reference: np.ndarray) -> None:
    numpy_vectors = get_embedder("minilm").encode(sentences)
    assert numpy_vectors.shape == reference.shape
    assert 1.0 - _min_cosine(numpy_vectors, reference) < 1e-4
    np.testing.assert_allclose(numpy_vectors, reference, atol=2e-5)  # tanh-GELU would be ~3e-4 off


def test_torch_backend_matches_reference(sentences: list[str], reference: np.ndarray) -> None:
    torch_embedder: Embedder = get_embedder("minilm-torch")
    assert type(torch_embedder).__name__ == "TorchMiniLM"
    assert torch_embedder.name == get_embedder("minilm").name  # shared cache key
    vectors = torch_embedder.encode(sentences)
    assert vectors.dtype == np.float32 and vectors.shape == (30, 384)
    assert 1.0 - _min_cosine(vectors, reference) < 1e-4
    assert torch_embedder.encode([]).shape == (0, 384)
