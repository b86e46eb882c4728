"""A story's phase from its measured activity: new, developing, fading."""

from __future__ import annotations

from datetime import datetime, timedelta

NEW_FOR = timedelta(hours=24)  # a story first reported this recently is new
ACTIVE_FOR = timedelta(hours=24)  # ... and one reported again this recently is developing
PHASES = ("new", "developing", "fading")


def phase_of(first_seen: datetime | None, last_seen: datetime | None, now: datetime) -> str:
    """ "new" while its first report is under a day old, "developing" while reports keep coming (one in the
    last day), "fading" once a day has passed without one. Undated stories count as new."""
    if first_seen is None or last_seen is None or now - first_seen <= NEW_FOR:
        return "new"
    return "developing" if now - last_seen <= ACTIVE_FOR else "fading"
