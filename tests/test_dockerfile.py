"""The Dockerfile is linted with the official parser (no Docker engine on CI machines) and built
when an engine is available."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import dockerfile
import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def instructions() -> list[dockerfile.Command]:
    return list(dockerfile.parse_file(str(REPO / "Dockerfile")))


def _all(instructions: list[dockerfile.Command], cmd: str) -> list[dockerfile.Command]:
    return [c for c in instructions if c.cmd == cmd]


def test_slim_python_base(instructions: list[dockerfile.Command]) -> None:
    base = _all(instructions, "FROM")[0].value[0]
    assert base.startswith("python:3.11") and "slim" in base


def test_runs_as_non_root_user(instructions: list[dockerfile.Command]) -> None:
    users = _all(instructions, "USER")
    assert users, "no USER instruction: the bot would run as root"
    assert users[-1].value[0] not in ("root", "0")


def test_config_and_data_on_volumes(instructions: list[dockerfile.Command]) -> None:
    volumes = [v for c in _all(instructions, "VOLUME") for v in c.value]
    assert "/data" in volumes and "/config" in volumes
    env = dict(zip(*[iter(_all(instructions, "ENV")[0].value)] * 2, strict=True))
    assert env["BRIEFBOT_CONFIG"].startswith("/config/")


def test_default_command_is_run(instructions: list[dockerfile.Command]) -> None:
    assert _all(instructions, "ENTRYPOINT")[-1].value == ("briefbot",)
    assert _all(instructions, "CMD")[-1].value[0] == "run"


def test_every_copied_path_exists(instructions: list[dockerfile.Command]) -> None:
    for c in _all(instructions, "COPY"):
        for src in c.value[:-1]:
            assert (REPO / src).exists(), f"COPY {src}: not in the repo"


def test_example_config_it_copies_is_shipped() -> None:
    text = (REPO / "Dockerfile").read_text()
    assert "config/briefbot.example.yaml" in text
    assert (REPO / "config" / "briefbot.example.yaml").is_file()


@pytest.mark.skipif(
    shutil.which("docker") is None or subprocess.run(["docker", "info"], capture_output=True).returncode != 0,
    reason="no Docker engine on this machine (the client alone cannot build); the lint tests above ran",
)
def test_image_builds() -> None:  # pragma: no cover - needs a Docker engine
    subprocess.run(["docker", "build", "-t", "briefbot:test", str(REPO)], check=True, timeout=1800)


def test_dockerignore_keeps_secrets_and_clutter_out_of_the_build_context(
    instructions: list[dockerfile.Command],
) -> None:
    import fnmatch

    ignore = REPO / ".dockerignore"
    assert ignore.is_file(), "no .dockerignore: .env, .git and .venv would be sent to the Docker daemon"
    patterns = [ln.strip() for ln in ignore.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    for needed in (".env", ".git", ".venv", "*.db"):
        assert needed in patterns
    for c in _all(instructions, "COPY"):
        for src in c.value[:-1]:
            assert not any(fnmatch.fnmatch(src.rstrip("/"), p) for p in patterns), (
                f"{src} is ignored but copied"
            )
