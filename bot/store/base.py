"""The SQLAlchemy declarative base every table of briefbot's store shares.

Each area of the bot declares its tables in its own module on this `Base` (articles and sources in
`bot.store.models`, delivery runs in `bot.store.runs`, subscriptions for chat in `bot.store.chat`).
A change of shape is an Alembic revision in `bot.store.migrations` (see its docstring).
"""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass
