"""Quality benchmark of the extractive summariser: our acceptance checks, then ROUGE against sumy.

Usage: .venv/bin/python bench/quality/run.py [--only checks|rouge] [--per-case] [--strict]

Reads ../shared/seeds and corpus/demo at run time (nothing of the seeds is stored in the repo) and
prints PASS/FAIL lines, then ROUGE-1/2/L F1 tables of our summaries, sumy's LexRank and TextRank and a
lead baseline on the same input with the same length budget, and whether ours beats LexRank.
Methodology: bench/quality/README.md. --strict exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ for common.py

from common import code_state, machine_note, offline_env, peak_rss_mb, require_seeds, table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("checks", "rouge"), help="run one half only")
    parser.add_argument("--per-case", action="store_true", help="also print ROUGE for every case")
    parser.add_argument("--strict", action="store_true", help="exit 1 when an acceptance check fails")
    args = parser.parse_args()
    offline_env()
    require_seeds()

    from inputs import load_demo, load_seeds
    from rouge_eval import LEXRANK, METRICS, demo_cases, evaluate, mean_table, seed_cases, versus
    from scenarios import demo_checks, robustness_checks, seed_checks

    from summarizer.engines import build_engine

    print(f"# summariser quality benchmark — {machine_note()}; {code_state()}")
    t0 = time.perf_counter()
    engine = build_engine("extractive", strict=True)
    seeds, demo = load_seeds(), load_demo()
    failed = 0
    if args.only in (None, "checks"):
        print("\n## acceptance checks (seeds: ../shared/seeds, demo: corpus/demo with config/demo.yaml)\n")
        checks = seed_checks(engine, seeds) + demo_checks(engine, demo) + robustness_checks(engine)
        for c in checks:
            print(c.line())
        failed = sum(not c.ok for c in checks)
        print(f"\n{len(checks) - failed}/{len(checks)} checks pass")

    if args.only in (None, "rouge"):
        rows = evaluate(engine, seed_cases(seeds), seeds.options) + evaluate(
            engine, demo_cases(demo), demo.options
        )
        headers = ["system", *(f"{m} F1" for m in METRICS), "sentences", "chars"]
        for group in dict.fromkeys(r.case.group for r in rows):
            n = len({id(r.case) for r in rows if r.case.group == group})
            print(f"\n## ROUGE F1, {group} ({n} cases, mean)\n")
            print(table(headers, mean_table(rows, group)))
        print(f"\n## ROUGE F1, all {len({id(r.case) for r in rows})} cases (mean)\n")
        print(table(headers, mean_table(rows)))
        print(f"\n## ours vs {LEXRANK} (all cases)\n")
        verdict = versus(rows)
        print(table(["metric", "ours", "LexRank", "mean diff", "cases ours better", "verdict"], verdict))
        won = [str(v[0]) for v in verdict if float(v[3]) > 0]
        lost = [str(v[0]) for v in verdict if float(v[3]) <= 0]
        print(
            f"\nMean F1 over all cases: ours beats LexRank on {', '.join(won) or 'no metric'}"
            + (f"; ours does NOT beat LexRank on {', '.join(lost)}." if lost else " (every metric).")
        )
        if args.per_case:
            print("\n## per case\n")
            print(
                table(
                    ["group", "case", "system", *METRICS, "sentences", "chars"],
                    [
                        [
                            r.case.group,
                            r.case.name,
                            r.system,
                            *(r.f1[m] for m in METRICS),
                            r.sentences,
                            r.chars,
                        ]
                        for r in rows
                    ],
                )
            )
    print(f"\nwall {time.perf_counter() - t0:.1f} s, peak RSS {peak_rss_mb():.0f} MB — {machine_note()}")
    return 1 if args.strict and failed else 0


if __name__ == "__main__":
    sys.exit(main())
