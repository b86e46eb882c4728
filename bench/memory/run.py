"""Peak memory of the real fetch path on hostile bodies (issue #7): each case in a fresh process.

Usage: .venv/bin/python bench/memory/run.py [--limit-mb 1500] [--cases a,b,...]

A local server (tests/hostile_server.py, 127.0.0.1 only) serves a 60 MB and a 9.9 MB article page,
compression bombs that inflate to 1 GB, a 40 MB feed without Content-Length and a 20,000-item
feed. Each case runs in a child process that imports the whole ingest stack, notes its resident
size, then fetches through the real `HttpClient` / `WebSource` (and, for `all-at-once`, polls the
source cases together into a real SQLite store). The child reports VmHWM, the kernel's peak
resident set size of its own address space (`ru_maxrss` would include the parent's size at fork).
Exit status 1 if any case peaks over the limit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))  # hostile_server lives with the tests

# case -> (server path, http config overrides, how it is fetched)
CASES: dict[str, tuple[str, dict[str, Any], str]] = {
    "page-60mb": ("/page", {}, "source"),  # refused at the default 10 MB cap
    "page-60mb-raised-cap": ("/page", {"max_bytes": "100MB"}, "client"),  # read in full
    "page-60mb-extracted": ("/page", {"max_bytes": "100MB"}, "source"),  # read, slimmed, trafilatura
    "page-9mb-extracted": ("/page9", {}, "source"),  # just under the default cap
    "gzip-bomb-1gb": ("/bomb/gzip", {}, "source"),
    "brotli-bomb-1gb": ("/bomb/br", {}, "source"),
    "feed-40mb-unannounced": ("/huge", {"max_bytes": "100MB"}, "client"),
    "feed-20000-items": ("/feed20k", {}, "source"),
    "all-at-once": ("", {}, "poll"),
}


def peak_rss_mb() -> float:
    """VmHWM: the peak resident set of this process's own address space, in MiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


def page_html(size: int) -> bytes:
    """An article page of `size` bytes: distinct paragraphs (so none is dropped as a repeat)."""
    head = b"<!DOCTYPE html><html><head><title>Long page</title></head><body><article><h1>Long page</h1>\n"
    parts, total, i = [head], len(head), 0
    while total < size - 40:
        para = (
            f"<p>Paragraph {i}: the harbour council met again to debate item {i * 7 % 1000} of the pier "
            f"budget, and the mayor said vote {i} would be held before the summer recess.</p>\n"
        ).encode()
        parts.append(para)
        total += len(para)
        i += 1
    return b"".join(parts)[: size - 30] + b"</article></body></html>"


