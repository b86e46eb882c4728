"""Direct quotations and their speakers, with a verbatim guarantee (issue #4).

Readers trust briefbot only if no quote is ever invented, so every `QuoteCandidate.text` is a slice
of the article text it came from (`text[start:end]`), and a speaker is given only when the article
names that person and the attribution is unambiguous; otherwise `speaker` is None.

How it works:
1. A lexical scanner finds quote spans (“…”, "…", „…“, «…», top-level ‘…’; single quotes nested in
   double quotes stay inside the outer quote; a quote continued in the next paragraph by a new opening
   mark is one span). Scare quotes (fewer than 4 words with no speech verb right beside them) and
   titles of works or headlines are dropped.
2. spaCy (loaded once, lazily, see `summarizer.nlp`) parses only the paragraphs holding a kept quote,
   the paragraph before each (for "he said"), and small windows around earlier mentions of a speaker's
   surname (to find "Mark Rutte" and "NATO Secretary-General" for a bare "Rutte"). A character budget
   bounds the work on huge inputs; quotes past it keep speaker None.
3. Attribution, in order: a speech verb (said, told, warned, wrote, "according to" …) outside the
   quote in the quote's sentence, nearest first, whose subject is a person (a name, an appositive as in
   "the port's director, Samir Khalil, said", or he/she by the rule below; any other subject means
   "nobody we can name"); the sentence introducing a quote-only sentence ("X wrote:", or one naming a
   single person with a speech verb); else the previous quote's speaker in the same paragraph when no
   other person is named in between. Markup tags are blanked out first, keeping offsets.

Pronoun rule ("he said"/"she said"): the antecedent is the last person named as a grammatical subject
or as a quote's speaker in the previous sentences (up to four, without crossing unparsed text),
provided that exactly one such person is found there, that no *different* person is named between it
and the pronoun, and that the immediately preceding sentence does not name two different persons.
Persons named earlier in the pronoun's own sentence make it ambiguous unless they are all one person
who is that sentence's subject. A subject that may be a person we cannot name ("their spokesman", a
name the NER missed) on the way back also makes it ambiguous. Gender is not checked. A definite description ("the NATO chief said")
is resolved by the same rule and kept only if the person's title shares a word with its modifiers.
Persons named inside any quotation are never speakers or antecedents.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from summarizer import names
from summarizer.nlp import parse_many

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token


@dataclass(frozen=True)
class QuoteCandidate:
    text: str  # quoted words exactly as in the article (without the outer quote marks)
    speaker: str | None  # full name as named in the article ("Mark Rutte", not "Rutte"), or None
    start: int  # char offsets of `text` inside the article text given
    end: int
    sentence: str  # the sentence (or paragraph) that contains it, for context
    speaker_title: str | None = None  # e.g. "NATO Secretary-General" when the article gives one


# ---------------------------------------------------------------------------------------------------
# Normalisation and the verbatim check

_TRANSLATION = str.maketrans(
    {
        **dict.fromkeys("‘’‚‛′‹›", "'"),
        **dict.fromkeys("“”„‟«»″＂", '"'),
        **dict.fromkeys("‐‑‒–—―−", "-"),
        "…": "...",
        **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad", None),
    }
)
_WHITESPACE = re.compile(r"\s+")


def normalize_for_match(s: str) -> str:
    """Fold typographic variants so that a quote matches its source however either was typeset.

    Curly, low and angle quote marks become ' or ", dashes become -, … becomes ..., invisible
    characters go and runs of whitespace become one space. Character-wise, so the normal form of a
    slice is always a substring of the normal form of the whole.
    """
    return _WHITESPACE.sub(" ", s.translate(_TRANSLATION)).strip()


def is_verbatim(quote: str, source_text: str) -> bool:
    """True when `quote` appears word for word in `source_text` (up to `normalize_for_match`)."""
    q = normalize_for_match(quote)
    return bool(q) and q in normalize_for_match(source_text)


# ---------------------------------------------------------------------------------------------------
# Vocabulary


def _inflect(lemma: str) -> set[str]:
    if lemma.endswith(("s", "sh", "ch", "x", "z")):
        third = lemma + "es"
    elif lemma.endswith("y") and lemma[-2:-1] not in "aeiou":
        third = lemma[:-1] + "ies"
    else:
        third = lemma + "s"
    if lemma.endswith("e"):
        past, ing = lemma + "d", (lemma[:-1] if not lemma.endswith("ee") else lemma) + "ing"
    elif lemma.endswith("y") and lemma[-2:-1] not in "aeiou":
        past, ing = lemma[:-1] + "ied", lemma + "ing"
    else:
        past, ing = lemma + "ed", lemma + "ing"
    return {lemma, third, past, ing}


_SPEECH_LEMMAS = names.words(
    """
    say tell warn add claim stress note write explain argue insist state declare announce ask reply
    respond suggest emphasise emphasize acknowledge admit confirm deny predict recall urge caution
    tweet post comment continue conclude observe remark assert contend maintain agree complain vow
    pledge promise threaten joke quip testify describe proclaim concede allege exclaim mention
    reiterate underline underscore shout scoff retort counter"""
)
_IRREGULAR = {
    "say": {"said"},
    "tell": {"told"},
    "write": {"wrote", "written"},
    "admit": {"admitted", "admitting"},
    "quip": {"quipped", "quipping"},
}
SPEECH_FORMS: frozenset[str] = frozenset(
    f for lemma in _SPEECH_LEMMAS for f in _inflect(lemma) | _IRREGULAR.get(lemma, set())
) - {"admited", "admiting", "quiped", "quiping", "sayed", "telled", "writed"}
_SPEECH_RE = "|".join(sorted(SPEECH_FORMS, key=len, reverse=True))
# A speech verb right after a short quote: “No,” he said / “Never!” the minister replied.
_VERB_AFTER = re.compile(
    r"^[^\S\n]*[,.!?]?[^\S\n]*(?:[A-Z][\w'’-]*\.?[^\S\n]+|[\w'’-]+[^\S\n]+){0,4}?(?:" + _SPEECH_RE + r")\b",
    re.IGNORECASE,
)
# ... or right before it: Trump said: “No.” / she added, “Never.”
_VERB_BEFORE = re.compile(
    r"\b(?:" + _SPEECH_RE + r")\b(?:[^.!?\n“”\"]{0,25}[:,]|[^.!?\n“”\"]{0,30})\s*$", re.IGNORECASE
)
# Words before a quoted title of a work or a headline.
_TITLE_CUE = re.compile(
    r"\b(?:titled|entitled|headlined|headline|book|novel|film|movie|documentary|song|album|series|"
    r"show|programme|program|podcast|op-ed|essay|column|article|operation|codenamed|code-named|"
    r"hashtag|slogan|motto|banner|magazine|newspaper|poem|play|title|subject)\s*[:=,]?\s*$",
    re.IGNORECASE,
)
_SMALL_WORDS = names.words(
    "a an the of in on and or for to at by with from as but nor vs via de la le von van der"
)
_WORD = re.compile(r"[^\W_][\w'’-]*")
_PRONOUNS = frozenset({"he", "she"})
_ROLE_NOUNS = names.words(
    """chief leader head president minister chancellor premier secretary spokesman spokeswoman
    spokesperson ambassador envoy commander diplomat official boss"""
)
_SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass"})

# Limits that keep the work bounded on any input.
MAX_QUOTE_CHARS = 2000  # a "quote" longer than this is a stray mark, not a quotation
MAX_SINGLE_QUOTE_CHARS = 600
CONTEXT_BEFORE = 1500  # chars of a quote's paragraph parsed before it ...
CONTEXT_AFTER = 600  # ... and after it
PREVIOUS_PARAGRAPH_CHARS = 1000  # tail of the previous paragraph parsed for "he said"
MAX_PARSE_CHARS = 30_000  # spaCy budget per article (~1 s); quotes beyond it keep speaker None
MAX_PIECE_CHARS = 4000  # longer paragraphs are parsed in chunks
MAX_LOOKUP_NAMES = 8  # surnames looked up elsewhere in the article for full name and title
MAX_LOOKUP_HITS = 3
MAX_SENTENCES_BACK = 4

_DOUBLE_OPENERS = "“„‟«"
_DOUBLE_CLOSERS = "”»"
_ALL_MARKS = "“”„‟«»\"‘’‚‛‹›'"
_OPEN_AFTER = "([{<>—–-/" + _ALL_MARKS  # chars after which a mark may open a quote
_CLOSE_BEFORE = ".,;:!?)]}<>—–-…" + _ALL_MARKS  # chars before which a mark may close one
_DOUBLE_EVENTS = re.compile(r"[“”„‟«»\"\n]")
_SINGLE_EVENTS = re.compile(r"[‘’'‚‹›\n]")
_NON_SPACE = re.compile(r"\S")
_SENTENCE_END = re.compile(r"[.!?]\s+")
_MARKUP = re.compile(r"</?[A-Za-z][\w:-]*(?:\s[^<>]{0,500})?/?>|<!--[^>]{0,500}?-->")


# ---------------------------------------------------------------------------------------------------
# Lexical scanning of quote spans


def _can_open(text: str, i: int) -> bool:
    p = text[i - 1] if i > 0 else ""
    nx = text[i + 1] if i + 1 < len(text) else ""
    return (p == "" or p.isspace() or p in _OPEN_AFTER) and nx != "" and not nx.isspace()


def _can_close(text: str, i: int) -> bool:
    p = text[i - 1] if i > 0 else ""
    nx = text[i + 1] if i + 1 < len(text) else ""
    return p != "" and not p.isspace() and (nx == "" or nx.isspace() or nx in _CLOSE_BEFORE)


def _is_line_wrap(text: str, i: int, j: int) -> bool:
    """A single newline inside a sentence (hard-wrapped text) rather than a paragraph break."""
    if "\n" in text[i + 1 : j]:
        return False
    before = text[:i].rstrip()
    return bool(before) and before[-1] not in ".!?:…" + _ALL_MARKS


def _scan_double(text: str) -> list[tuple[int, int]]:
    """(open, close) indices of double-quote marks that pair up."""
    spans: list[tuple[int, int]] = []
    open_at, open_ch, skip = -1, "", -1
    for m in _DOUBLE_EVENTS.finditer(text):
        i, c = m.start(), m.group()
        if c == "\n":
            if open_at < 0:
                continue
            nxt = _NON_SPACE.search(text, i)
            j = nxt.start() if nxt else len(text)
            if j < len(text) and text[j] in _DOUBLE_OPENERS + '"' and _can_open(text, j):
                skip = j  # the quote goes on in the next paragraph, which reopens it
            elif not _is_line_wrap(text, i, j):
                open_at = -1  # never closed in its paragraph: not a quote
            continue
        if i == skip:
            continue
        can_open, can_close = _can_open(text, i), _can_close(text, i)
        if open_at < 0:
            if c in _DOUBLE_OPENERS:
                opens = can_open or not can_close
            elif c in _DOUBLE_CLOSERS:
                opens = can_open and not can_close  # ”…” as in Swedish
            else:
                opens = can_open
            if opens:
                open_at, open_ch = i, c
            continue
        if c in _DOUBLE_CLOSERS:
            closes = can_close or not can_open
        elif c in _DOUBLE_OPENERS:
            closes = (open_ch == "„" and c == "“") or (can_close and not can_open)
        else:
            closes = can_close or not can_open
        if closes:
            if i - open_at <= MAX_QUOTE_CHARS:
                spans.append((open_at, i))
            open_at = -1
        else:
            open_at, open_ch = i, c  # the earlier mark was never closed
    return spans


def _scan_single(text: str) -> list[tuple[int, int]]:
    """(open, close) indices of single-quote marks that pair up, apostrophes ignored."""
    spans: list[tuple[int, int]] = []
    open_at = -1
    for m in _SINGLE_EVENTS.finditer(text):
        i, c = m.start(), m.group()
        if c == "\n":
            open_at = -1
            continue
        p = text[i - 1] if i > 0 else ""
        nx = text[i + 1] if i + 1 < len(text) else ""
        if c in "’'" and p.isalnum() and nx.isalnum():
            continue  # apostrophe: don't, I’m
        if open_at < 0:
            if c in "‘‚‹'" and _can_open(text, i):
                open_at = i
            continue
        if c in "’›'" and _can_close(text, i):
            if i - open_at <= MAX_SINGLE_QUOTE_CHARS:
                spans.append((open_at, i))
            open_at = -1
        elif c in "‘‹" and _can_open(text, i):
            open_at = i
    return spans


def _quote_regions(text: str) -> list[tuple[int, int]]:
    """All top-level quoted regions (open mark, close mark), sorted and disjoint."""
    doubles = _scan_double(text)
    singles = _scan_single(text)
    d_opens = [o for o, _ in doubles]
    dropped: set[int] = set()
    kept_singles = []
    for so, sc in singles:
        k = bisect.bisect_right(d_opens, sc) - 1
        overlapping = []
        while k >= 0 and doubles[k][1] >= so:
            overlapping.append(k)
            k -= 1
        if all(so < doubles[x][0] and doubles[x][1] < sc for x in overlapping):
            kept_singles.append((so, sc))  # a double quote nested in a single one goes with it
            dropped.update(overlapping)
    regions = [d for x, d in enumerate(doubles) if x not in dropped] + kept_singles
    regions.sort()
    return regions


def _trim(text: str, o: int, c: int) -> tuple[int, int]:
    s, e = o + 1, c
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    if e > s and text[e - 1] == ",":  # “…,” he said: the comma belongs to the attribution
        e -= 1
        while e > s and text[e - 1].isspace():
            e -= 1
    return s, e


def _looks_like_title(words: Sequence[str], raw: str) -> bool:
    """Title Case or ALL CAPS without closing punctuation: a headline or a work, not speech."""
    if len(words) < 2 or raw.rstrip()[-1:] in (".", "!", "?", ",", "…", ";"):
        return False
    significant = [w for w in words if w.lower() not in _SMALL_WORDS]
    return bool(significant) and all(not w[0].isalpha() or w[0].isupper() for w in significant)


def _is_statement(text: str, o: int, c: int, s: int, e: int) -> bool:
    """Whether the quoted span is speech rather than a scare quote, a title or a headline."""
    inner = text[s:e]
    if not any(ch.isalpha() for ch in inner):
        return False
    raw = text[o + 1 : c]
    words = _WORD.findall(inner)
    if _looks_like_title(words, raw):
        return False
    if _TITLE_CUE.search(text, max(0, o - 40), o):
        return False
    if len(words) >= 4:
        return True
    if raw.rstrip()[-1:] not in (".", "!", "?", ",", "…"):
        return False  # 'Red Dawn', "opt-out": a few words used as a label
    after = text[c + 1 : c + 60]
    before = text[max(0, o - 40) : o]
    return bool(_VERB_AFTER.match(after) or _VERB_BEFORE.search(before))


# ---------------------------------------------------------------------------------------------------
# Parsed context


@dataclass
class _Mention:
    start: int  # char offset of the name (after any title)
    name: str
    role: str  # "subject" or "other"
    title: str | None = None


@dataclass
class _Sentence:
    start: int
    end: int
    piece: int
    tokens: list[Token] = field(default_factory=list)  # tokens outside quotations
    mentions: list[_Mention] = field(default_factory=list)
    speakers: list[tuple[int, str]] = field(default_factory=list)  # (quote open, speaker)
    # Subjects that may be people we cannot name ("their spokesman", an unrecognised name).
    unnamed: list[tuple[int, Token]] = field(default_factory=list)


@dataclass
class _Quote:
    open: int
    close: int
    start: int
    end: int
    speaker: str | None = None
    sentences: list[int] = field(default_factory=list)


class _Article:
    """Everything extract_quotes learns about one text."""

    def __init__(self, text: str) -> None:
        self.original = text
        # Markup tags are blanked out (same length, so offsets hold) before scanning and parsing:
        # quote marks in attributes are not quotes, and spaCy tokenises "said.</p>" badly.
        self.text = text = _MARKUP.sub(lambda m: " " * len(m.group()), text)
        self.regions = _quote_regions(text)
        self._r_opens = [o for o, _ in self.regions]
        self.quotes: list[_Quote] = []
        for o, c in self.regions:
            s, e = _trim(text, o, c)
            if e > s and _is_statement(text, o, c, s, e):
                self.quotes.append(_Quote(o, c, s, e))
        self.pieces: list[tuple[int, int]] = []
        self.piece_docs: list[Doc] = []
        self.sentences: list[_Sentence] = []
        self._s_starts: list[int] = []
        self.extra_mentions: list[_Mention] = []
        self.parsed_chars = 0
        self._ent_mention: dict[tuple[int, int], _Mention] = {}
        self._doc_piece: dict[int, int] = {}
        self._full_names: dict[str, str] = {}
        self._titles: dict[str, str | None] = {}
        self._known: dict[str, bool] = {}

    # -- geometry ------------------------------------------------------------------------------------
    def inside_quote(self, pos: int) -> bool:
        k = bisect.bisect_right(self._r_opens, pos) - 1
        return k >= 0 and pos <= self.regions[k][1]

    def strictly_inside_quote(self, pos: int) -> bool:
        """Inside a quotation but not at its opening mark (where a new sentence may start)."""
        k = bisect.bisect_right(self._r_opens, pos) - 1
        return k >= 0 and self.regions[k][0] < pos <= self.regions[k][1]

    def _line(self, pos: int) -> tuple[int, int]:
        start = self.text.rfind("\n", 0, pos) + 1
        end = self.text.find("\n", pos)
        return start, len(self.text) if end < 0 else end

    def _previous_line(self, line_start: int) -> tuple[int, int] | None:
        i = line_start - 1
        while i >= 0 and self.text[i].isspace():
            i -= 1
        if i < 0:
            return None
        return self._line(i)

    # -- parsing ----------------------------------------------------------------------------------------
    def parse(self) -> None:
        if not self.quotes:
            return
        intervals: list[tuple[int, int]] = []
        for q in self.quotes:
            first, last = self._line(q.open), self._line(q.close)
            a, b = max(first[0], q.open - CONTEXT_BEFORE), min(last[1], q.close + CONTEXT_AFTER)
            intervals.append((a, b))
            if a == first[0]:
                prev = self._previous_line(first[0])
                if prev is not None:
                    intervals.append((max(prev[0], prev[1] - PREVIOUS_PARAGRAPH_CHARS), prev[1]))
        pieces: list[tuple[int, int]] = []
        for a, b in _merge(intervals):
            for m in re.finditer(r"[^\n]+", self.text[a:b]):
                if m.group().strip():
                    pieces.extend(self._chunks(a + m.start(), a + m.end()))
        budget = MAX_PARSE_CHARS
        chosen = []
        for a, b in pieces:
            if b - a > budget:
                break
            budget -= b - a
            chosen.append((a, b))
        self.parsed_chars = MAX_PARSE_CHARS - budget
        docs = parse_many([self.text[a:b] for a, b in chosen])
        for (a, b), doc in zip(chosen, docs, strict=True):
            self._add_piece(a, b, doc)
        self._lookup_names()

    def _chunks(self, a: int, b: int) -> list[tuple[int, int]]:
        """Split an over-long paragraph after a sentence end outside quotes, so the budget fills up."""
        out = []
        while b - a > MAX_PIECE_CHARS:
            cut = -1
            for m in _SENTENCE_END.finditer(self.text, a + MAX_PIECE_CHARS // 2, a + MAX_PIECE_CHARS):
                if not self.inside_quote(m.start()):
                    cut = m.end()
            if cut < 0:
                space = self.text.rfind(" ", a + 1, a + MAX_PIECE_CHARS)
                cut = space if space > a else a + MAX_PIECE_CHARS
            out.append((a, cut))
            a = cut
        out.append((a, b))
        return [(x, y) for x, y in out if self.text[x:y].strip()]

    def _add_piece(self, a: int, b: int, doc: Doc) -> None:
        index = len(self.pieces)
        self.pieces.append((a, b))
        self.piece_docs.append(doc)
        self._doc_piece[id(doc)] = index
        starts = [a + s.start_char for s in doc.sents]
        starts = [s for i, s in enumerate(starts) if i == 0 or not self.strictly_inside_quote(s)]
        first = len(self.sentences)
        for i, s in enumerate(starts):
            end = starts[i + 1] if i + 1 < len(starts) else b
            self.sentences.append(_Sentence(s, end, index))
        local = [x.start for x in self.sentences[first:]]
        for tok in doc:
            pos = a + tok.idx
            if tok.is_space or self.inside_quote(pos):
                continue
            k = first + bisect.bisect_right(local, pos) - 1
            self.sentences[max(k, first)].tokens.append(tok)
        for mention, ent in self._mentions(doc, a):
            self._ent_mention[(index, ent.start)] = mention
            k = first + bisect.bisect_right(local, mention.start) - 1
            self.sentences[max(k, first)].mentions.append(mention)
        appositive_people = [e.root.i for e in doc.ents if e.label_ == "PERSON" and e.root.dep_ == "appos"]
        for sentence in self.sentences[first:]:
            for tok in sentence.tokens:
                if tok.dep_ not in _SUBJECT_DEPS:
                    continue
                role_noun = tok.pos_ == "NOUN" and tok.tag_ == "NN" and tok.lower_ in names.PERSON_NOUNS
                if role_noun and any(tok.left_edge.i <= i <= tok.right_edge.i for i in appositive_people):
                    continue
                if role_noun or (tok.pos_ == "PROPN" and tok.ent_type_ == "" and tok.text[:1].isupper()):
                    sentence.unnamed.append((a + tok.idx, tok))
        self._s_starts = [x.start for x in self.sentences]

    def _mentions(self, doc: Doc, offset: int) -> list[tuple[_Mention, Span]]:
        out = []
        for ent in doc.ents:
            if ent.label_ != "PERSON" or self.inside_quote(offset + ent.start_char):
                continue
            mention = _person_mention(doc, ent, offset, self)
            if mention is not None:
                out.append((mention, ent))
        return out

    def _lookup_names(self) -> None:
        """Parse small windows around earlier mentions of surnames to learn full names and titles."""
        wanted: list[str] = []
        mentions = sorted(
            (m for s in self.sentences for m in s.mentions), key=lambda m: (m.role != "subject", m.start)
        )
        for m in mentions:
            if m.title and len(names.name_tokens(m.name)) > 1:
                continue
            if not any(names.same_person(m.name, w) for w in wanted):
                wanted.append(m.name)
        for s in self.sentences:  # proper-noun subjects of speech verbs that NER missed
            for tok in s.tokens:
                if tok.lower_ in SPEECH_FORMS:
                    subj = _direct_subject(tok)
                    if (
                        subj is not None
                        and subj.pos_ == "PROPN"
                        and subj.text[:1].isupper()
                        and not any(names.same_person(subj.text, w) for w in wanted)
                    ):
                        wanted.append(subj.text)
        windows: list[tuple[int, int]] = []
        for name in wanted[:MAX_LOOKUP_NAMES]:
            windows.extend(self._name_windows(name))
        windows = [w for w in _merge(windows) if not self._parsed(w[0])]
        budget = MAX_PARSE_CHARS - self.parsed_chars
        chosen = []
        for a, b in windows:
            if b - a > budget:
                break
            budget -= b - a
            chosen.append((a, b))
        self.parsed_chars = MAX_PARSE_CHARS - budget
        if not chosen:
            return
        for (a, _b), doc in zip(chosen, parse_many([self.text[a:b] for a, b in chosen]), strict=True):
            self.extra_mentions.extend(m for m, _ in self._mentions(doc, a))

    def _name_windows(self, name: str) -> list[tuple[int, int]]:
        words = name.split()
        if not words:
            return []
        out: list[tuple[int, int]] = []
        needle = words[-1] if len(words) == 1 else name
        pattern = re.compile(r"(?<![\w-])" + re.escape(needle) + r"(?![\w-])")
        looked = 0
        for m in pattern.finditer(self.text):
            looked += 1
            if looked > 50 or len(out) >= MAX_LOOKUP_HITS:
                break
            before = self.text[max(0, m.start() - 80) : m.start()]
            if not re.search(r"(?:[A-Z][\w'’.-]*\s+){1,4}$", before):
                continue
            line = self._line(m.start())
            out.append((max(line[0], m.start() - 200), min(line[1], m.end() + 100)))
        return out

    def _parsed(self, pos: int) -> bool:
        return any(a <= pos < b for a, b in self.pieces)

    # -- attribution --------------------------------------------------------------------------------------
    def sentence_index(self, pos: int) -> int:
        k = bisect.bisect_right(self._s_starts, pos) - 1
        if k < 0 or pos >= self.sentences[k].end + 1:
            return -1
        return k

    def contiguous(self, k: int) -> bool:
        """Whether sentence k directly precedes sentence k+1 (no unparsed text in between)."""
        a, b = self.sentences[k], self.sentences[k + 1]
        return not self.text[a.end : b.start].strip()

    def attribute(self) -> None:
        previous: _Quote | None = None
        for q in self.quotes:
            k0, k1 = self.sentence_index(q.open), self.sentence_index(q.close)
            if k0 < 0 or k1 < 0:
                previous = None
                continue
            q.sentences = list(range(k0, k1 + 1))
            window = [t for k in q.sentences for t in self.sentences[k].tokens]
            decided, speaker = self._from_verbs(window, q.open, q.close)
            if not decided and all(t.is_punct for t in window):
                decided, speaker = self._from_introduction(k0, q.open)
            if not decided and previous is not None and previous.speaker:
                speaker = self._continuation(previous, q)
            q.speaker = speaker
            if speaker:
                self.sentences[k0].speakers.append((q.open, speaker))
            previous = q

    def _from_verbs(self, window: Sequence[Token], o: int, c: int) -> tuple[bool, str | None]:
        """Speaker from the nearest speech verb with a subject; (False, None) when there is none."""
        verbs = [t for t in window if _is_speech_token(t)]
        verbs.sort(key=lambda t: _distance(self._pos(t), o, c))
        for verb in verbs:
            subj = _pobj_of_according(verb) if verb.lower_ == "according" else _subject(verb)
            if subj is None or self.inside_quote(self._pos(subj)):
                continue
            return True, self._person_for(subj)
        return False, None

    def _from_introduction(self, k0: int, o: int) -> tuple[bool, str | None]:
        """A quote-only sentence is introduced by the sentence before ("Medvedev wrote on X:")."""
        if k0 == 0 or not self.contiguous(k0 - 1):
            return False, None
        prev = self.sentences[k0 - 1]
        colon = self.text[prev.start : o].rstrip().endswith(":")
        if "\n" in self.text[prev.start : o] and not colon:
            return False, None
        people = _distinct([m.name for m in prev.mentions] + [n for _, n in prev.speakers])
        if not colon and len(people) + len(self._unnamed_people(prev)) > 1:
            return False, None  # "Berg said X, but Lind disagreed. “…”": whose words?
        decided, speaker = self._from_verbs(prev.tokens, o, o)
        if decided or not colon:
            return decided, speaker
        roots = [t for t in prev.tokens if t.dep_ == "ROOT"]
        for root in roots:
            subj = _direct_subject(root)
            if subj is not None:
                return True, self._person_for(subj)
        return False, None

    def _continuation(self, previous: _Quote, q: _Quote) -> str | None:
        """Back-to-back quotes in one paragraph are one speaker's unless someone else is named."""
        between = self.text[previous.close : q.open]
        if "\n" in between or previous.speaker is None:
            return None
        for k in range(self.sentence_index(previous.close), self.sentence_index(q.open) + 1):
            s = self.sentences[k]
            for m in s.mentions:
                if previous.close < m.start < q.open and not names.same_person(m.name, previous.speaker):
                    return None
            if any(previous.close < p < q.open for p, _ in self._unnamed_people(s)):
                return None
        return previous.speaker

    def _unnamed_people(self, s: _Sentence, before: int | None = None) -> list[tuple[int, Token]]:
        """Subjects in `s` that may be a person other than the named ones (which blocks "he said")."""
        return [
            (p, tok)
            for p, tok in s.unnamed
            if (before is None or p < before) and (tok.pos_ == "NOUN" or not self._known_person(tok.text))
        ]

    def _pos(self, tok: Token) -> int:
        return self.pieces[self._piece_of(tok.doc)][0] + tok.idx

    def _piece_of(self, doc: Doc) -> int:
        index = self._doc_piece.get(id(doc))
        if index is None or self.piece_docs[index] is not doc:
            raise LookupError("token from a document this article did not parse")
        return index

    def _person_for(self, tok: Token) -> str | None:
        """The person a subject token names, resolving he/she and "the NATO chief"; None if not a person."""
        piece = self._piece_of(tok.doc)
        if tok.ent_type_ == "PERSON":
            for ent in tok.doc.ents:
                if ent.start <= tok.i < ent.end:
                    mention = self._ent_mention.get((piece, ent.start))
                    return mention.name if mention else None
        if tok.pos_ in ("PROPN", "NOUN") and tok.text[:1].isupper():
            # The small model sometimes tags a sentence-initial surname as a noun, or a name as a
            # place ("Lydia Park"): an appositive like "chief economist" still marks a person.
            institution = any(c.dep_ == "det" for c in tok.children)  # "the Kremlin said"
            if (
                (tok.pos_ == "PROPN" and tok.ent_type_ in ("", "PERSON") and not institution)
                or self._known_person(tok.text)
                or any(c.dep_ == "appos" and c.lower_ in names.PERSON_NOUNS for c in tok.children)
            ):
                return _compound_name(tok)
            if tok.pos_ == "PROPN":
                return None
        if tok.pos_ == "NOUN":
            # "the authority's chairman, Adel Mansour, said": the person is the subject's appositive.
            appositives = {
                self._ent_mention[(piece, ent.start)].name
                for ent in tok.doc.ents
                if ent.label_ == "PERSON"
                and ent.root.dep_ == "appos"
                and tok.left_edge.i <= ent.root.i <= tok.right_edge.i
                and (piece, ent.start) in self._ent_mention
            }
            if len(_distinct(appositives)) == 1:
                return max(appositives, key=len)
        if tok.lower_ in _PRONOUNS:
            return self._antecedent(self._pos(tok))
        if tok.pos_ == "NOUN" and tok.lower_ in _ROLE_NOUNS and any(c.lower_ == "the" for c in tok.children):
            qualifiers = [c.text.lower() for c in tok.children if c.dep_ in ("compound", "amod")]
            person = self._antecedent(self._pos(tok))
            title = self.title_of(person) if person else None
            if person and title and set(qualifiers) & set(names.normalize_title(title).split()):
                return person
        return None

    def _known_person(self, word: str) -> bool:
        """Whether `word` names a person recognised elsewhere in the article (cached after parsing)."""
        if word not in self._known:
            people = dict.fromkeys(m.name for m in self.all_mentions())
            self._known[word] = any(names.same_person(word, m) for m in people)
        return self._known[word]

    def all_mentions(self) -> Iterable[_Mention]:
        for s in self.sentences:
            yield from s.mentions
        yield from self.extra_mentions

    def _antecedent(self, pos: int) -> str | None:
        """The pronoun rule in the module docstring."""
        k = self.sentence_index(pos)
        if k < 0:
            return None
        cur = self.sentences[k]
        if self._unnamed_people(cur, before=pos):
            return None
        prefix = [(m.name, m.role) for m in cur.mentions if m.start < pos]
        prefix += [(name, "speaker") for p, name in cur.speakers if p < pos]
        if prefix:
            people = _distinct(n for n, _ in prefix)
            if len(people) == 1 and any(role != "other" for _, role in prefix):
                return people[0]
            return None
        seen: list[str] = []
        j = k - 1
        while j >= 0 and k - j <= MAX_SENTENCES_BACK and self.contiguous(j):
            s = self.sentences[j]
            named = [m.name for m in s.mentions] + [n for _, n in s.speakers]
            if (j == k - 1 and len(_distinct(named)) >= 2) or self._unnamed_people(s):
                return None
            salient = _distinct(
                [m.name for m in s.mentions if m.role == "subject"] + [n for _, n in s.speakers]
            )
            if salient:
                if len(salient) == 1 and all(names.same_person(salient[0], x) for x in seen):
                    return salient[0]
                return None
            seen.extend(named)
            j -= 1
        return None

    # -- names --------------------------------------------------------------------------------------------
    def full_name(self, name: str) -> str:
        if name not in self._full_names:
            known = dict.fromkeys(m.name for m in self.all_mentions())
            self._full_names[name] = names.resolve_full_name(name, known) or name
        return self._full_names[name]

    def title_of(self, name: str) -> str | None:
        full = self.full_name(name)
        if full not in self._titles:
            self._titles[full] = None
            for m in sorted(self.all_mentions(), key=lambda m: m.start):
                if m.title and self.full_name(m.name) == full:
                    self._titles[full] = m.title
                    break
        return self._titles[full]

    def candidates(self) -> list[QuoteCandidate]:
        out = []
        normalized_source = normalize_for_match(self.original)
        for q in self.quotes:
            speaker = self.full_name(q.speaker) if q.speaker else None
            title = self.title_of(speaker) if speaker else None
            if q.sentences:
                a = self.sentences[q.sentences[0]].start
                b = self.sentences[q.sentences[-1]].end
            else:
                line_a, line_b = self._line(q.open)[0], self._line(q.close)[1]
                a, b = max(line_a, q.open - 300), min(line_b, q.close + 300)
            text = self.original[q.start : q.end]
            normalized = normalize_for_match(text)
            if normalized and normalized in normalized_source:  # true by construction; never trust it
                context = self.original[a:b].strip()
                out.append(QuoteCandidate(text, speaker, q.start, q.end, context, title))
        return out


