"""Run a command in a new process and measure its wall time and the peak RSS of its process tree.

Peak RSS is each process's VmHWM (read from /proc every 20 ms while the command runs), summed over
the command and the helpers it starts (`brief`'s quote helper). `wait4`'s ru_maxrss is not used: a
child forked from a large benchmark process reports the parent's size, since the high-water mark
survives exec.
"""

from __future__ import annotations

import statistics
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from common import vm_hwm_kb


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
    """Start `cmd`, wait for it, and measure its wall time and its process tree's peak RSS."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdout=out, stderr=err, env=env, cwd=cwd)
        peaks: dict[int, int] = {}
        while proc.poll() is None:
            for pid in _tree(proc.pid):
                kb = vm_hwm_kb(pid)
                if kb is not None:
                    peaks[pid] = max(peaks.get(pid, 0), kb)
            time.sleep(0.02)
        wall = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        run = ChildRun(
            wall,
            sum(peaks.values()) / 1024,
            proc.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
        )
    if run.returncode != 0:
        raise ChildFailed(f"{' '.join(cmd)} exited {run.returncode}: {run.stderr.strip()[-800:]}")
    return run


def _tree(pid: int) -> list[int]:
    found = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return found
    for child in children:
        found.extend(_tree(int(child)))
    return found


def summary(values: Sequence[float]) -> tuple[float, float, float]:
    """(median, min, max)."""
    return statistics.median(values), min(values), max(values)
