"""Real-length articles for the speed benchmark: ecbplus-dev and demo texts recombined into distinct bodies.

Every generated article belongs to one source event (an ecbplus-dev event, or a demo story). Its body is
600-900 words: paragraphs drawn from that event's real reports, in a shuffled order, so no two generated
articles carry the same text, with page chrome (cookie banners, "Read more", newsletter prompts) around
them as real scraped pages have. Titles are the event's real headlines or lead clauses. Outlets, dates
(spread over seven days, an event's reports within two days of each other) and URLs are generated.

The ecbplus-dev texts are read from ../shared at run time, the demo texts from corpus/demo/; nothing of
either is written into the repository (stores live in bench/.cache/, which git ignores).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from common import DEMO_CORPUS, SHARED

ECBPLUS = SHARED / "corpora" / "ecbplus-dev" / "articles.jsonl"
GENERATOR_VERSION = 2
MIN_WORDS, MAX_WORDS = 600, 900

CHROME_HEAD = (
    "Skip to content",
    "We use cookies to improve your experience. By continuing to browse you agree to our use of cookies.",
    "Subscribe to our newsletter for the day's top stories, delivered every morning.",
    "Advertisement",
    "Sign in | Register | My account",
)
CHROME_TAIL = (
    "Read more: the stories our editors are following today.",
    "Share this article on Facebook, X or by email.",
    "Photo: agency handout. All rights reserved.",
    "Copyright 2026. All rights reserved. Terms of use | Privacy policy | Contact us",
    "Sign up for our breaking news alerts.",
)
OUTLET_WORDS = (
    "Herald",
    "Courier",
    "Tribune",
    "Monitor",
    "Observer",
    "Gazette",
    "Ledger",
    "Dispatch",
    "Chronicle",
    "Sentinel",
    "Post",
    "Review",
)
PLACES = (
    "Northfield",
    "Lakeshore",
    "Eastport",
    "Westbrook",
    "Highgate",
    "Rivermouth",
    "Stonebridge",
    "Ashford",
    "Bayview",
    "Kingsmere",
    "Pinecrest",
    "Marlow",
)


# demo files that tell one event (by their file names)
DEMO_EVENTS = (("taiwan", r"taiwan"), ("grain", r"grain|black-sea"), ("red-sea", r"red-sea|suez"))


@dataclass
class Event:
    key: str
    titles: list[str]
    paragraphs: list[str]
    topic: str


@dataclass
class Generated:
    event: str
    topic: str
    title: str
    text: str
    outlet: str
    url: str
    published: datetime
    labels: list[str] = field(default_factory=list)


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n|\n", text) if len(p.split()) >= 8]


def load_events() -> list[Event]:
    """The source events: ecbplus-dev's (needs ../shared) and the demo corpus's stories."""
    events: dict[str, Event] = {}
    if ECBPLUS.exists():
        for line in ECBPLUS.read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            ev = events.setdefault(
                f"ecb-{r['event']}", Event(f"ecb-{r['event']}", [], [], f"ecb-{r['topic']}")
            )
            paras = _paragraphs(r["text"])
            ev.paragraphs.extend(paras)
            if r.get("title"):
                ev.titles.append(r["title"])
            elif paras:
                ev.titles.append(" ".join(paras[0].split()[:12]))
    for path in sorted(DEMO_CORPUS.rglob("*.md")) + sorted(DEMO_CORPUS.rglob("*.txt")):
        if path.name == "README.md":
            continue
        body = path.read_text(encoding="utf-8")
        body = re.sub(r"^---\n.*?\n---\n", "", body, flags=re.S)
        paras = [re.sub(r"^#+\s*", "", p) for p in _paragraphs(body)]
        if not paras:
            continue
        slug = re.sub(r"^\d{4}-\d\d-\d\d-", "", path.stem)
        slug = next(
            (name for name, pat in DEMO_EVENTS if re.search(pat, slug)), slug
        )  # one event, many outlets
        ev = events.setdefault(f"demo-{slug}", Event(f"demo-{slug}", [], [], "demo"))
        ev.titles.append(paras[0][:110])
        ev.paragraphs.extend(paras[1:] or paras)
    return [e for e in events.values() if len(e.paragraphs) >= 3]


def outlets(count: int, rng: random.Random) -> list[str]:
    names = [f"{p} {w}" for p in PLACES for w in OUTLET_WORDS]
    rng.shuffle(names)
    return names[:count]


def generate(size: int, seed: int = 7, anchor: datetime | None = None) -> Iterator[Generated]:
    """`size` articles over the source events (round-robin, so every event gets reports), newest last."""
    rng = random.Random(seed)
    events = load_events()
    if not events:
        raise SystemExit("no source texts: ../shared/corpora/ecbplus-dev and corpus/demo are both missing")
    anchor = anchor or datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    names = outlets(40, rng)
    centre = {e.key: anchor - timedelta(hours=rng.uniform(6, 7 * 24 - 6)) for e in events}
    for n in range(size):
        ev = events[n % len(events)]
        paras = list(ev.paragraphs)
        rng.shuffle(paras)
        body: list[str] = []
        words = 0
        target = rng.randint(MIN_WORDS, MAX_WORDS)
        i = 0
        while words < target:
            p = paras[i % len(paras)]
            if i >= len(paras):  # a second pass over the event's paragraphs: cut them differently
                sentences = re.split(r"(?<=[.!?])\s+", p)
                p = " ".join(sentences[rng.randrange(len(sentences)) :]) or p
            body.append(p)
            words += len(p.split())
            i += 1
        head = rng.sample(CHROME_HEAD, 2)
        tail = rng.sample(CHROME_TAIL, 2)
        outlet = names[rng.randrange(len(names))]
        when = centre[ev.key] + timedelta(hours=rng.uniform(-24, 24))
        slug = re.sub(r"[^a-z0-9]+", "", outlet.lower())
        yield Generated(
            event=ev.key,
            topic=ev.topic,
            title=rng.choice(ev.titles),
            text="\n\n".join([*head, *body, *tail]),
            outlet=outlet,
            url=f"https://{slug}.example/{ev.key}/{n}",
            published=min(when, anchor),
        )


def event_of(url: str) -> str:
    """The source event of a generated article, from its URL."""
    parts = url.rstrip("/").split("/")
    return parts[-2] if len(parts) >= 2 else url
