"""docker-compose.yml: bot + postgres:15, volumes, secrets from the environment, a working healthcheck.

No Docker engine here: the file is checked as data, its embedded briefbot config is loaded with the
real config loader, and its healthcheck command is run against a real health server.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from bot.app import App
from bot.config import load_config
from bot.scheduling.runner import Runner, RunOptions

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
    return data


def test_services_volumes_and_restart(compose: dict[str, Any]) -> None:
    bot, db = compose["services"]["briefbot"], compose["services"]["db"]
    assert bot["build"]["context"] == "." and db["image"] == "postgres:15"
    assert bot["restart"] == db["restart"] == "unless-stopped"
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert {v.split(":")[1] for v in bot["volumes"]} == {"/config", "/data"}
    assert db["volumes"] == ["postgres-data:/var/lib/postgresql/data"]
    assert set(compose["volumes"]) == {"briefbot-config", "briefbot-data", "postgres-data"}
    assert bot["command"][:3] == ["run", "--health-port", "8080"]
    worker = compose["services"]["worker"]
    assert worker["command"][0] == "worker" and worker["image"] == bot["image"]
    assert str(worker["deploy"]["replicas"]).startswith("${BRIEFBOT_WORKERS:-")
    assert worker["environment"] == bot["environment"] and worker["volumes"] == bot["volumes"]


def test_secrets_come_from_the_environment(compose: dict[str, Any]) -> None:
    secret = re.compile(r"PASSWORD|TOKEN|SECRET")
    checked = 0
    for service in compose["services"].values():
        for key, value in service.get("environment", {}).items():
            if secret.search(key):
                assert str(value).startswith("${"), f"{key} must come from .env as ${{...}}, not {value!r}"
                checked += 1
    assert checked >= 5
    assert "${POSTGRES_PASSWORD:?" in compose["services"]["briefbot"]["environment"]["BRIEFBOT_DATABASE_URL"]


def test_the_embedded_config_is_valid(
    compose: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = compose["configs"]["briefbot_yaml"]["content"].replace("$$", "$")  # compose's escaping
    path = tmp_path / "briefbot.yaml"
    path.write_text(content, encoding="utf-8")
    monkeypatch.setenv("BRIEFBOT_DATABASE_URL", "postgresql+psycopg://briefbot:pw@db:5432/briefbot")
    loaded = load_config(path)
    assert loaded.config.storage.url.startswith("postgresql+psycopg://")
    assert [d.platform for d in loaded.config.deliveries] == ["file"]
    assert loaded.config.sources and loaded.config.topics


def test_the_healthcheck_command_passes_against_a_running_bot(
    compose: dict[str, Any], tmp_path: Path
) -> None:
    test = compose["services"]["briefbot"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"] and "127.0.0.1:8080/healthz" in test[3]
    config = tmp_path / "briefbot.yaml"
    config.write_text('storage: {url: "sqlite:///bot.db"}\nsummarizer: {engine: lead}\n', encoding="utf-8")
    runner = Runner(App(load_config(config)), RunOptions(health_port=0))

    async def check() -> tuple[int, int]:
        await runner.start()
        try:
            code = test[3].replace("8080", str(runner.health_port))
            ok = await asyncio.to_thread(subprocess.run, [sys.executable, "-c", code], timeout=30)
            runner.health.stopping = True  # a stopping bot must fail the check
            bad = await asyncio.to_thread(
                subprocess.run, [sys.executable, "-c", code], capture_output=True, timeout=30
            )
            return ok.returncode, bad.returncode
        finally:
            await runner.stop()

    assert asyncio.run(check()) == (0, 1)
