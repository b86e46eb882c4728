"""The embedded way to run the task functions: in `briefbot run`'s own event loop, no PostgreSQL.

It keeps procrastinate's semantics for the things briefbot relies on: a `queueing_lock` allows
one queued (not yet started) job per key; a `lock` lets one job per key run at a time, others wait
their turn; a failed job that raised `RetryLater` is tried again after its `RetryPolicy` wait.
Each queue has a few slots, so compositions (CPU) never hold up posts or polls.

Jobs live in memory: they end with the process. The delivery runs they were working on are in the
database, and `Runner.start` hands the unfinished ones to new jobs (`Ticker.resume`).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.tasks import TASKS, RetryLater, run_task

if TYPE_CHECKING:
    from bot.app import App

__all__ = ["InlineQueue"]

log = logging.getLogger(__name__)

SLOTS = {"ticks": 1, "polls": 8, "stories": 1, "compose": 2, "posts": 4}


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__


class InlineQueue:
    """`TaskQueue` that runs each deferred job as an asyncio task of this process."""

    name = "inline"

    def __init__(self, app: App) -> None:
        self.app = app
        self._ids = itertools.count(1)
        self._queued: set[str] = set()
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._slots = {q: asyncio.Semaphore(n) for q, n in SLOTS.items()}
        self._jobs: set[asyncio.Task[None]] = set()
        self._closed = False
        self.done: defaultdict[str, int] = defaultdict(int)  # finished jobs per task, for tests
        self.failed: defaultdict[str, int] = defaultdict(int)

    async def defer(self, task: str, *, schedule_at: datetime | None = None, **kwargs: Any) -> bool:
        if self._closed:
            return False
        spec = TASKS[task]
        queued = spec.queueing_lock(kwargs)
        if queued is not None:
            if queued in self._queued:
                return False
            self._queued.add(queued)
        job = asyncio.get_running_loop().create_task(
            self._run(task, dict(kwargs), 0, schedule_at, queued), name=f"{task}#{next(self._ids)}"
        )
        self._jobs.add(job)
        job.add_done_callback(self._jobs.discard)
        return True

    async def _run(
        self, task: str, kwargs: Mapping[str, Any], attempt: int, at: datetime | None, queued: str | None
    ) -> None:
        spec = TASKS[task]
        try:
            if at is not None:
                wait = (at - datetime.now(UTC)).total_seconds()
                if wait > 0:
                    await asyncio.sleep(wait)
            lock = spec.lock(kwargs)
            async with self._locks[lock] if lock else _nothing(), self._slots[spec.queue]:
                if queued is not None:
                    self._queued.discard(queued)  # started: another may be queued now
                    queued = None
                await run_task(self.app, task, kwargs, attempt)
            self.done[task] += 1
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            delay = (
                spec.retry.delay(attempt) if spec.retry is not None and isinstance(exc, RetryLater) else None
            )
            if delay is None:
                self.failed[task] += 1
                level = logging.INFO if isinstance(exc, RetryLater) else logging.ERROR
                log.log(level, "task %s %s failed: %s", task, dict(kwargs), _one_line(exc))
                if not isinstance(exc, RetryLater):
                    log.info("trace of task %s", task, exc_info=exc)
                return
            log.info("task %s %s failed (%s); trying again in %s", task, dict(kwargs), _one_line(exc), delay)
            retry = asyncio.get_running_loop().create_task(
                self._run(task, kwargs, attempt + 1, datetime.now(UTC) + delay, None), name=f"{task} retry"
            )
            self._jobs.add(retry)
            retry.add_done_callback(self._jobs.discard)
        finally:
            if queued is not None:
                self._queued.discard(queued)

    def pending(self) -> int:
        return sum(1 for j in self._jobs if not j.done())

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait until no job is queued or running (tests, and a clean stop)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            running = {j for j in self._jobs if not j.done()}
            if not running:
                return
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise TimeoutError(f"{len(running)} task(s) still running")
            await asyncio.wait(running, timeout=left)

    async def close(self, grace: float = 5.0) -> None:
        """Stop taking jobs, give running ones `grace` seconds, cancel the rest."""
        self._closed = True
        running = {j for j in self._jobs if not j.done()}
        if running:
            _done, pending = await asyncio.wait(running, timeout=grace)
            for job in pending:
                job.cancel()
            if pending:
                await asyncio.wait(pending, timeout=1.0)


class _nothing:
    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc: object) -> None:
        return None
