"""The date an article prints about itself ("Posted on Jun 26, 2025", "September 18th, 2013, 05:31 GMT").

Only a full calendar date (day, month and year) near the top of the text counts: that is where pages
print their dateline. A bare year, or a date deep in the body ("the 2004 tsunami", "talks due on
March 3, 2027"), says when something else happened, not when the article was written.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

DATELINE_CHARS = 400  # a page's dateline is printed before its first paragraphs end

_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}
_MONTH = (
    r"(?P<{g}>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(?P<{g}>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<{g}>(?:19|20)\d\d)"
_TIME = r"(?:[\s,]+(?P<h>[01]?\d|2[0-3])[:.](?P<mi>[0-5]\d)\s*(?P<ap>[ap]\.?m\.?)?)?"
_PATTERNS = [
    re.compile(rf"\b{_MONTH.format(g='m')}\s+{_DAY.format(g='d')},?\s*{_YEAR.format(g='y')}\b{_TIME}", re.I),
    re.compile(rf"\b{_DAY.format(g='d')}\s+{_MONTH.format(g='m')},?\s+{_YEAR.format(g='y')}\b{_TIME}", re.I),
    re.compile(
        r"\b(?P<y>(?:19|20)\d\d)-(?P<mo>[01]\d)-(?P<d>[0-3]\d)(?:[T ](?P<h>[0-2]\d):(?P<mi>[0-5]\d))?\b"
    ),
]


def date_in_text(text: str, now: datetime | None = None) -> datetime | None:
    """The first full date printed in the opening of `text`, as aware UTC (midnight when no time is
    given); None when there is none, or it lies in the future of `now`."""
    head = (text or "")[:DATELINE_CHARS]
    found: list[tuple[int, datetime]] = []
    for pattern in _PATTERNS:
        for m in pattern.finditer(head):
            when = _build(m)
            if when is not None:
                found.append((m.start(), when))
                break
    if not found:
        return None
    when = min(found, key=lambda f: f[0])[1]
    limit = now or datetime.now(UTC)
    return None if when > limit else when


def _build(m: re.Match[str]) -> datetime | None:
    g = m.groupdict()
    month = int(g["mo"]) if g.get("mo") else _MONTHS.get((g.get("m") or "")[:3].lower())
    if not month:
        return None
    hour = int(g["h"]) if g.get("h") else 0
    minute = int(g["mi"]) if g.get("mi") else 0
    ap = (g.get("ap") or "").replace(".", "").lower()
    if ap == "pm" and hour < 12:
        hour += 12
    elif ap == "am" and hour == 12:
        hour = 0
    try:
        return datetime(int(g["y"]), month, int(g["d"]), hour, minute, tzinfo=UTC)
    except ValueError:
        return None
