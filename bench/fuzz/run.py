"""A longer fuzz run of the feed → briefing pipeline and the config loader (issue #7).

Usage: .venv/bin/python bench/fuzz/run.py [--minutes 10] [--targets feeds,bytes,json,config-...] [--seed N]

Runs the strategies and property checks of tests/test_fuzz_pipeline.py and tests/test_config_fuzz.py
(the CI runs a few hundred examples of each) in batches, round-robin, until the time is up.
A failing property is shrunk by hypothesis, recorded with its falsifying example, and the run goes
on. Prints a markdown summary for bench/README.md; exit status 1 if anything was found.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from hypothesis import HealthCheck, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@dataclass
class Target:
    name: str
    strategy: Any
    check: Callable[..., Any]
    batch: int  # examples per batch (slow targets run small batches)
    examples: int = 0
    seconds: float = 0.0
    findings: dict[str, str] = field(default_factory=dict)


def targets() -> dict[str, Target]:
    import test_config_fuzz as cf
    import test_fuzz_pipeline as fp

    from bot.config import BriefbotConfig

    topics = st.one_of(st.none(), st.sampled_from(["NATO", "Taiwan", "ceasefire talks", "x"]))
    json_shapes = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | fp.text,
        lambda c: (
            st.lists(c, max_size=4)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "version",
                        "items",
                        "title",
                        "id",
                        "url",
                        "content_html",
                        "content_text",
                        "summary",
                        "date_published",
                        "external_url",
                    ]
                ),
                c,
                max_size=6,
            )
        ),
        max_leaves=30,
    )

    def json_check(data: Any) -> None:
        if isinstance(data, dict):
            data.setdefault("version", "https://jsonfeed.org/version/1")
        fp.check_pipeline(json.dumps(data).encode("utf-8", errors="surrogatepass"), "application/feed+json")

    real_keys = st.dictionaries(st.sampled_from(list(BriefbotConfig.model_fields)), cf.structure, max_size=6)
    found = [
        Target(
            "feeds",
            st.tuples(fp.feed_documents(), topics),
            lambda a: fp.check_pipeline(*a[0], topic=a[1]),
            15,
        ),
        Target(
            "bytes",
            st.tuples(
                st.binary(max_size=4000),
                st.sampled_from([None, "application/rss+xml", "application/json", "text/html"]),
            ),
            lambda a: fp.check_pipeline(*a),
            200,
        ),
        Target("json", json_shapes, json_check, 60),
        Target("config-bytes", st.binary(max_size=1500), cf._load, 200),
        Target("config-yaml", cf.yaml_tokens, cf._load, 200),
        Target("config-structures", real_keys, lambda d: cf._load(cf._dump(d)), 200),
    ]
    return {t.name: t for t in found}


def run_batch(t: Target, rng: random.Random) -> None:
    count = 0

    @seed(rng.getrandbits(64))
    @settings(
        max_examples=t.batch,
        deadline=None,
        database=None,
        print_blob=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(t.strategy)
    def batch(value: Any) -> None:
        nonlocal count
        count += 1
        t.check(value)

    started = time.perf_counter()
    try:
        batch()
    except Exception as exc:  # a property failed: hypothesis has shrunk it; keep it and go on
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        key = f"{type(exc).__name__} at {Path(frame.filename).name}:{frame.lineno}"
        if key not in t.findings:
            notes = "\n".join(getattr(exc, "__notes__", []))
            t.findings[key] = f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}\n{notes[:1500]}"
            print(f"[{t.name}] found {key}", file=sys.stderr)
    finally:
        t.examples += count
        t.seconds += time.perf_counter() - started


def report(found: dict[str, Target], minutes: float, seed_value: int, stats: Any) -> str:
    lines = [
        f"Fuzz run: {minutes:g} min, seed {seed_value}, load average {os.getloadavg()[0]:.1f}.",
        "",
        "| target | examples | seconds | examples/s | findings |",
        "|---|---:|---:|---:|---:|",
    ]
    for t in found.values():
        rate = t.examples / t.seconds if t.seconds else 0
        lines.append(f"| {t.name} | {t.examples} | {t.seconds:.0f} | {rate:.1f} | {len(t.findings)} |")
    lines += [
        "",
        f"Feed documents parsed: {stats.documents}, refused with a one-line IngestError: "
        f"{stats.refused} ({', '.join(f'{k} {v}' for k, v in sorted(stats.errors.items()))}); "
        f"articles {stats.articles}, stories {stats.stories}, quotes checked {stats.quotes}.",
    ]
    for t in found.values():
        for key, detail in t.findings.items():
            lines += ["", f"**{t.name}: {key}**", "", "```", detail.strip(), "```"]
    if not any(t.findings for t in found.values()):
        lines += ["", "No property failed."]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--targets", default="feeds,bytes,json,config-bytes,config-yaml,config-structures")
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args()
    everything = targets()
    unknown = [n for n in args.targets.split(",") if n not in everything]
    if unknown:
        ap.error(f"unknown target(s) {', '.join(unknown)}; choose from {', '.join(everything)}")
    chosen = {n: everything[n] for n in args.targets.split(",")}
    seed_value = args.seed if args.seed is not None else random.randrange(2**32)
    rng = random.Random(seed_value)

    import test_fuzz_pipeline as fp

    fp.engine()  # load the models before the clock starts
    deadline = time.monotonic() + args.minutes * 60
    batches = 0
    while time.monotonic() < deadline:
        run_batch(min(chosen.values(), key=lambda t: t.seconds), rng)  # equal time for every target
        batches += 1
        if batches % len(chosen) == 0:
            print(" ".join(f"{t.name}={t.examples}" for t in chosen.values()), file=sys.stderr)
    print(report(chosen, args.minutes, seed_value, fp.STATS))
    return 1 if any(t.findings for t in chosen.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
