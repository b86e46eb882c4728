"""`briefbot discord sync [--guild ID]`: register the slash commands with Discord (HTTP only, no gateway)."""

from __future__ import annotations

import asyncio

import typer

from bot.cli import app

discord_app = typer.Typer(name="discord", help="Discord bot set-up.", no_args_is_help=True)
app.add_typer(discord_app)


@discord_app.command("sync")
def sync(
    ctx: typer.Context,
    guild: int = typer.Option(
        None,
        "--guild",
        "-g",
        help="register in this server only (instant) instead of discord.guild_ids or globally",
    ),
) -> None:
    """Register /brief and the other commands: in --guild, else in discord.guild_ids, else globally."""
    from bot.adapters.discord import DiscordAdapter
    from bot.cli.state import err_console
    from bot.errors import ChatAdapterError

    loaded = ctx.obj.loaded()
    config = loaded.config.discord
    if config is None:
        err_console.print(
            f"{loaded.path}: no `discord:` section; add `discord: {{token: ${{DISCORD_TOKEN}}}}` and "
            "set DISCORD_TOKEN",
            markup=False,
            soft_wrap=True,
        )
        raise typer.Exit(2)

    def no_core() -> None:
        raise RuntimeError("`discord sync` answers no commands")

    async def run() -> dict[str, list[str]]:
        adapter = DiscordAdapter.from_config(config, no_core)  # type: ignore[arg-type]
        try:
            await adapter.login()
            return await adapter.sync(guild)
        finally:
            await adapter.close()

    try:
        registered = asyncio.run(run())
    except ChatAdapterError as exc:
        err_console.print(str(exc), markup=False, soft_wrap=True)
        raise typer.Exit(2) from None
    for where, names in registered.items():
        label = "globally (may take up to an hour to appear)" if where == "global" else f"guild {where}"
        typer.echo(f"{label}: {len(names)} commands: " + " ".join(f"/{n}" for n in sorted(names)))
