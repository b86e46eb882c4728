"""The README's quick start is two commands, and .ci/run runs the second one (the tests)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def quick_start_commands() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", section, re.DOTALL)]


def test_two_commands_and_ci_runs_the_test_one() -> None:
    commands = quick_start_commands()
    assert len(commands) == 2 and all("\n" not in c for c in commands), commands
    main_job, tests = (c.split(" && ") for c in commands)
    assert main_job[0] == tests[0] == "python3 -m venv .venv"
    assert main_job[-1].endswith("briefbot brief") and tests[-1].endswith("-m pytest")
    script = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    ci = [[w for w in shlex.split(line, comments=True) if w != "-q"] for line in script]
    for step in tests:  # each step of the README's command is a line of .ci/run (which adds -q, || exit 1)
        words = shlex.split(step)
        assert any(line[: len(words)] == words for line in ci), f".ci/run does not run: {step}"
