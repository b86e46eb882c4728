"""An httpx transport that checks the resolved IP at connect time and connects to exactly it.

The host name is resolved once, every address is checked against the link policy, and the TCP
connection is opened to a checked address, so a second (rebinding) DNS answer is never used.
TLS still uses the URL's host name for SNI and certificate checks, and the Host header is
unchanged, because httpcore takes both from the request, not from the socket.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import httpcore
import httpx

from bot.ingest.errors import FetchError
from bot.ingest.safety import address_problem, refuse

Resolver = Callable[[str, int], Awaitable[list[str]]]


async def system_resolver(host: str, port: int) -> list[str]:
    """All addresses of `host`, in the resolver's order, without duplicates."""
    try:
        ipaddress.ip_address(host)
        return [host]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchError(f"cannot resolve host {host!r} ({exc.strerror})") from None
    seen: dict[str, None] = {}
    for info in infos:
        seen[str(info[4][0])] = None
    return list(seen)


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """Resolves once and connects to a resolved address; with `public_only`, only to public ones.

    Refusals (private, loopback, link-local, metadata...) are logged with the reason.
    """

    def __init__(self, resolver: Resolver = system_resolver, *, public_only: bool = True) -> None:
        self._resolve = resolver
        self._public_only = public_only
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._resolve(host, port)
        public = [a for a in addresses if not self._public_only or address_problem(a) is None]
        if not public:
            reasons = ", ".join(f"{a} is a {address_problem(a)}" for a in addresses) or "no address"
            raise refuse(f"{host}:{port}", f"resolves to {reasons}")  # checked here, at connect time
        last: Exception | None = None
        for address in public:
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise FetchError("unix sockets are not reachable from links")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def pinned_transport(
    resolver: Resolver = system_resolver,
    *,
    public_only: bool = True,
) -> httpx.AsyncHTTPTransport:
    """An `AsyncHTTPTransport` whose pool connects through `PinnedBackend`.

    httpx has no public argument for the network backend, so the pool is replaced after
    construction with one built the same way (no proxies: a proxy would hide the address).
    """
    transport = httpx.AsyncHTTPTransport(trust_env=False)
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        max_connections=100,
        max_keepalive_connections=20,
        keepalive_expiry=5.0,
        network_backend=PinnedBackend(resolver, public_only=public_only),
    )
    return transport
