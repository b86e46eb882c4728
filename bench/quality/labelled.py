"""Real news labelled by event: loading, pools of topics, clustering scores, and the tf-idf peer.

A labelled corpus is JSON lines with at least `id`, `event` and `text`; `topic`, `title`, `outlet`,
`url` and `published` (ISO 8601) are used when present. `../shared/corpora/ecbplus-dev/` is one;
any other corpus in this form can be scored with `stories.py --corpus FILE`.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ for common.py

from common import SHARED

from summarizer.dates import date_in_text
from summarizer.model import Document

ECBPLUS = SHARED / "corpora" / "ecbplus-dev" / "articles.jsonl"


@dataclass(frozen=True)
class Labelled:
    doc: Document
    event: str
    topic: str


def load(path: Path) -> list[Labelled]:
    """Rows as Documents; a row without `published` gets the date its text prints, as ingest does."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if not line.strip():
            continue
        r = json.loads(line)
        text = r["text"]
        published = (
            datetime.fromisoformat(r["published"].replace("Z", "+00:00")) if r.get("published") else None
        )
        doc = Document(
            key=str(r.get("id", n)),
            title=r.get("title") or "",
            text=text,
            url=r.get("url") or "",
            outlet=r.get("outlet") or "",
            published=published or date_in_text(text),
        )
        out.append(Labelled(doc, str(r["event"]), str(r.get("topic", r["event"]))))
    return out


def topic_folds(rows: Sequence[Labelled], folds: int, seed: int) -> list[list[str]]:
    """Topics dealt into `folds` groups at random: each group is one pool of mixed topics."""
    topics = sorted({r.topic for r in rows})
    order = np.random.default_rng(seed).permutation(len(topics)).tolist()
    return [sorted(topics[i] for i in order[f::folds]) for f in range(folds)]


# --- scores ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scores:
    pairwise: tuple[float, float, float]  # precision, recall, F1 over pairs of reports
    bcubed: tuple[float, float, float]  # B-cubed precision, recall, F1
    clusters: int
    events: int

    @staticmethod
    def mean(items: Sequence[Scores]) -> Scores:
        def avg(parts: list[tuple[float, float, float]]) -> tuple[float, float, float]:
            a = np.mean(np.array(parts), axis=0).tolist()
            return (a[0], a[1], a[2])

        return Scores(
            avg([s.pairwise for s in items]),
            avg([s.bcubed for s in items]),
            sum(s.clusters for s in items),
            sum(s.events for s in items),
        )


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


def score(predicted: Sequence[Any], gold: Sequence[Any]) -> Scores:
    """Pairwise and B-cubed precision, recall and F1 of a clustering (one label per report)."""
    pred = np.array([str(x) for x in predicted])
    gold_arr = np.array([str(x) for x in gold])
    same_p = pred[:, None] == pred[None, :]
    same_g = gold_arr[:, None] == gold_arr[None, :]
    iu = np.triu_indices(len(pred), 1)
    tp = float((same_p & same_g)[iu].sum())
    pp, pg = float(same_p[iu].sum()), float(same_g[iu].sum())
    pw_p = tp / pp if pp else 1.0
    pw_r = tp / pg if pg else 1.0
    inter = (same_p & same_g).sum(axis=1)
    b_p = float(np.mean(inter / same_p.sum(axis=1)))
    b_r = float(np.mean(inter / same_g.sum(axis=1)))
    return Scores(
        (pw_p, pw_r, _f1(pw_p, pw_r)),
        (b_p, b_r, _f1(b_p, b_r)),
        len(set(pred.tolist())),
        len(set(gold_arr.tolist())),
    )


def label_by_story(keys: Sequence[str], stories: Sequence[Sequence[str]]) -> list[str]:
    """A story label per report key; keys of live-blog items (`key#n`) count for their document."""
    label: dict[str, str] = {}
    for n, members in enumerate(stories):
        for m in members:
            label.setdefault(m.split("#", 1)[0], f"story{n}")
    return [label.get(k, f"alone:{k}") for k in keys]


# --- the tf-idf peer ------------------------------------------------------------------------------


def tfidf_similarity(docs: Sequence[Document]) -> np.ndarray:
    """Cosine of tf-idf vectors (sublinear tf, English stop words) fitted on the pool itself."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [f"{d.title}\n{d.text}" for d in docs]
    m = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(texts)
    return (m @ m.T).toarray()


def average_linkage(similarity: np.ndarray, threshold: float) -> list[int]:
    """Average-linkage clusters: groups whose mean similarity stays at or above `threshold`."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    n = len(similarity)
    if n < 2:
        return list(range(n))
    dist = np.clip(1.0 - similarity, 0.0, None)
    np.fill_diagonal(dist, 0.0)
    tree = linkage(squareform(dist, checks=False), method="average")
    return fcluster(tree, t=1.0 - threshold, criterion="distance").tolist()


PEER_GRID = [round(x, 2) for x in np.arange(0.05, 0.6, 0.01)]


def peer_threshold(pools: Sequence[Sequence[Labelled]]) -> float:
    """The tf-idf threshold with the best mean B-cubed F1 over these pools (the other folds)."""
    sims = [(tfidf_similarity([r.doc for r in p]), [r.event for r in p]) for p in pools]
    best = max(
        PEER_GRID, key=lambda t: (np.mean([score(average_linkage(s, t), g).bcubed[2] for s, g in sims]), -t)
    )
    return float(best)


def describe(rows: Sequence[Labelled]) -> str:
    events = Counter(r.event for r in rows)
    topics = {r.topic for r in rows}
    dated = sum(r.doc.published is not None for r in rows)
    return f"{len(rows)} articles, {len(events)} events, {len(topics)} topics, {dated} dated"
