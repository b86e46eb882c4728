"""Shared test fixtures. Area-specific fixtures live in the test modules of that area."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from shared_data import shared_path

REPO = Path(__file__).resolve().parents[1]
DEMO_CONFIG = REPO / "config" / "demo.yaml"
DEMO_CORPUS = REPO / "corpus" / "demo"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return shared_path("seeds")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO
