"""Which sources support a bullet, and the briefing's numbered source list.

Citing is conservative: a source supports a bullet only if it carries the sentence itself
(or a syndicated copy of the article), or a sentence that is both very close in meaning and
shares the bullet's content words and every one of its numbers. A wrong citation is worse
than a missing one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from summarizer.model import Document, SourceRef
from summarizer.rank import content_tokens, token_overlap

if TYPE_CHECKING:
    from summarizer.quotes import QuoteCandidate

log = logging.getLogger(__name__)

SUPPORT_COSINE = 0.8
SUPPORT_TOKENS = 0.6
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def numbers(text: str) -> frozenset[str]:
    """Figures in a sentence, normalised ("1,000" → "1000")."""
    return frozenset(n.replace(",", "") for n in _NUMBER.findall(text))


@dataclass(frozen=True)
class Evidence:
    """The sentences of one document a bullet may be checked against."""

    doc: int
    vectors: np.ndarray  # (n, dim) unit rows
    tokens: Sequence[frozenset[str]]
    figures: Sequence[frozenset[str]]


def make_evidence(doc: int, texts: Sequence[str], vectors: np.ndarray) -> Evidence:
    return Evidence(doc, vectors, [frozenset(content_tokens(t)) for t in texts], [numbers(t) for t in texts])


def supports(
    bullet_vec: np.ndarray, bullet_tokens: frozenset[str], bullet_figures: frozenset[str], evidence: Evidence
) -> bool:
    """True when one sentence of the document says what the bullet says."""
    if not len(evidence.vectors):
        return False
    sims = evidence.vectors @ bullet_vec
    for k in np.nonzero(sims >= SUPPORT_COSINE)[0].tolist():
        if token_overlap(bullet_tokens, evidence.tokens[k]) < SUPPORT_TOKENS:
            continue
        if bullet_figures <= evidence.figures[k]:
            return True
    return False


class SourceList:
    """Gives each cited document a 1-based id in order of first citation."""

    def __init__(self, docs: Sequence[Document]) -> None:
        self._docs = docs
        self._ids: dict[int, int] = {}

    def cite(self, doc_indices: Iterable[int]) -> list[int]:
        """Ids for these documents (assigning new ids as needed), sorted, without repeats."""
        out = set()
        for d in doc_indices:
            if d not in self._ids:
                self._ids[d] = len(self._ids) + 1
            out.add(self._ids[d])
        return sorted(out)

    @property
    def cited(self) -> list[int]:
        """Document indices in id order."""
        return [d for d, _ in sorted(self._ids.items(), key=lambda kv: kv[1])]

    def refs(self, titles: dict[int, str] | None = None) -> list[SourceRef]:
        """The numbered list; `titles` replaces a document's title (one that was page chrome)."""
        titles = titles or {}
        refs = []
        for d, sid in sorted(self._ids.items(), key=lambda kv: kv[1]):
            doc = self._docs[d]
            refs.append(
                SourceRef(
                    sid,
                    titles.get(d, doc.title),
                    doc.url,
                    doc.outlet,
                    doc.published,
                    list(doc.labels),
                    doc.key,
                    doc.dated_by,
                )
            )
        return refs


def citation_order(doc_indices: Iterable[int], docs: Sequence[Document]) -> list[int]:
    """A stable order for a story's documents: oldest first, then by key."""
    floor = datetime.min.replace(tzinfo=UTC)

    def key(d: int) -> tuple[datetime, str, int]:
        p = docs[d].published
        if p is not None and p.tzinfo is None:
            p = p.replace(tzinfo=UTC)
        return (p or floor, docs[d].key, d)

    return sorted(set(doc_indices), key=key)


# --- quotes ------------------------------------------------------------------------------------------

MIN_QUOTE_CHARS = 25
MAX_QUOTE_CHARS = 400
QUOTE_REPEATS_BULLET = 0.6


@dataclass
class PickedQuote:
    """A verbatim quotation, its speaker (full name) and every story document that carries it."""

    text: str
    speaker: str | None
    docs: list[int]
    score: float = 0.0
    side: str | None = None  # the country or organisation the speaker speaks for, when the text says


