"""The slash commands a Slack app manifest must declare, derived from the core's declarations.

slack/manifest.yaml is pasted into Slack by hand, so it cannot be generated at run time; a test
(tests/test_slack_adapter.py) checks that it lists exactly these commands, with these descriptions
and usage hints, and `python -m bot.adapters.slack.manifest` prints them to paste.
"""

from __future__ import annotations

from typing import Any

from bot.core.commands import COMMAND_SPECS, CommandSpec

DESCRIPTION_MAX = 100  # Slack's limit on a slash command's description
ADMINS = " (workspace admins)"


def slash_command(spec: CommandSpec) -> dict[str, Any]:
    """One `features.slash_commands` entry (without the HTTP-mode `url`)."""
    description = spec.description + (ADMINS if spec.needs_manage_channel else "")
    entry: dict[str, Any] = {"command": f"/{spec.name}", "description": description[:DESCRIPTION_MAX]}
    if spec.options:
        entry["usage_hint"] = " ".join(o.usage for o in spec.options)
    entry["should_escape"] = False
    return entry


def slash_commands() -> list[dict[str, Any]]:
    return [slash_command(spec) for spec in COMMAND_SPECS]


def main() -> None:
    import sys

    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.default_flow_style = False
    yaml.dump({"slash_commands": slash_commands()}, sys.stdout)


if __name__ == "__main__":
    main()
