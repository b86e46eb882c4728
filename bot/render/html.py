"""Briefings and the web face's pages as HTML (Jinja2 templates in `bot/render/templates/`).

Every value a template prints is escaped (autoescape is on for .html and .xml, and nothing is
marked safe but markup these templates made themselves), so an article title holding `<script>`
or `onerror=` is shown as text. Characters that XML forbids (NUL and the other C0 controls but tab
and newline) are dropped from every printed value, so the same fragments can go into an Atom feed.
Links to articles are made only of http(s) URLs (`safe_url`): a `javascript:` link in a feed item
stays text. Pages carry no inline script or style, so the server's Content-Security-Policy can
refuse both; the stylesheet is `bot/render/static/style.css`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from importlib import resources
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from bot.render.escape import safe_url
from bot.render.text import all_bullets, outlets_label, published_date, story_sources
from summarizer.model import Briefing, SourceRef, Story

__all__ = ["Chart", "HtmlRenderer", "chart", "static_file"]

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
PHASES = ("new", "developing", "fading")
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}


def xml_clean(value: Any) -> Any:
    """Jinja's `finalize`: strings lose the characters XML 1.0 forbids (a feed would not parse)."""
    if isinstance(value, Markup):  # a macro's output: its values were cleaned when it was made
        return value
    if isinstance(value, str):
        return _NOT_XML.sub("", value)
    if value is None:
        return ""
    return value


def when(value: datetime | None) -> str:
    if value is None:
        return "unknown"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def iso(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return value.isoformat()


def relative(value: datetime | None, now: datetime) -> str:
    """'5 min ago', 'in 2 h', 'never': what an admin takes in at a glance."""
    if value is None:
        return "never"
    seconds = (value - now).total_seconds()
    span = abs(seconds)
    if span < 60:
        amount = "under a minute" if span >= 1 else ""
        if not amount:
            return "now"
    else:
        amount = f"{int(span // 60)} min"
        for unit, size in (("d", 86400), ("h", 3600)):
            if span >= size:
                amount = f"{int(span // size)} {unit}"
                break
    return f"in {amount}" if seconds > 0 else f"{amount} ago"


def span(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size and seconds % size == 0:
            n = seconds // size
            return f"{n} {unit[:-1] if n == 1 else unit}"
    return f"{seconds} seconds"


def phase_class(phase: str | None) -> str:
    return phase if phase in PHASES else ""


def slug(value: str) -> str:
    """An id attribute / fragment from a name (topic, delivery): letters, digits and dashes."""
    out = re.sub(r"[^a-z0-9]+", "-", value.casefold()).strip("-")
    return out or "x"


def path_part(value: str) -> str:
    """A value placed in one URL path segment (a story id, a topic or delivery name)."""
    return quote(value, safe="")


@dataclass(frozen=True)
class Bar:
    day: date
    count: int
    x: int
    y: int
    height: int


@dataclass(frozen=True)
class Chart:
    """Articles per day as the geometry of an inline SVG bar chart (drawn server-side)."""

    bars: list[Bar]
    width: int
    height: int
    peak: int
    total: int

    @property
    def label(self) -> str:
        if not self.bars:
            return "no days"
        first, last = self.bars[0].day, self.bars[-1].day
        counts = ", ".join(str(b.count) for b in self.bars)
        return f"Articles per day from {first} to {last}: {counts} ({self.total} in all)"


BAR_W, BAR_GAP, CHART_H = 8, 2, 28


def chart(per_day: Sequence[tuple[date, int]]) -> Chart:
    peak = max((n for _, n in per_day), default=0)
    bars = []
    for i, (day, n) in enumerate(per_day):
        h = 0 if peak == 0 or n == 0 else max(2, round(n / peak * (CHART_H - 2)))
        bars.append(Bar(day, n, i * (BAR_W + BAR_GAP), CHART_H - h, h))
    width = max(1, len(per_day) * (BAR_W + BAR_GAP) - BAR_GAP)
    return Chart(bars, width, CHART_H, peak, sum(n for _, n in per_day))


def cited(briefing: Briefing, ids: Sequence[int]) -> list[SourceRef]:
    out = []
    for i in ids:
        try:
            out.append(briefing.source(i))
        except KeyError:
            continue
    return out


def static_file(name: str) -> tuple[bytes, str] | None:
    """A file of `bot/render/static/` and its content type (None: no such file)."""
    if not re.fullmatch(r"[a-z0-9-]+\.(css|svg)", name):
        return None
    item = resources.files("bot.render").joinpath("static", name)
    if not item.is_file():
        return None
    return item.read_bytes(), STATIC_TYPES["." + name.rsplit(".", 1)[1]]


class HtmlRenderer:
    """The Jinja environment of the pages and feeds (templates are package data)."""

    def __init__(self, site_title: str = "briefbot", public_url: str | None = None) -> None:
        self.site_title = site_title
        self.public_url = public_url.rstrip("/") if public_url else None

    @cached_property
    def env(self) -> jinja2.Environment:
        env = jinja2.Environment(
            loader=jinja2.PackageLoader("bot.render", "templates"),
            autoescape=jinja2.select_autoescape(["html", "xml"]),
            finalize=xml_clean,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters.update(
            when=when,
            iso=iso,
            span=span,
            slug=slug,
            path=path_part,
            safe_url=safe_url,
            phase_class=phase_class,
            published=published_date,
        )
        env.globals.update(
            site_title=self.site_title,
            relative=relative,
            outlets_label=outlets_label,
            story_sources=story_sources,
            all_bullets=all_bullets,
            cited=cited,
            chart=chart,
        )
        return env

    def page(self, template: str, **context: Any) -> str:
        """A whole page (`template` is a file of bot/render/templates/)."""
        return self.env.get_template(template).render(**context)

    def briefing_fragment(
        self, briefing: Briefing, *, base: str = "", story: Story | None = None, heading: int = 2
    ) -> str:
        """A briefing (or one of its stories) as an HTML fragment whose citations link straight to the
        articles: what an Atom entry carries, where in-page anchors would not work."""
        return self.env.get_template("fragment.html").render(
            briefing=briefing, story=story, base=base, heading=heading
        )