SIDE_WINDOW = 120  # characters either side of a speaker's first mention read for whom they speak for
_TRAILING_MARKS = re.compile(r"[\s,;:]+[’']?$|[’']$")


def tidy_quote(text: str) -> str:
    """The quotation without punctuation that belongs to the sentence around it: a comma before the
    closing mark ("… territory,’”" -> "… territory"). A prefix of the original, so still verbatim."""
    t = text.strip()
    if t.endswith(("’", "'")) and t.count("‘") + t.count("'") - t.count("’") - 1 > 0:
        return t  # the closing mark ends a quotation opened inside: it belongs
    cut = _TRAILING_MARKS.sub("", t)
    return cut if len(cut) >= 0.8 * len(t) else t


def speaker_side(speaker: str | None, title: str | None, article: str, quote: str) -> str | None:
    """Whom a speaker speaks for: the country or organisation named nearest their name where the
    article introduces them, outside quotations ("In Beijing, foreign ministry spokesperson Gao
    Jianping said" -> "china", "NATO Secretary-General" -> "nato"). None when the text names none."""
    from summarizer.support import country_mentions
    from summarizer.wording import blank_quotations

    if title:
        found = country_mentions(title)
        if found:
            return found[0][1]
    if not speaker:
        return None
    plain = blank_quotations(article)  # a country named inside a quotation is not the speaker's side
    at = plain.find(speaker)
    if at < 0:
        at = plain.find(speaker.split()[-1])
    if at < 0:
        return None
    # the sentence that introduces them
    stop = plain.rfind(". ", 0, at)
    lo = max(stop + 2 if stop >= 0 else 0, plain.rfind("\n", 0, at) + 1, at - SIDE_WINDOW)
    ends = [e for e in (plain.find(". ", at), plain.find("\n", at)) if e >= 0]
    hi = min([*ends, at + len(speaker) + SIDE_WINDOW])
    found = country_mentions(plain[lo:hi])
    if not found:
        return None
    return min(found, key=lambda m: abs(m[0] + lo - at))[1]


def _speaker_named_in(speaker: str, text: str) -> bool:
    from summarizer.names import name_tokens

    toks = name_tokens(speaker)
    return bool(toks) and toks[-1] in text.casefold()


