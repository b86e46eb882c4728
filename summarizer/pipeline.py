"""The extractive briefing pipeline: documents in, cited stories out.

Two ways in. `run` takes documents only (`brief --input`): it segments them, groups them into
stories with the story assigner (one lead embedding per report), ranks the stories and composes
the ones shown. `run_groups` takes stories already grouped (the store's, tracked at ingest) and
composes exactly those, in the order given. Either way the expensive parts (every sentence's
embedding, quote attribution with spaCy, MMR) are spent only on the stories that are shown.
"""

from __future__ import annotations

import logging
import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from summarizer.cite import SourceList, citation_order, pick_quotes
from summarizer.clean import is_chrome
from summarizer.dedup import near_duplicate_groups
from summarizer.engines.base import SummaryOptions
from summarizer.entities import names
from summarizer.items import is_roundup
from summarizer.model import Briefing, Bullet, Document, Quote, Story, StoryGroup, Topic
from summarizer.nlp import preload as preload_nlp
from summarizer.quote_worker import QuoteWorker
from summarizer.quote_worker import active as active_quote_worker
from summarizer.rank import (
    Candidate,
    content_tokens,
    fit_bullet,
    lexrank,
    mmr,
    quote_share,
    reading_order,
    story_score,
)
from summarizer.relevance import (
    RELEVANT,
    TopicMatcher,
    item_relevance,
    report_relevance,
    score_many,
    story_relevance,
)
from summarizer.segment import Segmented, segment_document
from summarizer.stories import HashedLeads, StoryAssigner, build_signatures, outlet_words
from summarizer.support import (
    Claim,
    StoryContext,
    SupportModel,
    claim_of,
    default_model,
    story_context,
    support_probabilities,
)
from summarizer.titles import TitleCandidate, choose_title, clean_title, lead_clause, usable
from summarizer.wording import clauses, is_dependent, loaded, main_clause, stands_alone

log = logging.getLogger(__name__)

MAX_EXTRA_BULLETS = 6
MIN_BULLET_CHARS = 40
SUPPORT_POWER = 1.0  # how strongly corroboration (outlets stating a sentence) raises its prior
FULL_BULLET_CHARS = 110.0  # a bullet shorter than this says less; its score falls as sqrt(length share)
POSITION_DECAY = 0.4  # a sentence's prior falls with its place in the article (news puts the facts first)
QUOTE_BULLET = 0.5  # a sentence this much inside quotation marks is a quote, not a bullet
POOL_DOCS = 24  # articles a story's bullets are chosen from (closest first, one per outlet first)
EVIDENCE_DOCS = 60  # articles whose sentences are judged for each bullet's citations (one per outlet first)
QUOTE_CHECK_DOCS = 200  # articles searched word for word for each quote's sources (a string search: cheap)
_ITEMS_CHUNK = 512  # articles whose topic relevance is scored in one matrix product
NAMES_CHARS = 1500  # names and figures that identify an event are in an article's opening
QUOTE_DOCS = 6  # articles quotes are extracted from (spaCy), bullets' sources first
PREFETCH_QUOTE_DOCS = (
    12  # inputs up to this many articles have all their quotes extracted ahead, in the helper
)
_CHROME_NAME_OVERLAP = 0.1  # docs sharing a line but fewer names than this are "otherwise dissimilar"
_COPY_SHARE = 0.3  # ... unless they share this share of their lines (copies)
_MANY_HOLDERS = 30
# Texts that may hold a quotation (spaCy is preloaded only for these; quotes still load it on demand).
_QUOTE_MARK = re.compile(r"[“”„‟«»\"‘’‚‹›]|(?:^|\s)'\S")


# --- what the store caches -----------------------------------------------------------------------


def sentences_for_cache(doc: Document) -> list[str]:
    """Exactly the strings whose vectors `summarize` looks up in `Document.embeddings`.

    Encode these at ingest and keep them with the article: a briefing over stored articles then
    encodes nothing but the topic's own words.
    """
    try:
        seg = segment_document(doc.title, doc.text)
    except Exception:  # never let one odd article stop ingest
        log.exception("could not segment %s", doc.key)
        return []
    return _cache_strings(doc.title, seg)


def _cache_strings(title: str, seg: Segmented) -> list[str]:
    out: dict[str, None] = dict.fromkeys(s.text for s in seg.sentences)
    for h in seg.headings:
        out.setdefault(h, None)
    t = " ".join((title or "").split())
    if t:
        out.setdefault(t, None)
    return list(out)


# --- sentence vectors ------------------------------------------------------------------------------


