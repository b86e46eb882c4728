"""Live blogs and round-ups are cut into items, so one paragraph about an event can join its story."""

from __future__ import annotations

import re

import numpy as np

from summarizer.segment import Segmented

MERGE_PARAGRAPHS = 0.5  # live-blog paragraphs this similar (and not "Meanwhile, …") are one item

_TRANSITION = re.compile(
    r"^(meanwhile|elsewhere|separately|in other news|in other developments|in positive news|"
    r"in brief|on another front|in a separate development|also on|additionally)\b",
    re.I,
)


def is_roundup(seg: Segmented, title: str = "") -> bool:
    """A live blog or news round-up: marked as such, or several paragraphs open with "Meanwhile"."""
    return seg.live or seg.transitions >= 2 or bool(re.search(r"\blive\b", title, re.I) and seg.transitions)


def split_items(seg: Segmented, paragraph_vectors: np.ndarray | None, roundup: bool) -> list[list[int]]:
    """Sentence indices (into `seg.sentences`) of each item of one document.

    An ordinary article is one item. A round-up is cut into paragraph runs: a paragraph joins
    the previous one only if it is similar to it and does not open with a transition
    ("Meanwhile, …", "Elsewhere, …"). A transition inside a paragraph starts a new item too:
    terse live blogs pack two items into one paragraph ("… two new cranes this year. Additionally,
    a court in Paris fined a bank …").
    """
    paragraphs = seg.paragraphs
    if not paragraphs:
        return []
    if not roundup or len(paragraphs) == 1:
        return [[s.index for s in seg.sentences]]
    items: list[list[int]] = []
    prev_vec: np.ndarray | None = None
    for n, para in enumerate(paragraphs):
        vec = paragraph_vectors[n] if paragraph_vectors is not None else None
        joins = (
            items
            and not _TRANSITION.match(para[0].text)
            and vec is not None
            and prev_vec is not None
            and float(vec @ prev_vec) >= MERGE_PARAGRAPHS
        )
        if joins:
            items[-1].append(para[0].index)
        else:
            items.append([para[0].index])
        for sentence in para[1:]:
            if _TRANSITION.match(sentence.text):
                items.append([sentence.index])
            else:
                items[-1].append(sentence.index)
        prev_vec = vec
    return items
