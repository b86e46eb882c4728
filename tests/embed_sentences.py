"""Varied test sentences for the embedding tests; the seed sentences are read at run time."""

from __future__ import annotations

import re
from pathlib import Path

HANDWRITTEN = [
    "The foreign ministers met in Geneva on Tuesday to discuss a ceasefire.",
    "Talks between the two governments resumed after a six-month pause.",
    "Oil prices rose 3% after the announcement.",
    "Wheat exports through the Black Sea fell sharply in March.",
    "¿Dónde está la embajada más cercana?",
    "Die Regierung kündigte neue Sanktionen gegen Moskau an.",
    "Le président a rencontré son homologue à l'Élysée.",
    "北约秘书长警告说，中国可能推动俄罗斯进攻。",
    "Путин заявил, что переговоры возможны.",
    "Breaking 🚨🔥 markets crash 📉 after the vote 🗳️",
    "OK.",
    "",
    "   ",
    "UN Security Council Resolution 2231 (2015) endorsed the JCPOA.",
    "the cat sat on the mat " * 60 + "and then the story continued far beyond any limit.",
]


def seed_sentences(seeds_dir: Path, count: int) -> list[str]:
    """The first `count` distinct sentences of 40+ characters from the seed articles."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(seeds_dir.glob("*.txt")))
    seen: dict[str, None] = {}
    for part in re.split(r"(?<=[.!?])\s+|\n+", text):
        part = part.strip()
        if len(part) >= 40:
            seen.setdefault(part, None)
    sentences = list(seen)
    if len(sentences) < count:
        raise AssertionError(f"expected {count} seed sentences, found {len(sentences)} in {seeds_dir}")
    return sentences[:count]
