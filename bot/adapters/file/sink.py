"""`FileSink`: a delivery that appends one JSON line per posted briefing (platform "file").

Each line is `{"delivery", "scheduled_for", "posted_at", "briefing"}` with the briefing in its
contract JSON (`Briefing.to_dict()`). The file is the platform, so it is also the record of what
was posted: before appending, the sink looks for a line with the same delivery and scheduled time
and returns that line instead of writing a second one. Scan and append happen under an exclusive
`flock`, so processes sharing the file cannot interleave; each line is flushed and fsynced.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from bot.core.protocols import PostResult
from bot.errors import PostError
from summarizer.model import Briefing

__all__ = ["FileSink", "FileSinkError", "read_lines"]


class FileSinkError(PostError):
    """The delivery file cannot be opened or written; the message names the file and the cause.
    Whether a line may have been written is checked by `already_posted` before any retry."""


def _iso(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def split_key(idempotency_key: str) -> tuple[str, str | None]:
    """`"<delivery>@<ISO time>"` → (delivery, ISO time); a key without `@` is a delivery name only."""
    delivery, sep, when = idempotency_key.rpartition("@")
    return (delivery, when) if sep and delivery else (idempotency_key, None)


def read_lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(byte offset, parsed line) for every readable line; a torn or foreign line is skipped."""
    try:
        f = path.open("rb")
    except FileNotFoundError:
        return
    with f:
        offset = 0
        for raw in f:
            start, offset = offset, offset + len(raw)
            try:
                data = json.loads(raw)
            except ValueError:
                continue
            if isinstance(data, dict):
                yield start, data


class FileSink:
    """Implements `Sink`; the message id is `file:<byte offset of the line>`."""

    platform = "file"

    def __init__(self, path: Path, *, clock: Callable[[], datetime] | None = None) -> None:
        self.path = Path(path)
        self._clock = clock or (lambda: datetime.now(UTC))

    def __repr__(self) -> str:
        return f"<FileSink {self.path}>"

    async def post(self, briefing: Briefing, *, idempotency_key: str, note: str | None = None) -> PostResult:
        return await asyncio.to_thread(self._post, briefing, idempotency_key, note)

    async def already_posted(self, idempotency_key: str) -> PostResult | None:
        """The line this key already wrote, if any (checked before a takeover posts again)."""
        return await asyncio.to_thread(self._find_unlocked, idempotency_key)

    # -- blocking parts, run in a worker thread --------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[IO[bytes]]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            f = self.path.open("a+b")
        except OSError as exc:
            raise FileSinkError(f"cannot open the delivery file {self.path}: {exc.strerror}") from None
        with f:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX)
            try:
                yield f
            finally:
                fcntl.flock(f.fileno(), fcntl.LOCK_UN)

    def _find_unlocked(self, idempotency_key: str) -> PostResult | None:
        delivery, when = split_key(idempotency_key)
        if when is None:
            return None
        offset = self._find(delivery, when)
        return None if offset is None else PostResult([f"file:{offset}"], self.platform)

    def _find(self, delivery: str, when: str) -> int | None:
        for offset, data in read_lines(self.path):
            if data.get("delivery") == delivery and data.get("scheduled_for") == when:
                return offset
        return None

    def _post(self, briefing: Briefing, idempotency_key: str, note: str | None) -> PostResult:
        delivery, when = split_key(idempotency_key)
        line: dict[str, Any] = {
            "delivery": delivery,
            "scheduled_for": when,
            "posted_at": _iso(self._clock()),
            "briefing": briefing.to_dict(),
        }
        if note:
            line["note"] = note
        data = (json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8")
        with self._locked() as f:
            if when is not None:
                found = self._find(delivery, when)
                if found is not None:
                    return PostResult([f"file:{found}"], self.platform)
            f.seek(0, os.SEEK_END)
            offset = f.tell()
            if offset:
                f.seek(offset - 1)
                if f.read(1) != b"\n":  # a torn last line from a crash: start ours on a new line
                    data = b"\n" + data
                    offset += 1
            try:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            except OSError as exc:
                raise FileSinkError(
                    f"cannot write to the delivery file {self.path}: {exc.strerror}"
                ) from None
        return PostResult([f"file:{offset}"], self.platform)
