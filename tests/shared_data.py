"""The real data beside the repo (`../shared`: seeds, corpora, anchors), read at run time, never copied.

`shared_path("seeds")` gives the folder, or skips the calling test with a one-line reason when a
clone has no `../shared` beside it. CI sets BRIEFBOT_REQUIRE_SHARED=1, so there a missing folder
fails instead of skipping silently.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def shared_path(relative: str) -> Path:
    path = SHARED / relative
    if not path.exists():
        reason = f"needs ../shared/{relative} beside the repo (not found at {path})"
        if os.environ.get("BRIEFBOT_REQUIRE_SHARED") == "1":
            pytest.fail(reason + "; BRIEFBOT_REQUIRE_SHARED=1 is set")
        pytest.skip(reason)
    return path
