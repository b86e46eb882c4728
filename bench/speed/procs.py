"""Run a command in a new process and measure its wall time and its own peak RSS (os.wait4 rusage)."""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ChildRun:
    wall_s: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


class ChildFailed(RuntimeError):
    """A benchmarked command exited non-zero; the message carries its command line and stderr tail."""


def run_child(cmd: Sequence[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> ChildRun:
    """Start `cmd`, wait for it with wait4 so that ru_maxrss is this child's alone (not all children's)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdout=out, stderr=err, env=env, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        run = ChildRun(wall, usage.ru_maxrss / 1024, proc.returncode,
                       out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"))
    if run.returncode != 0:
        raise ChildFailed(f"{' '.join(cmd)} exited {run.returncode}: {run.stderr.strip()[-800:]}")
    return run


def summary(values: Sequence[float]) -> tuple[float, float, float]:
    """(median, min, max)."""
    return statistics.median(values), min(values), max(values)
