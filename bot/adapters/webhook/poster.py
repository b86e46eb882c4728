"""POSTing JSON to a webhook: retries on 429/5xx honouring Retry-After, and a secret URL.

A webhook URL is a credential (anyone holding it can post), so it is registered for log
redaction and only its host ever appears in logs and error messages.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from bot.errors import PostError
from bot.logs import register_secrets

log = logging.getLogger(__name__)

USER_AGENT = "briefbot/0.1 (+https://github.com/briefbot/briefbot; news briefing bot)"


class WebhookError(PostError):
    """A webhook refused or could not take a message (see `PostError` for `posted`/`nothing_posted`)."""

    def __init__(self, message: str, posted: Sequence[str] = (), *, nothing_posted: bool = True) -> None:
        super().__init__(message, posted, nothing_posted=nothing_posted)


class _Retry(Exception):
    def __init__(self, reason: str, delay: float | None) -> None:
        super().__init__(reason)
        self.delay = delay


def retry_after_seconds(response: httpx.Response) -> float | None:
    """Seconds to wait from Discord's JSON `retry_after` or a Retry-After header (seconds or date)."""
    try:
        body = response.json()
        if isinstance(body, dict) and isinstance(body.get("retry_after"), int | float):
            return max(0.0, float(body["retry_after"]))
    except ValueError:
        pass
    header = response.headers.get("retry-after")
    if not header:
        return None
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(header)
        date = (
            parsedate_to_datetime(response.headers.get("date", "")) if response.headers.get("date") else None
        )
    except (TypeError, ValueError):
        return None
    now = date or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


class WebhookPoster:
    """Sends one JSON body at a time to one webhook URL."""

    def __init__(
        self,
        url: str,
        platform: str,
        *,
        client: httpx.AsyncClient | None = None,
        timeout: float = 20.0,
        attempts: int = 4,
        max_retry_after: float = 60.0,
        backoff: float = 0.5,
    ) -> None:
        parts = urlsplit(url.strip())
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError(
                f"a {platform} webhook URL must start with https:// (got a {parts.scheme or 'bare'} URL)"
            )
        self._url = url.strip()
        register_secrets([self._url] + ([parts.path] if len(parts.path) >= 16 else []))
        self.host = parts.hostname
        self.platform = platform
        self._client = client
        self.timeout = timeout
        self.attempts = attempts
        self.max_retry_after = max_retry_after
        self.backoff = backoff

    def __repr__(self) -> str:  # never the URL
        return f"<{type(self).__name__} {self.platform} webhook at {self.host}>"

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retry) and exc.delay is not None:
            return exc.delay
        return self.backoff * 2 ** (state.attempt_number - 1)

    async def post(self, payload: dict[str, Any], params: dict[str, str] | None = None) -> httpx.Response:
        """The response to a 2xx or 4xx answer; 429, 5xx and failed connections are retried."""
        if self._client is not None:
            return await self._post(self._client, payload, params)
        async with httpx.AsyncClient(
            timeout=self.timeout, headers={"User-Agent": USER_AGENT}, follow_redirects=False
        ) as client:
            return await self._post(client, payload, params)

    async def _post(
        self, client: httpx.AsyncClient, payload: dict[str, Any], params: dict[str, str] | None
    ) -> httpx.Response:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.attempts),
            wait=self._wait,
            retry=retry_if_exception_type(_Retry),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._once(client, payload, params)
        except _Retry as exc:
            raise WebhookError(
                f"{self.platform} webhook at {self.host}: {exc} (gave up after {self.attempts} attempts)"
            ) from None
        raise AssertionError("unreachable")

    async def _once(
        self, client: httpx.AsyncClient, payload: dict[str, Any], params: dict[str, str] | None
    ) -> httpx.Response:
        try:
            response = await client.post(self._url, json=payload, params=params)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:  # nothing was sent: safe to retry
            log.warning("%s webhook at %s: cannot connect (%s)", self.platform, self.host, type(exc).__name__)
            raise _Retry(f"cannot connect ({type(exc).__name__})", None) from None
        except httpx.HTTPError as exc:  # may have been delivered: do not post twice
            raise WebhookError(
                f"{self.platform} webhook at {self.host}: {type(exc).__name__} "
                "while posting; the message may or may not have arrived",
                nothing_posted=False,
            ) from None
        if response.status_code == 429:
            delay = retry_after_seconds(response)
            if delay is not None and delay > self.max_retry_after:
                raise WebhookError(
                    f"{self.platform} webhook at {self.host} is rate limited for {delay:.0f} s; "
                    "try again later"
                )
            log.info("%s webhook at %s: rate limited, retrying in %s s", self.platform, self.host, delay)
            raise _Retry("rate limited", delay if delay is not None else None)
        if response.status_code >= 500:
            log.warning("%s webhook at %s answered HTTP %d", self.platform, self.host, response.status_code)
            raise _Retry(f"server error HTTP {response.status_code}", retry_after_seconds(response))
        return response


def short_reason(response: httpx.Response) -> str:
    """The service's own one-line reason (Discord's JSON `message`, Slack's plain-text code)."""
    text = ""
    try:
        body = response.json()
        if isinstance(body, dict):
            text = str(body.get("message") or body.get("error") or "")
    except ValueError:
        text = response.text
    text = " ".join(text.split())[:200]
    return f"HTTP {response.status_code}" + (f" {text}" if text else "")
