"""The task functions on procrastinate (PostgreSQL): `briefbot worker` runs them on any machine.

- Each `bot.tasks.TASKS` entry becomes a procrastinate task on its own queue, with its `lock`
  (posts: one at a time per channel), its `queueing_lock` (polls: one queued per source) and its
  `RetryPolicy` as procrastinate's `RetryStrategy` (retried only on `RetryLater`).
- `tick` is a periodic task, every minute: procrastinate defers one tick per minute across all
  workers (its `procrastinate_periodic_defers` table). Each tick first asks procrastinate for the
  jobs of workers whose heartbeat stopped (`JobManager.get_stalled_jobs`) and retries them, then
  defers the polls and delivery runs that are due.
- Workers send a heartbeat every `run.heartbeat`; one silent for `run.stalled_after` is dead.

procrastinate's schema lives in the same database as briefbot's tables and is applied on first
use (under an advisory lock, so workers starting together take turns).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import procrastinate
from procrastinate import exceptions as pexc

from bot.errors import QueueError
from bot.tasks import QUEUES, TASKS, RetryLater, run_task

if TYPE_CHECKING:
    from bot.app import App

__all__ = ["ProcrastinateQueue", "QueueStats", "conninfo"]

log = logging.getLogger(__name__)

TICK_CRON = "* * * * *"
KEEP_JOBS_HOURS = 24


def tick_cron(every: timedelta | None) -> str:
    """Every minute; `run.tick_every` under a minute ticks every N seconds (croniter's 6th field)."""
    if every is None or every >= timedelta(minutes=1):
        return TICK_CRON
    return f"* * * * * */{max(1, min(59, int(every.total_seconds())))}"


SCHEMA_LOCK = 0x6272_6965_6662  # pg_advisory_lock key: "briefb"


def conninfo(storage_url: str) -> str:
    """A libpq connection string from `storage.url` (SQLAlchemy's `postgresql+psycopg://...`)."""
    from bot.store.engine import resolve_url

    url = resolve_url(storage_url)
    if url.get_backend_name() != "postgresql":
        raise QueueError("run.queue: procrastinate needs a PostgreSQL storage.url")
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _strategy(spec_retry: Any) -> procrastinate.RetryStrategy | bool:
    if spec_retry is None or spec_retry.max_attempts <= 0:
        return False
    return procrastinate.RetryStrategy(
        max_attempts=spec_retry.max_attempts,
        wait=spec_retry.wait,
        linear_wait=spec_retry.linear_wait,
        retry_exceptions=[RetryLater],
    )


def build_app(dsn: str, *, stalled_after: float = 30.0, cron: str = TICK_CRON) -> procrastinate.App:
    """A procrastinate `App` with every briefbot task registered (nothing connects yet)."""
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=dsn))

    def register(name: str) -> Any:
        spec = TASKS[name]

        async def job(context: procrastinate.JobContext, **kwargs: Any) -> None:
            services: App = context.additional_context["services"]
            await run_task(services, name, kwargs, context.job.attempts)

        job.__name__ = f"briefbot_{name}"
        return app.task(name=name, queue=spec.queue, retry=_strategy(spec.retry), pass_context=True)(job)

    for name in TASKS:
        if name != "tick":
            register(name)

    @app.periodic(cron=cron, periodic_id="tick")
    @app.task(name="tick", queue="ticks", queueing_lock="tick", pass_context=True)
    async def tick(context: procrastinate.JobContext, timestamp: int) -> None:
        services: App = context.additional_context["services"]
        await recover_stalled(context.app, stalled_after)
        await run_task(services, "tick", {"timestamp": timestamp}, context.job.attempts)
        if timestamp % 3600 == 0:  # hourly upkeep: finished jobs after a day, old runs and articles
            await context.app.job_manager.delete_old_jobs(nb_hours=KEEP_JOBS_HOURS)
            await services.prune(datetime.fromtimestamp(timestamp, UTC))

    return app


async def recover_stalled(app: procrastinate.App, stalled_after: float) -> int:
    """Retry the jobs of workers whose heartbeat stopped (killed, or their machine died)."""
    stalled = list(await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after))
    for job in stalled:
        log.warning(
            "job %s %s was running on a worker that stopped answering; running it again",
            job.id,
            job.task_name,
        )
        await app.job_manager.retry_job(job)
    return len(stalled)


