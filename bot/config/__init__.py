"""Loading and validating `briefbot.yaml`."""

from bot.config.loader import ConfigError, ConfigIssue, LoadedConfig, load_config, resolve_config_path
from bot.config.schema import BriefbotConfig

__all__ = [
    "BriefbotConfig",
    "ConfigError",
    "ConfigIssue",
    "LoadedConfig",
    "load_config",
    "resolve_config_path",
]
