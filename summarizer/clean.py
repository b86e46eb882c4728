"""Turn extracted article text into clean blocks and tell page chrome from reporting.

Extractors (trafilatura, feed summaries, copy-paste) leave navigation, bylines, cookie
notices, self-promotion and disclaimers in the text. Everything here is cheap string work
(regexes, no models) so it can run on every article at ingest and at briefing time.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Literal

BlockKind = Literal["para", "heading", "list"]

# Texts longer than this are cut (at a line break) before segmentation: no news article is
# longer, and it bounds the cost of a pathological input.
MAX_CHARS = 60_000

# str.translate tables (much faster than regex substitution on every article)
_CONTROL_CHARS = [
    *range(0x00, 0x09),
    0x0B,
    0x0C,
    *range(0x0E, 0x20),
    0x7F,
    0x200B,
    0x200C,
    0x200D,
    0x2060,
    0xFEFF,
]
_ODD_SPACES = [0x09, 0xA0, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000]
_TRANSLATE = {**dict.fromkeys(_CONTROL_CHARS), **dict.fromkeys(_ODD_SPACES, " ")}
_SPACE_RUN = re.compile(r" {2,}")
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^<>]*>")
_DROP_ELEMENT = re.compile(r"<(script|style|noscript|template)\b[^>]*>.*?</\1\s*>", re.I | re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_BLOCK_TAGS = {
    "p",
    "div",
    "br",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "tr",
    "table",
    "section",
    "article",
    "header",
    "footer",
    "blockquote",
    "figure",
    "figcaption",
    "nav",
    "aside",
    "hr",
    "dd",
    "dt",
}
_LIST_MARK = re.compile(r"^(?:[•·▪◦‣∙●○■□–—*-]|\(?\d{1,2}[.)]|\(?[a-z][.)])\s+")
_CLOSERS = "'\"”’)]"


def ends_sentence(line: str) -> bool:
    """Whether a line ends with . ! ? or … (possibly followed by closing quotes or brackets)."""
    tail = line[-16:].rstrip().rstrip(_CLOSERS)  # only the end matters; never copy a long line
    return tail[-1:] in (".", "!", "?", "…")


@dataclass(frozen=True)
class Block:
    """One line of normalised text: a paragraph, a heading or a list item.

    `text` is the line without its list marker; `start` is its offset in the normalised text,
    so `normalised[start:start + len(text)] == text`.
    """

    text: str
    start: int
    kind: BlockKind
    index: int


def strip_markup(text: str) -> str:
    """Remove HTML tags, keeping the text of headings and paragraphs on lines of their own."""
    if "<" not in text or not _TAG.search(text):
        return text
    text = _COMMENT.sub(" ", _DROP_ELEMENT.sub(" ", text))

    def _tag(m: re.Match[str]) -> str:
        return "\n" if m.group(2).lower() in _BLOCK_TAGS else ""

    text = _TAG.sub(_tag, text)
    return html.unescape(text) if "&" in text else text


def normalize_text(raw: str) -> str:
    """Canonical text: one block per line, single spaces, no markup, no control characters.

    Sentences and quotes are exact substrings of this form; hard-wrapped paragraphs are
    joined so that a sentence never spans two lines.
    """
    if not isinstance(raw, str) or not raw:
        return ""
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    text = strip_markup(text)
    text = text.translate(_TRANSLATE)
    if "  " in text:
        text = _SPACE_RUN.sub(" ", text)
    lines = [ln.strip() for ln in text.split("\n")]
    out: list[str] = []
    group: list[str] = []
    for ln in [*lines, ""]:
        if ln:
            group.append(ln)
            continue
        if group:
            out.extend(_unwrap(group))
            group = []
    result = "\n".join(out)
    if len(result) > MAX_CHARS:
        cut = result.rfind("\n", 0, MAX_CHARS)
        result = result[: cut if cut > MAX_CHARS // 2 else MAX_CHARS]
    return result


def _unwrap(lines: list[str]) -> list[str]:
    """Join hard-wrapped lines (fixed width, continuing mid-sentence) back into one paragraph."""
    if len(lines) < 2:
        return lines
    if len(lines) == 2:
        # Two lines are one paragraph only when the second plainly continues the first.
        return [" ".join(lines)] if re.match(r"[a-z]", lines[1]) and not ends_sentence(lines[0]) else lines
    long_lines = [ln for ln in lines[:-1] if 40 <= len(ln) <= 100]
    if len(long_lines) < 0.8 * (len(lines) - 1):
        return lines
    open_ends = sum(1 for ln in lines[:-1] if not ends_sentence(ln))
    if open_ends < 0.5 * (len(lines) - 1):
        return lines
    if any(_LIST_MARK.match(ln) for ln in lines[1:]):
        return lines
    return [" ".join(lines)]


def split_blocks(normalized: str) -> list[Block]:
    """Lines of normalised text as blocks, list markers removed, kind guessed from the shape."""
    blocks: list[Block] = []
    pos = 0
    for line in normalized.split("\n"):
        start = pos
        pos += len(line) + 1
        if not line:
            continue
        kind: BlockKind = "para"
        m = _LIST_MARK.match(line)
        text = line
        if m and len(line) - m.end() > 2:
            text = line[m.end() :]
            start += m.end()
            kind = "list"
        if kind != "list" and is_heading_line(text):
            kind = "heading"
        blocks.append(Block(text, start, kind, len(blocks)))
    return blocks


_WORD = re.compile(r"[^\W\d_][\w'’-]*", re.U)


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def is_heading_line(line: str) -> bool:
    """A short line without final punctuation: a headline, section title or menu entry."""
    line = line.strip()
    if not line or len(line) > 160:
        return False
    if ends_sentence(line):
        return False
    return word_count(line) <= 20


# --- page chrome -------------------------------------------------------------------------

_CHROME_LINES = {
    "skip to content",
    "skip to main content",
    "skip to navigation",
    "read more",
    "read also",
    "read next",
    "latest",
    "latest news",
    "loading",
    "close",
    "share",
    "share this",
    "share this article",
    "share on",
    "advertisement",
    "ad",
    "sponsored",
    "subscribe",
    "sign up",
    "sign in",
    "log in",
    "login",
    "register",
    "table of contents",
    "contents",
    "article with toc",
    "related",
    "related articles",
    "related stories",
    "related news",
    "more stories",
    "most read",
    "most popular",
    "trending",
    "recommended",
    "comments",
    "print",
    "email",
    "whatsapp",
    "facebook",
    "twitter",
    "x",
    "linkedin",
    "telegram",
    "reddit",
    "copy link",
    "follow us",
    "back to top",
    "menu",
    "search",
    "home",
    "news",
    "top stories",
    "listen",
    "listen to article",
    "watch",
    "video",
    "photo",
    "image",
    "next",
    "previous",
    "continue reading",
    "show more",
    "see more",
    "view comments",
    "leave a comment",
    "accept",
    "accept all",
    "reject all",
    "manage cookies",
    "got it",
    "cookie settings",
    "privacy policy",
    "terms of use",
    "terms of service",
    "newsletter",
    "live",
    "breaking",
    "breaking news",
    "updated",
    "tags",
    "topics",
    "we recommend",
}

# Chrome patterns anchored at the start of a line: tried with one `match`.
_CHROME_START = [
    r"(©|\(c\)|copyright\b)",
    r"visit [\w .'-]{1,40} (now|today)\b",
    r"(share|tweet|email) (this|on)\b",
    r"(image|photo|picture|video|illustration)( credit| source)?s?\s*[:|/]",
    r"(getty images|reuters|ap photo|afp|epa|shutterstock|ap)(/| via |$)",
    r"(posted|published|updated|last updated)( on| at)?\b.{0,40}\d",
    r"this (is a developing|story is developing|article was (originally )?published|story has been updated)",
    r"(read|see|watch|listen)( also| more| next)?\s*:",
    r"(advertisement|sponsored content|paid content|partner content)\b",
    r"(story continues|article continues) below\b",
    r"(also read|must read|you may also like|more from|more on this|related coverage)\b",
]
_CHROME_START_RE = re.compile("|".join(f"(?:{p})" for p in _CHROME_START), re.I)

# Chrome patterns found anywhere: each is tried only when one of its trigger words occurs,
# which keeps the cost per sentence to a set intersection for ordinary reporting.
_CHROME_ANYWHERE: list[tuple[frozenset[str], str]] = [
    (frozenset({"cookie", "cookies"}), r"\bcookies?\b.*\b(use|accept|consent|settings|policy|preferences)\b"),
    (frozenset({"cookie", "cookies"}), r"\b(accept|consent to|manage)\b.*\bcookies?\b"),
    (
        frozenset({"site", "website"}),
        r"\bby (continuing|using) (to )?(use|browse|browsing|using) (this|our) (site|website)\b",
    ),
    (frozenset({"reserved"}), r"\ball rights reserved\b"),
    (frozenset({"disclaimer"}), r"\blegal disclaimer\b"),
    (frozenset({"content"}), r"\bprovides? this (news )?content\b"),
    (frozenset({"warranty"}), r"\bwithout warranty of any kind\b"),
    (frozenset({"responsibility", "liability"}), r"\bwe do not accept any (responsibility|liability)\b"),
    (
        frozenset({"welcome"}),
        r"\bwelcome to (your|our|the) (ultimate|trusted|number one|no\.? ?1|go-to|one-stop)\b",
    ),
    (frozenset({"thank"}), r"\bthank you for (visiting|reading|choosing|being part of)\b"),
    (frozenset({"forget"}), r"\b(don'?t|do not) forget to (bookmark|subscribe|follow|share)\b"),
    (frozenset({"bookmark"}), r"\bbookmark (our|this) (website|site|page)\b"),
    (frozenset({"know"}), r"\bstay in the know\b"),
    (frozenset({"join"}), r"\bjoin (thousands|millions) of (readers|subscribers|users)\b"),
    (frozenset({"miss"}), r"\b(don'?t|do not|never) miss (out|a moment|an update)\b"),
    (frozenset({"newsletter"}), r"\bsign up (for|to) (our|the) [\w -]{0,30}newsletter\b"),
    (frozenset({"subscribe"}), r"\bsubscribe (to|for) (our|the)\b"),
    (frozenset({"click"}), r"\bclick here\b"),
    (frozenset({"follow"}), r"\bfollow us on\b"),
    (frozenset({"photo", "image", "picture"}), r"\((photo|image|picture)( credit)?:? [^)]*\)$"),
    (frozenset({"read"}), r"\b\d+\s*(min|minute)s?\s+read\b"),
    (
        frozenset({"post", "posted"}),
        r"\bpost(ed)? on (jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* \d",
    ),
    (
        frozenset({"our"}),
        r"\bour (website|site|news platform|newsletter|app|podcast|contact page|growing community)\b",
    ),
    (frozenset({"website"}), r"\bthis website\b"),
    (frozenset({"tirelessly"}), r"\b(our|the) (team|editors) (works?|is working) tirelessly\b"),
    (frozenset({"source"}), r"\byour (trusted|ultimate|go-to|one-stop) source\b"),
    (frozenset({"valuable"}), r"\b(you|your) (insights|feedback) (are|is) valuable\b"),
    (frozenset({"free"}), r"\bfeel free to (reach out|contact|get in touch)\b"),
    (
        frozenset({"questions", "complaints", "suggestions", "feedback"}),
        r"\bif you have any (questions|complaints|suggestions|feedback)\b",
    ),
    (frozenset({"next"}), r"\bsee you next time\b"),
    (frozenset({"contact"}), r"\b(kindly|please) contact (the author|us)\b"),
    (frozenset({"continue"}), r"\bcontinue reading\b"),
    (
        frozenset({"sponsored", "paid", "brought"}),
        r"\bthis (article|content|story) (is|was) (sponsored|paid|brought to you)\b",
    ),
    (frozenset({"journalism"}), r"\bsupport (our|independent) journalism\b"),
    (frozenset({"app"}), r"\b(download|get) (our|the) app\b"),
]
_CHROME_GUARDED = [(words, re.compile(p, re.I)) for words, p in _CHROME_ANYWHERE]
_CHROME_TRIGGERS = frozenset().union(*(w for w, _ in _CHROME_ANYWHERE))
_LOWER_WORD = re.compile(r"[a-z]+")


def _chrome_pattern(own: str) -> bool:
    if _CHROME_START_RE.match(own):
        return True
    words = set(_LOWER_WORD.findall(own.lower()))
    if not words & _CHROME_TRIGGERS:
        return False
    return any(words & trig and rx.search(own) for trig, rx in _CHROME_GUARDED)


_NAME_PART = r"(?:[A-Z][\w.'’-]+|de|da|di|du|van|von|der|den|la|le|al|bin|el|ibn)"
_PERSON = rf"[A-Z][\w.'’-]+(?:\s+{_NAME_PART}){{0,4}}"
_BYLINE = re.compile(
    rf"^(?i:by|words by|written by|reporting by|edited by)\s+{_PERSON}"
    rf"(?:(?:\s*,\s*|\s+and\s+|\s*&\s*){_PERSON}){{0,3}}"
    r"(?:\s*[,|–—-]\s*[A-Z][\w ,'’&/-]{0,50})?$"
)
_TAIL_HEADINGS = re.compile(
    r"^(legal disclaimer|disclaimer|about the author|about us|related (articles|stories|news|coverage)|"
    r"more (stories|from [\w .]+)|most (read|popular)|recommended( for you)?|you may also like|"
    r"comments|trending( now)?|latest (news|stories))\s*:?$",
    re.I,
)
# Words that address the reader or speak for the site: "we bring you", "keep you informed".
_READER = re.compile(r"\b(you|your|yours)\b", re.I)
_SITE_VOICE = re.compile(r"\b(?:[Ww]e(?:['’](?:re|ve|d|ll))?|[Oo]ur|us)\b")
_QUOTED = re.compile(r"[\"“][^\"“”]*[\"”]|‘[^‘’]{3,}’")
_LIVE = re.compile(
    r"^(live( updates| blog| coverage| news)?\b|as it happened\b|.*\blive updates?\b|.*\blive blog\b|"
    r"news in brief\b|round-?up\b|what we know\b)",
    re.I,
)


def chrome_key(line: str) -> str:
    """Casefolded line without punctuation or ellipsis, for matching menu and chrome lines."""
    return re.sub(r"[\W_]+", " ", line.casefold()).strip()


def outside_quotes(text: str) -> str:
    """The words a page says in its own voice (quoted speech removed)."""
    return _QUOTED.sub(" ", text)


def is_chrome(sentence: str) -> bool:
    """True for navigation, bylines, share prompts, self-promotion and legal boilerplate."""
    s = sentence.strip()
    if not s:
        return True
    key = chrome_key(s)
    if not key or key in _CHROME_LINES:
        return True
    own = outside_quotes(s)
    if _chrome_pattern(own) or _BYLINE.match(s):
        return True
    # The site talking to its reader ("we bring you updates that keep you informed").
    return bool(_READER.search(own) and _SITE_VOICE.search(own))


def is_tail_heading(line: str) -> bool:
    """A heading after which a page has only disclaimers, related links or comments."""
    return bool(_TAIL_HEADINGS.match(line.strip()))


def is_live_heading(line: str) -> bool:
    """ "Live Updates: …", "As it happened": marks a live blog or round-up, never a story title."""
    return bool(_LIVE.match(line.strip()))


# --- fragments -----------------------------------------------------------------------------

_VERBISH = re.compile(
    r"\b(is|are|was|were|be|been|being|am|has|have|had|do|does|did|will|would|can|could|may|might|must|"
    r"shall|should|says?|said|told|tells?|warns?|warned|adds?|added|gets?|got|goes|went|makes?|made|takes?|"
    r"took|gives?|gave|sees?|saw|comes?|came|calls?|called|wants?|wanted|needs?|needed|plans?|planned)\b"
    r"|\b\w{3,}(ed|es)\b",
    re.I,
)


def is_fragment(sentence: str) -> bool:
    """Too short to be a statement, or a short line with no verb (a caption, a label, a date)."""
    s = sentence.strip()
    n = word_count(s)
    if n < 5:
        return True
    if s.endswith(":"):
        return True
    return n <= 8 and not _VERBISH.search(s)
