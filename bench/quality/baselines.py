"""sumy's LexRank and TextRank (and a lead baseline) on exactly the input our engine gets.

Two views of the input, both with one segmentation for every system:
- "raw": the article texts as ingest produced them, split into paragraphs at blank lines and into
  sentences by pysbd (`common.split_sentences`); page chrome is left in, as our engine receives it.
- "cleaned": the sentences our own segmenter keeps (`summarizer.segment.segment_document`), so the
  comparison isolates sentence ranking from our cleaning.
Headlines are headings in sumy's model (never picked), since our engine never uses a headline as a bullet.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from common import SentenceTokenizer, paragraphs, split_sentences
from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
from sumy.nlp.stemmers import Stemmer
from sumy.summarizers.lex_rank import LexRankSummarizer
from sumy.summarizers.text_rank import TextRankSummarizer
from sumy.utils import get_stop_words

from summarizer.model import Document
from summarizer.segment import segment_document

Blocks = list[list[str]]  # paragraphs of sentences, documents one after the other
_TOKENIZER = SentenceTokenizer()


def raw_blocks(doc: Document) -> Blocks:
    return [split_sentences(p) for p in paragraphs(doc.text or "")]


def cleaned_blocks(doc: Document) -> Blocks:
    seg = segment_document(doc.title or "", doc.text or "")
    return [[s.text for s in para] for para in seg.paragraphs]


def sumy_document(docs: Sequence[Document], view: Callable[[Document], Blocks]) -> ObjectDocumentModel:
    paras = []
    for d in docs:
        heading = [Sentence(d.title, _TOKENIZER, is_heading=True)] if d.title else []
        blocks = view(d)
        for n, block in enumerate(blocks):
            sentences = [Sentence(s, _TOKENIZER) for s in block]
            paras.append(Paragraph((heading if n == 0 else []) + sentences))
        if not blocks and heading:
            paras.append(Paragraph(heading))
    return ObjectDocumentModel(paras)


def build(kind: str) -> Any:
    """A sumy summariser with the English Snowball stemmer and sumy's bundled stop words."""
    cls = {"lexrank": LexRankSummarizer, "textrank": TextRankSummarizer}[kind]
    s = cls(Stemmer("english"))
    s.stop_words = get_stop_words("english")
    return s


def ranked(summarizer: Any, document: ObjectDocumentModel) -> list[tuple[str, int]]:
    """(sentence, position in the input) best first, as the summariser rates them."""
    captured: list[Any] = []

    def keep_ranking(infos: list[Any]) -> list[Any]:
        captured.extend(infos)  # sumy hands over every sentence sorted by rating, best first
        return []

    summarizer(document, keep_ranking)
    return [(str(i.sentence), i.order) for i in captured]


def top_sentences(ranking: list[tuple[str, int]], count: int) -> list[str]:
    """The `count` best sentences in input order: what sumy prints for `sentences_count=count`."""
    best = sorted(ranking[:count], key=lambda x: x[1])
    return [s for s, _ in best]


def within_chars(ranking: list[tuple[str, int]], budget: int) -> list[str]:
    """Best sentences until `budget` characters are reached, the last one cut at a word boundary."""
    out: list[str] = []
    used = 0
    for s, _ in ranking:
        if used >= budget:
            break
        room = budget - used
        if len(s) > room:
            s = s[:room].rsplit(" ", 1)[0] if " " in s[:room] else s[:room]
        out.append(s)
        used += len(s) + 1
    return out


def lead_round_robin(docs: Sequence[Document], count: int) -> list[str]:
    """First cleaned sentence of each article, then the second of each, ...: a classic multi-document lead."""
    per_doc = [[s for block in cleaned_blocks(d) for s in block] for d in docs]
    out: list[str] = []
    depth = 0
    while len(out) < count and any(depth < len(p) for p in per_doc):
        out.extend(p[depth] for p in per_doc if depth < len(p))
        depth += 1
    return out[:count]
