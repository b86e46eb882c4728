"""Our own acceptance checks of briefings: citations, quotes, chrome, off-story items, duplicates, lengths.

Each check returns a `Check` with a one-line detail, so the report says what failed and where. Nothing
here knows the seed text: off-story paragraphs are found at run time by a rule (no story term in them).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from summarizer.model import Briefing, Bullet, Story

# Page chrome and promotional lines that must never reach a briefing (generic web phrases).
BOILERPLATE = re.compile(
    r"skip to (main )?content|cookie|newsletter|sign up|share this|read (more|also)\b|\bmin read\b|"
    r"table of contents|subscribe|all rights reserved|\bphoto:|©|welcome to your|thank you for visiting|"
    r"bookmark our website|legal disclaimer|loading…|accept all|privacy (policy|settings)|click here|"
    r"follow us|our team works|trusted source|don't miss|article with toc",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"[{'PASS' if self.ok else 'FAIL'}] {self.name}: {self.detail}"


def norm(text: str) -> str:
    """Whitespace folded, for verbatim comparisons that ignore line wrapping."""
    return " ".join(text.split())


def tokens(text: str) -> frozenset[str]:
    return frozenset(t for t in _TOKEN.findall(text.casefold()) if len(t) > 2)


def all_bullets(b: Briefing) -> list[tuple[int, Bullet]]:
    return [(i, bl) for i, s in enumerate(b.stories) for bl in s.bullets]


def story_keys(b: Briefing, story: Story) -> set[str]:
    return {b.source(i).key for i in story.sources}


def story_outlets(b: Briefing, story: Story) -> set[str]:
    return {b.source(i).outlet for i in story.sources}


# --- generic checks --------------------------------------------------------------------------------


def no_boilerplate(label: str, b: Briefing) -> Check:
    texts = [s.title for s in b.stories]
    texts += [bl.text for _, bl in all_bullets(b)]
    texts += [q.text for s in b.stories for q in s.quotes]
    bad = [t for t in texts if BOILERPLATE.search(t)]
    return Check(
        f"{label}: no boilerplate",
        not bad,
        f"{len(texts)} titles/bullets/quotes scanned" + (f"; chrome in {_short(bad)}" if bad else ""),
    )


def no_duplicate_bullets(label: str, b: Briefing, containment: float = 0.8) -> Check:
    """Two bullets whose content words overlap by `containment` of the smaller one say the same thing."""
    bullets = all_bullets(b)
    dupes = []
    for x in range(len(bullets)):
        for y in range(x + 1, len(bullets)):
            ta, tb = tokens(bullets[x][1].text), tokens(bullets[y][1].text)
            if ta and tb and len(ta & tb) / min(len(ta), len(tb)) >= containment:
                dupes.append((bullets[x][1].text, bullets[y][1].text))
    return Check(
        f"{label}: no duplicate bullets",
        not dupes,
        f"{len(bullets)} bullets" + (f"; near-duplicates {_short([a for a, _ in dupes])}" if dupes else ""),
    )


def bullet_lengths(label: str, b: Briefing, limit: int, floor: int = 40) -> Check:
    lengths = [len(bl.text) for _, bl in all_bullets(b)]
    if not lengths:
        return Check(f"{label}: bullet lengths", False, "no bullets at all")
    ok = all(floor <= n <= limit for n in lengths)
    return Check(
        f"{label}: bullet lengths within {floor}..{limit} chars",
        ok,
        f"min {min(lengths)}, median {statistics.median(lengths):.0f}, max {max(lengths)} "
        f"over {len(lengths)} bullets",
    )


def quotes_verbatim(label: str, b: Briefing, raw: dict[str, str]) -> Check:
    """Every quote is a span of every source it cites (whitespace folded)."""
    bad = []
    count = 0
    for s in b.stories:
        for q in s.quotes:
            count += 1
            for i in q.sources:
                if norm(q.text) not in norm(raw[b.source(i).key]):
                    bad.append(f"{q.text[:50]!r} not in {b.source(i).key}")
    return Check(
        f"{label}: quotes verbatim in every cited source",
        not bad,
        f"{count} quotes" + (f"; {bad[:3]}" if bad else ""),
    )


# --- off-story items ---------------------------------------------------------------------------------


def off_story_paragraphs(raw: dict[str, str], story_terms: Sequence[str], min_chars: int = 80) -> list[str]:
    """Paragraphs of the inputs that mention none of the story's terms: live-blog items, promos."""
    terms = [t.casefold() for t in story_terms]
    found = []
    for text in raw.values():
        for para in re.split(r"\n\s*\n", text):
            p = norm(para)
            if len(p) >= min_chars and not any(t in p.casefold() for t in terms):
                found.append(p)
    return found


