"""Names and figures that identify an event: cheap, deterministic stand-ins for NER.

Used by story assignment (which names and figures two reports share) and by page-chrome detection.
"""

from __future__ import annotations

import re

# Runs of capitalised words joined by single spaces (texts are normalised), with "of", "de", … inside.
_NAME = re.compile(r"[A-Z][\w’'.-]*\w(?: (?:of |the |de |von |van |al |bin |for )?[A-Z][\w’'.-]*\w)*")
_NOT_NAMES = {
    "the",
    "a",
    "an",
    "in",
    "on",
    "at",
    "and",
    "but",
    "or",
    "if",
    "as",
    "this",
    "that",
    "these",
    "those",
    "he",
    "she",
    "it",
    "they",
    "we",
    "i",
    "you",
    "his",
    "her",
    "its",
    "their",
    "our",
    "my",
    "there",
    "meanwhile",
    "elsewhere",
    "however",
    "according",
    "after",
    "before",
    "while",
    "when",
    "since",
    "for",
    "from",
    "to",
    "with",
    "by",
    "of",
    "yet",
    "so",
    "also",
    "additionally",
    "although",
    "though",
    "some",
    "many",
    "several",
    "most",
    "one",
    "two",
    "three",
    "mr",
    "mrs",
    "ms",
    "dr",
    "president",
    "minister",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "today",
    "yesterday",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "what",
    "who",
    "why",
    "how",
    "where",
    "is",
    "are",
    "was",
    "were",
    "read",
}


# Last words that name a kind of thing, not one thing ("Red Sea" and "Black Sea" share only "sea").
_GENERIC_WORDS = """
sea ocean river strait canal gulf bay island islands ministry administration command council party
university agency bank union office department court committee forces force army navy guard times wire
news daily post radio nations states republic kingdom region province city county group company
organization organisation alliance summit talks fund authority service police government parliament
minister ministers president house street square airport port station every nobody
"""
_GENERIC = frozenset(_GENERIC_WORDS.split())
_MONTH_ABBR = frozenset(["jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"])
_DEMONYM = re.compile(r"^[\w'’-]+(?:ese|ian|ish|ean|ic)$")


def _possessive(word: str) -> str:
    return word[:-2] if word.endswith(("'s", "’s")) else word


def names(text: str, exclude: frozenset[str] = frozenset()) -> set[str]:
    """Capitalised phrases (people, places, organisations) as casefolded keys, plus a name's last word.

    Cheap stand-in for NER: "NATO Secretary-General Mark Rutte" yields "nato secretary-general mark
    rutte" and "rutte", so a later bare "Rutte" matches. Generic words, demonyms ("Chinese"),
    month abbreviations and `exclude` (outlet names) are left out: they do not identify an event.
    """
    out: set[str] = set()
    for m in _NAME.finditer(text):
        words = [w for w in m.group(0).split() if w.lower().strip(".’'") not in _NOT_NAMES]
        if not words:
            continue
        if len(words) == 1 and _starts_sentence(text, m.start()) and not words[0].isupper():
            continue  # "Officials said …": capitalised only because it opens the sentence
        phrase = _possessive(" ".join(words).casefold().strip(".’'"))
        if len(phrase) < 2 or phrase in exclude or phrase in _MONTH_ABBR or phrase in _GENERIC:
            continue
        if len(words) == 1 and _DEMONYM.match(phrase):
            continue
        out.add(phrase)
        last = _possessive(words[-1].casefold().strip(".’'"))
        if len(words) > 1 and len(last) > 2 and last not in _GENERIC and last not in exclude:
            out.add(last)
    return out


def _starts_sentence(text: str, at: int) -> bool:
    before = text[max(0, at - 3) : at].rstrip(" \"“‘'(")
    return not before or before[-1] in ".!?\n:"


_FIGURE = re.compile(r"\d+(?:[.,]\d+)*")


def figures(text: str) -> frozenset[str]:
    """The figures that identify an event (120 metres, 41 million tonnes): numbers above 12, not years."""
    out = set()
    for raw in _FIGURE.findall(text):
        n = raw.replace(",", "")
        if len(n) == 4 and n[:2] in ("19", "20") and n.isdigit():
            continue
        try:
            if float(n) <= 12:
                continue
        except ValueError:
            continue
        out.add(n)
    return frozenset(out)


_YEAR = re.compile(r"(?<![\d.,])(?:19|20)\d\d(?!\d|[.,]\d)")


def years(text: str) -> frozenset[int]:
    """The years a text names (1900-2099): reports of one event name the same year, if any, and two
    look-alike events years apart (two quakes on one island) name different ones."""
    return frozenset(int(y) for y in _YEAR.findall(text))


def distinctive_figures(found: frozenset[str]) -> frozenset[str]:
    """Figures unlikely to match by chance: 100 and above, or with decimals. Two-digit numbers
    ("24 hours", "day 25", "49%") recur across unrelated reports of the same kind."""
    return frozenset(f for f in found if "." in f or float(f) >= 100)