class VectorBank:
    """Sentence vectors: cached ones from `Document.embeddings`, the rest encoded in one batch.

    `memo` (owned by the engine) keeps vectors encoded by earlier briefings of this process,
    so briefing the same files twice encodes them once. Corpus-fitted embedders (tf-idf) are
    fitted here on the briefing's own sentences and bypass every cache.
    """

    MEMO_LIMIT = 200_000

    def __init__(
        self, embedder: Any, docs: Sequence[Document], memo: dict[str, np.ndarray] | None = None
    ) -> None:
        self.embedder = embedder
        self.docs = docs
        self.cacheable = bool(getattr(embedder, "cacheable", True))
        self._memo: dict[str, np.ndarray] = memo if memo is not None and self.cacheable else {}
        self._dim: int | None = None

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(self.embedder.dim)
        return self._dim

    def _cached(self, d: int, s: str) -> np.ndarray | None:
        cache = self.docs[d].embeddings
        if not self.cacheable or not cache:
            return None
        v = cache.get(s)
        if v is None:
            return None
        v = np.asarray(v, dtype=np.float32).reshape(-1)
        return v if v.shape[0] == self.dim else None

    def prepare(self, needs: dict[int, list[str]]) -> None:
        """Encode, in one call, every needed string that no document has cached."""
        if not self.cacheable and hasattr(self.embedder, "fit"):
            self.embedder.fit([s for strings in needs.values() for s in strings])
        missing: dict[str, None] = {}
        for d, strings in needs.items():
            for s in strings:
                if s not in self._memo and s not in missing and self._cached(d, s) is None:
                    missing[s] = None
        if not missing:
            return
        batch = list(missing)
        vecs = np.asarray(self.embedder.encode(batch), dtype=np.float32)
        if len(self._memo) + len(batch) > self.MEMO_LIMIT:
            self._memo.clear()
        for s, v in zip(batch, vecs, strict=True):
            self._memo[s] = v

    def matrix(self, d: int, strings: Sequence[str]) -> np.ndarray:
        """Unit rows for these strings of document d (zeros for anything never encoded)."""
        if not strings:
            return np.zeros((0, self.dim), dtype=np.float32)
        cache = self.docs[d].embeddings if self.cacheable else None
        if cache:
            try:  # the common case: every string cached at ingest
                m = np.stack([np.asarray(cache[s], dtype=np.float32).reshape(-1) for s in strings])
            except (KeyError, ValueError):
                pass
            else:
                if m.shape[1] == self.dim:
                    return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)
        rows = []
        for s in strings:
            v = self._cached(d, s)
            if v is None:
                v = self._memo.get(s)
            rows.append(v if v is not None else np.zeros(self.dim, dtype=np.float32))
        m = np.stack(rows).astype(np.float32, copy=False)
        norms = np.linalg.norm(m, axis=1, keepdims=True)
        return m / np.maximum(norms, 1e-12)

    def encode_memo(self, strings: Sequence[str]) -> np.ndarray:
        """Vectors of strings (reports' leads), encoding only those this engine has not seen before."""
        if not self.cacheable:
            return np.asarray(self.embedder.encode(list(strings)), dtype=np.float32)
        missing = list(dict.fromkeys(s for s in strings if s not in self._memo))
        if missing:
            vecs = np.asarray(self.embedder.encode(missing), dtype=np.float32)
            if len(self._memo) + len(missing) > self.MEMO_LIMIT:
                self._memo.clear()
            self._memo.update(zip(missing, vecs, strict=True))
        if not strings:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._memo[s] for s in strings])

    def encode(self, strings: Sequence[str]) -> np.ndarray:
        """Vectors for strings no document holds (the topic's terms)."""
        if not strings:
            return np.zeros((0, self.dim), dtype=np.float32)
        m = np.asarray(self.embedder.encode(list(strings)), dtype=np.float32)
        return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)


class _MemoEncoder:
    """The embedder as `build_signatures` sees it: leads go through the bank's memo."""

    def __init__(self, bank: VectorBank) -> None:
        self.bank = bank

    def encode(self, strings: Sequence[str]) -> np.ndarray:
        return self.bank.encode_memo(strings)


# --- per-document state ------------------------------------------------------------------------------


@dataclass
class _Doc:
    index: int
    seg: Segmented
    outlet: str
    relevance: np.ndarray | None = None
    named: np.ndarray | None = None
    roundup: bool = False


@dataclass
class _Item:
    doc: int
    sentences: list[int]  # indices into the document's sentences
    vector: np.ndarray | None  # the report's lead embedding (or its sentences' mean)
    text: str  # the item's words, for name extraction when clustering needs it
    relevance: float
    first_block: int
    prev_block: int = -1  # first block of the previous item of the same document


def _outlet_of(doc: Document) -> str:
    if doc.outlet.strip():
        return doc.outlet.strip().casefold()
    host = urlsplit(doc.url).hostname if doc.url else None
    if host:
        return host.removeprefix("www.")
    return f"doc:{doc.key}"


def _aware(t: datetime | None) -> datetime | None:
    if t is None:
        return None
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


# --- the pipeline --------------------------------------------------------------------------------------


