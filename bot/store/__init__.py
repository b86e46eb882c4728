"""The article store: `open_store(url)` gives a `SqlStore` (SQLite by default, PostgreSQL by URL)."""

from __future__ import annotations

from pathlib import Path

from bot.store.errors import StoreError
from bot.store.sql import SqlStore

__all__ = ["SqlStore", "StoreError", "open_store"]


def open_store(url: str, base_dir: Path | None = None) -> SqlStore:
    """Open (creating if needed) the database at `url`; a relative SQLite path is taken from `base_dir`.

    Raises StoreError when the database cannot be reached or has another schema version.
    """
    from sqlalchemy.exc import OperationalError

    from bot.store.engine import display_url, make_engine

    engine = make_engine(url, base_dir)
    try:
        return SqlStore(engine)
    except OperationalError as exc:
        engine.dispose()
        raise StoreError(f"cannot open the database at {display_url(engine.url)}: {exc.orig}") from None
    except BaseException:
        engine.dispose()
        raise
