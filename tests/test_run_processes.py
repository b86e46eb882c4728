"""A real embedded `briefbot run` (SQLite, the task functions in-process): a process made to die
right after taking a run (`BRIEFBOT_TEST_CRASH_AFTER_CLAIM=1`) leaves a run that the restarted
process posts exactly once, and SIGTERM stops it cleanly. The multi-process PostgreSQL proof (one
`run`, three `worker`s, SIGKILLs mid-composition and mid-post) is tests/test_workers_postgres.py.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.adapters.file import read_lines
from bot.scheduling.deliveries import CRASH_AFTER_CLAIM_ENV
from bot.store import open_store
from bot.store.runs import RunRepository

BRIEFBOT = Path(sys.executable).with_name("briefbot")
RUN_SECONDS = 190
KILL_AT = 75  # seconds after start: SIGKILL replica A just after a minute boundary
RESTART_AFTER = 15

ARTICLES = {
    "ceasefire.txt": (
        "Ceasefire talks resume in Geneva",
        "Negotiators from both sides returned to Geneva on Monday for a new round of ceasefire "
        "talks. Mediators said a draft text covered prisoner exchanges and a monitoring mission.",
    ),
    "grid.md": (
        "Grid operator restores power",
        "The national grid operator restored power to most districts by the evening after a storm "
        "damaged two transmission lines. Engineers expect full service by Wednesday.",
    ),
    "summit.txt": (
        "Leaders plan a summit on shipping",
        "Leaders of five coastal states agreed to meet next month to discuss shipping lanes and "
        "port fees. Officials said the agenda would include a joint patrol proposal.",
    ),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (title, body) in ARTICLES.items():
        (folder / name).write_text(f"{title}\n\n{body}\n", encoding="utf-8")
    return folder


def write_config(tmp: Path, db_url: str, *, cron: str = "* * * * *") -> Path:
    write_corpus(tmp / "articles")
    config = tmp / "briefbot.yaml"
    config.write_text(
        f"""\
storage:
  url: "{db_url}"
sources:
  - name: local-news
    path: articles
    interval: 20s
deliveries:
  - name: every-minute
    platform: file
    path: out/briefings.jsonl
    cron: "{cron}"
summarizer:
  engine: lead
run:
  jitter: 2s
""",
        encoding="utf-8",
    )
    return config


def env() -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if k != CRASH_AFTER_CLAIM_ENV}
    e.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PYTHONUNBUFFERED="1")
    return e


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    port: int
    log: Path
    started: float = field(default_factory=time.time)

    def healthy(self, timeout: float = 60.0) -> float:
        """Wait for /healthz 200; returns the wall time it first answered."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.popen.returncode}:\n{self.tail()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as r:
                    if r.status == 200:
                        return time.time()
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"{self.name} did not answer /healthz within {timeout} s:\n{self.tail()}")

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def terminate(self, timeout: float = 10.0) -> float:
        """SIGTERM; returns the seconds it took to exit (asserting exit code 0)."""
        t0 = time.monotonic()
        self.popen.send_signal(signal.SIGTERM)
        try:
            code = self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(10)
            raise AssertionError(
                f"{self.name} did not stop within {timeout} s of SIGTERM:\n{self.tail()}"
            ) from None
        assert code == 0, f"{self.name} exited {code} after SIGTERM:\n{self.tail()}"
        return time.monotonic() - t0


def start(name: str, config: Path, logs: Path, extra_env: dict[str, str] | None = None) -> Proc:
    port = free_port()
    log = logs / f"{name}.log"
    with log.open("ab") as out:
        popen = subprocess.Popen(
            [str(BRIEFBOT), "--config", str(config), "-v", "run", "--health-port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**env(), **(extra_env or {})},
            cwd=config.parent,
        )
    return Proc(name, popen, port, log)


def minute_floor(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC).replace(second=0, microsecond=0)


def iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_a_crash_after_taking_a_run_gives_one_post_after_restart(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    target = now.replace(second=0, microsecond=0) - timedelta(minutes=1)
    cron = f"{target.minute} {target.hour} {target.day} {target.month} *"  # once, a minute ago: caught up on start
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    config = write_config(tmp_path, url, cron=cron)
    logs = tmp_path / "logs"
    logs.mkdir()
    crashing = start("crashing", config, logs, {CRASH_AFTER_CLAIM_ENV: "1"})
    assert crashing.popen.wait(60) == 9, crashing.tail()
    out = config.parent / "out" / "briefings.jsonl"
    assert not out.exists() or not list(read_lines(out)), "nothing is posted before the crash"
    with open_store(url) as store:
        run = RunRepository(store.engine).get("every-minute", target)
    assert run is not None and run.status == "composing" and run.attempts == 1

    again = start("again", config, logs)
    try:
        again.healthy()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (out.exists() and list(read_lines(out))):
            time.sleep(0.2)
        time.sleep(4)  # a few recovery sweeps (every 1 s with a 2 s lease) must not post it again
        again.terminate()
    finally:
        if again.popen.poll() is None:
            again.popen.kill()
    lines = [data for _, data in read_lines(out)]
    assert [line["scheduled_for"] for line in lines] == [iso(target)], again.tail()
    with open_store(url) as store:
        run = RunRepository(store.engine).get("every-minute", target)
    assert run is not None and run.status == "posted" and run.attempts == 3  # crashed, composed, posted
    assert run.message_ids == ["file:0"]


@pytest.mark.slow
def test_run_exits_cleanly_on_sigterm(tmp_path: Path) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'bot.db'}")
    logs = tmp_path / "logs"
    logs.mkdir()
    p = start("one", config, logs)
    out = config.parent / "out" / "briefings.jsonl"
    try:
        p.healthy()
        deadline = time.monotonic() + 30  # the start-up catch-up posts once the first poll is done
        while time.monotonic() < deadline and not (out.exists() and list(read_lines(out))):
            time.sleep(0.2)
        seconds = p.terminate()
    finally:
        if p.popen.poll() is None:
            p.popen.kill()
    assert seconds < 10
    assert "briefbot stopped" in p.tail()
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{p.port}/healthz", timeout=1)
    lines = [data for _, data in read_lines(out)]
    runs = [line["scheduled_for"] for line in lines]
    assert runs and len(runs) == len(set(runs)), "the current minute is caught up on start, once"
