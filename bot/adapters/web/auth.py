"""The admin page's token: HTTP Basic (any user name, the token as password) or a Bearer token.

The token comes from the environment (`web.admin_token: ${WEB_ADMIN_TOKEN}`). It is compared in
constant time: both sides are hashed to 32 bytes and `hmac.compare_digest` compares the digests,
so neither the token's length nor where a guess goes wrong shows in the answer's timing. A client
that keeps guessing is slowed down: after `MAX_FAILURES` wrong tokens within `WINDOW_S` it gets
`429` until the window has passed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections import OrderedDict, deque

__all__ = ["AdminAuth"]

MAX_FAILURES = 10
WINDOW_S = 60.0
TRACKED_CLIENTS = 1024
REALM = 'Basic realm="briefbot admin", charset="UTF-8"'


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8", "surrogateescape")).digest()


def presented_token(header: str | None) -> str | None:
    """The token in an Authorization header (Basic's password, or Bearer's token), else None."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        return value or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        _user, sep, password = decoded.partition(":")
        return password if sep else None
    return None


class AdminAuth:
    def __init__(self, token: str | None) -> None:
        self._digest = _digest(token) if token else None
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self._digest is not None

    def throttled(self, client: str) -> bool:
        """Too many wrong tokens from this client lately."""
        recent = self._failures.get(client)
        if not recent:
            return False
        cutoff = time.monotonic() - WINDOW_S
        while recent and recent[0] < cutoff:
            recent.popleft()
        return len(recent) >= MAX_FAILURES

    def check(self, header: str | None, client: str) -> bool:
        """Whether the Authorization header carries the token (a wrong one is counted)."""
        if self._digest is None:
            return False
        given = presented_token(header)
        ok = hmac.compare_digest(_digest(given or ""), self._digest) and given is not None
        if not ok and header:
            recent = self._failures.setdefault(client, deque(maxlen=MAX_FAILURES))
            recent.append(time.monotonic())
            self._failures.move_to_end(client)
            while len(self._failures) > TRACKED_CLIENTS:
                self._failures.popitem(last=False)
        return ok
