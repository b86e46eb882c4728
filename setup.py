"""Ship the bundled demo inside the wheel: `config/demo.yaml` and `corpus/demo/` become `bot/_demo/`.

They stay at the top of the repository, where a reader of the checkout looks for them, and
`bot.config.loader.bundled_demo` finds either place. Everything else is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
DEMO_FILES = {"config/demo.yaml": "config/demo.yaml", "corpus/demo": "corpus/demo"}


class BuildWithDemo(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "bot" / "_demo"
        for source, dest in DEMO_FILES.items():
            src, dst = HERE / source, target / dest
            dst.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():
                shutil.copytree(src, dst, dirs_exist_ok=True)
            else:
                shutil.copyfile(src, dst)


setup(cmdclass={"build_py": BuildWithDemo})
