"""Soak test of the real fetch loop against 200 flaky local sources over 3 simulated days (issue #7).

Usage: .venv/bin/python bench/soak/run.py [--sources 200] [--days 3] [--hosts 10] [--seed 7] [--json]

A child process serves the sources from `--hosts` local servers (127.0.0.1 only, tests/hostile_server.py):
steady feeds (RSS, Atom, JSON Feed, with ETags), 5xx/429/reset-prone ones, slow and hanging ones,
feeds that repeat items and vary their URLs, edit items in place, mirror another source's items,
list 300 items, come gzipped or behind a redirect, break now and then, or never parse at all.
Each source publishes one item every 2-32 rounds; what it serves depends only on the round, so runs
are repeatable.

The parent runs the real loop: `bot.core.polling.poll_sources` over `bot.ingest.WebSource`s into a
real SQLite `SqlStore`, polling each source when its `next_poll` (interval, backoff, Retry-After) has
come on a simulated clock that advances 15 minutes per round; rounds run back to back. Sources are
polled every 15 min (half of them), 30 min or 1 h, as `interval:` in a config would say. The HTTP
client is rebuilt each round because its per-host Retry-After holds run on the real clock.

At the end it compares, per source, the stories the server fully delivered in a 200 response with
what the store holds: missing must be 0 for every readable source, and no story may be stored twice.
It reports peak RSS of the fetching process (VmHWM), RSS growth, p50/p95/max fetch time and round times.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import multiprocessing as mp
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "bench"))

from common import vm_hwm_kb  # noqa: E402  (bench/common.py, on the path just above)

START = datetime(2025, 6, 2, 0, 0, tzinfo=UTC)
ROUND = timedelta(minutes=15)
MAX_ITEMS = 200
TIMEOUT_S = 1.5
STORY_RE = re.compile(r"\[story ([sb]\d+-\d+)\]")
INTERVALS = [1, 1, 1, 1, 1, 2, 2, 2, 4, 4]  # poll intervals in rounds (15 min, 30 min, 1 h)
# kind -> share of the sources (the rest are steady)
KINDS = {
    "flaky": 0.15,
    "slow": 0.10,
    "dupes": 0.10,
    "changing": 0.05,
    "intermittent": 0.10,
    "broken": 0.05,
    "big": 0.025,
    "gzip": 0.05,
    "redirect": 0.05,
    "mirror": 0.05,
}
BROKEN = ["html", "entities", "empty", "binary", "json-junk", "truncated"]
FILLER = [
    "Officials met again on the harbour question and promised a decision within the week.",
    "The council said the budget would be debated in two readings before the summer recess.",
    "Residents gathered outside the town hall, where the vote was delayed for a second time.",
    "A spokesperson for the port authority said shipping schedules were back to normal.",
    "Engineers inspected the pier after the storm and found no structural damage.",
    "The ministry published new figures showing freight volumes up four per cent on the year.",
    "Opposition members asked for an independent audit of the contract awards.",
    "Ferry operators warned of delays while the breakwater repairs continue.",
]


@dataclass(frozen=True)
class Spec:
    index: int
    kind: str
    fmt: str  # rss | atom | json
    period: int  # rounds between new items
    window: int  # items listed
    host: int
    interval: int = 1  # rounds between polls
    broken: str | None = None
    mirror: int | None = None

    @property
    def name(self) -> str:
        return f"{self.kind}-{self.index:03d}"

    @property
    def readable(self) -> bool:
        return self.kind != "broken"


def make_specs(n: int, hosts: int, seed: int) -> list[Spec]:
    rng = random.Random(seed)
    kinds: list[str] = []
    for kind, share in KINDS.items():
        kinds += [kind] * max(1, round(n * share))
    kinds = (kinds + ["steady"] * n)[:n]
    rng.shuffle(kinds)
    specs = []
    plain = [i for i, k in enumerate(kinds) if k == "steady"] or [0]
    for i, kind in enumerate(kinds):
        fmt = rng.choice(["rss", "rss", "atom", "json"])
        specs.append(
            Spec(
                index=i,
                kind=kind,
                fmt=fmt,
                period=16 if kind == "big" else rng.choice([2, 4, 8, 16, 32]),
                window=300 if kind == "big" else 15,
                host=i % hosts,
                interval=rng.choice(INTERVALS),
                broken=rng.choice(BROKEN) if kind == "broken" else None,
                mirror=rng.choice(plain) if kind == "mirror" else None,
            )
        )
    return specs


def fate(spec: Spec, rnd: int, seed: int) -> str:
    """What the source does this round; deterministic in (seed, source, round)."""
    r = random.Random(f"{seed}:{spec.index}:{rnd}").random()
    if spec.kind == "flaky":
        return (
            "503"
            if r < 0.2
            else "429-short"
            if r < 0.24
            else "429-long"
            if r < 0.25
            else "reset"
            if r < 0.28
            else "ok"
        )
    if spec.kind == "slow":
        return "hang" if r < 0.03 else "slow" if r < 0.8 else "ok"
    if spec.kind == "intermittent":
        return "truncated" if r < 0.15 else "garbage" if r < 0.2 else "ok"
    return "ok"


# -- what a source lists at a round ----------------------------------------------------------------


def published(spec: Spec, rnd: int) -> int:
    """Items published so far (the feed starts full)."""
    return spec.window + rnd // spec.period


def story(spec: Spec, n: int) -> tuple[str, str]:
    """(story id, text) of item n; a mirror carries its original's stories word for word."""
    owner = spec.mirror if spec.mirror is not None else spec.index
    sid = f"s{owner}-{n}"
    r = random.Random(sid)
    return sid, f"[story {sid}] Desk {owner} reports item {n}. " + " ".join(r.sample(FILLER, 3))


