"""Person-name and office-title helpers shared by quote attribution.

Pure string work (no spaCy) so that the rules for "is this the same person" and "is this an office
title" live in one place and can be tested on their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence


# Words that make up office titles ("NATO Secretary-General", "US President", "Foreign Minister").
def words(block: str) -> frozenset[str]:
    """A word list written as one whitespace-separated block."""
    return frozenset(block.split())


OFFICE_WORDS = words(
    """
    president vice prime minister secretary general secretary-general chancellor premier senator sen
    rep representative congressman congresswoman governor gov mayor king queen prince princess crown
    emperor pope sheikh emir sultan ayatollah ambassador envoy commissioner chief director head
    spokesman spokeswoman spokesperson foreign defence defense interior finance deputy acting interim
    admiral gen lt col colonel major captain capt sgt sergeant commander marshal dr professor prof
    judge justice chairman chairwoman chair ceo leader speaker lord lady sir dame archbishop bishop
    cardinal rabbi imam patriarch historian analyst economist lawmaker mp mep adviser advisor aide
    attorney chairperson executive officer minister-president vice-president under-secretary
    """
)
# Nouns that describe a person in an appositive ("Lydia Park, chief Asia economist, said").
PERSON_NOUNS = OFFICE_WORDS | words(
    """economist analyst expert researcher scientist fellow academic resident owner worker farmer
    fisherman activist lawyer doctor nurse teacher student witness survivor diplomat official
    strategist commentator columnist writer author founder partner manager engineer pilot captain
    """
)
HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "mx", "messrs", "mme", "herr", "frau"})
# Lower-case words that may precede a title and belong to it ("former President ...").
TITLE_MODIFIERS = frozenset({"former", "ex", "ex-", "then", "then-", "acting", "interim", "late", "outgoing"})
FORMER_MARKERS = frozenset({"former", "ex", "ex-", "then", "then-", "late", "erstwhile", "previous"})

_WORD = re.compile(r"[^\W_][\w'’.]*", re.UNICODE)
_ALIASES = {"u.s.": "us", "u.s": "us", "usa": "us", "u.k.": "uk", "u.n.": "un", "e.u.": "eu"}


def _bare(word: str) -> str:
    return word.lower().strip(".'’")


def is_office_word(word: str) -> bool:
    """True for words that form office titles ("Secretary-General", "President", "Minister")."""
    w = _bare(word)
    if w in OFFICE_WORDS:
        return True
    parts = [p for p in w.split("-") if p]
    return len(parts) > 1 and all(p in OFFICE_WORDS for p in parts)


def is_honorific(word: str) -> bool:
    """Mr/Mrs/Ms: dropped from names but not a title."""
    return _bare(word) in HONORIFICS


def name_tokens(name: str) -> list[str]:
    """Lower-cased words of a name, without possessive endings, for comparisons."""
    out = []
    for w in _WORD.findall(name):
        w = w.lower()
        for suffix in ("'s", "’s"):
            if w.endswith(suffix):
                w = w[: -len(suffix)]
        w = w.strip(".'’")
        if w:
            out.append(w)
    return out


def same_person(a: str, b: str) -> bool:
    """Whether two name forms from one story plausibly mean one person.

    "Rutte" ~ "Mark Rutte", "Xi" ~ "Xi Jinping", "Vladimir Putin" ~ "Vladimir Vladimirovich Putin".
    """
    ta, tb = name_tokens(a), name_tokens(b)
    if not ta or not tb:
        return False
    if ta == tb:
        return True
    short, long_ = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
    if len(short) == 1:
        return short[0] in (long_[0], long_[-1])
    if long_[-len(short) :] == short or long_[: len(short)] == short:
        return True
    return short[0] == long_[0] and short[-1] == long_[-1]


def resolve_full_name(short: str, names: Iterable[str]) -> str | None:
    """The one longer form of `short` among `names` (e.g. "Rutte" -> "Mark Rutte"), or None.

    None when no longer form exists, or when two different people share the short form
    ("Trump" with both "Donald Trump" and "Melania Trump").
    """
    n_short = len(name_tokens(short))
    longer = [n for n in names if len(name_tokens(n)) > n_short and same_person(short, n)]
    if not longer:
        return None
    groups: list[list[str]] = []
    for n in longer:
        for g in groups:
            if all(same_person(n, m) and _compatible(n, m) for m in g):
                g.append(n)
                break
        else:
            groups.append([n])
    if len(groups) != 1:
        return None
    # The first full form used in the article, unless a longer variant adds nothing but middle names.
    return groups[0][0]


def _compatible(a: str, b: str) -> bool:
    """Two full names are one person when neither adds a different first name."""
    ta, tb = name_tokens(a), name_tokens(b)
    return ta[0] == tb[0] or (ta[-1] == tb[-1] and (len(ta) == 1 or len(tb) == 1))


def split_leading_title(words: Sequence[str]) -> int:
    """How many leading words of a name-like span are title words (NER sometimes includes them)."""
    i = 0
    while i < len(words) - 1:
        w = words[i]
        if is_office_word(w) or is_honorific(w) or w in {"-", "‐", "‑"} or _is_acronym(w):
            i += 1
            continue
        break
    return i


def _is_acronym(word: str) -> bool:
    letters = word.replace(".", "")
    return len(letters) >= 2 and letters.isalpha() and letters.isupper()


def normalize_title(title: str) -> str:
    """Comparable form of an office title: "NATO Secretary-General" == "Nato Secretary General"."""
    words = [_ALIASES.get(w.lower(), w.lower()) for w in re.split(r"[\s\-‐‑–—]+", title.strip()) if w]
    words = [w.strip(".,'’") for w in words]
    return " ".join(w for w in words if w and w not in TITLE_MODIFIERS)


def is_former(title: str) -> bool:
    """A "former NATO Secretary-General" is a past holder, so never conflicts with a current one."""
    words = re.split(r"[\s]+", title.strip().lower())
    return bool(words) and (words[0] in FORMER_MARKERS or words[0].startswith(("ex-", "then-")))


def is_specific_title(title: str) -> bool:
    """A title that names one office: an office word plus a qualifier ("NATO", "US", "Ukrainian").

    Bare "President" or "Secretary-General" is held by many people at once, so it cannot conflict.
    """
    words = normalize_title(title).split()
    has_office = any(w in OFFICE_WORDS for w in words)
    has_qualifier = any(w not in OFFICE_WORDS and w not in {"of", "for", "the"} for w in words)
    return has_office and has_qualifier
