"""The proof on a real PostgreSQL: one `briefbot run` and three `briefbot worker`s (procrastinate).

Two `file` deliveries fire every minute and three local sources are polled on every tick (every
5 s here, `run.tick_every`). Each composition and each post is slowed by 2 s (a test-only
setting) so that the test can SIGKILL the worker composing the first delivery and then the worker
posting the second one, in the same minute. procrastinate's stalled-job recovery (worker
heartbeats every 1 s, dead after 3 s) gives their jobs to the last worker: every scheduled run is
in the file exactly once, every source kept being polled, and `briefbot status` shows the queues
with the retried jobs.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pgserver import drop_database, fresh_database, pg_url  # noqa: F401

from bot.adapters.file import read_lines
from bot.store import open_store
from bot.store.runs import RunRepository

BRIEFBOT = Path(sys.executable).with_name("briefbot")
DELIVERIES = ("first", "second")
SOURCES = 3
BODY = "Negotiators returned to Geneva on Monday for a new round of talks, mediators said on Tuesday."


def write_config(root: Path, url: str) -> Path:
    lines = ["storage:", f'  url: "{url}"', "sources:"]
    for i in range(SOURCES):
        folder = root / "feeds" / f"s{i}"
        folder.mkdir(parents=True)
        (folder / "a.txt").write_text(f"Talks resume {i}\n\n{BODY} Round {i}.\n", encoding="utf-8")
        lines.append(f"  - {{name: s{i}, path: feeds/s{i}, interval: 5s}}")
    lines.append("deliveries:")
    lines += [
        f'  - {{name: {d}, platform: file, path: out/{d}.jsonl, cron: "* * * * *"}}' for d in DELIVERIES
    ]
    lines += [
        "summarizer: {engine: lead}",
        "run: {tick_every: 5s, heartbeat: 1s, stalled_after: 3s, jitter: 1s, misfire_grace: 10m}",
    ]
    config = root / "briefbot.yaml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def start(args: list[str], config: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "PYTHONUNBUFFERED": "1",
        "BRIEFBOT_TEST_SLOW_TASKS": "compose=2,post=2",
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(BRIEFBOT), "--config", str(config), "-v", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=config.parent,
        )


def wait_for(logs: dict[str, Path], pattern: str, timeout: float) -> str:
    """The name of the first process whose log matches `pattern`."""
    deadline = time.monotonic() + timeout
    found = re.compile(pattern)
    while time.monotonic() < deadline:
        for name, log in logs.items():
            if log.exists() and found.search(log.read_text(errors="replace")):
                return name
        time.sleep(0.1)
    tails = "\n".join(
        f"--- {n}\n{p.read_text(errors='replace')[-1500:]}" for n, p in logs.items() if p.exists()
    )
    raise AssertionError(f"no process logged {pattern!r} within {timeout} s\n{tails}")


def iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_one_run_and_three_workers_post_every_minute_once_through_two_sigkills(
    pg_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    url = fresh_database(pg_url)
    procs: dict[str, subprocess.Popen[bytes]] = {}
    logs = {name: tmp_path / f"{name}.log" for name in ("run", "w1", "w2", "w3")}
    try:
        config = write_config(tmp_path, url)
        procs["run"] = start(["run"], config, logs["run"])
        for w in ("w1", "w2", "w3"):
            procs[w] = start(["worker", "--concurrency", "2"], config, logs[w])
        workers = {w: logs[w] for w in ("w1", "w2", "w3")}
        wait_for(workers, r"briefbot worker ", 60)
        started = datetime.now(UTC)
        # The first minute that starts after every worker is up: kill whoever composes `first` then...
        minute = (started + timedelta(minutes=1)).replace(second=0, microsecond=0)
        key = re.escape(iso(minute))
        victim = wait_for(workers, rf"composing first@{key}", 100)
        procs[victim].send_signal(signal.SIGKILL)
        procs[victim].wait(10)
        alive = {w: p for w, p in workers.items() if w != victim}
        # ...and whoever posts `second` in that minute (it may already be on its way)
        poster = wait_for(alive, rf"posting second@{key}", 60)
        procs[poster].send_signal(signal.SIGKILL)
        procs[poster].wait(10)
        # The last worker runs the stalled jobs and the next minute's runs.
        after = minute + timedelta(minutes=1)
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            with open_store(url) as store:
                done = {
                    (r.delivery, r.scheduled_for)
                    for r in RunRepository(store.engine).runs()
                    if r.status == "posted"
                }
            if all((d, m) in done for d in DELIVERIES for m in (minute, after)):
                break
            time.sleep(1)
        status = subprocess.run(
            [str(BRIEFBOT), "--config", str(config), "status", "--format", "json"],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "HF_HUB_OFFLINE": "1"},
        )
        assert status.returncode == 0, status.stderr
        view = json.loads(status.stdout)["queue"]
        stop_at = datetime.now(UTC)
        for p in procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for name, p in procs.items():
            if name not in (victim, poster):
                assert p.wait(20) == 0, f"{name} did not stop cleanly:\n{logs[name].read_text()[-2000:]}"
        with open_store(url) as store:
            repo = RunRepository(store.engine)
            runs = repo.runs()
            polls = {
                row[0]: row[1]
                for row in store.engine.connect().exec_driver_sql(
                    "SELECT s.name, count(*) FROM fetch_log f JOIN sources s ON s.id = f.source_id GROUP BY s.name"
                )
            }
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
                p.wait(10)
        drop_database(url)

    for d in DELIVERIES:
        lines = [data for _, data in read_lines(tmp_path / "out" / f"{d}.jsonl")]
        counted = Counter(str(line["scheduled_for"]) for line in lines)
        assert set(counted.values()) == {1}, f"{d}: a run was posted twice: {counted}"
        for m in (minute, after):
            assert counted[iso(m)] == 1, f"{d} @ {iso(m)} was not posted: {counted}"
    by_key = {(r.delivery, iso(r.scheduled_for)): r for r in runs}
    assert by_key[("first", iso(minute))].attempts >= 3, "composed twice (the first worker died), then posted"
    assert by_key[("second", iso(minute))].status == "posted"
    assert all(r.status == "posted" for r in runs if r.scheduled_for <= after), [
        (r.delivery, r.status) for r in runs
    ]
    seconds = (stop_at - started).total_seconds()
    for i in range(SOURCES):  # a tick every 5 s finds each source due (5 s interval) and polls it
        assert polls.get(f"s{i}", 0) >= seconds / 5 / 3, (
            f"source s{i} polled {polls.get(f's{i}')} times in {seconds:.0f} s"
        )
    queues = {q["queue"]: q for q in view["queues"]}
    assert view["engine"] == "procrastinate" and set(queues) == {
        "ticks",
        "polls",
        "stories",
        "compose",
        "posts",
    }
    assert queues["compose"]["retried"] >= 1 and queues["posts"]["retried"] >= 1, queues
    print(
        f"runs posted: {len(runs)}; polls per source: {polls}; queues: {queues}; killed {victim} and {poster}"
    )