class ProcrastinateQueue:
    """`TaskQueue` that defers jobs into procrastinate's tables for the workers."""

    name = "procrastinate"

    def __init__(self, services: App) -> None:
        self.services = services
        run = services.config.run
        self.stalled_after = run.stalled_after.total_seconds()
        self.heartbeat = run.heartbeat.total_seconds()
        self.dsn = conninfo(services.config.storage.url)
        self.app = build_app(
            self.dsn,
            stalled_after=self.stalled_after,
            cron=tick_cron(run.tick_every),
        )
        self._open = False

    async def open(self) -> None:
        if self._open:
            return
        try:
            await self.app.open_async()
            await self._ensure_schema()
        except Exception as exc:
            raise QueueError(
                f"cannot open the task queue on PostgreSQL: {type(exc).__name__}: {exc}"
            ) from None
        self._open = True

    async def close(self) -> None:
        if self._open:
            await self.app.close_async()
            self._open = False

    async def _ensure_schema(self) -> None:
        """Apply procrastinate's schema if this database has none; a session advisory lock on a
        connection of its own lets workers that start together take turns."""
        import psycopg

        present = "SELECT to_regclass('procrastinate_jobs') IS NOT NULL AS present"
        if (await self.app.connector.execute_query_one_async(present))["present"]:
            return
        async with await psycopg.AsyncConnection.connect(self.dsn, autocommit=True) as conn:
            await conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
            try:
                if not (await self.app.connector.execute_query_one_async(present))["present"]:
                    log.info("creating procrastinate's tables (first use of this database)")
                    await self.app.schema_manager.apply_schema_async()
            finally:
                await conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK,))

    async def defer(self, task: str, *, schedule_at: datetime | None = None, **kwargs: Any) -> bool:
        await self.open()
        spec = TASKS[task]
        try:
            await self.app.configure_task(
                task,
                lock=spec.lock(kwargs),
                queueing_lock=spec.queueing_lock(kwargs),
                schedule_at=schedule_at,
            ).defer_async(**kwargs)
        except pexc.AlreadyEnqueued:
            return False
        return True

    async def run_worker(
        self, *, queues: list[str] | None = None, concurrency: int = 4, name: str | None = None
    ) -> None:
        """Work the queues until SIGTERM/SIGINT (procrastinate installs the handlers)."""
        await self.open()
        await self.app.run_worker_async(
            queues=queues or list(QUEUES),
            concurrency=concurrency,
            name=name or "briefbot-worker",
            additional_context={"services": self.services},
            update_heartbeat_interval=self.heartbeat,
            stalled_worker_timeout=self.stalled_after,
            shutdown_graceful_timeout=5.0,
            install_signal_handlers=True,
            delete_jobs="never",  # kept a day for `briefbot status` (retried jobs), then pruned by the tick
        )


class QueueStats(dict):  # type: ignore[type-arg]
    """One queue's job counts for `briefbot status`."""


async def queue_stats(services: App) -> list[Mapping[str, Any]]:
    """Per queue: queued, running, failed and retried jobs (from procrastinate's job table)."""
    queue = services.queue
    assert isinstance(queue, ProcrastinateQueue)
    await queue.open()
    try:
        counts = {q["name"]: q for q in await queue.app.job_manager.list_queues_async()}
        retried = await queue.app.connector.execute_query_all_async(
            # `attempts` counts finished tries: a waiting or running job with one, or a finished job
            # with more than one, was tried again (a retry, or recovered from a dead worker).
            "SELECT queue_name, count(*) AS n FROM procrastinate_jobs WHERE attempts > 1 "
            "OR (attempts > 0 AND status IN ('todo', 'doing')) GROUP BY queue_name"
        )
        workers = await queue.app.connector.execute_query_one_async(
            "SELECT count(*) AS n FROM procrastinate_workers "
            f"WHERE last_heartbeat > now() - interval '{int(queue.stalled_after)} seconds'"
        )
    finally:
        await queue.close()
    again = {r["queue_name"]: r["n"] for r in retried}
    rows = []
    for name in QUEUES:
        c = counts.get(name, {})
        rows.append(
            {
                "queue": name,
                "queued": c.get("todo", 0),
                "running": c.get("doing", 0),
                "failed": c.get("failed", 0),
                "retried": again.get(name, 0),
                "succeeded": c.get("succeeded", 0),
            }
        )
    return [{"workers": workers["n"]}, *rows]
