"""Article text → blocks → sentences, with page chrome and headline lines set aside.

Sentence splitting uses pysbd (abbreviations, decimals, quotes), which is slow (~0.3 MB/s),
so it runs only on paragraphs that can hold more than one sentence, and a caller that
already knows a document's sentences (the embedding cache keys, see
`summarizer.pipeline.sentences_for_cache`) can pass them as `known` to skip it entirely.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from summarizer.clean import (
    Block,
    chrome_key,
    is_chrome,
    is_fragment,
    is_live_heading,
    is_tail_heading,
    normalize_text,
    split_blocks,
)

# A possible sentence boundary inside a paragraph; paragraphs without one skip pysbd.
_BOUNDARY = re.compile(r"[.!?…]['\"”’)\]]*\s+\S")
_QUOTE_COMMA_END = re.compile(r",\s*['\"”’]+$")
_STARTS_LOWER = re.compile(r"^['\"”’)\]]*[a-z]")
_PYSBD_MAX = 4000  # longer paragraphs are pre-cut at ". " so pysbd's regexes stay fast
_TRANSITION = re.compile(
    r"^(meanwhile|elsewhere|separately|in other news|in other developments|also|in positive news|"
    r"in brief|on another front|in a separate development|at the same time|in addition)\b",
    re.I,
)


@dataclass(frozen=True)
class Sentence:
    """A candidate bullet: an exact substring of the document's normalised text."""

    text: str
    start: int
    block: int
    index: int


@dataclass
class Segmented:
    """One document after cleaning: its sentences, headline candidates and shape hints."""

    text: str
    blocks: list[Block]
    sentences: list[Sentence]
    headings: list[str]
    heading_at: list[int] = field(default_factory=list)  # block index of each heading
    live: bool = False
    transitions: int = 0
    dropped: list[str] = field(default_factory=list)

    @property
    def paragraphs(self) -> list[list[Sentence]]:
        """Sentences grouped by the block they came from, in order."""
        groups: dict[int, list[Sentence]] = {}
        for s in self.sentences:
            groups.setdefault(s.block, []).append(s)
        return list(groups.values())


