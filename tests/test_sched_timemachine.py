"""The production path end to end at a DST change: the real `Runner` and APScheduler wake the job.

time-machine moves the wall clock (what APScheduler and the bot read) to one minute before 07:00 in
Berlin on the night clocks went forward; the event loop's monotonic timers still run in real time,
so APScheduler really sleeps until the fire time, and the `file` delivery must post exactly once.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine

from bot.adapters.file import read_lines
from bot.app import App
from bot.config import load_config
from bot.scheduling.runner import Runner, RunOptions


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "local",
    [
        datetime(2026, 3, 29, 6, 59, 57, tzinfo=ZoneInfo("Europe/Berlin")),  # first morning of CEST
        datetime(2026, 11, 1, 6, 59, 57, tzinfo=ZoneInfo("America/New_York")),  # first morning of EST
    ],
    ids=["berlin-spring", "new-york-autumn"],
)
def test_apscheduler_posts_the_seven_oclock_briefing_once_on_a_dst_day(
    tmp_path: Path, local: datetime
) -> None:
    config = tmp_path / "briefbot.yaml"
    config.write_text(
        f"""\
storage: {{url: "sqlite:///bot.db"}}
deliveries:
  - {{name: morning, platform: file, path: out.jsonl, cron: "0 7 * * *", timezone: {local.tzinfo}}}
summarizer: {{engine: lead}}
""",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"

    async def scenario() -> None:
        runner = Runner(App(load_config(config)), RunOptions())
        await runner.start()
        try:
            assert not out.exists(), "nothing is due before 07:00"
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and not out.exists():
                await asyncio.sleep(0.1)
            await asyncio.sleep(1.5)  # a second firing, if APScheduler made one, would land now
        finally:
            await runner.stop()

    with time_machine.travel(local, tick=True):
        asyncio.run(scenario())
    lines = [data for _, data in read_lines(out)]
    seven = local.replace(second=0, minute=0, hour=7).astimezone(ZoneInfo("UTC"))
    assert [line["scheduled_for"] for line in lines] == [seven.isoformat().replace("+00:00", "Z")]
    assert [line["delivery"] for line in lines] == ["morning"]
