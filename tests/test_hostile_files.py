"""Issue #16: a `path:` folder (or `brief --input`) never reads outside itself or from the kernel.

Before, a link `notes.txt -> /proc/self/environ` put the process's environment (tokens included)
into a briefing, a FIFO hung the read forever, and a link to a file elsewhere was read as news.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from pathlib import Path

import pytest

from bot.core.protocols import SourceState
from bot.ingest.files import FileSource, InputError, read_inputs, read_path

pytestmark = pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc")

BODY = (
    "The harbour council approved the pier budget on Tuesday after a long debate. "
    "Work starts in spring, officials said, and should last two years."
)


def hostile_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "desk"
    (folder / "sub").mkdir(parents=True)
    (folder / "story.txt").write_text(f"Pier budget approved\n\n{BODY}", encoding="utf-8")
    (folder / "sub" / "real.md").write_text(f"# Crane rails repaired\n\n{BODY}", encoding="utf-8")
    (folder / "inner.md").symlink_to(folder / "sub" / "real.md")  # stays inside: read
    private = tmp_path / "private"
    private.mkdir()
    (private / "secret.md").write_text("# TOPSECRET plans\n\nTOPSECRET text that is not news at all.\n")
    (folder / "outside.md").symlink_to(private / "secret.md")
    (folder / "elsewhere").symlink_to(private, target_is_directory=True)
    (folder / "notes.txt").symlink_to("/proc/self/environ")
    (folder / "version.txt").symlink_to("/proc/version")
    for candidate in ("/sys/kernel/uevent_seqnum", "/sys/kernel/mm/transparent_hugepage/enabled"):
        if os.path.exists(candidate):
            (folder / "kernel.txt").symlink_to(candidate)
            break
    os.mkfifo(folder / "pipe.txt")
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(folder / "sock.txt"))
    return folder


def read_within(seconds: float, *args: object) -> object:
    """read_path in a thread, so a read that blocks (a FIFO) fails the test instead of hanging it."""
    found: list[object] = []
    thread = threading.Thread(target=lambda: found.append(read_path(*args)), daemon=True)  # type: ignore[arg-type]
    thread.start()
    thread.join(seconds)
    assert found, f"reading the folder did not finish within {seconds} s (a FIFO read blocks)"
    return found[0]


def test_links_out_of_the_folder_proc_sys_fifos_and_sockets_are_never_read(tmp_path: Path) -> None:
    folder = hostile_folder(tmp_path)
    result = read_within(10, folder)
    titles = sorted(a.title for a in result.articles)  # type: ignore[attr-defined]
    assert titles == ["Crane rails repaired", "Crane rails repaired", "Pier budget approved"]
    text = "\n".join(a.text for a in result.articles)  # type: ignore[attr-defined]
    for leaked in ("TOPSECRET", "PATH=", "Linux version"):
        assert leaked not in text
    warnings = "\n".join(result.warnings)  # type: ignore[attr-defined]
    assert "outside.md: skipped: a link that leads outside the folder" in warnings
    assert "notes.txt: skipped: /proc/" in warnings and "version.txt: skipped: /proc/version" in warnings
    assert "pipe.txt: skipped: not a regular file (a FIFO)" in warnings
    assert "sock.txt: skipped: not a regular file (a socket)" in warnings
    if (folder / "kernel.txt").exists():
        assert "kernel.txt: skipped: /sys/" in warnings


def test_a_configured_path_or_input_into_proc_gives_no_article(tmp_path: Path) -> None:
    link = tmp_path / "environ.txt"
    link.symlink_to("/proc/self/environ")
    with pytest.raises(InputError, match="no articles found"):
        read_inputs([link])
    with pytest.raises(InputError, match="no articles found"):
        read_inputs([Path("/proc/self/environ")])
    source = FileSource("env", link)
    outcome = asyncio.run(source.fetch(SourceState("env")))
    assert not outcome.articles and "PATH=" not in " ".join(outcome.warnings)
