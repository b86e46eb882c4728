"""Logging set-up with secret redaction.

Every secret the config loader substituted from the environment is registered here, and a
filter replaces it in every record (message, args and exception text) before any handler sees it.
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


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if _SECRETS:
            msg = record.getMessage()
            record.msg = redact(msg)
            record.args = None
            if record.exc_info and record.exc_info[1] is not None:
                record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
                record.exc_info = None
        return True


def setup_logging(level: int = logging.WARNING) -> None:
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_briefbot", False):
            root.removeHandler(h)
    handler = logging.StreamHandler(sys.stderr)
    handler._briefbot = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root.addHandler(handler)
    root.setLevel(level)
    # Libraries that are chatty at INFO.
    for noisy in ("httpx", "httpcore", "trafilatura", "apscheduler.executors", "discord.gateway"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
