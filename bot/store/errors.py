"""The one exception type the store raises for problems a user can act on."""

from __future__ import annotations

from bot.errors import StoreError

__all__ = ["StoreError"]
