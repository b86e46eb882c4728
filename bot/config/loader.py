"""Read a YAML file into a validated `BriefbotConfig`.

MINIMAL PLACEHOLDER: to be replaced by the full loader (line numbers, did-you-mean,
duplicate keys, alias bombs, ${ENV} secrets).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from bot.config.schema import BriefbotConfig

REPO_ROOT = Path(__file__).resolve().parents[2]
BUNDLED_DEMO = REPO_ROOT / "config" / "demo.yaml"


@dataclass(frozen=True)
class ConfigIssue:
    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line if self.line is not None else '?'}: {self.path or '(top)'}: {self.message}"


class ConfigError(Exception):
    def __init__(self, issues: list[ConfigIssue]):
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


@dataclass
class LoadedConfig:
    config: BriefbotConfig
    path: Path
    secrets: list[str] = field(default_factory=list)

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def resolve_path(self, value: str) -> Path:
        p = Path(os.path.expanduser(value))
        return p if p.is_absolute() else (self.base_dir / p).resolve()


def resolve_config_path(explicit: str | os.PathLike[str] | None) -> Path:
    if explicit:
        return Path(explicit)
    env = os.environ.get("BRIEFBOT_CONFIG")
    if env:
        return Path(env)
    local = Path("briefbot.yaml")
    if local.exists():
        return local
    return BUNDLED_DEMO


def load_config(path: str | os.PathLike[str]) -> LoadedConfig:
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError([ConfigIssue(str(p), None, "", f"cannot read file: {exc.strerror}")]) from None
    try:
        cfg = BriefbotConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError([
            ConfigIssue(str(p), None, ".".join(str(x) for x in e["loc"]), e["msg"]) for e in exc.errors()
        ]) from None
    return LoadedConfig(cfg, p.resolve())
