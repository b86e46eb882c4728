"""What story assignment knows of one report: a whole article, or one item of a live blog.

A signature is cheap on purpose. It is computed once, at ingest, for every report:
- one embedding of the report's title and opening sentences (its lead), not one per sentence;
- hashed word counts of the whole report;
- the names, the figures and the years it gives, and the names of its lead.

The sentence vectors that bullets need are computed later, only for stories that are shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from summarizer.entities import figures, names, years
from summarizer.items import is_roundup, split_items
from summarizer.model import Document
from summarizer.segment import Segmented, segment_document
from summarizer.stories.terms import TermCounts, TermStats, term_counts

LEAD_SENTENCES = 3  # the title and this many opening sentences are embedded ...
LEAD_WORDS = 48  # ... up to this many words (~64 word pieces; longer leads cost more and scored no better)
LEAD_NAME_CHARS = 600  # names this early in a report are what it is about
FIGURE_CHARS = 1500  # figures that identify an event are in a report's opening


@dataclass(eq=False)
class Signature:
    """One report's features for story assignment. `key` is unique: the document's key, plus
    `#n` for the n-th item of a live blog."""

    key: str
    doc_key: str
    part: int
    vector: np.ndarray  # unit float32 embedding of `lead`
    terms: TermCounts
    names: frozenset[str]
    lead_names: frozenset[str]
    figures: frozenset[str]
    published: datetime | None
    outlet: str
    title: str
    lead: str
    sentences: tuple[int, ...] = ()  # the item's sentence indices; () for a whole article
    years: frozenset[int] = frozenset()  # the years its opening (title included) names
    # mean embedding, tf-idf and name similarity to its closest other reports (see stories.density)
    density: tuple[float, float, float] = (0.0, 0.0, 0.0)
    text: str = field(default="", repr=False)  # the report's words while it is being assigned (not stored)
    _weighted: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    _weighted_at: int = field(default=-1, repr=False)
    _name_weights: dict[str, float] | None = field(default=None, repr=False)

    def weighted_terms(self, stats: TermStats) -> tuple[np.ndarray, np.ndarray]:
        """Unit tf-idf weights, recomputed once the statistics have grown by a quarter."""
        if self._weighted is None or stats.documents > 1.25 * self._weighted_at + 4:
            self._weighted = stats.weighted(self.terms)
            self._name_weights = stats.name_weights(self.names)
            self._weighted_at = stats.documents
        return self._weighted

    def name_weights(self, stats: TermStats) -> dict[str, float]:
        self.weighted_terms(stats)
        assert self._name_weights is not None
        return self._name_weights

    def to_record(self) -> dict[str, Any]:
        """A plain form for storage (vector and counts as bytes)."""
        return {
            "key": self.key,
            "doc_key": self.doc_key,
            "part": self.part,
            "vector": self.vector.astype("<f4").tobytes(),
            "terms": self.terms.to_bytes(),
            "names": sorted(self.names),
            "lead_names": sorted(self.lead_names),
            "figures": sorted(self.figures),
            "published": self.published,
            "outlet": self.outlet,
            "title": self.title,
            "lead": self.lead,
            "sentences": list(self.sentences),
            "density": list(self.density),
            "years": sorted(self.years),
        }

    @classmethod
    def from_record(cls, r: dict[str, Any]) -> Signature:
        return cls(
            key=r["key"],
            doc_key=r["doc_key"],
            part=int(r["part"]),
            vector=np.frombuffer(r["vector"], dtype="<f4").astype(np.float32),
            terms=TermCounts.from_bytes(r["terms"]),
            names=frozenset(r["names"]),
            lead_names=frozenset(r["lead_names"]),
            figures=frozenset(r["figures"]),
            published=_aware(r.get("published")),
            outlet=r.get("outlet") or "",
            title=r.get("title") or "",
            lead=r.get("lead") or "",
            sentences=tuple(r.get("sentences") or ()),
            density=tuple(r.get("density") or (0.0, 0.0, 0.0)),  # type: ignore[arg-type]
            years=frozenset(int(y) for y in r.get("years") or ()),
        )


def _aware(t: datetime | None) -> datetime | None:
    if t is None:
        return None
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def outlet_words(outlets: Sequence[str]) -> frozenset[str]:
    """Outlet names and their longer words: "Reuters said" names no participant of the event."""
    words: set[str] = set()
    for outlet in outlets:
        o = " ".join(outlet.casefold().split())
        if o:
            words.add(o)
            words.update(w for w in o.split() if len(w) > 3)
    return frozenset(words)


@dataclass
class _Pending:
    doc: Document
    part: int
    sentences: tuple[int, ...]
    text: str
    lead: str


def build_signatures(
    docs: Sequence[Document],
    embedder: Any,
    segments: Sequence[Segmented] | None = None,
    exclude: frozenset[str] | None = None,
) -> list[Signature]:
    """Signatures of every report in `docs`, embedding all leads in one call.

    `segments` are the documents' segmentations when the caller has them; `exclude` the outlet
    words left out of names (by default those of `docs`).
    """
    segs = (
        list(segments)
        if segments is not None
        else [segment_document(d.title or "", d.text or "") for d in docs]
    )
    exclude = exclude if exclude is not None else outlet_words([d.outlet for d in docs])
    pending: list[_Pending] = []
    roundups: list[tuple[int, Segmented]] = []
    for n, (doc, seg) in enumerate(zip(docs, segs, strict=True)):
        if not seg.sentences:
            continue
        if is_roundup(seg, doc.title or "") and len(seg.paragraphs) > 1:
            roundups.append((n, seg))
            continue
        body = [s.text for s in seg.sentences]
        title = " ".join((doc.title or "").split())
        pending.append(_Pending(doc, 0, (), " ".join([title, *body]).strip(), _lead(title, body)))
    if roundups:  # paragraphs of live blogs are embedded to tell where one item ends
        paras = [(n, seg, p) for n, seg in roundups for p in seg.paragraphs]
        vecs = _unit_rows(embedder.encode([" ".join(s.text for s in p) for _, _, p in paras]))
        at = 0
        for n, seg in roundups:
            count = len(seg.paragraphs)
            for part, ids in enumerate(split_items(seg, vecs[at : at + count], True), 1):
                if ids:
                    body = [seg.sentences[i].text for i in ids]
                    pending.append(_Pending(docs[n], part, tuple(ids), " ".join(body), _lead("", body)))
            at += count
    if not pending:
        return []
    vectors = _unit_rows(embedder.encode([p.lead for p in pending]))
    counts = term_counts([p.text for p in pending])
    out = []
    for p, vec, tc in zip(pending, vectors, counts, strict=True):
        key = p.doc.key if p.part == 0 else f"{p.doc.key}#{p.part}"
        out.append(
            Signature(
                key=key,
                doc_key=p.doc.key,
                part=p.part,
                vector=vec,
                terms=tc,
                names=frozenset(names(p.text, exclude)),
                lead_names=frozenset(names(p.lead[:LEAD_NAME_CHARS], exclude)),
                figures=figures(p.text[:FIGURE_CHARS]),
                published=_aware(p.doc.published),
                outlet=_outlet_of(p.doc),
                title=" ".join((p.doc.title or "").split()) if p.part == 0 else "",
                lead=p.lead,
                sentences=p.sentences,
                years=years(p.text[:FIGURE_CHARS]),
            )
        )
    return out


def _lead(title: str, body: Sequence[str]) -> str:
    """The title and opening sentences, cut at LEAD_WORDS words (encoding cost grows with length)."""
    words = " ".join([t for t in (title, *body[:LEAD_SENTENCES]) if t]).split()
    return " ".join(words[:LEAD_WORDS])


def _unit_rows(m: Any) -> np.ndarray:
    arr = np.asarray(m, dtype=np.float32)
    if arr.ndim != 2 or not len(arr):
        return arr.reshape(len(arr), -1)
    return arr / np.maximum(np.linalg.norm(arr, axis=1, keepdims=True), 1e-12)


def _outlet_of(doc: Document) -> str:
    from urllib.parse import urlsplit

    if doc.outlet.strip():
        return doc.outlet.strip().casefold()
    host = urlsplit(doc.url).hostname if doc.url else None
    return host.removeprefix("www.") if host else f"doc:{doc.key}"


class HashedLeads:
    """A stable stand-in for the sentence model when it cannot be loaded: hashed word counts projected
    to 384 dimensions (the same vector for the same text in every process, unlike a fitted tf-idf).
    Weaker than MiniLM; the bot warns when it runs without the model."""

    name = "hashed-leads"
    cacheable = True
    dim = 384

    def encode(self, sentences: Sequence[str]) -> np.ndarray:
        from sklearn.feature_extraction.text import HashingVectorizer

        vec = HashingVectorizer(n_features=self.dim, alternate_sign=True, norm="l2", stop_words="english")
        return np.asarray(vec.transform(list(sentences)).toarray(), dtype=np.float32)


def stable_embedder(embedder: Any) -> Any:
    """`embedder` if its vectors are the same in every process (MiniLM), else `HashedLeads`."""
    return embedder if getattr(embedder, "cacheable", True) else HashedLeads()
