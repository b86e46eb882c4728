"""Schema migrations (bot/store/migrations, bot/store/schema.py): the chain of revisions builds exactly
the declared tables, and a database made before migrations existed keeps every article, alias,
embedding and delivery record when it is upgraded, on SQLite and PostgreSQL.

The pre-migration schema is frozen in tests/data/store_v1/ (the DDL briefbot created then), so the
test keeps testing that upgrade however the tables change later. A revision after the baseline is
covered as soon as it exists: the frozen database is stamped baseline and upgraded to the head.
"""

from __future__ import annotations

import itertools
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from pgserver import pg_fresh_url, pg_url  # noqa: F401  (fixtures)
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

import bot.cli.db_cmd
import bot.store.tables  # noqa: F401
from bot.cli import app
from bot.store import StoreError, migrations, open_store
from bot.store.base import Base
from bot.store.engine import make_engine
from bot.store.schema import alembic_config, prepare, read_state

FROZEN = Path(__file__).resolve().parent / "data" / "store_v1"
T0 = "2026-11-20 07:00:00"
VECTORS = np.arange(6, dtype="<f4").tobytes()

# Rows as a briefbot before migrations wrote them (the columns of the frozen schema).
ROWS: dict[str, list[dict[str, Any]]] = {
    "sources": [
        {
            "id": 1,
            "name": "wire",
            "url": "https://wire.example/feed",
            "outlet": "Wire",
            "labels": '["Wire Service"]',
            "enabled": True,
            "consecutive_failures": 0,
            "last_success": T0,
            "etag": '"abc"',
        },
        {
            "id": 2,
            "name": "local",
            "url": "file:///news",
            "outlet": None,
            "labels": "[]",
            "enabled": False,
            "consecutive_failures": 3,
            "last_error": "HTTP 503",
            "last_error_at": T0,
        },
    ],
    "articles": [
        {
            "id": i,
            "source_id": 1 + i % 2,
            "url": f"https://wire.example/{i}",
            "canonical_url": f"https://wire.example/{i}",
            "guid": f"g{i}",
            "title": f"Story {i} «quoted»",
            "outlet": "Wire",
            "labels": '["Wire Service"]',
            "published": T0,
            "fetched_at": T0,
            "window_at": T0,
            "text": f"Body of story {i}. " * 20,
            "content_hash": f"{i:064x}",
            "language": "en",
        }
        for i in range(1, 6)
    ],
    "article_aliases": [
        {
            "id": 1,
            "article_id": 1,
            "source_id": 2,
            "outlet": "Local Paper",
            "url": "https://local.example/1",
            "seen_at": T0,
        },
    ],
    "embeddings": [
        {
            "article_id": 1,
            "model": "all-MiniLM-L6-v2",
            "sentences": '["Body of story 1."]',
            "dim": 6,
            "vectors": VECTORS,
            "created_at": T0,
        },
    ],
    "fetch_log": [
        {
            "id": 1,
            "source_id": 1,
            "started_at": T0,
            "status": "ok",
            "new": 5,
            "duplicates": 0,
            "items_seen": 5,
            "duration_s": 0.4,
        },
    ],
    "delivery_runs": [
        {
            "id": 1,
            "delivery": "morning",
            "scheduled_for": T0,
            "status": "posted",
            "attempts": 1,
            "created_at": T0,
            "updated_at": T0,
            "posted_at": T0,
            "platform": "discord",
            "message_ids": '["111", "222"]',
            "fingerprints": '["f1"]',
            "briefing_json": '{"stories": []}',
        },
        {
            "id": 2,
            "delivery": "sub:discord:123:taiwan",
            "scheduled_for": "2026-11-21 07:00:00",
            "status": "retry",
            "attempts": 2,
            "created_at": T0,
            "updated_at": T0,
            "next_try": "2026-11-21 07:10:00",
            "message_ids": "[]",
            "error": "Discord is down",
        },
    ],
    "chat_subscriptions": [
        {
            "id": 1,
            "platform": "discord",
            "workspace_id": "9",
            "channel_id": "123",
            "topic": "taiwan",
            "time": "07:00",
            "timezone": "Europe/Berlin",
            "created_by": "u1",
            "created_at": T0,
        },
    ],
    "chat_last_briefings": [
        {"platform": "slack", "channel_id": "C1", "briefing_json": '{"stories": []}', "saved_at": T0},
    ],
}


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'old.db'}"
    return str(request.getfixturevalue("pg_fresh_url"))


def make_pre_migration_database(url: str) -> None:
    engine = create_engine(url)
    ddl = (FROZEN / f"{engine.dialect.name}.sql").read_text(encoding="utf-8")
    with engine.begin() as conn:
        for statement in ddl.split(";\n"):
            body = "\n".join(ln for ln in statement.splitlines() if not ln.startswith("--")).strip()
            if body:
                conn.exec_driver_sql(body)
        for table, rows in ROWS.items():
            for row in rows:
                columns = ", ".join(f'"{c}"' for c in row)
                conn.execute(
                    text(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(':' + c for c in row)})"), row
                )
    engine.dispose()


# Columns later revisions add to pre-migration tables (empty for old rows): left out of the comparison.
ADDED_COLUMNS = {"articles": {"dated_by"}}


def dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every pre-migration table, in a comparable form (its pre-migration columns)."""
    engine = create_engine(url)
    with engine.connect() as conn:
        out = {}
        for table in ROWS:
            rows = conn.execute(text(f"SELECT * FROM {table} ORDER BY 1, 2")).mappings().all()
            added = ADDED_COLUMNS.get(table, set())
            out[table] = [tuple(sorted((k, str(v)) for k, v in r.items() if k not in added)) for r in rows]
    engine.dispose()
    return out


def test_the_revisions_are_one_numbered_chain() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    chain = [r.revision for r in reversed(list(script.walk_revisions()))]
    assert chain == migrations.revisions() == [f"{n:04d}" for n in range(1, len(chain) + 1)]
    assert script.get_heads() == [migrations.head()]
    for older, newer in itertools.pairwise(chain):
        assert script.get_revision(newer).down_revision == older


def test_the_migrations_build_exactly_the_declared_tables(db_url: str) -> None:
    """From an empty database, upgrading through every revision gives Base.metadata, no more, no less:
    a table or column declared without a revision (or a revision that differs) fails here."""
    engine = create_engine(db_url)
    with engine.begin() as conn:
        config = alembic_config()
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    engine.dispose()
    assert diff == [], diff


def test_a_pre_migration_database_is_upgraded_and_keeps_every_row(db_url: str) -> None:
    make_pre_migration_database(db_url)
    before = dump(db_url)
    assert sum(len(v) for v in before.values()) == sum(len(v) for v in ROWS.values())

    store = open_store(db_url)  # opening upgrades it
    try:
        with store.engine.connect() as conn:
            state = read_state(conn)
        assert state.revision == migrations.head() and state.legacy == "2"
        articles = store.articles(since=datetime(2026, 1, 1, tzinfo=UTC), with_embeddings=True)
        assert sorted(a.title for a in articles) == [f"Story {i} «quoted»" for i in range(1, 6)]
        first = next(a for a in articles if a.title.startswith("Story 1 "))
        assert first.aliases == [("Local Paper", "https://local.example/1")] and first.embeddings is not None
        assert np.array_equal(first.embeddings["Body of story 1."], np.arange(6, dtype=np.float32))
        assert {s.name: s.consecutive_failures for s in store.status(stale_after=5)} == {
            "wire": 0,
            "local": 3,
        }
    finally:
        store.close()
    assert dump(db_url) == before  # every article, alias, embedding, delivery run and subscription, unchanged

    open_store(db_url).close()  # a second open finds it at the head and changes nothing
    assert dump(db_url) == before


def test_an_upgrade_with_a_new_revision_backs_up_sqlite_and_runs_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The path the next real revision will take: alembic runs it on the store's connection, after a copy."""
    scripts = tmp_path / "migrations"
    shutil.copytree(migrations.VERSIONS.parent, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "0099_story_notes.py").write_text(
        'import sqlalchemy as sa\nfrom alembic import op\n\nrevision = "0099"\ndown_revision = "0002"\n'
        "branch_labels = None\ndepends_on = None\n\n\ndef upgrade() -> None:\n"
        '    op.create_table("story_notes", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("note", sa.Text()))\n'
        '    with op.batch_alter_table("articles") as batch:\n        batch.add_column(sa.Column("note_id", sa.Integer()))\n\n\n'
        "def downgrade() -> None:\n    pass\n"
    )
    monkeypatch.setattr(migrations, "VERSIONS", scripts / "versions")  # alembic_config follows it
    url = f"sqlite:///{tmp_path / 'old.db'}"
    make_pre_migration_database(url)
    before = dump(url)
    engine = make_engine(url)
    assert prepare(engine, "old.db") == (None, "0099")
    engine.dispose()
    after = dump(url)
    assert {t: len(r) for t, r in after.items()} == {t: len(r) for t, r in before.items()}
    assert after["delivery_runs"] == before["delivery_runs"]
    (backup,) = tmp_path.glob("old.db.before-0001-*.bak")
    assert dump(f"sqlite:///{backup}") == before
    with create_engine(url).connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0099"
        assert conn.execute(text("SELECT count(*) FROM story_notes")).scalar() == 0


def test_a_database_from_a_newer_briefbot_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    open_store(url).close()
    with create_engine(url).begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError, match=r"revision 9999, newer than this briefbot.*upgrade briefbot"):
        open_store(url)


def test_db_current_and_upgrade_commands(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    make_pre_migration_database(url)
    config = tmp_path / "briefbot.yaml"
    config.write_text(f'storage: {{url: "{url}"}}\n')
    runner = CliRunner()
    result = runner.invoke(app, ["--config", str(config), "db", "current"])
    assert (
        result.exit_code == 0 and "schema revision none (made before migrations: baseline)" in result.stdout
    )
    result = runner.invoke(app, ["--config", str(config), "db", "upgrade"])
    assert result.exit_code == 0 and f"schema revision none -> {migrations.head()}" in result.stdout
    result = runner.invoke(app, ["--config", str(config), "db", "upgrade"])
    assert f"already at schema revision {migrations.head()}" in result.stdout
