"""summarizer.allocator: glibc keeps freed numpy temporaries for reuse instead of faulting in new pages."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from summarizer.allocator import ENV_OVERRIDES, SWITCH, tune_allocator

_CHURN = textwrap.dedent(
    """
    import resource
    from summarizer.allocator import tune_allocator
    applied = tune_allocator()
    import numpy as np
    a = np.ones((512, 1536), dtype=np.float32)  # the encoder's feed-forward block size
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(200):
        b = a * 2.0
        c = b + a
        del b, c
    print(applied, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    """
)


def _churn(**env: str) -> tuple[bool, int]:
    clean = {k: v for k, v in os.environ.items() if k not in ENV_OVERRIDES and k != SWITCH}
    out = subprocess.run(
        [sys.executable, "-c", _CHURN],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.split()
    return out[0] == "True", int(out[1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt is glibc's")
def test_tuned_process_reuses_freed_temporaries() -> None:
    applied, tuned = _churn()
    skipped, default = _churn(**{SWITCH: "off"})
    assert applied and not skipped
    # 400 temporaries of 3 MB: glibc's defaults fault each one in afresh (~300k minor faults
    # measured), the tuned heap reuses them (~1.5k).
    assert default > 50_000
    assert tuned * 10 < default


def test_operator_settings_and_the_off_switch_win() -> None:
    assert tune_allocator({SWITCH: "off"}) is False
    assert tune_allocator({"MALLOC_TRIM_THRESHOLD_": "131072"}) is False
    if sys.platform.startswith("linux"):
        assert tune_allocator({}) is True  # glibc on this machine; idempotent
