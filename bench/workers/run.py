"""Throughput of one `briefbot worker` (procrastinate on PostgreSQL): polls per second, compositions per minute.

    .venv/bin/python bench/workers/run.py [--sources 300] [--deliveries 24] [--concurrency 4] [--engine extractive]

Starts a throwaway PostgreSQL (tests/pgserver.py), writes a config with `--sources` local-folder
sources (each a copy of the demo corpus: 18 articles, so a first poll stores them) and
`--deliveries` file deliveries due every minute over every story, each with its own look-back
(so no two share a composition), then starts ONE worker and measures from the database:

- polls/s: the first tick finds every source due; the time from the first to the last poll of
  that round (fetch_log), over the sources polled;
- compositions/min: at the next minute the tick defers every delivery; the time from that minute
  to the last composed run, over the deliveries composed.

Benchmarks print figures; they are not tests. The load average is printed with them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
BRIEFBOT = Path(sys.executable).with_name("briefbot")


def write_setup(root: Path, url: str, sources: int, deliveries: int, engine: str) -> Path:
    demo = REPO / "corpus" / "demo"
    lines = ["storage:", f'  url: "{url}"', "sources:"]
    for i in range(sources):
        folder = root / "feeds" / f"s{i:04d}"
        shutil.copytree(demo, folder, ignore=shutil.ignore_patterns("README.md"))
        lines.append(f"  - {{name: s{i:04d}, path: feeds/s{i:04d}, interval: 1h}}")
    lines.append("deliveries:")
    for d in range(deliveries):  # each its own look-back, so no two share a composition
        lines.append(
            f'  - {{name: d{d:02d}, platform: file, path: out/d{d:02d}.jsonl, since: {24 + d}h, cron: "* * * * *"}}'
        )
    lines += [f"summarizer: {{engine: {engine}}}", "run: {tick_every: 5s, jitter: 0s, misfire_grace: 30m}"]
    config = root / "briefbot.yaml"
    config.write_text("\n".join(lines) + "\n")
    return config


def query(url: str, sql: str) -> list[tuple]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sources", type=int, default=300)
    ap.add_argument("--deliveries", type=int, default=24)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--engine", default="extractive", choices=["extractive", "lead"])
    args = ap.parse_args()

    from pgserver import start_server

    root = Path(tempfile.mkdtemp(prefix="briefbot-workers-"))
    server = start_server()
    url = server.url()
    config = write_setup(root, url, args.sources, args.deliveries, args.engine)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    log = (root / "worker.log").open("wb")
    worker = subprocess.Popen(
        [str(BRIEFBOT), "--config", str(config), "worker", "--concurrency", str(args.concurrency)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=root,
    )
    try:
        deadline = time.monotonic() + 600
        polls: list[tuple] = []
        while time.monotonic() < deadline:  # the first round of polls
            time.sleep(2)
            polls = query(url, "SELECT min(started_at), max(started_at), count(*) FROM fetch_log")
            if polls and polls[0][2] >= args.sources:
                break
            if worker.poll() is not None:
                sys.exit(f"the worker exited with {worker.returncode}; see {root}/worker.log")
        first, last, count = polls[0]
        span = (last - first).total_seconds() if first and last else float("nan")
        articles = query(url, "SELECT count(*) FROM articles")[0][0]
        # The next minute after the polls: every delivery is deferred at once.
        minute = (datetime.now(UTC) + timedelta(minutes=1)).replace(second=0, microsecond=0)
        while time.monotonic() < deadline:
            time.sleep(2)
            done = query(
                url,
                "SELECT count(*), max(updated_at) FROM delivery_runs WHERE status IN ('composed','posting','posted',"
                f"'skipped') AND scheduled_for = '{minute.isoformat()}'",
            )[0]
            if done[0] >= args.deliveries:
                break
        composed, finished = done
        spent = (finished.replace(tzinfo=UTC) - minute).total_seconds() if finished else float("nan")
        load = os.getloadavg()
        print(f"one worker, concurrency {args.concurrency}, engine {args.engine}, load average {load[0]:.1f}")
        print(
            f"polls: {count} sources ({articles} articles stored) in {span:.1f} s = {count / span:.1f} polls/s"
        )
        print(
            f"compositions: {composed} deliveries ({articles} articles each, no shared compositions) in "
            f"{spent:.1f} s after the minute = {composed / spent * 60:.1f} compositions/min"
        )
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
