"""Writing small front-matter articles for tests that need a local corpus (chat, Discord, Slack)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path


def write_article(folder: Path, name: str, title: str, outlet: str, published: datetime, text: str) -> Path:
    """`name` ends in `.md`; the URL is made from the outlet and the file name on a `.example` host."""
    path = folder / name
    path.write_text(
        f'---\ntitle: "{title}"\noutlet: {outlet}\nurl: https://{outlet.lower().replace(" ", "")}.example/'
        f"{name[:-3]}\npublished: {published.isoformat()}\n---\n\n{text}\n",
        encoding="utf-8",
    )
    return path