def from_paragraphs(text: str, paras: Iterable[str]) -> bool:
    """Whether a bullet (possibly shortened with an ellipsis) was taken from one of these paragraphs."""
    probe = norm(text).rstrip("…. ")[:60]
    return bool(probe) and any(probe in p for p in paras)


def no_off_story_bullets(label: str, stories: Sequence[Story], paras: Sequence[str]) -> Check:
    bad = [bl.text for s in stories for bl in s.bullets if from_paragraphs(bl.text, paras)]
    n = sum(len(s.bullets) for s in stories)
    return Check(
        f"{label}: no off-story items",
        not bad,
        f"{n} bullets vs {len(paras)} off-story paragraphs" + (f"; from them: {_short(bad)}" if bad else ""),
    )


def _short(texts: Sequence[str], n: int = 2, width: int = 70) -> str:
    return "; ".join(repr(t[:width]) for t in texts[:n]) + (
        f" (+{len(texts) - n} more)" if len(texts) > n else ""
    )


# --- per-story figures (issue 14): citations, repetition, standalone wording ---------------------------

# Openers that lean on the sentence before: pronouns and connectives (the bench's own list, not the engine's).
DEPENDENT_OPENER = re.compile(
    r"^[“\"‘']?(?:it|its|this|that|these|those|they|them|their|he|she|his|her|such|but|and|so|yet|also|"
    r"however|meanwhile|elsewhere|separately|additionally|moreover|furthermore|still|then|instead|"
    r"there|here|both|the two|the latter|the former)\b",
    re.IGNORECASE,
)
_CAPITAL_WORD = re.compile(r"(?<=[\s(“\"‘'])[A-Z][\w’'.-]*")
_FIGURE = re.compile(r"\d+(?:[.,:]\d+)*")


def standalone(text: str) -> bool:
    """A bullet a reader can take alone: no dependent opener, and it names someone, something or a figure."""
    if DEPENDENT_OPENER.match(text.strip()):
        return False
    return bool(_CAPITAL_WORD.search(text) or _FIGURE.search(text))


def repeat_figures(text: str) -> set[str]:
    """Figures that pin a fact (120 metres, 9:40): two digits or more, not a year."""
    out = set()
    for f in _FIGURE.findall(text):
        n = f.replace(",", "")
        if len(n.replace(".", "").replace(":", "")) < 2 or (len(n) == 4 and n[:2] in ("19", "20")):
            continue
        out.add(n)
    return out


def repeating(a: str, b: str) -> bool:
    """Two bullets tell the same fact: half the smaller one's content words, or two pinning figures, shared."""
    ta, tb = tokens(a), tokens(b)
    if ta and tb and len(ta & tb) / min(len(ta), len(tb)) >= 0.5:
        return True
    return len(repeat_figures(a) & repeat_figures(b)) >= 2


@dataclass(frozen=True)
class StoryFigures:
    briefing: str
    rank: int
    title: str
    outlets: int
    bullets: int
    cited_two: float  # share of shown bullets citing two or more outlets
    first_outlets: int  # outlets the first bullet cites
    repeat_pairs: int  # pairs of /more bullets (shown + extra) that repeat each other
    more_pairs: int
    repeated_figures: int  # pinning figures given by more than one /more bullet
    standalone: float  # share of /more bullets that stand alone


def story_figures(label: str, b: Briefing) -> list[StoryFigures]:
    out = []
    for n, s in enumerate(b.stories, 1):

        def outlets_of(bl: Bullet) -> set[str]:
            return {b.source(i).outlet or b.source(i).key for i in bl.sources}

        more = [*s.bullets, *s.extra_bullets]
        pairs = [(x, y) for i, x in enumerate(more) for y in more[i + 1 :]]
        seen: dict[str, int] = {}
        for bl in more:
            for f in repeat_figures(bl.text):
                seen[f] = seen.get(f, 0) + 1
        out.append(
            StoryFigures(
                label,
                n,
                s.title,
                len(story_outlets(b, s)),
                len(s.bullets),
                sum(len(outlets_of(bl)) >= 2 for bl in s.bullets) / max(1, len(s.bullets)),
                len(outlets_of(s.bullets[0])) if s.bullets else 0,
                sum(repeating(x.text, y.text) for x, y in pairs),
                len(pairs),
                sum(c > 1 for c in seen.values()),
                sum(standalone(bl.text) for bl in more) / max(1, len(more)),
            )
        )
    return out
