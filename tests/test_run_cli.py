"""`briefbot run` flags: shard ids, and start-up errors a user can act on."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

import bot.cli.run_cmd  # noqa: F401  (registers the command)
from bot.cli import app
from bot.cli.run_cmd import parse_shard_ids


def test_shard_ids_parse() -> None:
    assert parse_shard_ids(None) is None
    assert parse_shard_ids("0,1") == [0, 1]
    assert parse_shard_ids("4-6, 1") == [1, 4, 5, 6]
    for bad in ("a", "3-1", "1,,x", "-2"):
        with pytest.raises(ValueError, match="--shard-ids"):
            parse_shard_ids(bad)


def _config(tmp_path: Path) -> Path:
    config = tmp_path / "briefbot.yaml"
    config.write_text('storage: {url: "sqlite:///bot.db"}\nsummarizer: {engine: lead}\n', encoding="utf-8")
    return config


def test_bad_shard_flags_exit_2(tmp_path: Path) -> None:
    config = _config(tmp_path)
    result = CliRunner().invoke(app, ["--config", str(config), "run", "--shard-ids", "0,x"])
    assert result.exit_code == 2 and "not a shard number" in result.output
    result = CliRunner().invoke(
        app, ["--config", str(config), "run", "--shard-ids", "0,3", "--shard-count", "2"]
    )
    assert result.exit_code == 2 and "does not fit --shard-count 2" in result.output


def test_a_health_port_in_use_is_one_clear_line_and_exit_1(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(
            app, ["--config", str(_config(tmp_path)), "run", "--health-port", str(port)]
        )
    assert result.exit_code == 1
    assert f"cannot serve /healthz on 127.0.0.1:{port}" in result.output and "--health-port" in result.output
