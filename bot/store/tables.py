"""Import every module that declares tables on `Base`, so `create_all` at open creates them all."""

from __future__ import annotations

import bot.store.chat
import bot.store.models
import bot.store.runs
import bot.store.stories  # noqa: F401  (delivery runs; stories)
