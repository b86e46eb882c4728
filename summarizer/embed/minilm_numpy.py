"""all-MiniLM-L6-v2 forward pass in numpy: the same vectors as torch without importing it.

`import torch` plus transformers costs ~6 s of cold start; `tokenizers` plus
`safetensors.numpy` load the same weights in ~0.3 s. The model is a 6-layer BERT
(hidden 384, 12 heads, exact-erf GELU, LayerNorm eps 1e-12) followed by mean pooling
over the attention mask and L2 normalisation, as its sentence-transformers modules say.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from summarizer.embed.base import EmbeddingUnavailable, available_cpus, empty_matrix, l2_normalize
from summarizer.embed.batching import batch_token_budget, length_sorted_batches
from summarizer.embed.files import MiniLMFiles, resolve_files

if TYPE_CHECKING:
    from tokenizers import Tokenizer

_SUPPORTED_ACT = {"gelu"}  # exact erf GELU, as transformers' ACT2FN["gelu"]
_FFN_ROWS = 512
_INV_SQRT2 = 0.7071067811865476
_AS_P = 0.3275911
_AS_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)  # a1..a5


@dataclass(frozen=True)
class _Layer:
    qkv_w: np.ndarray  # (hidden, 3*hidden), pre-transposed so x @ w
    qkv_b: np.ndarray
    out_w: np.ndarray
    out_b: np.ndarray
    ln1_g: np.ndarray
    ln1_b: np.ndarray
    inter_w: np.ndarray
    inter_b: np.ndarray
    ffn_w: np.ndarray
    ffn_b: np.ndarray
    ln2_g: np.ndarray
    ln2_b: np.ndarray


class NumpyMiniLM:
    """Sentence embeddings from the bundled MiniLM with numpy only (no torch).

    Parallelism: length-sorted batches run on `num_threads` worker threads (default: the CPUs
    this process may use), each with single-threaded BLAS. Multi-threaded OpenBLAS on a busy
    2-core host spin-waits for descheduled helpers and was measured 2-10x slower than this.
    Thread-safe: concurrent `encode` calls are serialised (each already uses every core).
    """

    cacheable = True

    def __init__(
        self,
        model: MiniLMFiles | Path | None = None,
        max_batch: int = 64,
        max_tokens: int = 2048,  # padded tokens per batch: as fast as 4096, ~50 MB lower peak RSS
        num_threads: int | None = None,
    ) -> None:
        files = resolve_files(model)
        self.name = files.name
        self.max_seq_length = files.max_seq_length
        self._max_batch = max_batch
        self._max_tokens = max_tokens
        self._threads = max(1, num_threads or available_cpus())
        self._encode_lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._tokenizer = _load_tokenizer(files)
        self._load_weights(files)

    @property
    def dim(self) -> int:
        return self._hidden

    def encode(self, sentences: Sequence[str]) -> np.ndarray:
        """Embed sentences; inputs longer than 256 word pieces are truncated like sentence-transformers."""
        if len(sentences) == 0:
            return empty_matrix(self.dim)
        with self._encode_lock:
            encodings = self._tokenizer.encode_batch([str(s) for s in sentences])
            ids = [e.ids for e in encodings]
            lengths = [len(x) for x in ids]
            max_tokens = batch_token_budget(sum(lengths), self._threads, self._max_tokens)
            batches = list(length_sorted_batches(lengths, self._max_batch, max_tokens))
            out = np.empty((len(ids), self.dim), dtype=np.float32)

            def run(batch: list[int]) -> None:
                out[batch] = self._forward([ids[i] for i in batch])

            with _single_threaded_blas():
                if self._threads == 1 or len(batches) == 1:
                    for batch in batches:
                        run(batch)
                else:
                    list(self._executor().map(run, batches))
            return out

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self._threads, thread_name_prefix="minilm")
        return self._pool

    # -- model ---------------------------------------------------------------------------------

    def _load_weights(self, files: MiniLMFiles) -> None:
        from safetensors.numpy import load_file

        cfg = files.config
        act = cfg.get("hidden_act", "gelu")
        if act not in _SUPPORTED_ACT:
            raise EmbeddingUnavailable(
                f"{files.root}: activation {act!r} is not supported by the numpy backend"
            )
        self._hidden = int(cfg["hidden_size"])
        self._heads = int(cfg["num_attention_heads"])
        self._eps = np.float32(cfg.get("layer_norm_eps", 1e-12))
        raw = load_file(str(files.weights))
        prefix = "bert." if any(k.startswith("bert.") for k in raw) else ""

        def w(key: str) -> np.ndarray:
            try:
                return np.ascontiguousarray(raw[prefix + key], dtype=np.float32)
            except KeyError as exc:
                raise EmbeddingUnavailable(f"{files.weights} has no tensor {prefix + key!r}") from exc

        self._word = w("embeddings.word_embeddings.weight")
        self._pos = w("embeddings.position_embeddings.weight")
        self._type0 = w("embeddings.token_type_embeddings.weight")[0]
        self._emb_ln = (w("embeddings.LayerNorm.weight"), w("embeddings.LayerNorm.bias"))
        self._layers: list[_Layer] = []
        for n in range(int(cfg["num_hidden_layers"])):
            p = f"encoder.layer.{n}."
            att = p + "attention.self."
            self._layers.append(
                _Layer(
                    qkv_w=np.ascontiguousarray(
                        np.concatenate([w(att + f"{m}.weight") for m in ("query", "key", "value")]).T
                    ),
                    qkv_b=np.concatenate([w(att + f"{m}.bias") for m in ("query", "key", "value")]),
                    out_w=np.ascontiguousarray(w(p + "attention.output.dense.weight").T),
                    out_b=w(p + "attention.output.dense.bias"),
                    ln1_g=w(p + "attention.output.LayerNorm.weight"),
                    ln1_b=w(p + "attention.output.LayerNorm.bias"),
                    inter_w=np.ascontiguousarray(w(p + "intermediate.dense.weight").T),
                    inter_b=w(p + "intermediate.dense.bias"),
                    ffn_w=np.ascontiguousarray(w(p + "output.dense.weight").T),
                    ffn_b=w(p + "output.dense.bias"),
                    ln2_g=w(p + "output.LayerNorm.weight"),
                    ln2_b=w(p + "output.LayerNorm.bias"),
                )
            )

    def _forward(self, batch_ids: list[list[int]]) -> np.ndarray:
        """Run one batch through the encoder and mean-pool it; returns unit rows.

        Tokens stay packed (no padding rows) through every dense layer, which is ~90% of the
        arithmetic; only attention scatters them into a padded (n, L) grid. Padding cost a third
        of the work on news sentences of mixed lengths.
        """
        n, length = len(batch_ids), max(len(x) for x in batch_ids)
        lengths = np.array([len(x) for x in batch_ids], dtype=np.int64)
        tokens = np.fromiter((t for seq in batch_ids for t in seq), dtype=np.int64, count=int(lengths.sum()))
        positions = np.concatenate([np.arange(k) for k in lengths])
        rows = np.repeat(np.arange(n), lengths)
        grid = rows * length + positions  # each packed token's place in the padded grid
        mask = np.zeros((n, length), dtype=np.float32)
        mask.reshape(-1)[grid] = 1.0
        x = self._word[tokens] + self._pos[positions] + self._type0
        x = self._layer_norm(x, *self._emb_ln)
        # Additive key mask, as transformers does: padded keys get the most negative float.
        bias = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]
        for layer in self._layers:
            x = self._encoder_layer(x, layer, bias, grid, n, length)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        pooled = np.add.reduceat(x, starts, axis=0) / lengths[:, None].astype(np.float32)
        return l2_normalize(pooled)

    def _encoder_layer(
        self, x: np.ndarray, layer: _Layer, bias: np.ndarray, grid: np.ndarray, n: int, length: int
    ) -> np.ndarray:
        h, heads = self._hidden, self._heads
        head_dim = h // heads
        packed = x @ layer.qkv_w + layer.qkv_b  # (tokens, 3h)
        qkv = np.zeros((n * length, 3 * h), dtype=np.float32)
        qkv[grid] = packed
        qkv = qkv.reshape(n, length, 3, heads, head_dim).transpose(2, 0, 3, 1, 4)  # (3, n, heads, L, d)
        q, k, v = qkv[0], qkv[1], qkv[2]
        # In place from here on: the (n, heads, L, L) scores are the largest array of a batch.
        scores = (q * np.float32(1.0 / np.sqrt(head_dim))) @ k.transpose(0, 1, 3, 2)
        scores += bias
        scores -= scores.max(axis=-1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=-1, keepdims=True)
        ctx = (scores @ v).transpose(0, 2, 1, 3).reshape(n * length, h)[grid]
        x = self._layer_norm(ctx @ layer.out_w + layer.out_b + x, layer.ln1_g, layer.ln1_b)
        # Feed-forward in row chunks: the (rows, 1536) intermediate then stays in cache, which
        # makes GELU ~2x and the whole block ~25% faster than one big pass, and bounds memory.
        ffn = np.empty_like(x)
        for start in range(0, x.shape[0], _FFN_ROWS):
            inter = x[start : start + _FFN_ROWS] @ layer.inter_w
            inter += layer.inter_b
            ffn[start : start + _FFN_ROWS] = self._gelu(inter) @ layer.ffn_w
        ffn += layer.ffn_b
        ffn += x
        return self._layer_norm(ffn, layer.ln2_g, layer.ln2_b)

    @staticmethod
    def _gelu(x: np.ndarray) -> np.ndarray:
        """Exact (erf) GELU, in place: GELU(x) = relu(x) - |x|/2 * erfc(|x|/sqrt 2).

        erfc uses Abramowitz & Stegun 7.1.26 (|error| <= 1.5e-7, below float32 resolution
        of the result); scipy.special.erf is ~5x slower here and costs 0.3 s to import.
        """
        z = np.abs(x)
        half_abs = z * np.float32(0.5)
        z *= np.float32(_INV_SQRT2)
        t = z * np.float32(_AS_P)
        t += np.float32(1.0)
        np.reciprocal(t, out=t)
        poly = t * np.float32(_AS_A[4])
        for a in reversed(_AS_A[:4]):
            poly += np.float32(a)
            poly *= t
        np.square(z, out=z)
        np.negative(z, out=z)
        np.exp(z, out=z)
        poly *= z  # erfc(|x| / sqrt 2)
        poly *= half_abs
        np.maximum(x, np.float32(0.0), out=x)
        x -= poly
        return x

    def _layer_norm(self, x: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> np.ndarray:
        mean = x.mean(axis=-1, keepdims=True)
        centred = x - mean
        var = (centred * centred).mean(axis=-1, keepdims=True)
        return centred / np.sqrt(var + self._eps) * gamma + beta


def _load_tokenizer(files: MiniLMFiles) -> Tokenizer:
    from tokenizers import Tokenizer

    try:
        tok = Tokenizer.from_file(str(files.tokenizer))
    except Exception as exc:  # the Rust side raises a bare Exception on malformed JSON
        raise EmbeddingUnavailable(f"cannot load {files.tokenizer}: {exc}") from exc
    # tokenizer.json ships truncation 128 / fixed padding 128; the sentence model uses 256 and we pad per batch.
    tok.enable_truncation(max_length=files.max_seq_length)
    tok.no_padding()
    return tok


@contextmanager
def _single_threaded_blas() -> Iterator[None]:
    """Limit BLAS to one thread while our own workers run; a no-op without threadpoolctl."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # it comes with scikit-learn, but the embedder does not need it
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield
