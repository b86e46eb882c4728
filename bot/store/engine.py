"""Turn `storage.url` into a SQLAlchemy engine with the settings each backend needs.

SQLite: relative paths are taken from the config file's folder, the folder is created, WAL mode,
foreign keys on, a 30 s busy timeout, and write transactions start with `BEGIN IMMEDIATE` so a
read-then-write transaction waits for a concurrent writer instead of failing with "database is
locked". Sessions that only read opt out with the `READ_ONLY` execution option.
PostgreSQL: `postgresql://` and `postgres://` URLs use psycopg 3.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.pool import StaticPool

from bot.store.errors import StoreError

__all__ = ["READ_ONLY", "display_url", "make_engine", "resolve_url", "sqlite_path"]

READ_ONLY = "briefbot_read_only"
BUSY_TIMEOUT_S = 30


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


def make_engine(url: str, base_dir: Path | None = None) -> Engine:
    resolved = resolve_url(url, base_dir)
    kwargs: dict[str, Any] = {}
    is_sqlite = resolved.get_backend_name() == "sqlite"
    path = sqlite_path(resolved)
    if is_sqlite:
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": BUSY_TIMEOUT_S}
        if path is None:
            kwargs["poolclass"] = StaticPool  # one shared in-memory database
        else:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot create the folder for the database {path}: {exc.strerror}"
                ) from None
    else:
        kwargs["pool_pre_ping"] = True
        if resolved.drivername == "postgresql+psycopg":
            # psycopg prepares a query run 5 times; PostgreSQL may then pick a generic plan that scans
            # a long IN (...) list linearly per row (50x slower dedup lookups after a bulk insert).
            kwargs["connect_args"] = {"prepare_threshold": None}
    try:
        engine = create_engine(resolved, **kwargs)
    except (ImportError, NoSuchModuleError) as exc:
        hint = " (pip install 'briefbot[postgres]')" if resolved.get_backend_name() == "postgresql" else ""
        raise StoreError(f"no database driver for {resolved.drivername}{hint}: {exc}") from None
    if is_sqlite:
        _configure_sqlite(engine, in_memory=path is None)
    return engine


def _configure_sqlite(engine: Engine, in_memory: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see _on_begin)
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
        cur.execute("PRAGMA foreign_keys=ON")
        if not in_memory:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = "DEFERRED" if conn.get_execution_options().get(READ_ONLY) else "IMMEDIATE"
        conn.exec_driver_sql(f"BEGIN {mode}")
