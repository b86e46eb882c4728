"""`bot.net.HardenedServer` on loopback with real sockets: what a hostile client can no longer do.

Half-sent requests and idle keep-alives are closed after their timeouts, a dripped body is cut,
connections over the cap push out idle ones or are refused with 503 when all are busy, a mounted
application gets the same limits, and a process out of file descriptors logs its accept errors
once per interval instead of once per attempt.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from aiohttp import web

from bot.net import HardenedServer, ServerLimits

FAST = ServerLimits(header_timeout_s=0.3, idle_timeout_s=0.6, request_timeout_s=0.5, max_connections=8)
HALF_SENT = b"GET /ok HTTP/1.1\r\nHost: x\r\n"
RELEASE = web.AppKey("release", asyncio.Event)


@asynccontextmanager
async def serving(limits: ServerLimits = FAST) -> AsyncIterator[HardenedServer]:
    server = HardenedServer("127.0.0.1", 0, limits=limits, name="test")
    release = asyncio.Event()
    server.app[RELEASE] = release

    async def ok(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def body(request: web.Request) -> web.Response:
        return web.Response(text=str(len(await request.read())))

    async def hold(_request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(text="held")

    server.app.router.add_get("/ok", ok)
    server.app.router.add_post("/body", body)
    server.app.router.add_get("/hold", hold)
    await server.start()
    try:
        yield server
    finally:
        release.set()
        await server.close()


async def closed_within(reader: asyncio.StreamReader, seconds: float) -> tuple[bool, bytes]:
    """Whether the server closed the connection within `seconds`, and what it sent before."""
    got = b""
    try:
        async with asyncio.timeout(seconds):
            while chunk := await reader.read(4096):
                got += chunk
    except TimeoutError:
        return False, got
    except ConnectionResetError:
        pass
    return True, got


def test_half_sent_silent_and_idle_connections_are_closed() -> None:
    async def scenario() -> None:
        async with serving() as server:
            _host, port = server.address or ("", 0)
            half = [await asyncio.open_connection("127.0.0.1", port) for _ in range(3)]
            for _, w in half:
                w.write(HALF_SENT)
            silent_r, _silent_w = await asyncio.open_connection("127.0.0.1", port)
            kept_r, kept_w = await asyncio.open_connection("127.0.0.1", port)
            kept_w.write(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
            t0 = time.monotonic()
            assert (await kept_r.readuntil(b"ok")).startswith(b"HTTP/1.1 200")
            for r, _ in half:
                closed, _ = await closed_within(r, 1.5)
                assert closed
            assert (await closed_within(silent_r, 1.5))[0]
            half_closed = time.monotonic() - t0
            assert (await closed_within(kept_r, 1.5))[0]  # kept alive, then idle past 0.6 s
            assert 0.25 < half_closed < 1.3, half_closed
            assert server.stats.header_timeouts == 4  # the idle one: ours or aiohttp's keep-alive timer
            assert server.stats.open == 0

    asyncio.run(scenario())


def test_a_dripped_body_is_cut_at_the_request_timeout() -> None:
    async def scenario() -> None:
        async with serving() as server:
            port = (server.address or ("", 0))[1]
            r, w = await asyncio.open_connection("127.0.0.1", port)
            w.write(b"POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + b"x" * 10)
            t0 = time.monotonic()
            closed, got = await closed_within(r, 2.0)
            assert closed and got.startswith(b"HTTP/1.1 408"), got
            assert time.monotonic() - t0 < 1.2
            async with httpx.AsyncClient() as c:  # an honest body is read in full
                assert (await c.post(f"http://127.0.0.1:{port}/body", content=b"y" * 5000)).text == "5000"

    asyncio.run(scenario())


def test_over_the_cap_idle_ones_make_room_and_busy_ones_are_never_pushed_out() -> None:
    async def scenario() -> None:
        async with serving(ServerLimits(max_connections=8)) as server:
            port = (server.address or ("", 0))[1]
            url = f"http://127.0.0.1:{port}"
            idle = [await asyncio.open_connection("127.0.0.1", port) for _ in range(8)]
            for _, w in idle:
                w.write(HALF_SENT)
            async with httpx.AsyncClient(timeout=3) as c:
                assert (await c.get(url + "/ok")).status_code == 503  # the half-sent ones are too new
                await asyncio.sleep(0.3)
                assert (await c.get(url + "/ok")).text == "ok"  # pushed out the oldest half-sent one
                assert server.stats.evicted == 1
            await asyncio.sleep(0.3)
            limits = httpx.Limits(max_connections=20, max_keepalive_connections=0)
            async with httpx.AsyncClient(timeout=3, limits=limits) as busy:
                held = [asyncio.create_task(busy.get(url + "/hold")) for _ in range(8)]
                while server.stats.evicted < 8:  # the other seven half-sent ones make room
                    await asyncio.sleep(0.02)
                await asyncio.sleep(0.1)
                refused = await busy.get(url + "/ok")  # eight requests in progress: no room
                assert refused.status_code == 503 and server.stats.refused == 2
                server.app[RELEASE].set()
                assert [(await t).text for t in held] == ["held"] * 8  # none was pushed out
            assert server.stats.most_open <= 8

    asyncio.run(scenario())


def test_a_mounted_application_gets_the_same_limits() -> None:
    async def scenario() -> None:
        pages = web.Application()

        async def page(_request: web.Request) -> web.Response:
            return web.Response(text="<p>page</p>", content_type="text/html")

        pages.router.add_get("/index", page)
        server = HardenedServer("127.0.0.1", 0, limits=FAST, name="web")
        server.mount("/web", pages)
        port = (await server.start())[1]
        try:
            async with httpx.AsyncClient() as c:
                assert (await c.get(f"http://127.0.0.1:{port}/web/index")).text == "<p>page</p>"
            r, w = await asyncio.open_connection("127.0.0.1", port)
            w.write(b"GET /web/index HTTP/1.1\r\nHost: x\r\n")
            assert (await closed_within(r, 1.5))[0]
        finally:
            await server.close()

    asyncio.run(scenario())


SCRIPT = textwrap.dedent("""
    import asyncio, logging, os, resource
    from bot.net import HardenedServer, ServerLimits
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))

    async def main():
        server = HardenedServer("127.0.0.1", 0, limits=ServerLimits(error_log_interval_s=60), name="probe")
        port = (await server.start())[1]
        hog = []
        try:
            while True:
                hog.append(os.open("/dev/null", os.O_RDONLY))
        except OSError:
            pass                                       # every descriptor of the process is taken
        print(port, flush=True)
        await asyncio.sleep(1.0)                       # the parent connects 60 times meanwhile
        for fd in hog:
            os.close(fd)
        await asyncio.sleep(0.6)                       # accepting resumes once descriptors are free
        print("errors", server.stats.accept_errors, "accepted", server.stats.accepted, flush=True)
        await server.close()

    asyncio.run(main())
""")


def test_accept_errors_are_logged_once_per_interval_and_accepting_resumes() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    socks = []
    for _ in range(60):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        socks.append(s)
    out, err = proc.communicate(timeout=30)
    for s in socks:
        s.close()
    assert proc.returncode == 0, err[-2000:]
    counts = dict(zip(out.split()[::2], map(int, out.split()[1::2]), strict=True))
    warnings = [line for line in err.splitlines() if "cannot accept connections" in line]
    assert counts["errors"] >= 1 and counts["accepted"] >= 1, (out, err[-2000:])
    assert 1 <= len(warnings) <= 2, err[-3000:]  # not one per attempt
    assert "Too many open files" in warnings[0]
    assert "Traceback" not in err