class BriefingPipeline:
    """One briefing run. Build a new one per `summarize` call; the embedder is shared."""

    def __init__(
        self,
        embedder: Any,
        documents: Sequence[Document],
        topic: Topic | None,
        options: SummaryOptions,
        memo: dict[str, np.ndarray] | None = None,
    ) -> None:
        self.embedder = embedder
        self.memo = memo
        self.docs = [d for d in documents if isinstance(d, Document)]
        self.topic = topic if topic is not None and topic.terms else None
        self.options = options
        self.matcher = TopicMatcher(self.topic) if self.topic else None
        dated = [t for t in (_aware(d.published) for d in self.docs) if t is not None]
        self.now = _aware(options.now) or max(dated, default=None) or datetime.now(UTC)
        self.state: list[_Doc] = []
        self.reps: list[int] = []
        self._vec_cache: dict[int, np.ndarray] = {}
        self._claims: dict[tuple[int, int], Claim] = {}
        self._prepared: set[int] = set()
        self._topic_vecs: np.ndarray | None = None
        self.outlet_words: frozenset[str] = frozenset()
        self.generated_at = _aware(options.now) or datetime.now(UTC)
        # A one-shot command extracts quotes in a helper process (see summarizer.quote_worker).
        self.quote_worker: QuoteWorker | None = active_quote_worker()
        if self.quote_worker is not None and not self.quote_worker.alive:
            self.quote_worker = None

    # -- stages ----------------------------------------------------------------------------------

    def run(self) -> Briefing:
        """Documents only: group them into stories, rank the stories, compose the ones shown."""
        if not self._prepare():
            return self._empty()
        segs = [st.seg for st in self.state]
        self.outlet_words = outlet_words([d.outlet for d in self.docs])
        # leads need vectors comparable across reports before any sentence is encoded: a corpus-fitted
        # embedder (tf-idf) is not fitted yet, so its stand-in is hashed word counts
        leads = _MemoEncoder(self.bank) if self.bank.cacheable else HashedLeads()
        sigs = build_signatures(self.docs, leads, segs, self.outlet_words)
        if not sigs:
            return self._empty()
        stories = StoryAssigner().assign_all(sigs)
        by_key = {s.key: s for s in sigs}
        doc_index = {d.key: i for i, d in enumerate(self.docs)}
        topic_vecs = None
        if self.topic is not None and self.bank.cacheable:  # a tf-idf embedder is fitted on sentences later
            topic_vecs = self._topic_vecs = self.bank.encode(list(self.topic.terms))
        items: list[_Item] = []
        clusters: list[list[int]] = []
        for story in stories:
            ids = []
            for key in story.members:
                sig = by_key[key]
                it = self._item(doc_index[sig.doc_key], sig.sentences, sig.vector)
                if it is None:
                    continue
                if self.matcher is not None:
                    it.relevance = report_relevance(
                        it.text,
                        sig.vector,
                        self.matcher,
                        topic_vecs,
                        title=None if sig.part else self.docs[it.doc].title,
                    )
                ids.append(len(items))
                items.append(it)
            if ids:
                clusters.append(ids)
        clusters = [c for c in clusters if self._story_relevance(c, items) > 0.0]
        ranked = sorted(clusters, key=lambda c: (-self._score(c, items), c[0]))
        return self._compose(ranked, items, [None] * len(ranked), [None] * len(ranked))

    def run_groups(self, groups: Sequence[StoryGroup]) -> Briefing:
        """Stories already grouped (by the store's story tracking): compose each, in the order given,
        until `max_stories` of them give bullets. Members name documents of this pipeline by key."""
        if not self._prepare():
            return self._empty()
        self.outlet_words = outlet_words([d.outlet for d in self.docs])
        doc_index = {d.key: i for i, d in enumerate(self.docs)}
        items: list[_Item] = []
        clusters: list[list[int]] = []
        kept: list[StoryGroup] = []
        for group in groups:
            ids = []
            for m in group.members:
                d = doc_index.get(m.doc_key)
                it = self._item(d, m.sentences, None) if d is not None else None
                if it is not None:
                    ids.append(len(items))
                    items.append(it)
            if ids:
                clusters.append(ids)
                kept.append(group)
        return self._compose(clusters, items, [g.id for g in kept], [g.phase for g in kept])

    def _prepare(self) -> bool:
        """Segment, drop shared chrome, start the quote helper; False when nothing is left to read."""
        if not self.docs:
            return False
        quoting = self.options.max_quotes > 0 and any(_QUOTE_MARK.search(d.text or "") for d in self.docs)
        if quoting and self.quote_worker is None:
            preload_nlp()  # spaCy's import overlaps segmenting and encoding; quotes need it last
        self._segment()
        self._drop_shared_chrome()
        if quoting:
            self._prefetch_quotes()
        self.reps = [i for i, st in enumerate(self.state) if st.seg.sentences]
        self.bank = VectorBank(self.embedder, self.docs, self.memo)
        for st, doc in zip(self.state, self.docs, strict=True):
            st.roundup = is_roundup(st.seg, doc.title or "")
        return bool(self.reps)

    def _empty(self) -> Briefing:
        return Briefing(self.topic.name if self.topic else None, self.generated_at, [], [])

    def _segment(self) -> None:
        self.state = []
        for i, doc in enumerate(self.docs):
            known = list(doc.embeddings) if doc.embeddings else None
            try:
                seg = segment_document(doc.title or "", doc.text or "", known=known)
            except Exception:  # one unreadable article must not sink the briefing
                log.exception("could not segment document %s; skipping it", doc.key)
                seg = Segmented("", [], [], [])
            self.state.append(_Doc(i, seg, _outlet_of(doc)))

    def _prefetch_quotes(self) -> None:
        """Let the quote helper parse a small input's articles while this process encodes them.

        Only when every article is likely to be read for quotes anyway (a handful of files);
        a live blog is skipped, as only its story's paragraphs are read, which are not known yet.
        """
        if self.quote_worker is None or len(self.docs) > PREFETCH_QUOTE_DOCS:
            return
        self.quote_worker.prefetch(
            st.seg.text
            for st, doc in zip(self.state, self.docs, strict=True)
            if st.seg.sentences
            and _QUOTE_MARK.search(st.seg.text)
            and not is_roundup(st.seg, doc.title or "")
        )

    def _drop_shared_chrome(self) -> None:
        """A line carried by two otherwise unrelated articles (a shared footer, a promo) is page chrome.

        Articles that share many of their lines are copies, and articles that name the same people
        and places are one story: both keep their shared lines.
        """
        holders: dict[str, list[int]] = defaultdict(list)
        for r in range(len(self.state)):
            for s in self.state[r].seg.sentences:
                if len(s.text) < 300:
                    holders[s.text].append(r)
        shared = {k: sorted(set(v)) for k, v in holders.items() if len(set(v)) >= 2}
        if not shared:
            return
        doc_names: dict[int, set[str]] = {}
        doc_lines: dict[int, set[str]] = {}

        def names_of(d: int) -> set[str]:
            if d not in doc_names:
                # judged on what the documents say apart from the lines they share
                text = " ".join(s.text for s in self.state[d].seg.sentences if s.text not in shared)
                doc_names[d] = names(text[:NAMES_CHARS])
            return doc_names[d]

        def lines_of(d: int) -> set[str]:
            if d not in doc_lines:
                doc_lines[d] = {s.text for s in self.state[d].seg.sentences}
            return doc_lines[d]

        verdicts: dict[tuple[int, int], bool] = {}

        def unrelated(a: int, b: int) -> bool:
            if (a, b) not in verdicts:
                verdicts[(a, b)] = judge(a, b)
            return verdicts[(a, b)]

        def judge(a: int, b: int) -> bool:
            la, lb = lines_of(a), lines_of(b)
            if len(la & lb) >= max(2.0, _COPY_SHARE * min(len(la), len(lb))):
                return False  # copies of one article share most of their lines
            na, nb = names_of(a), names_of(b)
            return len(na & nb) / max(1, min(len(na), len(nb))) < _CHROME_NAME_OVERLAP

        chrome: dict[int, set[str]] = defaultdict(set)
        for key, ds in shared.items():
            first = ds[0]
            if len(ds) > _MANY_HOLDERS:
                # a line in very many articles: judge a sample, and the verdict of most holds for all
                votes = [unrelated(first, other) for other in ds[1 : _MANY_HOLDERS + 1]]
                if sum(votes) * 2 > len(votes):
                    for d in ds:
                        chrome[d].add(key)
                continue
            for other in ds[1:]:  # a star from the first holder keeps this linear in the holders
                if unrelated(first, other):
                    chrome[first].add(key)
                    chrome[other].add(key)
        for d, keys in chrome.items():
            seg = self.state[d].seg
            seg.dropped.extend(s.text for s in seg.sentences if s.text in keys)
            kept = [s for s in seg.sentences if s.text not in keys]
            seg.sentences = [replace(s, index=i) for i, s in enumerate(kept)]  # indices stay positions

    def _strings(self, d: int) -> list[str]:
        return _cache_strings(self.docs[d].title, self.state[d].seg)

    def _doc_vectors(self, d: int) -> np.ndarray:
        """Unit vectors of a document's sentences; kept only for the documents of shown stories."""
        found = self._vec_cache.get(d)
        if found is None:
            found = self._vec_cache[d] = self.bank.matrix(d, [s.text for s in self.state[d].seg.sentences])
        return found

    def _item(self, d: int, sentences: Sequence[int], vector: np.ndarray | None) -> _Item | None:
        """One report of document d: all its sentences, or one live-blog item's."""
        seg = self.state[d].seg
        ids = (
            [i for i in sentences if 0 <= i < len(seg.sentences)]
            if sentences
            else list(range(len(seg.sentences)))
        )
        if not ids:
            return None
        first_block = seg.sentences[ids[0]].block
        prev_block = -1
        if sentences:  # the previous item of a live blog ends where this one starts
            before = [s.block for s in seg.sentences[: ids[0]]]
            prev_block = max((b for b in before if b < first_block), default=-1)
        text = " ".join(seg.sentences[i].text for i in ids)
        if not self.state[d].roundup:
            text = f"{self.docs[d].title}. {text}"
        return _Item(d, ids, vector, text, 1.0, first_block, prev_block)

    def _ensure_vectors(self, docs: Sequence[int]) -> None:
        """Encode (in one call) the sentences of these documents, and score them for the topic."""
        todo = [d for d in dict.fromkeys(docs) if d not in self._prepared]
        if not todo:
            return
        self.bank.prepare({d: self._strings(d) for d in todo})
        self._prepared.update(todo)
        if self.matcher is None:
            return
        if self._topic_vecs is None:
            self._topic_vecs = self.bank.encode(list(self.matcher.terms))
        for start in range(0, len(todo), _ITEMS_CHUNK):
            chunk = todo[start : start + _ITEMS_CHUNK]
            texts = [[s.text for s in self.state[r].seg.sentences] for r in chunk]
            vectors = [self._doc_vectors(r) for r in chunk]
            for r, rel in zip(chunk, score_many(texts, self.matcher, vectors, self._topic_vecs), strict=True):
                self.state[r].relevance, self.state[r].named = rel.scores, rel.named

    def _fill_items(self, item_ids: Sequence[int], items: list[_Item]) -> None:
        """Vectors and relevance of a story's items from their sentences (the store's stories, which
        come without lead vectors)."""
        for i in item_ids:
            it = items[i]
            vecs = self._doc_vectors(it.doc)[it.sentences]
            if it.vector is None:
                it.vector = _unit(vecs.mean(axis=0))
            st = self.state[it.doc]
            if self.matcher is not None and st.relevance is not None and st.named is not None:
                rel = item_relevance(st.relevance[it.sentences], st.named[it.sentences])
                if not st.roundup and self.matcher.matches(self.docs[it.doc].title or ""):
                    rel = max(rel, 0.8)
                it.relevance = rel

    # -- composing stories -------------------------------------------------------------------------

    def _story_relevance(self, item_ids: Sequence[int], items: list[_Item]) -> float:
        """How much a story is about the topic: its most relevant report, and how many reports are.

        Relevance gates stories, not reports: once one report of an event is on topic, the other
        outlets' reports of the same event are part of the story (and corroborate it).
        """
        if self.matcher is None:
            return 1.0
        rels = [items[i].relevance for i in item_ids]
        return story_relevance(max(rels), sum(r >= RELEVANT for r in rels), len(rels))

    def _score(self, item_ids: Sequence[int], items: list[_Item]) -> float:
        docs = {items[i].doc for i in item_ids}
        outlets = len({self.state[d].outlet for d in docs})
        times = [_aware(self.docs[d].published) for d in docs]
        known = [t for t in times if t is not None]
        age = (self.now - max(known)).total_seconds() / 3600.0 if known else math.nan
        rel = self._story_relevance(item_ids, items)
        return story_score(outlets, age, rel, size=sum(len(items[i].sentences) for i in item_ids))

    def _copies(self, doc_sents: dict[int, list[int]]) -> dict[int, list[int]]:
        """Syndicated copies among a story's documents: each document -> all that carry its text.

        Done per story rather than over the whole corpus: copies are near-identical, so they
        always land in the same story, and only the stories shown need it.
        """
        docs = list(doc_sents)
        texts = ["\n".join(self.state[d].seg.sentences[k].text for k in sorted(doc_sents[d])) for d in docs]
        floor = datetime.min.replace(tzinfo=UTC)

        def prefer(i: int) -> tuple:
            d = docs[i]
            return (-len(doc_sents[d]), _aware(self.docs[d].published) or floor, d)

        groups = near_duplicate_groups(texts, prefer=prefer)
        return {docs[i]: [docs[m] for m in groups.members(i)] for i in range(len(docs))}

    def _compose(
        self,
        ranked: list[list[int]],
        items: list[_Item],
        ids: Sequence[str | None],
        phases: Sequence[str | None],
    ) -> Briefing:
        """Compose stories in the order given until `max_stories` of them give bullets. Sentence
        vectors are encoded a few stories ahead, in one call, and only for stories reached."""
        sources = SourceList(self.docs)
        stories: list[Story] = []
        shown_tokens: list[frozenset[str]] = []
        ahead = self.options.max_stories + 2
        for n, c in enumerate(ranked):
            if len(stories) >= self.options.max_stories:
                break
            if n % ahead == 0:
                self._ensure_vectors([items[i].doc for cl in ranked[n : n + ahead] for i in cl])
            self._fill_items(c, items)
            story = self._story(c, items, sources, shown_tokens)
            if story is not None:
                story.id, story.phase = ids[n], phases[n]
                stories.append(story)
        topic_name = self.topic.name if self.topic else None
        return Briefing(
            topic_name, self.generated_at, stories, sources.refs(self._display_titles(sources.cited))
        )

    def _display_titles(self, cited: Sequence[int]) -> dict[int, str]:
        """A readable title for a cited document whose own title is page chrome ("Skip to content")."""
        out: dict[int, str] = {}
        for d in cited:
            title = self.docs[d].title or ""
            if title.strip() and not is_chrome(title):
                continue
            seg = self.state[d].seg
            better = next((clean_title(h) for h in seg.headings if usable(clean_title(h))), None)
            if better is None and seg.sentences:
                better = lead_clause(seg.sentences[0].text)
            if better:
                out[d] = better
        return out

    def _story(
        self, item_ids: list[int], items: list[_Item], sources: SourceList, shown_tokens: list[frozenset[str]]
    ) -> Story | None:
        opts = self.options
        # the sentences each document gives this story (a live blog only its items here)
        doc_sents: dict[int, list[int]] = {}
        for i in item_ids:
            doc_sents.setdefault(items[i].doc, []).extend(items[i].sentences)
        copies = self._copies(doc_sents)
        story_docs = citation_order(doc_sents, self.docs)
        reps = self._by_closeness([d for d in story_docs if copies[d][0] == d], item_ids, items)
        readers = _diverse(reps, [self.state[d].outlet for d in reps], POOL_DOCS)
        pool: list[tuple[int, int]] = [(d, k) for d in readers for k in sorted(set(doc_sents[d]))]
        if not pool:
            return None
        vecs = np.stack([self._doc_vectors(d)[k] for d, k in pool])
        texts = [self.state[d].seg.sentences[k].text for d, k in pool]
        sim = vecs @ vecs.T
        pool_docs = np.array([d for d, _ in pool])
        claims = [self._claim(d, k) for d, k in pool]
        model = default_model()
        ctx = story_context(vecs, claims)

        # corroboration: how many other outlets carry a sentence that states this one (or a copy of its article)
        outlet_ids: dict[str, int] = {}
        outlet_of = np.array([outlet_ids.setdefault(self.state[d].outlet, len(outlet_ids)) for d, _ in pool])
        probs = support_probabilities(vecs, vecs, claims, claims, ctx, model)  # [i, j]: j states i
        states = (probs >= model.threshold) & (pool_docs[:, None] != pool_docs[None, :])
        onehot = np.zeros((len(pool), len(outlet_ids)), dtype=np.float32)
        onehot[np.arange(len(pool)), outlet_of] = 1.0
        reached = (states.astype(np.float32) @ onehot) > 0
        reached[np.arange(len(pool)), outlet_of] = False
        support = 1.0 + reached.sum(axis=1).astype(np.float64)
        for k, (d, _) in enumerate(pool):
            if len(copies[d]) > 1:
                support[k] += len({self.state[m].outlet for m in copies[d]} - {self.state[d].outlet})
        # either clearly states the other (the citing threshold): one fact told twice
        told = probs >= model.cite_threshold
        np.fill_diagonal(told, False)
        same_fact = told | told.T

        position = np.array([1.0 / (1.0 + POSITION_DECAY * s) for _, s in pool])
        relevance = np.ones(len(pool))
        if self.matcher is not None:
            relevance = np.array([_at(self.state[d].relevance, s) for d, s in pool])
        prior = support**SUPPORT_POWER * (0.3 + 0.7 * position) * (0.25 + relevance)
        central = lexrank(sim, prior)

        candidates = self._candidates(pool, texts, central, prior, relevance, same_fact, outlet_of)
        # Leave sentences already used by a higher story out.
        candidates = [c for c in candidates if not any(_overlap(c.tokens, t) for t in shown_tokens)]
        picked = mmr(candidates, sim, opts.max_bullets + MAX_EXTRA_BULLETS, repeats=same_fact)
        if not picked:
            return None

        texts_picked, cited_docs = self._cite(picked, pool, vecs, reps, doc_sents, copies, model, ctx)
        picked = [replace(c, text=t) for c, t in zip(picked, texts_picked, strict=True)]
        # the most corroborated shown claim leads; the rest follow as the reports tell the story
        shown_n = min(opts.max_bullets, len(picked))
        corroboration = [len({self.state[d].outlet for d in docs}) for docs in cited_docs[:shown_n]]
        lead = max(range(shown_n), key=lambda i: (corroboration[i], picked[i].score, -i))
        rest = [i for i in self._reading_order([pool[c.index] for c in picked[:shown_n]]) if i != lead]
        order = [lead, *rest]
        picked = [picked[i] for i in order] + picked[shown_n:]
        cited_docs = [cited_docs[i] for i in order] + cited_docs[shown_n:]
        shown = picked[:shown_n]
        bullets = [Bullet(c.text, sources.cite(cited)) for c, cited in zip(shown, cited_docs, strict=False)]
        shown_tokens.extend(c.tokens for c in shown)

        bullet_docs = list(dict.fromkeys(pool[c.index][0] for c in shown))
        quote_docs = list(dict.fromkeys([*bullet_docs, *readers]))[:QUOTE_DOCS]
        quotes = self._quotes(quote_docs, story_docs, doc_sents, [c.text for c in shown], sources)
        extra = [
            Bullet(c.text, sources.cite(cited))
            for c, cited in zip(picked[shown_n:], cited_docs[shown_n:], strict=True)
        ]
        story_ids = sources.cite(story_docs)
        in_pool = set(readers)
        title = self._title(
            [i for i in item_ids if items[i].doc in in_pool],
            items,
            _unit(vecs.mean(axis=0)),
            shown[0].text,
            ctx,
            model,
        )
        n_outlets = len({self.state[d].outlet for d in story_docs})
        return Story(title, bullets, quotes, story_ids, single_source=n_outlets == 1, extra_bullets=extra)

    def _claim(self, d: int, k: int) -> Claim:
        """What sentence k of document d says, in the support model's terms (kept per briefing)."""
        found = self._claims.get((d, k))
        if found is None:
            found = self._claims[(d, k)] = claim_of(self.state[d].seg.sentences[k].text)
        return found

    def _candidates(
        self,
        pool: Sequence[tuple[int, int]],
        texts: Sequence[str],
        central: np.ndarray,
        prior: np.ndarray,
        relevance: np.ndarray,
        same_fact: np.ndarray,
        outlet_of: np.ndarray,
    ) -> list[Candidate]:
        """Sentences that can be bullets, scored: central, corroborated, standalone, plainly worded.

        A sentence that leans on the one before ("He said …", "It added …") is not a bullet; its
        claim to a place goes to that sentence, its neighbour. A loaded sentence gives way to a
        plainer statement of the same fact by another outlet.
        """
        limit = max(60, self.options.bullet_chars)
        scores = np.zeros(len(pool))
        fitted_texts: list[str | None] = []
        for k, text in enumerate(texts):
            fitted = fit_bullet(text, limit)
            if fitted is None or len(fitted) < MIN_BULLET_CHARS:
                fitted_texts.append(None)
                continue
            share = quote_share(fitted)
            if share >= QUOTE_BULLET and self.options.max_quotes > 0:
                fitted_texts.append(None)  # mostly a quotation: it is shown as a quote
                continue
            score = float(central[k]) * (0.5 + 0.5 * prior[k] / prior.max())
            score *= 1.0 - 0.8 * share  # quotes go in quotes
            if self.matcher is not None:
                score *= 0.3 + 0.7 * float(relevance[k])
            score *= min(1.0, len(fitted) / FULL_BULLET_CHARS) ** 0.5  # short sentences say little
            scores[k] = score
            fitted_texts.append(fitted)
        alone = [t is not None and stands_alone(t) for t in fitted_texts]
        if not any(alone):  # nothing names anyone: take what at least does not point back
            alone = [t is not None and not is_dependent(t) for t in fitted_texts]
        for k, t in enumerate(fitted_texts):
            if t is None or alone[k]:
                continue
            d, s = pool[k]
            before = k - 1
            if before >= 0 and pool[before] == (d, s - 1) and alone[before]:
                scores[before] = max(scores[before], 0.9 * scores[k])
        marks = np.array([loaded(t) if t is not None else 0 for t in fitted_texts])
        candidates: list[Candidate] = []
        for k, t in enumerate(fitted_texts):
            if t is None or not alone[k]:
                continue
            score = float(scores[k])
            if marks[k]:
                plainer = same_fact[k] & (marks < marks[k]) & (outlet_of != outlet_of[k])
                plainer &= np.array(alone)
                score *= 0.25 if plainer.any() else 0.85
            candidates.append(Candidate(k, t, score, frozenset(content_tokens(t))))
        candidates.sort(key=lambda c: -c.score)
        return candidates

    def _cite(
        self,
        picked: Sequence[Candidate],
        pool: Sequence[tuple[int, int]],
        vecs: np.ndarray,
        reps: Sequence[int],
        doc_sents: dict[int, list[int]],
        copies: dict[int, list[int]],
        model: SupportModel,
        ctx: StoryContext,
    ) -> tuple[list[str], list[list[int]]]:
        """Each bullet's text and every document that states it: all of its clauses, by the support model.

        When another outlet states a bullet's main clause but not the rest, the bullet is cut to its
        main clause if that wins it more outlets; otherwise only the outlets stating every clause
        are cited.
        """
        # every sentence judged must be encoded: a story of 400 reports would cost a minute, so its closest
        # report of each outlet first (an outlet is cited once it states the fact anywhere)
        ev_docs = _diverse(reps, [self.state[d].outlet for d in reps], EVIDENCE_DOCS)
        ev_spots = [(d, k) for d in ev_docs for k in sorted(set(doc_sents[d]))]
        ev_vecs = [self._doc_vectors(d)[k] for d, k in ev_spots]
        ev_claims = [self._claim(d, k) for d, k in ev_spots]
        ev_owner = [d for d, _ in ev_spots]
        for d in ev_docs:  # what an outlet states in its headline it states
            headline = self._headline(d)
            if headline:
                ev_vecs.append(self.bank.matrix(d, [headline])[0])
                ev_claims.append(claim_of(headline))
                ev_owner.append(d)
        ev_matrix = np.stack(ev_vecs)
        ev_doc = np.array(ev_owner)
        # the texts judged for each bullet: the whole, its clauses, and its main clause as a bullet
        parts: list[list[str]] = []
        heads: list[str | None] = []
        for c in picked:
            pieces = clauses(c.text)
            parts.append(pieces if len(pieces) > 1 else [])
            heads.append(main_clause(c.text))
        extra = list(dict.fromkeys(p for ps in parts for p in ps))
        extra_vecs = self.bank.encode(extra) if extra else np.zeros((0, vecs.shape[1]), dtype=np.float32)
        at = {p: i for i, p in enumerate(extra)}

        def stating(vec: np.ndarray, claim: Claim) -> set[int]:
            p = support_probabilities(vec[None, :], ev_matrix, [claim], ev_claims, ctx, model)[0]
            return set(ev_doc[p >= model.cite_threshold].tolist())

        texts: list[str] = []
        cited: list[list[int]] = []
        for c, pieces, head in zip(picked, parts, heads, strict=True):
            d, _ = pool[c.index]
            whole = stating(vecs[c.index], claim_of(c.text))
            if pieces:
                per_clause = [stating(extra_vecs[at[p]], claim_of(p)) for p in pieces]
                every = set.intersection(*per_clause) | (whole & per_clause[0])
                first = per_clause[0] | whole
            else:
                every = first = whole
            text = c.text
            docs = every
            if head is not None and stands_alone(head) and len(head) >= MIN_BULLET_CHARS:
                gain = {self.state[x].outlet for x in first} - {self.state[x].outlet for x in every}
                if len(gain) >= 1 and len(first) > len(every):
                    text, docs = head, first
            docs_for = set(copies[d])
            for x in docs:
                docs_for.update(copies[x])
            texts.append(text)
            cited.append(citation_order(docs_for, self.docs))
        return texts, cited

    def _headline(self, d: int) -> str | None:
        """The document's own headline when it reads as one (not chrome, not a live blog's banner)."""
        if self.state[d].roundup:
            return None
        title = clean_title(self.docs[d].title or "")
        return " ".join((self.docs[d].title or "").split()) if usable(title) else None

    def _reading_order(self, spots: Sequence[tuple[int, int]]) -> list[int]:
        return reading_order([(k, len(self.state[d].seg.sentences)) for d, k in spots])

    def _quotes(
        self,
        quote_docs: Sequence[int],
        story_docs: Sequence[int],
        doc_sents: dict[int, list[int]],
        bullets: Sequence[str],
        sources: SourceList,
    ) -> list[Quote]:
        """Quotes found in a few of the story's articles (spaCy is the costly part), cited from every
        article of the story that carries them word for word."""
        if self.options.max_quotes <= 0:
            return []
        check = list(dict.fromkeys([*quote_docs, *story_docs]))[:QUOTE_CHECK_DOCS]
        texts: dict[int, str] = {}
        for d in check:
            st = self.state[d]
            if st.roundup:  # only this story's paragraphs of a live blog
                blocks = sorted({st.seg.sentences[k].block for k in doc_sents[d]})
                texts[d] = "\n".join(st.seg.blocks[b].text for b in blocks)
            else:
                texts[d] = st.seg.text
        originals = {d: self.docs[d].text or "" for d in check}
        picked = pick_quotes(
            texts,
            originals,
            {d: self.docs[d].key for d in check},
            bullets,
            self.matcher,
            self.options.max_quotes,
            extract_from=quote_docs,
            extract=self.quote_worker.extract if self.quote_worker is not None else None,
        )
        return [Quote(q.text, q.speaker, sources.cite(q.docs)) for q in picked]

    def _by_closeness(self, docs: Sequence[int], item_ids: Sequence[int], items: list[_Item]) -> list[int]:
        """A story's documents, those closest to its centre first (the best witnesses of the event)."""
        centroid = _unit(np.mean([v for i in item_ids if (v := items[i].vector) is not None], axis=0))
        best: dict[int, float] = {}
        for i in item_ids:
            it = items[i]
            best[it.doc] = max(best.get(it.doc, -1.0), float(it.vector @ centroid))
        return sorted(docs, key=lambda d: (-best.get(d, -1.0), d))

    def _title(
        self,
        item_ids: Sequence[int],
        items: list[_Item],
        centroid: np.ndarray,
        lead: str,
        ctx: StoryContext,
        model: SupportModel,
    ) -> str:
        """The consensus of the reports' headlines and lead sentences (see `choose_title`)."""
        cands: list[TitleCandidate] = []
        for i in item_ids:
            it = items[i]
            doc = self.docs[it.doc]
            seg = self.state[it.doc].seg
            roundup = is_roundup(seg, doc.title or "")
            lines: list[str] = []
            if not roundup:
                first_body = seg.sentences[0].block if seg.sentences else 1 << 30
                if doc.title:
                    lines.append(" ".join(doc.title.split()))
                lines.extend(h for h, at in zip(seg.headings, seg.heading_at, strict=True) if at < first_body)
            else:
                lines.extend(
                    h
                    for h, at in zip(seg.headings, seg.heading_at, strict=True)
                    if it.prev_block < at < it.first_block
                )
            if lines:
                vecs = self.bank.matrix(it.doc, lines)
                cands.extend(TitleCandidate(t, it.doc, v) for t, v in zip(lines, vecs, strict=True))
            if it.sentences:  # the report's lead sentence says what happened, too
                k = it.sentences[0]
                cands.append(
                    TitleCandidate(
                        seg.sentences[k].text, it.doc, self._doc_vectors(it.doc)[k], headline=False
                    )
                )
        agree = None
        if cands:
            claims = [claim_of(c.text) for c in cands]
            vecs = np.stack([c.vector if c.vector is not None else centroid for c in cands])
            agree = support_probabilities(vecs, vecs, claims, claims, ctx, model)
        outlets = [self.state[c.doc].outlet for c in cands]
        marks = [loaded(c.text) for c in cands]
        title = choose_title(cands, centroid, lead, agree, outlets, marks, model.threshold)
        return title or lead_clause(lead)


