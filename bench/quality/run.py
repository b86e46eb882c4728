"""Quality benchmark of the extractive summariser: our acceptance checks, then ROUGE against sumy.

Usage: .venv/bin/python bench/quality/run.py [--only checks|stories|rouge] [--per-case] [--strict]
                                            [--save FILE] [--before FILE]

Reads ../shared/seeds and corpus/demo at run time (nothing of the seeds is stored in the repo) and
prints PASS/FAIL lines, then ROUGE-1/2/L F1 tables of our summaries, sumy's LexRank and TextRank and a
lead baseline on the same input with the same length budget, and whether ours beats LexRank; per
story of the seeds' and the demo's briefings: the share of bullets citing two or more outlets, how
many /more bullets repeat each other, and the share that stand alone. --save writes these figures as
JSON; --before FILE prints a saved run's figures beside this run's (before/after a change).
Methodology: bench/quality/README.md. --strict exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ for common.py

from common import code_state, machine_note, offline_env, peak_rss_mb, require_seeds, table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("checks", "stories", "rouge"), help="run one part only")
    parser.add_argument("--save", type=Path, help="write this run's story and ROUGE figures as JSON")
    parser.add_argument("--before", type=Path, help="a JSON file from --save to print beside this run")
    parser.add_argument("--no-ecbplus", action="store_true", help="skip the ecbplus-dev ROUGE cases")
    parser.add_argument("--per-case", action="store_true", help="also print ROUGE for every case")
    parser.add_argument("--strict", action="store_true", help="exit 1 when an acceptance check fails")
    args = parser.parse_args()
    offline_env()
    require_seeds()

    from inputs import load_demo, load_seeds
    from rouge_eval import (
        LEXRANK,
        METRICS,
        demo_cases,
        ecbplus_cases,
        evaluate,
        mean_table,
        ratio_interval,
        ratios,
        seed_cases,
        versus,
    )
    from scenarios import demo_checks, robustness_checks, seed_checks, story_briefings

    from summarizer.engines import build_engine

    print(f"# summariser quality benchmark — {machine_note()}; {code_state()}")
    t0 = time.perf_counter()
    engine = build_engine("extractive", strict=True)
    seeds, demo = load_seeds(), load_demo()
    failed = 0
    saved: dict[str, object] = {"code": code_state()}
    before = json.loads(args.before.read_text(encoding="utf-8")) if args.before else None
    if args.only in (None, "checks"):
        print("\n## acceptance checks (seeds: ../shared/seeds, demo: corpus/demo with config/demo.yaml)\n")
        checks = seed_checks(engine, seeds) + demo_checks(engine, demo) + robustness_checks(engine)
        for c in checks:
            print(c.line())
        failed = sum(not c.ok for c in checks)
        print(f"\n{len(checks) - failed}/{len(checks)} checks pass")

    if args.only in (None, "stories"):
        saved["stories"] = _story_section(engine, seeds, demo, story_briefings, before)

    if args.only in (None, "rouge"):
        rows = evaluate(engine, seed_cases(seeds), seeds.options) + evaluate(
            engine, demo_cases(demo), demo.options
        )
        if not args.no_ecbplus:
            from labelled import ECBPLUS, load

            if ECBPLUS.is_file():
                rows += evaluate(engine, ecbplus_cases(load(ECBPLUS)), seeds.options)
        headers = ["system", *(f"{m} F1" for m in METRICS), "sentences", "chars"]
        for group in dict.fromkeys(r.case.group for r in rows):
            n = len({id(r.case) for r in rows if r.case.group == group})
            print(f"\n## ROUGE F1, {group} ({n} cases, mean)\n")
            print(table(headers, mean_table(rows, group)))
        print(f"\n## ROUGE F1, all {len({id(r.case) for r in rows})} cases (mean)\n")
        print(table(headers, mean_table(rows)))
        groups = list(dict.fromkeys(r.case.group for r in rows))
        saved["rouge"] = {
            g: {str(r[0]): r[1 : 1 + len(METRICS)] for r in mean_table(rows, g)} for g in groups
        }
        for group in groups:
            print(f"\n## ours / peer, mean F1 ratio, {group}\n")
            print(table(["peer", *METRICS], ratios(rows, group)))
            point, low, high = ratio_interval(rows, "rouge2", group=group)
            print(f"\nR-2 ours / LexRank {point:.3f}, 95% bootstrap interval over cases {low:.3f}-{high:.3f}")
            if before and group in before.get("rouge", {}):
                old = before["rouge"][group]
                print(f"\nbefore ({before.get('code', '?')}):")
                print(
                    table(
                        ["system", *METRICS],
                        [[k, *v] for k, v in old.items() if k.startswith(("ours", "LexRank"))],
                    )
                )
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
    if args.save:
        args.save.write_text(json.dumps(saved, indent=1) + "\n", encoding="utf-8")
    print(f"\nwall {time.perf_counter() - t0:.1f} s, peak RSS {peak_rss_mb():.0f} MB — {machine_note()}")
    return 1 if args.strict and failed else 0


def _story_section(
    engine: object, seeds: object, demo: object, story_briefings: object, before: dict | None
) -> list:
    """Per story: citations, repetition across /more, standalone bullets; with the saved run beside it."""
    from checks import story_figures

    figures = [f for label, b in story_briefings(engine, seeds, demo) for f in story_figures(label, b)]  # type: ignore[operator]
    print(
        "\n## per story (every story of the seeds' and the demo's briefings; /more = shown + extra bullets)\n"
    )
    headers = [
        "briefing",
        "#",
        "title",
        "outlets",
        "bullets",
        ">=2 outlets",
        "1st cites",
        "repeat pairs /more",
        "repeated figures",
        "standalone /more",
    ]
    print(
        table(
            headers,
            [
                [
                    f.briefing,
                    f.rank,
                    f.title[:48],
                    f.outlets,
                    f.bullets,
                    f"{f.cited_two:.2f}",
                    f.first_outlets,
                    f"{f.repeat_pairs}/{f.more_pairs}",
                    f.repeated_figures,
                    f"{f.standalone:.2f}",
                ]
                for f in figures
            ],
        )
    )
    summary = _story_summary([vars(f) for f in figures])
    rows = [["this run", *summary.values()]]
    if before and before.get("stories"):
        rows.append([f"before ({before.get('code', '?')})", *_story_summary(before["stories"]).values()])
    print()
    print(table(["run", *summary.keys()], rows))
    return [vars(f) for f in figures]


def _story_summary(figs: list[dict]) -> dict[str, object]:
    multi = [f for f in figs if f["outlets"] >= 2]
    return {
        "stories": len(figs),
        "multi-outlet": len(multi),
        "bullets >=2 outlets (multi-outlet stories)": f"{statistics.fmean(f['cited_two'] for f in multi):.2f}"
        if multi
        else "-",
        "1st bullet outlets (mean)": f"{statistics.fmean(f['first_outlets'] for f in multi):.2f}"
        if multi
        else "-",
        "repeat pairs /more": f"{sum(f['repeat_pairs'] for f in figs)}/{sum(f['more_pairs'] for f in figs)}",
        "repeated figures": sum(f["repeated_figures"] for f in figs),
        "standalone /more": f"{statistics.fmean(f['standalone'] for f in figs):.2f}" if figs else "-",
    }


if __name__ == "__main__":
    sys.exit(main())