@lru_cache(maxsize=1)
def _segmenter() -> Any:
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) within one paragraph; quotes ending in a comma keep their attribution."""
    if not text.strip():
        return []
    if not _BOUNDARY.search(text):
        return [(0, len(text))]
    pieces: list[str] = []
    for chunk in _chunks(text):
        if _BOUNDARY.search(chunk):
            try:
                pieces.extend(_segmenter().segment(chunk))
            except Exception:  # pysbd can choke on pathological input; fall back to the chunk
                pieces.append(chunk)
        else:
            pieces.append(chunk)
    spans: list[tuple[int, int]] = []
    cursor = 0
    for piece in pieces:
        piece = piece.strip()
        if not piece:
            continue
        at = text.find(piece, cursor)
        if at < 0:  # pysbd changed the text; keep what we can locate
            continue
        end = at + len(piece)
        cursor = end
        if spans and _continues(text[spans[-1][0] : spans[-1][1]], piece):
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((at, end))
    return spans or [(0, len(text))]


def _chunks(text: str) -> list[str]:
    if len(text) <= _PYSBD_MAX:
        return [text]
    out: list[str] = []
    start = 0
    while start < len(text):
        end = min(len(text), start + _PYSBD_MAX)
        if end < len(text):
            cut = text.rfind(". ", start, end)
            end = cut + 1 if cut > start else end
        out.append(text[start:end])
        start = end
    return out


def _continues(previous: str, piece: str) -> bool:
    """pysbd splits `“…,” he said.` and `“…?” asked Rutte.`; those are one sentence."""
    return bool(_STARTS_LOWER.match(piece) or _QUOTE_COMMA_END.search(previous))


def line_key(text: str) -> str:
    """Cheap comparable form of a line (case and final punctuation ignored; spaces are normalised)."""
    return text.casefold().rstrip(" .!?…:")


def segment_document(title: str, text: str, known: Collection[str] | None = None) -> Segmented:
    """Clean one article: keep reporting sentences, set headlines aside, drop chrome.

    `known`, when given, is what `summarizer.pipeline.sentences_for_cache` returned for this
    article earlier (the embedding cache keys): the article is then split at those strings,
    skipping pysbd and the chrome checks that already ran when they were made.
    """
    norm = normalize_text(text)
    blocks = split_blocks(norm)
    if known:
        fast = _segment_known(title, norm, blocks, known)
        if fast is not None:
            return fast
    title_key = line_key(" ".join((title or "").split()))
    counts = Counter(line_key(b.text) for b in blocks)
    sentences: list[Sentence] = []
    headings: list[str] = []
    heading_at: list[int] = []
    seen_headings: set[str] = set()
    seen_sentences: set[str] = set()
    dropped: list[str] = []
    live = is_live_heading(title or "")
    transitions = 0

    def add_heading(block: Block) -> None:
        key = chrome_key(block.text)
        if key and key not in seen_headings:
            seen_headings.add(key)
            headings.append(block.text)
            heading_at.append(block.index)

    for block in blocks:
        key = line_key(block.text)
        if is_tail_heading(block.text):
            dropped.append(block.text)
            break
        if is_chrome(block.text) and not (block.kind == "para" and _BOUNDARY.search(block.text)):
            dropped.append(block.text)
            continue
        if counts[key] > 1 or (title_key and key == title_key):
            add_heading(block)
            # A long first line that a reader took as the title is still the article's lead.
            if counts[key] > 1 or len(block.text) < 120 or block.kind == "heading":
                dropped.append(block.text)
                continue
        if block.kind == "heading":
            if is_live_heading(block.text):
                live = True
            add_heading(block)
            continue
        if _TRANSITION.match(block.text):
            transitions += 1
        candidates = [(block.start + a, block.text[a:b]) for a, b in split_sentences(block.text)]
        chrome_flags = [is_chrome(s) for _, s in candidates]
        if candidates and sum(chrome_flags) * 2 >= len(candidates) and any(chrome_flags):
            dropped.extend(s for _, s in candidates)
            continue
        for (start, sent), chrome in zip(candidates, chrome_flags, strict=True):
            skey = chrome_key(sent)
            if chrome or is_fragment(sent) or skey in seen_sentences:
                dropped.append(sent)
                continue
            seen_sentences.add(skey)
            sentences.append(Sentence(sent, start, block.index, len(sentences)))
    return Segmented(norm, blocks, sentences, headings, heading_at, live, transitions, dropped)


def _segment_known(title: str, norm: str, blocks: list[Block], known: Collection[str]) -> Segmented | None:
    """The fast path: classify the known strings by the block they sit in; None if none is found."""
    spans = _locate(norm, known)
    if not spans or not blocks:
        return None
    known_set = set(known)
    starts = [b.start for b in blocks]
    by_block: dict[int, list[tuple[int, int]]] = {}
    for a, b in spans:
        k = bisect_right(starts, a) - 1
        if k >= 0 and b <= blocks[k].start + len(blocks[k].text):
            by_block.setdefault(k, []).append((a, b))
    title_key = line_key(" ".join((title or "").split()))
    keys = [line_key(b.text) for b in blocks]
    counts = Counter(keys)
    sentences: list[Sentence] = []
    headings: list[str] = []
    heading_at: list[int] = []
    live = is_live_heading(title or "")
    transitions = 0
    for block, key in zip(blocks, keys, strict=True):
        if block.kind == "heading" and is_tail_heading(block.text):
            break
        repeated = counts[key] > 1 or bool(title_key and key == title_key)
        if block.kind == "heading" or repeated:
            if block.text in known_set and block.text not in headings:
                headings.append(block.text)
                heading_at.append(block.index)
                live = live or (block.kind == "heading" and is_live_heading(block.text))
            if counts[key] > 1 or len(block.text) < 120 or block.kind == "heading":
                continue
        inside = by_block.get(block.index)
        if not inside:
            continue
        if _TRANSITION.match(block.text):
            transitions += 1
        for a, b in inside:
            sentences.append(Sentence(norm[a:b], a, block.index, len(sentences)))
    if not sentences and not headings:
        return None
    return Segmented(norm, blocks, sentences, headings, heading_at, live, transitions, [])


def _locate(norm: str, known: Collection[str]) -> list[tuple[int, int]]:
    """Where each known string first occurs; a string found inside another (a title quoted in a
    sentence) is dropped."""
    spans = []
    for k in known:
        if k:
            at = norm.find(k)
            if at >= 0:
                spans.append((at, -(at + len(k))))
    spans.sort()  # by start, longest first
    kept: list[tuple[int, int]] = []
    for a, neg_b in spans:
        if kept and -neg_b <= kept[-1][1]:
            continue
        kept.append((a, -neg_b))
    return kept
