"""`storage.url` parsing, shared by the config check and the store: which driver, which file."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import URL, make_url
from sqlalchemy.exc import ArgumentError

from bot.errors import StoreError

__all__ = ["display_url", "resolve_url", "sqlite_path"]


def resolve_url(url: str, base_dir: Path | None = None) -> URL:
    """Parse the URL, pick the psycopg driver for PostgreSQL, anchor a relative SQLite path."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise StoreError(
            f"storage.url {url!r} is not a database URL; use e.g. sqlite:///briefbot.db or "
            "postgresql://user:password@host/dbname"
        ) from None
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if db and db != ":memory:" and not db.startswith("file:"):
            path = Path(db).expanduser()
            if not path.is_absolute() and base_dir is not None:
                path = Path(base_dir) / path
            parsed = parsed.set(database=str(path))
    return parsed


def sqlite_path(url: URL) -> Path | None:
    """The database file of a SQLite URL, None for in-memory or other backends."""
    if url.get_backend_name() != "sqlite" or not url.database or url.database in (":memory:",):
        return None
    if url.database.startswith("file:"):
        return None
    return Path(url.database)


def display_url(url: URL) -> str:
    path = sqlite_path(url)
    return str(path) if path else url.render_as_string(hide_password=True)
