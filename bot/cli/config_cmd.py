"""`briefbot config check|schema`: validate a config file before starting the bot, or print its schema."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from bot.cli import app
from bot.cli.state import CliState
from bot.config import BriefbotConfig, ConfigError, load_config, resolve_config_path

config_app = typer.Typer(
    name="config",
    help="Check a config file, or print the JSON Schema of briefbot.yaml.",
    no_args_is_help=True,
)
app.add_typer(config_app, name="config")

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


@config_app.command("check")
def check(
    ctx: typer.Context,
    file: Path = typer.Argument(
        None, help="config file to check (default: the one briefbot would use)", show_default=False
    ),
) -> None:
    """Validate a config file: exit 0 if usable, else print FILE:LINE: key.path: message and exit 2."""
    if file is None:
        state = ctx.find_object(CliState)
        file = state.config_path if state is not None else resolve_config_path(None)
    try:
        loaded = load_config(file)
    except ConfigError as exc:
        for issue in exc.issues:
            typer.echo(str(issue))
        raise typer.Exit(2) from None
    from bot.embeddings import config_issue, embedding_status

    problem = config_issue(loaded)
    if problem is not None:
        typer.echo(str(problem))
        raise typer.Exit(2)
    embeddings = embedding_status(loaded)
    if embeddings.warning:
        typer.echo(f"warning: {embeddings.line()}", err=True)
    cfg = loaded.config
    typer.echo(
        f"{file}: ok ({_plural(len(cfg.sources), 'source')}, {_plural(len(cfg.topics), 'topic')}, "
        f"{_plural(len(cfg.deliveries), 'delivery', 'deliveries')})"
    )


def config_json_schema() -> dict[str, object]:
    """The JSON Schema of briefbot.yaml, usable by editors (e.g. yaml-language-server)."""
    schema: dict[str, object] = {"$schema": JSON_SCHEMA_DIALECT}
    schema.update(BriefbotConfig.model_json_schema(mode="validation"))
    return schema


@config_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of briefbot.yaml."""
    typer.echo(json.dumps(config_json_schema(), indent=2, ensure_ascii=False))
