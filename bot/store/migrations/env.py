"""Alembic's environment for briefbot's store: run on the connection `bot.store.schema` hands over.

There is no alembic.ini: `bot.store.schema.alembic_config` builds the configuration, and the
connection (already in the transaction that holds the schema lock) comes in `config.attributes`.
"""

from __future__ import annotations

from alembic import context

import bot.store.tables  # noqa: F401  (every table on Base.metadata, for autogenerate)
from bot.store.base import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters a table by copying it
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
