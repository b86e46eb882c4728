"""Checks of a command's argument values, by option kind (issue #7): every adapter's input passes here.

Each check turns a raw value (typed text, or what a platform sent) into the value the handler
gets, or raises `UserError` with one line the user can act on. User text echoed in a message goes
through `short` first, so it can neither format nor mention anything.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

from bot.core.commands.spec import STORY_ID, STORY_NUMBER, OptionSpec
from bot.core.commands.words import LINE_MAX
from bot.errors import UserError

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]+")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


def clean_text(value: str | None, limit: int, what: str) -> str:
    """Strip control and invisible characters, squeeze spaces, and cap the length."""
    text = " ".join(_CONTROL.sub(" ", value or "").split())
    if len(text) > limit:
        raise UserError(f"That {what} is too long — keep it under {limit} characters.")
    return text


def parse_integer(value: str | None, option: OptionSpec) -> int | None:
    """A whole number within the option's range (a trailing unit such as "h" is allowed)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if option.unit and text.casefold().endswith(option.unit.casefold()):
        text = text[: -len(option.unit)].strip()
    lo = option.min_value if option.min_value is not None else 0
    hi = option.max_value if option.max_value is not None else 10**6
    n = int(text) if re.fullmatch(r"\d{1,6}", text) else -1
    if not lo <= n <= hi:
        raise UserError(f"{option.name.capitalize()} must be a whole number from {lo} to {hi}.")
    return n


def parse_time(value: str | None) -> str:
    m = _TIME.match((value or "").strip())
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise UserError("Give the time as HH:MM in 24-hour form, e.g. 07:30.")
    return f"{int(m.group(1)):02d}:{int(m.group(2)):02d}"  # ٠٧:٣٠ or ０７:３０ is stored as 07:30


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    zones = {z.casefold(): z for z in available_timezones() if not z.startswith(("posix/", "right/"))}
    zones.setdefault("utc", "UTC")
    return zones


def parse_timezone(value: str | None) -> str:
    """An IANA zone name, matched case-insensitively; default UTC."""
    text = (value or "").strip()
    if not text:
        return "UTC"
    found = _zones().get(text.casefold()) if len(text) <= 64 else None
    if found:
        return found
    guess = difflib.get_close_matches(text.casefold(), list(_zones()), n=1, cutoff=0.75)
    hint = f" — did you mean {_zones()[guess[0]]}?" if guess else ""
    raise UserError(f"Unknown time zone '{short(text)}'{hint} Use an IANA name such as Europe/Berlin.")


@dataclass(frozen=True)
class StoryRef:
    """A story as the user named it: its number in the channel's last briefing, or its stable id."""

    number: int | None = None
    id: str | None = None


def parse_story(value: str | None, command: str) -> StoryRef:
    """The form of a story reference; the number's range is checked against the last briefing."""
    text = (value or "").strip()
    if not text:
        raise UserError(f"Which story? Use /{command} <n>, e.g. /{command} 1.")
    if STORY_ID.match(text.casefold()):
        return StoryRef(id=text.casefold())
    m = STORY_NUMBER.match(text)
    return StoryRef(number=int(m.group(1)) if m else 0)


def story_number(ref: StoryRef, count: int) -> int:
    n = ref.number or 0
    if not 1 <= n <= count:
        if count == 1:
            raise UserError("The last briefing has only one story: use 1.")
        raise UserError(f"Pick a story number from 1 to {count} (the last briefing has {count} stories).")
    return n


def parse_flag(value: str | None, option: OptionSpec) -> bool:
    text = (value or "").strip().casefold()
    if text in ("", "false", "0", "no", "off"):
        return False
    if text in (option.name.casefold(), "true", "1", "yes", "on"):
        return True
    raise UserError(f"'{short(text)}' is not an option here — try /help.")


# Characters that format or mention on some chat platform; user text echoed back loses them, so an
# answer can never format (Slack mrkdwn has no escape for *_~`) or ping, whatever the renderer does.
_ECHO_UNSAFE = str.maketrans({c: " " for c in "*_~`|<>@#[]()\\"})


def short(text: str, limit: int = 40) -> str:
    """User text as it may be echoed: no formatting characters, at most `limit` characters."""
    text = " ".join(text.translate(_ECHO_UNSAFE).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check(option: OptionSpec, raw: str | None, command: str) -> Any:
    """One option's value as its handler gets it. An omitted optional option is None (a flag:
    False); an omitted required one gets its own check's message ("Which story? ...")."""
    if raw is None or not raw.strip():
        if option.kind == "flag":
            return False
        if not option.required or option.kind in ("text", "topic"):
            return None  # a required text option: its handler says how to use the command
    return _CHECKS[option.kind](raw, option, command)


def _text(raw: str | None, option: OptionSpec, _command: str) -> str | None:
    what = "topic" if option.kind == "topic" else option.name
    return clean_text(raw, option.max_length or LINE_MAX, what) or None


_CHECKS: dict[str, Callable[[str | None, OptionSpec, str], Any]] = {
    "text": _text,
    "topic": _text,
    "timezone": lambda raw, _o, _c: parse_timezone(raw),
    "integer": lambda raw, o, _c: parse_integer(raw, o),
    "time": lambda raw, _o, _c: parse_time(raw),
    "story": lambda raw, _o, c: parse_story(raw, c),
    "flag": lambda raw, o, _c: parse_flag(raw, o),
}
