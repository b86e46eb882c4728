"""all-MiniLM-L6-v2 through torch/transformers, for bulk work in processes that already paid for torch.

Importing torch and transformers costs ~6 s, so nothing imports this module on the default
path; `get_embedder("minilm-torch")` is the explicit way in. Gives the same vectors as
`NumpyMiniLM` (same `name`, so the two share a cache).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from summarizer.embed.base import EmbeddingUnavailable, available_cpus, empty_matrix, l2_normalize
from summarizer.embed.batching import length_sorted_batches
from summarizer.embed.files import MiniLMFiles, resolve_files
from summarizer.nlp import torch_import_gate


class TorchMiniLM:
    """Sentence embeddings from the bundled MiniLM via transformers' AutoModel on CPU."""

    cacheable = True

    def __init__(
        self,
        model: MiniLMFiles | Path | None = None,
        max_batch: int = 64,
        max_tokens: int = 4096,
        num_threads: int | None = None,
    ) -> None:
        files = resolve_files(model)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            with torch_import_gate():
                import torch
                from transformers import AutoModel, AutoTokenizer
        except ImportError as exc:
            raise EmbeddingUnavailable(
                "the torch backend needs torch and transformers: pip install 'briefbot[ml]'"
            ) from exc
        self._torch = torch
        threads = num_threads or min(torch.get_num_threads(), available_cpus())
        if threads != torch.get_num_threads():
            torch.set_num_threads(max(1, threads))
        self.name = files.name
        self.max_seq_length = files.max_seq_length
        self._max_batch = max_batch
        self._max_tokens = max_tokens
        self._tokenizer = AutoTokenizer.from_pretrained(str(files.root), local_files_only=True)
        self._model = AutoModel.from_pretrained(str(files.root), local_files_only=True).eval()
        self._dim = int(files.config["hidden_size"])

    @property
    def dim(self) -> int:
        return self._dim

    def encode(self, sentences: Sequence[str]) -> np.ndarray:
        """Embed sentences in length-sorted batches; truncates at 256 word pieces."""
        if len(sentences) == 0:
            return empty_matrix(self.dim)
        texts = [str(s) for s in sentences]
        lengths = [
            len(ids)
            for ids in self._tokenizer(texts, truncation=True, max_length=self.max_seq_length)["input_ids"]
        ]
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        torch = self._torch
        with torch.inference_mode():
            for batch in length_sorted_batches(lengths, self._max_batch, self._max_tokens):
                enc = self._tokenizer(
                    [texts[i] for i in batch],
                    truncation=True,
                    max_length=self.max_seq_length,
                    padding=True,
                    return_tensors="pt",
                )
                hidden = self._model(**enc).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
                out[batch] = pooled.float().numpy()
        return l2_normalize(out)
