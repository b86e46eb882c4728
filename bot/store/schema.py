"""The store's schema at open: a new database is created at the head revision, an older one upgraded.

Alembic owns the schema (`bot.store.migrations`); its `alembic_version` table says where a database
stands. A database made before migrations existed has `meta.schema_version = 1` and no version
table: it is the baseline revision, stamped as such and upgraded. Once Alembic manages a database,
`meta.schema_version` is 2, which a briefbot without migrations refuses ("written by a newer
briefbot") instead of writing to tables it does not know.

Upgrades run at open, under the schema lock (SQLite's write lock; a transaction-scoped advisory lock
on PostgreSQL, so replicas starting together take turns), after a SQLite database is copied to
`<file>.before-<revision>.bak`. PostgreSQL runs each upgrade in one transaction (DDL is
transactional there), so a failed upgrade leaves the database as it was; back it up with pg_dump
before upgrading briefbot all the same.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    String,
    Table,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.exc import DBAPIError

from bot.store import migrations
from bot.store.base import Base
from bot.store.engine import READ_ONLY, sqlite_path
from bot.store.errors import StoreError
from bot.store.models import Meta

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["SchemaState", "alembic_config", "prepare", "read_state"]

log = logging.getLogger(__name__)

SCHEMA_KEY = "schema_version"
LEGACY = "1"  # meta.schema_version of databases made before migrations (= the baseline revision)
MANAGED = "2"  # meta.schema_version once Alembic manages the database
_LOCK = 0x62726273  # "brbs": the advisory lock key of schema changes on PostgreSQL
# The tables of revision 0001 (a database made before migrations gets any it lacks).
BASELINE_TABLES = frozenset(
    {
        "article_aliases",
        "articles",
        "chat_last_briefings",
        "chat_subscriptions",
        "delivery_runs",
        "embeddings",
        "fetch_log",
        "meta",
        "sources",
    }
)
# Alembic's own version table, written directly when a new database is created at the head.
VERSION_TABLE = Table("alembic_version", MetaData(), Column("version_num", String(32), primary_key=True))


@dataclass(frozen=True)
class SchemaState:
    revision: str | None  # alembic_version, None when the table is absent
    legacy: str | None  # meta.schema_version, None when absent
    tables: frozenset[str]

    @property
    def empty(self) -> bool:
        return self.revision is None and self.legacy is None


def read_state(conn: Connection) -> SchemaState:
    tables = frozenset(inspect(conn).get_table_names())
    revision = (
        conn.execute(select(VERSION_TABLE.c.version_num)).scalar() if VERSION_TABLE.name in tables else None
    )
    legacy = (
        conn.execute(select(Meta.value).where(Meta.key == SCHEMA_KEY)).scalar() if "meta" in tables else None
    )
    return SchemaState(revision, legacy, tables)


def prepare(engine: Engine, where: str, *, backup: bool = True) -> tuple[str | None, str]:
    """Bring the database to the head revision; returns (revision found, head).

    Opening a database already at the head costs one query. Raises StoreError for a database
    this briefbot cannot use (written by a newer one, or of an unknown schema).
    """
    import bot.store.tables  # noqa: F401  (every module declaring tables on Base; lazy: no import cycle)

    head = migrations.head()
    for attempt in range(2):
        try:
            with engine.execution_options(**{READ_ONLY: True}).connect() as conn:  # no write lock
                before = read_state(conn)
            if before.revision == head:
                return before.revision, head
            _check_known(before, where)
            if backup and not before.empty and (before.revision or migrations.BASELINE) != head:
                _backup_sqlite(engine, before)
            with engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})
                state = read_state(conn)  # again, under the lock: another process may have done it
                if state.revision != head:
                    _check_known(state, where)
                    _bring_to_head(conn, state, head, where)
            return before.revision, head
        except StoreError:
            raise
        except DBAPIError as exc:  # another process creating the same tables at the same moment
            if attempt or exc.connection_invalidated:
                raise StoreError(f"cannot open the database at {where}: {exc.orig}") from None
            log.info("retrying schema preparation at %s after: %s", where, exc.orig)
    raise AssertionError("unreachable")


def _check_known(state: SchemaState, where: str) -> None:
    if state.revision is not None and state.revision not in migrations.revisions():
        raise StoreError(
            f"database at {where} is at schema revision {state.revision}, newer than this briefbot "
            f"(head {migrations.head()}): it was written by a newer briefbot; upgrade briefbot or "
            "point storage.url elsewhere"
        )
    if state.revision is None and state.legacy not in (None, LEGACY):
        raise StoreError(
            f"database at {where} has schema v{state.legacy} but no migration history: it was written by "
            "a newer briefbot; upgrade briefbot or point storage.url elsewhere"
        )


def _bring_to_head(conn: Connection, state: SchemaState, head: str, where: str) -> None:
    if state.empty:
        # A new database: the tables as declared now are the head revision (the migration tests
        # check that the chain of revisions builds exactly these).
        Base.metadata.create_all(conn)
        VERSION_TABLE.create(conn, checkfirst=True)
        conn.execute(insert(VERSION_TABLE).values(version_num=head))
        _mark_managed(conn, state)
        return
    if state.revision is None:  # made before migrations: the baseline, with any table it lacked
        baseline_tables = [t for t in Base.metadata.sorted_tables if t.name in BASELINE_TABLES]
        Base.metadata.create_all(conn, tables=baseline_tables)
        VERSION_TABLE.create(conn, checkfirst=True)
        conn.execute(insert(VERSION_TABLE).values(version_num=migrations.BASELINE))
        log.warning("database at %s predates migrations: stamped as revision %s", where, migrations.BASELINE)
    _mark_managed(conn, state)
    if (state.revision or migrations.BASELINE) != head:
        _alembic_upgrade(conn, head)
        log.warning("database at %s upgraded to schema revision %s", where, head)


def _mark_managed(conn: Connection, state: SchemaState) -> None:
    if state.legacy is None:
        conn.execute(insert(Meta).values(key=SCHEMA_KEY, value=MANAGED))
    elif state.legacy != MANAGED:
        conn.execute(update(Meta).where(Meta.key == SCHEMA_KEY).values(value=MANAGED))


def _alembic_upgrade(conn: Connection, head: str) -> None:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = conn
    command.upgrade(config, head)


def alembic_config() -> Config:
    """Alembic's configuration for the migrations inside the package (there is no alembic.ini)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations.VERSIONS.parent))
    return config


def _backup_sqlite(engine: Engine, state: SchemaState) -> None:
    """Copy a SQLite database before changing its schema (VACUUM INTO: a consistent, compact copy)."""
    path = sqlite_path(engine.url)
    if path is None or not path.exists():
        return
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.before-{state.revision or migrations.BASELINE}-{stamp}.bak")
    raw = engine.raw_connection()
    try:
        raw.driver_connection.execute("VACUUM INTO ?", (str(target),))  # type: ignore[union-attr]
    finally:
        raw.close()
    log.warning("schema upgrade of %s: a copy of the database is at %s", path, target)