def items_at(spec: Spec, rnd: int) -> list[dict[str, Any]]:
    total = published(spec, rnd)
    out = []
    for n in range(total - 1, max(-1, total - 1 - spec.window), -1):
        sid, text = story(spec, n)
        when = START + (n - spec.window) * spec.period * ROUND
        link = f"http://desk{spec.index}.soak.test/news/{n}"
        title = f"Desk {spec.index} item {n}"
        if spec.kind == "dupes":
            link = [
                link,
                link + "?utm_source=rss&utm_medium=feed",
                link.replace("http://", "https://www.") + "/",
                link + "#comments",
            ][(rnd + n) % 4]
        if spec.kind == "changing" and total - n <= 3:
            title += f" (updated {rnd})"
            text += f" Updated in round {rnd}."
        item = {
            "title": title,
            "link": link,
            "guid": link if spec.kind != "dupes" else f"urn:soak:{sid}",
            "published": when,
            "summary": f"<p>{text}</p>",
            "sid": sid,
        }
        out.append(item)
        if spec.kind == "dupes" and n % 3 == 0:
            out.append(dict(item))  # the same item twice in one document
    return out


def delivered_sids(spec: Spec, items: list[dict[str, Any]]) -> set[str]:
    """The stories a reader keeps from this document: the newest `MAX_ITEMS` distinct items."""
    seen: dict[str, None] = {}
    for it in sorted(items, key=lambda it: it["published"], reverse=True):
        seen.setdefault(it["sid"], None)
    return set(list(seen)[:MAX_ITEMS])


# -- server process ----------------------------------------------------------------------------------


def render(spec: Spec, items: list[dict[str, Any]]) -> tuple[bytes, str]:
    from hostile_server import atom_feed, json_feed, rss_feed

    if spec.fmt == "atom":
        return atom_feed(items, title=spec.name), "application/atom+xml"
    if spec.fmt == "json":
        return json_feed(items, title=spec.name), "application/feed+json"
    return rss_feed(items, title=spec.name), "application/rss+xml; charset=utf-8"