# ---------------------------------------------------------------------------------------------------
# Token helpers


def _merge(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _distance(pos: int, o: int, c: int) -> int:
    if o <= pos <= c:
        return 0
    return min(abs(pos - o), abs(pos - c))


def _is_speech_token(tok: Token) -> bool:
    if tok.lower_ == "according":
        return tok.i + 1 < len(tok.doc) and tok.doc[tok.i + 1].lower_ == "to"
    if tok.lower_ not in SPEECH_FORMS:
        return False
    return tok.pos_ in ("VERB", "AUX") or (tok.pos_ == "NOUN" and tok.lower_.endswith("ing"))


def _direct_subject(tok: Token) -> Token | None:
    for child in tok.children:
        if child.dep_ in _SUBJECT_DEPS:
            return child
    return None


def _subject(verb: Token) -> Token | None:
    """The verb's subject; for "X smiled and added" the first verb's; for "..., saying" the main clause's."""
    tok = verb
    for _ in range(3):
        subj = _direct_subject(tok)
        if subj is not None:
            return subj
        if tok.dep_ == "conj" and tok.head is not tok:
            tok = tok.head
            continue
        if tok.lower_.endswith("ing") or tok.dep_ in ("advcl", "xcomp"):
            root = tok.sent.root
            return _direct_subject(root) if root is not tok else None
        return None
    return None


def _pobj_of_according(tok: Token) -> Token | None:
    to = tok.doc[tok.i + 1]
    for child in to.children:
        if child.dep_ == "pobj":
            return child
    return None


def _compound_name(tok: Token) -> str | None:
    parts = [c for c in tok.lefts if c.dep_ == "compound" and c.pos_ == "PROPN" and c.text[:1].isupper()]
    words = [t.text for t in [*parts, tok]]
    skip = names.split_leading_title(words)
    words = words[skip:]
    if not words or names.is_office_word(words[-1]):
        return None
    return " ".join(words)


def _is_cap(tok: Token) -> bool:
    return tok.text[:1].isupper() and any(ch.isalpha() for ch in tok.text)


def _person_mention(doc: Doc, ent: Span, offset: int, article: _Article) -> _Mention | None:
    """A PERSON entity as a name plus the office title written before it, if any."""
    words = [t.text for t in ent]
    k = names.split_leading_title(words)
    while k < len(ent) and ent[k].pos_ in ("PART", "PUNCT"):
        k += 1
    if k >= len(ent):
        return None
    name_tokens = list(ent[k:])
    while name_tokens and (name_tokens[-1].pos_ in ("PART", "PUNCT") or name_tokens[-1].text in ("'s", "’s")):
        name_tokens.pop()
    if not name_tokens or not _is_cap(name_tokens[0]):
        return None
    name = doc.text[name_tokens[0].idx : name_tokens[-1].idx + len(name_tokens[-1].text)]
    # Title: tokens inside the entity before the name, and capitalised words written before it.
    i = ent.start - 1
    first = ent.start
    while i >= 0:
        t = doc[i]
        if article.inside_quote(offset + t.idx) or t.ent_type_ in ("PERSON", "DATE", "TIME"):
            break
        if t.lower_ in names.TITLE_MODIFIERS:
            first = i
            break
        hyphen = t.text in ("-", "‐", "‑") and i > 0 and _is_cap(doc[i - 1])
        word = _is_cap(t) and t.pos_ in ("PROPN", "NOUN", "ADJ", "X", "NUM")
        joiner = t.lower_ in ("of", "for") and i > 0 and _is_cap(doc[i - 1]) and first == i + 1
        if not (hyphen or word or joiner):
            break
        first = i
        i -= 1
    while first < ent.start + k and doc[first].lower_ in ("of", "for"):
        first += 1
    title_tokens = list(doc[first : ent.start + k])
    title = None
    if any(names.is_office_word(t.text) for t in title_tokens):
        title = doc.text[title_tokens[0].idx : title_tokens[-1].idx + len(title_tokens[-1].text)]
    role = "subject" if ent.root.dep_ in _SUBJECT_DEPS else "other"
    if ent.root.dep_ == "appos":  # "The commander of the fleet, Admiral Tomas Reyes, said"
        head = ent.root.head
        for _ in range(6):
            if head.dep_ in _SUBJECT_DEPS:
                role = "subject"
            if role == "subject" or head.pos_ in ("VERB", "AUX") or head.head is head:
                break
            head = head.head
    return _Mention(offset + name_tokens[0].idx, name, role, title)


def _distinct(items: Iterable[str]) -> list[str]:
    """One representative (the longest form) per person."""
    groups: list[list[str]] = []
    for n in items:
        for g in groups:
            if names.same_person(n, g[0]):
                g.append(n)
                break
        else:
            groups.append([n])
    return [max(g, key=len) for g in groups]


# ---------------------------------------------------------------------------------------------------
# Public API


def extract_quotes(text: str) -> list[QuoteCandidate]:
    """Direct quotations in `text`, in order, each a verbatim slice with its speaker if unambiguous."""
    if not isinstance(text, str) or not text:
        return []
    article = _Article(text)
    article.parse()
    article.attribute()
    return article.candidates()


def conflicting_titles(
    candidates_by_source: Mapping[str, list[QuoteCandidate]], texts: Mapping[str, str]
) -> set[tuple[str, str]]:
    """(source_key, speaker) pairs whose title→person mapping disagrees with the other sources.

    Catches the "wrong office-holder" failure: one article of a story names "NATO Secretary-General
    Jens Stoltenberg" while the others name Mark Rutte. Only specific titles count (an office plus a
    qualifier such as "NATO"), and "former ..." titles never conflict. The majority is the person
    named by the most sources; when two persons tie, every side is flagged, because a briefing
    cannot tell which source is right.
    """
    titles: dict[str, str] = {}  # normalized -> a written form
    for cands in candidates_by_source.values():
        for c in cands:
            title = c.speaker_title
            if c.speaker and title and not names.is_former(title) and names.is_specific_title(title):
                titles.setdefault(names.normalize_title(title), title)
    flagged: set[tuple[str, str]] = set()
    keys = list(dict.fromkeys([*candidates_by_source, *texts]))
    for norm in titles:
        holders: dict[str, list[str]] = {}  # source -> persons it gives the title to
        for key in keys:
            persons = _title_holders(norm, texts.get(key, ""))
            for c in candidates_by_source.get(key, []):
                title = c.speaker_title
                if (
                    c.speaker
                    and title
                    and names.normalize_title(title) == norm
                    and not names.is_former(title)
                ):
                    persons.append(c.speaker)
            if persons:
                holders[key] = _distinct(persons)
        clusters: list[tuple[str, set[str]]] = []  # (person, sources)
        for key, persons in holders.items():
            for p in persons:
                for name, sources in clusters:
                    if names.same_person(name, p):
                        sources.add(key)
                        break
                else:
                    clusters.append((p, {key}))
        if len(clusters) < 2:
            continue
        counts = sorted((len(s) for _, s in clusters), reverse=True)
        top = counts[0]
        unique_majority = counts[1] < top
        for person, sources in clusters:
            if unique_majority and len(sources) == top:
                continue
            for key in sources:
                said = [c.speaker for c in candidates_by_source.get(key, []) if c.speaker]
                matches = [s for s in said if names.same_person(s, person)]
                flagged.update((key, s) for s in (matches or [person]))
    return flagged


def _title_holders(norm_title: str, text: str) -> list[str]:
    """Names written right after the title in `text` ("NATO Secretary General Mark Rutte")."""
    if not text:
        return []
    words = norm_title.split()
    pattern = r"[\s\-‐‑–]+".join(_title_word_pattern(w) for w in words)
    found = []
    regex = re.compile(
        r"(?<![\w-])(" + pattern + r")\s+((?:[A-Z][\w'’-]+)(?:\s+[A-Z][\w'’-]+){0,2})", re.IGNORECASE
    )
    for m in regex.finditer(text):
        before = text[max(0, m.start() - 12) : m.start()].lower().split()
        if before and before[-1].strip("-") in names.FORMER_MARKERS | {"ex"}:
            continue
        name_words = m.group(2).split()
        # Case-insensitive matching lets lower-case words in; a name is capitalised.
        kept = []
        for w in name_words:
            if not w[:1].isupper() or names.is_office_word(w):
                break
            kept.append(w)
        if kept:
            found.append(" ".join(kept))
    return found


def _title_word_pattern(word: str) -> str:
    if word == "us":
        return r"(?:U\.?S\.?A?|United\s+States)"
    if word == "uk":
        return r"(?:U\.?K\.?|United\s+Kingdom|Britain)"
    return re.escape(word)


__all__ = [
    "QuoteCandidate",
    "conflicting_titles",
    "extract_quotes",
    "is_verbatim",
    "normalize_for_match",
]
