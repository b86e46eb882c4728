"""`HardenedServer`: an aiohttp server whose limits a hostile client cannot outlast.

Every server briefbot runs (the Slack events listener, `/healthz` and `/metrics`, the web pages of
later issues) is one of these, so they all get the same protection:

- a request head must arrive within `header_timeout_s` of the connection (or of its first byte
  after an idle keep-alive), a kept-alive connection with no request is closed after
  `idle_timeout_s`, and a request's body and answer must finish within `request_timeout_s`;
- at most `max_connections` connections are open (never more than a quarter of the process's
  open-file limit). At the cap a new connection takes the place of the oldest one that is not in
  the middle of a request (idle or half-sent for at least a quarter second); when there is none the
  newcomer gets a `503` and is closed at once;
- the listening socket has a normal backlog, and its accept loop is our own: when accepting fails
  (no file descriptors left) it pauses briefly and logs one line per `error_log_interval_s` with a
  count, never one per attempt (asyncio's own loop logs a traceback per attempt, hundreds per second).

Routes go on `server.app` (an `aiohttp.web.Application`) or a whole application is mounted with
`server.mount(prefix, app)`, before `start()`.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.errors import BriefbotError

__all__ = ["HardenedServer", "ServerBindError", "ServerLimits", "ServerStats", "ThrottledLog"]

log = logging.getLogger(__name__)

_OUT_OF_RESOURCES = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
ACCEPT_PAUSE_S = 0.25
EVICT_AFTER_S = 0.25
REFUSAL = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n"
    b"Retry-After: 1\r\nConnection: close\r\n\r\ntoo busy\n"
)

# The phases of a connection (what it is waiting for).
_NEW, _READING, _BUSY, _IDLE = "new", "reading", "busy", "idle"


@dataclass(frozen=True)
class ServerLimits:
    """How long and how many; the defaults suit every server briefbot runs."""

    header_timeout_s: float = 5.0
    idle_timeout_s: float = 15.0
    request_timeout_s: float = 30.0
    max_connections: int = 256
    backlog: int = 128
    max_body_bytes: int = 1024**2
    error_log_interval_s: float = 60.0

    def connection_cap(self) -> int:
        """`max_connections`, lowered to a quarter of the open-file limit so the database, the
        sources and the other servers always keep descriptors of their own."""
        try:
            import resource

            soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        except (ImportError, OSError, ValueError):  # pragma: no cover - not on Linux/macOS
            return self.max_connections
        if soft == resource.RLIM_INFINITY or soft <= 0:
            return self.max_connections
        return max(4, min(self.max_connections, soft // 4))


@dataclass
class ServerStats:
    """Counters since start (for logs, tests and metrics)."""

    accepted: int = 0
    refused: int = 0
    evicted: int = 0
    header_timeouts: int = 0
    idle_timeouts: int = 0
    request_timeouts: int = 0
    accept_errors: int = 0
    open: int = 0
    most_open: int = 0


class ServerBindError(BriefbotError, OSError):
    """The server cannot listen on its address (port in use, bad address, no permission)."""

    def __init__(self, code: int | None, where: str, reason: str) -> None:
        super().__init__(code, f"cannot listen on {where}: {reason}")
        self.where = where
        self.reason = reason

    def __str__(self) -> str:
        return str(self.strerror)


class ThrottledLog:
    """A repeated problem logged once per interval with how often it happened, not once per event."""

    def __init__(self, logger: logging.Logger, interval_s: float, what: str) -> None:
        self.logger = logger
        self.interval_s = interval_s
        self.what = what
        self.count = 0
        self.detail = ""
        self._last: float | None = None

    def note(self, detail: str) -> None:
        self.count += 1
        self.detail = detail
        now = time.monotonic()
        if self._last is None or now - self._last >= self.interval_s:
            self._emit(now)

    def tick(self) -> None:
        """Emit what was counted once its interval is over (called periodically)."""
        if self.count and self._last is not None and time.monotonic() - self._last >= self.interval_s:
            self._emit(time.monotonic())

    def flush(self) -> None:
        if self.count:
            self._emit(time.monotonic())

    def _emit(self, now: float) -> None:
        span = "" if self._last is None else f" in the last {now - self._last:.0f} s"
        times = "once" if self.count == 1 else f"{self.count:,} times"
        self.logger.warning(
            "%s: %s (%s%s; logged at most every %.0f s)", self.what, self.detail, times, span, self.interval_s
        )
        self.count = 0
        self._last = now


class _Connection(asyncio.Protocol):
    """Stands between the transport and aiohttp's protocol to know what the connection waits for."""

    __slots__ = ("counted", "inner", "owner", "phase", "since", "transport")

    def __init__(self, owner: HardenedServer, inner: asyncio.Protocol) -> None:
        self.owner = owner
        self.inner = inner
        self.phase = _NEW
        self.since = time.monotonic()
        self.transport: asyncio.Transport | None = None
        self.counted = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.owner._opened(self)
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self.phase == _IDLE:
            self.phase, self.since = _READING, time.monotonic()
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self.owner._lost(self)
        self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()

    def abort(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.abort()


class HardenedServer:
    """One listening address serving `self.app` under `ServerLimits` (see the module docstring)."""

    def __init__(
        self, host: str, port: int, *, limits: ServerLimits | None = None, name: str = "server"
    ) -> None:
        self.host = host
        self.port = port
        self.limits = limits or ServerLimits()
        self.name = name
        self.stats = ServerStats()
        self.app = web.Application(client_max_size=self.limits.max_body_bytes, middlewares=[self._track])
        self._cap = self.limits.connection_cap()
        self._conns: dict[asyncio.BaseTransport, _Connection] = {}
        self._pending = 0
        self._tasks: set[asyncio.Task[Any]] = set()
        self._sock: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._factory: Callable[[], asyncio.Protocol] | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._resume: asyncio.TimerHandle | None = None
        self._closing = False
        self._accept_log = ThrottledLog(log, self.limits.error_log_interval_s, f"{name} server")

    # -- set-up ------------------------------------------------------------------------------------

    def mount(self, prefix: str, app: web.Application) -> None:
        """Serve a whole aiohttp application under `prefix` (e.g. "/web"), with these limits."""
        self.app.add_subapp(prefix, app)

    @property
    def address(self) -> tuple[str, int] | None:
        """(host, port) once listening (the real port when 0 was asked for)."""
        if self._sock is None:
            return None
        host, port = self._sock.getsockname()[:2]
        return str(host), int(port)

    @property
    def connection_cap(self) -> int:
        return self._cap

    async def start(self) -> tuple[str, int]:
        """Listen and serve (on the running loop); raises `ServerBindError` with a readable reason."""
        self._loop = asyncio.get_running_loop()
        sock = _listen(self.host, self.port, self.limits.backlog)
        runner = web.AppRunner(
            self.app,
            access_log=None,
            handle_signals=False,
            keepalive_timeout=self.limits.idle_timeout_s,
            shutdown_timeout=3.0,
        )
        try:
            await runner.setup()
        except BaseException:
            sock.close()
            raise
        assert runner.server is not None
        self._runner, self._factory, self._sock = runner, runner.server, sock
        self._loop.add_reader(sock.fileno(), self._on_readable)
        self._sweeper = self._loop.create_task(self._sweep())
        address = self.address
        assert address is not None
        self.port = address[1]
        return address

    async def close(self) -> None:
        """Stop accepting, give running requests a moment, close every connection."""
        if self._closing:
            return
        self._closing = True
        if self._resume is not None:
            self._resume.cancel()
        if self._sock is not None and self._loop is not None:
            self._loop.remove_reader(self._sock.fileno())
            self._sock.close()
        if self._sweeper is not None:
            self._sweeper.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
        for conn in list(self._conns.values()):
            conn.abort()
        for task in list(self._tasks):
            task.cancel()
        self._accept_log.flush()

    # -- accepting -----------------------------------------------------------------------------------

    def _on_readable(self) -> None:
        assert self._sock is not None
        for _ in range(self.limits.backlog):
            try:
                conn, _addr = self._sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionAbortedError:
                continue
            except OSError as exc:
                self.stats.accept_errors += 1
                self._accept_log.note(
                    f"cannot accept connections on {self.host}:{self.port}: {exc.strerror or exc}"
                )
                self._pause_accepting()
                if exc.errno in _OUT_OF_RESOURCES:
                    self._evict_one()  # a descriptor back for whoever needs one most
                return
            self._admit(conn)

    def _pause_accepting(self) -> None:
        if self._loop is None or self._sock is None or self._closing:
            return
        self._loop.remove_reader(self._sock.fileno())

        def resume() -> None:
            self._resume = None
            if not self._closing and self._loop is not None and self._sock is not None:
                self._loop.add_reader(self._sock.fileno(), self._on_readable)

        self._resume = self._loop.call_later(ACCEPT_PAUSE_S, resume)

    def _admit(self, conn: socket.socket) -> None:
        conn.setblocking(False)
        if len(self._conns) + self._pending >= self._cap and not self._evict_one():
            self.stats.refused += 1
            try:
                conn.send(REFUSAL)
            except OSError:
                pass
            conn.close()
            return
        self.stats.accepted += 1
        self._pending += 1
        assert self._loop is not None
        task = self._loop.create_task(self._connect(conn))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _connect(self, conn: socket.socket) -> None:
        assert self._loop is not None and self._factory is not None
        protocol = _Connection(self, self._factory())
        try:
            await self._loop.connect_accepted_socket(lambda: protocol, conn)
        except OSError:
            conn.close()
        finally:
            if not protocol.counted:  # connection_made never ran
                self._pending -= 1

    def _evict_one(self) -> bool:
        """Close the oldest connection that is not in a request (idle or half-sent) and has waited
        at least `EVICT_AFTER_S` (a request that just arrived is not thrown away unread)."""
        now = time.monotonic()
        for transport, conn in self._conns.items():
            if conn.phase != _BUSY and now - conn.since >= EVICT_AFTER_S:
                del self._conns[transport]
                self.stats.evicted += 1
                self.stats.open = len(self._conns)
                conn.abort()
                return True
        return False

    # -- connection book-keeping ---------------------------------------------------------------------

    def _opened(self, conn: _Connection) -> None:
        assert conn.transport is not None
        conn.counted = True
        self._pending -= 1
        self._conns[conn.transport] = conn
        self.stats.open = len(self._conns)
        self.stats.most_open = max(self.stats.most_open, self.stats.open)
        if self._closing:
            conn.abort()

    def _lost(self, conn: _Connection) -> None:
        if conn.transport is not None:
            self._conns.pop(conn.transport, None)
        self.stats.open = len(self._conns)

    @web.middleware
    async def _track(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        conn = self._conns.get(request.transport) if request.transport is not None else None
        if conn is not None:
            conn.phase = _BUSY
        deadline = asyncio.timeout(self.limits.request_timeout_s)
        try:
            async with deadline:
                return await handler(request)
        except TimeoutError:
            if not deadline.expired():
                raise
            self.stats.request_timeouts += 1
            response = web.Response(status=408, text="request took too long\n")
            response.force_close()
            return response
        finally:
            if conn is not None:
                conn.phase, conn.since = _IDLE, time.monotonic()

    async def _sweep(self) -> None:
        """Close connections that waited too long for a request head or sat idle too long."""
        limits = self.limits
        tick = min(1.0, max(0.05, min(limits.header_timeout_s, limits.idle_timeout_s) / 4))
        while True:
            await asyncio.sleep(tick)
            now = time.monotonic()
            for transport, conn in list(self._conns.items()):
                if conn.phase == _BUSY:
                    continue
                idle = conn.phase == _IDLE
                if now - conn.since <= (limits.idle_timeout_s if idle else limits.header_timeout_s):
                    continue
                if idle:
                    self.stats.idle_timeouts += 1
                else:
                    self.stats.header_timeouts += 1
                self._conns.pop(transport, None)
                conn.abort()
            self.stats.open = len(self._conns)
            self._accept_log.tick()


def _listen(host: str, port: int, backlog: int) -> socket.socket:
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ServerBindError(errno.EINVAL, where, "a port is a number from 0 to 65535")
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        reason = f"unknown address ({getattr(exc, 'strerror', None) or exc})"
        raise ServerBindError(errno.EINVAL, where, reason) from None
    family, kind, proto, _name, addr = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
        sock.listen(backlog)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise ServerBindError(exc.errno, where, str(exc.strerror or exc)) from None
    return sock