def _diverse(docs: Sequence[int], outlets: Sequence[str], limit: int) -> list[int]:
    """Up to `limit` documents in the given order, one per outlet first, then the rest."""
    first: list[int] = []
    seen: set[str] = set()
    for d, o in zip(docs, outlets, strict=True):
        if o not in seen:
            seen.add(o)
            first.append(d)
    chosen = first[:limit]
    if len(chosen) < limit:
        taken = set(chosen)
        chosen.extend([d for d in docs if d not in taken][: limit - len(chosen)])
    order = {d: n for n, d in enumerate(docs)}
    return sorted(chosen, key=order.__getitem__)


def _at(values: np.ndarray | None, i: int) -> float:
    return float(values[i]) if values is not None else 0.0


def _overlap(a: frozenset[str], b: frozenset[str]) -> bool:
    if not a or not b:
        return False
    return len(a & b) / min(len(a), len(b)) >= 0.8


def summarize(
    documents: Sequence[Document],
    topic: Topic | None,
    options: SummaryOptions | None,
    embedder: Any,
    memo: dict[str, np.ndarray] | None = None,
) -> Briefing:
    """Run the pipeline once (the engine wraps this with its shared embedder and memo)."""
    return BriefingPipeline(embedder, documents, topic, options or SummaryOptions(), memo).run()
