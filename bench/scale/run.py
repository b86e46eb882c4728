"""Scheduling at scale on one machine: replicas x sources x deliveries, on SQLite or PostgreSQL.

    .venv/bin/python bench/scale/run.py --db sqlite --replicas 3 --sources 200 --deliveries 50 --minutes 3
    .venv/bin/python bench/scale/run.py --db postgresql ...   (a throwaway server from tests/pgserver.py)

Starts N real `briefbot run` processes on one database, lets them run, stops them with SIGTERM, and
prints: posts, duplicate and missing (delivery, minute) runs, claim latency (time in the claim call,
from /metrics) and lateness (fire time -> claimed / posted, from the claims table), polls per source
and the shortest gap between two polls of one source (a duplicate poll would show as ~0 s).
Benchmarks print figures; they are not tests.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
BRIEFBOT = Path(sys.executable).with_name("briefbot")

BODY = (
    "Port officials said the northern terminal reopened on Friday after repairs to the crane rails, "
    "and shipping companies expect delays to ease over the weekend as vessels are cleared."
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_setup(root: Path, url: str, sources: int, deliveries: int, interval: str) -> Path:
    lines = ["storage:", f'  url: "{url}"', "sources:"]
    for i in range(sources):
        folder = root / "feeds" / f"s{i:03d}"
        folder.mkdir(parents=True)
        for j in range(2):
            (folder / f"a{j}.txt").write_text(f"Terminal {i}-{j} reopens\n\n{BODY} Terminal {i}-{j}.\n")
        lines.append(f"  - {{name: s{i:03d}, path: feeds/s{i:03d}, interval: {interval}}}")
    lines.append("deliveries:")
    for d in range(deliveries):
        lines.append(f'  - {{name: d{d:02d}, platform: file, path: out/f{d % 5}.jsonl, cron: "* * * * *"}}')
    lines += ["summarizer: {engine: lead, max_stories: 3}", "run: {claim_lease: 30s, jitter: 10s}"]
    config = root / "briefbot.yaml"
    config.write_text("\n".join(lines) + "\n")
    return config


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        return r.read().decode()


def histogram(texts: list[str], name: str) -> dict[float, float]:
    from prometheus_client.parser import text_string_to_metric_families

    buckets: dict[float, float] = defaultdict(float)
    for text in texts:
        for fam in text_string_to_metric_families(text):
            if fam.name == name:
                for s in fam.samples:
                    if s.name.endswith("_bucket"):
                        buckets[float(s.labels["le"])] += s.value
    return dict(sorted(buckets.items()))


def quantile(buckets: dict[float, float], q: float) -> float:
    total = max(buckets.values()) if buckets else 0
    for le, count in buckets.items():
        if total and count >= q * total:
            return le
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--replicas", type=int, default=3)
    ap.add_argument("--sources", type=int, default=200)
    ap.add_argument("--deliveries", type=int, default=50)
    ap.add_argument("--minutes", type=float, default=3)
    ap.add_argument("--interval", default="60s")
    args = ap.parse_args()

    root = Path(tempfile.mkdtemp(prefix="briefbot-scale-"))
    server = None
    if args.db == "postgresql":
        from pgserver import start_server

        server = start_server()
        url = server.url()
    else:
        url = f"sqlite:///{root / 'bot.db'}"
    config = write_setup(root, url, args.sources, args.deliveries, args.interval)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    procs = []
    try:
        for r in range(args.replicas):
            port = free_port()
            log = (root / f"r{r}.log").open("wb")
            p = subprocess.Popen(
                [str(BRIEFBOT), "--config", str(config), "run", "--health-port", str(port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=root,
            )
            procs.append((p, port))
        for p, port in procs:
            for _ in range(300):
                if p.poll() is not None:
                    print(
                        f"replica on port {port} exited with {p.returncode}; see {root}/r*.log",
                        file=sys.stderr,
                    )
                    break
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                    break
                except OSError:
                    time.sleep(0.2)
        started = time.time()
        time.sleep(args.minutes * 60)
        texts = [scrape(port) for p, port in procs if p.poll() is None]
        stop_at = time.time()
        stops = []
        for p, _ in procs:
            if p.poll() is not None:
                continue
            t0 = time.monotonic()
            p.send_signal(signal.SIGTERM)
            p.wait(30)
            stops.append(time.monotonic() - t0)
        report(args, root, url, texts, started, stop_at, stops, [p.returncode for p, _ in procs])
    finally:
        for p, _ in procs:
            if p.poll() is None:
                p.kill()
        if server is not None:
            server.stop()


def report(
    args: argparse.Namespace,
    root: Path,
    url: str,
    texts: list[str],
    started: float,
    stop_at: float,
    stops: list[float],
    codes: list[int | None],
) -> None:
    from sqlalchemy import select

    from bot.adapters.file import read_lines
    from bot.store import open_store
    from bot.store.claims import DeliveryClaimRow
    from bot.store.models import FetchLog, SourceRow

    runs: Counter[tuple[str, str]] = Counter()
    for f in sorted((root / "out").glob("*.jsonl")):
        for _, line in read_lines(f):
            runs[(str(line["delivery"]), str(line["scheduled_for"]))] += 1
    minutes = {when for _, when in runs}
    first = datetime.fromtimestamp(started, UTC).replace(second=0, microsecond=0)
    last = datetime.fromtimestamp(stop_at - 10, UTC).replace(second=0, microsecond=0)
    count = int((last - first).total_seconds() // 60) + 1
    expected = {
        (f"d{d:02d}", (first + timedelta(minutes=m)).isoformat().replace("+00:00", "Z"))
        for d in range(args.deliveries)
        for m in range(count)
    }
    missing = expected - set(runs)
    doubled = {k: v for k, v in runs.items() if v > 1}
    with open_store(url) as store, store.engine.connect() as conn:
        rows = conn.execute(
            select(
                DeliveryClaimRow.scheduled_for,
                DeliveryClaimRow.claimed_at,
                DeliveryClaimRow.posted_at,
                DeliveryClaimRow.attempts,
                DeliveryClaimRow.owner,
                DeliveryClaimRow.status,
            )
        ).all()
        polls = conn.execute(
            select(SourceRow.name, FetchLog.started_at).join(SourceRow, FetchLog.source_id == SourceRow.id)
        ).all()
    claim_late = [(r.claimed_at - r.scheduled_for).total_seconds() for r in rows]
    post_late = [(r.posted_at - r.scheduled_for).total_seconds() for r in rows if r.posted_at]
    by_owner = Counter(r.owner.split(":")[1] for r in rows if r.status == "posted")
    by_source: dict[str, list[datetime]] = defaultdict(list)
    for name, when in polls:
        by_source[name].append(when)
    gaps = [
        (b - a).total_seconds()
        for ts in by_source.values()
        for a, b in zip(sorted(ts), sorted(ts)[1:], strict=False)
    ]
    claim_hist = histogram(texts, "briefbot_claim_duration_seconds")
    worst: dict[str, float] = defaultdict(float)
    for r in rows:
        key = r.scheduled_for.strftime("%H:%M")
        worst[key] = max(worst[key], round((r.claimed_at - r.scheduled_for).total_seconds(), 2))
    out = {
        "db": args.db,
        "replicas": args.replicas,
        "sources": args.sources,
        "deliveries": args.deliveries,
        "minutes": args.minutes,
        "posts": sum(runs.values()),
        "distinct_runs": len(runs),
        "minutes_seen": len(minutes),
        "expected_runs": len(expected),
        "missing": len(missing),
        "duplicates": len(doubled),
        "takeovers": sum(1 for r in rows if r.attempts > 1),
        "posts_per_replica": dict(by_owner),
        "claim_call_p50_s<=": quantile(claim_hist, 0.5),
        "claim_call_p95_s<=": quantile(claim_hist, 0.95),
        "claimed_after_fire_p50_s": round(statistics.median(claim_late), 3) if claim_late else None,
        "claimed_after_fire_p95_s": round(statistics.quantiles(claim_late, n=20)[18], 3)
        if len(claim_late) > 20
        else None,
        "posted_after_fire_p50_s": round(statistics.median(post_late), 3) if post_late else None,
        "posted_after_fire_p95_s": round(statistics.quantiles(post_late, n=20)[18], 3)
        if len(post_late) > 20
        else None,
        "claimed_after_fire_max_by_minute_s": dict(sorted(worst.items())),
        "polls": len(polls),
        "polls_per_source_mean": round(len(polls) / max(1, len(by_source)), 2),
        "min_gap_between_polls_of_a_source_s": round(min(gaps), 1) if gaps else None,
        "stop_seconds_max": round(max(stops), 2),
        "exit_codes": codes,
    }
    out["folder"] = str(root)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
