"""Logging set-up with secret redaction.

Every secret the config loader substituted from the environment is registered here, and briefbot's
log handler formats each record (message, args, exception trace) and then replaces every secret in
the finished line. Records themselves are left alone, so other handlers (pytest's capture) still see
the exception object.
"""

from __future__ import annotations

import logging
import sys
import threading

_SECRETS: set[str] = set()
_LOCK = threading.Lock()
REDACTED = "***"


# What URL libraries leave unescaped: nothing, a path's "/", RFC 3986 sub-delimiters (httpx in a query).
_URL_SAFE_SETS = ("", "/", "!$&'()*+,;=:@/?")


def _spellings(value: str) -> set[str]:
    """The secret as written and as it appears once percent-encoded inside a URL (a key in a feed URL)."""
    from urllib.parse import quote, quote_plus

    return {value, quote_plus(value), *(quote(value, safe=safe) for safe in _URL_SAFE_SETS)}


def register_secrets(values: list[str] | set[str] | tuple[str, ...]) -> None:
    with _LOCK:
        for v in values:
            if v and len(v) >= 4:
                _SECRETS.update(_spellings(v))


def redact(text: str) -> str:
    if not _SECRETS or not text:
        return text
    for s in sorted(_SECRETS, key=len, reverse=True):
        if s in text:
            text = text.replace(s, REDACTED)
    return text


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then redacts: covers the message, its args and any trace or stack."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def setup_logging(level: int = logging.WARNING) -> None:
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_briefbot", False):
            root.removeHandler(h)
    handler = logging.StreamHandler(sys.stderr)
    handler._briefbot = True  # type: ignore[attr-defined]
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    # Libraries that are chatty at INFO.
    for noisy in ("httpx", "httpcore", "trafilatura", "apscheduler.executors", "discord.gateway"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
