"""Helpers the summariser benchmarks share: paths, offline setup, the sumy tokenizer, tables, load notes.

Benchmarks print figures; they are not tests. Everything here is small on purpose so that a reader
can check that both sides of a comparison get the same input and the same sentence segmentation.
"""

from __future__ import annotations

import os
import platform
import re
import resource
import sys
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "seeds"
DEMO_CORPUS = REPO / "corpus" / "demo"
DEMO_CONFIG = REPO / "config" / "demo.yaml"
CACHE_DIR = REPO / "bench" / ".cache"
PYTHON = sys.executable

_WORD = re.compile(r"\w+(?:[-'’]\w+)*")


def offline_env() -> dict[str, str]:
    """The environment for this process and its children: no model download, ever."""
    for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        os.environ.setdefault(key, "1")
    return dict(os.environ)


def cache_dir() -> Path:
    """bench/.cache, created with a .gitignore of its own so generated stores never reach git."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    ignore = CACHE_DIR / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# generated benchmark data\n*\n", encoding="utf-8")
    return CACHE_DIR


def require_seeds() -> Path:
    if not SEEDS.is_dir():
        raise SystemExit(f"the seed articles are expected at {SEEDS} (../shared/seeds beside the repo)")
    return SEEDS


# --- one sentence segmentation for every system ---------------------------------------------------


@lru_cache(maxsize=1)
def _pysbd() -> Any:
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


def split_sentences(text: str) -> list[str]:
    """pysbd sentences of one paragraph (the splitter our summariser uses too), stripped, non-empty."""
    text = " ".join(text.split())
    if not text:
        return []
    return [s.strip() for s in _pysbd().segment(text) if s.strip()]


def words(sentence: str) -> list[str]:
    return _WORD.findall(sentence)


class SentenceTokenizer:
    """What sumy's parsers ask of a tokenizer, without NLTK's punkt data (which cannot be downloaded here)."""

    language = "english"

    def to_sentences(self, text: str) -> list[str]:
        return split_sentences(text)

    def to_words(self, sentence: str) -> list[str]:
        return words(sentence)


def paragraphs(text: str) -> list[str]:
    """Blank-line separated blocks; a single-newline text is one block per line."""
    blocks = [b for b in re.split(r"\n\s*\n", text) if b.strip()]
    if len(blocks) <= 1:
        blocks = [b for b in text.splitlines() if b.strip()]
    return blocks


# --- reporting ------------------------------------------------------------------------------------


def peak_rss_mb() -> float:
    """This process's peak resident set size (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def vm_hwm_kb(pid: int | str = "self") -> int | None:
    """A process's peak resident set size (VmHWM from /proc, kB); None once it has gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def code_state() -> str:
    """The commit measured, and whether the summariser had uncommitted edits (others work in parallel)."""
    import subprocess

    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    rev = git("rev-parse", "--short", "HEAD") or "unknown commit"
    dirty = git("status", "--porcelain", "--", "summarizer", "bot/core", "bot/store")
    return f"commit {rev}" + (" + uncommitted edits in summarizer/ or bot/" if dirty else "")


def machine_note() -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{os.cpu_count()} CPUs, load average {load}, Python {platform.python_version()}"


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A Markdown table (readable in a terminal and pasteable into RESULTS-summarizer.md)."""
    body = [[_cell(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(headers)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    out = [line, rule]
    out.extend("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in body)
    return "\n".join(out)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)
