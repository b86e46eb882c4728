"""ROUGE-1/2/L F1 of our extractive summaries against sumy's LexRank and TextRank on the same input.

There are no human summaries of these articles, so two kinds of reference are used (see README.md):
- seeds, leave-one-out: summarise four seeds, score against the lead (first three body sentences) of
  the fifth, an independent journalist's summary of the same story;
- demo, editor: summarise each multi-outlet demo event, score against a short reference written for
  this benchmark (references/<event>.txt, our own text stating the key facts).
Our summary of a case is the bullets of the story citing most of its articles. Every other system
gets the same articles and the same budget: as many sentences as we gave bullets, or as many characters.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from baselines import (
    build,
    cleaned_blocks,
    lead_round_robin,
    ranked,
    raw_blocks,
    sumy_document,
    top_sentences,
    within_chars,
)
from common import split_sentences
from inputs import DEMO_EVENTS, Corpus, event_docs
from labelled import Labelled
from rouge_score import rouge_scorer

from summarizer.engines.base import Summarizer, SummaryOptions
from summarizer.model import Document

REFERENCES = Path(__file__).resolve().parent / "references"
# rougeL scores the summary as one sequence (order matters); rougeLsum is the summary-level LCS over
# newline-separated sentences that multi-sentence summaries are usually scored with.
METRICS = ("rouge1", "rouge2", "rougeL", "rougeLsum")
OURS = "ours (extractive)"
LEXRANK = "LexRank, raw, same #sentences"


@dataclass
class Case:
    group: str
    name: str
    docs: list[Document]
    reference: str
    # more references of the same case (other unseen reports' leads): F1 is the mean over all of them
    more_references: list[str] = field(default_factory=list)


@dataclass
class Row:
    case: Case
    system: str
    sentences: int
    chars: int
    f1: dict[str, float] = field(default_factory=dict)


def lead_reference(doc: Document, sentences: int = 3) -> str:
    body = [s for block in cleaned_blocks(doc) for s in block]
    return " ".join(body[:sentences])


def seed_cases(seeds: Corpus) -> list[Case]:
    cases = []
    for held in seeds.docs:
        rest = [d for d in seeds.docs if d.key != held.key]
        cases.append(Case("seeds leave-one-out", f"held out {held.key[:3]}", rest, lead_reference(held)))
    return cases


def ecbplus_cases(rows: Sequence[Labelled], per_event: int = 8, references: int = 3) -> list[Case]:
    """Real multi-outlet news, held out: for every ecbplus-dev event, summarise up to `per_event` of its
    reports and score against the leads of up to `references` more reports of the event that no system
    sees (the first before the summarised ones, the others from reports left over beyond `per_event`:
    more references make the figure steadier without changing what is summarised)."""
    cases = []
    by_event: dict[str, list[Document]] = {}
    for r in rows:
        by_event.setdefault(r.event, []).append(r.doc)
    for event, docs in sorted(by_event.items()):
        docs = sorted(docs, key=lambda d: d.key)
        held = next((d for d in docs if len(lead_reference(d, 3).split(". ")) >= 2), None)
        others = [d for d in docs if d is not held]
        rest = others[:per_event]
        if held is None or len(rest) < 2:
            continue
        spare = [d for d in others[per_event:] if len(lead_reference(d, 3).split(". ")) >= 2]
        more = [lead_reference(d) for d in spare[: references - 1]]
        cases.append(Case("ecbplus leave-one-out", event, rest, lead_reference(held), more))
    return cases


def demo_cases(demo: Corpus) -> list[Case]:
    cases = []
    for event in DEMO_EVENTS:
        path = REFERENCES / f"{event}.txt"
        if not path.is_file():
            raise SystemExit(f"missing reference summary {path}")
        cases.append(
            Case("demo editor refs", event, event_docs(demo, event), path.read_text(encoding="utf-8").strip())
        )
    return cases


def our_bullets(engine: Summarizer, docs: Sequence[Document], options: SummaryOptions) -> list[str]:
    b = engine.summarize(docs, None, options)
    if not b.stories:
        return []
    story = max(b.stories, key=lambda s: len(s.sources))  # first of the widest stories: the event
    return [bl.text for bl in story.bullets]


def _systems() -> dict[str, Callable[[Sequence[Document], int, int], list[str]]]:
    lexrank, textrank = build("lexrank"), build("textrank")

    def sumy_run(
        summ: object, view: Callable[[Document], list[list[str]]], by_chars: bool
    ) -> Callable[[Sequence[Document], int, int], list[str]]:
        def run(docs: Sequence[Document], n: int, chars: int) -> list[str]:
            ranking = ranked(summ, sumy_document(docs, view))
            return within_chars(ranking, chars) if by_chars else top_sentences(ranking, n)

        return run

    return {
        LEXRANK: sumy_run(lexrank, raw_blocks, False),
        "LexRank, raw, same #chars": sumy_run(lexrank, raw_blocks, True),
        "TextRank, raw, same #sentences": sumy_run(textrank, raw_blocks, False),
        "TextRank, raw, same #chars": sumy_run(textrank, raw_blocks, True),
        "LexRank, cleaned, same #sentences": sumy_run(lexrank, cleaned_blocks, False),
        "TextRank, cleaned, same #sentences": sumy_run(textrank, cleaned_blocks, False),
        "lead round-robin, cleaned, same #sentences": lambda docs, n, _c: lead_round_robin(docs, n),
    }


def evaluate(engine: Summarizer, cases: Sequence[Case], options: SummaryOptions) -> list[Row]:
    scorer = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)
    systems = _systems()
    rows: list[Row] = []
    for case in cases:
        refs = ["\n".join(split_sentences(r)) for r in (case.reference, *case.more_references)]
        ours = our_bullets(engine, case.docs, options)
        n, chars = max(1, len(ours)), max(1, len(" ".join(ours)))
        outputs = {OURS: ours}
        outputs.update({name: fn(case.docs, n, chars) for name, fn in systems.items()})
        for name, sentences in outputs.items():
            summary = "\n".join(sentences)
            scores = [scorer.score(ref, summary) for ref in refs]
            rows.append(
                Row(
                    case,
                    name,
                    len(sentences),
                    len(" ".join(sentences)),
                    {m: statistics.fmean(sc[m].fmeasure for sc in scores) for m in METRICS},
                )
            )
    return rows


def mean_table(rows: Sequence[Row], group: str | None = None) -> list[list[object]]:
    """One line per system: mean F1 per metric, mean length, over the cases of `group` (all if None)."""
    picked = [r for r in rows if group is None or r.case.group == group]
    systems = list(dict.fromkeys(r.system for r in picked))
    out: list[list[object]] = []
    for s in systems:
        mine = [r for r in picked if r.system == s]
        out.append(
            [
                s,
                *(statistics.fmean(r.f1[m] for r in mine) for m in METRICS),
                round(statistics.fmean(r.sentences for r in mine), 1),
                round(statistics.fmean(r.chars for r in mine)),
            ]
        )
    return out


def versus(rows: Sequence[Row], other: str = LEXRANK, group: str | None = None) -> list[list[object]]:
    """Ours against one baseline: mean difference and per-case wins for each metric."""
    picked = [r for r in rows if group is None or r.case.group == group]
    ours = {id(r.case): r for r in picked if r.system == OURS}
    theirs = {id(r.case): r for r in picked if r.system == other}
    out: list[list[object]] = []
    for m in METRICS:
        diffs = [ours[k].f1[m] - theirs[k].f1[m] for k in ours]
        wins = sum(d > 0 for d in diffs)
        mean = statistics.fmean(diffs)
        out.append(
            [
                m,
                statistics.fmean(ours[k].f1[m] for k in ours),
                statistics.fmean(theirs[k].f1[m] for k in ours),
                mean,
                f"{wins}/{len(diffs)}",
                "ours wins" if mean > 0 else "LexRank wins" if mean < 0 else "tie",
            ]
        )
    return out


def ratios(rows: Sequence[Row], group: str | None = None) -> list[list[object]]:
    """Ours over each peer, mean F1 over mean F1, per metric: the issue's target reads R-2 >= 1.10 x LexRank."""
    means = {r[0]: r[1 : 1 + len(METRICS)] for r in mean_table(rows, group)}
    ours = means[OURS]
    out: list[list[object]] = []
    for name, theirs in means.items():
        if name == OURS:
            continue
        out.append(
            [
                name,
                *(
                    f"{float(o) / float(t):.3f}" if float(t) else "-"
                    for o, t in zip(ours, theirs, strict=True)
                ),
            ]
        )
    return out


def ratio_interval(
    rows: Sequence[Row],
    metric: str = "rouge2",
    other: str = LEXRANK,
    group: str | None = None,
    draws: int = 2000,
) -> tuple[float, float, float]:
    """Ours / peer mean-F1 ratio and its 95% bootstrap interval over cases: how far the figure can be trusted."""
    import random

    picked = [r for r in rows if group is None or r.case.group == group]
    ours = {id(r.case): r.f1[metric] for r in picked if r.system == OURS}
    theirs = {id(r.case): r.f1[metric] for r in picked if r.system == other}
    keys = list(ours)
    rng = random.Random(0)
    draws_out = []
    for _ in range(draws):
        sample = [rng.choice(keys) for _ in keys]
        t = sum(theirs[k] for k in sample)
        draws_out.append(sum(ours[k] for k in sample) / t if t else float("nan"))
    draws_out.sort()
    point = sum(ours.values()) / sum(theirs.values())
    return point, draws_out[int(0.025 * draws)], draws_out[int(0.975 * draws) - 1]