def broken_body(spec: Spec) -> tuple[bytes, str]:
    from hostile_server import entity_bomb_feed, rss_feed

    kind = spec.broken
    if kind == "html":
        return b"<!DOCTYPE html><html><body><p>Welcome</p></body></html>", "text/html"
    if kind == "entities":
        return entity_bomb_feed(), "application/rss+xml"
    if kind == "empty":
        return b"", "application/rss+xml"
    if kind == "binary":
        return random.Random(kind).randbytes(3000), "application/octet-stream"
    if kind == "json-junk":
        return b'{"items": "none", "version": 3}', "application/json"
    items = [
        {
            "title": f"Broken {spec.index} item {n}",
            "link": f"http://broken{spec.index}.soak.test/{n}",
            "published": START - n * ROUND,
            "summary": f"<p>[story b{spec.index}-{n}] {FILLER[n % 8]}</p>",
        }
        for n in range(6)
    ]
    body = rss_feed(items)
    return body[: len(body) // 2], "application/rss+xml"  # always cut: only some items readable


def serve(specs: list[Spec], hosts: int, seed: int, rnd: Any, conn: Any) -> None:
    """Child process: run the servers until told to stop, then send what was delivered."""
    import threading

    from hostile_server import HostileServer

    servers = [HostileServer().start() for _ in range(hosts)]
    lock = threading.Lock()
    delivered: dict[int, set[str]] = defaultdict(set)
    counts: Counter[str] = Counter()
    cache: dict[tuple[int, int], tuple[bytes, str, str]] = {}

    def send(req: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str]) -> bool:
        try:
            req.send_response(status)
            for k, v in headers.items():
                req.send_header(k, v)
            req.send_header("Content-Length", str(len(body)))
            req.end_headers()
            if body and req.command != "HEAD":
                req.wfile.write(body)
            req.wfile.flush()
            return True
        except OSError:
            req.close_connection = True
            return False

    def handler(spec: Spec) -> Any:
        def handle(req: BaseHTTPRequestHandler) -> None:
            r = rnd.value
            what = fate(spec, r, seed)
            with lock:
                counts[what] += 1
            if spec.broken:
                body, ctype = broken_body(spec)
                send(req, 200, body, {"Content-Type": ctype})
                return
            if what == "503":
                send(req, 503, b"busy", {"Content-Type": "text/plain"})
                return
            if what.startswith("429"):
                send(req, 429, b"slow down", {"Retry-After": "1" if what == "429-short" else "3600"})
                return
            if what == "reset":
                req.close_connection = True
                return
            if what == "hang":
                servers[0].stopping.wait(TIMEOUT_S + 2)
                req.close_connection = True
                return
            if what == "slow":
                time.sleep(random.Random(f"{spec.index}:{r}").uniform(0.05, 0.4))
            version = published(spec, r)
            key = (spec.index, version if spec.kind != "changing" else r)
            with lock:
                cached = cache.get(key)
            if cached is None:
                items = items_at(spec, r)
                body, ctype = render(spec, items)
                cached = (body, ctype, ",".join(sorted(delivered_sids(spec, items))))
                with lock:
                    cache[key] = cached
                    if len(cache) > 4 * len(specs):
                        cache.pop(next(iter(cache)))
            body, ctype, sids = cached
            headers = {"Content-Type": ctype}
            etag = f'"v{version}"'
            if spec.kind != "changing":
                headers["ETag"] = etag
                if req.headers.get("If-None-Match") == etag:
                    send(req, 304, b"", {"ETag": etag})
                    return
            if what == "truncated":
                send(req, 200, body[: len(body) // 2], headers)
                return
            if what == "garbage":
                send(req, 200, random.Random(r).randbytes(2000), headers)
                return
            if spec.kind == "gzip":
                body = gzip.compress(body, 5)
                headers["Content-Encoding"] = "gzip"
            if send(req, 200, body, headers):
                with lock:
                    delivered[spec.index].update(sids.split(","))

        return handle

    paths: dict[int, str] = {}
    for spec in specs:
        srv = servers[spec.host]
        srv.route(f"/feed/{spec.index}", handler(spec))
        if spec.kind == "redirect":
            srv.redirect(f"/go/{spec.index}", f"/feed/{spec.index}", 301)
            paths[spec.index] = srv.url(f"/go/{spec.index}")
        else:
            paths[spec.index] = srv.url(f"/feed/{spec.index}")
    conn.send(paths)
    conn.recv()  # "stop"
    for srv in servers:
        srv.stop()
    conn.send(
        {
            "delivered": {i: sorted(s) for i, s in delivered.items()},
            "fates": dict(counts),
            "requests": sum(len(s.requests()) for s in servers),
        }
    )


# -- the fetching side --------------------------------------------------------------------------------


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024**2


def peak_rss_mb() -> float:
    kb = vm_hwm_kb()
    return kb / 1024 if kb is not None else float("nan")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(args: argparse.Namespace) -> dict[str, Any]:
    specs = make_specs(args.sources, args.hosts, args.seed)
    ctx = mp.get_context("fork")  # before this process starts any thread
    rnd = ctx.Value("i", 0, lock=False)
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=serve, args=(specs, args.hosts, args.seed, rnd, child), daemon=True)
    proc.start()
    paths: dict[int, str] = parent.recv()

    from bot.config.schema import HttpConfig, SourceConfig
    from bot.core.polling import poll_sources
    from bot.ingest.http import HttpClient
    from bot.ingest.web import WebSource
    from bot.store import open_store

    http = HttpConfig(
        timeout=TIMEOUT_S,
        per_host_delay=0,
        per_host_concurrency=8,
        retries=1,
        max_items=MAX_ITEMS,
        max_retry_after="5s",
    )
    configs = [SourceConfig(name=s.name, url=paths[s.index], interval=ROUND * s.interval) for s in specs]
    tmp = tempfile.TemporaryDirectory()
    db = Path(args.db) if args.db else Path(tmp.name) / "soak.db"
    store = open_store(f"sqlite:///{db}")
    store.sync_sources(configs)

    rounds = int(args.days * 24 * 60 / 15)
    next_poll: dict[str, datetime] = {}
    durations: list[float] = []
    round_times: list[float] = []
    statuses: Counter[str] = Counter()
    unexpected: list[str] = []
    rss_samples: list[float] = []
    started = time.perf_counter()
    for r in range(rounds):
        now = START + r * ROUND
        rnd.value = r
        client = HttpClient(http, backoff_base=0.05)
        due = [WebSource(c, client, http) for c in configs if next_poll.get(c.name, now) <= now]
        t0 = time.perf_counter()
        results = asyncio.run(
            poll_sources(due, store, clock=lambda now=now: now, concurrency=args.concurrency)
        )
        round_times.append(time.perf_counter() - t0)
        for res in results:
            o = res.outcome
            next_poll[o.source_name] = res.next_poll
            durations.append(o.duration_s)
            statuses[o.status] += 1
            if res.store_error or (o.error and o.error.startswith("unexpected error")):
                unexpected.append(f"round {r} {o.source_name}: {res.store_error or o.error}")
        rss_samples.append(rss_mb())
        if args.progress and (r % 24 == 0 or r == rounds - 1):
            print(
                f"round {r + 1}/{rounds}: {len(due)} polled in {round_times[-1]:.2f} s, "
                f"{store.article_count()} articles, RSS {rss_samples[-1]:.0f} MB",
                file=sys.stderr,
            )
    elapsed = time.perf_counter() - started
    parent.send("stop")
    server = parent.recv()
    proc.join(10)

    stored: dict[str, list[str]] = defaultdict(list)  # story id -> source names that stored it
    by_source: dict[str, set[str]] = defaultdict(set)
    for a in store.articles():
        m = STORY_RE.search(a.text)
        if m is None:
            unexpected.append(f"stored article without a story id from {a.source_name}: {a.title[:60]}")
            continue
        stored[m.group(1)].append(a.source_name)
        by_source[a.source_name].add(m.group(1))
    total_rows = store.article_count()
    store.close()
    tmp.cleanup()

    delivered = {int(i): set(v) for i, v in server["delivered"].items()}
    expected_all: set[str] = set().union(*delivered.values()) if delivered else set()
    stored_all = set(stored)
    per_kind: dict[str, dict[str, int]] = defaultdict(lambda: Counter())
    missing_examples: list[str] = []
    for s in specs:
        want = delivered.get(s.index, set())
        have = by_source.get(s.name, set()) | (
            stored_all & want
        )  # a mirror's copies are stored once, anywhere
        missing = want - have
        k = per_kind[s.kind]
        k["sources"] += 1
        k["expected"] += len(want)
        k["stored"] += len(want & have)
        k["missing"] += len(missing)
        missing_examples += [f"{s.name}: {sid}" for sid in sorted(missing)[:3]]
    duplicates = sum(len(v) - 1 for v in stored.values())
    readable = [s for s in specs if s.readable]
    return {
        "sources": len(specs),
        "hosts": args.hosts,
        "rounds": rounds,
        "simulated_days": args.days,
        "seconds": round(elapsed, 1),
        "round_seconds_p50": round(statistics.median(round_times), 2),
        "round_seconds_max": round(max(round_times), 2),
        "polls": sum(statuses.values()),
        "poll_status": dict(statuses),
        "server_requests": server["requests"],
        "server_fates": server["fates"],
        "readable_sources": len(readable),
        "stories_expected": len(expected_all),
        "stories_stored": len(stored_all & expected_all),
        "stories_missing": len(expected_all - stored_all),
        "stored_not_fully_delivered": len({x for x in stored_all - expected_all if x.startswith("s")}),
        "stored_from_broken": len({x for x in stored_all if x.startswith("b")}),
        "article_rows": total_rows,
        "duplicates": duplicates,
        "fetch_seconds_p50": round(percentile(durations, 0.5), 3),
        "fetch_seconds_p95": round(percentile(durations, 0.95), 3),
        "fetch_seconds_max": round(max(durations), 3),
        "peak_rss_mb": round(peak_rss_mb()),
        "rss_after_first_day_mb": round(rss_samples[min(95, len(rss_samples) - 1)]),
        "rss_end_mb": round(rss_samples[-1]),
        "per_kind": {k: dict(v) for k, v in sorted(per_kind.items())},
        "missing_examples": missing_examples[:10],
        "unexpected": unexpected[:10],
        "load_average": round(os.getloadavg()[0], 1),
    }


def markdown(res: dict[str, Any]) -> str:
    lines = [
        f"Soak: {res['sources']} sources on {res['hosts']} local hosts, {res['rounds']} rounds "
        f"({res['simulated_days']:g} simulated days at 15 min; sources polled every 15 min, 30 min or 1 h), "
        f"{res['seconds']} s wall "
        f"(round p50 {res['round_seconds_p50']} s, max {res['round_seconds_max']} s), load average "
        f"{res['load_average']}.",
        "",
        "| figure | value |",
        "|---|---:|",
        f"| polls (ok / not modified / failed) | {res['polls']} ({res['poll_status'].get('ok', 0)} / "
        f"{res['poll_status'].get('not_modified', 0)} / {res['poll_status'].get('failed', 0)}) |",
        f"| stories fully delivered by readable sources (expected) | {res['stories_expected']} |",
        f"| of those stored | {res['stories_stored']} |",
        f"| missing | {res['stories_missing']} |",
        f"| stored from damaged bodies only (not in a full delivery) | {res['stored_not_fully_delivered']} |",
        f"| whole items read from always-truncated (broken) feeds | {res['stored_from_broken']} |",
        f"| article rows / duplicates | {res['article_rows']} / {res['duplicates']} |",
        f"| fetch time p50 / p95 / max | {res['fetch_seconds_p50']} / {res['fetch_seconds_p95']} / "
        f"{res['fetch_seconds_max']} s |",
        f"| peak RSS of the fetching process (VmHWM) | {res['peak_rss_mb']} MB |",
        f"| RSS after day 1 / at the end | {res['rss_after_first_day_mb']} / {res['rss_end_mb']} MB |",
        "",
        "| kind | sources | expected | stored | missing |",
        "|---|---:|---:|---:|---:|",
    ]
    for kind, k in res["per_kind"].items():
        lines.append(f"| {kind} | {k['sources']} | {k['expected']} | {k['stored']} | {k['missing']} |")
    if res["missing_examples"] or res["unexpected"]:
        lines += [
            "",
            "Missing: " + ", ".join(res["missing_examples"]),
            "Unexpected: " + "; ".join(res["unexpected"]),
        ]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--sources", type=int, default=200)
    ap.add_argument("--days", type=float, default=3)
    ap.add_argument("--hosts", type=int, default=10)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--db", help="keep the SQLite store here (default: a temporary file)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON instead of markdown")
    ap.add_argument("--quiet", dest="progress", action="store_false")
    args = ap.parse_args()
    import logging

    from bot.logs import setup_logging

    setup_logging(logging.ERROR)  # per-source failures are the point; they are counted, not printed
    res = run(args)
    print(json.dumps(res, indent=2) if args.json else markdown(res))
    ok = res["stories_missing"] == 0 and res["duplicates"] == 0 and not res["unexpected"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
