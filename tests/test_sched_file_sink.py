"""The `file` delivery sink: one JSON line per run, fsynced, and never a second line for one run."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
from datetime import UTC, datetime
from pathlib import Path

from bot.adapters.file import FileSink, read_lines
from summarizer.model import Briefing, Bullet, SourceRef, Story

WHEN = datetime(2026, 3, 29, 5, 0, tzinfo=UTC)


def briefing(title: str = "Talks in Geneva") -> Briefing:
    return Briefing(
        topic="diplomacy",
        generated_at=WHEN,
        stories=[
            Story(title=title, bullets=[Bullet("Ministers met on Tuesday.", [1])], quotes=[], sources=[1])
        ],
        sources=[SourceRef(1, "Ministers meet", "https://example.org/a", "Example Post")],
    )


def test_a_post_appends_one_contract_line(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "out.jsonl"
    sink = FileSink(path, clock=lambda: datetime(2026, 3, 29, 5, 0, 3, tzinfo=UTC))
    result = asyncio.run(sink.post(briefing(), idempotency_key="morning@2026-03-29T05:00:00Z"))
    assert result.platform == "file" and result.message_ids == ["file:0"]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert data == {
        "delivery": "morning",
        "scheduled_for": "2026-03-29T05:00:00Z",
        "posted_at": "2026-03-29T05:00:03Z",
        "briefing": briefing().to_dict(),
    }


def test_the_same_run_is_not_written_twice_and_ids_are_line_offsets(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    sink = FileSink(path)

    async def go() -> list[list[str]]:
        ids = []
        for key in (
            "m@2026-03-29T05:00:00Z",
            "m@2026-03-30T05:00:00Z",
            "m@2026-03-29T05:00:00Z",
            "other@2026-03-29T05:00:00Z",
        ):
            ids.append((await sink.post(briefing(), idempotency_key=key)).message_ids)
        return ids

    ids = asyncio.run(go())
    size_first = len(path.read_bytes().splitlines(keepends=True)[0])
    assert ids[0] == ["file:0"] and ids[1] == [f"file:{size_first}"] and ids[2] == ids[0]
    assert len(path.read_text().splitlines()) == 3
    found = asyncio.run(sink.already_posted("m@2026-03-30T05:00:00Z"))
    assert found is not None and found.message_ids == ids[1]
    assert asyncio.run(sink.already_posted("m@2026-04-01T05:00:00Z")) is None


def test_a_torn_last_line_is_skipped_and_the_next_line_starts_clean(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_text(
        '{"delivery": "m", "scheduled_for": "2026-03-29T05:00:00Z", "briefing": {"top', encoding="utf-8"
    )
    sink = FileSink(path)
    asyncio.run(sink.post(briefing(), idempotency_key="m@2026-03-29T05:00:00Z"))
    rows = list(read_lines(path))
    assert len(rows) == 1 and rows[0][1]["scheduled_for"] == "2026-03-29T05:00:00Z"
    assert path.read_bytes()[rows[0][0] - 1 : rows[0][0]] == b"\n"


def _writer(path: str, n: int, start: multiprocessing.synchronize.Event) -> None:  # type: ignore[name-defined]
    sink = FileSink(Path(path))
    start.wait()
    for i in range(n):
        asyncio.run(sink.post(briefing(f"story {i}"), idempotency_key=f"d@2026-03-29T05:{i % 60:02d}:00Z"))


def test_processes_sharing_the_file_write_each_run_once(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    ctx = multiprocessing.get_context("fork")
    start = ctx.Event()
    procs = [ctx.Process(target=_writer, args=(str(path), 30, start)) for _ in range(3)]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    rows = [data for _, data in read_lines(path)]
    assert len(rows) == 30
    assert len({r["scheduled_for"] for r in rows}) == 30
