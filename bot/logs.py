"""Secret redaction, and the logging set-up that applies it.

Every secret the config loader substituted from the environment is registered here. `redact`
replaces every rendering of one: as written, percent-encoded in any subset of its characters (as
httpx writes a password in URL userinfo, `p%40ss`, or urllib a key in a query, `a+b%2F`), HTML- or
JSON-escaped, and the pieces of it that a URL parser cuts at `:/?#[]@` and quotes on their own
(`Invalid port: 'Hunter2Secret'`). Logs (briefbot's handler formats each record, trace included,
then redacts the finished line), `status`, `/healthz`, `/metrics`, error messages and everything
the command line prints go through it; articles are redacted as they are fetched, so a briefing
cannot carry a secret either. Records themselves are left alone, so other handlers (pytest's
capture) still see the exception object.
"""

from __future__ import annotations

import io
import logging
import re
import sys
import threading
from collections.abc import Iterable
from typing import Any, TextIO

REDACTED = "***"
MIN_SECRET = 4
"""Shorter values would mangle ordinary text; such a value cannot be kept out of output."""
MIN_PIECE = 8
"""A piece of a secret between URL delimiters is redacted on its own from this length (a secret
that is itself a URL, such as a webhook, is not cut: its host name is no secret)."""
_URL_DELIMITERS = re.compile(r"[:/?#\[\]@\s]+")
_HTML = {
    "&": ("&amp;", "&#38;", "&#x26;"),
    "<": ("&lt;", "&#60;", "&#x3c;"),
    ">": ("&gt;", "&#62;", "&#x3e;"),
    '"': ("&quot;", "&#34;", "&#x22;"),
    "'": ("&#39;", "&#x27;", "&apos;"),
}
_JSON = {'"': ('\\"',), "\\": ("\\\\",), "/": ("\\/",)}


def _hex(byte: int) -> str:
    """`%2f` or `%2F`: either case of the hex digits."""
    return "%" + "".join(f"[{d}{d.lower()}]" if d.isalpha() else d for d in f"{byte:02X}")


def _char(c: str) -> str:
    """Every way one character of a secret is written in a URL, an HTML page or a JSON string."""
    forms = [re.escape(c), "".join(_hex(b) for b in c.encode("utf-8"))]
    if c == " ":
        forms.append(r"\+")
    forms += [re.escape(f) for f in _HTML.get(c, ()) + _JSON.get(c, ())]
    if ord(c) > 127:
        forms.append(re.escape(f"\\u{ord(c):04x}") if ord(c) <= 0xFFFF else re.escape(c))
    return forms[0] if len(forms) == 1 else "(?:" + "|".join(forms) + ")"


def _pattern(secret: str) -> str:
    return "".join(_char(c) for c in secret)


class Redactor:
    """A set of secrets and the one regular expression that finds any rendering of them."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._regex: re.Pattern[str] | None = None
        self._lock = threading.Lock()
        self.add(values)

    def add(self, values: Iterable[str]) -> None:
        with self._lock:
            found = set(self._secrets)
            for v in values:
                if v and len(v) >= MIN_SECRET:
                    found.add(v)
                    if "://" not in v:
                        found.update(p for p in _URL_DELIMITERS.split(v) if len(p) >= MIN_PIECE)
            if found != self._secrets:
                self._secrets = found
                ordered = sorted(found, key=len, reverse=True)
                self._regex = re.compile("|".join(_pattern(s) for s in ordered)) if ordered else None

    def __bool__(self) -> bool:
        return self._regex is not None

    def __call__(self, text: str) -> str:
        regex = self._regex
        if regex is None or not text:
            return text
        return regex.sub(REDACTED, text)

    def data(self, value: Any) -> Any:
        """The same structure with every string (keys too) redacted: JSON documents, snapshots."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {self.data(k): self.data(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(v) for v in value]
        return value


_GLOBAL = Redactor()


def register_secrets(values: Iterable[str]) -> None:
    """Secrets of this process (the config's `${VAR}` values, a webhook URL): never shown again."""
    _GLOBAL.add(values)


def redact(text: str) -> str:
    return _GLOBAL(text)


def redact_data(value: Any) -> Any:
    return _GLOBAL.data(value)


class RedactingStream(io.TextIOBase):
    """A text stream that redacts what is written to it (line by line, so a secret written in two
    pieces is still found) before passing it on: the command line's stdout and stderr."""

    def __init__(self, target: TextIO) -> None:
        self.target = target
        self._pending = ""

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self.target.isatty()

    def fileno(self) -> int:
        return self.target.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.target, "encoding", "utf-8") or "utf-8"

    def write(self, text: str) -> int:
        self._pending += text
        if "\n" in self._pending:
            done, _, self._pending = self._pending.rpartition("\n")
            self.target.write(redact(done + "\n"))
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self.target.write(redact(self._pending))
            self._pending = ""
        self.target.flush()


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
    _redact_uncaught_traces()
    # Libraries that are chatty at INFO.
    for noisy in ("httpx", "httpcore", "trafilatura", "apscheduler.executors", "discord.gateway"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def _redact_uncaught_traces() -> None:
    """A trace Python prints for an uncaught exception goes through `redact` too (a bug's trace may
    quote a URL with a password in it)."""
    import traceback

    def hook(kind: type[BaseException], exc: BaseException, tb: Any) -> None:
        sys.stderr.write(redact("".join(traceback.format_exception(kind, exc, tb))))

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread is not None else "a thread"
        text = "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))
        sys.stderr.write(redact(f"Exception in {name}:\n{text}"))

    sys.excepthook = hook
    threading.excepthook = thread_hook
