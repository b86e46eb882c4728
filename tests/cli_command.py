"""How tests start the real `briefbot` entry point, as an admin would."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def briefbot_command() -> list[str]:
    """The installed `briefbot` script beside this Python, else on PATH, else `python -m bot`."""
    exe = Path(sys.executable).with_name("briefbot")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("briefbot")
    return [found] if found else [sys.executable, "-m", "bot"]