def pick_quotes(
    texts: dict[int, str],
    originals: dict[int, str],
    keys: dict[int, str],
    bullets: Sequence[str],
    matcher: Any | None,
    limit: int,
    extract_from: Sequence[int] | None = None,
    extract: Callable[[str], list[QuoteCandidate]] | None = None,
) -> list[PickedQuote]:
    """Up to `limit` attributed, verbatim quotes of one story, merged across its sources.

    `texts` are the story documents' normalised texts (what quotes are extracted from),
    `originals` their texts as received (what "verbatim" is checked against), `keys` their
    document keys; quotes are extracted from `extract_from` (default: all) and cited from every
    document that carries them; `extract` replaces `summarizer.quotes.extract_quotes` (the quote
    helper process of a one-shot command). A quote is dropped when its source gives the speaker an office another
    source gives to someone else, when it repeats a bullet, or when nobody is named as speaker
    (unless no attributed quote exists and it names the topic).
    """
    from summarizer.names import same_person
    from summarizer.quotes import conflicting_titles, extract_quotes, is_verbatim, normalize_for_match

    if limit <= 0 or not texts:
        return []
    by_doc: dict[int, list[Any]] = {}
    for d in extract_from if extract_from is not None else list(texts):
        text = texts[d]
        try:
            by_doc[d] = (extract or extract_quotes)(text)
        except Exception:  # quote extraction is best effort; a story without quotes is fine
            log.exception("quote extraction failed for %s", keys.get(d))
            by_doc[d] = []
    try:
        flagged = conflicting_titles(
            {keys[d]: c for d, c in by_doc.items()}, {keys[d]: t for d, t in texts.items()}
        )
    except Exception:
        log.exception("conflicting_titles failed; dropping this story's quotes to be safe")
        return []

    bullet_norm = [normalize_for_match(b).casefold() for b in bullets]
    bullet_tokens = [frozenset(content_tokens(b)) for b in bullets]
    all_bullet_tokens = frozenset().union(*bullet_tokens) if bullet_tokens else frozenset()
    groups: dict[str, PickedQuote] = {}
    speakers: dict[str, list[str]] = {}
    for d, cands in by_doc.items():
        for c in cands:
            q = tidy_quote(c.text)
            if not (MIN_QUOTE_CHARS <= len(q) <= MAX_QUOTE_CHARS) or len(q.split()) < 5:
                continue
            if c.speaker and (keys[d], c.speaker) in flagged:
                continue
            if not is_verbatim(q, originals[d]):
                continue
            if c.speaker and not _speaker_named_in(c.speaker, texts[d]):
                continue
            key = normalize_for_match(q).casefold()
            if any(key in b for b in bullet_norm):
                continue
            qt = frozenset(content_tokens(q))
            if any(token_overlap(qt, bt) >= QUOTE_REPEATS_BULLET for bt in bullet_tokens):
                continue
            g = groups.get(key)
            if g is None:
                g = groups[key] = PickedQuote(q, None, [])
                speakers[key] = []
            if c.speaker:
                speakers[key].append(c.speaker)
                g.side = g.side or speaker_side(c.speaker, c.speaker_title, texts[d], c.text)
            context = f"{q} {c.sentence}"
            score = 0.0
            if matcher is not None:
                score += 0.6 if matcher.matches(q) else (0.3 if matcher.matches(context) else 0.0)
            score += 0.5 * (len(qt & all_bullet_tokens) / max(1, len(qt)))
            score += 0.3 if 60 <= len(q) <= 300 else 0.0
            g.score = max(g.score, score)

    # Every source that carries the words verbatim is cited, not only the ones it was found in.
    all_speakers = [s for ss in speakers.values() for s in ss]
    picked: list[PickedQuote] = []
    ranked: list[PickedQuote] = []
    for key, g in groups.items():
        g.docs = sorted(d for d in texts if is_verbatim(g.text, originals[d]))
        if not g.docs:
            continue
        spk = _agreed_speaker(speakers[key], same_person)
        if spk is not None:
            # the fullest form of the name used anywhere in the story ("Rutte" -> "Mark Rutte")
            spk = max(
                (s for s in all_speakers if same_person(s, spk)), key=lambda s: (len(s.split()), len(s))
            )
        g.speaker = spk
        g.score += (1.0 if spk else 0.0) + 0.2 * (len(g.docs) - 1)
        ranked.append(g)
    ranked.sort(key=lambda g: (-g.score, g.text))
    attributed = [g for g in ranked if g.speaker]
    pool = attributed or [g for g in ranked if matcher is not None and matcher.matches(g.text)]
    # Every side first (a government and its counterpart: the best quote of each country or
    # organisation speaking, so topic scoring never drops the other side), then one quote per
    # speaker, then more from the same people if room is left.
    sides = {g.side for g in pool if g.side}
    for stage in ("side", "speaker", "any"):
        for g in pool:
            if len(picked) >= limit:
                break
            if g in picked:
                continue
            if stage == "side" and (len(sides) < 2 or not g.side or any(p.side == g.side for p in picked)):
                continue
            if stage == "speaker" and any(p.speaker == g.speaker for p in picked):
                continue
            gt = frozenset(content_tokens(g.text))
            if any(
                token_overlap(gt, frozenset(content_tokens(p.text))) >= QUOTE_REPEATS_BULLET for p in picked
            ):
                continue
            picked.append(g)
    picked.sort(key=lambda g: -g.score)
    return picked


def _agreed_speaker(found: list[str], same_person: Any) -> str | None:
    """The speaker all sources agree on; None when they name different people."""
    if not found:
        return None
    first = found[0]
    if all(same_person(first, s) for s in found[1:]):
        return max(found, key=lambda s: (len(s.split()), len(s)))
    return None
