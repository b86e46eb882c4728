"""The one exception type the store raises for problems a user can act on."""

from __future__ import annotations


class StoreError(Exception):
    """The database cannot be opened or used; the message says what to do."""
