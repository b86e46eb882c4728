"""Import every module that declares tables on `Base`, so `create_all` at open creates them all.

`bot.store.claims` (scheduling) and `bot.store.chat` (subscriptions) belong to other areas and may
not exist yet in a given checkout; a missing one is skipped, a broken one still raises.
"""

from __future__ import annotations

import importlib

import bot.store.models  # noqa: F401  (declares the store's own tables)

OPTIONAL_TABLE_MODULES = ("bot.store.claims", "bot.store.chat")


def load_table_modules() -> list[str]:
    """Import the optional table modules that exist; return the names imported."""
    loaded = []
    for name in OPTIONAL_TABLE_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        loaded.append(name)
    return loaded


load_table_modules()
