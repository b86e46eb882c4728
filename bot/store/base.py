"""The SQLAlchemy declarative base every table of briefbot's store shares.

Each area of the bot declares its tables in its own module on this `Base` (articles and sources in
`bot.store.models`, claims and posts for scheduling, subscriptions for chat). `SCHEMA_VERSION`
is bumped whenever a table changes shape; the store refuses to open a database of another version
with a message that says what to do.
"""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

SCHEMA_VERSION = 1


class Base(DeclarativeBase):
    pass
