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

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import NoSuchModuleError
from sqlalchemy.pool import StaticPool

from bot.config.dburl import display_url, resolve_url, sqlite_path
from bot.store.errors import StoreError

__all__ = ["READ_ONLY", "display_url", "make_engine", "resolve_url", "sqlite_path"]

READ_ONLY = "briefbot_read_only"
BUSY_TIMEOUT_S = 30


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
