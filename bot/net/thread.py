"""`ServerThread`: a `HardenedServer` on a thread and event loop of its own.

For a server that must answer in milliseconds however busy the bot's loop is (hundreds of polls,
a briefing being composed): its handlers run on the other loop and only read published data.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading

from bot.net.server import HardenedServer

log = logging.getLogger(__name__)


class ServerThread:
    def __init__(self, server: HardenedServer, *, thread_name: str = "briefbot-server") -> None:
        self.server = server
        self.thread_name = thread_name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    async def start(self) -> tuple[str, int]:
        """Listen (in the server's thread); returns the bound address. Raises `ServerBindError`."""
        loop = asyncio.new_event_loop()
        ready: concurrent.futures.Future[tuple[str, int]] = concurrent.futures.Future()

        def main() -> None:
            asyncio.set_event_loop(loop)
            try:
                ready.set_result(loop.run_until_complete(self.server.start()))
            except BaseException as exc:
                ready.set_exception(exc)
                loop.close()
                return
            loop.run_forever()
            loop.close()

        thread = threading.Thread(target=main, name=self.thread_name, daemon=True)
        thread.start()
        try:
            address = await asyncio.wrap_future(ready)
        except BaseException:
            await asyncio.to_thread(thread.join, 5.0)
            raise
        self._loop, self._thread = loop, thread
        return address

    async def close(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or loop.is_closed():
            return
        try:
            future = asyncio.run_coroutine_threadsafe(self.server.close(), loop)
            await asyncio.wait_for(asyncio.wrap_future(future), 5.0)
        except (TimeoutError, RuntimeError) as exc:
            log.warning("the %s server did not shut down cleanly: %s", self.server.name, exc)
        finally:
            if not loop.is_closed():
                loop.call_soon_threadsafe(loop.stop)
            await asyncio.to_thread(thread.join, 5.0)
            self._loop = self._thread = None
