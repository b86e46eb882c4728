"""How a sentence reads as a bullet: does it stand alone, how loaded is it, where are its clauses.

A bullet is read without the article around it, so a sentence that opens by pointing back ("It",
"This", "They", "Meanwhile") or names nobody and nothing ("Countries that do not take part will be
able to join later.") cannot be one. When several outlets state a fact, the plainest statement is
shown: editorial phrasing ("sounding the alarm", "has gone full 'Red Dawn'") and an outlet speaking
in its own voice ("the timing couldn't be more critical", "you", "!") are kept only for a fact no
other outlet states. Everything is judged outside quotation marks: a speaker's words are theirs.
"""

from __future__ import annotations

import re

# Openers that lean on the sentence before.
_DEPENDENT = re.compile(
    r"^(?:it|its|this|that|these|those|they|them|their|he|she|his|her|him|such|but|and|so|yet|also|"
    r"however|meanwhile|elsewhere|separately|additionally|moreover|furthermore|still|then|instead|"
    r"likewise|similarly|nonetheless|nevertheless|besides|both|the latter|the former|the two)\b",
    re.IGNORECASE,
)
_CAPITAL = re.compile(r"(?<=[\s(“\"‘'])[A-Z][\w’'.-]*")
_DIGIT = re.compile(r"\d")
_QUOTED = re.compile(r"“[^“”]*”|\"[^\"]*\"|‘[^‘’]*’(?!\w)|(?<!\w)'[^']*'(?!\w)")
_SHORT_QUOTED = re.compile(r"[‘“\"'](?:[^‘’“”\"'\s]+\s?){1,3}[’”\"']")

# Editorial and loaded wording of news writing: evaluation, alarm, combat metaphors, hype.
_LOADED = re.compile(
    r"\b(?:stark|alarming|alarm(?:ed)?|sounding the alarm|sounds? the alarm|shocking|shock|stunning|"
    r"dramatic(?:ally)?|explosive|bombshell|slams?|slammed|blasts?|blasted|rips?|ripped|lashes out|"
    r"gone full|full-blown|brazen|chilling|terrifying|horrific|furious|fury|outrage(?:ous)?|"
    r"staggering|catastrophic|devastating|dire|grim|jaw-dropping|mind-boggling|doubles? down|"
    r"wake-up call|caustic|mock(?:s|ed|ery)?|ridicule[sd]?|frenzy|chaos|chaotic|meltdown|firestorm|"
    r"showdown|epic|sweeping|unprecedented|heightened concerns|paints? a worrying picture|"
    r"ominous|menacing|sinister|reckless|disastrous|massive|huge|enormous|incredibly|extremely|"
    r"deeply|hugely|unparalleled|the stakes|high stakes|red flags?|game[- ]changer|"
    r"make no mistake|couldn['’]t be more|could not be more|needless to say|of course|clearly|"
    r"obviously|undoubtedly|surely|perceived|so-called|adventurism)\b",
    re.IGNORECASE,
)
# The outlet speaking in its own voice: first and second person, exclamations, rhetorical questions.
_OWN_VOICE = re.compile(r"\b(?:[Ww]e|[Oo]ur|us|[Yy]ou|[Yy]our|[Ll]et['’]s)\b|!|\?")
# Where a sentence falls into clauses that may be told by different outlets.
_CLAUSE_BREAK = re.compile(
    r"(?:,\s+(?:and|but|while|whereas|although|though|forcing|prompting|leaving|adding|saying|"
    r"which|after|before|amid|despite)\b|;\s+|\s[–—]\s|—)",
    re.IGNORECASE,
)
# A piece that says something has a verb; a noun phrase ("The tension between A and B") does not.
_VERB = re.compile(
    r"\b(?:is|are|was|were|be|been|has|have|had|will|would|could|can|may|might|must|should|did|does|"
    r"said|says|told|made|took|gave|saw|came|went|left|met|held|won|lost|\w{3,}ed)\b",
    re.IGNORECASE,
)
MIN_CLAUSE_WORDS = 4


def outside_quotes(text: str) -> str:
    """The sentence with every quotation blanked out (the outlet's own words)."""
    return _QUOTED.sub(" ", text)


def blank_quotations(text: str) -> str:
    """The text with every quotation replaced by spaces of the same length (offsets kept)."""
    return _QUOTED.sub(lambda m: " " * len(m.group(0)), text)


def is_dependent(text: str) -> bool:
    """Opens with a pronoun or connective that points back to the sentence it was cut from."""
    return bool(_DEPENDENT.match(text.lstrip("“\"‘' ")))


def names_something(text: str) -> bool:
    """Names a person, place, organisation or figure after its first word: something to hold on to."""
    return bool(_CAPITAL.search(text) or _DIGIT.search(text))


def stands_alone(text: str) -> bool:
    return not is_dependent(text) and names_something(text)


def loaded(text: str) -> int:
    """How many marks of editorial or loaded wording the outlet's own words carry (0 = plain)."""
    own = outside_quotes(text)
    marks = len(_LOADED.findall(own)) + len(_OWN_VOICE.findall(own))
    # a short phrase in scare quotes outside speech ("gone full ‘Red Dawn’")
    marks += len(_SHORT_QUOTED.findall(text)) if len(own) > 0.7 * len(text) else 0
    return marks


def clauses(text: str) -> list[str]:
    """The sentence cut at clause boundaries (only where both sides say something), main clause first.

    Cuts are never made inside a quotation. Each piece is a substring of the sentence.
    """
    quoted = [(m.start(), m.end()) for m in _QUOTED.finditer(text)]
    cuts = [0]
    for m in _CLAUSE_BREAK.finditer(text):
        if any(a <= m.start() < b for a, b in quoted):
            continue
        head, rest = text[cuts[-1] : m.start()], text[m.end() :]
        if (
            len(head.split()) >= MIN_CLAUSE_WORDS
            and len(rest.split()) >= MIN_CLAUSE_WORDS
            and _VERB.search(head)
        ):
            cuts.append(m.start())
    pieces = [text[a:b].strip(" ,;–—") for a, b in zip(cuts, [*cuts[1:], len(text)], strict=True)]
    return [p for p in pieces if p]


def main_clause(text: str) -> str | None:
    """The sentence's first clause as a sentence of its own (a faithful cut), or None when it has one clause."""
    parts = clauses(text)
    if len(parts) < 2:
        return None
    head = parts[0].rstrip(" .,;:")
    if head.count("“") != head.count("”") or head.count('"') % 2:
        return None
    return head + "."
