"""The one HTTP client of ingest: polite, bounded in time and size, and careful where it connects.

- one wall-clock deadline per request (connect + headers + whole body), so a server dripping a
  byte every few seconds is cut off;
- the byte cap applies to the decoded body (see `bodies.py`);
- conditional GET, manual redirects (capped, loop-checked, each hop checked by the link policy);
- per-host concurrency and spacing; retries with backoff for connect errors, 429 and 5xx,
  honouring Retry-After up to `http.max_retry_after`.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from bot.config.schema import HttpConfig
from bot.ingest.bodies import CappedBody, format_size
from bot.ingest.errors import (
    BodyTooLarge,
    ConnectFailed,
    FetchError,
    FetchTimeout,
    HttpStatusError,
    RetryableStatus,
    RetryLater,
)
from bot.ingest.safety import LinkPolicy, origin_key
from bot.ingest.transport import Resolver, pinned_transport, system_resolver

log = logging.getLogger(__name__)

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, text/html;q=0.7, */*;q=0.5"
)
HTML_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
ACCEPT_ENCODING = "gzip, deflate, br"
REDIRECTS = (301, 302, 303, 307, 308)
_CHARSET_RE = re.compile(r"charset\s*=\s*[\"']?([^\"';\s]+)", re.IGNORECASE)


@dataclass
class HttpResult:
    """A finished GET: the final URL after redirects, and the decoded body (empty on 304)."""

    url: str
    status: int
    headers: httpx.Headers = field(default_factory=httpx.Headers)
    body: bytes = b""

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def charset(self) -> str | None:
        m = _CHARSET_RE.search(self.headers.get("content-type", ""))
        return m.group(1) if m else None

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP date; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass
class _LoopState:
    """httpx clients and asyncio primitives belong to one event loop; keep one set per loop."""

    clients: dict[bool, httpx.AsyncClient] = field(default_factory=dict)
    semaphores: dict[str, asyncio.Semaphore] = field(default_factory=dict)
    locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    users: int = 0


class HttpClient:
    """Shared by all sources of one config so per-host limits hold across them."""

    def __init__(
        self,
        config: HttpConfig,
        *,
        resolver: Resolver = system_resolver,
        backoff_base: float = 0.5,
    ) -> None:
        self.config = config
        self._resolver = resolver
        self._backoff_base = backoff_base
        self._loops: dict[asyncio.AbstractEventLoop, _LoopState] = {}
        self._next_start: dict[str, float] = {}
        self._host_hold: dict[str, float] = {}  # origin -> monotonic time its Retry-After ends

    @asynccontextmanager
    async def session(self) -> AsyncIterator[None]:
        """Keep connections open across several requests; closed when the last user leaves."""
        loop = asyncio.get_running_loop()
        state = self._loops.setdefault(loop, _LoopState())
        state.users += 1
        try:
            yield
        finally:
            state.users -= 1
            if state.users == 0:
                self._loops.pop(loop, None)
                for client in state.clients.values():
                    await client.aclose()

    async def get(
        self,
        url: str,
        *,
        policy: LinkPolicy,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = FEED_ACCEPT,
    ) -> HttpResult:
        """GET `url`; raises a `FetchError` subclass with a one-line reason on any failure."""
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.config.retries + 1),
            wait=self._wait,
            retry=retry_if_exception(lambda e: isinstance(e, (RetryableStatus, ConnectFailed))),
            reraise=True,
        )
        async with self.session():
            try:
                return await retrying(self._follow, url, policy, headers)
            except (RetryableStatus, ConnectFailed) as exc:
                attempts = retrying.statistics.get("attempt_number", 1)
                if attempts <= 1:
                    raise
                message = f"{exc} (after {attempts} attempts)"
                if isinstance(exc, RetryableStatus):
                    raise RetryableStatus(message, exc.status, exc.retry_after) from None
                raise ConnectFailed(message) from None

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RetryableStatus) and exc.retry_after is not None:
            return exc.retry_after
        base = self._backoff_base * 2 ** (state.attempt_number - 1)
        return min(base, 30.0) + random.uniform(0, self._backoff_base / 2)

    async def _follow(self, url: str, policy: LinkPolicy, headers: dict[str, str]) -> HttpResult:
        current = _usable(url)
        seen: set[str] = set()
        for _hop in range(self.config.max_redirects + 1):
            _usable(str(current))
            policy.check_url(current)
            seen.add(str(current))
            result, location = await self._request(current, policy, headers)
            if location is None:
                assert result is not None
                return result
            try:
                target = current.join(location)
            except (httpx.InvalidURL, ValueError) as exc:
                raise FetchError(
                    f"redirect from {current} to a URL that cannot be used: {_one_line(exc)}"
                ) from None
            if str(target) in seen:
                raise FetchError(f"redirect loop: {current} -> {target}")
            log.debug("redirect %s -> %s", current, target)
            current = target
        raise FetchError(f"more than {self.config.max_redirects} redirects (http.max_redirects) from {url}")

    def _client(self, trusted: bool) -> httpx.AsyncClient:
        state = self._loops[asyncio.get_running_loop()]
        client = state.clients.get(trusted)
        if client is None:
            timeout = self.config.timeout.total_seconds()
            client = httpx.AsyncClient(
                transport=pinned_transport(self._resolver, public_only=not trusted),
                headers={"User-Agent": self.config.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
                timeout=httpx.Timeout(timeout),
                follow_redirects=False,
                trust_env=False,
            )
            state.clients[trusted] = client
        return client

    @asynccontextmanager
    async def _host_slot(self, key: str) -> AsyncIterator[None]:
        state = self._loops[asyncio.get_running_loop()]
        sem = state.semaphores.setdefault(key, asyncio.Semaphore(self.config.per_host_concurrency))
        async with sem:
            await self._honour_host_hold(key)
            delay = self.config.per_host_delay.total_seconds()
            if delay > 0:
                async with state.locks.setdefault(key, asyncio.Lock()):
                    wait = self._next_start.get(key, 0.0) - time.monotonic()
                    if wait > 0:
                        await asyncio.sleep(wait)
                    self._next_start[key] = time.monotonic() + delay
            yield

    def _hold_host(self, key: str, seconds: float) -> None:
        """A host said Retry-After: every request to it waits, not just the one that was told."""
        until = time.monotonic() + seconds
        if until > self._host_hold.get(key, 0.0):
            self._host_hold[key] = until

    async def _honour_host_hold(self, key: str) -> None:
        wait = self._host_hold.get(key, 0.0) - time.monotonic()
        if wait <= 0:
            self._host_hold.pop(key, None)
            return
        limit = self.config.max_retry_after.total_seconds()
        if wait > limit:
            raise RetryLater(
                f"{key} asked to retry after {wait:.0f} s (Retry-After), over the {limit:.0f} s "
                "limit (http.max_retry_after); will retry at a later poll",
                wait,
            )
        log.debug("waiting %.1f s for %s (Retry-After)", wait, key)
        await asyncio.sleep(wait)

    async def _request(
        self,
        url: httpx.URL,
        policy: LinkPolicy,
        headers: dict[str, str],
    ) -> tuple[HttpResult | None, str | None]:
        """One exchange under the deadline: a result, or a redirect location."""
        client = self._client(policy.trusts(url))
        timeout = self.config.timeout.total_seconds()
        async with self._host_slot(origin_key(url)):
            log.debug("GET %s", url)
            try:
                async with asyncio.timeout(timeout):
                    async with client.stream("GET", url, headers=headers) as resp:
                        return await self._handle(url, resp)
            except TimeoutError:
                raise FetchTimeout(
                    f"no complete response from {url.host} within {timeout:g} s (http.timeout)"
                ) from None
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                raise ConnectFailed(f"cannot connect to {url.host}: {_one_line(exc)}") from None
            except httpx.TimeoutException:
                raise FetchTimeout(
                    f"no complete response from {url.host} within {timeout:g} s (http.timeout)"
                ) from None
            except httpx.HTTPError as exc:
                raise FetchError(f"HTTP error from {url.host}: {_one_line(exc)}") from None
            except (ValueError, OverflowError, ExceptionGroup) as exc:  # what the transport did not expect
                raise FetchError(f"cannot fetch from {url.host}: {_one_line(_leaf(exc))}") from None

    async def _handle(self, url: httpx.URL, resp: httpx.Response) -> tuple[HttpResult | None, str | None]:
        status = resp.status_code
        if status == 304:
            return HttpResult(str(url), status, resp.headers), None
        if status in REDIRECTS:
            location = resp.headers.get("location")
            if not location:
                raise FetchError(f"HTTP {status} redirect without a Location header from {url}")
            return None, location
        if status == 429 or status >= 500:
            retry_after = parse_retry_after(resp.headers.get("retry-after"))
            limit = self.config.max_retry_after.total_seconds()
            message = f"HTTP {status} {resp.reason_phrase}".strip()
            if retry_after is not None:
                self._hold_host(origin_key(url), retry_after)
            if retry_after is not None and retry_after > limit:
                raise RetryLater(
                    f"{message}: server asks to retry after {retry_after:.0f} s, over the "
                    f"{limit:.0f} s limit (http.max_retry_after); will retry at a later poll",
                    retry_after,
                )
            raise RetryableStatus(message, status, retry_after)
        if status >= 400 or status < 200 or status >= 300:
            raise HttpStatusError(f"HTTP {status} {resp.reason_phrase} from {url}".replace("  ", " "), status)
        cap = self.config.max_bytes
        encoding = resp.headers.get("content-encoding")
        length = resp.headers.get("content-length", "")
        if not encoding and length.isdigit() and int(length) > cap:
            raise BodyTooLarge(
                f"body over {format_size(cap)} cap (http.max_bytes): "
                f"server announced {format_size(int(length))}"
            )
        body = CappedBody(encoding, cap)
        async for raw in resp.aiter_raw():
            body.feed(raw)
        return HttpResult(str(url), status, resp.headers, body.finish()), None


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]


def _usable(url: str) -> httpx.URL:
    """The URL parsed as httpx parses it, or a FetchError saying why it cannot be fetched (not a
    traceback: an item link or a redirect may be anything)."""
    from bot.config.urls import url_problem

    problem = url_problem(url, link=True)
    if problem is None:
        try:
            return httpx.URL(url)
        except (httpx.InvalidURL, ValueError) as exc:
            problem = _one_line(exc)
    raise FetchError(f"cannot fetch {url[:200]!r}: {problem}")


def _leaf(exc: BaseException) -> BaseException:
    """The first real error inside an ExceptionGroup (anyio wraps a connect error in one)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc
