"""Every string inside a rendered chat payload (nested dicts and lists), for checks over all of them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def strings(obj: Any) -> Iterator[str]:
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from strings(v)