def brotli_bomb(decoded: int) -> bytes:
    """Zeros through a streaming brotli compressor, so building the bomb needs no gigabyte itself."""
    import brotli

    comp = brotli.Compressor(quality=5)
    block = b"\0" * (1 << 20)
    out = [comp.process(block) for _ in range(decoded // len(block))]
    out.append(comp.finish())
    return b"".join(out)


def serve() -> Any:
    from hostile_server import HostileServer, Response, make_items, rss_feed

    srv = HostileServer().start()
    srv.static("/page", page_html(60_000_000), "text/html; charset=utf-8")
    srv.static("/page9", page_html(9_900_000), "text/html; charset=utf-8")
    srv.gzip_bomb("/bomb/gzip", 1_000_000_000, "gzip")
    srv.route("/bomb/br", Response(200, brotli_bomb(1_000_000_000), {"Content-Encoding": "br"}))
    srv.huge("/huge", 40_000_000, announce=False)
    srv.static("/feed20k", rss_feed(make_items(20_000, srv.url("/i"), words=12)))
    return srv


# -- child --------------------------------------------------------------------------------------------


async def _run_case(case: str, base: str, db: str) -> str:
    from bot.config.schema import HttpConfig, SourceConfig
    from bot.core.protocols import SourceState
    from bot.ingest.errors import IngestError
    from bot.ingest.http import HttpClient
    from bot.ingest.safety import LinkPolicy
    from bot.ingest.web import WebSource

    path, overrides, how = CASES[case]
    http = HttpConfig(
        **{"per_host_delay": 0, "retries": 0, "timeout": "60s", "per_host_concurrency": 8, **overrides}
    )
    client = HttpClient(http)
    if how == "client":
        try:
            res = await client.get(base + path, policy=LinkPolicy.for_source(base))
        except IngestError as exc:
            return f"refused: {exc}"
        return f"read {len(res.body) / 1e6:.0f} MB"
    if how == "source":
        src = WebSource(SourceConfig(name=case, url=base + path), client, http)
        o = await src.fetch(SourceState(name=case))
        if o.error:
            return f"{o.status}: {o.error}"
        chars = sum(len(a.text) for a in o.articles)
        return f"{o.status}: {len(o.articles)} articles of {o.items_seen}, {chars / 1e6:.1f} M characters of text"
    from bot.core.polling import poll_sources
    from bot.store import open_store

    store = open_store(f"sqlite:///{db}")
    sources = [
        WebSource(SourceConfig(name=name, url=base + p), client, http)
        for name, (p, _, h) in CASES.items()
        if h == "source" and p
    ]
    results = await poll_sources(sources, store, concurrency=8)
    stored = sum(r.stored.new for r in results if r.stored)
    store.close()
    return f"{len(sources)} sources polled together, {stored} articles stored"


def child(case: str, base: str) -> None:
    import bot.core.polling
    import bot.ingest.web
    import bot.store  # noqa: F401  (everything a fetch imports, before the baseline)

    baseline = peak_rss_mb()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(_run_case(case, base, str(Path(tmp) / "memory.db")))
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "case": case,
                "baseline_mb": round(baseline),
                "peak_mb": round(peak_rss_mb()),
                "seconds": round(seconds, 1),
                "result": result[:140],
            }
        )
    )


# -- parent -------------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--limit-mb", type=float, default=1500)
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--child", nargs=2, metavar=("CASE", "BASE_URL"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return 0
    wanted = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = [c for c in wanted if c not in CASES]
    if unknown:
        ap.error(f"unknown case(s) {', '.join(unknown)}; choose from {', '.join(CASES)}")
    t0 = time.perf_counter()
    srv = serve()
    print(
        f"server ready in {time.perf_counter() - t0:.1f} s (its memory is not counted); "
        f"load average {os.getloadavg()[0]:.1f}",
        file=sys.stderr,
    )
    rows = []
    try:
        for case in wanted:
            proc = subprocess.run(
                [sys.executable, __file__, "--child", case, srv.base_url],
                capture_output=True,
                text=True,
                timeout=900,
                env={**os.environ, "HF_HUB_OFFLINE": "1"},
            )
            if proc.returncode != 0:
                print(f"{case}: child failed\n{proc.stderr[-2000:]}", file=sys.stderr)
                rows.append(
                    {
                        "case": case,
                        "baseline_mb": 0,
                        "peak_mb": float("inf"),
                        "seconds": 0,
                        "result": "child process failed",
                    }
                )
                continue
            row = json.loads(proc.stdout.strip().splitlines()[-1])
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)
    finally:
        srv.stop()
    print("\n| case | baseline RSS | peak RSS | time | result |\n|---|---:|---:|---:|---|")
    for r in rows:
        print(
            f"| {r['case']} | {r['baseline_mb']} MB | {r['peak_mb']} MB | {r['seconds']} s | {r['result']} |"
        )
    over = [r["case"] for r in rows if r["peak_mb"] > args.limit_mb]
    print(
        f"\nlimit {args.limit_mb:.0f} MB: "
        + (f"OVER in {', '.join(over)}" if over else "every case under it")
    )
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
