"""Shared test fixtures. Area-specific fixtures live in the test modules of that area."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "seeds"
DEMO_CONFIG = REPO / "config" / "demo.yaml"
DEMO_CORPUS = REPO / "corpus" / "demo"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    if not SEEDS.is_dir():
        pytest.fail(f"the seed articles are expected at {SEEDS} (../shared/seeds beside the repo)")
    return SEEDS


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO
