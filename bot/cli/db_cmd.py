"""`briefbot db current|upgrade`: where the database's schema stands, and bringing it to this version.

Every command that opens the store upgrades an older database by itself (see bot.store.schema);
`db upgrade` does it on purpose, e.g. once before restarting several replicas after an upgrade.
"""

from __future__ import annotations

import typer

from bot.cli import app

db_app = typer.Typer(
    name="db", help="The database schema: its revision, and upgrading it.", no_args_is_help=True
)
app.add_typer(db_app, name="db")


@db_app.command("current")
def current(ctx: typer.Context) -> None:
    """Print the database's schema revision and this briefbot's (the head); change nothing."""
    from bot.cli.state import err_console
    from bot.errors import StoreError
    from bot.store import migrations
    from bot.store.engine import display_url, make_engine
    from bot.store.schema import read_state

    loaded = ctx.obj.loaded()
    try:
        engine = make_engine(loaded.config.storage.url, loaded.base_dir)
        with engine.connect() as conn:
            state = read_state(conn)
        engine.dispose()
    except StoreError as exc:
        err_console.print(str(exc), markup=False)
        raise typer.Exit(1) from None
    found = state.revision or ("none (made before migrations: baseline)" if state.legacy else "none (empty)")
    where = display_url(engine.url)
    typer.echo(f"{where}: schema revision {found}; this briefbot: {migrations.head()}")


@db_app.command("upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Upgrade the database to this briefbot's schema (a SQLite file is copied first)."""
    from bot.cli.state import err_console
    from bot.errors import StoreError
    from bot.store.engine import display_url, make_engine
    from bot.store.schema import prepare

    loaded = ctx.obj.loaded()
    try:
        engine = make_engine(loaded.config.storage.url, loaded.base_dir)
        where = display_url(engine.url)
        found, head = prepare(engine, where)
        engine.dispose()
    except StoreError as exc:
        err_console.print(str(exc), markup=False)
        raise typer.Exit(1) from None
    if found == head:
        typer.echo(f"{where}: already at schema revision {head}")
    else:
        typer.echo(f"{where}: schema revision {found or 'none'} -> {head}")
